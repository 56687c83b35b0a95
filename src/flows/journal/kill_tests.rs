//! kill -9 at random points: a child process (this test binary re-run)
//! works a stream of purchases, reversals and settlements against a file
//! journal and is killed with SIGKILL at random moments; after each kill the
//! journal is reopened and checked against what the "host" saw.
//!
//! The child's host is a log file: after `begin` returns the child appends
//! `REQ <P|V|R> <batch> <stan> <amount> <original stan>` (a purchase, void
//! or refund is on the wire), after
//! `on_reversal_sent` it appends `REV <batch> <stan>`. The host's answer to
//! a request is a rule of the STAN (approve, decline, or lose the answer).
//! Invariants after every kill, once the parent has sent the due reversals:
//! the file opens; nothing is left `Sent`; every request STAN on the wire is
//! unique and increasing across kills; for every request the host approved,
//! the journal counts it as live exactly when the host was not sent a
//! reversal for it and (for a purchase) holds no live void of it (no
//! reversal lost, none applied to a live transaction); the debit and credit
//! totals of the open batch and of every closed batch equal the host's.

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

/// The child: works until killed (purchases, voids, refunds, reversals,
/// settlement).
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
        // Every fourth request voids the latest live purchase, every fourth
        // refunds a third of the first; refused ones (rules) become purchases.
        let live: Vec<(Stan, u64)> = fj
            .journal()
            .transactions()
            .filter(|t| t.kind == TxnKind::Purchase && t.state.is_live_approval())
            .map(|t| (t.stan, t.amount))
            .collect();
        let follow_up = match (stan % 4, live.last(), live.first()) {
            (2, Some(&(o, a)), _) => Some(("V", txn(TxnKind::Void, a).with_original(o), o)),
            (3, _, Some(&(o, a))) => Some((
                "R",
                txn(TxnKind::Refund, (a / 3).max(1)).with_original(o),
                o,
            )),
            _ => None,
        };
        let done = match follow_up {
            Some((kind, req, o)) => {
                let amount = req.amount;
                fbegin(&mut fj, req)
                    .ok()
                    .map(|t| (t, kind, amount, o.get()))
            }
            None => None,
        };
        let (t, kind, amount, original) = match done {
            Some(done) => done,
            None => (
                fbegin(&mut fj, txn(TxnKind::Purchase, amount(stan)))?,
                "P",
                amount(stan),
                0,
            ),
        };
        append(
            &log,
            &format!("REQ {kind} {} {stan} {amount} {original}", t.batch),
        )?;
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

/// One request the host received.
struct Request {
    /// `P` purchase, `V` void, `R` refund.
    kind: String,
    amount: u64,
    /// STAN of the original (void, refund), in the same batch.
    original: u32,
}

/// The host's view of the log.
#[derive(Default)]
struct HostView {
    /// Request STANs in wire order.
    stans: Vec<u32>,
    /// Every request, by (batch, stan).
    requests: BTreeMap<(u32, u32), Request>,
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
                ["REQ", kind, batch, stan, amount, original] => {
                    let (batch, stan): (u32, u32) = (batch.parse()?, stan.parse()?);
                    v.stans.push(stan);
                    let request = Request {
                        kind: (*kind).to_owned(),
                        amount: amount.parse()?,
                        original: original.parse()?,
                    };
                    v.requests.insert((batch, stan), request);
                }
                ["REV", batch, stan] => {
                    v.reversed.insert((batch.parse()?, stan.parse()?));
                }
                _ => return Err(format!("torn host log line {line:?}").into()),
            }
        }
        Ok(v)
    }

    /// Whether the host approved (batch, stan) and was not told to reverse it.
    fn approved(&self, key: (u32, u32)) -> bool {
        self.requests.contains_key(&key)
            && answer(key.1) == Answer::Approve
            && !self.reversed.contains(&key)
    }

    /// Whether the host holds (batch, stan) as live: approved, not
    /// reversed, and for a purchase not voided by a live void.
    fn live(&self, key: (u32, u32)) -> bool {
        self.approved(key)
            && !self.requests.iter().any(|(k, r)| {
                r.kind == "V" && k.0 == key.0 && r.original == key.1 && self.approved(*k)
            })
    }

    /// (debit count, debit amount, credit count, credit amount) of `batch`.
    fn totals(&self, batch: u32) -> (u32, u64, u32, u64) {
        let mut t = (0, 0, 0, 0);
        for (k, r) in &self.requests {
            if k.0 != batch || !self.live(*k) {
                continue;
            }
            match r.kind.as_str() {
                "P" => (t.0, t.1) = (t.0 + 1, t.1 + r.amount),
                "R" => (t.2, t.3) = (t.2 + 1, t.3 + r.amount),
                _ => {}
            }
        }
        t
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
        for (batch, stan) in host.requests.keys().filter(|k| k.0 == j.batch()) {
            let s = Stan::new(*stan).ok_or("stan")?;
            assert!(
                j.txn(s).is_some(),
                "round {round}: request {stan} of batch {batch} on the wire, not in the journal"
            );
        }
        let totals = |t: crate::flows::journal::Totals| {
            (
                t.debit_count,
                t.debit_amount,
                t.credit_count,
                t.credit_amount,
            )
        };
        assert_eq!(
            totals(j.totals()),
            host.totals(j.batch()),
            "round {round}: open batch totals"
        );
        for summary in j.history() {
            assert_eq!(
                totals(summary.totals),
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
