//! Crash at every step: the journal is dropped and reloaded from disk after
//! each step of a script, and must come back whole and consistent.

use std::collections::BTreeSet;
use std::path::Path;

use sha2::Digest;

use crate::flows::journal::test_support::*;
use crate::flows::journal::{
    FileJournal, Journal, JournalError, JournalPolicy, ReversalStatus, Stan, TxnKind, TxnState,
};

/// Checks that the file holds exactly the in-memory journal and that a
/// restart from it would make every `Sent` reversible transaction
/// reversal-due, without closing the handle.
fn on_disk(fj: &FileJournal) -> Result<(), JournalError> {
    let disk = crate::flows::journal::file::parse(
        &std::fs::read(fj.path())?,
        fj.journal().spec().clone(),
        fj.journal().key().clone(),
    )?;
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
    let fj = open(&path)?;
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
    FileJournal::create(path, new_journal(policy))
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
    let p1 = fbegin(&mut fj, txn(TxnKind::Purchase, 1_000))?.stan;
    on_disk(&fj)?;
    assert_eq!(fj.journal().txn(p1).map(|t| t.state), Some(TxnState::Sent));
    fj.on_response(p1, "00", Some("000000000001".into()), Some("111111".into()))?;
    approved.insert(p1);
    fj = crash(fj, &approved)?;

    // Purchase timed out, then reversed on the second attempt.
    let p2 = fbegin(&mut fj, txn(TxnKind::Purchase, 2_000))?.stan;
    on_disk(&fj)?;
    fj.on_timeout(p2)?;
    fj = crash(fj, &approved)?;
    assert_eq!(fj.journal().next_reversal().map(|r| r.stan), Some(p2));
    assert!(matches!(
        fbegin(&mut fj, txn(TxnKind::Purchase, 5)),
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
    let p3 = fbegin(&mut fj, txn(TxnKind::Purchase, 3_000))?.stan;
    fj.on_response(p3, "00", None, None)?;
    approved.insert(p3);
    fj = crash(fj, &approved)?;
    let v = fbegin(&mut fj, txn(TxnKind::Void, 3_000).with_original(p3))?.stan;
    on_disk(&fj)?;
    fj.on_response(v, "00", None, None)?;
    approved.insert(v);
    fj = crash(fj, &approved)?;
    assert_eq!(
        fj.journal().txn(p3).map(|t| t.state),
        Some(TxnState::Voided)
    );

    // Two refunds of the first purchase.
    let r1 = fbegin(&mut fj, refund(p1, 300))?.stan;
    on_disk(&fj)?;
    fj.on_response(r1, "00", None, None)?;
    approved.insert(r1);
    fj = crash(fj, &approved)?;
    let r2 = fbegin(&mut fj, refund(p1, 700))?.stan;
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
    let r = fbegin(&mut fj, txn(TxnKind::Purchase, 100));
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
    assert!(matches!(open(&path), Err(JournalError::Damaged { .. })));

    // A timed-out purchase whose reversal record was removed by hand.
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 100))?;
    j.on_timeout(t.stan)?;
    j.reversals.clear();
    std::fs::write(&path, crate::flows::journal::file::render(&j)?)?;
    assert!(matches!(open(&path), Err(JournalError::Corrupt(_))));
    Ok(())
}

#[test]
fn journal_file_holds_no_full_pan_fields_of_its_own() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let mut fj = create(&path, JournalPolicy::cup_pos())?;
    fj.sign_on(None)?;
    let t = fbegin(&mut fj, txn(TxnKind::Purchase, 100).with_pan_hint("1234"))?;
    let text = std::fs::read_to_string(&path)?;
    assert!(text.contains("\"pan_hint\": \"1234\""));
    // The kept request is stored as hex; without card data it is the request as sent.
    let kept = &fj.journal().txn(t.stan).ok_or("no record")?.request;
    assert_eq!(kept, &t.request);
    assert!(text.contains(&crate::flows::journal::hex::encode(kept)));
    Ok(())
}

#[test]
fn reopen_makes_sent_reversal_due_and_refuses_new_work() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let mut fj = create(&path, JournalPolicy::generic_1987())?;
    fj.sign_on(None)?;
    let t = fbegin(&mut fj, txn(TxnKind::Purchase, 2_500))?.stan;
    drop(fj); // power loss: the request may have reached the host
    let mut fj = open(&path)?;
    assert_eq!(
        fj.journal().txn(t).map(|r| r.state),
        Some(TxnState::Uncertain)
    );
    assert_eq!(fj.journal().due_reversal(), Some(t));
    assert!(matches!(
        fbegin(&mut fj, txn(TxnKind::Purchase, 5)),
        Err(JournalError::ReversalPending { stan }) if stan == t
    ));
    // An attempt in flight at the next crash counts as unanswered.
    fj.on_reversal_sent(t)?;
    drop(fj);
    let mut fj = open(&path)?;
    let job = fj.journal().next_reversal().ok_or("no reversal")?;
    assert_eq!((job.stan, job.attempt, job.repeat), (t, 2, true));
    fj.on_reversal_sent(t)?;
    assert_eq!(fj.on_reversal_response(t, "00")?, TxnState::Reversed);
    let next = fbegin(&mut fj, txn(TxnKind::Purchase, 5))?;
    assert!(next.stan > t, "STANs keep increasing across restarts");
    Ok(())
}

