//! What the PostgreSQL ledger tests share: the database from `DATABASE_URL`
//! (skipping, with the reason printed, when it is unset), a schema per test,
//! hosts on it, and the check of a stream's answers against the table.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use iso8583_wire::flows::host::store::{PgOptions, PgStore};
use iso8583_wire::flows::host::{
    HostConfig, HostDecision, HostRequest, HostTxnKind, SharedLedger, TxnKey,
};

pub const NOW: u64 = 1_700_000_000;

/// `DATABASE_URL`, or `None` after printing why the test is skipped.
pub fn database_url(test: &str) -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipping {test}: DATABASE_URL is not set (see .ci/postgres.sh)");
            None
        }
    }
}

/// A schema of the test's own.
pub fn schema(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "t_{test}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn host(url: &str, schema: &str, config: &HostConfig) -> SharedLedger {
    let options = PgOptions::new(url)
        .with_schema(schema)
        .with_acquirer("48020000")
        .with_pool_size(8)
        .with_timeout(Duration::from_secs(3));
    let store = PgStore::connect(options, config.profile)
        .await
        .expect("connect");
    SharedLedger::with_store(config.clone(), Arc::new(store))
}

/// Two hosts (each its own store and pool) on one schema of their own, or
/// `None` when the test is skipped.
pub async fn two_hosts(test: &str, tag: &str) -> Option<(String, String, [SharedLedger; 2])> {
    let url = database_url(test)?;
    let schema = schema(tag);
    let config = HostConfig::cup();
    let hosts = [
        host(&url, &schema, &config).await,
        host(&url, &schema, &config).await,
    ];
    Some((url, schema, hosts))
}

/// A direct connection for checks, in `schema`.
pub async fn sql(url: &str, schema: &str) -> tokio_postgres::Client {
    let mut cfg: tokio_postgres::Config = url.parse().unwrap();
    cfg.options(format!("-c search_path={schema}"));
    let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

pub fn key(stan: u32) -> TxnKey {
    TxnKey::new("TERM0001", "MERCHANT0000001", Some(1), stan)
}

pub fn purchase(stan: u32, amount: u64) -> HostRequest {
    HostRequest::new(HostTxnKind::Purchase, key(stan), amount)
        .with_transmitted("1122093000")
        .with_content(format!("0200 purchase {stan} 4761739001010119"))
}

pub fn approved(d: &HostDecision) -> bool {
    d.response_code == "00"
}

/// Checks a stream's answers against the table: every approval answered is
/// recorded under its RRN, and no key was approved under two RRNs.
pub async fn check_recorded(url: &str, schema: &str, answers: &[(u32, HostDecision)]) {
    let db = sql(url, schema).await;
    let rows = db
        .query(
            "SELECT stan, rrn FROM ledger_entries WHERE class = 'financial' AND state = 'approved'",
            &[],
        )
        .await
        .unwrap();
    let recorded: HashMap<i64, String> = rows
        .iter()
        .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1)))
        .collect();
    assert_eq!(recorded.len(), rows.len(), "one row per key");
    let mut rrn_of: HashMap<u32, &str> = HashMap::new();
    for (stan, d) in answers.iter().filter(|(_, d)| approved(d)) {
        let rrn = d.rrn.as_deref().unwrap();
        assert_eq!(
            recorded.get(&i64::from(*stan)).map(String::as_str),
            Some(rrn),
            "approval of {stan} answered but not recorded"
        );
        let prev = rrn_of.insert(*stan, rrn);
        assert!(prev.is_none_or(|p| p == rrn), "{stan} approved twice");
    }
}

/// The terminals retry every declined purchase of `answers` on `ledger`
/// once the database is back: each must be approved (a commit whose answer
/// was lost is found and replayed with its RRN). The retries are added to
/// `answers`, which are then checked against the table again.
pub async fn retry_declined(
    url: &str,
    schema: &str,
    ledger: &SharedLedger,
    answers: &mut Vec<(u32, HostDecision)>,
) {
    let declined: Vec<u32> = answers
        .iter()
        .filter(|(_, d)| !approved(d))
        .map(|(s, _)| *s)
        .collect();
    for stan in declined {
        let d = ledger.on_request_at(&purchase(stan, 100), NOW).await;
        assert!(approved(&d), "retry of {stan}: {d:?}");
        answers.push((stan, d));
    }
    check_recorded(url, schema, answers).await;
}
