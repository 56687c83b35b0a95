//! Terminal journal: the bookkeeping side of the POS flows.
//!
//! The journal decides, before anything is transmitted, whether a request
//! may go and records it together with its reversal-to-be, so that a power
//! loss at any point leaves enough on disk to reverse or reconcile (the
//! rules are written out below).
//!
//! Each fact is entered once: the journal reads the amount, terminal,
//! merchant, MTI, processing code and STAN back from the encoded request
//! with its [`Spec`](crate::Spec) and refuses a request that says something
//! else than the [`NewTxn`] ([`JournalError::Mismatch`], naming the field).
//!
//! # Card data
//!
//! The journal never keeps track data (DE 35, 36, 45), PIN or security data
//! (DE 52, 53, 96), ICC data (DE 55) or any other field the spec masks (a
//! private field holding a CVV2 is dropped when its spec entry has a
//! `mask`), in memory or on disk: a reversal,
//! void or refund does not need them. Each request is kept without those
//! fields and without DE 2; its PAN (from DE 2, or from track 2 for a
//! magstripe read, whose expiry then becomes DE 14) is sealed with an AEAD
//! under a [`JournalKey`] the application supplies, so a terminal can keep
//! the key in its secure element ([`SoftwareKey`] holds it in memory).
//! [`Journal::original`] unseals the PAN and hands back the request as the
//! flow builders take it. Records' `Debug` shows the kept messages as their
//! lengths and the sealed PAN as its key version.
//!
//! The order is fixed by the API:
//!
//! 1. [`Journal::begin`] checks the gates (pending reversal first, sign-on,
//!    settlement) and the business rules, allocates the STAN, lets the
//!    caller encode the request with it, and records both the transaction
//!    ([`TxnState::Sent`]) and its armed reversal before returning the bytes
//!    to transmit.
//! 2. The outcome is reported with [`Journal::on_response`],
//!    [`Journal::on_response_message`] (which keeps the response for later
//!    voids and refunds), [`Journal::on_timeout`], [`Journal::on_mac_failure`] or
//!    [`Journal::on_card_declined_after_approval`].
//! 3. While [`Journal::next_reversal`] returns a job, nothing but sign-on
//!    and echo may begin; the job's original request is
//!    [`Journal::original`], and the job is reported with
//!    [`Journal::on_reversal_sent`] and then
//!    [`Journal::on_reversal_response`] or
//!    [`Journal::on_reversal_no_response`].
//! 4. [`Journal::settle`] then [`Journal::close_batch`] end the batch. A
//!    settlement (or any message not journaled as a transaction) takes its
//!    STAN from [`Journal::allocate_stan`], so no STAN is ever reused.
//!
//! # Store-and-forward
//!
//! Advices that cannot get through wait in a FIFO queue in the journal (and
//! its file), kept like any request (no card data, PAN sealed):
//! [`Journal::queue_advice`] journals a 0220 advice,
//! [`Journal::queue_reversal_advice`] moves a due reversal to the queue as a
//! 0420 (it then no longer blocks new work). [`Journal::next_advice`] hands
//! out the head, first as 0220/0420, then as 0221/0421 when the policy says
//! so ([`JournalPolicy::advice_repeat_mti`]); the attempt is reported with
//! [`Journal::on_advice_sent`] and then [`Journal::on_advice_response`] or
//! [`Journal::on_advice_no_response`]. The policy sorts response codes into
//! done, retry and give up ([`JournalPolicy::advice_verdict`]; defaults:
//! approvals and `94` done, `68`/`90`/`91`/`96` retry, anything else given
//! up) and limits attempts and age; an advice that is given up or expires
//! goes to [`Journal::expired_advices`] for manual handling and stays there
//! until [`Journal::acknowledge_expired_advice`]. Settlement waits for an
//! empty queue; after a restart an attempt that was in flight counts as
//! unanswered and the next attempt is a repeat.
//!
//! [`FileJournal`] persists the journal atomically after every change, in a
//! file checked by SHA-256 and authenticated by a MAC under the journal key.
//!
//! # Reversals
//!
//! A request whose outcome the terminal cannot know (no answer, an answer
//! it cannot trust) may still have moved money at the host. The terminal
//! undoes it with a reversal (MTI 0400, or the 0420 advice), which carries
//! the original's STAN, amount, terminal and merchant so the host can find
//! it. The journal applies these rules:
//!
//! 1. **Armed before sending.** Every reversible transaction (purchase,
//!    void, pre-auth, pre-auth cancel, completion, completion void; a refund
//!    only where the [`JournalPolicy`] says so, since a UnionPay refund is a
//!    0220 advice that is never reversed) gets a reversal record in the same
//!    commit that records the request, *before* the bytes go out: a power
//!    loss between sending and recording would otherwise leave a charge
//!    nobody can undo. Balance inquiries and network management messages
//!    move no money and get none.
//! 2. **Outcome.** Any answer the terminal can trust (any DE 39) disarms the
//!    record. Otherwise it becomes due, with its reason as DE 39 of the
//!    reversal ([`ReversalReason`]): `98` for no answer in time, `A0` for an
//!    answer whose MAC failed, `06` when the chip card declines after the
//!    host approved. An authorization code received on the way is kept in
//!    the record (DE 38), because the host matches on it too.
//! 3. **Sent first.** While a reversal is due, no new financial message (and
//!    no settlement) may begin ([`JournalError::ReversalPending`]); sign-on
//!    and echo still may. A reversal is sent up to 1 + `reversal_resends`
//!    times (UnionPay terminals: 3 attempts). Any answer ends it; when every
//!    attempt goes unanswered it is left flagged as failed and the original
//!    stays *uncertain* for the merchant to reconcile by hand.
//! 4. **Repeats keep their identity.** A resent reversal, or a resent advice
//!    (0420 → 0421, 0220 → 0221), reuses the original STAN and content, only
//!    the MTI's last digit changes, so the host recognizes it.
//!
//! # Business rules
//!
//! [`Journal::begin`] refuses a request that breaks one of these, before a
//! STAN is spent:
//!
//! 1. **Void** only an approved purchase or online completion of the *open*
//!    batch (a settled batch is closed for voids), on the same terminal and
//!    merchant, not already voided, for exactly the original amount.
//! 2. **Refund** up to what is left of the original: its amount minus the
//!    refunds already approved. A refund may target an earlier batch.
//! 3. Nothing voids, refunds or completes a **reversed or declined**
//!    transaction: the reversal or the decline ended it.
//! 4. **Pre-auth:** a completion may not exceed the pre-authorized amount
//!    (plus the policy's tolerance); a cancel is for the pre-authorized
//!    amount exactly.
//! 5. **Settlement** first requires every due reversal to be answered; after
//!    it the batch closes and the next one opens.
//! 6. An **uncertain** transaction (sent, no trustworthy answer) is reversed,
//!    never retried as a new purchase under a new STAN, and never shown as
//!    approved.
//! 7. **STAN:** six digits, 000001-999999 then back to 000001 (skipping any
//!    still in use), one per new message; reversals and repeats reuse the
//!    original's.
//! 8. **Sign-on first:** no financial message before a successful sign-on
//!    ([`JournalError::NotSignedOn`]).
#![forbid(unsafe_code)]

