//! The host ledger through a PostgreSQL server restart (stopped at once, as
//! a crash looks to its clients, then started again) in the middle of a
//! stream. Its own test binary: cargo runs test binaries one after another,
//! so no other test's server goes away under it.
//!
//! Needs the cluster `.ci/postgres.sh` started (`PG_CLUSTER_DIR` and
//! `DATABASE_URL`); skipped, with the reason printed, without them.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod pg_support;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use iso8583_wire::flows::host::HostDecision;
use pg_support::*;

fn cluster(action: &str, dir: &str) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres.sh");
    let status = Command::new(script).args([action, dir]).status().unwrap();
    assert!(status.success(), "postgres.sh {action} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_server_restart_mid_stream_approves_nothing_twice_or_unrecorded() {
    let test = "postgres_server_restart_mid_stream_approves_nothing_twice_or_unrecorded";
    let Ok(dir) = std::env::var("PG_CLUSTER_DIR") else {
        eprintln!(
            "skipping {test}: PG_CLUSTER_DIR is not set (start the cluster with .ci/postgres.sh)"
        );
        return;
    };
    let Some((url, schema, hosts)) = two_hosts(test, "pgrestart").await else {
        return;
    };
    let down = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for term in 0..4u32 {
        let ledger = hosts[(term % 2) as usize].clone();
        let (down, finished) = (Arc::clone(&down), Arc::clone(&finished));
        tasks.push(tokio::spawn(async move {
            let mut out: Vec<(u32, HostDecision, bool)> = Vec::new();
            let mut n = 0;
            while !finished.load(Ordering::SeqCst) {
                n += 1;
                let stan = term * 10_000 + n;
                let d = ledger.on_request_at(&purchase(stan, 100), NOW).await;
                out.push((stan, d, down.load(Ordering::SeqCst)));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            out
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    down.store(true, Ordering::SeqCst);
    let d = dir.clone();
    tokio::task::spawn_blocking(move || cluster("pause", &d))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let d = dir.clone();
    tokio::task::spawn_blocking(move || cluster("resume", &d))
        .await
        .unwrap();
    down.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(800)).await;
    finished.store(true, Ordering::SeqCst);
    let mut answers = Vec::new();
    let mut seen_down = false;
    for t in tasks {
        let out = t.await.unwrap();
        let tail: Vec<_> = out.iter().rev().take(3).collect();
        assert!(
            tail.iter().all(|(_, d, _)| approved(d)),
            "carries on after the restart: {tail:?}"
        );
        for (stan, d, during) in out {
            assert!(matches!(d.response_code.as_str(), "00" | "96"), "{d:?}");
            seen_down |= during && !approved(&d);
            answers.push((stan, d));
        }
    }
    assert!(seen_down, "requests during the restart were declined 96");
    check_recorded(&url, &schema, &answers).await;
    retry_declined(&url, &schema, &hosts[0], &mut answers).await;
}
