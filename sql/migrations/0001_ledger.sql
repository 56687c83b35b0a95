-- iso8583-wire host ledger, schema version 1.
--
-- Applied by the library when a PgStore connects (each migration once, in
-- order, in one transaction under an advisory lock), or by hand:
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -1 -f sql/migrations/0001_ledger.sql
--
-- The file records itself in ledger_migrations, so the library skips it
-- afterwards. No card data is stored: a request's content is kept only as
-- its SHA-256 (fingerprint), compared on resends.

CREATE TABLE IF NOT EXISTS ledger_migrations (
    version    integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- One row per request the ledger recorded (financial or reversal).
CREATE TABLE ledger_entries (
    id           bigserial PRIMARY KEY,
    -- The acquirer (institution, DE 32) the host instance serves: several
    -- acquirers may share one database.
    acquirer     text     NOT NULL,
    class        text     NOT NULL CHECK (class IN ('financial', 'reversal')),
    -- The matching key, reduced by the key profile: the merchant is '' and
    -- the batch -1 where the profile does not match on them.
    m_terminal   text     NOT NULL,
    m_merchant   text     NOT NULL,
    m_batch      bigint   NOT NULL,
    stan         bigint   NOT NULL,
    -- The key as received.
    terminal     text     NOT NULL,
    merchant     text     NOT NULL,
    batch        bigint,
    -- DE 7 transmission date and time as received (MMDDhhmmss), when known.
    -- Not part of the unique key: a terminal's resend carries a new DE 7.
    transmitted  text,
    -- The original's key as received (void, refund, DE 90 reversal).
    orig_terminal text,
    orig_merchant text,
    orig_batch    bigint,
    orig_stan     bigint,
    -- For a reversal: the matching key of the transaction it undoes (its
    -- original, or on UnionPay its own key).
    t_terminal   text,
    t_merchant   text,
    t_batch      bigint,
    t_stan       bigint,
    kind         text     NOT NULL CHECK (kind IN ('purchase', 'void', 'refund', 'reversal')),
    amount       bigint   NOT NULL CHECK (amount >= 0),
    fingerprint  bytea    NOT NULL,
    response_code text    NOT NULL,
    rrn          text,
    auth_code    text,
    state        text     NOT NULL CHECK (state IN ('approved', 'declined', 'voided', 'reversed', 'pending')),
    refunded     bigint   NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    received_at  bigint   NOT NULL,
    settled_at   bigint,
    -- Duplicate detection: one entry per class and matching key. Two hosts
    -- inserting the same request at once: the second insert fails, its
    -- transaction is retried and finds the first (a replay).
    CONSTRAINT ledger_entries_key UNIQUE (acquirer, class, m_terminal, m_merchant, m_batch, stan)
);

-- Refund by RRN (RRNs come from one sequence: unique per database).
CREATE UNIQUE INDEX ledger_entries_rrn ON ledger_entries (acquirer, rrn)
    WHERE rrn IS NOT NULL AND class = 'financial';
-- A reversal by the transaction it undoes (early reversals, late originals).
CREATE INDEX ledger_entries_target ON ledger_entries (acquirer, t_terminal, t_merchant, t_batch, t_stan)
    WHERE class = 'reversal';
-- Settlement: a terminal's open batch.
CREATE INDEX ledger_entries_open ON ledger_entries (acquirer, terminal, batch)
    WHERE settled_at IS NULL;
-- Pruning: settled entries by settlement time.
CREATE INDEX ledger_entries_settled ON ledger_entries (acquirer, settled_at)
    WHERE settled_at IS NOT NULL;

-- Retrieval reference numbers: one counter for every host on the database.
CREATE SEQUENCE ledger_rrn_seq MINVALUE 1 MAXVALUE 999999999999 CYCLE;

-- Store-and-forward: advices (0220, 0420 repeats) waiting to be sent on.
-- The payload is what the application hands in; it must not be card data in
-- clear (seal it first). A sender claims due rows with FOR UPDATE SKIP
-- LOCKED, so several hosts share the queue without sending one row twice.
CREATE TABLE ledger_outbox (
    id              bigserial PRIMARY KEY,
    acquirer        text     NOT NULL,
    kind            text     NOT NULL,
    payload         bytea    NOT NULL,
    created_at      bigint   NOT NULL,
    attempts        integer  NOT NULL DEFAULT 0,
    next_attempt_at bigint   NOT NULL,
    sent_at         bigint
);
CREATE INDEX ledger_outbox_due ON ledger_outbox (acquirer, next_attempt_at)
    WHERE sent_at IS NULL;

INSERT INTO ledger_migrations (version) VALUES (1);
