//! `loadgen`: drives the link layer's client and server (feature `tokio`).
//!
//! ```text
//! cargo run --release --example loadgen --features tokio -- [--requests N] [--inflight K]
//!     [--connect ADDR[,ADDR...]] [--raw] [--faults] [--timeout-ms MS] [--threads T]
//!     [--hand-over N] [--echo-thread]
//!     [--duplicates PCT] [--tls | --tls-cert PEM --tls-key PEM] [--tls-ca PEM] [--tls-name NAME]
//!     [--tls-client-cert PEM --tls-client-key PEM]
//! ```
//!
//! By default a [`Server`] approving every purchase and a [`Client`] run in this process on
//! 127.0.0.1; `--connect` uses running hosts instead (a [`Pool`] over several). `--raw` sends
//! the same framed bytes through a plain tokio echo, with no decoding or matching, writes
//! batched: the ceiling for this machine (echo and client on one thread; `--echo-thread`
//! gives the echo a thread of its own, as the default run gives the server). `--faults` runs
//! a host that drops 1% of responses, delays 1% past the client's timeout, answers 0.5%
//! twice, sends a garbage frame every 1,000 messages and closes mid-frame every 5,000; the
//! client reconnects. The last line printed is
//!
//! ```text
//! requests N, matched M, timeouts T, errors E, lost L, duplicated D, X pairs/s, p50 A us, p99 B us
//! ```
//!
//! With `--duplicates PCT` and `--connect A,B[,...]`, PCT% of the requests are also sent, at
//! the same moment, to the next address (a terminal's resend reaching another host behind a
//! load balancer); the last line then ends with `, approved twice Z`, Z the requests both hosts
//! approved with different RRNs. Hosts sharing one ledger (`host --db` on one database) give
//! 0; hosts with a ledger each approve every duplicate twice.
//!
//! Over TLS (feature `tls`): `--tls` gives the in-process server a certificate made at start
//! (in memory) that the client trusts; `--tls-cert`/`--tls-key` give it one from PEM files,
//! and `--tls-ca` is the CA the client trusts (with `--connect`, for hosts such as
//! `examples/host.rs --tls-cert ... --tls-key ...`), checked against `--tls-name`
//! (`localhost` by default); `--tls-client-cert`/`--tls-client-key` present a client
//! certificate (mutual TLS, `host --tls-client-ca`). The last line is the same.

use std::collections::VecDeque;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use clap::Parser;
use iso8583_wire::Spec;
use iso8583_wire::framing::{FrameConfig, LengthHeader};
use iso8583_wire::link::faults::{Faults, FaultyHost, approve};
use iso8583_wire::link::load::{LoadPlan, LoadReport, Purchases, run_load};
use iso8583_wire::link::{
    Backoff, Client, ClientConfig, Connection, Handler, LinkConfig, Pool, Reply, Server,
    ServerConfig, WhenFull,
};
use iso8583_wire::message::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

#[cfg(feature = "tls")]
mod common {
    pub mod tls;
}

type AnyError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser, Debug)]
#[command(name = "loadgen", about = "Load generator for the ISO 8583 link layer")]
struct Args {
    /// Number of 0200 purchases.
    #[arg(long, default_value_t = 200_000)]
    requests: u64,
    /// Requests outstanding at once.
    #[arg(long, default_value_t = 64)]
    inflight: usize,
    /// Running hosts to use (comma-separated host:port) instead of an in-process server.
    #[arg(long, value_delimiter = ',')]
    connect: Vec<String>,
    /// The ceiling: framed bytes through a plain tokio echo, no decoding or matching.
    #[arg(long)]
    raw: bool,
    /// With --raw: the echo gets a single-threaded runtime on a thread of its own, as the
    /// in-process server has by default (the link's layout), instead of sharing the client's
    /// thread.
    #[arg(long, requires = "raw")]
    echo_thread: bool,
    /// Run the misbehaving host.
    #[arg(long)]
    faults: bool,
    /// Request timeout in milliseconds (faulty delays are this plus 100 ms).
    #[arg(long, default_value_t = 250)]
    timeout_ms: u64,
    /// Runtime threads: 0, the in-process server and the client each get a single-threaded
    /// runtime on a thread of their own; 1, both share one single-threaded runtime; more, one
    /// multi-threaded runtime with that many workers.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Messages of one read after which the reader lets the writer send the answers so far
    /// (`LinkConfig::hand_over_every`); default 16, or the in-flight count with --threads 1
    /// and the in-process server, where both ends share a thread and nothing runs in
    /// parallel.
    #[arg(long, value_name = "N")]
    hand_over: Option<u32>,
    /// Also send PCT% of the requests, at the same time, to the next --connect address.
    #[arg(long, value_name = "PCT", default_value_t = 0)]
    duplicates: u8,
    /// TLS with a certificate made at start for the in-process server (feature `tls`).
    #[cfg(feature = "tls")]
    #[arg(long)]
    tls: bool,
    #[cfg(feature = "tls")]
    #[command(flatten)]
    server_tls: common::tls::ServerTlsArgs,
    /// CA certificates the client trusts, PEM (feature `tls`): the client connects over TLS.
    #[cfg(feature = "tls")]
    #[arg(long, value_name = "PEM")]
    tls_ca: Option<std::path::PathBuf>,
    /// The client's certificate chain for mutual TLS, PEM (feature `tls`; with --tls-ca and
    /// --tls-client-key).
    #[cfg(feature = "tls")]
    #[arg(long, value_name = "PEM", requires_all = ["tls_ca", "tls_client_key"])]
    tls_client_cert: Option<std::path::PathBuf>,
    /// The private key of --tls-client-cert, PEM (feature `tls`).
    #[cfg(feature = "tls")]
    #[arg(long, value_name = "PEM", requires = "tls_client_cert")]
    tls_client_key: Option<std::path::PathBuf>,
    /// The name the server's certificate must carry (feature `tls`).
    #[cfg(feature = "tls")]
    #[arg(long, value_name = "NAME", default_value = "localhost")]
    tls_name: String,
}

