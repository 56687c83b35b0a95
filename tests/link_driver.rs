//! The terminal driver: a timed-out financial request yields exactly one reversal, sent before
//! the next financial request; unanswered reversals are repeated as the profile says; advices
//! are stored and forwarded (repeats 0221, retry codes, refusals, restarts).
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

mod link_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use iso8583_wire::MessageView;
use iso8583_wire::flows::journal::{
    FileJournal, Journal, JournalPolicy, NewTxn, SoftwareKey, Stan, TxnKind, TxnState,
};
use iso8583_wire::flows::{Card, FlowContext, FlowProfile};
use iso8583_wire::link::driver::{DriverError, DriverJournal, TerminalDriver, utc_now};
use iso8583_wire::link::{LinkError, Server};
use link_support::*;

fn ctx() -> FlowContext {
    FlowContext {
        spec: spec(),
        profile: FlowProfile::generic_1987(),
        terminal_id: "TERM0001".into(),
        merchant_id: "MERCHANT0000001".into(),
        acquirer_id: None,
        header: None,
    }
}

/// What the host received: MTI and STAN of each request, in order.
type Log = Arc<Mutex<Vec<(String, u32)>>>;

/// A host that logs every request's MTI and STAN and acts by `script`.
fn logging_host(script: impl Fn(&str, u32) -> Act + Send + Sync + 'static) -> (Arc<Peer>, Log) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&log);
    let peer = Peer::new(move |m| {
        let (mti, s) = (m.mti().as_str().to_owned(), stan(m));
        l.lock().unwrap().push((mti.clone(), s));
        script(&mti, s)
    });
    (peer, log)
}

fn key() -> Arc<SoftwareKey> {
    Arc::new(SoftwareKey::from_bytes(1, &[7; 32]))
}

fn signed_on_journal() -> Journal {
    let mut journal = Journal::new(
        spec(),
        key(),
        "TERM0001",
        "MERCHANT0000001",
        JournalPolicy::generic_1987(),
    );
    journal.sign_on(None).unwrap();
    journal
}

/// A driver on a fresh client of `srv` with `journal`.
async fn driver_on<J: DriverJournal>(srv: &Server, journal: J) -> TerminalDriver<J> {
    driver_waiting(srv, journal, Duration::from_millis(80)).await
}

/// A driver on a fresh client of `srv` with `journal`, whose link waits `timeout` for each
/// answer.
async fn driver_waiting<J: DriverJournal>(
    srv: &Server,
    journal: J,
    timeout: Duration,
) -> TerminalDriver<J> {
    let mut config = client_config();
    config.link.request_timeout = timeout;
    config.link.timeout_tick = Duration::from_millis(2);
    let client = connect(srv, config, Arc::new(Collect::default())).await;
    TerminalDriver::new(client, journal, ctx())
}

async fn driver(peer: Arc<Peer>) -> (TerminalDriver<Journal>, Server) {
    let srv = server(peer).await;
    (driver_on(&srv, signed_on_journal()).await, srv)
}

/// A keyed-card request of `kind` (MTI `mti`) through the driver; the response's STAN.
async fn card_txn_via<J: DriverJournal>(
    d: &mut TerminalDriver<J>,
    kind: TxnKind,
    mti: &str,
    amount: u64,
) -> Result<u32, DriverError> {
    let ctx = ctx();
    let card = Card::keyed("4761739001010119", "2912");
    let txn = NewTxn::new(kind, amount, "TERM0001", "MERCHANT0000001", mti);
    let rsp = d
        .financial(txn, |t| {
            let b = if kind == TxnKind::PreAuth {
                ctx.pre_auth(t.stan, t.batch, &card, amount, &utc_now())?
            } else {
                ctx.purchase(t.stan, t.batch, &card, amount, &utc_now())?
            };
            b.encode_to_vec().map_err(Into::into)
        })
        .await?;
    Ok(stan(&rsp))
}

async fn purchase_via<J: DriverJournal>(
    d: &mut TerminalDriver<J>,
    amount: u64,
) -> Result<u32, DriverError> {
    card_txn_via(d, TxnKind::Purchase, "0200", amount).await
}

