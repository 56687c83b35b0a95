//! Outcomes, the reversal loop and settlement.

use crate::flows::journal::test_support::*;
use crate::flows::journal::{
    JournalError, JournalPolicy, ReversalReason, ReversalStatus, Totals, TxnKind, TxnState,
};

#[test]
fn begin_records_sent_and_armed_reversal_before_returning() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100).with_pan_hint("4321"))?;
    let (spec, _) = setup();
    let sent = crate::MessageView::decode(&spec, &t.request)?;
    assert_eq!(
        (sent.str(11), sent.str(4)),
        (Some("000001"), Some("000000000100"))
    );
    assert_eq!(state(&j, t.stan), Some(TxnState::Sent));
    let armed = j.reversals().first().ok_or("no reversal")?;
    assert_eq!(
        (armed.stan, armed.status, armed.reason),
        (t.stan, ReversalStatus::Armed, ReversalReason::Other)
    );
    // No PAN in this request: the journal keeps it as sent and can rebuild it.
    assert_eq!(j.original(t.stan)?.request(), t.request.as_slice());
    assert!(j.next_reversal().is_none(), "an armed reversal is not due");
    Ok(())
}

#[test]
fn cup_refund_has_no_reversal_record() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let p = purchase(&mut j, 100)?;
    begin(&mut j, refund(p, 10))?;
    assert!(j.reversals().is_empty());
    Ok(())
}

#[test]
fn approval_codes_follow_the_policy() -> TestResult {
    let mut cup = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut cup, txn(TxnKind::Purchase, 100))?;
    assert_eq!(
        cup.on_response(t.stan, "A2", None, None)?,
        TxnState::Approved
    );
    let mut generic = signed_on(JournalPolicy::generic_1987())?;
    let t = begin(&mut generic, txn(TxnKind::Purchase, 100))?;
    assert_eq!(
        generic.on_response(t.stan, "A2", None, None)?,
        TxnState::Declined
    );
    for code in ["10", "11"] {
        let t = begin(&mut generic, txn(TxnKind::Purchase, 100))?;
        assert_eq!(
            generic.on_response(t.stan, code, None, None)?,
            TxnState::Approved
        );
    }
    Ok(())
}

#[test]
fn any_response_deletes_the_armed_reversal() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    assert_eq!(j.on_response(t.stan, "05", None, None)?, TxnState::Declined);
    assert!(j.reversals().is_empty());
    Ok(())
}

#[test]
fn rejects_malformed_response_codes() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    let r = j.on_response(t.stan, "0", None, None);
    assert!(matches!(r, Err(JournalError::InvalidResponseCode { .. })));
    Ok(())
}

#[test]
fn responses_99_and_a0_force_a_new_sign_on() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_response(t.stan, "A0", None, None)?;
    assert!(!j.is_signed_on());
    Ok(())
}

#[test]
fn late_response_after_timeout_is_refused() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_timeout(t.stan)?;
    let r = j.on_response(t.stan, "00", None, None);
    assert!(matches!(
        r,
        Err(JournalError::UnexpectedState {
            state: TxnState::Uncertain,
            ..
        })
    ));
    Ok(())
}

#[test]
fn timeout_mac_failure_and_card_decline_set_their_reasons() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    assert_eq!(j.on_timeout(t.stan)?, TxnState::Uncertain);
    assert_eq!(j.next_reversal().map(|r| r.reason.code()), Some("98"));
    j.on_reversal_sent(t.stan)?;
    j.on_reversal_response(t.stan, "00")?;

    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    assert_eq!(j.on_mac_failure(t.stan)?, TxnState::ReversalPending);
    assert_eq!(j.next_reversal().map(|r| r.reason.code()), Some("A0"));
    assert!(!j.is_signed_on(), "a MAC failure forces a re-sign-on");
    j.sign_on(None)?;
    j.on_reversal_sent(t.stan)?;
    j.on_reversal_response(t.stan, "00")?;

    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_response(t.stan, "00", None, Some("654321".into()))?;
    assert_eq!(
        j.on_card_declined_after_approval(t.stan)?,
        TxnState::ReversalPending
    );
    let job = j.next_reversal().ok_or("no job")?;
    assert_eq!(job.reason.code(), "06");
    assert_eq!(job.auth_code.as_deref(), Some("654321"));
    let (spec, _) = setup();
    let original = j.original(job.stan)?;
    assert_eq!(
        crate::MessageView::decode(&spec, original.request())?.str(11),
        Some("000003")
    );
    Ok(())
}

