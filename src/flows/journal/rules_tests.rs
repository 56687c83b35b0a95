//! One test per business rule (compiled under #[cfg(test)] only): each broken rule yields its error and
//! leaves the journal unchanged.

use crate::flows::journal::test_support::*;
use crate::flows::journal::{
    Journal, JournalError, JournalPolicy, NewTxn, OriginalRef, Stan, TxnKind, TxnState,
};

/// Runs `req` on `j`, asserts it fails and that `j` is unchanged.
fn refused(j: &mut Journal, req: NewTxn) -> JournalError {
    let before = j.clone();
    match begin(j, req) {
        Ok(t) => panic!("expected a refusal, got STAN {}", t.stan),
        Err(e) => {
            assert_eq!(*j, before, "a refused begin changed the journal");
            e
        }
    }
}

#[test]
fn refuses_financial_work_before_sign_on() {
    let mut j = new_journal(JournalPolicy::generic_1987());
    let e = refused(&mut j, txn(TxnKind::Purchase, 100));
    assert!(matches!(e, JournalError::NotSignedOn), "{e:?}");
    let e = refused(&mut j, txn(TxnKind::Balance, 0));
    assert!(matches!(e, JournalError::NotSignedOn), "{e:?}");
}

#[test]
fn sign_on_and_echo_go_before_sign_on() -> TestResult {
    let mut j = new_journal(JournalPolicy::cup_pos());
    let t = begin(&mut j, txn(TxnKind::SignOn, 0))?;
    assert_eq!(t.stan.get(), 1);
    assert_eq!(j.on_response(t.stan, "00", None, None)?, TxnState::Approved);
    j.sign_on(Some(42))?;
    assert_eq!(j.batch(), 42);
    assert!(j.is_signed_on());
    Ok(())
}

#[test]
fn pending_reversal_blocks_the_next_request() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_timeout(t.stan)?;
    let e = refused(&mut j, txn(TxnKind::Purchase, 200));
    assert!(
        matches!(e, JournalError::ReversalPending { stan } if stan == t.stan),
        "{e:?}"
    );
    // Sign-on is still possible (A0 forces a re-sign-on before the reversal).
    assert!(begin(&mut j, txn(TxnKind::SignOn, 0)).is_ok());
    Ok(())
}

#[test]
fn pending_reversal_blocks_settlement() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_timeout(t.stan)?;
    assert!(matches!(j.settle(), Err(JournalError::ReversalPending { stan }) if stan == t.stan));
    Ok(())
}

#[test]
fn rejects_zero_amount_purchase() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let e = refused(&mut j, txn(TxnKind::Purchase, 0));
    assert!(
        matches!(
            e,
            JournalError::ZeroAmount {
                kind: TxnKind::Purchase
            }
        ),
        "{e:?}"
    );
    Ok(())
}

#[test]
fn rejects_pan_hint_longer_than_four_digits() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let e = refused(
        &mut j,
        txn(TxnKind::Purchase, 1).with_pan_hint("4111111111111111"),
    );
    assert!(matches!(e, JournalError::InvalidPanHint), "{e:?}");
    let e = refused(&mut j, txn(TxnKind::Purchase, 1).with_pan_hint("12a4"));
    assert!(matches!(e, JournalError::InvalidPanHint), "{e:?}");
    Ok(())
}

#[test]
fn purchase_takes_no_original() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let p = purchase(&mut j, 100)?;
    let e = refused(&mut j, txn(TxnKind::Purchase, 100).with_original(p));
    assert!(
        matches!(e, JournalError::UnexpectedOriginal { .. }),
        "{e:?}"
    );
    Ok(())
}

#[test]
fn void_needs_an_original_in_the_open_batch() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let e = refused(&mut j, txn(TxnKind::Void, 100));
    assert!(
        matches!(
            e,
            JournalError::MissingOriginal {
                kind: TxnKind::Void
            }
        ),
        "{e:?}"
    );
    let missing = Stan::new(77).ok_or("stan")?;
    let e = refused(&mut j, txn(TxnKind::Void, 100).with_original(missing));
    assert!(
        matches!(e, JournalError::UnknownTxn { stan } if stan == missing),
        "{e:?}"
    );
    let earlier = OriginalRef {
        amount: 100,
        refunded_so_far: 0,
    };
    let e = refused(&mut j, txn(TxnKind::Void, 100).with_original_ref(earlier));
    assert!(
        matches!(
            e,
            JournalError::OriginalNotInBatch {
                kind: TxnKind::Void
            }
        ),
        "{e:?}"
    );
    Ok(())
}

