//! The host's ledger: duplicate detection, original matching, settlement,
//! retention. The rules are in `decide`; this module feeds them.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::flows::host::config::HostConfig;
use crate::flows::host::decide::decide;
use crate::flows::host::key::TxnKey;
use crate::flows::host::record::{EntryClass, EntryState, Record, SettledEntry};
use crate::flows::host::request::{HostDecision, HostRequest, HostTxnKind, SettlementCheck};
use crate::flows::host::store::{Lookup, MemoryState};
use crate::flows::journal::{SettlementSide, Totals};

/// Seconds since the Unix epoch by the system clock (0 if it is set before
/// 1970).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The entries `req` can touch.
pub(crate) fn lookup_for(config: &HostConfig, req: &HostRequest) -> Lookup {
    let class = EntryClass::of(req.kind);
    let key = config.profile.match_key(&req.key);
    let original = match req.kind {
        HostTxnKind::Purchase => None,
        HostTxnKind::Reversal => Some(
            config
                .profile
                .match_key(req.original_key.as_ref().unwrap_or(&req.key)),
        ),
        _ => req
            .original_key
            .as_ref()
            .map(|k| config.profile.match_key(k)),
    };
    let reversal_target = (class == EntryClass::Financial).then(|| key.clone());
    Lookup {
        class,
        key,
        original,
        reversal_target,
    }
}

/// The host's totals over a batch's settled entries.
pub(crate) fn totals_of(entries: &[SettledEntry]) -> Totals {
    let mut totals = Totals::default();
    for e in entries {
        if e.class != EntryClass::Financial || e.state != EntryState::Approved {
            continue;
        }
        match e.kind {
            HostTxnKind::Purchase => totals.add(SettlementSide::Debit, e.amount),
            HostTxnKind::Refund => totals.add(SettlementSide::Credit, e.amount),
            _ => {}
        }
    }
    totals
}

/// Whether `rec` can be named by its RRN: a financial entry that was not
/// declined.
pub(crate) fn rrn_entry(rec: &Record) -> bool {
    rec.class == EntryClass::Financial && rec.state != EntryState::Declined
}

/// The original's key, if `rec` is an approved financial entry of
/// `terminal` and `merchant`.
pub(crate) fn rrn_match(rec: &Record, terminal: &str, merchant: &str) -> Option<TxnKey> {
    (rrn_entry(rec) && rec.key.terminal == terminal && rec.key.merchant == merchant)
        .then(|| rec.key.clone())
}

/// An in-process acquiring-host ledger that matches requests the way a host
/// does, in memory (see [`SharedLedger`](crate::flows::host::SharedLedger)
/// for one shared by tasks, over any store).
///
/// Rules (one function for every store):
///
/// - identical resend (same key and content) -> the first answer again;
///   same key, different content -> `94`, nothing recorded;
/// - reversal of an unknown original -> `00`, remembered for
///   [`HostConfig::early_reversal_window`]: the original, if it arrives in
///   that window, is declined ([`HostConfig::late_original_code`], `12` by
///   default); the terminal had already reversed it, so declining moves no
///   money. Reversal with a different amount -> `25`; repeated reversal ->
///   the first answer, undone only once;
/// - void or refund of an unknown original -> `25` (a refund whose original
///   belongs to another merchant, or on UnionPay another terminal, is
///   unknown to it); void after the original's batch was settled, or of a
///   declined, voided, reversed or refunded original -> `12`; void amount
///   differing -> `64`;
/// - refund above the remaining amount -> the configured code; partial
///   refunds add up to at most the purchase amount;
/// - reversal of a purchase that has any approved refund, or that was voided
///   -> `12` (undo the refunds by reversing them); reversal of a void makes
///   its purchase live again; reversal of a refund gives its amount back to
///   the purchase's remainder;
/// - purchase above the configured limit -> `51`.
///
/// Settlement marks a batch's entries settled; [`prune`](Self::prune) (run
/// after every settlement) drops entries settled longer ago than
/// [`HostConfig::keep_after_settlement`], so memory stays bounded under
/// steady traffic that settles.
///
/// ```
/// use iso8583_wire::flows::host::{HostConfig, HostLedger, HostRequest, HostTxnKind, TxnKey};
///
/// let mut host = HostLedger::new(HostConfig::cup().with_purchase_limit(10_000));
/// let key = TxnKey::new("T1", "M1", Some(1), 1);
/// let purchase = HostRequest::new(HostTxnKind::Purchase, key.clone(), 2_000).with_content(*b"p");
/// let first = host.on_request(purchase.clone());
/// assert_eq!(first.response_code, "00");
/// // A resend with the same key and content gets the same answer.
/// let again = host.on_request(purchase);
/// assert_eq!((again.rrn, again.replayed), (first.rrn, true));
/// // A reversal reuses the key: it matches the purchase and undoes it.
/// let reversal = HostRequest::new(HostTxnKind::Reversal, key, 2_000);
/// assert_eq!(host.on_request(reversal).response_code, "00");
/// ```
#[derive(Clone, Debug)]
pub struct HostLedger {
    config: HostConfig,
    state: MemoryState,
}

impl HostLedger {
    /// An empty ledger.
    pub fn new(config: HostConfig) -> HostLedger {
        HostLedger {
            state: MemoryState::new(config.profile),
            config,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// How many entries the ledger keeps.
    pub fn len(&self) -> usize {
        self.state.len()
    }

    /// Whether the ledger keeps nothing.
    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }

    /// Answers one request arriving now and records its effect.
    pub fn on_request(&mut self, req: HostRequest) -> HostDecision {
        self.on_request_at(req, unix_now())
    }

    /// Answers one request arriving at `now` (seconds since the Unix epoch).
    pub fn on_request_at(&mut self, req: HostRequest, now: u64) -> HostDecision {
        let lookup = lookup_for(&self.config, &req);
        let config = &self.config;
        let fingerprint = crate::flows::host::store::digest(&req.content);
        let fp = fingerprint.as_slice();
        self.state
            .transact(&lookup, &|snap| decide(config, &req, fp, snap, now))
    }

    /// The key of the approved financial transaction of `terminal` and
    /// `merchant` that received retrieval reference number `rrn` (how a
    /// UnionPay refund names its original). Another terminal's or merchant's
    /// transaction is not found.
    pub fn key_by_rrn(&self, rrn: &str, terminal: &str, merchant: &str) -> Option<&TxnKey> {
        self.state.key_by_rrn(rrn, terminal, merchant)
    }

    /// Compares a terminal's totals for `batch` with the host's, then marks
    /// the batch's entries settled (no more voids against them) and prunes.
    pub fn settle(
        &mut self,
        terminal: &str,
        batch: Option<u32>,
        totals: &Totals,
    ) -> SettlementCheck {
        self.settle_at(terminal, batch, totals, unix_now())
    }

    /// [`settle`](Self::settle) at `now`.
    pub fn settle_at(
        &mut self,
        terminal: &str,
        batch: Option<u32>,
        totals: &Totals,
        now: u64,
    ) -> SettlementCheck {
        let entries = self.state.settle(terminal, batch, now);
        self.prune(now);
        let host_totals = totals_of(&entries);
        SettlementCheck {
            balanced: host_totals == *totals,
            host_totals,
        }
    }

    /// Drops entries settled more than
    /// [`HostConfig::keep_after_settlement`] before `now`; returns how many.
    pub fn prune(&mut self, now: u64) -> u64 {
        match now.checked_sub(self.config.keep_after_settlement()) {
            Some(before) => self.state.prune(before),
            None => 0,
        }
    }
}
