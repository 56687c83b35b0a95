//! Where the host ledger keeps its entries.
//!
//! A [`LedgerStore`] loads the entries a request can touch, hands them to the
//! ledger's rules (one function, the same for every store) and persists the
//! outcome, all as one atomic step: two requests that touch the same entries
//! are decided one after the other, whichever host process they reached.
//!
//! - [`MemoryStore`]: a map behind a mutex, the default (tests, demos, a
//!   single process).
//! - `PgStore` (feature `postgres`): PostgreSQL, shared by any number of
//!   host processes; schema in `sql/migrations/`, applied on connect.
//!
//! A store on another database implements the same trait; the contract
//! below is what it must keep (one transaction per decision, answer only
//! after commit).

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::flows::host::decide::{Outcome, Snapshot};
use crate::flows::host::key::MatchKey;
use crate::flows::host::record::{EntryClass, Record, SettledEntry};
use crate::flows::host::request::HostDecision;

mod interner;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;

pub use memory::{MemoryState, MemoryStore};
#[cfg(feature = "postgres")]
pub use postgres::{Advice, MIGRATIONS, PgOptions, PgStore};

/// A boxed future returned by [`LedgerStore`] methods.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The ledger's rules as a store calls them: from the loaded entries to the
/// outcome. A store may call it more than once (after a serialization
/// conflict); only the outcome of the call whose transaction commits counts.
pub type DecideFn<'a> = &'a (dyn Fn(&Snapshot) -> Outcome + Send + Sync);

/// Which entries a request can touch, by class and matching key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lookup {
    /// The request's own class and key (resends).
    pub class: EntryClass,
    /// The request's own matching key.
    pub key: MatchKey,
    /// The original's matching key (financial class): voids, refunds,
    /// reversals. The original's own original is loaded as
    /// [`Snapshot::grand`].
    pub original: Option<MatchKey>,
    /// For a financial request, its own key again: a reversal recorded
    /// against it is loaded as [`Snapshot::reversal`].
    pub reversal_target: Option<MatchKey>,
}

/// Why a store could not decide a request. Every one of these is answered
/// with the profile's retryable decline, and nothing was approved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached (connection refused or lost, pool
    /// timeout, request timeout). Retrying later may succeed.
    #[error("ledger store unavailable during {operation}: {detail}")]
    Unavailable {
        /// What was being done (`decide`, `settle`, `migrate`, ...).
        operation: &'static str,
        /// The driver's description.
        detail: String,
    },
    /// Conflicting concurrent transactions kept aborting this one.
    #[error("ledger store: {operation} still conflicting after {attempts} attempts")]
    Conflict {
        /// What was being done.
        operation: &'static str,
        /// How many times it was tried.
        attempts: u32,
    },
    /// The store holds something the ledger cannot read.
    #[error("ledger store: entry {entry}: column {column}: {detail}")]
    Corrupt {
        /// Which entry (class and key), as the store names it.
        entry: String,
        /// Which column or field.
        column: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// Any other store failure (a migration, SQL error, bad URL).
    #[error("ledger store: {operation}: {detail}")]
    Failed {
        /// What was being done.
        operation: &'static str,
        /// The driver's description.
        detail: String,
    },
}

impl StoreError {
    /// Whether the request may be retried by the terminal as it is.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable { .. } | StoreError::Conflict { .. }
        )
    }
}

/// A place to keep the host ledger's entries.
///
/// The ledger's decisions are made by one function (the `decide` argument);
/// a store only loads, locks and persists. Implementations must run
/// [`transact`](Self::transact) atomically: no other request that touches the
/// same entries (by class and matching key, or as original) may be decided
/// between its load and its write, and the answer is returned only once the
/// outcome is durable in the store.
pub trait LedgerStore: Send + Sync + fmt::Debug {
    /// Loads what `lookup` names, calls `decide`, writes the outcome (the new
    /// entry, with RRN and authorization code assigned when
    /// [`Outcome::assign_rrn`]; the changed entries), and returns the answer.
    fn transact<'a>(
        &'a self,
        lookup: &'a Lookup,
        now: u64,
        decide: DecideFn<'a>,
    ) -> StoreFuture<'a, HostDecision>;

    /// Marks every unsettled entry of `terminal`'s `batch` settled at `now`
    /// and returns them.
    fn settle<'a>(
        &'a self,
        terminal: &'a str,
        batch: Option<u32>,
        now: u64,
    ) -> StoreFuture<'a, Vec<SettledEntry>>;

    /// The approved financial entry that received `rrn`, if still kept.
    fn find_by_rrn<'a>(&'a self, rrn: &'a str) -> StoreFuture<'a, Option<Record>>;

    /// Removes entries settled at or before `settled_before`; returns how
    /// many.
    fn prune(&self, settled_before: u64) -> StoreFuture<'_, u64>;

    /// How many entries are kept.
    fn len(&self) -> StoreFuture<'_, u64>;

    /// Whether no entry is kept.
    fn is_empty(&self) -> StoreFuture<'_, bool> {
        let len = self.len();
        Box::pin(async move { Ok(len.await? == 0) })
    }

    /// The fingerprint kept for a request's content: [`digest`] for the
    /// stores of this crate, so that no card data is kept.
    fn fingerprint(&self, content: &[u8]) -> Vec<u8>;
}

/// The fingerprint every store keeps for a request's content: its SHA-256.
/// Resends are told apart from different requests under the same key just as
/// well as with the content itself, and no card data is kept (the content is
/// the request as received, PAN and track included).
pub fn digest(content: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(content).to_vec()
}

/// The store a host is configured with: in memory without `db`, PostgreSQL
/// at the URL `db` (feature `postgres`; migrations applied on connect).
/// What a host's `--db` option needs in one call.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use iso8583_wire::flows::host::{HostConfig, SharedLedger, store::open};
/// let config = HostConfig::generic();
/// let store = open(None, &config).await?; // in memory
/// let ledger = SharedLedger::with_store(config, store);
/// # Ok::<(), iso8583_wire::flows::host::StoreError>(()) }).unwrap();
/// ```
pub async fn open(
    db: Option<&str>,
    config: &crate::flows::host::HostConfig,
) -> Result<std::sync::Arc<dyn LedgerStore>, StoreError> {
    let Some(url) = db else {
        return Ok(std::sync::Arc::new(MemoryStore::new(config.profile)));
    };
    #[cfg(feature = "postgres")]
    {
        let store = PgStore::connect(PgOptions::new(url), config.profile).await?;
        Ok(std::sync::Arc::new(store))
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = url;
        Err(StoreError::Failed {
            operation: "open",
            detail: "a database URL needs the `postgres` feature".into(),
        })
    }
}
