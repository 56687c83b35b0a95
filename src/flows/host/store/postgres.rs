//! The host ledger on PostgreSQL (feature `postgres`): [`PgStore`].

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Transaction};
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Row};

use crate::flows::host::decide::Snapshot;
use crate::flows::host::key::{KeyProfile, MatchKey, TxnKey};
use crate::flows::host::record::{EntryClass, EntryState, Record, SettledEntry};
use crate::flows::host::request::{HostDecision, HostTxnKind};
use crate::flows::host::store::{DecideFn, LedgerStore, Lookup, StoreError, StoreFuture, digest};

/// The schema migrations, `(version, SQL)`, in the order they apply: the
/// files of `sql/migrations/`.
pub const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    include_str!("../../../../sql/migrations/0001_ledger.sql"),
)];

/// Where and how a [`PgStore`] connects.
#[derive(Clone)]
#[non_exhaustive]
pub struct PgOptions {
    /// A libpq URL or key=value string (`postgres://user@host:port/db`).
    pub url: String,
    /// The schema the ledger's tables live in (created if missing); `None`:
    /// the server's default search path.
    pub schema: Option<String>,
    /// The acquirer this host serves: entries of other acquirers in the same
    /// tables are not seen.
    pub acquirer: String,
    /// Connections in the pool.
    pub pool_size: usize,
    /// How long one decision may take, waiting for a connection included,
    /// before it is answered with the retryable decline.
    pub timeout: Duration,
    /// How many times a decision is tried when it conflicts with another.
    pub attempts: u32,
}

impl PgOptions {
    /// Options for `url`: default schema, acquirer `""`, 16 connections,
    /// 5 s per decision, 8 attempts.
    pub fn new(url: impl Into<String>) -> PgOptions {
        PgOptions {
            url: url.into(),
            schema: None,
            acquirer: String::new(),
            pool_size: 16,
            timeout: Duration::from_secs(5),
            attempts: 8,
        }
    }

    /// Sets the schema (letters, digits and `_` only).
    pub fn with_schema(mut self, schema: impl Into<String>) -> PgOptions {
        self.schema = Some(schema.into());
        self
    }

    /// Sets the acquirer.
    pub fn with_acquirer(mut self, acquirer: impl Into<String>) -> PgOptions {
        self.acquirer = acquirer.into();
        self
    }

    /// Sets the pool size (at least 1).
    pub fn with_pool_size(mut self, size: usize) -> PgOptions {
        self.pool_size = size.max(1);
        self
    }

    /// Sets the time one decision may take.
    pub fn with_timeout(mut self, timeout: Duration) -> PgOptions {
        self.timeout = timeout;
        self
    }
}

/// The URL without its password, for `Debug`.
fn url_for_display(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ if url.contains("password") => String::from("<connection string, not shown>"),
        _ => url.to_owned(),
    }
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("url", &url_for_display(&self.url))
            .field("schema", &self.schema)
            .field("acquirer", &self.acquirer)
            .field("pool_size", &self.pool_size)
            .field("timeout", &self.timeout)
            .field("attempts", &self.attempts)
            .finish()
    }
}

