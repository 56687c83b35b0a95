//! Business rules checked before a transaction is journaled (module docs, "Business rules").
//!
//! Every function here is pure: it reads the journal and either returns the
//! original's data for the request or the broken rule.

use crate::flows::journal::book::Journal;
use crate::flows::journal::error::JournalError;
use crate::flows::journal::kind::TxnKind;
use crate::flows::journal::request::{NewTxn, OriginalInfo};
use crate::flows::journal::stan::Stan;
use crate::flows::journal::state::{OriginalRef, TxnRecord, TxnState};

/// Checks `req` against the gating and business rules.
pub(crate) fn check_new(
    journal: &Journal,
    req: &NewTxn,
) -> Result<Option<OriginalInfo>, JournalError> {
    check_pan_hint(req.pan_hint.as_deref())?;
    check_gates(journal, req.kind)?;
    if req.amount == 0 && !req.kind.allows_zero_amount() {
        return Err(JournalError::ZeroAmount { kind: req.kind });
    }
    if !req.kind.needs_original() {
        if req.original.is_some() || req.original_ref.is_some() {
            return Err(JournalError::UnexpectedOriginal { kind: req.kind });
        }
        return Ok(None);
    }
    if req.kind == TxnKind::VoidOfRefund && !journal.policy().void_of_refund_allowed {
        return Err(JournalError::VoidOfRefundNotAllowed);
    }
    match (req.original, &req.original_ref) {
        (Some(stan), _) => {
            let original = journal.txn(stan).ok_or(JournalError::UnknownTxn { stan })?;
            check_in_batch(journal, req, original)?;
            Ok(Some(info(original)))
        }
        (None, Some(reference)) => {
            check_earlier_batch(journal, req, reference)?;
            Ok(None)
        }
        (None, None) => Err(JournalError::MissingOriginal { kind: req.kind }),
    }
}

/// At most four ASCII digits: the journal file must never hold a PAN.
fn check_pan_hint(hint: Option<&str>) -> Result<(), JournalError> {
    match hint {
        Some(h) if h.len() > 4 || !h.bytes().all(|b| b.is_ascii_digit()) => {
            Err(JournalError::InvalidPanHint)
        }
        _ => Ok(()),
    }
}

/// Pending reversals first, sign-on first, nothing new while settling.
fn check_gates(journal: &Journal, kind: TxnKind) -> Result<(), JournalError> {
    if kind.waits_for_reversals()
        && let Some(stan) = journal.due_reversal()
    {
        return Err(JournalError::ReversalPending { stan });
    }
    if kind.requires_sign_on() && !journal.is_signed_on() {
        return Err(JournalError::NotSignedOn);
    }
    if journal.is_settling() {
        if kind.is_financial() || kind == TxnKind::Balance {
            return Err(JournalError::SettlementInProgress { kind });
        }
    } else if kind == TxnKind::Settlement {
        return Err(JournalError::NotSettled);
    }
    Ok(())
}

