//! What the ledger remembers about one request, as a store keeps it.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::flows::journal::Redacted;

use crate::flows::host::key::TxnKey;
use crate::flows::host::request::{HostDecision, HostTxnKind};

/// Whether an entry is a financial request or a reversal of one: both share
/// the original's key on UnionPay (a reversal reuses the STAN), so the class
/// is part of the unique key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum EntryClass {
    /// Purchase, void or refund.
    Financial,
    /// Reversal of one of them.
    Reversal,
}

impl EntryClass {
    /// The class a request kind is recorded under.
    pub fn of(kind: HostTxnKind) -> EntryClass {
        match kind {
            HostTxnKind::Reversal => EntryClass::Reversal,
            _ => EntryClass::Financial,
        }
    }
}

/// Where an entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum EntryState {
    /// Approved and in effect (for a reversal: it took effect).
    Approved,
    /// Declined; no effect.
    Declined,
    /// A purchase a void undid.
    Voided,
    /// A financial entry a reversal undid.
    Reversed,
    /// A reversal whose original had not arrived: answered, remembered for
    /// the early-reversal window so that the original is declined.
    Pending,
}

impl EntryState {
    /// The name a store writes (`approved`, `declined`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Approved => "approved",
            EntryState::Declined => "declined",
            EntryState::Voided => "voided",
            EntryState::Reversed => "reversed",
            EntryState::Pending => "pending",
        }
    }

    /// The state named `s`, as [`as_str`](Self::as_str) writes it.
    pub fn parse(s: &str) -> Option<EntryState> {
        Some(match s {
            "approved" => EntryState::Approved,
            "declined" => EntryState::Declined,
            "voided" => EntryState::Voided,
            "reversed" => EntryState::Reversed,
            "pending" => EntryState::Pending,
            _ => return None,
        })
    }
}

impl HostTxnKind {
    /// The name a store writes (`purchase`, `void`, `refund`, `reversal`).
    pub fn as_str(self) -> &'static str {
        match self {
            HostTxnKind::Purchase => "purchase",
            HostTxnKind::Void => "void",
            HostTxnKind::Refund => "refund",
            HostTxnKind::Reversal => "reversal",
        }
    }

    /// The kind named `s`, as [`as_str`](Self::as_str) writes it.
    pub fn parse(s: &str) -> Option<HostTxnKind> {
        Some(match s {
            "purchase" => HostTxnKind::Purchase,
            "void" => HostTxnKind::Void,
            "refund" => HostTxnKind::Refund,
            "reversal" => HostTxnKind::Reversal,
            _ => return None,
        })
    }
}

/// One remembered request with the ledger's answer and its current state.
///
/// The request's content is kept only as a fingerprint
/// ([`LedgerStore::fingerprint`](crate::flows::host::LedgerStore::fingerprint)):
/// enough to tell an identical resend from a different request under the
/// same key, without keeping card data. `Debug` shows the fingerprint only
/// as its length (a store that kept the content itself would otherwise show
/// it).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Record {
    /// Financial or reversal.
    pub class: EntryClass,
    /// Kind of request.
    pub kind: HostTxnKind,
    /// Key fields as received.
    pub key: TxnKey,
    /// The original's key as received (void, refund, DE 90 reversal).
    pub original_key: Option<TxnKey>,
    /// DE 4, minor units.
    pub amount: u64,
    /// DE 7 as received, when known.
    pub transmitted: Option<String>,
    /// Fingerprint of the content compared on resends.
    pub fingerprint: Vec<u8>,
    /// The answer given (repeated to identical resends).
    pub decision: HostDecision,
    /// Current state.
    pub state: EntryState,
    /// Sum of approved, unreversed refunds against this purchase.
    pub refunded: u64,
    /// When the request arrived, seconds since the Unix epoch.
    pub received_at: u64,
    /// When its batch was settled, if it was.
    pub settled_at: Option<u64>,
}

impl Record {
    /// The transaction a reversal undoes: the named original, or (UnionPay)
    /// its own key.
    pub fn target(&self) -> &TxnKey {
        self.original_key.as_ref().unwrap_or(&self.key)
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("class", &self.class)
            .field("kind", &self.kind)
            .field("key", &self.key)
            .field("original_key", &self.original_key)
            .field("amount", &self.amount)
            .field("transmitted", &self.transmitted)
            .field("fingerprint", &Redacted(self.fingerprint.len()))
            .field("decision", &self.decision)
            .field("state", &self.state)
            .field("refunded", &self.refunded)
            .field("received_at", &self.received_at)
            .field("settled_at", &self.settled_at)
            .finish()
    }
}

/// What settlement needs of one entry of the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SettledEntry {
    /// Financial or reversal.
    pub class: EntryClass,
    /// Kind of request.
    pub kind: HostTxnKind,
    /// State at settlement.
    pub state: EntryState,
    /// DE 4.
    pub amount: u64,
}

impl SettledEntry {
    /// An entry from its parts.
    pub fn new(class: EntryClass, kind: HostTxnKind, state: EntryState, amount: u64) -> Self {
        SettledEntry {
            class,
            kind,
            state,
            amount,
        }
    }
}