/// A [`LedgerStore`] on PostgreSQL: several host processes on one database
/// decide as one ledger would.
///
///
/// # Schema
///
/// Plain SQL files under `sql/migrations/` in the repository, compiled into
/// the library ([`MIGRATIONS`]) and applied by [`PgStore::connect`], each
/// once and in order, in one transaction under an advisory lock (two hosts
/// starting at once apply them once). Each file records its version in
/// `ledger_migrations`, so applying it by hand works too:
///
/// ```text
/// psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -1 -f sql/migrations/0001_ledger.sql
/// ```
///
/// `ledger_entries` holds one row per recorded request, keyed by acquirer,
/// class and matching key (terminal, merchant, batch, STAN as the key
/// profile reduces them), with the key as received, DE 7, the original's
/// key, RRN, authorization code, amounts, state and settlement time. The
/// request's content is kept only as its SHA-256. `ledger_outbox` queues
/// store-and-forward advices.
///
/// # How one decision runs
///
/// One database transaction (read committed) per request:
///
/// 1. transaction-scoped advisory locks on the matching keys the request
///    touches (its own and its original's), in a fixed order: two requests
///    that touch one key are decided one after the other, on whichever host
///    they arrived, including when the entry does not exist yet (an early
///    reversal and its late original, a request sent to two hosts at once);
/// 2. the entries are loaded `FOR UPDATE` (the request's own, its original,
///    a reversal of it, the original's own original);
/// 3. [`decide`](crate::flows::host::decide) decides, the store inserts the
///    new entry (an RRN from `ledger_rrn_seq` when approved) and updates
///    the changed ones;
/// 4. commit, and only then the answer.
///
/// The unique key on `(acquirer, class, matching key)` is the last word on
/// duplicates: an insert that breaks it (or a deadlock or serialization
/// failure) rolls back and the whole step is retried, and the retry finds
/// the first entry and replays its answer. Any other failure, a lost
/// connection or a timeout, is a [`StoreError`] that
/// [`SharedLedger`](crate::flows::host::SharedLedger) answers with the
/// profile's retryable decline: nothing is approved that was not committed.
/// A commit whose acknowledgement was lost may have recorded the request;
/// the terminal's retry then finds it and gets the same approval.
///
/// # Example
///
/// ```no_run
/// # async fn run() -> Result<(), iso8583_wire::flows::host::StoreError> {
/// use std::sync::Arc;
/// use iso8583_wire::flows::host::store::{PgOptions, PgStore};
/// use iso8583_wire::flows::host::{HostConfig, SharedLedger};
/// let config = HostConfig::cup();
/// let store = PgStore::connect(PgOptions::new("postgres://ledger@127.0.0.1/ledger"), config.profile).await?;
/// let ledger = SharedLedger::with_store(config, Arc::new(store));
/// # Ok(()) }
/// ```
pub struct PgStore {
    pool: Pool,
    options: PgOptions,
    profile: KeyProfile,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("options", &self.options)
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// How one attempt at a step ended badly.
enum Attempt {
    /// Conflicted with another transaction: try again.
    Retry,
    /// Failed: give up.
    Fail(StoreError),
}

fn classify(operation: &'static str, e: &tokio_postgres::Error) -> Attempt {
    let code = e.code();
    if code == Some(&SqlState::T_R_SERIALIZATION_FAILURE)
        || code == Some(&SqlState::T_R_DEADLOCK_DETECTED)
        || code == Some(&SqlState::UNIQUE_VIOLATION)
    {
        return Attempt::Retry;
    }
    Attempt::Fail(store_error(operation, e))
}

fn store_error(operation: &'static str, e: &tokio_postgres::Error) -> StoreError {
    // No SQLSTATE: the connection (closed, refused, I/O); admin shutdown and
    // connection-class states: the server went away. Both may pass.
    let gone = match e.code() {
        None => true,
        Some(c) => {
            c.code().starts_with("08")
                || c.code().starts_with("57P")
                || *c == SqlState::TOO_MANY_CONNECTIONS
        }
    };
    let detail = e.to_string();
    if gone || e.is_closed() {
        StoreError::Unavailable { operation, detail }
    } else {
        StoreError::Failed { operation, detail }
    }
}

fn pg_err(operation: &'static str) -> impl Fn(tokio_postgres::Error) -> Attempt {
    move |e| classify(operation, &e)
}

/// Converts a number for a `bigint` column.
fn to_i64(v: u64, column: &'static str) -> Result<i64, Attempt> {
    i64::try_from(v).map_err(|_| {
        Attempt::Fail(StoreError::Failed {
            operation: "decide",
            detail: format!("{column} {v} does not fit a bigint"),
        })
    })
}

/// The matching key as the columns hold it: merchant `''` and batch `-1`
/// where the profile does not match on them.
struct KeyCols<'a> {
    terminal: &'a str,
    merchant: &'a str,
    batch: i64,
    stan: i64,
}

impl<'a> KeyCols<'a> {
    fn of(key: &'a MatchKey) -> KeyCols<'a> {
        KeyCols {
            terminal: key.terminal(),
            merchant: key.merchant().unwrap_or(""),
            batch: key.batch().map_or(-1, i64::from),
            stan: i64::from(key.stan()),
        }
    }
}

/// A stable 64-bit lock id for an acquirer's matching key (the same in every
/// process): the first 8 bytes of a SHA-256.
fn lock_id(acquirer: &str, key: &MatchKey) -> i64 {
    let k = KeyCols::of(key);
    let text = format!(
        "{acquirer}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        k.terminal, k.merchant, k.batch, k.stan
    );
    let d = digest(text.as_bytes());
    let mut b = [0u8; 8];
    for (dst, src) in b.iter_mut().zip(d.iter()) {
        *dst = *src;
    }
    i64::from_be_bytes(b)
}

/// The columns read back into a [`Record`], in order.
const COLUMNS: &str = "id, class, kind, terminal, merchant, batch, stan, orig_terminal, \
    orig_merchant, orig_batch, orig_stan, amount, transmitted, fingerprint, response_code, rrn, \
    auth_code, state, refunded, received_at, settled_at, m_terminal, m_merchant, m_batch, \
    t_terminal, t_merchant, t_batch, t_stan";

/// A loaded entry with its row id and the keys it was loaded by.
struct Loaded {
    id: i64,
    rec: Record,
    m: (String, String, i64, i64),
    target: Option<(String, String, i64, i64)>,
}

fn corrupt(id: i64, column: &'static str, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        entry: format!("ledger_entries id {id}"),
        column,
        detail: detail.into(),
    }
}