#[test]
fn second_handle_is_refused_while_the_first_lives() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let fj = create(&path, JournalPolicy::cup_pos())?;
    let err = open_once(&path).err().ok_or("second open succeeded")?;
    assert!(matches!(err, JournalError::InUse { .. }), "{err:?}");
    assert!(err.to_string().contains("in use"), "{err}");
    drop(fj);
    let _again = open(&path)?;
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
    let code = match open_once(&path) {
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
    let p = fbegin(&mut fj, txn(TxnKind::Purchase, 2_500))?.stan;
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
            let (spec, key) = setup();
            match crate::flows::journal::file::parse(&flipped, spec, key) {
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
    // Only case flips of the hex letters of the key check value, digest and
    // MAC can load (as the original).
    assert!(same <= 12 + 64 + 64, "{same} flips loaded");
    assert!(refused > bytes.len() * 7);
    Ok(())
}

/// A file journal at `path` holding one purchase of 2500, closed.
fn written_with_a_purchase(path: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let mut fj = create(path, JournalPolicy::generic_1987())?;
    fj.sign_on(None)?;
    fbegin(&mut fj, txn(TxnKind::Purchase, 2_500))?;
    drop(fj);
    let text = std::fs::read_to_string(path)?;
    assert!(text.contains("\"amount\": 2500"));
    Ok(text)
}

#[test]
fn edited_amount_is_refused_with_or_without_a_recomputed_checksum() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let text = written_with_a_purchase(&path)?;
    let edit = |t: &str| t.replace("\"amount\": 2500", "\"amount\": 9500");
    std::fs::write(&path, edit(&text))?;
    let err = open(&path).err().ok_or("edited file loaded")?;
    assert!(matches!(err, JournalError::Damaged { .. }), "{err:?}");
    assert!(err.to_string().contains("checksum"), "{err}");

    // The same edit with the SHA-256 recomputed: the MAC under the key refuses it.
    let (header, body) = text.split_once('\n').ok_or("no header")?;
    let body = edit(body);
    let digest = crate::flows::journal::hex::encode(&sha2::Sha256::digest(body.as_bytes()));
    let at = header.find("sha256=").ok_or("no digest")? + "sha256=".len();
    let header = format!("{}{digest}{}", &header[..at], &header[at + 64..]);
    std::fs::write(&path, format!("{header}\n{body}"))?;
    let err = open(&path).err().ok_or("edited file loaded")?;
    assert!(matches!(err, JournalError::Damaged { .. }), "{err:?}");
    assert!(err.to_string().contains("authentication failed"), "{err}");
    Ok(())
}

#[test]
fn wrong_key_is_refused_with_a_clear_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    written_with_a_purchase(&path)?;
    let (spec, _) = setup();
    let other = std::sync::Arc::new(crate::flows::journal::SoftwareKey::from_bytes(1, &[9; 32]));
    let err = retry_in_use(|| FileJournal::open(&path, spec.clone(), other.clone()))
        .err()
        .ok_or("opened with another key")?;
    assert!(
        matches!(err, JournalError::WrongKey { version: 1 }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "journal file was written under another key than the supplied key version 1"
    );
    // The right bytes under another version number are refused too.
    let renumbered = std::sync::Arc::new(crate::flows::journal::SoftwareKey::from_bytes(
        2,
        &[0x42; 32],
    ));
    let err = retry_in_use(|| FileJournal::open(&path, spec.clone(), renumbered.clone()))
        .err()
        .ok_or("opened with another key version")?;
    assert!(
        matches!(err, JournalError::WrongKey { version: 1 }),
        "{err:?}"
    );
    // And the right key still opens it.
    assert!(open(&path).is_ok());
    Ok(())
}

