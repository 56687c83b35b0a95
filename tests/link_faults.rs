//! Every request resolves exactly once when the host drops answers, answers late, answers
//! twice, sends garbage frames or closes in mid-frame: each fault alone and all mixed.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use iso8583_wire::Spec;
use iso8583_wire::framing::{FrameConfig, LengthHeader};
use iso8583_wire::link::faults::{Faults, FaultyHost};
use iso8583_wire::link::load::{LoadPlan, LoadReport, Purchases, run_load};
use iso8583_wire::link::{
    Backoff, Client, ClientConfig, LinkConfig, MetricsSnapshot, NoHandler, Server, ServerConfig,
};

const N: u64 = 600;

async fn run(faults: Faults) -> (LoadReport, MetricsSnapshot, u64) {
    let spec = Spec::builtin("iso87-ascii-bin").unwrap();
    let mut link = LinkConfig::new(spec.clone(), FrameConfig::new(LengthHeader::Len2Be))
        .with_request_timeout(Duration::from_millis(100));
    link.timeout_tick = Duration::from_millis(2);
    let host = FaultyHost::new(faults);
    let server = Server::bind("127.0.0.1:0", ServerConfig::new(link.clone()), host.clone())
        .await
        .unwrap();
    let config = ClientConfig::new(link).with_reconnect(Some(Backoff {
        initial: Duration::from_millis(2),
        max: Duration::from_millis(20),
        ..Backoff::default()
    }));
    let client = Client::connect(server.local_addr().to_string(), config, Arc::new(NoHandler))
        .await
        .unwrap();
    let plan = LoadPlan {
        requests: N,
        inflight: 16,
        lost_after: Duration::from_secs(3),
    };
    let c = client.clone();
    let report = run_load(&plan, Purchases::new(&spec).unwrap(), move |m| {
        let c = c.clone();
        async move { c.send(m).await }
    })
    .await;
    // Let late and duplicate answers arrive before reading the metrics.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let metrics = client.metrics().snapshot();
    client.shutdown(Duration::from_millis(200)).await;
    server.shutdown(Duration::from_millis(200)).await;
    assert!(report.exactly_once(), "{}", report.line());
    (report, metrics, host.seen())
}

#[tokio::test]
async fn dropped_answers_time_out_once_each() {
    let (r, m, _) = run(Faults {
        drop_every: 50,
        ..Faults::default()
    })
    .await;
    assert_eq!(r.timeouts, N / 50);
    assert_eq!(r.matched, N - N / 50);
    assert_eq!(m.timeouts, N / 50);
    assert_eq!(m.late, 0);
}

#[tokio::test]
async fn answers_past_the_timeout_are_late_strays() {
    let (r, m, _) = run(Faults {
        delay_every: 50,
        delay: Duration::from_millis(160),
        ..Faults::default()
    })
    .await;
    assert_eq!(r.timeouts, N / 50);
    assert_eq!(r.matched, N - N / 50);
    assert_eq!(m.late, N / 50);
}

#[tokio::test]
async fn double_answers_resolve_once_and_the_second_is_a_stray() {
    let (r, m, _) = run(Faults {
        twice_every: 40,
        ..Faults::default()
    })
    .await;
    assert_eq!(r.matched, N);
    assert_eq!(m.unmatched, N / 40);
}

#[tokio::test]
async fn garbage_frames_are_counted_and_the_connection_survives() {
    let (r, m, _) = run(Faults {
        garbage_every: 100,
        ..Faults::default()
    })
    .await;
    assert_eq!(r.matched, N);
    assert_eq!(m.undecodable, N / 100);
    assert_eq!(m.reconnects, 0);
}

#[tokio::test]
async fn closes_in_mid_frame_fail_the_pending_and_the_client_reconnects() {
    let (r, m, seen) = run(Faults {
        close_every: 150,
        ..Faults::default()
    })
    .await;
    assert!(r.errors >= seen / 150, "{}", r.line());
    assert_eq!(m.reconnects, seen / 150);
    assert!(r.matched > N / 2);
}

#[tokio::test]
async fn every_fault_mixed() {
    let (r, m, _) = run(Faults {
        drop_every: 50,
        delay_every: 50,
        delay: Duration::from_millis(160),
        twice_every: 40,
        garbage_every: 100,
        close_every: 200,
    })
    .await;
    // Dropped and delayed requests end as timeouts, or as lost connections when a close
    // comes first.
    assert!(r.timeouts + r.errors >= N / 50 * 2, "{}", r.line());
    assert!(r.matched > N / 2, "{}", r.line());
    assert!(m.reconnects >= 1 && m.undecodable >= 1, "{m:?}");
}
