//! Host ledger approvals per second, with the in-memory store and with
//! PostgreSQL, at 1, 4 and 16 concurrent terminals, in two legs:
//! - `direct`: decode + ledger + encode, called in process;
//! - `tcp` (feature `tokio`): the same host work behind the link's `Server` on
//!   127.0.0.1, each terminal a link `Client` on its own connection (framing,
//!   TCP, decode, matching on both sides).
//!
//! ```text
//! cargo bench --features tokio --bench ledger_pg      # in-memory only
//! DATABASE_URL=postgres://... cargo bench --features tokio,postgres --bench ledger_pg
//! ```
//!
//! Each terminal is a task sending its own purchases (0200, `iso87-ascii-bin`,
//! generic profile) one after the other, waiting for each answer; the host
//! side decodes the request, asks a [`SharedLedger`] and encodes the 0210
//! with DE 37/38. Requests are built before timing. The PostgreSQL run uses
//! a fresh schema and a pool of 16 connections. Plain timing, no criterion:
//! one pass is long enough on its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use iso8583_wire::flows::host::{HostConfig, HostRequest, HostTxnKind, SharedLedger, TxnKey};
use iso8583_wire::flows::journal::Stan;
use iso8583_wire::flows::{Card, FlowContext, FlowProfile, LocalTime, response_to};
use iso8583_wire::{MessageView, Spec};

const NOW: LocalTime = LocalTime {
    month: 11,
    day: 22,
    hour: 9,
    minute: 30,
    second: 0,
};

fn requests(spec: &Spec, terminal: usize, count: u32) -> Vec<Vec<u8>> {
    let ctx = FlowContext {
        spec: spec.clone(),
        profile: FlowProfile::generic_1987(),
        terminal_id: format!("TERM{terminal:04}"),
        merchant_id: "MERCHANT0000001".into(),
        acquirer_id: None,
        header: None,
    };
    let card = Card::keyed("4761739001010119", "2912");
    (1..=count)
        .map(|n| {
            let stan = Stan::new(n).expect("stan");
            ctx.purchase(stan, 1, &card, 1_000, &NOW)
                .expect("purchase")
                .encode_to_vec()
                .expect("encode")
        })
        .collect()
}

/// The host's work for one request: decode, decide, encode the answer; the
/// answer's bytes and whether it approved.
async fn answer(
    spec: &Spec,
    profile: &FlowProfile,
    ledger: &SharedLedger,
    frame: &[u8],
) -> (Vec<u8>, bool) {
    let view = MessageView::decode(spec, frame).expect("decode");
    let text = |n: u16| view.field(n).map(|f| f.clear_string()).unwrap_or_default();
    let stan = view.field(11).and_then(|f| f.to_u64()).unwrap_or(0) as u32;
    let amount = view.field(4).and_then(|f| f.to_u64()).unwrap_or(0);
    let key = TxnKey::new(text(41), text(42), None, stan);
    let req = HostRequest::new(HostTxnKind::Purchase, key, amount)
        .with_transmitted(text(7))
        .with_content(frame.to_vec());
    let d = ledger.on_request(&req).await;
    let mut rsp = response_to(&view, profile, &d.response_code).expect("response");
    if let (Some(rrn), Some(auth)) = (d.rrn.clone(), d.auth_code.clone()) {
        rsp.set(37, rrn).expect("37");
        rsp.set(38, auth).expect("38");
    }
    (rsp.encode_to_vec().expect("encode"), d.is_approved())
}

async fn run(label: &str, ledger: SharedLedger, terminals: usize, per_terminal: u32) {
    let spec = Spec::builtin("iso87-ascii-bin").expect("spec");
    let all: Vec<Vec<Vec<u8>>> = (0..terminals)
        .map(|t| requests(&spec, t, per_terminal))
        .collect();
    let profile = Arc::new(FlowProfile::generic_1987());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for frames in all {
        let (spec, profile, ledger) = (spec.clone(), Arc::clone(&profile), ledger.clone());
        tasks.push(tokio::spawn(async move {
            let mut approved = 0u64;
            for f in &frames {
                let (out, ok) = answer(&spec, &profile, &ledger, f).await;
                std::hint::black_box(out);
                approved += u64::from(ok);
            }
            approved
        }));
    }
    let mut approved = 0;
    for t in tasks {
        approved += t.await.expect("terminal");
    }
    report(label, "direct", terminals, approved, start);
}

fn report(label: &str, leg: &str, terminals: usize, approved: u64, start: Instant) {
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label} {leg}: {terminals:>2} terminals: {approved} approvals in {secs:.2} s = {:.0} approvals/s",
        approved as f64 / secs
    );
}

/// The TCP leg: the host's work behind a link `Server`, each terminal a
/// `Client` on its own connection sending one purchase at a time.
#[cfg(feature = "tokio")]
mod tcp {
    use super::*;
    use bytes::Bytes;
    use iso8583_wire::framing::{FrameConfig, LengthHeader};
    use iso8583_wire::link::{
        Client, ClientConfig, Connection, Handler, LinkConfig, Reply, Server, ServerConfig,
    };
    use iso8583_wire::message::Message;