#[test]
fn other_format_versions_are_refused() -> TestResult {
    let j = new_journal(JournalPolicy::cup_pos());
    let text = String::from_utf8(crate::flows::journal::file::render(&j)?)?;
    assert!(text.starts_with("iso8583-wire journal v2 key=1 kcv="));
    for old in ["v1", "v3"] {
        let bytes = text.replacen(" v2 ", &format!(" {old} "), 1);
        let (spec, key) = setup();
        let err = crate::flows::journal::file::parse(bytes.as_bytes(), spec, key)
            .err()
            .ok_or("other version loaded")?;
        assert!(
            matches!(err, JournalError::UnsupportedVersion { ref version } if *version == old[1..]),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("this build reads version 2"),
            "{err}"
        );
    }
    // A real version 1 header (what the previous build wrote) is refused the same way.
    let v1 = format!("iso8583-wire journal v1 sha256={}\n{{}}", "0".repeat(64));
    let (spec, key) = setup();
    let err = crate::flows::journal::file::parse(v1.as_bytes(), spec, key)
        .err()
        .ok_or("v1 loaded")?;
    assert!(matches!(err, JournalError::UnsupportedVersion { ref version } if version == "1"));
    Ok(())
}

/// One journal operation of the fault-injection script.
type Op = fn(&mut Journal) -> Result<(), JournalError>;

fn stan(n: u32) -> Result<Stan, JournalError> {
    Stan::new(n).ok_or(JournalError::UnknownTxn { stan: Stan::FIRST })
}

fn enc_begin(j: &mut Journal, req: crate::flows::journal::NewTxn) -> Result<(), JournalError> {
    begin(j, req).map(|_| ())
}

fn enc_queue(j: &mut Journal, req: crate::flows::journal::NewTxn) -> Result<(), JournalError> {
    let enc = encoder(&req);
    j.queue_advice(req, 0, enc).map(|_| ())
}

/// A completion advice (0220) of pre-auth STAN 8.
fn advice() -> Result<crate::flows::journal::NewTxn, JournalError> {
    Ok(
        crate::flows::journal::NewTxn::new(TxnKind::CompletionAdvice, 800, TID, MID, "0220")
            .with_original(stan(8)?),
    )
}

/// A day of work touching every kind of write: sign-on, purchases approved,
/// timed out and reversed (one attempt unanswered), a void, two refunds,
/// store-and-forward (an advice retried, unanswered and delivered; a
/// reversal advice; an advice expired by age and acknowledged), settlement
/// with its STAN, and close.
const SCRIPT: [Op; 40] = [
    |j| j.sign_on(Some(5)),
    |j| enc_begin(j, txn(TxnKind::Purchase, 1_000)),
    |j| {
        j.on_response(stan(1)?, "00", Some("000000000001".into()), None)
            .map(|_| ())
    },
    |j| enc_begin(j, txn(TxnKind::Purchase, 2_000)),
    |j| j.on_timeout(stan(2)?).map(|_| ()),
    |j| j.on_reversal_sent(stan(2)?),
    |j| j.on_reversal_no_response(stan(2)?).map(|_| ()),
    |j| j.on_reversal_sent(stan(2)?),
    |j| j.on_reversal_response(stan(2)?, "00").map(|_| ()),
    |j| enc_begin(j, txn(TxnKind::Purchase, 3_000)),
    |j| j.on_response(stan(3)?, "00", None, None).map(|_| ()),
    |j| enc_begin(j, txn(TxnKind::Void, 3_000).with_original(stan(3)?)),
    |j| j.on_response(stan(4)?, "00", None, None).map(|_| ()),
    |j| enc_begin(j, refund(stan(1)?, 300)),
    |j| j.on_response(stan(5)?, "00", None, None).map(|_| ()),
    |j| enc_begin(j, refund(stan(1)?, 700)),
    |j| j.on_response(stan(6)?, "00", None, None).map(|_| ()),
    |j| enc_begin(j, txn(TxnKind::Purchase, 400)),
    |j| j.on_response(stan(7)?, "05", None, None).map(|_| ()),
    |j| enc_begin(j, txn(TxnKind::PreAuth, 800)),
    |j| {
        j.on_response(stan(8)?, "00", None, Some("AUTH08".into()))
            .map(|_| ())
    },
    |j| enc_queue(j, advice()?),
    |j| j.on_advice_sent(stan(9)?),
    |j| j.on_advice_response(stan(9)?, "91", 5).map(|_| ()),
    |j| j.on_advice_sent(stan(9)?),
    |j| j.on_advice_no_response(stan(9)?, 6).map(|_| ()),
    |j| j.on_advice_sent(stan(9)?),
    |j| j.on_advice_response(stan(9)?, "00", 7).map(|_| ()),
    |j| enc_begin(j, txn(TxnKind::Purchase, 900)),
    |j| j.on_timeout(stan(10)?).map(|_| ()),
    |j| j.queue_reversal_advice(stan(10)?, 8),
    |j| j.on_advice_sent(stan(10)?),
    |j| j.on_advice_response(stan(10)?, "00", 9).map(|_| ()),
    |j| enc_begin(j, txn(TxnKind::PreAuth, 800)),
    |j| j.on_response(stan(11)?, "00", None, None).map(|_| ()),
    |j| {
        let req =
            crate::flows::journal::NewTxn::new(TxnKind::CompletionAdvice, 800, TID, MID, "0220")
                .with_original(stan(11)?);
        enc_queue(j, req)
    },
    |j| j.expire_advices(u64::MAX).map(|_| ()),
    |j| j.acknowledge_expired_advice(stan(12)?).map(|_| ()),
    |j| j.settle().map(|_| ()),
    |j| j.allocate_stan().map(|_| ()),
];

