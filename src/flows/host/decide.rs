//! The ledger's rules, in one place: given a request and the entries it can
//! touch, what to answer and what to record. Stores only load and persist.
//!
//! Rules, in order:
//!
//! - identical resend (same class, key, kind, amount, original and content)
//!   gets the first answer again (`replayed`); same key with anything else
//!   different is `94` and records nothing;
//! - an original (purchase, void, refund) whose reversal arrived first, within
//!   the early-reversal window, is declined (`late_original_code`). Declining
//!   rather than approving and flagging it for reversal: the terminal already
//!   reversed it and told the customer the sale failed, so declining moves no
//!   money, while approve-and-flag charges the customer until a second step,
//!   which can itself fail, undoes it;
//! - purchase above the limit -> `51`;
//! - void: unknown original `25`; original not an approved, unrefunded,
//!   unsettled purchase `12`; amount differing `64`;
//! - refund: unknown original, or one of another merchant or terminal, `25`;
//!   original not an approved purchase `12`; above what is left after
//!   earlier refunds -> `refund_over_code`. Refunds may be partial and
//!   several, up to the purchase amount in all;
//! - reversal of an unknown original -> `00` and remembered as pending (see
//!   above); amount differing `25`; settled original `12`; a purchase with
//!   any approved refund `12` (refunds are undone by reversing the refunds;
//!   reversing the purchase as well would pay the customer twice); a voided
//!   purchase `12` (the void already undid it: only one of the two takes
//!   effect); a declined or already reversed original `00` with no effect;
//!   otherwise `00`: the original is marked reversed, a reversed void makes
//!   its purchase live again, a reversed refund gives back its amount to the
//!   purchase's refundable remainder;
//! - a repeated reversal that was pending when first answered takes effect
//!   once its original has arrived (after the window, when the late original
//!   was approved).

use crate::flows::host::config::HostConfig;
use crate::flows::host::record::{EntryClass, EntryState, Record};
use crate::flows::host::request::{HostDecision, HostRequest, HostTxnKind};

/// The entries a request can touch, as a store loaded them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Snapshot {
    /// The entry with the request's own class and key (a resend).
    pub existing: Option<Record>,
    /// The financial entry the request names as its original (void, refund,
    /// reversal).
    pub original: Option<Record>,
    /// The original's own original (the purchase of a reversed void or
    /// refund).
    pub grand: Option<Record>,
    /// A reversal recorded against this financial request's key.
    pub reversal: Option<Record>,
}

/// What to answer and what to record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// The answer. On an approval of a financial request the store fills in
    /// RRN and authorization code when it records `insert`.
    pub decision: HostDecision,
    /// The new entry, if the request is recorded.
    pub insert: Option<Record>,
    /// Existing entries whose state or refunded amount changed.
    pub updates: Vec<Record>,
    /// Whether the store must assign an RRN and authorization code.
    pub assign_rrn: bool,
}

impl Outcome {
    fn answer_only(decision: HostDecision) -> Outcome {
        Outcome {
            decision,
            insert: None,
            updates: Vec::new(),
            assign_rrn: false,
        }
    }
}

fn same_request(config: &HostConfig, prev: &Record, req: &HostRequest, fingerprint: &[u8]) -> bool {
    let profile = config.profile;
    let originals_match = match (&prev.original_key, &req.original_key) {
        (Some(x), Some(y)) => profile.match_key(x) == profile.match_key(y),
        (None, None) => true,
        _ => false,
    };
    let content_match = prev.kind == HostTxnKind::Reversal || prev.fingerprint == fingerprint;
    prev.kind == req.kind && prev.amount == req.amount && originals_match && content_match
}

