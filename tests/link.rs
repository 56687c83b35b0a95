//! The link's client and server on loopback: matching, timeouts and late answers, duplicates,
//! strays, rejects, inbound requests and echoes, keep-alive, reconnect, the in-flight cap,
//! bad frames and shutdown. Every request resolves exactly once.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod link_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use iso8583_wire::link::{Client, LinkError, LinkState, StrayKind, WhenFull};
use link_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn responses_match_their_requests_out_of_order() {
    // Even STANs are answered late (but in time), odd ones at once: answers come out of order.
    let peer = Peer::new(|m| {
        if stan(m).is_multiple_of(2) {
            Act::Delay(Duration::from_millis(30))
        } else {
            Act::Answer
        }
    });
    let srv = server(peer).await;
    let handler = Arc::new(Collect::default());
    let client = connect(&srv, client_config(), handler.clone()).await;
    let mut tasks = Vec::new();
    for s in 1..=40 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move { (s, c.send(purchase(s)).await) }));
    }
    for t in tasks {
        let (s, r) = t.await.unwrap();
        let r = r.unwrap();
        assert_eq!(stan(&r), s);
        assert_eq!(r.mti().as_str(), "0210");
    }
    let m = client.metrics().snapshot();
    assert_eq!(m.sent.get("0200"), Some(&40));
    assert_eq!(m.received.get("0210"), Some(&40));
    assert_eq!(m.response_codes.get("00"), Some(&40));
    assert_eq!(m.in_flight, 0);
    assert_eq!(m.latency.iter().sum::<u64>(), 40);
    assert!(handler.strays.lock().unwrap().is_empty());
    assert_eq!(handler.sign_ons.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn late_duplicate_and_unmatched_answers_go_to_the_stray_handler() {
    let peer = Peer::new(|m| match stan(m) {
        1 => Act::Delay(Duration::from_millis(300)),
        2 => Act::Twice,
        _ => Act::Answer,
    });
    let srv = server(peer.clone()).await;
    let handler = Arc::new(Collect::default());
    let mut config = client_config();
    config.link.request_timeout = Duration::from_millis(100);
    let client = connect(&srv, config, handler.clone()).await;
    let late = client.send(purchase(1)).await;
    assert!(matches!(late, Err(LinkError::Timeout { .. })), "{late:?}");
    assert_eq!(stan(&client.send(purchase(2)).await.unwrap()), 2);
    // The server pushes a response nobody asked for.
    let conn = peer.conns.lock().unwrap()[0].clone();
    conn.post(&answer(&purchase(77), "00")).unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(handler.strays_of(StrayKind::Late), vec![1]);
    assert_eq!(handler.strays_of(StrayKind::Duplicate), vec![2]);
    assert_eq!(handler.strays_of(StrayKind::Unmatched), vec![77]);
    let m = client.metrics().snapshot();
    assert_eq!((m.timeouts, m.late, m.unmatched, m.in_flight), (1, 1, 2, 0));
}

#[tokio::test]
async fn a_reject_ends_the_wait_with_an_error_not_a_timeout() {
    let peer = Peer::new(|_| Act::Reject);
    let srv = server(peer).await;
    let client = connect(&srv, client_config(), Arc::new(Collect::default())).await;
    let started = tokio::time::Instant::now();
    match client.send(purchase(5)).await {
        Err(LinkError::Rejected {
            request,
            reject,
            code,
        }) => {
            assert_eq!(request.as_str(), "0200");
            assert_eq!(reject.as_str(), "0620");
            assert_eq!(code, "30");
        }
        other => panic!("expected a reject, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_millis(400));
    let m = client.metrics().snapshot();
    assert_eq!((m.rejects, m.timeouts, m.in_flight), (1, 0, 0));
}

#[tokio::test]
async fn the_peers_echo_is_answered_and_its_requests_reach_the_handler() {
    let peer = Peer::new(|_| Act::Answer);
    let srv = server(peer.clone()).await;
    let handler = Arc::new(Collect::default());
    let _client = connect(&srv, client_config(), handler.clone()).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let conn = peer.conns.lock().unwrap()[0].clone();
    // An unsolicited echo from the host: answered by the link itself.
    let echo = build("0800", &[(11, "000321"), (70, "301")]);
    let rsp = conn.send(echo).await.unwrap();
    assert_eq!(rsp.mti().as_str(), "0810");
    assert_eq!(rsp.field(39).unwrap().as_str(), Some("00"));
    assert_eq!(stan(&rsp), 321);
    assert_eq!(handler.requests.load(Ordering::SeqCst), 0);
    // Another request from the host: the client's handler answers it.
    let rsp = conn.send(purchase(9)).await.unwrap();
    assert_eq!(rsp.mti().as_str(), "0210");
    assert_eq!(handler.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unanswered_keep_alive_echo_drops_the_link_and_the_client_reconnects() {
    // The host answers nothing and does not auto-answer echoes.
    let peer = Peer::new(|_| Act::Drop);
    let mut cfg = iso8583_wire::link::ServerConfig::new(link().with_auto_echo(false));
    cfg.max_connections = 8;
    let srv = iso8583_wire::link::Server::bind("127.0.0.1:0", cfg, peer.clone())
        .await
        .unwrap();
    let handler = Arc::new(Collect::default());
    let config = client_config()
        .with_idle_echo(Duration::from_millis(50), Duration::from_millis(50))
        .with_reconnect(Some(iso8583_wire::link::Backoff {
            initial: Duration::from_millis(10),
            max: Duration::from_millis(40),
            factor: 2.0,
            jitter: 0.5,
        }));
    let client = connect(&srv, config, handler.clone()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let m = client.metrics().snapshot();
    assert!(m.reconnects >= 2, "{m:?}");
    assert!(m.sent.get("0800").copied().unwrap_or(0) >= 2);
    assert_eq!(
        handler.sign_ons.load(Ordering::SeqCst) as u64,
        m.reconnects + 1
    );
    assert!(
        peer.seen.load(Ordering::SeqCst) >= 2,
        "echoes reached the host"
    );
}

#[tokio::test]
async fn an_answered_keep_alive_keeps_the_link() {
    let peer = Peer::new(|_| Act::Answer);
    let srv = server(peer.clone()).await;
    let config =
        client_config().with_idle_echo(Duration::from_millis(40), Duration::from_millis(200));
    let client = connect(&srv, config, Arc::new(Collect::default())).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let m = client.metrics().snapshot();
    assert!(m.sent.get("0800").copied().unwrap_or(0) >= 3, "{m:?}");
    assert_eq!(m.received.get("0810"), m.sent.get("0800"));
    assert_eq!(m.reconnects, 0);
    assert!(client.is_ready());
}

#[tokio::test]
async fn the_in_flight_cap_holds_under_a_burst() {
    let peer = Peer::new(|_| Act::Delay(Duration::from_millis(20)));
    let srv = server(peer.clone()).await;
    let config = client_config().with_max_in_flight(8, WhenFull::Wait);
    let client = connect(&srv, config, Arc::new(Collect::default())).await;
    let tasks = burst(&client, 1..=100);
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(peer.pending_max.load(Ordering::SeqCst), 8);
    assert_eq!(peer.seen.load(Ordering::SeqCst), 100);

    // Failing fast instead: the ninth concurrent request is refused at once.
    let config = client_config().with_max_in_flight(8, WhenFull::FailFast);
    let client = connect(&srv, config, Arc::new(Collect::default())).await;
    let tasks = burst(&client, 200..216);
    let mut busy = 0;
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(LinkError::Busy { max: 8 }) => busy += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((ok, busy), (8, 8));
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests_then_signs_off() {
    let peer = Peer::new(|m| {
        if m.mti().class() == 8 {
            Act::Answer
        } else {
            Act::Delay(Duration::from_millis(100))
        }
    });
    let srv = server(peer.clone()).await;
    let handler = Arc::new(Collect::default());
    let client = connect(&srv, client_config(), handler.clone()).await;
    let tasks = burst(&client, 1..=10);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let c = client.clone();
    let shut = tokio::spawn(async move { c.shutdown(Duration::from_secs(2)).await });
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(client.state(), LinkState::Closing);
    assert!(matches!(
        client.send(purchase(99)).await,
        Err(LinkError::ShuttingDown)
    ));
    shut.await.unwrap();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(client.state(), LinkState::Closed);
    assert_eq!(handler.sign_offs.load(Ordering::SeqCst), 1);
    let m = client.metrics().snapshot();
    assert_eq!(
        m.received.get("0810"),
        Some(&1),
        "the sign-off was answered"
    );
    assert_eq!(m.received.get("0210"), Some(&10));
    assert_eq!(m.in_flight, 0);
}

/// A raw peer that answers the first request, then sends a frame that does not decode, then
/// answers the second request.
#[tokio::test]
async fn an_undecodable_frame_is_reported_and_the_connection_survives() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        for i in 0..2 {
            let mut len = [0u8; 2];
            s.read_exact(&mut len).await.unwrap();
            let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
            s.read_exact(&mut body).await.unwrap();
            let req = iso8583_wire::Message::decode(&spec(), body.into()).unwrap();
            let rsp = answer(&req, "00");
            let mut out = Vec::new();
            if i == 1 {
                // A 0210 whose STAN holds a letter.
                let mut bad = rsp.bytes().to_vec();
                let at = bad.windows(6).position(|w| w == b"000002").unwrap();
                bad[at] = b'X';
                out.extend_from_slice(&(bad.len() as u16).to_be_bytes());
                out.extend_from_slice(&bad);
            }
            out.extend_from_slice(&(rsp.bytes().len() as u16).to_be_bytes());
            out.extend_from_slice(rsp.bytes());
            s.write_all(&out).await.unwrap();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
    let handler = Arc::new(Collect::default());
    let client = Client::connect(addr.to_string(), client_config(), handler.clone())
        .await
        .unwrap();
    assert_eq!(stan(&client.send(purchase(1)).await.unwrap()), 1);
    assert_eq!(stan(&client.send(purchase(2)).await.unwrap()), 2);
    let errors = handler.errors.lock().unwrap().clone();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("field 11"), "{}", errors[0]);
    assert!(errors[0].contains("offset"), "{}", errors[0]);
    assert_eq!(client.metrics().snapshot().undecodable, 1);
}

/// A framing error (a length over the maximum) closes that connection: its pending requests
/// fail at once, and another client of the same server is unaffected.
#[tokio::test]
async fn a_framing_error_closes_only_its_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 256];
        let _ = s.read(&mut buf).await.unwrap();
        s.write_all(&[0xFF, 0xFF, 1, 2, 3]).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
    let good = server(Peer::new(|_| Act::Answer)).await;
    let mut link = link();
    link.framing = link.framing.with_max_frame(4096);
    let mut cfg = iso8583_wire::link::ClientConfig::new(link).with_reconnect(None);
    cfg.wait_for_link = Duration::from_millis(50);
    let handler = Arc::new(Collect::default());
    let bad = Client::connect(addr.to_string(), cfg.clone(), handler.clone())
        .await
        .unwrap();
    let other = connect(&good, cfg, Arc::new(Collect::default())).await;
    let started = tokio::time::Instant::now();
    assert!(matches!(
        bad.send(purchase(1)).await,
        Err(LinkError::ConnectionLost { .. })
    ));
    assert!(started.elapsed() < Duration::from_millis(400));
    let errors = handler.errors.lock().unwrap().clone();
    assert!(errors.iter().any(|e| e.contains("65535")), "{errors:?}");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(bad.state(), LinkState::Closed);
    assert!(matches!(
        bad.send(purchase(2)).await,
        Err(LinkError::ShuttingDown | LinkError::Down)
    ));
    assert_eq!(stan(&other.send(purchase(3)).await.unwrap()), 3);
}

#[tokio::test]
async fn the_client_reconnects_after_the_host_drops_it() {
    let peer = Peer::new(|_| Act::Answer);
    let srv = server(peer.clone()).await;
    let handler = Arc::new(Collect::default());
    let config = client_config().with_reconnect(Some(iso8583_wire::link::Backoff {
        initial: Duration::from_millis(10),
        ..Default::default()
    }));
    let client = connect(&srv, config, handler.clone()).await;
    assert_eq!(stan(&client.send(purchase(1)).await.unwrap()), 1);
    for c in srv.connections() {
        c.abort();
    }
    // Once the client has seen the loss, the next request waits for the new connection and
    // its sign-on.
    while client.connection().is_some_and(|c| !c.is_closed()) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(stan(&client.send(purchase(2)).await.unwrap()), 2);
    assert_eq!(handler.sign_ons.load(Ordering::SeqCst), 2);
    assert_eq!(client.metrics().snapshot().reconnects, 1);
}

#[tokio::test]
async fn the_server_refuses_connections_over_its_cap_and_shuts_down() {
    let peer = Peer::new(|_| Act::Answer);
    let cfg = iso8583_wire::link::ServerConfig::new(link()).with_max_connections(1);
    let srv = iso8583_wire::link::Server::bind("127.0.0.1:0", cfg, peer)
        .await
        .unwrap();
    let one = connect(&srv, client_config(), Arc::new(Collect::default())).await;
    let mut c2 = client_config().with_reconnect(None);
    c2.wait_for_link = Duration::from_millis(50);
    let two = connect(&srv, c2, Arc::new(Collect::default())).await;
    assert!(two.send(purchase(2)).await.is_err());
    assert_eq!(srv.metrics().snapshot().refused, 1);
    assert_eq!(stan(&one.send(purchase(1)).await.unwrap()), 1);
    srv.shutdown(Duration::from_millis(500)).await;
    assert!(srv.connections().is_empty());
    assert!(
        tokio::net::TcpStream::connect(srv.local_addr())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn connecting_to_nothing_fails_clearly() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = Client::connect(
        addr.to_string(),
        client_config(),
        Arc::new(Collect::default()),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, LinkError::Io(_)), "{err:?}");
    // The error names the address it could not reach (the OS's reason follows).
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("I/O error: connect to {addr}: ")),
        "{text}"
    );
}

/// Two `Connection`s over an in-memory pipe with the clock paused: a 30 s timeout and an
/// answer 31 s late take no real time; the timeout fires within one sweep tick of its deadline
/// and the late answer reaches the stray handler.
#[tokio::test(start_paused = true)]
async fn a_thirty_second_timeout_and_its_late_answer_in_simulated_time() {
    use iso8583_wire::link::{Connection, Metrics};
    let (a, b) = tokio::io::duplex(64 * 1024);
    let (ar, aw) = tokio::io::split(a);
    let (br, bw) = tokio::io::split(b);
    let handler = Arc::new(Collect::default());
    let config = Arc::new(link().with_request_timeout(Duration::from_secs(30)));
    let metrics = Arc::new(Metrics::default());
    let conn = Connection::spawn(ar, aw, None, config, handler.clone(), metrics.clone());
    let peer = Peer::new(|_| Act::Delay(Duration::from_secs(31)));
    let _host = Connection::spawn(br, bw, None, Arc::new(link()), peer, Arc::default());
    let started = tokio::time::Instant::now();
    let r = conn.send(purchase(7)).await;
    assert!(
        matches!(r, Err(LinkError::Timeout { millis: 30_000, .. })),
        "{r:?}"
    );
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(30), "{waited:?}");
    assert!(
        waited <= Duration::from_secs(30) + link().timeout_tick * 2,
        "{waited:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(handler.strays_of(StrayKind::Late), vec![7]);
    let m = metrics.snapshot();
    assert_eq!((m.timeouts, m.late, m.in_flight), (1, 1, 0));
}

/// A write half that counts the writes made on it.
struct CountingWriter<W> {
    inner: W,
    writes: Arc<std::sync::atomic::AtomicUsize>,
}

impl<W: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for CountingWriter<W> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, std::task::Poll::Ready(Ok(_))) {
            self.writes.fetch_add(1, Ordering::SeqCst);
        }
        r
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// 64 requests arrive in one read: a host handing over to its writer every 8 messages sends
/// the answers in at least 8 writes, one handing over every 64 in a single write; every
/// request is answered either way.
#[tokio::test]
async fn the_reader_hands_over_to_the_writer_every_n_messages_of_a_read() {
    use iso8583_wire::link::{Connection, Metrics};
    for (every, writes_ok) in [(8u32, (8usize..=64).collect::<Vec<_>>()), (64, vec![1])] {
        let (mut term, host) = tokio::io::duplex(256 * 1024);
        let mut burst = Vec::new();
        for s in 1..=64u32 {
            let wire = purchase(s).bytes().clone();
            burst.extend_from_slice(&(wire.len() as u16).to_be_bytes());
            burst.extend_from_slice(&wire);
        }
        // Everything is in the pipe before the host's reader first runs.
        term.write_all(&burst).await.unwrap();
        let (hr, hw) = tokio::io::split(host);
        let writes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let hw = CountingWriter {
            inner: hw,
            writes: writes.clone(),
        };
        let peer = Peer::new(|_| Act::Answer);
        let config = Arc::new(link().with_hand_over_every(every));
        let _host = Connection::spawn(hr, hw, None, config, peer, Arc::new(Metrics::default()));
        let mut got = Vec::new();
        let mut buf = Vec::new();
        while got.len() < 64 {
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(5), term.read(&mut chunk))
                .await
                .unwrap()
                .unwrap();
            assert!(n > 0, "host closed");
            buf.extend_from_slice(&chunk[..n]);
            while buf.len() >= 2 {
                let len = usize::from(u16::from_be_bytes([buf[0], buf[1]]));
                if buf.len() < 2 + len {
                    break;
                }
                let frame: Vec<u8> = buf.drain(..2 + len).skip(2).collect();
                let m = iso8583_wire::Message::decode(&spec(), frame.into()).unwrap();
                got.push(stan(&m));
            }
        }
        got.sort_unstable();
        assert_eq!(got, (1..=64).collect::<Vec<_>>(), "every {every}");
        let w = writes.load(Ordering::SeqCst);
        assert!(writes_ok.contains(&w), "every {every}: {w} writes");
    }
}