/// Approves every request.
struct Approve;

impl Handler for Approve {
    fn request(&self, request: Message, _conn: &Connection) -> Reply {
        approve(&request).map_or(Reply::None, Reply::Now)
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let rt = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    };
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(&args)) {
        Ok((report, twice)) => {
            match twice {
                Some(z) => println!("{}, approved twice {z}", report.line()),
                None => println!("{}", report.line()),
            }
            if args.faults && !report.exactly_once() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn framing() -> FrameConfig {
    FrameConfig::new(LengthHeader::Len2Be)
}

async fn run(args: &Args) -> Result<(LoadReport, Option<u64>), AnyError> {
    let spec = Spec::builtin("iso87-ascii-bin")?;
    let purchases = Purchases::new(&spec)?;
    if args.duplicates > 0 && args.connect.len() < 2 {
        return Err("--duplicates needs two or more --connect addresses".into());
    }
    if args.duplicates > 100 {
        return Err("--duplicates is a percentage (0..=100)".into());
    }
    if args.raw {
        return Ok((raw(args, &purchases).await?, None));
    }
    let timeout = Duration::from_millis(args.timeout_ms);
    // Both ends share a thread only with --threads 1 and the in-process server.
    let hand_over = args
        .hand_over
        .unwrap_or(if args.threads == 1 && args.connect.is_empty() {
            u32::try_from(args.inflight).unwrap_or(u32::MAX)
        } else {
            16
        });
    let link = LinkConfig::new(spec.clone(), framing())
        .with_request_timeout(timeout)
        .with_hand_over_every(hand_over);
    let mut config = ClientConfig::new(link.clone())
        .with_max_in_flight(args.inflight.max(1), WhenFull::Wait)
        .with_reconnect(Some(Backoff {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(200),
            ..Backoff::default()
        }));
    config.wait_for_link = Duration::from_secs(2);
    // The host gets a spec of its own, as a host in another process has: one shared `Spec`
    // would make both threads count references on one cache line for every message.
    let mut server_link = link.clone();
    server_link.spec = Spec::from_toml_str(&spec.to_toml()?, spec.name())?;
    #[allow(unused_mut)]
    let mut server_config = ServerConfig::new(server_link);
    #[cfg(feature = "tls")]
    {
        let (server_tls, client_tls) = tls::setup(args)?;
        if let Some(t) = server_tls {
            server_config = server_config.with_tls(t);
        }
        if let Some(t) = client_tls {
            config = config.with_tls(t);
        }
    }
    let plan = LoadPlan {
        requests: args.requests,
        inflight: args.inflight,
        lost_after: timeout + config.wait_for_link + Duration::from_secs(5),
    };
    let mut server = None;
    let addrs = if args.connect.is_empty() {
        let handler: Arc<dyn Handler> = if args.faults {
            FaultyHost::new(Faults::mixed(timeout + Duration::from_millis(100)))
        } else {
            Arc::new(Approve)
        };
        let (s, addr) = if args.threads == 0 {
            host_thread(server_config, handler)?
        } else {
            let s = Server::bind("127.0.0.1:0", server_config, handler).await?;
            let addr = s.local_addr().to_string();
            (Some(s), addr)
        };
        server = s;
        vec![addr]
    } else {
        args.connect.clone()
    };
    let handler: Arc<dyn Handler> = Arc::new(iso8583_wire::link::NoHandler);
    let mut twice = None;
    let report = if args.duplicates > 0 {
        let mut clients = Vec::new();
        for a in &addrs {
            clients.push(Client::connect(a.clone(), config.clone(), Arc::clone(&handler)).await?);
        }
        let (report, z) = duplicated(&plan, purchases, &clients, args.duplicates).await;
        for c in &clients {
            c.shutdown(Duration::from_secs(1)).await;
        }
        twice = Some(z);
        report
    } else if let [addr] = addrs.as_slice() {
        let client = Client::connect(addr.clone(), config, handler).await?;
        let c = client.clone();
        let report = run_load(&plan, purchases, move |m| {
            let c = c.clone();
            async move { c.send(m).await }
        })
        .await;
        eprintln!("client metrics: {}", summary(&client.metrics().snapshot()));
        client.shutdown(Duration::from_secs(1)).await;
        report
    } else {
        let mut clients = Vec::new();
        for a in &addrs {
            clients.push(Client::connect(a.clone(), config.clone(), Arc::clone(&handler)).await?);
        }
        let pool = Arc::new(Pool::new(clients));
        let p = Arc::clone(&pool);
        let report = run_load(&plan, purchases, move |m| {
            let p = Arc::clone(&p);
            async move { p.send(m).await }
        })
        .await;
        pool.shutdown(Duration::from_secs(1)).await;
        report
    };
    if let Some(s) = server {
        s.shutdown(Duration::from_millis(200)).await;
    }
    Ok((report, twice))
}

/// Runs the plan over `clients` in turn; request `i` with `i % 100 < pct` is also sent, at the
/// same moment, to the next client. Returns the report (of the first sends) and how many of
/// the doubled requests both hosts approved with different RRNs.
async fn duplicated(
    plan: &LoadPlan,
    purchases: Purchases,
    clients: &[Client],
    pct: u8,
) -> (LoadReport, u64) {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    let clients: Arc<Vec<Client>> = Arc::new(clients.to_vec());
    let twice = Arc::new(AtomicU64::new(0));
    let turn = Arc::new(AtomicUsize::new(0));
    let (c, t) = (Arc::clone(&clients), Arc::clone(&twice));
    let report = run_load(plan, purchases, move |m| {
        let (c, t) = (Arc::clone(&c), Arc::clone(&t));
        let k = turn.fetch_add(1, Ordering::Relaxed);
        async move {
            let first = &c[k % c.len()];
            let doubled = Purchases::index_of(&m).is_some_and(|i| i % 100 < u64::from(pct));
            if !doubled {
                return first.send(m).await;
            }
            let other = &c[(k + 1) % c.len()];
            let (a, b) = tokio::join!(first.send(m.clone()), other.send(m));
            let approved_rrn = |r: &Result<Message, _>| {
                r.as_ref()
                    .ok()
                    .filter(|m| m.field(39).is_some_and(|f| f.clear_string() == "00"))
                    .and_then(|m| m.field(37).map(|f| f.clear_string()))
            };
            if let (Some(x), Some(y)) = (approved_rrn(&a), approved_rrn(&b))
                && x != y
            {
                t.fetch_add(1, Ordering::Relaxed);
            }
            a
        }
    })
    .await;
    (report, twice.load(Ordering::Relaxed))
}

/// Runs the server on a single-threaded runtime of its own thread; returns its address.
fn host_thread(
    config: ServerConfig,
    handler: Arc<dyn Handler>,
) -> Result<(Option<Server>, String), AnyError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?.to_string();
    on_own_thread(listener, "host", move |l| async move {
        match Server::serve(l, config, handler) {
            Ok(_server) => std::future::pending::<()>().await,
            Err(e) => eprintln!("loadgen: host: {e}"),
        }
    });
    Ok((None, addr))
}

/// Runs `serve` on `listener` (non-blocking) in a single-threaded runtime on a thread of its
/// own, as a peer in another process would run; `what` names it in errors.
fn on_own_thread<F, Fut>(listener: std::net::TcpListener, what: &'static str, serve: F)
where
    F: FnOnce(TcpListener) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => return eprintln!("loadgen: {what} runtime: {e}"),
        };
        rt.block_on(async move {
            match TcpListener::from_std(listener) {
                Ok(l) => serve(l).await,
                Err(e) => eprintln!("loadgen: {what}: {e}"),
            }
        });
    });
}

