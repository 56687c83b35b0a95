//! Host ledger approvals per second through decode + ledger + encode, with
//! the in-memory store and with PostgreSQL, at 1, 4 and 16 concurrent
//! terminals.
//!
//! ```text
//! cargo bench --bench ledger_pg                       # in-memory only
//! DATABASE_URL=postgres://... cargo bench --features postgres --bench ledger_pg
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

/// The host's work for one request: decode, decide, encode the answer.
async fn answer(spec: &Spec, profile: &FlowProfile, ledger: &SharedLedger, frame: &[u8]) -> bool {
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
    let out = rsp.encode_to_vec().expect("encode");
    std::hint::black_box(out);
    d.is_approved()
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
                if answer(&spec, &profile, &ledger, f).await {
                    approved += 1;
                }
            }
            approved
        }));
    }
    let mut approved = 0;
    for t in tasks {
        approved += t.await.expect("terminal");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: {terminals:>2} terminals: {approved} approvals in {secs:.2} s = {:.0} approvals/s",
        approved as f64 / secs
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        for terminals in [1, 4, 16] {
            let ledger = SharedLedger::memory(HostConfig::generic());
            run("memory", ledger, terminals, 48_000 / terminals as u32).await;
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
        let store = PgStore::connect(options, config.profile)
            .await
            .expect("connect");
        let ledger = SharedLedger::with_store(config, Arc::new(store));
        run("postgres", ledger, terminals, 4_800 / terminals as u32).await;
    }
}

#[cfg(not(feature = "postgres"))]
async fn postgres() {
    let _ = Duration::ZERO;
    println!("postgres: skipped (build with --features postgres)");
}