/// A request already waiting for an in-flight slot when shutdown begins is refused with
/// `ShuttingDown` once the slot frees, and never reaches the host; the one in flight is
/// answered. (A state read before the wait for the slot must not let it through.)
#[tokio::test]
async fn a_request_waiting_for_a_slot_when_shutdown_begins_is_refused_not_sent() {
    let peer = Peer::new(|m| {
        if m.mti().class() == 8 {
            Act::Answer
        } else {
            Act::Delay(Duration::from_millis(150))
        }
    });
    let srv = server(peer.clone()).await;
    let config = client_config().with_max_in_flight(1, WhenFull::Wait);
    let client = connect(&srv, config, Arc::new(Collect::default())).await;
    let first = burst(&client, 1..=1);
    tokio::time::sleep(Duration::from_millis(20)).await;
    // The second request waits for the only slot, with the link Ready.
    let second = burst(&client, 2..=2);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(client.state(), LinkState::Ready);
    let c = client.clone();
    let shut = tokio::spawn(async move { c.shutdown(Duration::from_secs(2)).await });
    for t in first {
        assert_eq!(stan(&t.await.unwrap().unwrap()), 1);
    }
    for t in second {
        let r = t.await.unwrap();
        assert!(matches!(r, Err(LinkError::ShuttingDown)), "{r:?}");
    }
    shut.await.unwrap();
    let m = client.metrics().snapshot();
    assert_eq!(m.sent.get("0200"), Some(&1), "only the first purchase left");
    assert_eq!(m.received.get("0210"), Some(&1));
}
