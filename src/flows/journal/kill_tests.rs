//! kill -9 at random points: a child process (this test binary re-run)
//! works a stream of purchases, reversals and settlements against a file
//! journal and is killed with SIGKILL at random moments; after each kill the
//! journal is reopened and checked against what the "host" saw.
//!
//! The child's host is a log file: after `begin` returns the child appends
//! `REQ <batch> <stan> <amount>` (the request is on the wire), after
//! `on_reversal_sent` it appends `REV <batch> <stan>`. The host's answer to
//! a request is a rule of the STAN (approve, decline, or lose the answer).
//! Invariants after every kill, once the parent has sent the due reversals:
//! the file opens; nothing is left `Sent`; every request STAN on the wire is
//! unique and increasing across kills; for every request the host approved,
//! the journal counts it exactly when the host was not sent a reversal for
//! it (no reversal lost, none applied to a live transaction); the totals of
//! the open batch and of every closed batch equal the host's.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::flows::journal::test_support::*;
use crate::flows::journal::{FileJournal, JournalError, JournalPolicy, Stan, TxnKind};

const KILL_ENV: &str = "ISO8583_WIRE_JOURNAL_KILL_CHILD";

/// What the host does with the request of `stan`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Answer {
    Approve,
    Decline,
    Lose,
}

fn answer(stan: u32) -> Answer {
    match stan % 7 {
        3 => Answer::Lose,
        5 => Answer::Decline,
        _ => Answer::Approve,
    }
}

fn amount(stan: u32) -> u64 {
    100 + u64::from(stan * 37 % 900)
}

fn host_log(dir: &Path) -> PathBuf {
    dir.join("host.log")
}

fn append(log: &Path, line: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    // One write: a kill cannot tear the line.
    f.write_all(format!("{line}\n").as_bytes())
}

/// Sends every due reversal (the parent and the child both do).
fn flush(fj: &mut FileJournal, log: &Path) -> Result<(), Box<dyn std::error::Error>> {
    while let Some(job) = fj.journal().next_reversal() {
        fj.on_reversal_sent(job.stan)?;
        let batch = fj.journal().txn(job.stan).map_or(0, |t| t.batch);
        append(log, &format!("REV {batch} {}", job.stan.get()))?;
        fj.on_reversal_response(job.stan, "00")?;
    }
    Ok(())
}

/// The child: works until killed.
#[test]
fn kill_child() -> TestResult {
    let Ok(dir) = std::env::var(KILL_ENV) else {
        return Ok(());
    };
    let dir = PathBuf::from(dir);
    let log = host_log(&dir);
    let mut fj = open(dir.join("journal.json"))?;
    loop {
        if fj.journal().is_settling() {
            fj.close_batch(true)?;
        }
        flush(&mut fj, &log)?;
        if fj.journal().transactions().count() >= 6 {
            fj.settle()?;
            fj.close_batch(true)?;
            continue;
        }
        let stan = fj.journal().peek_stan()?.get();
        let t = fbegin(&mut fj, txn(TxnKind::Purchase, amount(stan)))?;
        append(&log, &format!("REQ {} {stan} {}", t.batch, amount(stan)))?;
        match answer(stan) {
            Answer::Lose => {
                fj.on_timeout(t.stan)?;
            }
            Answer::Decline => {
                fj.on_response(t.stan, "05", None, None)?;
            }
            Answer::Approve => {
                fj.on_response(t.stan, "00", Some(format!("{stan:012}")), None)?;
            }
        }
    }
}

/// The host's view of the log.
#[derive(Default)]
struct HostView {
    /// Request STANs in wire order.
    stans: Vec<u32>,
    /// (batch, stan) -> amount of requests the host approved.
    approved: BTreeMap<(u32, u32), u64>,
    /// (batch, stan) reversed.
    reversed: BTreeSet<(u32, u32)>,
}