/// Decides `req` against `snap` at time `now` (seconds since the Unix epoch).
/// `fingerprint` is the store's fingerprint of `req.content`.
pub fn decide(
    config: &HostConfig,
    req: &HostRequest,
    fingerprint: &[u8],
    snap: &Snapshot,
    now: u64,
) -> Outcome {
    if let Some(prev) = &snap.existing {
        if !same_request(config, prev, req, fingerprint) {
            return Outcome::answer_only(HostDecision::code("94"));
        }
        let mut out = Outcome::answer_only(HostDecision {
            replayed: true,
            ..prev.decision.clone()
        });
        if prev.state == EntryState::Pending && snap.original.is_some() {
            // The original arrived after the window and was approved: this
            // repeat makes the remembered reversal take effect.
            let mut fresh = reverse(snap, prev.clone(), now);
            if let Some(mut rec) = fresh.insert.take()
                && rec.decision.is_approved()
            {
                rec.decision = prev.decision.clone();
                fresh.updates.push(rec);
                out.updates = fresh.updates;
            }
        }
        return out;
    }
    let record = |decision: &HostDecision, state: EntryState| Record {
        class: EntryClass::of(req.kind),
        kind: req.kind,
        key: req.key.clone(),
        original_key: req.original_key.clone(),
        amount: req.amount,
        transmitted: req.transmitted.clone(),
        fingerprint: fingerprint.to_vec(),
        decision: decision.clone(),
        state,
        refunded: 0,
        received_at: now,
        settled_at: None,
    };
    let decline = |code: &str| {
        let decision = HostDecision::code(code);
        Outcome {
            insert: Some(record(&decision, EntryState::Declined)),
            ..Outcome::answer_only(decision)
        }
    };
    if req.kind != HostTxnKind::Reversal
        && let Some(rev) = &snap.reversal
        && rev.state == EntryState::Pending
        && now < rev.received_at.saturating_add(config.early_reversal_window)
    {
        let mut out = decline(&config.late_original_code);
        out.updates.push(Record {
            state: EntryState::Approved,
            ..rev.clone()
        });
        return out;
    }
    let approve = |updates: Vec<Record>| {
        let decision = HostDecision::code("00");
        Outcome {
            insert: Some(record(&decision, EntryState::Approved)),
            updates,
            assign_rrn: true,
            decision,
        }
    };
    match req.kind {
        HostTxnKind::Purchase => {
            if req.amount > config.purchase_limit {
                decline("51")
            } else {
                approve(Vec::new())
            }
        }
        HostTxnKind::Void => {
            let Some(original) = &snap.original else {
                return decline("25");
            };
            if original.settled_at.is_some()
                || original.kind != HostTxnKind::Purchase
                || original.state != EntryState::Approved
                || original.refunded > 0
            {
                return decline("12");
            }
            if original.amount != req.amount {
                return decline("64");
            }
            approve(vec![Record {
                state: EntryState::Voided,
                ..original.clone()
            }])
        }
        HostTxnKind::Refund => {
            let Some(original) = &snap.original else {
                return decline("25");
            };
            if original.key.merchant != req.key.merchant
                || (config.profile == crate::flows::host::KeyProfile::Cup
                    && original.key.terminal != req.key.terminal)
            {
                return decline("25");
            }
            if original.kind != HostTxnKind::Purchase || original.state != EntryState::Approved {
                return decline("12");
            }
            let remaining = original.amount.saturating_sub(original.refunded);
            if req.amount > remaining {
                return decline(&config.refund_over_code);
            }
            approve(vec![Record {
                refunded: original.refunded.saturating_add(req.amount),
                ..original.clone()
            }])
        }
        HostTxnKind::Reversal => reverse(
            snap,
            record(&HostDecision::code("00"), EntryState::Approved),
            now,
        ),
    }
}

/// A reversal's effect. `entry` is the reversal's record (fresh, or the
/// pending one of a repeat).
fn reverse(snap: &Snapshot, entry: Record, _now: u64) -> Outcome {
    let with = |code: &str, state: EntryState, updates: Vec<Record>| {
        let decision = HostDecision::code(code);
        Outcome {
            insert: Some(Record {
                decision: decision.clone(),
                state,
                ..entry.clone()
            }),
            updates,
            assign_rrn: false,
            decision,
        }
    };
    let Some(original) = &snap.original else {
        return with("00", EntryState::Pending, Vec::new());
    };
    if original.amount != entry.amount {
        return with("25", EntryState::Declined, Vec::new());
    }
    if original.settled_at.is_some() {
        return with("12", EntryState::Declined, Vec::new());
    }
    match original.state {
        EntryState::Declined | EntryState::Reversed | EntryState::Pending => {
            return with("00", EntryState::Approved, Vec::new());
        }
        EntryState::Voided => return with("12", EntryState::Declined, Vec::new()),
        EntryState::Approved => {}
    }
    if original.kind == HostTxnKind::Purchase && original.refunded > 0 {
        return with("12", EntryState::Declined, Vec::new());
    }
    let mut updates = vec![Record {
        state: EntryState::Reversed,
        ..original.clone()
    }];
    if let Some(grand) = &snap.grand {
        match original.kind {
            HostTxnKind::Void if grand.state == EntryState::Voided => updates.push(Record {
                state: EntryState::Approved,
                ..grand.clone()
            }),
            HostTxnKind::Refund => updates.push(Record {
                refunded: grand.refunded.saturating_sub(original.amount),
                ..grand.clone()
            }),
            _ => {}
        }
    }
    with("00", EntryState::Approved, updates)
}
