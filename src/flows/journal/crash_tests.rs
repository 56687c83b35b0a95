//! Crash at every step: the journal is dropped and reloaded from disk after
//! each step of a script, and must come back whole and consistent.

use std::collections::BTreeSet;
use std::path::Path;

use crate::flows::journal::test_support::*;
use crate::flows::journal::{
    FileJournal, Journal, JournalError, JournalPolicy, Stan, TxnKind, TxnState,
};

/// Drops `fj`, reopens the file and checks the crash invariants.
fn crash(fj: FileJournal, approved: &BTreeSet<Stan>) -> Result<FileJournal, JournalError> {
    let before = fj.journal().clone();
    let path = fj.path().to_path_buf();
    drop(fj);
    let fj = FileJournal::open(&path)?;
    let j = fj.journal();
    assert_eq!(
        *j, before,
        "reloaded journal differs from the one before the crash"
    );
    j.verify()?;
    for t in j.transactions() {
        if matches!(t.state, TxnState::Uncertain | TxnState::ReversalPending)
            && t.kind.is_reversible(j.policy())
        {
            assert!(
                j.reversals().iter().any(|r| r.stan == t.stan),
                "STAN {} lost its reversal",
                t.stan
            );
        }
    }
    for stan in approved {
        let st = j.txn(*stan).map(|t| t.state);
        assert!(
            matches!(
                st,
                Some(
                    TxnState::Approved
                        | TxnState::Voided
                        | TxnState::PartlyRefunded
                        | TxnState::FullyRefunded
                )
            ),
            "approved STAN {stan} lost: {st:?}"
        );
    }
    Ok(fj)
}

fn create(path: &Path, policy: JournalPolicy) -> Result<FileJournal, JournalError> {
    FileJournal::create(path, Journal::new(TID, MID, policy))
}

fn enc(t: &crate::flows::journal::Ticket) -> Result<Vec<u8>, std::io::Error> {
    Ok(format!("REQ|{}", t.stan).into_bytes())
}