fn u64_col(id: i64, column: &'static str, v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| corrupt(id, column, format!("negative: {v}")))
}

fn u32_col(id: i64, column: &'static str, v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| corrupt(id, column, format!("out of range: {v}")))
}

fn batch_col(id: i64, column: &'static str, v: Option<i64>) -> Result<Option<u32>, StoreError> {
    v.map(|b| u32_col(id, column, b)).transpose()
}

fn get<'r, T: tokio_postgres::types::FromSql<'r>>(
    row: &'r Row,
    id: i64,
    column: &'static str,
) -> Result<T, StoreError> {
    row.try_get(column)
        .map_err(|e| corrupt(id, column, e.to_string()))
}

fn record_of(row: &Row) -> Result<Loaded, StoreError> {
    let id: i64 = get(row, 0, "id")?;
    let class = match get::<&str>(row, id, "class")? {
        "financial" => EntryClass::Financial,
        "reversal" => EntryClass::Reversal,
        other => return Err(corrupt(id, "class", format!("unknown {other:?}"))),
    };
    let kind_s: &str = get(row, id, "kind")?;
    let kind =
        HostTxnKind::parse(kind_s).ok_or_else(|| corrupt(id, "kind", format!("{kind_s:?}")))?;
    let state_s: &str = get(row, id, "state")?;
    let state =
        EntryState::parse(state_s).ok_or_else(|| corrupt(id, "state", format!("{state_s:?}")))?;
    let key = TxnKey::new(
        get::<String>(row, id, "terminal")?,
        get::<String>(row, id, "merchant")?,
        batch_col(id, "batch", get(row, id, "batch")?)?,
        u32_col(id, "stan", get(row, id, "stan")?)?,
    );
    let original_key = match get::<Option<String>>(row, id, "orig_terminal")? {
        Some(terminal) => Some(TxnKey::new(
            terminal,
            get::<Option<String>>(row, id, "orig_merchant")?.unwrap_or_default(),
            batch_col(id, "orig_batch", get(row, id, "orig_batch")?)?,
            u32_col(
                id,
                "orig_stan",
                get::<Option<i64>>(row, id, "orig_stan")?.unwrap_or(0),
            )?,
        )),
        None => None,
    };
    let decision = HostDecision {
        response_code: get(row, id, "response_code")?,
        rrn: get(row, id, "rrn")?,
        auth_code: get(row, id, "auth_code")?,
        replayed: false,
    };
    let settled_at = get::<Option<i64>>(row, id, "settled_at")?
        .map(|v| u64_col(id, "settled_at", v))
        .transpose()?;
    let rec = Record {
        class,
        kind,
        key,
        original_key,
        amount: u64_col(id, "amount", get(row, id, "amount")?)?,
        transmitted: get(row, id, "transmitted")?,
        fingerprint: get(row, id, "fingerprint")?,
        decision,
        state,
        refunded: u64_col(id, "refunded", get(row, id, "refunded")?)?,
        received_at: u64_col(id, "received_at", get(row, id, "received_at")?)?,
        settled_at,
    };
    let m = (
        get(row, id, "m_terminal")?,
        get(row, id, "m_merchant")?,
        get(row, id, "m_batch")?,
        get(row, id, "stan")?,
    );
    let target = match get::<Option<String>>(row, id, "t_terminal")? {
        Some(t) => Some((
            t,
            get::<Option<String>>(row, id, "t_merchant")?.unwrap_or_default(),
            get::<Option<i64>>(row, id, "t_batch")?.unwrap_or(-1),
            get::<Option<i64>>(row, id, "t_stan")?.unwrap_or(-1),
        )),
        None => None,
    };
    Ok(Loaded { id, rec, m, target })
}

