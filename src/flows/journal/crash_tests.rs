//! Crash at every step: the journal is dropped and reloaded from disk after
//! each step of a script, and must come back whole and consistent.

use std::collections::BTreeSet;
use std::path::Path;

use crate::flows::journal::test_support::*;
use crate::flows::journal::{
    FileJournal, Journal, JournalError, JournalPolicy, ReversalStatus, Stan, TxnKind, TxnState,
};

/// Checks that the file holds exactly the in-memory journal and that a
/// restart from it would make every `Sent` reversible transaction
/// reversal-due, without closing the handle.
fn on_disk(fj: &FileJournal) -> Result<(), JournalError> {
    let disk = crate::flows::journal::file::parse(&std::fs::read(fj.path())?)?;
    assert_eq!(&disk, fj.journal(), "file differs from memory");
    let mut recovered = disk.clone();
    recovered.recover();
    for t in disk.transactions() {
        if t.state == TxnState::Sent && t.kind.is_reversible(disk.policy()) {
            assert_eq!(
                recovered.txn(t.stan).map(|r| r.state),
                Some(TxnState::Uncertain)
            );
            assert!(
                recovered
                    .reversals()
                    .iter()
                    .any(|r| r.stan == t.stan && r.status == ReversalStatus::Due),
                "STAN {} not reversal-due after recovery",
                t.stan
            );
        }
    }
    Ok(())
}

/// Drops `fj`, reopens the file and checks the crash invariants.
fn crash(fj: FileJournal, approved: &BTreeSet<Stan>) -> Result<FileJournal, JournalError> {
    let mut before = fj.journal().clone();
    before.recover();
    let path = fj.path().to_path_buf();
    drop(fj);
    let fj = FileJournal::open(&path)?;
    let j = fj.journal();
    assert_eq!(
        *j, before,
        "reloaded journal differs from the recovered one before the crash"
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
    on_disk(&fj)?;
    assert_eq!(fj.journal().txn(p1).map(|t| t.state), Some(TxnState::Sent));
    fj.on_response(p1, "00", Some("000000000001".into()), Some("111111".into()))?;
    approved.insert(p1);
    fj = crash(fj, &approved)?;

    // Purchase timed out, then reversed on the second attempt.
    let p2 = fj.begin(txn(TxnKind::Purchase, 2_000), enc)?.stan;
    on_disk(&fj)?;
    fj.on_timeout(p2)?;
    fj = crash(fj, &approved)?;
    assert_eq!(fj.journal().next_reversal().map(|r| r.stan), Some(p2));
    assert!(matches!(
        fj.begin(txn(TxnKind::Purchase, 5), enc),
        Err(JournalError::ReversalPending { .. })
    ));
    fj.on_reversal_sent(p2)?;
    on_disk(&fj)?;
    fj.on_reversal_no_response(p2)?;
    fj = crash(fj, &approved)?;
    assert_eq!(fj.journal().next_reversal().map(|r| r.attempt), Some(2));
    fj.on_reversal_sent(p2)?;
    on_disk(&fj)?;
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
    on_disk(&fj)?;
    fj.on_response(v, "00", None, None)?;
    approved.insert(v);
    fj = crash(fj, &approved)?;
    assert_eq!(
        fj.journal().txn(p3).map(|t| t.state),
        Some(TxnState::Voided)
    );

    // Two refunds of the first purchase.
    let r1 = fj.begin(refund(p1, 300), enc)?.stan;
    on_disk(&fj)?;
    fj.on_response(r1, "00", None, None)?;
    approved.insert(r1);
    fj = crash(fj, &approved)?;
    let r2 = fj.begin(refund(p1, 700), enc)?.stan;
    on_disk(&fj)?;
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
        Err(JournalError::Damaged { .. })
    ));

    // A timed-out purchase whose reversal record was removed by hand.
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_timeout(t.stan)?;
    j.reversals.clear();
    std::fs::write(&path, crate::flows::journal::file::render(&j)?)?;
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

#[test]
fn reopen_makes_sent_reversal_due_and_refuses_new_work() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let mut fj = create(&path, JournalPolicy::generic_1987())?;
    fj.sign_on(None)?;
    let t = fj.begin(txn(TxnKind::Purchase, 2_500), enc)?.stan;
    drop(fj); // power loss: the request may have reached the host
    let mut fj = FileJournal::open(&path)?;
    assert_eq!(
        fj.journal().txn(t).map(|r| r.state),
        Some(TxnState::Uncertain)
    );
    assert_eq!(fj.journal().due_reversal(), Some(t));
    assert!(matches!(
        fj.begin(txn(TxnKind::Purchase, 5), enc),
        Err(JournalError::ReversalPending { stan }) if stan == t
    ));
    // An attempt in flight at the next crash counts as unanswered.
    fj.on_reversal_sent(t)?;
    drop(fj);
    let mut fj = FileJournal::open(&path)?;
    let job = fj.journal().next_reversal().ok_or("no reversal")?;
    assert_eq!((job.stan, job.attempt, job.repeat), (t, 2, true));
    fj.on_reversal_sent(t)?;
    assert_eq!(fj.on_reversal_response(t, "00")?, TxnState::Reversed);
    let next = fj.begin(txn(TxnKind::Purchase, 5), enc)?;
    assert!(next.stan > t, "STANs keep increasing across restarts");
    Ok(())
}

