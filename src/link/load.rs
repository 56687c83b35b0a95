//! [`run_load`]: sends numbered 0200 purchases with a fixed number outstanding and accounts
//! for every one of them (matched, timed out, failed, lost, resolved twice), with latency
//! percentiles. `examples/loadgen` and the fault tests run on it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::time::Instant;

use crate::link::error::LinkError;
use crate::message::{Message, MessageBuilder};
use crate::spec::Spec;

/// What to send.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Number of requests.
    pub requests: u64,
    /// Requests outstanding at once (one task each).
    pub inflight: usize,
    /// A request not resolved by the link within this bound counts as lost.
    pub lost_after: Duration,
}

/// What happened to every request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Requests sent.
    pub requests: u64,
    /// Answered by their own response.
    pub matched: u64,
    /// Ended with [`LinkError::Timeout`].
    pub timeouts: u64,
    /// Ended with any other error, or with the response of another request.
    pub errors: u64,
    /// Not resolved within [`LoadPlan::lost_after`].
    pub lost: u64,
    /// Resolved a second time.
    pub duplicated: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Latencies of matched requests in microseconds, sorted.
    pub latencies_us: Vec<u32>,
}

impl LoadReport {
    /// The `q`-quantile (0.0-1.0) of matched latencies, in microseconds.
    pub fn percentile(&self, q: f64) -> u32 {
        if self.latencies_us.is_empty() {
            return 0;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
        self.latencies_us.get(i).copied().unwrap_or(0)
    }

    /// Matched pairs per second.
    pub fn pairs_per_second(&self) -> u64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            (self.matched as f64 / s) as u64
        } else {
            0
        }
    }

    /// The one-line summary `examples/loadgen` ends with.
    pub fn line(&self) -> String {
        format!(
            "requests {}, matched {}, timeouts {}, errors {}, lost {}, duplicated {}, {} pairs/s, p50 {} us, p99 {} us",
            self.requests,
            self.matched,
            self.timeouts,
            self.errors,
            self.lost,
            self.duplicated,
            self.pairs_per_second(),
            self.percentile(0.5),
            self.percentile(0.99)
        )
    }

    /// Whether every request resolved exactly once.
    pub fn exactly_once(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.matched + self.timeouts + self.errors == self.requests
    }
}

/// Purchases numbered 0.. : request `i` carries STAN `i % 1,000,000` and terminal
/// `LG` + `i / 1,000,000` (so keys stay unique), built by patching a template.
#[derive(Debug, Clone)]
pub struct Purchases {
    /// The template, decoded: request `i` is it with DE 11 and DE 41 patched in place (fixed
    /// lengths, so the field table stays the same and no request is decoded again), both
    /// written by `numbered`.
    decoded: Message,
    stan_at: usize,
    tid_at: usize,
}

impl Purchases {
    /// The template in `spec` (DE 11 and DE 41 must be plain ASCII digits/characters).
    pub fn new(spec: &Spec) -> Result<Purchases, LinkError> {
        let enc = |e: crate::error::EncodeError| LinkError::Encode(e.to_string());
        let mut b = MessageBuilder::new(spec);
        b.mti("0200").map_err(enc)?;
        b.set(3, "000000").map_err(enc)?;
        b.set(4, "000000001000").map_err(enc)?;
        let (stan, tid) = numbered(0);
        b.set_copied(11, core::str::from_utf8(&stan).unwrap_or_default())
            .map_err(enc)?;
        b.set_copied(41, core::str::from_utf8(&tid).unwrap_or_default())
            .map_err(enc)?;
        b.set(42, "MERCHANT0000001").map_err(enc)?;
        b.set(49, "840").map_err(enc)?;
        let bytes = Bytes::from(b.encode_to_vec().map_err(enc)?);
        let msg = Message::decode(spec, bytes).map_err(|e| LinkError::Encode(e.to_string()))?;
        let at = |n: u16, len: usize| {
            msg.field(n)
                .filter(|f| f.raw().len() == len && f.as_str().is_some())
                .map(|f| f.offset())
                .ok_or_else(|| {
                    LinkError::Encode(format!("DE {n} of {} is not plain ASCII", spec.name()))
                })
        };
        let (stan_at, tid_at) = (at(11, 6)?, at(41, 8)?);
        Ok(Purchases {
            decoded: msg,
            stan_at,
            tid_at,
        })
    }

    /// Request `i`.
    pub fn get(&self, i: u64) -> Option<Message> {
        Some(self.decoded.with_patched_bytes(self.bytes(i)?))
    }