fn same(cols: &(String, String, i64, i64), k: &KeyCols<'_>) -> bool {
    cols.0 == k.terminal && cols.1 == k.merchant && cols.2 == k.batch && cols.3 == k.stan
}

impl PgStore {
    /// Connects, creates the schema if asked for and missing, and applies
    /// the migrations not yet applied. Fails if the server cannot be reached
    /// or a migration fails.
    pub async fn connect(options: PgOptions, profile: KeyProfile) -> Result<PgStore, StoreError> {
        let mut cfg: tokio_postgres::Config =
            options
                .url
                .parse()
                .map_err(|e: tokio_postgres::Error| StoreError::Failed {
                    operation: "connect",
                    detail: format!("bad connection string: {e}"),
                })?;
        cfg.connect_timeout(options.timeout);
        if let Some(schema) = &options.schema {
            if schema.is_empty()
                || !schema
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(StoreError::Failed {
                    operation: "connect",
                    detail: format!("schema {schema:?}: only letters, digits and '_' are accepted"),
                });
            }
            cfg.options(format!("-c search_path={schema}"));
        }
        migrate(&cfg, options.schema.as_deref(), options.timeout).await?;
        let manager = Manager::from_config(
            cfg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let t = Some(options.timeout);
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(t)
            .create_timeout(t)
            .recycle_timeout(t)
            .build()
            .map_err(|e| StoreError::Failed {
                operation: "connect",
                detail: e.to_string(),
            })?;
        Ok(PgStore {
            pool,
            options,
            profile,
        })
    }

    /// The options in force.
    pub fn options(&self) -> &PgOptions {
        &self.options
    }

    async fn client(&self, operation: &'static str) -> Result<deadpool_postgres::Object, Attempt> {
        self.pool.get().await.map_err(|e| {
            Attempt::Fail(StoreError::Unavailable {
                operation,
                detail: e.to_string(),
            })
        })
    }

