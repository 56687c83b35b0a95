//! Store-and-forward rules: repeat MTI, retry codes, delivery, expiry,
//! restart and FIFO order; and STANs of messages sent outside `begin`.

use crate::flows::journal::test_support::*;
use crate::flows::journal::{
    AdviceKind, AdviceOutcome, ExpiryReason, FileJournal, Journal, JournalError, JournalPolicy,
    NewTxn, ReversalStatus, Stan, TxnKind, TxnState,
};

const PAN: &str = "4761739001010119";

/// An approved pre-auth of `amount` and the completion advice (0220) of it.
fn completion_advice(j: &mut Journal, amount: u64) -> Result<NewTxn, JournalError> {
    let pre = approved(j, NewTxn::new(TxnKind::PreAuth, amount, TID, MID, "0100"))?;
    Ok(NewTxn::new(TxnKind::CompletionAdvice, amount, TID, MID, "0220").with_original(pre))
}

/// Queues a completion advice of `amount` at time `at`, carrying a PAN.
fn queue(j: &mut Journal, amount: u64, at: u64) -> Result<Stan, JournalError> {
    let req = completion_advice(j, amount)?;
    let enc = encoder_with(&req, &[(2, PAN), (14, "2912")]);
    Ok(j.queue_advice(req, at, enc)?.stan)
}

/// Sends the head advice: returns its STAN and MTI after counting the attempt.
fn send(j: &mut Journal) -> Result<(Stan, String), Box<dyn std::error::Error>> {
    let job = j.next_advice().ok_or("no advice due")?;
    j.on_advice_sent(job.stan)?;
    Ok((job.stan, job.mti))
}

#[test]
fn first_send_is_0220_and_repeats_are_0221() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let stan = queue(&mut j, 700, 0)?;
    assert_eq!(state(&j, stan), Some(TxnState::Uncertain));
    let job = j.next_advice().ok_or("queued")?;
    assert_eq!(
        (job.mti.as_str(), job.attempt, job.repeat),
        ("0220", 1, false)
    );
    assert_eq!(job.kind, AdviceKind::Financial);
    j.on_advice_sent(stan)?;
    // In flight: nothing else is handed out until it is answered.
    assert!(j.next_advice().is_none());
    assert_eq!(j.on_advice_no_response(stan, 30)?, AdviceOutcome::Retry);
    let job = j.next_advice().ok_or("still queued")?;
    assert_eq!(
        (job.stan, job.mti.as_str(), job.attempt, job.repeat),
        (stan, "0221", 2, true)
    );
    // The CUP profile resends the same MTI.
    let mut cup = signed_on(JournalPolicy::cup_pos())?;
    let s = queue(&mut cup, 700, 0)?;
    cup.on_advice_sent(s)?;
    cup.on_advice_no_response(s, 1)?;
    let job = cup.next_advice().ok_or("queued")?;
    assert_eq!((job.mti.as_str(), job.repeat), ("0220", true));
    Ok(())
}

#[test]
fn retry_code_keeps_it_queued_and_approval_removes_it() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let stan = queue(&mut j, 700, 0)?;
    for code in ["91", "96", "68"] {
        send(&mut j)?;
        assert_eq!(j.on_advice_response(stan, code, 10)?, AdviceOutcome::Retry);
        assert_eq!(j.queued_advices().first().map(|a| a.stan), Some(stan));
        assert_eq!(
            j.queued_advices()
                .first()
                .and_then(|a| a.last_response_code.clone()),
            Some(code.to_owned())
        );
        assert!(j.settle().is_err(), "settlement waits for the advice");
    }
    let (_, mti) = send(&mut j)?;
    assert_eq!(mti, "0221");
    assert_eq!(
        j.on_advice_response(stan, "00", 20)?,
        AdviceOutcome::Delivered
    );
    assert!(j.next_advice().is_none() && j.queued_advices().is_empty());
    assert_eq!(state(&j, stan), Some(TxnState::Approved));
    assert_eq!(j.totals().debit_amount, 700);
    j.verify()?;
    // A late duplicate answer finds nothing queued.
    assert!(matches!(
        j.on_advice_response(stan, "00", 21),
        Err(JournalError::NoAdvice { .. })
    ));
    // 94 (duplicate transmission) also means the host has it.
    let other = queue(&mut j, 300, 30)?;
    send(&mut j)?;
    assert_eq!(
        j.on_advice_response(other, "94", 31)?,
        AdviceOutcome::Delivered
    );
    assert_eq!(state(&j, other), Some(TxnState::Approved));
    Ok(())
}