/// Which original kinds each referencing kind may target.
fn check_target_kind(
    journal: &Journal,
    kind: TxnKind,
    original: TxnKind,
) -> Result<(), JournalError> {
    let ok = match kind {
        TxnKind::Void => {
            if original == TxnKind::Refund && !journal.policy().void_of_refund_allowed {
                return Err(JournalError::VoidOfRefundNotAllowed);
            }
            matches!(original, TxnKind::Purchase | TxnKind::Completion)
        }
        TxnKind::VoidOfRefund => original == TxnKind::Refund,
        TxnKind::CompletionVoid => original == TxnKind::Completion,
        TxnKind::Refund => matches!(
            original,
            TxnKind::Purchase | TxnKind::Completion | TxnKind::CompletionAdvice
        ),
        TxnKind::PreAuthCancel | TxnKind::Completion | TxnKind::CompletionAdvice => {
            original == TxnKind::PreAuth
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(JournalError::WrongOriginalKind { kind, original })
    }
}

/// Rules for an original found in the open batch.
fn check_in_batch(
    journal: &Journal,
    req: &NewTxn,
    original: &TxnRecord,
) -> Result<(), JournalError> {
    let stan = original.stan;
    check_target_kind(journal, req.kind, original.kind)?;
    if original.state == TxnState::Voided || has_child(journal, stan, TxnKind::cancels_original) {
        return Err(JournalError::AlreadyVoided { stan });
    }
    if !original.state.is_live_approval() {
        return Err(JournalError::OriginalNotApproved {
            stan,
            state: original.state,
        });
    }
    match req.kind {
        TxnKind::Refund => {
            let remaining = original
                .amount
                .saturating_sub(refund_exposure(journal, stan));
            check_refund(original.amount, remaining, req.amount)
        }
        TxnKind::Completion | TxnKind::CompletionAdvice => {
            check_same_acceptor(req, original)?;
            if has_child(journal, stan, is_completion) {
                return Err(JournalError::AlreadyCompleted { stan });
            }
            check_completion(journal, original.amount, req.amount)
        }
        TxnKind::PreAuthCancel => {
            check_same_acceptor(req, original)?;
            if has_child(journal, stan, is_completion) {
                return Err(JournalError::AlreadyCompleted { stan });
            }
            check_equal_amount(original.amount, req.amount)
        }
        // Void, VoidOfRefund, CompletionVoid.
        _ => {
            check_same_acceptor(req, original)?;
            if refund_exposure(journal, stan) > 0 {
                return Err(JournalError::HasRefunds { stan });
            }
            check_equal_amount(original.amount, req.amount)
        }
    }
}

/// Rules for an original from an earlier batch, known only by its amounts.
fn check_earlier_batch(
    journal: &Journal,
    req: &NewTxn,
    original: &OriginalRef,
) -> Result<(), JournalError> {
    match req.kind {
        TxnKind::Refund => {
            let remaining = original.amount.saturating_sub(original.refunded_so_far);
            check_refund(original.amount, remaining, req.amount)
        }
        TxnKind::Completion | TxnKind::CompletionAdvice => {
            check_completion(journal, original.amount, req.amount)
        }
        TxnKind::PreAuthCancel => check_equal_amount(original.amount, req.amount),
        // Voids only reach back into the open batch: settlement closes the old one.
        kind => Err(JournalError::OriginalNotInBatch { kind }),
    }
}

fn is_completion(kind: TxnKind) -> bool {
    matches!(kind, TxnKind::Completion | TxnKind::CompletionAdvice)
}

/// Whether `stan` has a child of a matching kind that may have effect.
fn has_child(journal: &Journal, stan: Stan, kind: impl Fn(TxnKind) -> bool) -> bool {
    journal
        .children(stan)
        .any(|c| kind(c.kind) && c.state.may_have_effect())
}

/// Approved plus in-flight (and unresolved) refunds against `stan`.
pub(crate) fn refund_exposure(journal: &Journal, stan: Stan) -> u64 {
    journal
        .children(stan)
        .filter(|c| c.kind == TxnKind::Refund && c.state.may_have_effect())
        .fold(0u64, |sum, c| sum.saturating_add(c.amount))
}

fn check_refund(original: u64, remaining: u64, requested: u64) -> Result<(), JournalError> {
    if requested > remaining {
        return Err(JournalError::RefundExceedsOriginal {
            original,
            remaining,
            requested,
        });
    }
    Ok(())
}

fn check_completion(journal: &Journal, preauth: u64, requested: u64) -> Result<(), JournalError> {
    let limit = journal.policy().completion_limit(preauth);
    if requested > limit {
        return Err(JournalError::CompletionExceedsPreAuth { limit, requested });
    }
    Ok(())
}

fn check_equal_amount(expected: u64, requested: u64) -> Result<(), JournalError> {
    if expected != requested {
        return Err(JournalError::AmountMismatch {
            expected,
            requested,
        });
    }
    Ok(())
}

fn check_same_acceptor(req: &NewTxn, original: &TxnRecord) -> Result<(), JournalError> {
    if req.terminal != original.terminal {
        return Err(JournalError::TerminalMismatch {
            original: original.terminal.clone(),
            requested: req.terminal.clone(),
        });
    }
    if req.merchant != original.merchant {
        return Err(JournalError::MerchantMismatch {
            original: original.merchant.clone(),
            requested: req.merchant.clone(),
        });
    }
    Ok(())
}

fn info(original: &TxnRecord) -> OriginalInfo {
    OriginalInfo {
        stan: original.stan,
        batch: original.batch,
        amount: original.amount,
        rrn: original.rrn.clone(),
        auth_code: original.auth_code.clone(),
    }
}
