//! The host's ledger: duplicate detection, original matching, settlement.

use crate::flows::host::key::TxnKey;
use std::collections::BTreeMap;

use crate::flows::host::config::HostConfig;
use crate::flows::host::key::MatchKey;
use crate::flows::host::request::{HostDecision, HostRequest, HostTxnKind, SettlementCheck};
use crate::flows::journal::{SettlementSide, Totals};

/// Whether an entry is a financial request or a reversal of one: both
/// share the original's key on UnionPay (a reversal reuses the STAN).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum MsgClass {
    Financial,
    Reversal,
}

/// Where a financial entry stands at the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryState {
    Approved,
    Declined,
    Voided,
    Reversed,
}

#[derive(Clone, Debug)]
struct Entry {
    request: HostRequest,
    decision: HostDecision,
    state: EntryState,
    refunded: u64,
    settled: bool,
}

/// An acquiring-host simulator that matches requests the way a host does.
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
    entries: BTreeMap<(MsgClass, MatchKey), Entry>,
    sequence: u64,
}

impl HostLedger {
    /// An empty ledger.
    pub fn new(config: HostConfig) -> HostLedger {
        HostLedger {
            config,
            entries: BTreeMap::new(),
            sequence: 0,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Answers one request and records its effect.
    ///
    /// - identical resend (same key and content) -> the first answer again;
    /// - same key, different content -> `94`, nothing recorded;
    /// - reversal of an unknown original (or different amount) -> `25`;
    ///   repeated reversal -> the first answer, undone only once;
    /// - void or refund of an unknown original -> `25`; void after the
    ///   original's batch was settled, or of a declined, voided, reversed or
    ///   refunded original -> `12`; void amount differing -> `64`;
    /// - refund above the remaining amount -> the configured code;
    /// - purchase above the configured limit -> `51`.
    pub fn on_request(&mut self, req: HostRequest) -> HostDecision {
        let class = match req.kind {
            HostTxnKind::Reversal => MsgClass::Reversal,
            _ => MsgClass::Financial,
        };
        let key = (class, self.config.profile.match_key(&req.key));
        if let Some(previous) = self.entries.get(&key) {
            return if self.same_request(&previous.request, &req) {
                HostDecision {
                    replayed: true,
                    ..previous.decision.clone()
                }
            } else {
                HostDecision::code("94")
            };
        }
        let (decision, state) = match req.kind {
            HostTxnKind::Purchase => self.purchase(&req),
            HostTxnKind::Void => self.void(&req),
            HostTxnKind::Refund => self.refund(&req),
            HostTxnKind::Reversal => self.reversal(&req),
        };
        self.entries.insert(
            key,
            Entry {
                request: req,
                decision: decision.clone(),
                state,
                refunded: 0,
                settled: false,
            },
        );
        decision
    }

    /// The key of the approved financial transaction that received retrieval reference
    /// number `rrn` (how a UnionPay refund names its original).
    pub fn key_by_rrn(&self, rrn: &str) -> Option<TxnKey> {
        self.entries.iter().find_map(|((class, _), entry)| {
            (*class == MsgClass::Financial && entry.decision.rrn.as_deref() == Some(rrn))
                .then(|| entry.request.key.clone())
        })
    }

    /// Compares a terminal's totals for `batch` with the host's, then marks
    /// the batch's entries settled (no more voids against them).
    pub fn settle(
        &mut self,
        terminal: &str,
        batch: Option<u32>,
        totals: &Totals,
    ) -> SettlementCheck {
        let mut host_totals = Totals::default();
        for ((class, _), entry) in self.entries.iter_mut() {
            let key = &entry.request.key;
            if *class != MsgClass::Financial
                || key.terminal != terminal
                || key.batch != batch
                || entry.settled
            {
                continue;
            }
            entry.settled = true;
            if entry.state != EntryState::Approved {
                continue;
            }
            match entry.request.kind {
                HostTxnKind::Purchase => {
                    host_totals.add(SettlementSide::Debit, entry.request.amount)
                }
                HostTxnKind::Refund => {
                    host_totals.add(SettlementSide::Credit, entry.request.amount)
                }
                _ => {}
            }
        }
        SettlementCheck {
            balanced: host_totals == *totals,
            host_totals,
        }
    }

    fn same_request(&self, a: &HostRequest, b: &HostRequest) -> bool {
        let profile = self.config.profile;
        let originals_match = match (&a.original_key, &b.original_key) {
            (Some(x), Some(y)) => profile.match_key(x) == profile.match_key(y),
            (None, None) => true,
            _ => false,
        };
        let content_match = a.kind == HostTxnKind::Reversal || a.content == b.content;
        a.kind == b.kind && a.amount == b.amount && originals_match && content_match
    }

    fn approve(&mut self) -> HostDecision {
        self.sequence += 1;
        HostDecision {
            response_code: String::from("00"),
            rrn: Some(format!("{:012}", self.sequence % 1_000_000_000_000)),
            auth_code: Some(format!("{:06}", self.sequence % 1_000_000)),
            replayed: false,
        }
    }

    fn purchase(&mut self, req: &HostRequest) -> (HostDecision, EntryState) {
        if req.amount > self.config.purchase_limit {
            return (HostDecision::code("51"), EntryState::Declined);
        }
        (self.approve(), EntryState::Approved)
    }

    fn original_mut(&mut self, req: &HostRequest) -> Option<&mut Entry> {
        let original = req.original_key.as_ref()?;
        let key = (MsgClass::Financial, self.config.profile.match_key(original));
        self.entries.get_mut(&key)
    }

    fn void(&mut self, req: &HostRequest) -> (HostDecision, EntryState) {
        let declined = |code| (HostDecision::code(code), EntryState::Declined);
        let Some(original) = self.original_mut(req) else {
            return declined("25");
        };
        if original.settled
            || original.request.kind != HostTxnKind::Purchase
            || original.state != EntryState::Approved
            || original.refunded > 0
        {
            return declined("12");
        }
        if original.request.amount != req.amount {
            return declined("64");
        }
        original.state = EntryState::Voided;
        (self.approve(), EntryState::Approved)
    }

    fn refund(&mut self, req: &HostRequest) -> (HostDecision, EntryState) {
        let over_code = self.config.refund_over_code.clone();
        let declined = |code: &str| (HostDecision::code(code), EntryState::Declined);
        let Some(original) = self.original_mut(req) else {
            return declined("25");
        };
        if original.request.kind != HostTxnKind::Purchase || original.state != EntryState::Approved
        {
            return declined("12");
        }
        let remaining = original.request.amount.saturating_sub(original.refunded);
        if req.amount > remaining {
            return declined(&over_code);
        }
        original.refunded = original.refunded.saturating_add(req.amount);
        (self.approve(), EntryState::Approved)
    }

    /// Undoes the original's effect once. The reversal entry itself is
    /// recorded by the caller, so a repeat never reaches this again.
    fn reversal(&mut self, req: &HostRequest) -> (HostDecision, EntryState) {
        let original_key = req.original_key.clone().unwrap_or_else(|| req.key.clone());
        let key = (
            MsgClass::Financial,
            self.config.profile.match_key(&original_key),
        );
        let Some(original) = self.entries.get(&key) else {
            return (HostDecision::code("25"), EntryState::Declined);
        };
        if original.request.amount != req.amount {
            return (HostDecision::code("25"), EntryState::Declined);
        }
        if original.settled {
            return (HostDecision::code("12"), EntryState::Declined);
        }
        let was_approved = original.state == EntryState::Approved;
        let kind = original.request.kind;
        let amount = original.request.amount;
        let grand_original = original.request.original_key.clone();
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.state = EntryState::Reversed;
        }
        if was_approved && let Some(grand) = grand_original {
            let grand_key = (MsgClass::Financial, self.config.profile.match_key(&grand));
            if let Some(target) = self.entries.get_mut(&grand_key) {
                match kind {
                    HostTxnKind::Void if target.state == EntryState::Voided => {
                        target.state = EntryState::Approved;
                    }
                    HostTxnKind::Refund => target.refunded = target.refunded.saturating_sub(amount),
                    _ => {}
                }
            }
        }
        (HostDecision::code("00"), EntryState::Approved)
    }
}