#[test]
fn refusal_attempts_and_age_move_it_to_the_expired_list() -> TestResult {
    let mut policy = JournalPolicy::generic_1987();
    policy.advice_attempts = 2;
    policy.advice_max_age_secs = Some(100);
    let mut j = signed_on(policy)?;
    // Refused by the host (05): expired at once, with the code.
    let refused = queue(&mut j, 100, 0)?;
    send(&mut j)?;
    let out = j.on_advice_response(refused, "05", 1)?;
    assert_eq!(
        out,
        AdviceOutcome::Expired(ExpiryReason::Refused { code: "05".into() })
    );
    // Two unanswered attempts: expired by attempts.
    let attempts = queue(&mut j, 200, 0)?;
    send(&mut j)?;
    assert_eq!(j.on_advice_no_response(attempts, 2)?, AdviceOutcome::Retry);
    send(&mut j)?;
    assert_eq!(
        j.on_advice_no_response(attempts, 3)?,
        AdviceOutcome::Expired(ExpiryReason::Attempts)
    );
    // Answered "retry" after its maximum age: expired by age.
    let aged = queue(&mut j, 300, 0)?;
    send(&mut j)?;
    assert_eq!(
        j.on_advice_response(aged, "91", 101)?,
        AdviceOutcome::Expired(ExpiryReason::Age)
    );
    // The sweep expires what waits too long without being sent.
    let swept = queue(&mut j, 400, 50)?;
    let kept = queue(&mut j, 500, 120)?;
    assert_eq!(j.expire_advices(151)?, vec![swept]);
    assert_eq!(
        j.queued_advices()
            .iter()
            .map(|a| a.stan)
            .collect::<Vec<_>>(),
        vec![kept]
    );
    let expired: Vec<_> = j
        .expired_advices()
        .iter()
        .map(|e| (e.stan, e.amount, e.attempts))
        .collect();
    assert_eq!(
        expired,
        vec![
            (refused, 100, 1),
            (attempts, 200, 2),
            (aged, 300, 1),
            (swept, 400, 0)
        ]
    );
    for stan in [refused, attempts, aged, swept] {
        assert_eq!(state(&j, stan), Some(TxnState::AdviceExpired));
    }
    assert_eq!(
        j.expired_advices().first().and_then(|e| e.pan_hint.clone()),
        Some("0119".into())
    );
    assert_eq!(
        j.totals().debit_amount,
        0,
        "expired advices are not counted"
    );
    j.verify()?;
    // Kept until acknowledged, also across a batch close.
    send(&mut j)?;
    j.on_advice_response(kept, "00", 121)?;
    j.settle()?;
    j.close_batch(true)?;
    assert_eq!(j.expired_advices().len(), 4);
    assert_eq!(j.acknowledge_expired_advice(refused)?.stan, refused);
    assert_eq!(j.expired_advices().len(), 3);
    assert!(j.acknowledge_expired_advice(refused).is_err());
    Ok(())
}

#[test]
fn queue_is_fifo_and_only_the_head_is_sent() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let stans = [
        queue(&mut j, 100, 0)?,
        queue(&mut j, 200, 1)?,
        queue(&mut j, 300, 2)?,
    ];
    assert!(matches!(
        j.on_advice_sent(stans[1]),
        Err(JournalError::AdviceOutOfOrder { .. })
    ));
    let mut sent = Vec::new();
    while let Some(job) = j.next_advice() {
        j.on_advice_sent(job.stan)?;
        // Each is retried once before delivery: the head stays the head.
        if job.attempt == 1 {
            j.on_advice_response(job.stan, "96", 5)?;
        } else {
            j.on_advice_response(job.stan, "00", 5)?;
        }
        sent.push((job.stan, job.mti));
    }
    let want: Vec<(Stan, String)> = stans
        .iter()
        .flat_map(|s| [(*s, "0220".to_owned()), (*s, "0221".to_owned())])
        .collect();
    assert_eq!(sent, want);
    Ok(())
}