    /// Runs `step` with the store's timeout and conflict retries.
    async fn run<'a, T, F, Fut>(&'a self, operation: &'static str, step: F) -> Result<T, StoreError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, Attempt>> + 'a,
    {
        let attempts = self.options.attempts.max(1);
        let work = async {
            for _ in 0..attempts {
                match step().await {
                    Ok(v) => return Ok(v),
                    Err(Attempt::Retry) => continue,
                    Err(Attempt::Fail(e)) => return Err(e),
                }
            }
            Err(StoreError::Conflict {
                operation,
                attempts,
            })
        };
        match tokio::time::timeout(self.options.timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Unavailable {
                operation,
                detail: format!("no answer within {:?}", self.options.timeout),
            }),
        }
    }

    async fn load(
        &self,
        tx: &Transaction<'_>,
        lookup: &Lookup,
    ) -> Result<(Snapshot, Vec<(i64, EntryClass, MatchKey)>), Attempt> {
        let acq = self.options.acquirer.as_str();
        let class = class_name(lookup.class);
        let own = KeyCols::of(&lookup.key);
        let orig = lookup.original.as_ref().map(KeyCols::of);
        let target = lookup.reversal_target.as_ref().map(KeyCols::of);
        let sql = format!(
            "SELECT {COLUMNS} FROM ledger_entries WHERE acquirer = $1 AND (\
             (class = $2 AND m_terminal = $3 AND m_merchant = $4 AND m_batch = $5 AND stan = $6) \
             OR (class = 'financial' AND m_terminal = $7 AND m_merchant = $8 AND m_batch = $9 AND stan = $10) \
             OR (class = 'reversal' AND t_terminal = $11 AND t_merchant = $12 AND t_batch = $13 AND t_stan = $14)) \
             ORDER BY id FOR UPDATE"
        );
        let stmt = tx.prepare_cached(&sql).await.map_err(pg_err("decide"))?;
        let rows = tx
            .query(
                &stmt,
                &[
                    &acq,
                    &class,
                    &own.terminal,
                    &own.merchant,
                    &own.batch,
                    &own.stan,
                    &orig.as_ref().map(|k| k.terminal),
                    &orig.as_ref().map(|k| k.merchant),
                    &orig.as_ref().map(|k| k.batch),
                    &orig.as_ref().map(|k| k.stan),
                    &target.as_ref().map(|k| k.terminal),
                    &target.as_ref().map(|k| k.merchant),
                    &target.as_ref().map(|k| k.batch),
                    &target.as_ref().map(|k| k.stan),
                ],
            )
            .await
            .map_err(pg_err("decide"))?;
        let mut snap = Snapshot::default();
        let mut ids = Vec::new();
        for row in &rows {
            let l = record_of(row).map_err(Attempt::Fail)?;
            let mk = self.profile.match_key(&l.rec.key);
            if l.rec.class == lookup.class && same(&l.m, &own) {
                snap.existing = Some(l.rec.clone());
            }
            if l.rec.class == EntryClass::Financial && orig.as_ref().is_some_and(|o| same(&l.m, o))
            {
                snap.original = Some(l.rec.clone());
            }
            if l.rec.class == EntryClass::Reversal
                && let (Some(t), Some(lt)) = (&target, &l.target)
                && same(lt, t)
            {
                // The latest reversal of it (rows come in id order).
                snap.reversal = Some(l.rec.clone());
            }
            ids.push((l.id, l.rec.class, mk));
        }
        if let Some(gk) = snap
            .original
            .as_ref()
            .and_then(|o| o.original_key.as_ref())
            .map(|k| self.profile.match_key(k))
        {
            let g = KeyCols::of(&gk);
            let sql = format!(
                "SELECT {COLUMNS} FROM ledger_entries WHERE acquirer = $1 AND class = 'financial' \
                 AND m_terminal = $2 AND m_merchant = $3 AND m_batch = $4 AND stan = $5 FOR UPDATE"
            );
            let stmt = tx.prepare_cached(&sql).await.map_err(pg_err("decide"))?;
            let row = tx
                .query_opt(&stmt, &[&acq, &g.terminal, &g.merchant, &g.batch, &g.stan])
                .await
                .map_err(pg_err("decide"))?;
            if let Some(row) = row {
                let l = record_of(&row).map_err(Attempt::Fail)?;
                ids.push((l.id, EntryClass::Financial, gk));
                snap.grand = Some(l.rec);
            }
        }
        Ok((snap, ids))
    }

    async fn transact_once(
        &self,
        lookup: &Lookup,
        decide: DecideFn<'_>,
    ) -> Result<HostDecision, Attempt> {
        let mut client = self.client("decide").await?;
        let tx = client.transaction().await.map_err(pg_err("decide"))?;
        let acq = self.options.acquirer.as_str();
        let mut locks = [lock_id(acq, &lookup.key), 0];
        locks[1] = lookup
            .original
            .as_ref()
            .map_or(locks[0], |o| lock_id(acq, o));
        locks.sort_unstable();
        // Both locks in one statement (the same key twice when there is one:
        // advisory locks nest), sent together with the load: the server runs
        // them in order, so the load sees the entries only once locked.
        let lock = tx
            .prepare_cached("SELECT pg_advisory_xact_lock($1), pg_advisory_xact_lock($2)")
            .await
            .map_err(pg_err("decide"))?;
        let locked = async {
            tx.execute(&lock, &[&locks[0], &locks[1]])
                .await
                .map_err(pg_err("decide"))
        };
        let (_, (snap, ids)) = tokio::try_join!(locked, self.load(&tx, lookup))?;
        let outcome = decide(&snap);
        let mut decision = outcome.decision;
        let updates = async {
            for rec in &outcome.updates {
                let mk = self.profile.match_key(&rec.key);
                let Some((id, _, _)) = ids.iter().find(|(_, c, k)| *c == rec.class && *k == mk)
                else {
                    continue;
                };
                let stmt = tx
                    .prepare_cached(
                        "UPDATE ledger_entries SET state = $2, refunded = $3, response_code = $4 \
                         WHERE id = $1",
                    )
                    .await
                    .map_err(pg_err("decide"))?;
                tx.execute(
                    &stmt,
                    &[
                        id,
                        &rec.state.as_str(),
                        &to_i64(rec.refunded, "refunded")?,
                        &rec.decision.response_code,
                    ],
                )
                .await
                .map_err(pg_err("decide"))?;
            }
            Ok(())
        };
        let insert = async {
            match &outcome.insert {
                Some(rec) => self.insert(&tx, rec, outcome.assign_rrn).await.map(Some),
                None => Ok(None),
            }
        };
        let (_, assigned) = tokio::try_join!(updates, insert)?;
        tx.commit().await.map_err(pg_err("commit"))?;
        if let Some((rrn, auth_code)) = assigned.filter(|_| outcome.assign_rrn) {
            decision.rrn = rrn;
            decision.auth_code = auth_code;
        }
        Ok(decision)
    }

    /// Inserts `rec` (with an RRN and authorization code from
    /// `ledger_rrn_seq` when `assign_rrn`); returns the RRN and code kept.
    async fn insert(
        &self,
        tx: &Transaction<'_>,
        rec: &Record,
        assign_rrn: bool,
    ) -> Result<(Option<String>, Option<String>), Attempt> {
        let mk = self.profile.match_key(&rec.key);
        let m = KeyCols::of(&mk);
        let tk = (rec.class == EntryClass::Reversal).then(|| self.profile.match_key(rec.target()));
        let t = tk.as_ref().map(KeyCols::of);
        let o = rec.original_key.as_ref();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO ledger_entries (acquirer, class, m_terminal, m_merchant, m_batch, \
                 stan, terminal, merchant, batch, transmitted, orig_terminal, orig_merchant, \
                 orig_batch, orig_stan, t_terminal, t_merchant, t_batch, t_stan, kind, amount, \
                 fingerprint, response_code, rrn, auth_code, state, refunded, received_at, \
                 settled_at) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                 $15, $16, $17, $18, $19, $20, $21, $22, \
                 CASE WHEN $29 THEN lpad(n.v::text, 12, '0') ELSE $23 END, \
                 CASE WHEN $29 THEN lpad((n.v % 1000000)::text, 6, '0') ELSE $24 END, \
                 $25, $26, $27, $28 \
                 FROM (SELECT CASE WHEN $29 THEN nextval('ledger_rrn_seq') END AS v) AS n \
                 RETURNING rrn, auth_code",
            )
            .await
            .map_err(pg_err("decide"))?;
        let settled = rec
            .settled_at
            .map(|s| to_i64(s, "settled_at"))
            .transpose()?;
        let row = tx
            .query_one(
                &stmt,
                &[
                    &self.options.acquirer,
                    &class_name(rec.class),
                    &m.terminal,
                    &m.merchant,
                    &m.batch,
                    &m.stan,
                    &rec.key.terminal,
                    &rec.key.merchant,
                    &rec.key.batch.map(i64::from),
                    &rec.transmitted,
                    &o.map(|k| k.terminal.as_str()),
                    &o.map(|k| k.merchant.as_str()),
                    &o.and_then(|k| k.batch).map(i64::from),
                    &o.map(|k| i64::from(k.stan)),
                    &t.as_ref().map(|k| k.terminal),
                    &t.as_ref().map(|k| k.merchant),
                    &t.as_ref().map(|k| k.batch),
                    &t.as_ref().map(|k| k.stan),
                    &rec.kind.as_str(),
                    &to_i64(rec.amount, "amount")?,
                    &rec.fingerprint,
                    &rec.decision.response_code,
                    &rec.decision.rrn,
                    &rec.decision.auth_code,
                    &rec.state.as_str(),
                    &to_i64(rec.refunded, "refunded")?,
                    &to_i64(rec.received_at, "received_at")?,
                    &settled,
                    &assign_rrn,
                ],
            )
            .await
            .map_err(pg_err("decide"))?;
        let rrn = row.try_get(0).map_err(pg_err("decide"))?;
        let auth_code = row.try_get(1).map_err(pg_err("decide"))?;
        Ok((rrn, auth_code))
    }

    /// Queues a store-and-forward advice (`kind`, e.g. `"0220"`) to be sent
    /// from `now` on; returns its id. `payload` must not hold card data in
    /// clear: seal it first.
    pub async fn enqueue_advice(
        &self,
        kind: &str,
        payload: &[u8],
        now: u64,
    ) -> Result<i64, StoreError> {
        self.run("enqueue advice", || async move {
            let client = self.client("enqueue advice").await?;
            let now = to_i64(now, "created_at")?;
            let row = client
                .query_one(
                    "INSERT INTO ledger_outbox (acquirer, kind, payload, created_at, \
                     next_attempt_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
                    &[&self.options.acquirer, &kind, &payload, &now],
                )
                .await
                .map_err(pg_err("enqueue advice"))?;
            row.try_get(0).map_err(pg_err("enqueue advice"))
        })
        .await
    }

    /// Claims up to `limit` advices due at `now`, oldest first: each counts
    /// an attempt and is not due again before `now + retry_after`. Rows
    /// another host has claimed in the same instant are skipped, so no
    /// advice is handed to two senders at once.
    pub async fn claim_advices(
        &self,
        now: u64,
        limit: u32,
        retry_after: u64,
    ) -> Result<Vec<Advice>, StoreError> {
        self.run("claim advices", || async move {
            let client = self.client("claim advices").await?;
            let now_i = to_i64(now, "next_attempt_at")?;
            let next = to_i64(now.saturating_add(retry_after), "next_attempt_at")?;
            let rows = client
                .query(
                    "UPDATE ledger_outbox SET attempts = attempts + 1, next_attempt_at = $3 \
                     WHERE id IN (SELECT id FROM ledger_outbox WHERE acquirer = $1 AND \
                     sent_at IS NULL AND next_attempt_at <= $2 ORDER BY id LIMIT $4 \
                     FOR UPDATE SKIP LOCKED) RETURNING id, kind, payload, attempts",
                    &[&self.options.acquirer, &now_i, &next, &i64::from(limit)],
                )
                .await
                .map_err(pg_err("claim advices"))?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let id: i64 = get(row, 0, "id").map_err(Attempt::Fail)?;
                out.push(Advice {
                    id,
                    kind: get(row, id, "kind").map_err(Attempt::Fail)?,
                    payload: get(row, id, "payload").map_err(Attempt::Fail)?,
                    attempts: get::<i32>(row, id, "attempts")
                        .map_err(Attempt::Fail)?
                        .unsigned_abs(),
                });
            }
            out.sort_by_key(|a| a.id);
            Ok(out)
        })
        .await
    }

    /// Marks advice `id` sent (answered) at `now`: it is not claimed again.
    pub async fn advice_sent(&self, id: i64, now: u64) -> Result<(), StoreError> {
        self.run("advice sent", || async move {
            let client = self.client("advice sent").await?;
            client
                .execute(
                    "UPDATE ledger_outbox SET sent_at = $3 WHERE acquirer = $1 AND id = $2",
                    &[&self.options.acquirer, &id, &to_i64(now, "sent_at")?],
                )
                .await
                .map_err(pg_err("advice sent"))?;
            Ok(())
        })
        .await
    }
}

