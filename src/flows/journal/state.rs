//! Transaction states and the stored record of one transaction.

use serde::{Deserialize, Serialize};

use crate::flows::journal::kind::TxnKind;
use crate::flows::journal::sealed::SealedPan;
use crate::flows::journal::stan::Stan;

/// Life-cycle state of a journaled transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TxnState {
    /// Recorded and handed to the caller for transmission; no answer yet.
    Sent,
    /// Approved by the host.
    Approved,
    /// Declined by the host.
    Declined,
    /// No response in time: outcome unknown. A reversible kind has its
    /// reversal queued; a non-reversible advice waits for a repeat (0221).
    Uncertain,
    /// A response arrived but cannot stand (MAC failure, card declined
    /// after approval): the reversal is queued.
    ReversalPending,
    /// The reversal was answered: the transaction is dead.
    Reversed,
    /// Every reversal attempt went unanswered: manual reconciliation.
    ReversalFailed,
    /// Cancelled by an approved void, pre-auth cancel or completion void.
    Voided,
    /// Part of the amount was refunded.
    PartlyRefunded,
    /// The whole amount was refunded.
    FullyRefunded,
    /// Counted in a closed batch (records returned by `close_batch`).
    Settled,
    /// A store-and-forward advice that was never acknowledged (attempts or
    /// age exhausted, or refused by the host): on
    /// [`Journal::expired_advices`](crate::flows::journal::Journal::expired_advices)
    /// for manual handling, not counted in the totals.
    AdviceExpired,
}

impl TxnState {
    /// Whether the host approved the transaction and nothing undid it
    /// (refunds do not undo: the original still settles as a debit).
    pub fn is_live_approval(self) -> bool {
        matches!(
            self,
            TxnState::Approved | TxnState::PartlyRefunded | TxnState::FullyRefunded
        )
    }

    /// Whether the transaction may still have effect at the host: approved,
    /// in flight, or with an unfinished reversal.
    pub fn may_have_effect(self) -> bool {
        matches!(
            self,
            TxnState::Sent
                | TxnState::Uncertain
                | TxnState::ReversalPending
                | TxnState::ReversalFailed
                | TxnState::AdviceExpired
        ) || self.is_live_approval()
    }
}

/// What the caller knows about an original from an earlier batch, used for
/// a refund, completion or pre-auth cancel the journal cannot look up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalRef {
    /// Amount of the original transaction, minor units.
    pub amount: u64,
    /// Sum already refunded against it (0 for a pre-auth).
    pub refunded_so_far: u64,
}

/// One transaction as stored in the open batch.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TxnRecord {
    /// DE 11 of this transaction.
    pub stan: Stan,
    /// Kind of transaction.
    pub kind: TxnKind,
    /// Amount in minor units (DE 4).
    pub amount: u64,
    /// Current state.
    pub state: TxnState,
    /// Batch number (60.2) the transaction was sent in.
    pub batch: u32,
    /// DE 41 card acceptor terminal id.
    pub terminal: String,
    /// DE 42 card acceptor id.
    pub merchant: String,
    /// MTI of the request.
    pub mti: String,
    /// Last four PAN digits, for receipts and matching.
    pub pan_hint: Option<String>,
    /// Original STAN in this batch (void, refund, completion, cancel).
    pub original: Option<Stan>,
    /// Original from an earlier batch, as supplied by the caller.
    pub original_ref: Option<OriginalRef>,
    /// DE 37 retrieval reference number from the response.
    pub rrn: Option<String>,
    /// DE 38 authorization id from the response.
    pub auth_code: Option<String>,
    /// DE 39 of the response, if one arrived.
    pub response_code: Option<String>,
    /// DE 39 of the reversal response, if one arrived.
    pub reversal_response_code: Option<String>,
    /// Sum of approved refunds against this transaction.
    pub refunded: u64,
    /// DE 3 of the request, as read from it.
    #[serde(default)]
    pub processing_code: Option<String>,
    /// The request as kept: encoded with the journal's spec, without DE 2
    /// and without any card data (tracks, PIN and security data, ICC data,
    /// fields the spec masks). [`Journal::original`] puts the PAN back.
    ///
    /// [`Journal::original`]: crate::flows::journal::Journal::original
    #[serde(with = "crate::flows::journal::hex")]
    pub request: Vec<u8>,
    /// The request's PAN, sealed under the journal key.
    pub pan: Option<SealedPan>,
    /// The response without card data, when recorded with
    /// [`Journal::on_response_message`](crate::flows::journal::Journal::on_response_message).
    #[serde(default, with = "crate::flows::journal::hex::opt")]
    pub response: Option<Vec<u8>>,
}

/// Masked: the kept messages show as their lengths, the PAN as its key version.
impl core::fmt::Debug for TxnRecord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TxnRecord")
            .field("stan", &self.stan)
            .field("kind", &self.kind)
            .field("amount", &self.amount)
            .field("state", &self.state)
            .field("batch", &self.batch)
            .field("terminal", &self.terminal)
            .field("merchant", &self.merchant)
            .field("mti", &self.mti)
            .field("pan_hint", &self.pan_hint)
            .field("original", &self.original)
            .field("original_ref", &self.original_ref)
            .field("rrn", &self.rrn)
            .field("auth_code", &self.auth_code)
            .field("response_code", &self.response_code)
            .field("reversal_response_code", &self.reversal_response_code)
            .field("refunded", &self.refunded)
            .field("processing_code", &self.processing_code)
            .field(
                "request",
                &crate::flows::journal::Redacted(self.request.len()),
            )
            .field("pan", &self.pan)
            .field(
                "response",
                &crate::flows::journal::Redacted::of(self.response.as_ref()),
            )
            .finish()
    }
}