#[test]
fn restart_keeps_the_queue_and_repeats_the_attempt_in_flight() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let mut fj = FileJournal::create(&path, new_journal(JournalPolicy::generic_1987()))?;
    fj.sign_on(Some(1))?;
    let mut stans = Vec::new();
    for amount in [100, 200] {
        let pre = approved_file(&mut fj, amount)?;
        let req =
            NewTxn::new(TxnKind::CompletionAdvice, amount, TID, MID, "0220").with_original(pre);
        let enc = encoder_with(&req, &[(2, PAN), (14, "2912")]);
        stans.push(fj.queue_advice(req, 7, enc)?.stan);
    }
    let job = fj.journal().next_advice().ok_or("queued")?;
    fj.on_advice_sent(job.stan)?;
    let before = fj.journal().queued_advices().to_vec();
    drop(fj); // crash with the first attempt in flight
    let text = std::fs::read_to_string(&path)?;
    assert!(!text.contains(PAN) && !text.contains(&hex::encode(PAN)));
    let mut fj = open(&path)?;
    let after = fj.journal().queued_advices();
    assert_eq!(
        after
            .iter()
            .map(|a| (a.stan, a.attempts, a.queued_at))
            .collect::<Vec<_>>(),
        before
            .iter()
            .map(|a| (a.stan, a.attempts, a.queued_at))
            .collect::<Vec<_>>()
    );
    assert!(after.iter().all(|a| !a.in_flight));
    let job = fj.journal().next_advice().ok_or("still queued")?;
    assert_eq!(
        (job.stan, job.mti.as_str(), job.attempt, job.repeat),
        (stans[0], "0221", 2, true)
    );
    // The kept advice still restores with its PAN for the repeat.
    let original = fj.journal().original(job.stan)?;
    let view = crate::MessageView::decode(fj.journal().spec(), original.request())?;
    assert_eq!(
        (view.str(2), original.request().get(..4)),
        (Some(PAN), Some(&b"0220"[..]))
    );
    fj.on_advice_sent(job.stan)?;
    fj.on_advice_response(job.stan, "00", 9)?;
    let job = fj.journal().next_advice().ok_or("second")?;
    assert_eq!((job.stan, job.mti.as_str()), (stans[1], "0220"));
    Ok(())
}

fn approved_file(fj: &mut FileJournal, amount: u64) -> Result<Stan, JournalError> {
    let t = fbegin(fj, NewTxn::new(TxnKind::PreAuth, amount, TID, MID, "0100"))?;
    fj.on_response(t.stan, "00", None, Some("AUTH01".into()))?;
    Ok(t.stan)
}

#[test]
fn a_due_reversal_goes_to_the_queue_as_0420_then_0421() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 900))?;
    j.on_timeout(t.stan)?;
    assert!(
        begin(&mut j, txn(TxnKind::Purchase, 1)).is_err(),
        "reversal blocks"
    );
    j.queue_reversal_advice(t.stan, 0)?;
    j.verify()?;
    assert!(j.next_reversal().is_none());
    // Stored and forwarded: new work may go.
    let next = approved(&mut j, txn(TxnKind::Purchase, 5))?;
    let job = j.next_advice().ok_or("queued")?;
    assert_eq!(
        (job.stan, job.mti.as_str(), job.original_mti.as_str()),
        (t.stan, "0420", "0200")
    );
    assert!(matches!(job.kind, AdviceKind::Reversal { .. }));
    j.on_advice_sent(t.stan)?;
    j.on_advice_no_response(t.stan, 1)?;
    let (_, mti) = send(&mut j)?;
    assert_eq!(mti, "0421");
    assert_eq!(
        j.on_advice_response(t.stan, "00", 2)?,
        AdviceOutcome::Delivered
    );
    assert_eq!(state(&j, t.stan), Some(TxnState::Reversed));
    assert_eq!(j.totals().debit_amount, 5);
    assert_ne!(next, t.stan);
    j.verify()?;
    // One that expires ends as a failed reversal for reconciliation.
    let u = begin(&mut j, txn(TxnKind::Purchase, 50))?;
    j.on_timeout(u.stan)?;
    j.queue_reversal_advice(u.stan, 0)?;
    send(&mut j)?;
    j.on_advice_response(u.stan, "12", 3)?;
    assert_eq!(state(&j, u.stan), Some(TxnState::ReversalFailed));
    assert!(
        j.reversals()
            .iter()
            .any(|r| r.stan == u.stan && r.status == ReversalStatus::Failed)
    );
    j.verify()?;
    Ok(())
}