/// The host saw purchase 1, its reversal, then purchase 2; the journal holds purchase 1
/// reversed and no reversal due.
fn purchase_1_reversed_before_purchase_2(log: &Log, journal: &Journal) {
    assert_eq!(
        log.lock().unwrap().clone(),
        vec![("0200".into(), 1), ("0400".into(), 1), ("0200".into(), 2)]
    );
    assert_eq!(
        journal.txn(Stan::new(1).unwrap()).unwrap().state,
        TxnState::Reversed
    );
    assert!(journal.next_reversal().is_none());
}

#[tokio::test]
async fn a_timed_out_purchase_yields_exactly_one_reversal_before_the_next_purchase() {
    // The host drops the first purchase and answers everything else.
    let (peer, log) = logging_host(|mti, s| {
        if mti == "0200" && s == 1 {
            Act::Drop
        } else {
            Act::Answer
        }
    });
    let (mut d, _srv) = driver(peer).await;
    let err = purchase_via(&mut d, 1500).await.unwrap_err();
    assert!(
        matches!(err, DriverError::Link(LinkError::Timeout { .. })),
        "{err}"
    );
    assert_eq!(purchase_via(&mut d, 2500).await.unwrap(), 2);
    purchase_1_reversed_before_purchase_2(&log, d.journal());
}

#[tokio::test]
async fn a_purchase_answer_the_journal_refuses_is_reversed_as_if_unanswered() {
    // The host answers the first purchase without DE 39. The journal refuses the answer, so
    // the purchase's outcome is unknown: it must be reversed as a timed-out one is (it used
    // to stay `Sent`, with no reversal, until the terminal restarted).
    let (peer, log) = logging_host(|mti, s| {
        if mti == "0200" && s == 1 {
            Act::AnswerWithoutCode
        } else {
            Act::Answer
        }
    });
    let (mut d, _srv) = driver(peer).await;
    let err = purchase_via(&mut d, 1500).await.unwrap_err();
    assert!(
        matches!(
            &err,
            DriverError::Journal(iso8583_wire::flows::journal::JournalError::Mismatch {
                message: "response",
                field: "DE 39 (response code)",
                found,
                ..
            }) if found == "absent"
        ),
        "{err:?}"
    );
    assert_eq!(purchase_via(&mut d, 2500).await.unwrap(), 2);
    purchase_1_reversed_before_purchase_2(&log, d.journal());
}

#[tokio::test]
async fn an_unanswered_reversal_is_repeated_then_given_up_and_blocks_until_then() {
    // Purchases are dropped, and so is every reversal.
    let (peer, log) = logging_host(|mti, _| {
        if mti == "0800" {
            Act::Answer
        } else {
            Act::Drop
        }
    });
    let (mut d, _srv) = driver(peer).await;
    assert!(purchase_via(&mut d, 1500).await.is_err());
    let attempts = JournalPolicy::generic_1987().reversal_attempts() as usize;
    let log = log.lock().unwrap().clone();
    let reversals: Vec<&str> = log
        .iter()
        .filter(|(m, _)| m.starts_with("04"))
        .map(|(m, _)| m.as_str())
        .collect();
    assert_eq!(reversals.len(), attempts, "{log:?}");
    assert_eq!(reversals[0], "0400");
    if JournalPolicy::generic_1987().reversal_repeat_mti {
        assert!(reversals[1..].iter().all(|m| *m == "0401"), "{reversals:?}");
    }
    assert!(
        log.iter().all(|(_, s)| *s == 1),
        "one STAN throughout: {log:?}"
    );
    let j = d.journal();
    let t = j
        .txn(iso8583_wire::flows::journal::Stan::new(1).unwrap())
        .unwrap();
    assert_eq!(t.state, TxnState::ReversalFailed);
}

#[tokio::test]
async fn a_reversal_answered_without_a_response_code_counts_as_unanswered_and_is_repeated() {
    // The host drops the first purchase and answers its first reversal without DE 39: no
    // verdict, so the reversal is repeated (it used to stay in flight for good, and every
    // later purchase failed on it).
    let reversals_seen = Arc::new(Mutex::new(0u32));
    let seen = Arc::clone(&reversals_seen);
    let (peer, log) = logging_host(move |mti, s| match mti {
        "0200" if s == 1 => Act::Drop,
        m if m.starts_with("04") => {
            let mut n = seen.lock().unwrap();
            *n += 1;
            if *n == 1 {
                Act::AnswerWithoutCode
            } else {
                Act::Answer
            }
        }
        _ => Act::Answer,
    });
    let (mut d, _srv) = driver(peer).await;
    assert!(purchase_via(&mut d, 1500).await.is_err());
    assert_eq!(purchase_via(&mut d, 2500).await.unwrap(), 2);
    let repeat = if JournalPolicy::generic_1987().reversal_repeat_mti {
        "0401"
    } else {
        "0400"
    };
    assert_eq!(
        log.lock().unwrap().clone(),
        vec![
            ("0200".into(), 1),
            ("0400".into(), 1),
            (repeat.into(), 1),
            ("0200".into(), 2)
        ]
    );
    let j = d.journal();
    let first = j.txn(Stan::new(1).unwrap()).unwrap();
    assert_eq!(
        (first.state, first.reversal_response_code.as_deref()),
        (TxnState::Reversed, Some("00"))
    );
    assert!(j.next_reversal().is_none());
}

