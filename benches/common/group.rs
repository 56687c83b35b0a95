//! The criterion group settings the codec, flows, security and peer benchmarks share (3 s of
//! measurement after 1 s of warm-up, 50 samples), included through `#[path]` so they time
//! alike.

use std::time::Duration;

use criterion::Criterion;
use criterion::measurement::WallTime;

/// A benchmark group `name` with the shared settings.
pub fn group<'c>(
    c: &'c mut Criterion,
    name: impl Into<String>,
) -> criterion::BenchmarkGroup<'c, WallTime> {
    let mut g = c.benchmark_group(name);
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(50);
    g
}
