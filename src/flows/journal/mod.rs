//! Terminal journal: the bookkeeping side of the POS flows.
//!
//! The journal decides, before anything is transmitted, whether a request
//! may go and records it together with its reversal-to-be, so that a power
//! loss at any point leaves enough on disk to reverse or reconcile
//! (reference `pos-flows.md` §3.3 and §4). It works on plain values (STAN,
//! amounts, response codes, encoded request bytes): the message builders
//! call it, it never parses ISO messages.
//!
//! The order is fixed by the API:
//!
//! 1. [`Journal::begin`] checks the gates (pending reversal first, sign-on,
//!    settlement) and the business rules, allocates the STAN, lets the
//!    caller encode the request with it, and records both the transaction
//!    ([`TxnState::Sent`]) and its armed reversal before returning the bytes
//!    to transmit.
//! 2. The outcome is reported with [`Journal::on_response`],
//!    [`Journal::on_timeout`], [`Journal::on_mac_failure`] or
//!    [`Journal::on_card_declined_after_approval`].
//! 3. While [`Journal::next_reversal`] returns a job, nothing but sign-on
//!    and echo may begin; the job is reported with
//!    [`Journal::on_reversal_sent`] and then
//!    [`Journal::on_reversal_response`] or
//!    [`Journal::on_reversal_no_response`].
//! 4. [`Journal::settle`] then [`Journal::close_batch`] end the batch.
//!
//! [`FileJournal`] persists the journal atomically after every change.
#![forbid(unsafe_code)]

mod batch;
mod book;
mod error;
pub(crate) mod file;
pub(crate) mod hex;
mod invariants;
mod kind;
mod outcome;
mod policy;
mod queue;
mod request;
mod reversal;
mod rules;
mod stan;
mod state;

#[cfg(test)]
mod crash_tests;
#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod prop_tests;
#[cfg(test)]
#[allow(clippy::panic)]
mod rules_tests;
#[cfg(test)]
mod test_support;

/// Debug stand-in for request bytes: shows only how many there are.
pub(crate) struct Redacted(pub(crate) usize);

impl core::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "<{} bytes, not shown>", self.0)
    }
}

pub use batch::{BatchSummary, ClosedBatch, HISTORY_LEN, Totals, next_batch};
pub use book::{BATCH_MAX, Journal, Phase};
pub use error::JournalError;
pub use file::{FORMAT_VERSION, FileJournal};
pub use kind::{SettlementSide, TxnKind};
pub use policy::JournalPolicy;
pub use request::{NewTxn, OriginalInfo, Ticket};
pub use reversal::{ReversalJob, ReversalReason, ReversalRecord, ReversalStatus};
pub use stan::{STAN_MAX, Stan, StanAllocator};
pub use state::{OriginalRef, TxnRecord, TxnState};
