//! Host ledger: decisions per second and memory over 1,000,000 transactions
//! with settlement every 10,000, and RRN lookups at 1,000 and 1,000,000
//! entries.
//!
//! ```text
//! cargo bench --bench ledger
//! # instructions per lookup, 1,000 vs 1,000,000 entries (100,000 lookups each):
//! valgrind --tool=callgrind --toggle-collect='*lookup_pass*' \
//!     target/release/deps/ledger-<hash> lookups 1000000 100000
//! ```
//!
//! Plain timing (no criterion): one pass is long enough on its own. Memory is
//! the live heap counted by a wrapping global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use iso8583_wire::flows::host::{HostConfig, HostLedger, HostRequest, HostTxnKind, TxnKey};
use iso8583_wire::flows::journal::Totals;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: same layout as asked.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: ptr came from System.alloc with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const T0: u64 = 1_700_000_000;
const TOTAL: u32 = 1_000_000;
const BATCH: u32 = 10_000;

fn key(batch: u32, stan: u32) -> TxnKey {
    TxnKey::new("TERM0001", "MERCHANT0000001", Some(batch), stan)
}

/// 1M requests: per 10 a purchase mix of 7 purchases, 1 void, 1 refund, 1
/// reversal; settled every 10,000; one second of traffic per 100 requests,
/// windows of 300 s (about three batches kept).
fn steady() {
    let config = HostConfig::cup().with_windows(300, 300, 300);
    let mut h = HostLedger::new(config);
    let start = Instant::now();
    let mut approved = 0u64;
    let mut peak_entries = 0;
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    for n in 0..TOTAL {
        let batch = n / BATCH;
        let stan = n % BATCH + 1;
        let now = T0 + u64::from(n / 100);
        let req = match n % 10 {
            7 => HostRequest::new(HostTxnKind::Void, key(batch, stan), 100)
                .with_original(key(batch, stan - 1)),
            8 => HostRequest::new(HostTxnKind::Refund, key(batch, stan), 40)
                .with_original(key(batch, stan - 2)),
            9 => HostRequest::new(HostTxnKind::Reversal, key(batch, stan - 3), 100),
            _ => HostRequest::new(HostTxnKind::Purchase, key(batch, stan), 100)
                .with_content(*b"0200 purchase content of about sixty bytes, as a resend shows"),
        };
        if h.on_request_at(req, now).is_approved() {
            approved += 1;
        }
        if stan == BATCH {
            h.settle_at("TERM0001", Some(batch), &Totals::default(), now);
            peak_entries = peak_entries.max(h.len());
        }
        peak_entries = peak_entries.max(h.len());
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "steady: {TOTAL} requests in {secs:.2} s = {:.0} decisions/s ({approved} approved); \
         entries kept at end {}, peak {peak_entries}; heap at end {:.1} MB, peak {:.1} MB",
        f64::from(TOTAL) / secs,
        h.len(),
        (LIVE.load(Ordering::Relaxed).saturating_sub(base)) as f64 / 1e6,
        (PEAK.load(Ordering::Relaxed).saturating_sub(base)) as f64 / 1e6,
    );
}

/// A ledger of `entries` approved purchases and their RRNs (kept inline, one
/// contiguous array, so reading the bench's own RRN costs no pointer chase).
fn ledger_of(entries: u32) -> (HostLedger, Vec<[u8; 12]>) {
    let mut h = HostLedger::new(HostConfig::cup());
    let mut rrns = Vec::with_capacity(entries as usize);
    for n in 0..entries {
        let req = HostRequest::new(
            HostTxnKind::Purchase,
            key(n / 100_000, n % 100_000 + 1),
            100,
        );
        if let Some(rrn) = h.on_request_at(req, T0).rrn {
            rrns.push(rrn.as_bytes().try_into().expect("a 12-digit RRN"));
        }
    }
    (h, rrns)
}

/// `count` lookups striding over the whole ledger, so cache luck is the same
/// at every size. Not inlined: callgrind counts exactly this function
/// (`--toggle-collect=*lookup_pass*`).
#[inline(never)]
fn lookup_pass(h: &HostLedger, rrns: &[[u8; 12]], count: usize) -> usize {
    let mut found = 0;
    for i in 0..count {
        let rrn = std::str::from_utf8(&rrns[(i * 7919) % rrns.len()]).unwrap_or("");
        if black_box(h.key_by_rrn(rrn, "TERM0001", "MERCHANT0000001")).is_some() {
            found += 1;
        }
    }
    found
}

fn lookups(entries: u32) {
    let (h, rrns) = ledger_of(entries);
    const LOOKUPS: usize = 1_000_000;
    let start = Instant::now();
    let found = lookup_pass(&h, &rrns, LOOKUPS);
    let ns = start.elapsed().as_nanos() as f64 / LOOKUPS as f64;
    println!("rrn lookup at {entries} entries: {ns:.0} ns per lookup ({found} found)");
}

fn main() {
    // `cargo bench` passes `--bench`. `lookups N COUNT` runs only COUNT
    // lookups over N entries (the callgrind driver, see the README).
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "lookups") {
        let n = |k: usize| args.get(i + k).and_then(|a| a.parse::<usize>().ok());
        let entries = n(1).map_or(1_000, |e| e as u32);
        let count = n(2).unwrap_or(100_000);
        let (h, rrns) = ledger_of(entries);
        let found = lookup_pass(&h, &rrns, count);
        println!("{count} lookups over {entries} entries, {found} found");
        return;
    }
    steady();
    lookups(1_000);
    lookups(1_000_000);
}