/// A store-and-forward advice claimed from the outbox.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Advice {
    /// Its id (give it to [`PgStore::advice_sent`]).
    pub id: i64,
    /// The kind it was queued with.
    pub kind: String,
    /// What was queued.
    pub payload: Vec<u8>,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

impl std::fmt::Debug for Advice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Advice")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field(
                "payload",
                &crate::flows::journal::Redacted(self.payload.len()),
            )
            .field("attempts", &self.attempts)
            .finish()
    }
}

fn class_name(class: EntryClass) -> &'static str {
    match class {
        EntryClass::Financial => "financial",
        EntryClass::Reversal => "reversal",
    }
}

/// Creates the schema if asked for, then applies the migrations not yet
/// applied, in one transaction under an advisory lock.
async fn migrate(
    cfg: &tokio_postgres::Config,
    schema: Option<&str>,
    timeout: Duration,
) -> Result<(), StoreError> {
    let fail = |e: tokio_postgres::Error| store_error("migrate", &e);
    let work = async {
        let (mut client, conn) = cfg.connect(NoTls).await.map_err(fail)?;
        let task = tokio::spawn(conn);
        let tx = client.transaction().await.map_err(fail)?;
        // One migrator at a time on this database (any schema).
        tx.batch_execute("SELECT pg_advisory_xact_lock(8583001)")
            .await
            .map_err(fail)?;
        if let Some(schema) = schema {
            tx.batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS \"{schema}\"; SET LOCAL search_path TO \"{schema}\""
            ))
            .await
            .map_err(fail)?;
        }
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS ledger_migrations (version integer PRIMARY KEY, \
             applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await
        .map_err(fail)?;
        let applied: Vec<i32> = tx
            .query("SELECT version FROM ledger_migrations", &[])
            .await
            .map_err(fail)?
            .iter()
            .filter_map(|r| r.try_get(0).ok())
            .collect();
        for (version, sql) in MIGRATIONS {
            if !applied.contains(version) {
                tx.batch_execute(sql)
                    .await
                    .map_err(|e| StoreError::Failed {
                        operation: "migrate",
                        detail: format!("migration {version}: {e}"),
                    })?;
            }
        }
        tx.commit().await.map_err(fail)?;
        drop(client);
        let _ = task.await;
        Ok(())
    };
    match tokio::time::timeout(timeout.max(Duration::from_secs(30)), work).await {
        Ok(r) => r,
        Err(_) => Err(StoreError::Unavailable {
            operation: "migrate",
            detail: "no answer in time".into(),
        }),
    }
}