fn summary(m: &iso8583_wire::link::MetricsSnapshot) -> String {
    format!(
        "reconnects {}, timeouts {}, late {}, unmatched {}, undecodable {}, in flight {}",
        m.reconnects, m.timeouts, m.late, m.unmatched, m.undecodable, m.in_flight
    )
}

/// The raw echo: accepts one connection and writes back whatever it reads, in one call per
/// read.
async fn echo(listener: TcpListener) {
    if let Ok((mut s, _)) = listener.accept().await {
        let _ = s.set_nodelay(true);
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if s.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
}

/// The ceiling: a plain echo server and a client keeping `inflight` frames outstanding on one
/// connection, writing every batch of new frames in one call. The echo shares the client's
/// runtime, or with `--echo-thread` runs on a thread of its own.
async fn raw(args: &Args, purchases: &Purchases) -> Result<LoadReport, AnyError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    if args.echo_thread {
        on_own_thread(listener.into_std()?, "echo", echo);
    } else {
        tokio::spawn(echo(listener));
    }
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let framing = framing();
    let n = args.requests;
    let mut sent = 0u64;
    let mut done = 0u64;
    let mut times: VecDeque<Instant> = VecDeque::with_capacity(args.inflight);
    let mut lat = Vec::with_capacity(n as usize);
    let mut out = BytesMut::with_capacity(64 * 1024);
    let mut rx = BytesMut::with_capacity(256 * 1024);
    let frame = |i: u64, out: &mut BytesMut| -> Result<(), AnyError> {
        let m = purchases.bytes(i).ok_or("cannot build a request")?;
        framing.encode(&m, out)?;
        Ok(())
    };
    let started = Instant::now();
    while sent < n && times.len() < args.inflight {
        frame(sent, &mut out)?;
        times.push_back(Instant::now());
        sent += 1;
    }
    stream.write_all(&out).await?;
    out.clear();
    while done < n {
        if stream.read_buf(&mut rx).await? == 0 {
            return Err("echo closed".into());
        }
        // One clock reading per read stamps every frame in it, as the link's reader does.
        let arrived = Instant::now();
        while rx.len() >= 2 {
            let len = usize::from(u16::from_be_bytes([rx[0], rx[1]]));
            if rx.len() < 2 + len {
                break;
            }
            let _ = rx.split_to(2 + len);
            if let Some(t0) = times.pop_front() {
                let us = arrived.saturating_duration_since(t0).as_micros();
                lat.push(u32::try_from(us).unwrap_or(u32::MAX));
            }
            done += 1;
            if sent < n {
                frame(sent, &mut out)?;
                times.push_back(Instant::now());
                sent += 1;
            }
        }
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        if rx.capacity() - rx.len() < 16 * 1024 {
            rx.reserve(256 * 1024);
        }
    }
    let elapsed = started.elapsed();
    lat.sort_unstable();
    Ok(LoadReport {
        requests: n,
        matched: done,
        elapsed,
        latencies_us: lat,
        ..LoadReport::default()
    })
}

