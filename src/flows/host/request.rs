//! What the host receives and answers.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::flows::journal::Redacted;

use crate::flows::host::key::TxnKey;

/// Request kinds the host simulator understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum HostTxnKind {
    /// Purchase (0200 `00xxxx`).
    Purchase,
    /// Void of a purchase.
    Void,
    /// Refund of a purchase.
    Refund,
    /// Reversal (0400/0401/0420/0421) of any of the above.
    Reversal,
}

/// One request in plain values.
///
/// `Debug` shows `content` only as its length: it is the request as
/// received, PAN and track data included.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRequest {
    /// Kind of request.
    pub kind: HostTxnKind,
    /// Key fields of this request.
    pub key: TxnKey,
    /// Key of the original (void, refund: from DE 61/37; reversal: from
    /// DE 90 or, when `None`, the request's own key as on CUP).
    pub original_key: Option<TxnKey>,
    /// Amount (DE 4), minor units.
    pub amount: u64,
    /// DE 7 transmission date and time as received (`MMDDhhmmss`), kept
    /// with the entry; not compared on resends (a resend carries a new one).
    pub transmitted: Option<String>,
    /// The rest of the request that must be identical in a resend (for
    /// example the message without DE 7 and MAC). Ignored for reversals,
    /// whose repeats legitimately differ (0400 -> 0401).
    pub content: Vec<u8>,
}

impl HostRequest {
    /// A request without original and content.
    pub fn new(kind: HostTxnKind, key: TxnKey, amount: u64) -> HostRequest {
        HostRequest {
            kind,
            key,
            original_key: None,
            amount,
            transmitted: None,
            content: Vec::new(),
        }
    }

    /// Sets the original's key.
    pub fn with_original(mut self, original: TxnKey) -> HostRequest {
        self.original_key = Some(original);
        self
    }

    /// Sets the DE 7 transmission date and time.
    pub fn with_transmitted(mut self, de7: impl Into<String>) -> HostRequest {
        self.transmitted = Some(de7.into());
        self
    }

    /// Sets the content compared on resends.
    pub fn with_content(mut self, content: impl Into<Vec<u8>>) -> HostRequest {
        self.content = content.into();
        self
    }
}

impl fmt::Debug for HostRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostRequest")
            .field("kind", &self.kind)
            .field("key", &self.key)
            .field("original_key", &self.original_key)
            .field("amount", &self.amount)
            .field("transmitted", &self.transmitted)
            .field("content", &Redacted(self.content.len()))
            .finish()
    }
}

/// The host's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HostDecision {
    /// DE 39.
    pub response_code: String,
    /// DE 37 on approvals.
    pub rrn: Option<String>,
    /// DE 38 on approvals.
    pub auth_code: Option<String>,
    /// Whether this answer repeats the one given to an identical earlier
    /// request (idempotent resend).
    pub replayed: bool,
}

impl HostDecision {
    /// A decision without RRN or auth code.
    pub fn code(code: &str) -> HostDecision {
        HostDecision {
            response_code: code.to_owned(),
            rrn: None,
            auth_code: None,
            replayed: false,
        }
    }

    /// Whether the request was approved (`00`).
    pub fn is_approved(&self) -> bool {
        self.response_code == "00"
    }
}

/// Result of comparing a terminal's settlement totals with the host's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SettlementCheck {
    /// Whether the totals agree (DE 48 flag `1`; otherwise `2`).
    pub balanced: bool,
    /// The host's totals for the batch.
    pub host_totals: crate::flows::journal::Totals,
}