#[test]
fn reversal_retries_then_fails_and_stops_blocking() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_timeout(t.stan)?;
    for attempt in 1..=3 {
        let job = j.next_reversal().ok_or("no job")?;
        assert_eq!(
            (job.attempt, job.repeat, job.mti()),
            (attempt, false, "0400")
        );
        j.on_reversal_sent(t.stan)?;
        let st = j.on_reversal_no_response(t.stan)?;
        let expected = if attempt < 3 {
            TxnState::Uncertain
        } else {
            TxnState::ReversalFailed
        };
        assert_eq!(st, expected);
    }
    assert!(j.next_reversal().is_none());
    assert_eq!(
        j.reversals().first().map(|r| r.status),
        Some(ReversalStatus::Failed)
    );
    // No longer blocks: the next purchase may go.
    assert!(begin(&mut j, txn(TxnKind::Purchase, 5)).is_ok());
    Ok(())
}

#[test]
fn generic_repeats_use_the_repeat_mti() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_timeout(t.stan)?;
    j.on_reversal_sent(t.stan)?;
    j.on_reversal_no_response(t.stan)?;
    let job = j.next_reversal().ok_or("no job")?;
    assert_eq!((job.attempt, job.repeat, job.mti()), (2, true, "0401"));
    Ok(())
}

#[test]
fn reversal_bookkeeping_out_of_order_is_refused() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    assert!(matches!(
        j.on_reversal_sent(t.stan),
        Err(JournalError::ReversalNotDue { .. })
    ));
    j.on_timeout(t.stan)?;
    assert!(matches!(
        j.on_reversal_no_response(t.stan),
        Err(JournalError::ReversalOutOfOrder { .. })
    ));
    j.on_reversal_sent(t.stan)?;
    assert!(matches!(
        j.on_reversal_sent(t.stan),
        Err(JournalError::ReversalOutOfOrder { .. })
    ));
    Ok(())
}

#[test]
fn any_reversal_response_ends_the_loop() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_timeout(t.stan)?;
    j.on_reversal_sent(t.stan)?;
    assert_eq!(j.on_reversal_response(t.stan, "25")?, TxnState::Reversed);
    assert_eq!(
        j.txn(t.stan)
            .and_then(|r| r.reversal_response_code.clone())
            .as_deref(),
        Some("25")
    );
    assert!(j.reversals().is_empty());
    Ok(())
}

#[test]
fn reversed_void_restores_the_original() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let p = purchase(&mut j, 100)?;
    let v = begin(&mut j, txn(TxnKind::Void, 100).with_original(p))?;
    assert_eq!(v.original.as_ref().map(|o| o.amount), Some(100));
    j.on_response(v.stan, "00", None, None)?;
    assert_eq!(state(&j, p), Some(TxnState::Voided));
    j.on_card_declined_after_approval(v.stan)?;
    j.on_reversal_sent(v.stan)?;
    j.on_reversal_response(v.stan, "00")?;
    assert_eq!(state(&j, p), Some(TxnState::Approved));
    assert_eq!(j.totals().debit_amount, 100);
    Ok(())
}