#[test]
fn void_of_a_settled_original_is_refused() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let p = purchase(&mut j, 100)?;
    j.settle()?;
    j.close_batch(true)?;
    let e = refused(&mut j, txn(TxnKind::Void, 100).with_original(p));
    assert!(
        matches!(e, JournalError::UnknownTxn { stan } if stan == p),
        "{e:?}"
    );
    Ok(())
}

#[test]
fn void_must_match_terminal_and_merchant() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let p = purchase(&mut j, 100)?;
    let mut other_tid = txn(TxnKind::Void, 100).with_original(p);
    other_tid.terminal = "T0000002".into();
    let e = refused(&mut j, other_tid);
    assert!(matches!(e, JournalError::TerminalMismatch { .. }), "{e:?}");
    let mut other_mid = txn(TxnKind::Void, 100).with_original(p);
    other_mid.merchant = "M00000000000002".into();
    let e = refused(&mut j, other_mid);
    assert!(matches!(e, JournalError::MerchantMismatch { .. }), "{e:?}");
    Ok(())
}

#[test]
fn void_amount_must_equal_the_original() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let p = purchase(&mut j, 100)?;
    let e = refused(&mut j, txn(TxnKind::Void, 99).with_original(p));
    assert!(
        matches!(
            e,
            JournalError::AmountMismatch {
                expected: 100,
                requested: 99
            }
        ),
        "{e:?}"
    );
    Ok(())
}

#[test]
fn void_twice_is_refused_even_while_the_first_is_in_flight() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let p = purchase(&mut j, 100)?;
    let v = begin(&mut j, txn(TxnKind::Void, 100).with_original(p))?;
    let e = refused(&mut j, txn(TxnKind::Void, 100).with_original(p));
    assert!(
        matches!(e, JournalError::AlreadyVoided { stan } if stan == p),
        "{e:?}"
    );
    j.on_response(v.stan, "00", None, None)?;
    assert_eq!(state(&j, p), Some(TxnState::Voided));
    let e = refused(&mut j, txn(TxnKind::Void, 100).with_original(p));
    assert!(matches!(e, JournalError::AlreadyVoided { .. }), "{e:?}");
    Ok(())
}

#[test]
fn void_of_declined_uncertain_or_reversed_is_refused() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let d = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_response(d.stan, "51", None, None)?;
    let e = refused(&mut j, txn(TxnKind::Void, 100).with_original(d.stan));
    assert!(
        matches!(
            e,
            JournalError::OriginalNotApproved {
                state: TxnState::Declined,
                ..
            }
        ),
        "{e:?}"
    );

    let u = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_timeout(u.stan)?;
    j.on_reversal_sent(u.stan)?;
    j.on_reversal_response(u.stan, "00")?;
    let e = refused(&mut j, txn(TxnKind::Void, 100).with_original(u.stan));
    assert!(
        matches!(
            e,
            JournalError::OriginalNotApproved {
                state: TxnState::Reversed,
                ..
            }
        ),
        "{e:?}"
    );

    let s = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    let e = refused(&mut j, txn(TxnKind::Void, 100).with_original(s.stan));
    assert!(
        matches!(
            e,
            JournalError::OriginalNotApproved {
                state: TxnState::Sent,
                ..
            }
        ),
        "{e:?}"
    );
    Ok(())
}

#[test]
fn void_only_targets_purchases_and_completions() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let pre = approved(&mut j, txn(TxnKind::PreAuth, 100))?;
    let e = refused(&mut j, txn(TxnKind::Void, 100).with_original(pre));
    assert!(
        matches!(
            e,
            JournalError::WrongOriginalKind {
                kind: TxnKind::Void,
                original: TxnKind::PreAuth
            }
        ),
        "{e:?}"
    );
    let c = approved(&mut j, txn(TxnKind::Completion, 100).with_original(pre))?;
    let v = approved(&mut j, txn(TxnKind::Void, 100).with_original(c))?;
    assert_eq!(state(&j, c), Some(TxnState::Voided));
    assert_eq!(state(&j, v), Some(TxnState::Approved));
    Ok(())
}

#[test]
fn void_of_a_refunded_purchase_is_refused() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let p = purchase(&mut j, 100)?;
    approved(&mut j, refund(p, 10))?;
    let e = refused(&mut j, txn(TxnKind::Void, 100).with_original(p));
    assert!(
        matches!(e, JournalError::HasRefunds { stan } if stan == p),
        "{e:?}"
    );
    Ok(())
}

