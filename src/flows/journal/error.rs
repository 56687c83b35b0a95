//! Errors of the terminal journal: one variant per broken rule.

use crate::flows::journal::kind::TxnKind;
use crate::flows::journal::stan::Stan;
use crate::flows::journal::state::TxnState;

/// Why the journal refused an operation. The journal is unchanged when
/// any of these is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// A reversal is pending and must be sent first ([reversal rule 3](crate::flows::journal#reversals)).
    #[error("reversal of STAN {stan} is pending and must be sent first")]
    ReversalPending {
        /// STAN of the transaction to reverse.
        stan: Stan,
    },
    /// No financial message before a successful sign-on ([business rule 8](crate::flows::journal#business-rules)).
    #[error("terminal is not signed on")]
    NotSignedOn,
    /// Settlement has started: only settlement, sign-on and echo may go.
    #[error("settlement in progress: {kind:?} refused")]
    SettlementInProgress {
        /// The refused kind.
        kind: TxnKind,
    },
    /// `close_batch` before a successful `settle`.
    #[error("batch not settled")]
    NotSettled,
    /// A transaction is still waiting for its response.
    #[error("STAN {stan} is still waiting for a response")]
    InFlight {
        /// The waiting transaction.
        stan: Stan,
    },
    /// An advice without acknowledgement must be repeated first.
    #[error("advice STAN {stan} is unacknowledged and must be repeated first")]
    AdviceOutstanding {
        /// The unacknowledged advice.
        stan: Stan,
    },
    /// `queue_advice` got a request that is not an advice.
    #[error(
        "{kind:?} with MTI {mti} is not a store-and-forward advice (an x220 of a kind that is not reversed)"
    )]
    NotAnAdvice {
        /// Kind requested.
        kind: TxnKind,
        /// MTI requested.
        mti: String,
    },
    /// No such advice in the store-and-forward queue (or expired list).
    #[error("no advice with STAN {stan} is queued or expired")]
    NoAdvice {
        /// STAN given.
        stan: Stan,
    },
    /// Advice calls out of order (not the head, already in flight, or
    /// nothing in flight).
    #[error("advice STAN {stan}: not the head of the queue, or attempt bookkeeping out of order")]
    AdviceOutOfOrder {
        /// STAN given.
        stan: Stan,
    },
    /// No transaction with this STAN in the open batch.
    #[error("no transaction with STAN {stan} in the open batch")]
    UnknownTxn {
        /// The STAN looked up.
        stan: Stan,
    },
    /// The operation does not apply to a transaction in this state.
    #[error("STAN {stan} is {state:?}: {operation} not allowed")]
    UnexpectedState {
        /// The transaction.
        stan: Stan,
        /// Its state.
        state: TxnState,
        /// The refused operation.
        operation: &'static str,
    },
    /// The kind needs an original (`original` or `original_ref`).
    #[error("{kind:?} needs an original transaction")]
    MissingOriginal {
        /// The kind.
        kind: TxnKind,
    },
    /// The kind must not reference an original.
    #[error("{kind:?} takes no original transaction")]
    UnexpectedOriginal {
        /// The kind.
        kind: TxnKind,
    },
    /// The kind must reference an original in the open batch (void).
    #[error("{kind:?} must reference a transaction of the open batch")]
    OriginalNotInBatch {
        /// The kind.
        kind: TxnKind,
    },
    /// The original is of a kind this transaction cannot target.
    #[error("{kind:?} cannot target a {original:?}")]
    WrongOriginalKind {
        /// The new transaction's kind.
        kind: TxnKind,
        /// The original's kind.
        original: TxnKind,
    },
    /// The original is not approved (declined, uncertain, reversed, ...).
    #[error("original STAN {stan} is {state:?}, not approved")]
    OriginalNotApproved {
        /// The original.
        stan: Stan,
        /// Its state.
        state: TxnState,
    },
    /// The original is already voided or cancelled, or a void is in flight.
    #[error("original STAN {stan} is already voided")]
    AlreadyVoided {
        /// The original.
        stan: Stan,
    },
    /// A void of an original that has refunds against it.
    #[error("original STAN {stan} has refunds and cannot be voided")]
    HasRefunds {
        /// The original.
        stan: Stan,
    },
    /// A pre-auth already has a completion.
    #[error("pre-auth STAN {stan} is already completed")]
    AlreadyCompleted {
        /// The pre-auth.
        stan: Stan,
    },
    /// The original belongs to another terminal (DE 41).
    #[error("terminal {requested} differs from the original's {original}")]
    TerminalMismatch {
        /// The original's DE 41.
        original: String,
        /// The request's DE 41.
        requested: String,
    },
    /// The original belongs to another merchant (DE 42).
    #[error("merchant {requested} differs from the original's {original}")]
    MerchantMismatch {
        /// The original's DE 42.
        original: String,
        /// The request's DE 42.
        requested: String,
    },
    /// Void / cancel amount must equal the original.
    #[error("amount {requested} differs from the original {expected}")]
    AmountMismatch {
        /// The original's amount.
        expected: u64,
        /// The requested amount.
        requested: u64,
    },
    /// Refunds would exceed the original amount.
    #[error("refund {requested} exceeds the remaining {remaining} of {original}")]
    RefundExceedsOriginal {
        /// Original amount.
        original: u64,
        /// What is left to refund (approved and in-flight refunds deducted).
        remaining: u64,
        /// Requested refund.
        requested: u64,
    },
    /// The policy forbids voiding refunds (CUP).
    #[error("void of a refund is not allowed by this profile")]
    VoidOfRefundNotAllowed,
    /// Completion above the pre-auth plus tolerance.
    #[error("completion {requested} exceeds the pre-authorized limit {limit}")]
    CompletionExceedsPreAuth {
        /// Pre-auth plus tolerance.
        limit: u64,
        /// Requested completion.
        requested: u64,
    },
    /// A financial amount of zero.
    #[error("{kind:?} needs a non-zero amount")]
    ZeroAmount {
        /// The kind.
        kind: TxnKind,
    },
    /// The PAN hint is not at most four digits.
    #[error("PAN hint must be at most the last four digits")]
    InvalidPanHint,
    /// A response code that is not two alphanumeric characters.
    #[error("invalid response code {code:?}")]
    InvalidResponseCode {
        /// The code received.
        code: String,
    },
    /// A batch number outside 1..=999999.
    #[error("invalid batch number {batch}")]
    InvalidBatch {
        /// The number received.
        batch: u32,
    },
    /// All 999999 STANs are in use in the open batch.
    #[error("batch is full: no free STAN")]
    BatchFull,
    /// No reversal is queued for this STAN.
    #[error("no reversal queued for STAN {stan}")]
    NoReversal {
        /// The STAN.
        stan: Stan,
    },
    /// The reversal is not due (its transaction is still in flight, or it
    /// already failed).
    #[error("reversal of STAN {stan} is not due")]
    ReversalNotDue {
        /// The STAN.
        stan: Stan,
    },
    /// `on_reversal_no_response` before `on_reversal_sent`, or a send
    /// beyond the allowed attempts.
    #[error("reversal of STAN {stan}: attempt bookkeeping out of order")]
    ReversalOutOfOrder {
        /// The STAN.
        stan: Stan,
    },
    /// A message given to the journal says something else than the
    /// transaction: a request whose amount, terminal, merchant, MTI,
    /// processing code or STAN differs from the [`NewTxn`], or a response
    /// to another STAN. Nothing was recorded.
    ///
    /// [`NewTxn`]: crate::flows::journal::NewTxn
    #[error("{message} {field} is {found:?}, but the journal expects {expected:?}")]
    Mismatch {
        /// `request` or `response`.
        message: &'static str,
        /// The field, e.g. `DE 4 (amount)` or `MTI`.
        field: &'static str,
        /// What the transaction says.
        expected: String,
        /// What the message carries (`absent` when it lacks the field).
        found: String,
    },
    /// A message given to the journal does not decode with its spec.
    #[error("{message} cannot be read with the journal's spec: {reason}")]
    Unreadable {
        /// `request`, `response` or `kept request`.
        message: &'static str,
        /// The decode or encode error (field, offset, rule; no field data).
        reason: String,
    },
    /// The journal key refused to seal or open a PAN.
    #[error("journal key: {0}")]
    Key(#[from] crate::flows::journal::key::KeyError),
    /// The journal file was written under another key (or another key
    /// version) than the one supplied: it is refused.
    #[error("journal file was written under another key than the supplied key version {version}")]
    WrongKey {
        /// The key version named in the file.
        version: u32,
    },
    /// The encoder given to `begin` failed; nothing was recorded.
    #[error("request encoding failed")]
    Encode(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Writing or reading the journal file failed; the in-memory journal
    /// is unchanged.
    #[error("journal file I/O failed")]
    Io(#[from] std::io::Error),
    /// The journal file is not valid JSON for a journal.
    #[error("journal file is malformed")]
    Format(#[from] serde_json::Error),
    /// Another handle (in this process or another) holds the journal file.
    #[error("journal file {path} is in use by another handle or process")]
    InUse {
        /// The journal path.
        path: String,
    },
    /// The journal file failed its header or checksum check: it was
    /// damaged or edited, and is refused rather than loaded.
    #[error("journal file is damaged: {reason}")]
    Damaged {
        /// What failed.
        reason: String,
    },
    /// The journal file was written in a format version this build does
    /// not read.
    #[error(
        "journal file format version {version} is not supported (this build reads version 2; \
         files of version 1 kept card data in clear and cannot be migrated: settle and close \
         the batch with the build that wrote it, then start a new journal)"
    )]
    UnsupportedVersion {
        /// The version found in the header.
        version: String,
    },
    /// The journal file parsed but breaks an invariant.
    #[error("journal file is inconsistent: {0}")]
    Corrupt(String),
}