/// An approved pre-auth of `amount` through the driver; its STAN.
async fn pre_auth_via<J: DriverJournal>(d: &mut TerminalDriver<J>, amount: u64) -> Stan {
    let s = card_txn_via(d, TxnKind::PreAuth, "0100", amount).await;
    Stan::new(s.unwrap()).unwrap()
}

/// Queues (and tries) the completion advice (0220) of the pre-auth `pre`; its STAN.
async fn completion_via<J: DriverJournal>(
    d: &mut TerminalDriver<J>,
    pre: Stan,
    amount: u64,
) -> Stan {
    let ctx = ctx();
    let kept = d.journal().original(pre).unwrap();
    let txn = NewTxn::new(
        TxnKind::CompletionAdvice,
        amount,
        "TERM0001",
        "MERCHANT0000001",
        "0220",
    )
    .with_original(pre);
    let spec = spec();
    let original = MessageView::decode(&spec, kept.request()).unwrap();
    let response = MessageView::decode(&spec, kept.response().unwrap()).unwrap();
    let (stan, _) = d
        .advice(txn, |t| {
            ctx.completion(t.stan, t.batch, &original, &response, amount, &utc_now())?
                .encode_to_vec()
                .map_err(Into::into)
        })
        .await
        .unwrap();
    stan
}

/// What the host does with advices (0220/0221): drop, or answer with a code.
type AdviceAct = Arc<Mutex<Act>>;

/// A host answering everything `00`, except advices, which it treats as `advices` says.
fn advice_host() -> (Arc<Peer>, Log, AdviceAct) {
    let act = Arc::new(Mutex::new(Act::Drop));
    let a = Arc::clone(&act);
    let (peer, log) = logging_host(move |mti, _| {
        if mti.starts_with("022") {
            *a.lock().unwrap()
        } else {
            Act::Answer
        }
    });
    (peer, log, act)
}

/// A driver on an [`advice_host`] treating advices as `first` says, with one completion
/// advice queued and tried: the driver, the server, the host's log and advice act, the STAN.
async fn one_advice(first: Act) -> (TerminalDriver<Journal>, Server, Log, AdviceAct, Stan) {
    let (peer, log, act) = advice_host();
    *act.lock().unwrap() = first;
    let (mut d, srv) = driver(peer).await;
    let pre = pre_auth_via(&mut d, 5000).await;
    let s = completion_via(&mut d, pre, 4000).await;
    (d, srv, log, act, s)
}