impl HostView {
    fn read(log: &Path) -> Result<HostView, Box<dyn std::error::Error>> {
        let mut v = HostView::default();
        let text = std::fs::read_to_string(log).unwrap_or_default();
        for line in text.lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["REQ", batch, stan, amount] => {
                    let (batch, stan): (u32, u32) = (batch.parse()?, stan.parse()?);
                    v.stans.push(stan);
                    if answer(stan) == Answer::Approve {
                        v.approved.insert((batch, stan), amount.parse()?);
                    }
                }
                ["REV", batch, stan] => {
                    v.reversed.insert((batch.parse()?, stan.parse()?));
                }
                _ => return Err(format!("torn host log line {line:?}").into()),
            }
        }
        Ok(v)
    }

    /// Whether the host holds (batch, stan) as a live debit.
    fn live(&self, key: (u32, u32)) -> bool {
        self.approved.contains_key(&key) && !self.reversed.contains(&key)
    }

    /// (count, amount) of live debits of `batch`.
    fn totals(&self, batch: u32) -> (u32, u64) {
        self.approved
            .iter()
            .filter(|(k, _)| k.0 == batch && self.live(**k))
            .fold((0, 0), |(n, sum), (_, a)| (n + 1, sum + a))
    }
}

/// A tiny deterministic generator for the kill delays.
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

#[test]
fn kill_9_at_random_points_loses_and_doubles_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journal.json");
    let log = host_log(dir.path());
    {
        let mut fj = FileJournal::create(&path, new_journal(JournalPolicy::generic_1987()))?;
        fj.sign_on(Some(1))?;
    }
    let exe = std::env::current_exe()?;
    let mut seed = 0x5eed_u64;
    for round in 0..14 {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "flows::journal::kill_tests::kill_child",
                "--nocapture",
            ])
            .env(KILL_ENV, dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        std::thread::sleep(std::time::Duration::from_millis(30 + next(&mut seed) % 120));
        // A child that stopped on its own failed: it runs until killed.
        if let Some(status) = child.try_wait()? {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                std::io::Read::read_to_string(&mut e, &mut err)?;
            }
            return Err(format!("round {round}: child exited by itself ({status}): {err}").into());
        }
        child.kill()?; // SIGKILL on Unix
        child.wait()?;

        let mut fj = match open(&path) {
            Ok(fj) => fj,
            Err(JournalError::InUse { .. }) => {
                return Err(format!("round {round}: lock outlived its process").into());
            }
            Err(e) => return Err(format!("round {round}: journal does not reopen: {e}").into()),
        };
        fj.journal().verify()?;
        assert!(
            fj.journal()
                .transactions()
                .all(|t| t.state != crate::flows::journal::TxnState::Sent),
            "round {round}: a transaction left Sent after recovery"
        );
        flush(&mut fj, &log)?;
        let host = HostView::read(&log)?;
        assert!(
            host.stans.windows(2).all(|w| w[0] < w[1]),
            "round {round}: request STANs not unique and increasing: {:?}",
            host.stans
        );
        let j = fj.journal();
        for t in j.transactions() {
            let key = (t.batch, t.stan.get());
            let wire = host.stans.contains(&key.1);
            assert_eq!(
                t.state.is_live_approval(),
                host.live(key),
                "round {round}: STAN {} is {:?} in the journal; on the wire: {wire}, \
                 reversed at the host: {}",
                t.stan,
                t.state,
                host.reversed.contains(&key)
            );
        }
        for ((batch, stan), _) in host.approved.iter().filter(|(k, _)| k.0 == j.batch()) {
            let s = Stan::new(*stan).ok_or("stan")?;
            assert!(
                j.txn(s).is_some(),
                "round {round}: request {stan} of batch {batch} on the wire, not in the journal"
            );
        }
        let t = j.totals();
        assert_eq!(
            (t.debit_count, t.debit_amount),
            host.totals(j.batch()),
            "round {round}: open batch totals"
        );
        for summary in j.history() {
            assert_eq!(
                (summary.totals.debit_count, summary.totals.debit_amount),
                host.totals(summary.batch),
                "round {round}: closed batch {} totals",
                summary.batch
            );
        }
    }
    let host = HostView::read(&log)?;
    assert!(
        host.stans.len() >= 14,
        "only {} requests in 14 rounds",
        host.stans.len()
    );
    Ok(())
}
