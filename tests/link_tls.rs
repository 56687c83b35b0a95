//! The link over TLS (feature `tls`), on loopback, with certificates made at test time
//! (rcgen; no key is stored anywhere): round trip, mutual TLS, server name check, handshake
//! timeout and connection cap, reconnection after a server restart, pools, and keys kept out
//! of `Debug`.
#![cfg(feature = "tls")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod link_support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iso8583_wire::Message;
use iso8583_wire::link::{
    Backoff, Client, ClientConfig, ClientTls, Connection, Handler, LinkError, Pool, Reply, Server,
    ServerConfig, ServerTls, TlsIdentity,
};
use link_support::{Collect, answer, client_config, link, purchase, stan};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tokio::io::AsyncReadExt;

/// A CA and what it signs: certificates and keys as PEM text, made fresh per test.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate and its private key, as PEM.
struct Pair {
    cert: String,
    key: String,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `names` (DNS names or IP addresses).
    fn leaf(&self, names: &[&str]) -> Pair {
        let params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Pair {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    fn identity(&self, names: &[&str]) -> TlsIdentity {
        let p = self.leaf(names);
        TlsIdentity::from_pem(p.cert.as_bytes(), p.key.as_bytes()).unwrap()
    }
}

/// A host that approves every request and keeps what it saw: requests, connections served
/// (each one a finished handshake) and errors.
#[derive(Default)]
struct Host {
    seen: AtomicUsize,
    connected: AtomicUsize,
    errors: Mutex<Vec<LinkError>>,
}

impl Handler for Host {
    fn request(&self, request: Message, _conn: &Connection) -> Reply {
        self.seen.fetch_add(1, Ordering::SeqCst);
        Reply::Now(answer(&request, "00"))
    }
    fn connected(&self, _conn: &Connection) {
        self.connected.fetch_add(1, Ordering::SeqCst);
    }
    fn error(&self, error: &LinkError, _conn: Option<&Connection>) {
        self.errors.lock().unwrap().push(error.clone());
    }
}

/// Counts the peer's requests without answering them.
struct Silent(Arc<Host>);

impl Handler for Silent {
    fn request(&self, _request: Message, _conn: &Connection) -> Reply {
        self.0.seen.fetch_add(1, Ordering::SeqCst);
        Reply::None
    }
}

impl Host {
    fn errors(&self) -> Vec<LinkError> {
        self.errors.lock().unwrap().clone()
    }
}

async fn tls_server(addr: &str, tls: ServerTls, cap: usize, host: Arc<Host>) -> Server {
    let config = ServerConfig::new(link())
        .with_max_connections(cap)
        .with_tls(tls);
    Server::bind(addr, config, host).await.unwrap()
}

/// A host with a `localhost` certificate from `ca`, no client certificates, 8 connections.
async fn tls_host(ca: &Ca) -> (Arc<Host>, Server) {
    let host = Arc::new(Host::default());
    let tls = ServerTls::from_pem(&ca.identity(&["localhost"]), None).unwrap();
    (host.clone(), tls_server("127.0.0.1:0", tls, 8, host).await)
}

fn client_tls(ca: &Ca, name: &str, identity: Option<&TlsIdentity>) -> ClientConfig {
    let tls = ClientTls::from_pem(ca.pem.as_bytes(), name, identity).unwrap();
    client_config().with_reconnect(None).with_tls(tls)
}

async fn connect(srv: &Server, config: ClientConfig) -> Result<Client, LinkError> {
    Client::connect(
        srv.local_addr().to_string(),
        config,
        Arc::new(Collect::default()),
    )
    .await
}

/// Waits (up to 5 s) until `cond` holds.
async fn until(what: &str, cond: impl Fn() -> bool) {
    let end = tokio::time::Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < end,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Sends purchases `stans` at once; every one resolves, each answer carrying its own STAN.
async fn all_matched(client: &Client, stans: std::ops::Range<u32>) {
    let tasks = link_support::burst(client, stans.clone());
    for (s, t) in stans.zip(tasks) {
        let response = t.await.unwrap().unwrap();
        assert_eq!(response.mti().as_str(), "0210");
        assert_eq!(stan(&response), s);
        assert_eq!(response.field(39).unwrap().as_str(), Some("00"));
    }
}

#[tokio::test]
async fn a_purchase_round_trips_over_tls() {
    let ca = Ca::new("test CA");
    let (host, srv) = tls_host(&ca).await;
    let client = connect(&srv, client_tls(&ca, "localhost", None))
        .await
        .unwrap();
    let response = client.send(purchase(7)).await.unwrap();
    assert_eq!(response.mti().as_str(), "0210");
    assert_eq!(stan(&response), 7);
    // 200 at once: the writer's batches go through the TLS stream and all of them come back.
    all_matched(&client, 100..300).await;
    assert_eq!(host.seen.load(Ordering::SeqCst), 201);
    assert_eq!(host.connected.load(Ordering::SeqCst), 1);
    assert!(host.errors().is_empty(), "{:?}", host.errors());
    client.shutdown(Duration::from_secs(1)).await;
    srv.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_burst_of_unsolicited_messages_arrives_whole_over_tls() {
    // 20,000 messages posted at once go out in the writer's batches through the TLS stream.
    // (The writer flushes after each batch because tokio-rustls may keep records queued when
    // the socket is full; on loopback this burst does not reliably fill the socket, so this
    // test would not catch a missing flush by itself.)
    let ca = Ca::new("test CA");
    let (host, srv) = tls_host(&ca).await;
    // The client takes the messages in silence, so nothing else goes out to push them.
    let handler = Arc::new(Host::default());
    let _client = Client::connect(
        srv.local_addr().to_string(),
        client_tls(&ca, "localhost", None),
        Arc::new(Silent(handler.clone())),
    )
    .await
    .unwrap();
    until("the server has the connection", || {
        srv.connections().len() == 1
    })
    .await;
    let conn = srv.connections().remove(0);
    const N: usize = 20_000;
    let msgs: Vec<Message> = (0..N as u32).map(purchase).collect();
    for m in &msgs {
        conn.post(m).unwrap();
    }
    until("every posted message arrived", || {
        handler.seen.load(Ordering::SeqCst) == N
    })
    .await;
    assert_eq!(srv.metrics().snapshot().undecodable, 0);
    assert_eq!(host.connected.load(Ordering::SeqCst), 1);
    assert!(host.errors().is_empty(), "{:?}", host.errors());
}

#[tokio::test]
async fn the_writer_flushes_each_batch_so_a_buffering_stream_delivers_it() {
    // Any stream that holds written bytes until flushed (a TLS session whose socket was
    // full, here a `BufWriter`) must still deliver a lone request at once.
    let (near, far) = tokio::io::duplex(64 * 1024);
    let (near_r, near_w) = tokio::io::split(near);
    let (far_r, far_w) = tokio::io::split(far);
    let config = Arc::new(link());
    let metrics = Arc::new(iso8583_wire::link::Metrics::default());
    let client = Connection::spawn(
        near_r,
        tokio::io::BufWriter::new(near_w),
        None,
        Arc::clone(&config),
        Arc::new(Collect::default()),
        Arc::clone(&metrics),
    );
    let host = Arc::new(Host::default());
    let _server = Connection::spawn(
        far_r,
        tokio::io::BufWriter::new(far_w),
        None,
        config,
        host.clone(),
        metrics,
    );
    assert_eq!(stan(&client.send(purchase(9)).await.unwrap()), 9);
    assert_eq!(host.seen.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn mutual_tls_accepts_the_right_client_certificate_and_refuses_a_missing_or_foreign_one() {
    let ca = Ca::new("test CA");
    let host = Arc::new(Host::default());
    let tls = ServerTls::from_pem(&ca.identity(&["localhost"]), Some(ca.pem.as_bytes())).unwrap();
    let srv = tls_server("127.0.0.1:0", tls, 8, host.clone()).await;

    let terminal = ca.identity(&["terminal-1"]);
    let good = connect(&srv, client_tls(&ca, "localhost", Some(&terminal)))
        .await
        .unwrap();
    assert_eq!(stan(&good.send(purchase(1)).await.unwrap()), 1);

    // No client certificate: under TLS 1.3 the client may finish its side first, so the
    // refusal shows either at connect or as the connection closing under the first request.
    let bare = async {
        let client = connect(&srv, client_tls(&ca, "localhost", None)).await?;
        client.send(purchase(2)).await
    };
    assert!(bare.await.is_err());
    // A certificate from another CA: refused the same way.
    let other = Ca::new("other CA");
    let foreign = other.identity(&["terminal-1"]);
    let foreign = async {
        let client = connect(&srv, client_tls(&ca, "localhost", Some(&foreign))).await?;
        client.send(purchase(3)).await
    };
    assert!(foreign.await.is_err());

    until("two refusals reported", || host.errors().len() >= 2).await;
    let errors = host.errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    for e in &errors {
        let LinkError::Handshake { peer, reason } = e else {
            panic!("not a handshake error: {e:?}");
        };
        let peer: SocketAddr = peer.parse().unwrap();
        assert!(peer.ip().is_loopback() && peer.port() != srv.local_addr().port());
        assert!(reason.to_lowercase().contains("certificate"), "{reason}");
    }
    assert!(
        errors[0]
            .to_string()
            .starts_with("TLS handshake with 127.0.0.1:")
    );
    assert_eq!(srv.metrics().snapshot().handshake_failures, 2);

    // The server keeps serving: the client connected before still works, and a new one with
    // the right certificate too.
    assert_eq!(stan(&good.send(purchase(4)).await.unwrap()), 4);
    let again = connect(&srv, client_tls(&ca, "localhost", Some(&terminal)))
        .await
        .unwrap();
    assert_eq!(stan(&again.send(purchase(5)).await.unwrap()), 5);
    assert_eq!(host.connected.load(Ordering::SeqCst), 2);
    assert_eq!(host.seen.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_wrong_server_name_is_refused_on_the_client_with_a_clear_error() {
    let ca = Ca::new("test CA");
    let (host, srv) = tls_host(&ca).await;
    let err = connect(&srv, client_tls(&ca, "host.example", None))
        .await
        .unwrap_err();
    let text = err.to_string();
    let LinkError::Handshake { peer, reason } = &err else {
        panic!("not a handshake error: {err:?}");
    };
    assert_eq!(peer, &srv.local_addr().to_string());
    assert!(reason.contains("not valid for name"), "{text}");
    assert!(reason.contains("host.example"), "{text}");
    // A server not signed by the trusted CA: refused as well, naming the issuer problem.
    let stranger = Ca::new("stranger CA");
    let err = connect(&srv, client_tls(&stranger, "localhost", None))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    assert_eq!(host.connected.load(Ordering::SeqCst), 0);
    assert_eq!(host.seen.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_silent_peer_is_dropped_after_the_handshake_timeout_and_blocks_no_one() {
    let ca = Ca::new("test CA");
    let host = Arc::new(Host::default());
    let tls = ServerTls::from_pem(&ca.identity(&["localhost"]), None)
        .unwrap()
        .with_handshake_timeout(Duration::from_millis(800));
    // Two slots: the silent peer takes one from the moment it is accepted.
    let srv = tls_server("127.0.0.1:0", tls, 2, host.clone()).await;
    let mut silent = tokio::net::TcpStream::connect(srv.local_addr())
        .await
        .unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let started = tokio::time::Instant::now();

    // Another client is served meanwhile.
    let a = connect(&srv, client_tls(&ca, "localhost", None))
        .await
        .unwrap();
    assert_eq!(stan(&a.send(purchase(1)).await.unwrap()), 1);
    // The silent peer and `a` fill the cap: a third is accepted and closed at once.
    if started.elapsed() < Duration::from_millis(600) {
        assert!(
            connect(&srv, client_tls(&ca, "localhost", None))
                .await
                .is_err()
        );
        assert_eq!(srv.metrics().snapshot().refused, 1);
    }

    // The silent peer is dropped once its handshake time is up.
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    assert!(started.elapsed() >= Duration::from_millis(800));
    until("the timeout reported", || !host.errors().is_empty()).await;
    let errors = host.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let LinkError::HandshakeTimeout { peer, millis } = &errors[0] else {
        panic!("not a handshake timeout: {errors:?}");
    };
    assert_eq!(peer, &silent_addr.to_string());
    assert_eq!(*millis, 800);
    assert_eq!(srv.metrics().snapshot().handshake_failures, 1);

    // Its slot is free again: a second client joins `a`, which still works.
    let b = connect(&srv, client_tls(&ca, "localhost", None))
        .await
        .unwrap();
    assert_eq!(stan(&b.send(purchase(2)).await.unwrap()), 2);
    assert_eq!(stan(&a.send(purchase(3)).await.unwrap()), 3);
    assert_eq!(srv.connections().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_silent_peer_is_dropped_after_the_default_ten_seconds_in_simulated_time() {
    let ca = Ca::new("test CA");
    let (host, srv) = tls_host(&ca).await;
    let mut silent = tokio::net::TcpStream::connect(srv.local_addr())
        .await
        .unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let started = tokio::time::Instant::now();
    let mut buf = [0u8; 16];
    let read = silent.read(&mut buf).await;
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(10) && waited < Duration::from_secs(11),
        "{waited:?}"
    );
    until("the timeout reported", || !host.errors().is_empty()).await;
    let errors = host.errors();
    let LinkError::HandshakeTimeout { peer, millis } = &errors[0] else {
        panic!("not a handshake timeout: {errors:?}");
    };
    assert_eq!(
        (peer.as_str(), *millis),
        (silent_addr.to_string().as_str(), 10_000)
    );
    assert!(srv.connections().is_empty());
}

#[tokio::test(start_paused = true)]
async fn shutdown_drops_peers_still_in_their_handshake_at_once() {
    let ca = Ca::new("test CA");
    let (host, srv) = tls_host(&ca).await;
    let mut silent = tokio::net::TcpStream::connect(srv.local_addr())
        .await
        .unwrap();
    // Simulated time moves only once the runtime is idle: the peer is accepted by then, and
    // its handshake (10 s to go) is under way.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = tokio::time::Instant::now();
    srv.shutdown(Duration::from_secs(5)).await;
    let mut buf = [0u8; 16];
    let read = silent.read(&mut buf).await;
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // Simulated time: a shutdown that waited for the handshake would show 5 s here.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Dropped by the shutdown, not failed: nothing reported.
    assert!(host.errors().is_empty(), "{:?}", host.errors());
    assert_eq!(srv.metrics().snapshot().handshake_failures, 0);
}

#[tokio::test]
async fn the_clients_handshake_counts_in_its_connect_timeout() {
    // A listener that accepts and never answers the ClientHello.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let held = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
    });
    let ca = Ca::new("test CA");
    let config =
        client_tls(&ca, "localhost", None).with_connect_timeout(Duration::from_millis(300));
    let started = tokio::time::Instant::now();
    let err = Client::connect(addr.clone(), config, Arc::new(Collect::default()))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    let LinkError::HandshakeTimeout { peer, millis } = &err else {
        panic!("not a handshake timeout: {err:?}");
    };
    assert_eq!((peer.as_str(), *millis), (addr.as_str(), 300));
    // A client started in the background reports the same to its handler and metrics.
    let handler = Arc::new(Collect::default());
    let config =
        client_tls(&ca, "localhost", None).with_connect_timeout(Duration::from_millis(300));
    let client = Client::start(addr.clone(), config, handler.clone());
    until("the client gave up", || {
        client.state() == iso8583_wire::link::LinkState::Closed
    })
    .await;
    assert_eq!(client.metrics().snapshot().handshake_failures, 1);
    let errors = handler.errors.lock().unwrap().clone();
    assert_eq!(
        errors,
        [format!(
            "TLS handshake with {addr} did not finish within 300 ms"
        )]
    );
    held.abort();
}

#[tokio::test]
async fn reconnecting_after_a_server_restart_redoes_the_handshake_and_resolves_each_request_once() {
    let ca = Ca::new("test CA");
    let server_identity = ca.identity(&["localhost"]);
    let tls = ServerTls::from_pem(&server_identity, None).unwrap();
    let first = Arc::new(Host::default());
    let srv = tls_server("127.0.0.1:0", tls.clone(), 8, first.clone()).await;
    let addr = srv.local_addr().to_string();
    let handler = Arc::new(Collect::default());
    let config = client_tls(&ca, "localhost", None).with_reconnect(Some(Backoff {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(100),
        ..Backoff::default()
    }));
    let client = Client::connect(addr.clone(), config, handler.clone())
        .await
        .unwrap();
    all_matched(&client, 0..50).await;

    srv.shutdown(Duration::from_secs(1)).await;
    until("the client saw the loss", || !client.is_ready()).await;
    let second = Arc::new(Host::default());
    let mut restarted = None;
    for _ in 0..100 {
        match Server::bind(
            addr.as_str(),
            ServerConfig::new(link()).with_tls(tls.clone()),
            second.clone(),
        )
        .await
        {
            Ok(s) => {
                restarted = Some(s);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    let restarted = restarted.expect("the port came free");
    until("reconnected", || client.is_ready()).await;
    all_matched(&client, 50..100).await;

    // One handshake on the new server, each request seen once by one server.
    assert_eq!(second.connected.load(Ordering::SeqCst), 1);
    assert_eq!(first.seen.load(Ordering::SeqCst), 50);
    assert_eq!(second.seen.load(Ordering::SeqCst), 50);
    assert_eq!(handler.sign_ons.load(Ordering::SeqCst), 2);
    let m = client.metrics().snapshot();
    assert_eq!(m.reconnects, 1);
    assert_eq!((m.timeouts, m.late, m.unmatched), (0, 0, 0));
    client.shutdown(Duration::from_secs(1)).await;
    restarted.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_pool_of_tls_clients_shares_the_requests() {
    let ca = Ca::new("test CA");
    let tls = ServerTls::from_pem(&ca.identity(&["localhost"]), None).unwrap();
    let (h1, h2) = (Arc::new(Host::default()), Arc::new(Host::default()));
    let s1 = tls_server("127.0.0.1:0", tls.clone(), 8, h1.clone()).await;
    let s2 = tls_server("127.0.0.1:0", tls, 8, h2.clone()).await;
    let c1 = connect(&s1, client_tls(&ca, "localhost", None))
        .await
        .unwrap();
    let c2 = connect(&s2, client_tls(&ca, "localhost", None))
        .await
        .unwrap();
    let pool = Pool::new(vec![c1, c2]);
    for s in 0..10 {
        assert_eq!(stan(&pool.send(purchase(s)).await.unwrap()), s);
    }
    assert_eq!(h1.seen.load(Ordering::SeqCst), 5);
    assert_eq!(h2.seen.load(Ordering::SeqCst), 5);
}

#[test]
fn keys_never_show_in_debug_output_nor_in_errors() {
    let ca = Ca::new("test CA");
    let pair = ca.leaf(&["localhost"]);
    let identity = TlsIdentity::from_pem(pair.cert.as_bytes(), pair.key.as_bytes()).unwrap();
    assert_eq!(identity.certificates().len(), 1);
    let server = ServerTls::from_pem(&identity, Some(ca.pem.as_bytes())).unwrap();
    let client = ClientTls::from_pem(ca.pem.as_bytes(), "localhost", Some(&identity)).unwrap();
    let rendered = [
        format!("{identity:?}"),
        format!("{server:?}"),
        format!("{client:?}"),
        format!("{:?}", ServerConfig::new(link()).with_tls(server.clone())),
        format!("{:?}", client_config().with_tls(client.clone())),
    ];
    // Every line of the key's base64 body, and the key's bytes in any Debug form.
    let body: Vec<&str> = pair
        .key
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(!body.is_empty());
    for text in &rendered {
        assert!(!text.contains("PRIVATE"), "{text}");
        for line in &body {
            assert!(!text.contains(&line[..16]), "{text}");
        }
        assert!(!text.contains(", 48, "), "looks like key bytes: {text}");
    }
    assert!(rendered[0].contains("<redacted>"));

    // A damaged key is refused without quoting it.
    let mut damaged = pair.key.clone();
    damaged.replace_range(40..44, "!!!!");
    let err = TlsIdentity::from_pem(pair.cert.as_bytes(), damaged.as_bytes()).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("TLS configuration: private key"), "{text}");
    for line in &body {
        assert!(!text.contains(&line[..16]), "{text}");
    }
    // A missing file is named.
    let err = TlsIdentity::from_pem_files("no/such/cert.pem", "no/such/key.pem").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("TLS configuration: no/such/key.pem: "),
        "{err}"
    );
    // PEM without a certificate, and an invalid server name.
    let err = TlsIdentity::from_pem(b"", pair.key.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "TLS configuration: certificate chain: no certificate in PEM"
    );
    let err = ClientTls::from_pem(ca.pem.as_bytes(), "not a name!", None).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("TLS configuration: server name"),
        "{err}"
    );
}