#[test]
fn second_handle_is_refused_while_the_first_lives() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let fj = create(&path, JournalPolicy::cup_pos())?;
    let err = FileJournal::open(&path)
        .err()
        .ok_or("second open succeeded")?;
    assert!(matches!(err, JournalError::InUse { .. }), "{err:?}");
    assert!(err.to_string().contains("in use"), "{err}");
    drop(fj);
    let _again = FileJournal::open(&path)?;
    Ok(())
}

/// Environment variable naming the journal a child process should open.
const CHILD_ENV: &str = "ISO8583_WIRE_JOURNAL_LOCK_CHILD";

/// Child half of [`second_process_is_refused`]: opens the named journal and
/// reports the outcome in its exit status. Does nothing when run normally.
#[test]
fn lock_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let code = match FileJournal::open(&path) {
        Err(JournalError::InUse { .. }) => 17,
        Err(_) => 18,
        Ok(_) => 19,
    };
    std::process::exit(code);
}

#[test]
fn second_process_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let fj = create(&path, JournalPolicy::cup_pos())?;
    let exe = std::env::current_exe()?;
    let run = || {
        std::process::Command::new(&exe)
            .args([
                "--exact",
                "flows::journal::crash_tests::lock_child",
                "--nocapture",
            ])
            .env(CHILD_ENV, &path)
            .status()
    };
    assert_eq!(run()?.code(), Some(17), "child was not refused as in use");
    drop(fj);
    assert_eq!(
        run()?.code(),
        Some(19),
        "child could not open a free journal"
    );
    Ok(())
}

#[test]
fn every_bit_flip_is_refused_or_loads_as_the_original() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let mut fj = create(&path, JournalPolicy::generic_1987())?;
    fj.sign_on(Some(3))?;
    let p = fj.begin(txn(TxnKind::Purchase, 2_500), enc)?.stan;
    fj.on_response(p, "00", Some("000000000001".into()), Some("123456".into()))?;
    let original = fj.journal().clone();
    drop(fj);
    let bytes = std::fs::read(&path)?;
    let (mut refused, mut same) = (0usize, 0usize);
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut flipped = bytes.clone();
            if let Some(b) = flipped.get_mut(i) {
                *b ^= 1 << bit;
            }
            match crate::flows::journal::file::parse(&flipped) {
                Err(_) => refused += 1,
                Ok(j) => {
                    assert_eq!(
                        j, original,
                        "flip of bit {bit} at byte {i} loaded differently"
                    );
                    same += 1;
                }
            }
        }
    }
    assert_eq!(refused + same, bytes.len() * 8);
    // Only case flips of the digest's hex letters can load (as the original).
    assert!(same <= 64, "{same} flips loaded");
    assert!(refused > bytes.len() * 7);
    Ok(())
}

#[test]
fn edited_amount_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let mut fj = create(&path, JournalPolicy::generic_1987())?;
    fj.sign_on(None)?;
    fj.begin(txn(TxnKind::Purchase, 2_500), enc)?;
    drop(fj);
    let text = std::fs::read_to_string(&path)?;
    assert!(text.contains("\"amount\": 2500"));
    std::fs::write(&path, text.replace("\"amount\": 2500", "\"amount\": 9500"))?;
    let err = FileJournal::open(&path).err().ok_or("edited file loaded")?;
    assert!(matches!(err, JournalError::Damaged { .. }), "{err:?}");
    assert!(err.to_string().contains("checksum"), "{err}");
    Ok(())
}

#[test]
fn other_format_version_is_refused() -> TestResult {
    let j = Journal::new(TID, MID, JournalPolicy::cup_pos());
    let bytes = crate::flows::journal::file::render(&j)?;
    let text = String::from_utf8(bytes)?.replacen(" v1 ", " v2 ", 1);
    let err = crate::flows::journal::file::parse(text.as_bytes())
        .err()
        .ok_or("v2 loaded")?;
    assert!(matches!(err, JournalError::UnsupportedVersion { ref version } if version == "2"));
    Ok(())
}