#[test]
fn cup_forbids_void_of_refund() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let p = purchase(&mut j, 100)?;
    let r = approved(&mut j, refund(p, 40))?;
    let e = refused(&mut j, txn(TxnKind::VoidOfRefund, 40).with_original(r));
    assert!(matches!(e, JournalError::VoidOfRefundNotAllowed), "{e:?}");
    let e = refused(&mut j, txn(TxnKind::Void, 40).with_original(r));
    assert!(matches!(e, JournalError::VoidOfRefundNotAllowed), "{e:?}");
    Ok(())
}

#[test]
fn generic_allows_void_of_refund_and_restores_the_remainder() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let p = purchase(&mut j, 100)?;
    let r = approved(&mut j, refund(p, 100))?;
    assert_eq!(state(&j, p), Some(TxnState::FullyRefunded));
    let e = refused(&mut j, txn(TxnKind::Void, 100).with_original(r));
    assert!(matches!(e, JournalError::WrongOriginalKind { .. }), "{e:?}");
    approved(&mut j, txn(TxnKind::VoidOfRefund, 100).with_original(r))?;
    assert_eq!(state(&j, r), Some(TxnState::Voided));
    assert_eq!(state(&j, p), Some(TxnState::Approved));
    assert_eq!(j.txn(p).map(|t| t.refunded), Some(0));
    approved(&mut j, refund(p, 100))?;
    Ok(())
}

#[test]
fn refund_total_never_exceeds_the_original() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let p = purchase(&mut j, 100)?;
    approved(&mut j, refund(p, 30))?;
    assert_eq!(state(&j, p), Some(TxnState::PartlyRefunded));
    // An in-flight refund counts too.
    let in_flight = begin(&mut j, refund(p, 50))?;
    let e = refused(&mut j, refund(p, 21));
    assert!(
        matches!(
            e,
            JournalError::RefundExceedsOriginal {
                original: 100,
                remaining: 20,
                requested: 21
            }
        ),
        "{e:?}"
    );
    // A declined refund frees its amount again.
    j.on_response(in_flight.stan, "05", None, None)?;
    approved(&mut j, refund(p, 70))?;
    assert_eq!(state(&j, p), Some(TxnState::FullyRefunded));
    assert_eq!(j.txn(p).map(|t| t.refunded), Some(100));
    let e = refused(&mut j, refund(p, 1));
    assert!(
        matches!(e, JournalError::RefundExceedsOriginal { remaining: 0, .. }),
        "{e:?}"
    );
    Ok(())
}

#[test]
fn refund_of_an_earlier_batch_uses_the_callers_figures() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let e = refused(&mut j, refund_of_earlier(60, 100, 50));
    assert!(
        matches!(
            e,
            JournalError::RefundExceedsOriginal {
                remaining: 50,
                requested: 60,
                ..
            }
        ),
        "{e:?}"
    );
    let t = begin(&mut j, refund_of_earlier(50, 100, 50))?;
    assert_eq!(t.original, None);
    Ok(())
}

#[test]
fn refund_only_of_approved_purchases_or_completions() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let pre = approved(&mut j, txn(TxnKind::PreAuth, 100))?;
    let e = refused(&mut j, refund(pre, 10));
    assert!(
        matches!(
            e,
            JournalError::WrongOriginalKind {
                original: TxnKind::PreAuth,
                ..
            }
        ),
        "{e:?}"
    );
    let d = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_response(d.stan, "51", None, None)?;
    let e = refused(&mut j, refund(d.stan, 10));
    assert!(
        matches!(e, JournalError::OriginalNotApproved { .. }),
        "{e:?}"
    );
    let p = purchase(&mut j, 100)?;
    approved(&mut j, txn(TxnKind::Void, 100).with_original(p))?;
    let e = refused(&mut j, refund(p, 10));
    assert!(matches!(e, JournalError::AlreadyVoided { .. }), "{e:?}");
    Ok(())
}

#[test]
fn refund_needs_an_original() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let e = refused(&mut j, txn(TxnKind::Refund, 10));
    assert!(
        matches!(
            e,
            JournalError::MissingOriginal {
                kind: TxnKind::Refund
            }
        ),
        "{e:?}"
    );
    Ok(())
}

#[test]
fn completion_not_above_pre_auth_plus_tolerance() -> TestResult {
    let mut policy = JournalPolicy::generic_1987();
    policy.completion_tolerance_percent = 10;
    let mut j = signed_on(policy)?;
    let pre = approved(&mut j, txn(TxnKind::PreAuth, 1_000))?;
    let e = refused(&mut j, txn(TxnKind::Completion, 1_101).with_original(pre));
    assert!(
        matches!(
            e,
            JournalError::CompletionExceedsPreAuth {
                limit: 1_100,
                requested: 1_101
            }
        ),
        "{e:?}"
    );
    approved(&mut j, txn(TxnKind::Completion, 1_100).with_original(pre))?;
    let e = refused(&mut j, txn(TxnKind::Completion, 10).with_original(pre));
    assert!(
        matches!(e, JournalError::AlreadyCompleted { stan } if stan == pre),
        "{e:?}"
    );
    Ok(())
}

