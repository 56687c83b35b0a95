//! The terminal driver: a timed-out financial request yields exactly one reversal, sent before
//! the next financial request; unanswered reversals are repeated as the profile says.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

mod link_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use iso8583_wire::flows::journal::{
    Journal, JournalPolicy, NewTxn, SoftwareKey, TxnKind, TxnState,
};
use iso8583_wire::flows::{Card, FlowContext, FlowProfile};
use iso8583_wire::link::LinkError;
use iso8583_wire::link::driver::{DriverError, TerminalDriver, utc_now};
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

async fn driver(peer: Arc<Peer>) -> (TerminalDriver<Journal>, iso8583_wire::link::Server) {
    let srv = server(peer).await;
    let mut config = client_config();
    config.link.request_timeout = Duration::from_millis(80);
    config.link.timeout_tick = Duration::from_millis(2);
    let client = connect(&srv, config, Arc::new(Collect::default())).await;
    let key = Arc::new(SoftwareKey::from_bytes(1, &[7; 32]));
    let mut journal = Journal::new(
        spec(),
        key,
        "TERM0001",
        "MERCHANT0000001",
        JournalPolicy::generic_1987(),
    );
    journal.sign_on(None).unwrap();
    (TerminalDriver::new(client, journal, ctx()), srv)
}

async fn purchase_via(d: &mut TerminalDriver<Journal>, amount: u64) -> Result<u32, DriverError> {
    let ctx = ctx();
    let card = Card::keyed("4761739001010119", "2912");
    let txn = NewTxn::new(
        TxnKind::Purchase,
        amount,
        "TERM0001",
        "MERCHANT0000001",
        "0200",
    );
    let rsp = d
        .financial(txn, |t| {
            ctx.purchase(t.stan, t.batch, &card, amount, &utc_now())?
                .encode_to_vec()
                .map_err(Into::into)
        })
        .await?;
    Ok(stan(&rsp))
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
    let log = log.lock().unwrap().clone();
    assert_eq!(
        log,
        vec![("0200".into(), 1), ("0400".into(), 1), ("0200".into(), 2)]
    );
    let j = d.journal();
    assert_eq!(
        j.txn(iso8583_wire::flows::journal::Stan::new(1).unwrap())
            .unwrap()
            .state,
        TxnState::Reversed
    );
    assert!(j.next_reversal().is_none());
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