impl LedgerStore for PgStore {
    fn transact<'a>(
        &'a self,
        lookup: &'a Lookup,
        _now: u64,
        decide: DecideFn<'a>,
    ) -> StoreFuture<'a, HostDecision> {
        Box::pin(self.run("decide", move || self.transact_once(lookup, decide)))
    }

    fn settle<'a>(
        &'a self,
        terminal: &'a str,
        batch: Option<u32>,
        now: u64,
    ) -> StoreFuture<'a, Vec<SettledEntry>> {
        Box::pin(self.run("settle", move || async move {
            let client = self.client("settle").await?;
            let now = to_i64(now, "settled_at")?;
            let sql = match batch {
                Some(_) => {
                    "UPDATE ledger_entries SET settled_at = $3 WHERE acquirer = $1 AND \
                     terminal = $2 AND batch = $4 AND settled_at IS NULL \
                     RETURNING id, class, kind, state, amount"
                }
                None => {
                    "UPDATE ledger_entries SET settled_at = $3 WHERE acquirer = $1 AND \
                     terminal = $2 AND batch IS NULL AND settled_at IS NULL AND $4::bigint IS NULL \
                     RETURNING id, class, kind, state, amount"
                }
            };
            let rows = client
                .query(
                    sql,
                    &[
                        &self.options.acquirer,
                        &terminal,
                        &now,
                        &batch.map(i64::from),
                    ],
                )
                .await
                .map_err(pg_err("settle"))?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let id: i64 = get(row, 0, "id").map_err(Attempt::Fail)?;
                let kind_s: &str = get(row, id, "kind").map_err(Attempt::Fail)?;
                let state_s: &str = get(row, id, "state").map_err(Attempt::Fail)?;
                let class = if get::<&str>(row, id, "class").map_err(Attempt::Fail)? == "reversal" {
                    EntryClass::Reversal
                } else {
                    EntryClass::Financial
                };
                let kind = HostTxnKind::parse(kind_s)
                    .ok_or_else(|| Attempt::Fail(corrupt(id, "kind", kind_s)))?;
                let state = EntryState::parse(state_s)
                    .ok_or_else(|| Attempt::Fail(corrupt(id, "state", state_s)))?;
                let amount = get::<i64>(row, id, "amount").map_err(Attempt::Fail)?;
                out.push(SettledEntry::new(
                    class,
                    kind,
                    state,
                    u64_col(id, "amount", amount).map_err(Attempt::Fail)?,
                ));
            }
            Ok(out)
        }))
    }

    fn find_by_rrn<'a>(&'a self, rrn: &'a str) -> StoreFuture<'a, Option<Record>> {
        Box::pin(self.run("find by rrn", move || async move {
            let client = self.client("find by rrn").await?;
            let sql = format!(
                "SELECT {COLUMNS} FROM ledger_entries WHERE acquirer = $1 AND \
                 class = 'financial' AND rrn = $2"
            );
            let row = client
                .query_opt(&sql, &[&self.options.acquirer, &rrn])
                .await
                .map_err(pg_err("find by rrn"))?;
            row.map(|r| record_of(&r).map(|l| l.rec))
                .transpose()
                .map_err(Attempt::Fail)
        }))
    }

    fn prune(&self, settled_before: u64) -> StoreFuture<'_, u64> {
        Box::pin(self.run("prune", move || async move {
            let client = self.client("prune").await?;
            let n = client
                .execute(
                    "DELETE FROM ledger_entries WHERE acquirer = $1 AND settled_at <= $2",
                    &[
                        &self.options.acquirer,
                        &to_i64(settled_before, "settled_at")?,
                    ],
                )
                .await
                .map_err(pg_err("prune"))?;
            Ok(n)
        }))
    }

    fn len(&self) -> StoreFuture<'_, u64> {
        Box::pin(self.run("len", move || async move {
            let client = self.client("len").await?;
            let row = client
                .query_one(
                    "SELECT count(*) FROM ledger_entries WHERE acquirer = $1",
                    &[&self.options.acquirer],
                )
                .await
                .map_err(pg_err("len"))?;
            let n: i64 = row.try_get(0).map_err(pg_err("len"))?;
            Ok(n.unsigned_abs())
        }))
    }

    fn fingerprint(&self, content: &[u8]) -> Vec<u8> {
        digest(content)
    }
}