mod advice;
mod batch;
mod book;
mod error;
pub(crate) mod file;
pub(crate) mod hex;
mod invariants;
mod key;
mod kind;
mod outcome;
#[cfg(feature = "tokio")]
pub(crate) use outcome::check_response_code;
mod policy;
mod queue;
mod request;
mod reversal;
mod rules;
mod saf;
mod saved;
mod sealed;
mod stan;
mod state;

#[cfg(test)]
mod at_rest_tests;
#[cfg(test)]
mod begin_check_tests;
#[cfg(test)]
mod compat_tests;
#[cfg(test)]
mod crash_tests;
#[cfg(test)]
mod flow_tests;
#[cfg(all(test, unix))]
mod kill_tests;
#[cfg(test)]
mod prop_tests;
#[cfg(test)]
#[allow(clippy::panic)]
mod rules_tests;
#[cfg(test)]
mod saf_tests;
#[cfg(test)]
mod test_support;

/// Debug stand-in for request bytes: shows only how many there are.
pub(crate) struct Redacted(pub(crate) usize);

impl core::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "<{} bytes, not shown>", self.0)
    }
}

impl Redacted {
    /// The stand-in for optional bytes.
    pub(crate) fn of(bytes: Option<&Vec<u8>>) -> Option<Redacted> {
        bytes.map(|b| Redacted(b.len()))
    }
}

pub use advice::{
    AdviceJob, AdviceKind, AdviceOutcome, AdviceRecord, ExpiredAdvice, ExpiryReason, repeat_mti,
};
pub use batch::{BatchSummary, ClosedBatch, HISTORY_LEN, Totals, next_batch};
pub use book::{BATCH_MAX, Journal, Phase};
pub use error::JournalError;
pub use file::{FORMAT_VERSION, FileJournal};
pub use key::{JournalKey, KeyError, SoftwareKey};
pub use kind::{SettlementSide, TxnKind};
pub use policy::{AdviceVerdict, JournalPolicy};
pub use request::{NewTxn, OriginalInfo, Ticket};
pub use reversal::{ReversalJob, ReversalReason, ReversalRecord, ReversalStatus};
pub use saved::CARD_DATA_FIELDS;
pub use sealed::{OriginalMessages, SealedPan};
pub use stan::{STAN_MAX, Stan, StanAllocator};
pub use state::{OriginalRef, TxnRecord, TxnState};
