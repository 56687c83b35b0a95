//! The ledger shared by tasks, over any store.

use std::sync::Arc;

use crate::flows::host::config::HostConfig;
use crate::flows::host::decide::decide;
use crate::flows::host::key::TxnKey;
use crate::flows::host::ledger::{lookup_for, rrn_match, totals_of, unix_now};
use crate::flows::host::request::{HostDecision, HostRequest, SettlementCheck};
use crate::flows::host::store::{LedgerStore, MemoryStore, StoreError};
use crate::flows::journal::Totals;

/// The host ledger over any [`LedgerStore`], for async hosts: cheap to clone
/// (one store behind an `Arc`), every method takes `&self`; build it with
/// [`memory`](Self::memory) or [`with_store`](Self::with_store).
///
/// The rules are those of [`HostLedger`](crate::flows::host::HostLedger).
/// When the store fails (unreachable, conflicting past its retries), the
/// request is answered with [`HostConfig::unavailable_code`], a retryable
/// decline, and nothing is approved: an approval is returned only after the
/// store has recorded it.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use iso8583_wire::flows::host::{HostConfig, HostRequest, HostTxnKind, SharedLedger, TxnKey};
/// let ledger = SharedLedger::memory(HostConfig::generic());
/// let req = HostRequest::new(HostTxnKind::Purchase, TxnKey::new("T1", "M1", None, 1), 500);
/// assert_eq!(ledger.on_request(&req).await.response_code, "00");
/// assert!(ledger.on_request(&req).await.replayed);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct SharedLedger {
    config: Arc<HostConfig>,
    store: Arc<dyn LedgerStore>,
}

impl SharedLedger {
    /// A ledger on an in-memory store.
    pub fn memory(config: HostConfig) -> SharedLedger {
        let store = Arc::new(MemoryStore::new(config.profile));
        SharedLedger::with_store(config, store)
    }

    /// A ledger on `store`.
    pub fn with_store(config: HostConfig, store: Arc<dyn LedgerStore>) -> SharedLedger {
        SharedLedger {
            config: Arc::new(config),
            store,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// The store behind the ledger.
    pub fn store(&self) -> &Arc<dyn LedgerStore> {
        &self.store
    }

    /// Answers one request arriving now; a store failure is the retryable
    /// decline.
    pub async fn on_request(&self, req: &HostRequest) -> HostDecision {
        self.on_request_at(req, unix_now()).await
    }

    /// [`on_request`](Self::on_request) at `now` (seconds since the Unix
    /// epoch).
    pub async fn on_request_at(&self, req: &HostRequest, now: u64) -> HostDecision {
        match self.try_request_at(req, now).await {
            Ok(d) => d,
            Err(_) => HostDecision::code(&self.config.unavailable_code),
        }
    }

    /// Answers one request, or says why the store could not record it.
    pub async fn try_request_at(
        &self,
        req: &HostRequest,
        now: u64,
    ) -> Result<HostDecision, StoreError> {
        let lookup = lookup_for(&self.config, req);
        let fingerprint = self.store.fingerprint(&req.content);
        let config = &*self.config;
        let fp = fingerprint.as_slice();
        self.store
            .transact(&lookup, now, &|snap| decide(config, req, fp, snap, now))
            .await
    }

    /// The key of `terminal`'s and `merchant`'s approved financial
    /// transaction that received `rrn`.
    pub async fn key_by_rrn(
        &self,
        rrn: &str,
        terminal: &str,
        merchant: &str,
    ) -> Result<Option<TxnKey>, StoreError> {
        let rec = self.store.find_by_rrn(rrn).await?;
        Ok(rec.and_then(|r| rrn_match(&r, terminal, merchant)))
    }

    /// Compares a terminal's totals for `batch` with the host's, marks the
    /// batch settled at `now` and prunes.
    pub async fn settle_at(
        &self,
        terminal: &str,
        batch: Option<u32>,
        totals: &Totals,
        now: u64,
    ) -> Result<SettlementCheck, StoreError> {
        let entries = self.store.settle(terminal, batch, now).await?;
        self.prune(now).await?;
        let host_totals = totals_of(&entries);
        Ok(SettlementCheck {
            balanced: host_totals == *totals,
            host_totals,
        })
    }

    /// [`settle_at`](Self::settle_at) now.
    pub async fn settle(
        &self,
        terminal: &str,
        batch: Option<u32>,
        totals: &Totals,
    ) -> Result<SettlementCheck, StoreError> {
        self.settle_at(terminal, batch, totals, unix_now()).await
    }

    /// Drops entries settled more than
    /// [`HostConfig::keep_after_settlement`] before `now`.
    pub async fn prune(&self, now: u64) -> Result<u64, StoreError> {
        match now.checked_sub(self.config.keep_after_settlement()) {
            Some(before) => self.store.prune(before).await,
            None => Ok(0),
        }
    }
}