#[test]
fn only_advices_are_queued_and_their_answers_come_through_the_queue() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let purchase = txn(TxnKind::Purchase, 100);
    let enc = encoder(&purchase);
    assert!(matches!(
        j.queue_advice(purchase, 0, enc),
        Err(JournalError::NotAnAdvice { .. })
    ));
    let stan = queue(&mut j, 100, 0)?;
    assert!(j.on_response(stan, "00", None, None).is_err());
    assert!(matches!(
        j.on_advice_no_response(stan, 0),
        Err(JournalError::AdviceOutOfOrder { .. })
    ));
    assert!(matches!(
        j.settle(),
        Err(JournalError::AdviceOutstanding { .. })
    ));
    Ok(())
}

#[test]
fn settlement_stan_is_never_reused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let mut fj = FileJournal::create(&path, new_journal(JournalPolicy::generic_1987()))?;
    let sign_on = fbegin(&mut fj, NewTxn::new(TxnKind::SignOn, 0, TID, MID, "0800"))?;
    fj.on_response(sign_on.stan, "00", None, None)?;
    fj.sign_on(Some(1))?;
    let p = fbegin(&mut fj, txn(TxnKind::Purchase, 100))?;
    fj.on_response(p.stan, "00", None, None)?;
    fj.settle()?;
    let settlement = fj.allocate_stan()?;
    assert!(settlement > p.stan && settlement > sign_on.stan);
    fj.close_batch(true)?;
    drop(fj);
    // The next day's sign-on, after a restart, takes the following STAN.
    let mut fj = open(&path)?;
    assert_eq!(fj.journal().last_stan(), Some(settlement));
    let next = fbegin(&mut fj, NewTxn::new(TxnKind::SignOn, 0, TID, MID, "0800"))?;
    assert_eq!(Some(next.stan), Stan::new(settlement.get() + 1));
    assert_ne!(fj.allocate_stan()?, next.stan);
    Ok(())
}

#[test]
fn restart_expires_an_advice_whose_last_attempt_was_in_flight() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let mut policy = JournalPolicy::generic_1987();
    policy.advice_attempts = 1;
    let mut fj = FileJournal::create(&path, new_journal(policy))?;
    fj.sign_on(Some(1))?;
    let pre = approved_file(&mut fj, 600)?;
    let req = NewTxn::new(TxnKind::CompletionAdvice, 600, TID, MID, "0220").with_original(pre);
    let enc = encoder(&req);
    let stan = fj.queue_advice(req, 0, enc)?.stan;
    fj.on_advice_sent(stan)?;
    drop(fj); // crash with the only allowed attempt in flight
    let fj = open(&path)?;
    let j = fj.journal();
    assert!(j.queued_advices().is_empty() && j.next_advice().is_none());
    let expired: Vec<_> = j
        .expired_advices()
        .iter()
        .map(|e| (e.stan, e.attempts, e.reason.clone()))
        .collect();
    assert_eq!(expired, vec![(stan, 1, ExpiryReason::Attempts)]);
    assert_eq!(state(j, stan), Some(TxnState::AdviceExpired));
    j.verify()?;
    Ok(())
}