/// TLS from the command line (feature `tls`).
#[cfg(feature = "tls")]
mod tls {
    use iso8583_wire::link::{ClientTls, ServerTls, TlsIdentity};
    use zeroize::Zeroizing;

    use super::{AnyError, Args};

    /// The in-process server's TLS and the client's, as the options ask.
    pub fn setup(args: &Args) -> Result<(Option<ServerTls>, Option<ClientTls>), AnyError> {
        if args.tls {
            // A CA and a server certificate for `--tls-name`, in memory only.
            let ca_key = rcgen::KeyPair::generate()?;
            let mut ca = rcgen::CertificateParams::new(Vec::<String>::new())?;
            ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            let ca_cert = ca.self_signed(&ca_key)?;
            let issuer = rcgen::Issuer::new(ca, ca_key);
            let key = rcgen::KeyPair::generate()?;
            let cert = rcgen::CertificateParams::new(vec![args.tls_name.clone()])?
                .signed_by(&key, &issuer)?;
            let key_pem = Zeroizing::new(key.serialize_pem());
            let identity = TlsIdentity::from_pem(cert.pem().as_bytes(), key_pem.as_bytes())?;
            let server = ServerTls::from_pem(&identity, None)?;
            let client = ClientTls::from_pem(ca_cert.pem().as_bytes(), &args.tls_name, None)?;
            return Ok((Some(server), Some(client)));
        }
        let server = args.server_tls.server_tls(None)?;
        let client = match &args.tls_ca {
            Some(ca) => {
                let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
                let identity = match (&args.tls_client_cert, &args.tls_client_key) {
                    (Some(cert), Some(key)) => Some(TlsIdentity::from_pem_files(cert, key)?),
                    _ => None,
                };
                Some(ClientTls::from_pem(
                    &pem,
                    &args.tls_name,
                    identity.as_ref(),
                )?)
            }
            None => None,
        };
        Ok((server, client))
    }
}
