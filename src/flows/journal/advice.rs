//! Store-and-forward advice records (0220 advices and 0420 reversal
//! advices): kept in the journal until the host acknowledges them, repeated
//! with the repeat MTI, and moved to an expired list for manual handling
//! when they cannot be delivered.

use serde::{Deserialize, Serialize};

use crate::flows::journal::kind::TxnKind;
use crate::flows::journal::reversal::ReversalReason;
use crate::flows::journal::stan::Stan;

/// What a queued advice tells the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AdviceKind {
    /// A financial advice (0220): an offline or completion advice whose
    /// request the journal keeps.
    Financial,
    /// A reversal advice (0420) of the transaction with the same STAN.
    Reversal {
        /// Why it is reversed (DE 39).
        reason: ReversalReason,
    },
}

/// A queued advice (FIFO, one queue per journal, i.e. per terminal).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AdviceRecord {
    /// STAN of the transaction (a reversal advice reuses the original's).
    pub stan: Stan,
    /// Financial or reversal advice.
    pub kind: AdviceKind,
    /// MTI of the first send (`0220`, `0420`).
    pub mti: String,
    /// When it was queued, in the caller's clock (seconds, e.g. Unix time).
    pub queued_at: u64,
    /// Attempts sent so far.
    pub attempts: u32,
    /// Whether the last attempt still waits for its response.
    pub in_flight: bool,
    /// DE 39 of the last answer, if any.
    pub last_response_code: Option<String>,
}

/// The advice the caller must send next.
///
/// Build it from
/// [`Journal::original`](crate::flows::journal::Journal::original)`(job.stan)`:
/// for a financial advice that is the advice itself (send it with
/// [`mti`](Self::mti)); for a reversal advice it is the original request to
/// reverse.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AdviceJob {
    /// STAN (DE 11), the same on every attempt.
    pub stan: Stan,
    /// Financial or reversal advice.
    pub kind: AdviceKind,
    /// MTI to send: the first MTI, or its repeat (`0221`, `0421`).
    pub mti: String,
    /// MTI of the journaled request of this STAN.
    pub original_mti: String,
    /// Authorization id of the original (DE 38 of a reversal advice).
    pub auth_code: Option<String>,
    /// 1-based number of the attempt about to be sent.
    pub attempt: u32,
    /// Whether this attempt is a repeat (any attempt after the first,
    /// including the one after a restart that interrupted an attempt).
    pub repeat: bool,
}

/// What happened to an advice after an answer or a missing answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdviceOutcome {
    /// The host acknowledged it: it left the queue.
    Delivered,
    /// It stays at the head of the queue, to be repeated.
    Retry,
    /// It was moved to the expired list.
    Expired(ExpiryReason),
}

/// Why an advice was moved to the expired list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ExpiryReason {
    /// Every allowed attempt went unanswered or was answered "retry".
    Attempts,
    /// It stayed undelivered longer than the policy's maximum age.
    Age,
    /// The host answered with a code that is neither done nor retry.
    Refused {
        /// That DE 39.
        code: String,
    },
}

/// An advice that could not be delivered: kept (and persisted) until the
/// operator acknowledges it with
/// [`Journal::acknowledge_expired_advice`](crate::flows::journal::Journal::acknowledge_expired_advice).
/// Holds no card data beyond the PAN hint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExpiredAdvice {
    /// STAN of the advice.
    pub stan: Stan,
    /// Batch it belonged to.
    pub batch: u32,
    /// Financial or reversal advice.
    pub kind: AdviceKind,
    /// Kind of the transaction it concerned.
    pub txn_kind: TxnKind,
    /// MTI of the first send.
    pub mti: String,
    /// Amount in minor units.
    pub amount: u64,
    /// Last four digits of the PAN, if known.
    pub pan_hint: Option<String>,
    /// Attempts sent.
    pub attempts: u32,
    /// When it was queued (caller's clock, seconds).
    pub queued_at: u64,
    /// DE 39 of the last answer, if any.
    pub last_response_code: Option<String>,
    /// Why it expired.
    pub reason: ExpiryReason,
}

/// The repeat MTI of `mti`: the last digit 0 (request/advice) becomes 1
/// (repeat); any other MTI is returned unchanged.
///
/// ```
/// use iso8583_wire::flows::journal::repeat_mti;
/// assert_eq!(repeat_mti("0220"), "0221");
/// assert_eq!(repeat_mti("0420"), "0421");
/// assert_eq!(repeat_mti("0221"), "0221");
/// ```
pub fn repeat_mti(mti: &str) -> String {
    match mti.strip_suffix('0') {
        Some(head) if mti.len() == 4 => format!("{head}1"),
        _ => mti.to_owned(),
    }
}