#[test]
fn settlement_totals_count_only_live_approved_work() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let p1 = purchase(&mut j, 1_000)?;
    let p2 = purchase(&mut j, 2_000)?;
    purchase(&mut j, 300)?;
    approved(&mut j, txn(TxnKind::Void, 2_000).with_original(p2))?;
    approved(&mut j, refund(p1, 400))?;
    let declined = begin(&mut j, txn(TxnKind::Purchase, 7))?;
    j.on_response(declined.stan, "51", None, None)?;
    let reversed = begin(&mut j, txn(TxnKind::Purchase, 9))?;
    j.on_timeout(reversed.stan)?;
    j.on_reversal_sent(reversed.stan)?;
    j.on_reversal_response(reversed.stan, "00")?;
    let pre = approved(&mut j, txn(TxnKind::PreAuth, 500))?;
    approved(&mut j, txn(TxnKind::Completion, 450).with_original(pre))?;

    let totals = j.settle()?;
    assert_eq!(
        totals,
        Totals {
            debit_count: 3,
            debit_amount: 1_750,
            credit_count: 1,
            credit_amount: 400
        }
    );
    assert_eq!(j.settle()?, totals, "settle is idempotent while settling");
    let closed = j.close_batch(true)?;
    assert_eq!(closed.summary.batch, 1);
    assert_eq!(
        closed
            .records
            .iter()
            .filter(|r| r.state == TxnState::Settled)
            .count(),
        4
    );
    assert_eq!(j.batch(), 2);
    assert_eq!(j.transactions().count(), 0);
    assert_eq!(j.history().len(), 1);
    Ok(())
}

#[test]
fn settlement_waits_for_in_flight_requests_and_advices() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let p = purchase(&mut j, 100)?;
    let r = begin(&mut j, refund(p, 10))?;
    assert!(matches!(j.settle(), Err(JournalError::InFlight { stan }) if stan == r.stan));
    assert_eq!(j.on_timeout(r.stan)?, TxnState::Uncertain);
    assert!(matches!(j.settle(), Err(JournalError::AdviceOutstanding { stan }) if stan == r.stan));
    // The repeated advice (0221) is answered late: accepted.
    assert_eq!(j.on_response(r.stan, "00", None, None)?, TxnState::Approved);
    assert_eq!(j.settle()?.credit_amount, 10);
    Ok(())
}

#[test]
fn close_batch_needs_settle_and_keeps_failed_reversals() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    assert!(matches!(j.close_batch(true), Err(JournalError::NotSettled)));
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_timeout(t.stan)?;
    for _ in 0..3 {
        j.on_reversal_sent(t.stan)?;
        j.on_reversal_no_response(t.stan)?;
    }
    j.settle()?;
    let closed = j.close_batch(false)?;
    assert!(!closed.summary.balanced);
    assert_eq!(closed.summary.unresolved.len(), 1);
    assert!(j.reversals().is_empty());
    assert!(j.verify().is_ok());
    Ok(())
}

#[test]
fn sign_on_rejects_invalid_batch() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    assert!(matches!(
        j.sign_on(Some(0)),
        Err(JournalError::InvalidBatch { batch: 0 })
    ));
    assert!(matches!(
        j.sign_on(Some(1_000_000)),
        Err(JournalError::InvalidBatch { .. })
    ));
    assert_eq!(j.batch(), 1);
    Ok(())
}

#[test]
fn batch_number_wraps() {
    assert_eq!(crate::flows::journal::next_batch(999_999), 1);
    assert_eq!(crate::flows::journal::next_batch(5), 6);
}

#[test]
fn debug_of_records_and_tickets_shows_no_request_bytes() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let pan = "4761739001010119";
    let req = txn(TxnKind::Purchase, 100);
    let enc = encoder_with(&req, &[(2, pan)]);
    let t = j.begin(req, enc)?;
    assert!(j.txn(t.stan).ok_or("no record")?.pan.is_some());
    j.on_timeout(t.stan)?;
    let job = j.next_reversal().ok_or("no job")?;
    let hexed: String = pan.bytes().map(|b| format!("{b:02x}")).collect();
    let bytes_list = format!("{:?}", pan.as_bytes());
    for text in [
        format!("{t:?}"),
        format!("{j:?}"),
        format!("{job:?}"),
        format!("{:?}", j.reversals()),
        format!("{:?}", j.original(t.stan)?),
    ] {
        assert!(!text.contains(pan), "{text}");
        assert!(!text.contains(&hexed), "{text}");
        assert!(!text.contains(&bytes_list[1..20]), "{text}");
    }
    for text in [
        format!("{t:?}"),
        format!("{j:?}"),
        format!("{:?}", j.original(t.stan)?),
    ] {
        assert!(text.contains("bytes, not shown"), "{text}");
    }
    Ok(())
}