/// The invariants a reopened journal must hold.
fn check_invariants(j: &Journal, label: &str) {
    assert!(j.verify().is_ok(), "{label}: {:?}", j.verify());
    // No reversal doubled (verify checks one record per STAN) and none lost:
    // every transaction whose request may have had effect is either
    // answered or has its reversal (a record, or a queued reversal advice).
    for t in j.transactions() {
        assert_ne!(t.state, TxnState::Sent, "{label}: Sent survived recovery");
        if matches!(t.state, TxnState::Uncertain | TxnState::ReversalPending)
            && t.kind.is_reversible(j.policy())
        {
            assert!(
                j.reversals()
                    .iter()
                    .any(|r| r.stan == t.stan && !r.in_flight)
                    || j.queued_advices().iter().any(|a| {
                        a.stan == t.stan
                            && !a.in_flight
                            && matches!(a.kind, crate::flows::journal::AdviceKind::Reversal { .. })
                    }),
                "{label}: STAN {} lost its reversal",
                t.stan
            );
        }
    }
    // No advice lost: a completion advice not yet acknowledged is queued
    // (not in flight after recovery) or on the expired list.
    for t in j.transactions() {
        if t.kind == TxnKind::CompletionAdvice && t.state == TxnState::Uncertain {
            assert!(
                j.queued_advices()
                    .iter()
                    .any(|a| a.stan == t.stan && !a.in_flight),
                "{label}: advice {} lost",
                t.stan
            );
        }
        if t.state == TxnState::AdviceExpired {
            assert!(
                j.expired_advices().iter().any(|e| e.stan == t.stan)
                    || t.stan == Stan::new(12).unwrap_or(Stan::FIRST),
                "{label}: expired advice {} not reported",
                t.stan
            );
        }
    }
    // STANs unique (map keys) and increasing: the allocator is past them all.
    if let (Some(last), Some(max)) = (j.last_stan(), j.transactions().map(|t| t.stan).max()) {
        assert!(last >= max, "{label}: next STAN would reuse {max}");
    }
    // Totals are the approved, unvoided debits and the approved credits.
    let mut debit = 0;
    let mut credit = 0;
    for t in j.transactions() {
        let live = matches!(
            t.state,
            TxnState::Approved | TxnState::PartlyRefunded | TxnState::FullyRefunded
        );
        match t.kind {
            TxnKind::Purchase | TxnKind::CompletionAdvice if live => debit += t.amount,
            TxnKind::Refund if live => credit += t.amount,
            _ => {}
        }
    }
    let totals = j.totals();
    assert_eq!(
        (totals.debit_amount, totals.credit_amount),
        (debit, credit),
        "{label}"
    );
}

#[test]
fn fault_at_every_write_step_of_every_operation() -> TestResult {
    use crate::flows::journal::file::fault;
    let dir = tempfile::tempdir()?;
    let mut crashes = 0;
    for i in 0..SCRIPT.len() {
        for k in 1.. {
            let path = dir.path().join(format!("j-{i}-{k}.journal"));
            let mut fj = create(&path, JournalPolicy::generic_1987())?;
            for op in &SCRIPT[..i] {
                fj.mutate(op)?;
            }
            let before = fj.journal().clone();
            let mut after = before.clone();
            (SCRIPT[i])(&mut after)?;
            fault::arm(k);
            let result = fj.mutate(SCRIPT[i]);
            let hit = fault::disarm();
            if !hit {
                result?;
                break; // every step of this operation has been tried
            }
            crashes += 1;
            assert!(result.is_err(), "op {i} step {k}: crash not reported");
            assert_eq!(*fj.journal(), before, "op {i} step {k}: memory moved");
            drop(fj); // the process is gone
            let reopened = open(&path)?;
            let got = &reopened.journal().clone();
            let label = format!("op {i} step {k}");
            check_invariants(got, &label);
            let (mut b, mut a) = (before.clone(), after.clone());
            b.recover();
            a.recover();
            assert!(
                *got == b || *got == a,
                "{label}: reopened journal is neither the state before nor after"
            );
            // Reopening again changes nothing.
            drop(reopened);
            assert_eq!(open(&path)?.journal(), &if *got == b { b } else { a });
        }
    }
    // Five steps each: create temp, write (torn), fsync, rename, directory fsync.
    assert_eq!(crashes, SCRIPT.len() * 5);
    Ok(())
}