fn advices_in(log: &Log) -> Vec<(String, u32)> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|(m, _)| m.starts_with("022"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_advice_the_host_misses_stays_queued_and_goes_once_as_0221_when_it_is_back() {
    let (mut d, _srv, log, act, s) = one_advice(Act::Drop).await;
    // The host is down for advices: sent once as 0220, unanswered, still queued.
    assert_eq!(advices_in(&log), vec![("0220".into(), s.get())]);
    let queued = d.journal().queued_advices();
    assert_eq!(
        queued
            .iter()
            .map(|a| (a.stan, a.attempts))
            .collect::<Vec<_>>(),
        vec![(s, 1)]
    );
    assert_eq!(d.journal().txn(s).unwrap().state, TxnState::Uncertain);
    // Back up: a new purchase first forwards the queued advice, as its repeat, once.
    *act.lock().unwrap() = Act::Answer;
    let p = purchase_via(&mut d, 700).await.unwrap();
    let log = log.lock().unwrap().clone();
    let tail: Vec<_> = log.iter().skip(2).cloned().collect();
    assert_eq!(
        tail,
        vec![("0221".into(), s.get()), ("0200".into(), p)],
        "{log:?}"
    );
    let j = d.journal();
    assert!(j.queued_advices().is_empty() && j.next_advice().is_none());
    assert_eq!(j.txn(s).unwrap().state, TxnState::Approved);
    // Nothing more goes out for it.
    let round = d.send_queued_advices().await.unwrap();
    assert!(round.delivered.is_empty() && !round.pending);
}

#[tokio::test]
async fn a_retry_code_keeps_the_advice_queued_and_it_is_repeated() {
    let (mut d, _srv, log, act, s) = one_advice(Act::AnswerWith("91")).await;
    let queued = d.journal().queued_advices();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].last_response_code.as_deref(), Some("91"));
    // Still 91: repeated as 0221 and kept.
    let round = d.send_queued_advices().await.unwrap();
    assert!(round.pending && round.delivered.is_empty());
    *act.lock().unwrap() = Act::Answer;
    let round = d.send_queued_advices().await.unwrap();
    assert_eq!((round.delivered, round.pending), (vec![s], false));
    assert_eq!(
        advices_in(&log),
        vec![
            ("0220".into(), s.get()),
            ("0221".into(), s.get()),
            ("0221".into(), s.get())
        ]
    );
    assert_eq!(d.journal().txn(s).unwrap().state, TxnState::Approved);
}

#[tokio::test]
async fn a_refused_advice_moves_to_the_expired_list_and_is_not_repeated() {
    let (mut d, _srv, log, _act, s) = one_advice(Act::AnswerWith("05")).await;
    let j = d.journal();
    assert!(j.queued_advices().is_empty());
    let expired: Vec<_> = j
        .expired_advices()
        .iter()
        .map(|e| (e.stan, e.last_response_code.clone()))
        .collect();
    assert_eq!(expired, vec![(s, Some("05".into()))]);
    assert_eq!(j.txn(s).unwrap().state, TxnState::AdviceExpired);
    assert!(d.send_queued_advices().await.unwrap().delivered.is_empty());
    assert_eq!(advices_in(&log), vec![("0220".into(), s.get())]);
}

#[tokio::test]
async fn an_advice_answered_without_a_response_code_counts_as_unanswered_and_is_repeated() {
    // The host answers the 0220 with no DE 39: that is no verdict, so the advice stays
    // queued, out of flight, one attempt counted (it used to stay in flight for good, which
    // stopped the whole queue and made the driver report an error).
    let (mut d, _srv, log, act, s) = one_advice(Act::AnswerWithoutCode).await;
    let j = d.journal();
    let queued: Vec<_> = j
        .queued_advices()
        .iter()
        .map(|a| {
            (
                a.stan,
                a.attempts,
                a.in_flight,
                a.last_response_code.clone(),
            )
        })
        .collect();
    assert_eq!(queued, vec![(s, 1, false, None)]);
    assert_eq!(
        j.next_advice().map(|job| (job.stan, job.mti)),
        Some((s, "0221".to_owned()))
    );
    // The next round repeats it; a real answer delivers it.
    *act.lock().unwrap() = Act::Answer;
    let round = d.send_queued_advices().await.unwrap();
    assert_eq!((round.delivered, round.pending), (vec![s], false));
    assert_eq!(
        advices_in(&log),
        vec![("0220".into(), s.get()), ("0221".into(), s.get())]
    );
    assert_eq!(d.journal().txn(s).unwrap().state, TxnState::Approved);
}

