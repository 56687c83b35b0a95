//! Host side: an acquiring-host matcher/simulator for tests and demos.
//!
//! [`HostLedger`] answers requests given as plain values ([`HostRequest`])
//! with the response codes a host uses for duplicates (`94`), unknown
//! originals (`25`), invalid voids (`12`), amount mismatches (`64`),
//! over-refunds (`13`/`64`) and insufficient funds (`51`), and compares a
//! terminal's settlement totals with its own (reference §2.4, §4.8).
#![forbid(unsafe_code)]

mod config;
mod key;
mod ledger;
mod request;

pub use config::HostConfig;
pub use key::{KeyProfile, MatchKey, TxnKey};
pub use ledger::HostLedger;
pub use request::{HostDecision, HostRequest, HostTxnKind, SettlementCheck};

#[cfg(test)]
mod ledger_tests;