#[test]
fn crash_after_every_step_of_a_day() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let mut approved = BTreeSet::new();
    let mut fj = create(&path, JournalPolicy::cup_pos())?;
    fj = crash(fj, &approved)?;

    fj.sign_on(Some(12))?;
    fj = crash(fj, &approved)?;
    assert!(fj.journal().is_signed_on());

    // Purchase approved.
    let p1 = fj.begin(txn(TxnKind::Purchase, 1_000), enc)?.stan;
    fj = crash(fj, &approved)?;
    assert_eq!(fj.journal().txn(p1).map(|t| t.state), Some(TxnState::Sent));
    fj.on_response(p1, "00", Some("000000000001".into()), Some("111111".into()))?;
    approved.insert(p1);
    fj = crash(fj, &approved)?;

    // Purchase timed out, then reversed on the second attempt.
    let p2 = fj.begin(txn(TxnKind::Purchase, 2_000), enc)?.stan;
    fj = crash(fj, &approved)?;
    fj.on_timeout(p2)?;
    fj = crash(fj, &approved)?;
    assert_eq!(fj.journal().next_reversal().map(|r| r.stan), Some(p2));
    assert!(matches!(
        fj.begin(txn(TxnKind::Purchase, 5), enc),
        Err(JournalError::ReversalPending { .. })
    ));
    fj.on_reversal_sent(p2)?;
    fj = crash(fj, &approved)?;
    fj.on_reversal_no_response(p2)?;
    fj = crash(fj, &approved)?;
    assert_eq!(fj.journal().next_reversal().map(|r| r.attempt), Some(2));
    fj.on_reversal_sent(p2)?;
    fj = crash(fj, &approved)?;
    fj.on_reversal_response(p2, "00")?;
    fj = crash(fj, &approved)?;
    assert_eq!(
        fj.journal().txn(p2).map(|t| t.state),
        Some(TxnState::Reversed)
    );

    // Another purchase, voided.
    let p3 = fj.begin(txn(TxnKind::Purchase, 3_000), enc)?.stan;
    fj.on_response(p3, "00", None, None)?;
    approved.insert(p3);
    fj = crash(fj, &approved)?;
    let v = fj
        .begin(txn(TxnKind::Void, 3_000).with_original(p3), enc)?
        .stan;
    fj = crash(fj, &approved)?;
    fj.on_response(v, "00", None, None)?;
    approved.insert(v);
    fj = crash(fj, &approved)?;
    assert_eq!(
        fj.journal().txn(p3).map(|t| t.state),
        Some(TxnState::Voided)
    );

    // Two refunds of the first purchase.
    let r1 = fj.begin(refund(p1, 300), enc)?.stan;
    fj = crash(fj, &approved)?;
    fj.on_response(r1, "00", None, None)?;
    approved.insert(r1);
    fj = crash(fj, &approved)?;
    let r2 = fj.begin(refund(p1, 700), enc)?.stan;
    fj = crash(fj, &approved)?;
    fj.on_response(r2, "00", None, None)?;
    approved.insert(r2);
    fj = crash(fj, &approved)?;
    assert_eq!(
        fj.journal().txn(p1).map(|t| t.state),
        Some(TxnState::FullyRefunded)
    );

    // Settle and close.
    let totals = fj.settle()?;
    fj = crash(fj, &approved)?;
    assert!(fj.journal().is_settling());
    assert_eq!((totals.debit_count, totals.debit_amount), (1, 1_000));
    assert_eq!((totals.credit_count, totals.credit_amount), (2, 1_000));
    let closed = fj.close_batch(true)?;
    approved.clear();
    fj = crash(fj, &approved)?;
    assert_eq!(closed.summary.batch, 12);
    assert_eq!(fj.journal().batch(), 13);
    assert_eq!(fj.journal().history().len(), 1);
    Ok(())
}

#[test]
fn failed_write_leaves_memory_and_file_unchanged() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub)?;
    let path = sub.join("journal.json");
    let mut fj = create(&path, JournalPolicy::cup_pos())?;
    fj.sign_on(None)?;
    let before = fj.journal().clone();
    std::fs::remove_dir_all(&sub)?;
    let r = fj.begin(txn(TxnKind::Purchase, 100), enc);
    assert!(matches!(r, Err(JournalError::Io(_))), "{r:?}");
    assert_eq!(*fj.journal(), before);
    Ok(())
}

#[test]
fn create_refuses_to_overwrite() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    create(&path, JournalPolicy::cup_pos())?;
    assert!(matches!(
        create(&path, JournalPolicy::cup_pos()),
        Err(JournalError::Io(_))
    ));
    Ok(())
}

#[test]
fn open_rejects_malformed_and_inconsistent_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    std::fs::write(&path, b"{not json")?;
    assert!(matches!(
        FileJournal::open(&path),
        Err(JournalError::Format(_))
    ));

    // A timed-out purchase whose reversal record was removed by hand.
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_timeout(t.stan)?;
    j.reversals.clear();
    std::fs::write(&path, serde_json::to_vec(&j)?)?;
    assert!(matches!(
        FileJournal::open(&path),
        Err(JournalError::Corrupt(_))
    ));
    Ok(())
}

#[test]
fn journal_file_holds_no_full_pan_fields_of_its_own() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let mut fj = create(&path, JournalPolicy::cup_pos())?;
    fj.sign_on(None)?;
    fj.begin(txn(TxnKind::Purchase, 100).with_pan_hint("1234"), enc)?;
    let text = std::fs::read_to_string(&path)?;
    assert!(text.contains("\"pan_hint\": \"1234\""));
    // Request bytes are stored as hex.
    assert!(
        text.contains(
            &"REQ|000001"
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        )
    );
    Ok(())
}