#[tokio::test]
async fn queued_advices_survive_a_restart_and_go_out_as_repeats_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.json");
    let (peer, log, act) = advice_host();
    let srv = server(peer).await;
    let fj = FileJournal::create(&path, signed_on_journal()).unwrap();
    let mut d = driver_on(&srv, fj).await;
    let pres = [
        pre_auth_via(&mut d, 3000).await,
        pre_auth_via(&mut d, 2000).await,
    ];
    let first = completion_via(&mut d, pres[0], 3000).await;
    let second = completion_via(&mut d, pres[1], 2000).await;
    // Each `advice` call tries the head: 0220, then (unanswered) 0221; the second waits
    // behind it (FIFO) and has not been sent.
    assert_eq!(
        advices_in(&log),
        vec![("0220".into(), first.get()), ("0221".into(), first.get())]
    );
    drop(d); // restart: driver, link and journal gone
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("4761739001010119"), "no clear PAN on disk");
    let fj = FileJournal::open(&path, spec(), key()).unwrap();
    let queued: Vec<_> = fj
        .journal()
        .queued_advices()
        .iter()
        .map(|a| (a.stan, a.attempts))
        .collect();
    assert_eq!(queued, vec![(first, 2), (second, 0)]);
    *act.lock().unwrap() = Act::Answer;
    let mut d = driver_on(&srv, fj).await;
    let round = d.send_queued_advices().await.unwrap();
    assert_eq!(round.delivered, vec![first, second]);
    assert_eq!(
        advices_in(&log),
        vec![
            ("0220".into(), first.get()),
            ("0221".into(), first.get()),
            ("0221".into(), first.get()),
            ("0220".into(), second.get())
        ]
    );
    for s in [first, second] {
        assert_eq!(
            d.journal().journal().txn(s).unwrap().state,
            TxnState::Approved
        );
    }
    drop(d);
    let fj = FileJournal::open(&path, spec(), key()).unwrap();
    assert!(
        fj.journal().queued_advices().is_empty(),
        "delivery is on disk"
    );
}

#[tokio::test]
async fn a_reversal_out_of_attempts_is_stored_and_forwarded_as_0420_when_enabled() {
    // Purchases and reversals are dropped until the host comes back.
    let up = Arc::new(Mutex::new(false));
    let u = Arc::clone(&up);
    let (peer, log) = logging_host(move |_, _| {
        if *u.lock().unwrap() {
            Act::Answer
        } else {
            Act::Drop
        }
    });
    let srv = server(peer).await;
    let mut d = driver_on(&srv, signed_on_journal())
        .await
        .with_reversal_advices(true);
    assert!(purchase_via(&mut d, 1500).await.is_err());
    let s = Stan::new(1).unwrap();
    // Off the due list (new work may go), in the advice queue.
    assert!(d.journal().next_reversal().is_none());
    let job = d.journal().next_advice().unwrap();
    assert_eq!((job.stan, job.mti.as_str()), (s, "0420"));
    assert_eq!(d.journal().txn(s).unwrap().state, TxnState::ReversalPending);
    *up.lock().unwrap() = true;
    let p = purchase_via(&mut d, 200).await.unwrap();
    let log = log.lock().unwrap().clone();
    let attempts = JournalPolicy::generic_1987().reversal_attempts() as usize;
    assert_eq!(log.len(), 1 + attempts + 2, "{log:?}");
    assert_eq!(
        log[1 + attempts..].to_vec(),
        vec![("0420".into(), 1), ("0200".into(), p)]
    );
    assert_eq!(d.journal().txn(s).unwrap().state, TxnState::Reversed);
}

#[tokio::test]
async fn with_the_link_down_an_advice_is_queued_without_an_attempt() {
    let (peer, log, act) = advice_host();
    *act.lock().unwrap() = Act::Answer;
    let (mut d, srv) = driver(peer).await;
    let pre = pre_auth_via(&mut d, 5000).await;
    srv.shutdown(Duration::from_millis(50)).await;
    for _ in 0..200 {
        if !d.client().is_ready() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!d.client().is_ready(), "the link went down");
    let s = completion_via(&mut d, pre, 4000).await;
    let queued: Vec<_> = d
        .journal()
        .queued_advices()
        .iter()
        .map(|a| (a.stan, a.attempts))
        .collect();
    assert_eq!(queued, vec![(s, 0)], "queued, not tried");
    let round = d.send_queued_advices().await.unwrap();
    assert!(round.pending && round.delivered.is_empty());
    assert!(advices_in(&log).is_empty());
}

/// A driver whose link waits `timeout` for each answer (the tests that drop a call midway
/// give it room on a slow machine).
async fn slow_driver(peer: Arc<Peer>, timeout: Duration) -> (TerminalDriver<Journal>, Server) {
    let srv = server(peer).await;
    (
        driver_waiting(&srv, signed_on_journal(), timeout).await,
        srv,
    )
}

/// A host that drops everything until `answering` is set, then answers everything.
fn switchable_host() -> (Arc<Peer>, Log, Arc<Mutex<bool>>) {
    let answering = Arc::new(Mutex::new(false));
    let a = Arc::clone(&answering);
    let (peer, log) = logging_host(move |_, _| {
        if *a.lock().unwrap() {
            Act::Answer
        } else {
            Act::Drop
        }
    });
    (peer, log, answering)
}

