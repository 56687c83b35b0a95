//! Host side: an acquiring-host ledger for tests, demos and real hosts.
//!
//! [`HostLedger`] (in memory, synchronous) and [`SharedLedger`] (async, over
//! any [`LedgerStore`], in memory by default)
//! answer requests given as plain values ([`HostRequest`]) with the response
//! codes a host uses for duplicates (`94`), unknown originals (`25`), invalid
//! voids (`12`), amount mismatches (`64`), over-refunds (`13`/`64`) and
//! insufficient funds (`51`), and compare a terminal's settlement totals with
//! their own. Both follow one set of rules (see [`HostLedger`]); a store only
//! loads and persists.
#![forbid(unsafe_code)]

mod config;
mod decide;
mod key;
mod ledger;
mod record;
mod request;
mod shared;
pub mod store;

pub use config::HostConfig;
pub use decide::{Outcome, Snapshot, decide};
pub use key::{KeyProfile, MatchKey, TxnKey};
pub use ledger::HostLedger;
pub use record::{EntryClass, EntryState, Record, SettledEntry};
pub use request::{HostDecision, HostRequest, HostTxnKind, SettlementCheck};
pub use shared::SharedLedger;
pub use store::{LedgerStore, Lookup, MemoryStore, StoreError};

#[cfg(test)]
mod ledger_props;
#[cfg(test)]
mod ledger_tests;