    /// Request `i`'s bytes (not decoded).
    pub fn bytes(&self, i: u64) -> Option<Bytes> {
        let mut b = BytesMut::from(&self.decoded.bytes()[..]);
        let (stan, tid) = numbered(i);
        b.get_mut(self.stan_at..self.stan_at + 6)?
            .copy_from_slice(&stan);
        b.get_mut(self.tid_at..self.tid_at + 8)?
            .copy_from_slice(&tid);
        Some(b.freeze())
    }

    /// Whether `msg` carries request `i`'s DE 11 and DE 41 (as text, so on every encoding):
    /// the generator's check that an answer is its request's, cheaper than
    /// [`index_of`](Self::index_of) (no parsing).
    pub fn carries(msg: &Message, i: u64) -> bool {
        if i / 1_000_000 >= 1_000_000 {
            return false;
        }
        let (stan, tid) = numbered(i);
        // `Field::text_eq` compares the same way, but wants a `&str`: checking the digits'
        // UTF-8 on every answer took this check from about 500 to 750 instructions a pair.
        // ASCII wire bytes are their own text; other encodings are read character by character.
        let holds = |n: u16, want: &[u8]| {
            msg.field(n).is_some_and(|f| {
                if f.spec().encoding() == crate::spec::Encoding::Ascii {
                    f.raw() == want
                } else {
                    f.len() == want.len() && f.chars().eq(want.iter().copied())
                }
            })
        };
        holds(11, &stan) && holds(41, &tid)
    }

    /// The number `i` of a request or response built from this template.
    pub fn index_of(msg: &Message) -> Option<u64> {
        let stan = msg.field(11)?.to_u64()?;
        let tid = msg.field(41)?;
        let hi: u64 = match tid.as_str() {
            Some(t) => t.get(2..)?.parse().ok()?,
            None => tid.to_small()?.as_str().get(2..)?.parse().ok()?,
        };
        hi.checked_mul(1_000_000)?.checked_add(stan)
    }
}

/// Request `i`'s DE 11 and DE 41 as text: STAN `i % 1,000,000` and terminal `LG` followed
/// by `i / 1,000,000` in six digits (its low six digits past 999,999).
fn numbered(i: u64) -> ([u8; 6], [u8; 8]) {
    let mut stan = [0u8; 6];
    write_digits(&mut stan, i % 1_000_000);
    let mut tid = *b"LG000000";
    if let Some(digits) = tid.get_mut(2..) {
        write_digits(digits, i / 1_000_000);
    }
    (stan, tid)
}