#[test]
fn completion_of_an_earlier_pre_auth_checks_the_limit() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let earlier = OriginalRef {
        amount: 500,
        refunded_so_far: 0,
    };
    let e = refused(
        &mut j,
        txn(TxnKind::Completion, 501).with_original_ref(earlier.clone()),
    );
    assert!(
        matches!(e, JournalError::CompletionExceedsPreAuth { limit: 500, .. }),
        "{e:?}"
    );
    assert!(
        begin(
            &mut j,
            txn(TxnKind::Completion, 500).with_original_ref(earlier)
        )
        .is_ok()
    );
    Ok(())
}

#[test]
fn pre_auth_cancel_only_of_an_approved_pre_auth() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let p = purchase(&mut j, 100)?;
    let e = refused(&mut j, txn(TxnKind::PreAuthCancel, 100).with_original(p));
    assert!(
        matches!(
            e,
            JournalError::WrongOriginalKind {
                original: TxnKind::Purchase,
                ..
            }
        ),
        "{e:?}"
    );
    let d = begin(&mut j, txn(TxnKind::PreAuth, 100))?;
    j.on_response(d.stan, "05", None, None)?;
    let e = refused(
        &mut j,
        txn(TxnKind::PreAuthCancel, 100).with_original(d.stan),
    );
    assert!(
        matches!(e, JournalError::OriginalNotApproved { .. }),
        "{e:?}"
    );
    let pre = approved(&mut j, txn(TxnKind::PreAuth, 100))?;
    let e = refused(&mut j, txn(TxnKind::PreAuthCancel, 90).with_original(pre));
    assert!(matches!(e, JournalError::AmountMismatch { .. }), "{e:?}");
    approved(&mut j, txn(TxnKind::PreAuthCancel, 100).with_original(pre))?;
    assert_eq!(state(&j, pre), Some(TxnState::Voided));
    let e = refused(&mut j, txn(TxnKind::Completion, 100).with_original(pre));
    assert!(matches!(e, JournalError::AlreadyVoided { .. }), "{e:?}");
    Ok(())
}

#[test]
fn completion_void_only_of_an_online_completion() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let pre = approved(&mut j, txn(TxnKind::PreAuth, 100))?;
    let advice = approved(
        &mut j,
        txn(TxnKind::CompletionAdvice, 100).with_original(pre),
    )?;
    let e = refused(
        &mut j,
        txn(TxnKind::CompletionVoid, 100).with_original(advice),
    );
    assert!(
        matches!(
            e,
            JournalError::WrongOriginalKind {
                original: TxnKind::CompletionAdvice,
                ..
            }
        ),
        "{e:?}"
    );
    Ok(())
}

#[test]
fn stans_are_unique_within_the_batch_and_skip_used_ones() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    // Force the allocator to wrap onto STANs still present in the batch.
    let a = purchase(&mut j, 1)?;
    let b = purchase(&mut j, 2)?;
    j.stans =
        crate::flows::journal::StanAllocator::starting_after(Stan::new(999_999).ok_or("stan")?);
    let c = purchase(&mut j, 3)?;
    assert_eq!((a.get(), b.get(), c.get()), (1, 2, 3));
    Ok(())
}

#[test]
fn encoder_failure_changes_nothing() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let before = j.clone();
    let r = j.begin(txn(TxnKind::Purchase, 5), |_| Err::<Vec<u8>, _>("no PIN"));
    assert!(matches!(r, Err(JournalError::Encode(_))));
    assert_eq!(j, before);
    assert_eq!(j.peek_stan()?.get(), 1);
    Ok(())
}

#[test]
fn settlement_blocks_new_financial_work() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    purchase(&mut j, 100)?;
    let e = refused(&mut j, txn(TxnKind::Settlement, 0));
    assert!(matches!(e, JournalError::NotSettled), "{e:?}");
    j.settle()?;
    let e = refused(&mut j, txn(TxnKind::Purchase, 100));
    assert!(
        matches!(
            e,
            JournalError::SettlementInProgress {
                kind: TxnKind::Purchase
            }
        ),
        "{e:?}"
    );
    assert!(begin(&mut j, txn(TxnKind::Settlement, 0)).is_ok());
    Ok(())
}