#[tokio::test]
async fn a_purchase_whose_call_is_dropped_midway_is_reversed_by_the_next_call() {
    let (peer, log, answering) = switchable_host();
    let (mut d, _srv) = slow_driver(peer, Duration::from_millis(500)).await;
    // The caller gives up on the purchase (its own timeout) while the request is out.
    let dropped =
        tokio::time::timeout(Duration::from_millis(100), purchase_via(&mut d, 1500)).await;
    assert!(dropped.is_err(), "the call should still be waiting");
    assert_eq!(log.lock().unwrap().clone(), vec![("0200".into(), 1)]);
    // The next purchase reverses the one whose outcome nobody read, then goes.
    *answering.lock().unwrap() = true;
    assert_eq!(purchase_via(&mut d, 2500).await.unwrap(), 2);
    assert_eq!(
        log.lock().unwrap().clone(),
        vec![("0200".into(), 1), ("0400".into(), 1), ("0200".into(), 2)]
    );
    let j = d.journal();
    assert_eq!(
        j.txn(Stan::new(1).unwrap()).unwrap().state,
        TxnState::Reversed
    );
    assert_eq!(
        j.txn(Stan::new(2).unwrap()).unwrap().state,
        TxnState::Approved
    );
}

#[tokio::test]
async fn a_reversal_whose_call_is_dropped_midway_is_repeated_by_the_next_call() {
    let (peer, log, answering) = switchable_host();
    let (mut d, _srv) = slow_driver(peer, Duration::from_millis(300)).await;
    // The purchase times out at 300 ms inside the call, its reversal goes at once, and the
    // caller gives up at 450 ms while the reversal waits for its answer.
    let dropped =
        tokio::time::timeout(Duration::from_millis(450), purchase_via(&mut d, 1500)).await;
    assert!(dropped.is_err(), "the call should still be waiting");
    assert_eq!(
        log.lock().unwrap().clone(),
        vec![("0200".into(), 1), ("0400".into(), 1)]
    );
    // The dropped attempt counts as unanswered: the next call sends the repeat, then the
    // new purchase.
    *answering.lock().unwrap() = true;
    assert_eq!(purchase_via(&mut d, 2500).await.unwrap(), 2);
    assert_eq!(
        log.lock().unwrap().clone(),
        vec![
            ("0200".into(), 1),
            ("0400".into(), 1),
            ("0401".into(), 1),
            ("0200".into(), 2)
        ]
    );
    assert_eq!(
        d.journal().txn(Stan::new(1).unwrap()).unwrap().state,
        TxnState::Reversed
    );
}

#[tokio::test]
async fn an_advice_whose_call_is_dropped_midway_is_repeated_by_the_next_round() {
    let (peer, log, act) = advice_host();
    *act.lock().unwrap() = Act::Answer;
    let (mut d, _srv) = slow_driver(peer, Duration::from_millis(500)).await;
    let pre = pre_auth_via(&mut d, 5000).await;
    // The host drops the advice and the caller gives up on the round while it is out.
    *act.lock().unwrap() = Act::Drop;
    let dropped = tokio::time::timeout(
        Duration::from_millis(100),
        completion_via(&mut d, pre, 4000),
    )
    .await;
    assert!(dropped.is_err(), "the call should still be waiting");
    let s = d.journal().queued_advices()[0].stan;
    assert_eq!(advices_in(&log), vec![("0220".into(), s.get())]);
    // The next round counts that attempt unanswered and sends the repeat.
    *act.lock().unwrap() = Act::Answer;
    let round = d.send_queued_advices().await.unwrap();
    assert_eq!((round.delivered, round.pending), (vec![s], false));
    assert_eq!(
        advices_in(&log),
        vec![("0220".into(), s.get()), ("0221".into(), s.get())]
    );
    assert_eq!(d.journal().txn(s).unwrap().state, TxnState::Approved);
}

/// A CUP-style host: logs each request's MTI and STAN, drops the purchase with STAN `drop`,
/// and answers the rest with the response MTI, the request's 11-byte header with the TPDU
/// addresses swapped, DE 3, 4, 11, 41, 42 (and 60 when present) copied and DE 39 `00`.
struct CupHost {
    log: Log,
    drop: u32,
}