    struct LedgerHost {
        spec: Spec,
        profile: Arc<FlowProfile>,
        ledger: SharedLedger,
    }

    impl Handler for LedgerHost {
        fn request(&self, request: Message, _conn: &Connection) -> Reply {
            let (spec, profile, ledger) = (
                self.spec.clone(),
                Arc::clone(&self.profile),
                self.ledger.clone(),
            );
            Reply::Later(Box::pin(async move {
                let (out, _) = answer(&spec, &profile, &ledger, request.bytes()).await;
                Message::decode(&spec, Bytes::from(out)).ok()
            }))
        }
    }

    pub async fn run(label: &str, ledger: SharedLedger, terminals: usize, per_terminal: u32) {
        let spec = Spec::builtin("iso87-ascii-bin").expect("spec");
        let link = LinkConfig::new(spec.clone(), FrameConfig::new(LengthHeader::Len2Be))
            .with_request_timeout(Duration::from_secs(30));
        let host = Arc::new(LedgerHost {
            spec: spec.clone(),
            profile: Arc::new(FlowProfile::generic_1987()),
            ledger,
        });
        let server = Server::bind("127.0.0.1:0", ServerConfig::new(link.clone()), host)
            .await
            .expect("bind");
        let addr = server.local_addr().to_string();
        let mut all = Vec::new();
        for t in 0..terminals {
            let frames = requests(&spec, t, per_terminal);
            let client = Client::connect(
                addr.clone(),
                ClientConfig::new(link.clone()),
                Arc::new(iso8583_wire::link::NoHandler),
            )
            .await
            .expect("connect");
            let msgs: Vec<Message> = frames
                .into_iter()
                .map(|f| Message::decode(&spec, Bytes::from(f)).expect("request"))
                .collect();
            all.push((client, msgs));
        }
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (client, msgs) in all {
            tasks.push(tokio::spawn(async move {
                let mut approved = 0u64;
                for m in msgs {
                    let rsp = client.send(m).await.expect("answer");
                    let code = rsp.field(39).map(|f| f.clear_string());
                    approved += u64::from(code.as_deref() == Some("00"));
                }
                client.shutdown(Duration::from_secs(1)).await;
                approved
            }));
        }
        let mut approved = 0;
        for t in tasks {
            approved += t.await.expect("terminal");
        }
        report(label, "tcp", terminals, approved, start);
        server.shutdown(Duration::from_secs(1)).await;
    }
}

#[cfg(not(feature = "tokio"))]
mod tcp {
    use super::*;
    pub async fn run(label: &str, _: SharedLedger, _: usize, _: u32) {
        println!("{label} tcp: skipped (build with --features tokio)");
    }
}

fn main() {
    // `LEDGER_PG_RUNTIME=current` runs everything on one thread (no cross-thread wake-ups);
    // the default is a two-thread runtime, as a host on this machine would use.
    let rt = if std::env::var("LEDGER_PG_RUNTIME").as_deref() == Ok("current") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    }
    .expect("runtime");
    rt.block_on(async {
        for terminals in [1, 4, 16] {
            let ledger = SharedLedger::memory(HostConfig::generic());
            run("memory", ledger, terminals, 48_000 / terminals as u32).await;
            let ledger = SharedLedger::memory(HostConfig::generic());
            tcp::run("memory", ledger, terminals, 48_000 / terminals as u32).await;
        }
        postgres().await;
    });
}

#[cfg(feature = "postgres")]
async fn postgres() {
    use iso8583_wire::flows::host::store::{PgOptions, PgStore};
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("postgres: skipped (DATABASE_URL is not set)");
        return;
    };
    for terminals in [1, 4, 16] {
        let schema = format!("bench_{}_{terminals}", std::process::id());
        let options = PgOptions::new(url.as_str())
            .with_schema(schema)
            .with_pool_size(16)
            .with_timeout(Duration::from_secs(10));
        let config = HostConfig::generic();
        let store = PgStore::connect(options.clone(), config.profile)
            .await
            .expect("connect");
        let ledger = SharedLedger::with_store(config, Arc::new(store));
        run("postgres", ledger, terminals, 4_800 / terminals as u32).await;
        // The TCP leg on a fresh schema, so its purchases are new ones too.
        let options = options.with_schema(format!("bench_tcp_{}_{terminals}", std::process::id()));
        let config = HostConfig::generic();
        let store = PgStore::connect(options, config.profile)
            .await
            .expect("connect");
        let ledger = SharedLedger::with_store(config, Arc::new(store));
        tcp::run("postgres", ledger, terminals, 4_800 / terminals as u32).await;
    }
}

#[cfg(not(feature = "postgres"))]
async fn postgres() {
    let _ = Duration::ZERO;
    println!("postgres: skipped (build with --features postgres)");
}