fn write_digits(out: &mut [u8], mut v: u64) {
    for d in out.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Sends `plan.requests` purchases through `send`, `plan.inflight` at a time, and accounts
/// for each.
pub async fn run_load<F, Fut>(plan: &LoadPlan, purchases: Purchases, send: F) -> LoadReport
where
    F: Fn(Message) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Message, LinkError>> + Send + 'static,
{
    #[derive(Default)]
    struct Tally {
        matched: AtomicU64,
        timeouts: AtomicU64,
        errors: AtomicU64,
        lost: AtomicU64,
        duplicated: AtomicU64,
    }
    let next = Arc::new(AtomicU64::new(0));
    let tally = Arc::new(Tally::default());
    // Requests resolved so far (each index at most once, or it counts as duplicated).
    let resolved: Arc<Vec<AtomicBool>> =
        Arc::new((0..plan.requests).map(|_| AtomicBool::new(false)).collect());
    let done = Arc::new(AtomicU64::new(0));
    let purchases = Arc::new(purchases);
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..plan.inflight.max(1) {
        let (next, tally, resolved, purchases, send, done) = (
            Arc::clone(&next),
            Arc::clone(&tally),
            Arc::clone(&resolved),
            Arc::clone(&purchases),
            send.clone(),
            Arc::clone(&done),
        );
        let requests = plan.requests;
        workers.spawn(async move {
            let mut lat = Vec::with_capacity((requests / 64 + 16) as usize);
            // One clock reading per request: the end of one is the start of the next, so a
            // latency also counts building its request and tallying the one before it (well
            // under a microsecond).
            let mut t0 = Instant::now();
            loop {
                let i = next.fetch_add(1, Relaxed);
                if i >= requests {
                    break;
                }
                let Some(req) = purchases.get(i) else {
                    tally.errors.fetch_add(1, Relaxed);
                    continue;
                };
                let outcome = send(req).await;
                let t1 = Instant::now();
                let us = u32::try_from((t1 - t0).as_micros()).unwrap_or(u32::MAX);
                t0 = t1;
                done.fetch_add(1, Relaxed);
                if resolved
                    .get(i as usize)
                    .is_some_and(|r| r.swap(true, Relaxed))
                {
                    tally.duplicated.fetch_add(1, Relaxed);
                    continue;
                }
                match outcome {
                    Ok(rsp) if Purchases::carries(&rsp, i) => {
                        tally.matched.fetch_add(1, Relaxed);
                        lat.push(us);
                    }
                    Ok(_) => {
                        tally.errors.fetch_add(1, Relaxed);
                    }
                    Err(LinkError::Timeout { .. }) => {
                        tally.timeouts.fetch_add(1, Relaxed);
                    }
                    Err(_) => {
                        tally.errors.fetch_add(1, Relaxed);
                    }
                }
            }
            lat
        });
    }
    // A watchdog instead of a timer per request: when nothing resolves for `lost_after`,
    // the requests still out are lost.
    let mut latencies_us = Vec::with_capacity(plan.requests as usize);
    let mut last = (0, Instant::now());
    let check = (plan.lost_after / 4).max(std::time::Duration::from_millis(1));
    while !workers.is_empty() {
        match tokio::time::timeout(check, workers.join_next()).await {
            Ok(Some(Ok(lat))) => latencies_us.extend(lat),
            Ok(_) => {}
            Err(_) => {
                let now = done.load(Relaxed);
                if now != last.0 {
                    last = (now, Instant::now());
                } else if last.1.elapsed() >= plan.lost_after {
                    workers.abort_all();
                    while workers.join_next().await.is_some() {}
                    let issued = next.load(Relaxed).min(plan.requests);
                    let unresolved = issued.saturating_sub(done.load(Relaxed));
                    tally.lost.fetch_add(unresolved, Relaxed);
                }
            }
        }
    }
    let elapsed = started.elapsed();
    latencies_us.sort_unstable();
    LoadReport {
        requests: plan.requests,
        matched: tally.matched.load(Relaxed),
        timeouts: tally.timeouts.load(Relaxed),
        errors: tally.errors.load(Relaxed),
        lost: tally.lost.load(Relaxed),
        duplicated: tally.duplicated.load(Relaxed),
        elapsed,
        latencies_us,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn carries_reads_de11_and_de41_as_text_on_every_encoding() {
        for name in ["iso87-bcd", "iso87-ebcdic", "iso87-ascii"] {
            let spec = Spec::builtin(name).unwrap();
            let mut b = MessageBuilder::new(&spec);
            b.mti("0210").unwrap();
            b.set(11, "000042").unwrap().set(41, "LG000003").unwrap();
            let msg = Message::decode(&spec, Bytes::from(b.encode_to_vec().unwrap())).unwrap();
            assert!(Purchases::carries(&msg, 3_000_042), "{name}");
            for other in [42, 3_000_041, 2_000_042, 3_000_042 + 1_000_000_000_000] {
                assert!(!Purchases::carries(&msg, other), "{name} as #{other}");
            }
        }
        // Numbers past the terminal IDs the template can carry are no request's.
        let spec = Spec::builtin("iso87-ascii").unwrap();
        let p = Purchases::new(&spec).unwrap();
        let last = p.get(999_999_999_999).unwrap();
        assert!(Purchases::carries(&last, 999_999_999_999));
        assert!(!Purchases::carries(
            &last,
            1_000_000_000_000 + 999_999_999_999
        ));
    }

    #[test]
    fn a_patched_request_reads_as_its_decoded_bytes_and_carries_its_number() {
        for name in ["iso87-ascii-bin", "iso87-ascii"] {
            let spec = Spec::builtin(name).unwrap();
            let p = Purchases::new(&spec).unwrap();
            for i in [0, 1, 42, 999_999, 1_000_000, 2_345_678] {
                let got = p.get(i).unwrap();
                let decoded = Message::decode(&spec, p.bytes(i).unwrap()).unwrap();
                assert_eq!(got.bytes(), decoded.bytes());
                assert_eq!(got.field_table(), decoded.field_table(), "{name} #{i}");
                assert_eq!(Purchases::index_of(&got), Some(i), "{name} #{i}");
                assert!(Purchases::carries(&got, i), "{name} #{i}");
                for other in [i + 1, i ^ 1, i + 1_000_000] {
                    assert!(!Purchases::carries(&got, other), "{name} #{i} as #{other}");
                }
                assert_eq!(
                    got.field(11).unwrap().to_u64(),
                    Some(i % 1_000_000),
                    "{name} #{i}"
                );
            }
        }
    }
}