impl iso8583_wire::link::Handler for CupHost {
    fn request(
        &self,
        req: iso8583_wire::Message,
        _conn: &iso8583_wire::link::Connection,
    ) -> iso8583_wire::link::Reply {
        use iso8583_wire::framing::PosHeader;
        use iso8583_wire::link::Reply;
        let (mti, s) = (req.mti().as_str().to_owned(), stan(&req));
        self.log.lock().unwrap().push((mti.clone(), s));
        if mti == "0200" && s == self.drop {
            return Reply::None;
        }
        let view = req.view();
        let header = PosHeader::parse(view.header()).unwrap().reply().to_bytes();
        let mut b = iso8583_wire::MessageBuilder::new(req.spec());
        b.set_mti(req.mti().response().unwrap());
        b.header_owned(header.to_vec()).unwrap();
        for n in [3, 4, 11, 41, 42, 60] {
            if let Some(f) = req.field(n) {
                b.set(n, f).unwrap();
            }
        }
        b.set(39, "00").unwrap();
        Reply::Now(b.build().unwrap())
    }
}

/// The CUP profile end to end: `cup-pos` (BCD fields, an 11-byte header whose TPDU the host
/// swaps), responses matched on DE 41 + DE 11 + the swapped TPDU; a purchase the host drops
/// times out, and exactly one 0400 for it goes out before the next purchase, which is
/// answered.
#[tokio::test]
async fn the_cup_profile_reverses_a_timed_out_purchase_once_before_the_next() {
    use iso8583_wire::Spec;
    use iso8583_wire::framing::{FrameConfig, LengthHeader, PosHeader, Tpdu};
    use iso8583_wire::link::{
        ClientConfig, HeaderKey, KeyRule, KeyRules, LinkConfig, ServerConfig,
    };
    let cup = Spec::builtin("cup-pos").unwrap();
    let header = PosHeader {
        tpdu: Tpdu::new(3, 0),
        app_type: 0x60,
        version: 0x31,
        terminal_status: 0,
        processing: 0,
        app_version: [0, 0, 0],
    };
    let keys = KeyRules {
        default: KeyRule {
            fields: vec![41, 11],
            header: HeaderKey::TpduSwapped,
        },
        ..KeyRules::default()
    };
    let link = LinkConfig::new(cup.clone(), FrameConfig::new(LengthHeader::Len2Be))
        .with_keys(keys)
        .with_request_timeout(Duration::from_millis(80));
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let host = Arc::new(CupHost {
        log: Arc::clone(&log),
        drop: 1,
    });
    let srv = Server::bind("127.0.0.1:0", ServerConfig::new(link.clone()), host)
        .await
        .unwrap();
    let client = connect(&srv, ClientConfig::new(link), Arc::new(Collect::default())).await;
    let mut journal = Journal::new(
        cup.clone(),
        key(),
        "TERM0001",
        "123456789012345",
        JournalPolicy::cup_pos(),
    );
    journal.sign_on(None).unwrap();
    let ctx = FlowContext {
        spec: cup,
        profile: FlowProfile::cup_pos(),
        terminal_id: "TERM0001".into(),
        merchant_id: "123456789012345".into(),
        acquirer_id: Some("4802".into()),
        header: Some(header),
    };
    let mut d = TerminalDriver::new(client, journal, ctx.clone());
    let card = Card::keyed("4761739001010119", "2912");
    let purchase = |amount: u64| {
        let (ctx, card) = (ctx.clone(), card.clone());
        let txn = NewTxn::new(
            TxnKind::Purchase,
            amount,
            "TERM0001",
            "123456789012345",
            "0200",
        );
        (txn, move |t: &iso8583_wire::flows::journal::Ticket| {
            ctx.purchase(t.stan, t.batch, &card, amount, &utc_now())?
                .encode_to_vec()
                .map_err(Into::into)
        })
    };
    let (txn, build) = purchase(1500);
    let err = d.financial(txn, build).await.unwrap_err();
    assert!(
        matches!(err, DriverError::Link(LinkError::Timeout { .. })),
        "{err}"
    );
    let (txn, build) = purchase(2500);
    let rsp = d.financial(txn, build).await.unwrap();
    assert_eq!(stan(&rsp), 2);
    assert_eq!(
        MessageView::decode(rsp.spec(), rsp.bytes())
            .unwrap()
            .str(39),
        Some("00")
    );
    purchase_1_reversed_before_purchase_2(&log, d.journal());
}
