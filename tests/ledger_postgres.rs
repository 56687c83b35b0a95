//! The host ledger on PostgreSQL: several hosts on one database decide as one
//! ledger would, through races, a host restart and database outages.
//!
//! Needs a server: `DATABASE_URL=postgres://... cargo test --all-features
//! --test ledger_postgres`. Without `DATABASE_URL` each test prints why it
//! skipped and passes. `.ci/run` starts a throwaway cluster
//! (`.ci/postgres.sh`) and sets it. Every test works in its own schema, so
//! they run in parallel.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

mod pg_support;

use iso8583_wire::flows::host::store::{PgOptions, PgStore};
use iso8583_wire::flows::host::{EntryState, HostConfig, HostDecision, HostRequest, HostTxnKind};
use pg_support::*;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Barrier, watch};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_request_sent_to_two_hosts_at_once_is_approved_once() {
    let Some((url, schema, hosts)) = two_hosts(
        "postgres_request_sent_to_two_hosts_at_once_is_approved_once",
        "dup",
    )
    .await
    else {
        return;
    };
    // 8 requests, each sent by 4 tasks (two to each host) at the same moment.
    const KEYS: u32 = 8;
    let barrier = Arc::new(Barrier::new(32));
    let mut tasks = Vec::new();
    for t in 0..32u32 {
        let ledger = hosts[(t % 2) as usize].clone();
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            let stan = t % KEYS + 1;
            barrier.wait().await;
            (stan, ledger.on_request_at(&purchase(stan, 500), NOW).await)
        }));
    }
    let mut by_key: HashMap<u32, Vec<HostDecision>> = HashMap::new();
    for t in tasks {
        let (stan, d) = t.await.unwrap();
        by_key.entry(stan).or_default().push(d);
    }
    for (stan, answers) in &by_key {
        assert_eq!(answers.len(), 4);
        assert!(answers.iter().all(approved), "{stan}: {answers:?}");
        let first: Vec<_> = answers.iter().filter(|d| !d.replayed).collect();
        assert_eq!(first.len(), 1, "{stan}: approved once, replayed thrice");
        for d in answers {
            assert_eq!((&d.rrn, &d.auth_code), (&first[0].rrn, &first[0].auth_code));
        }
    }
    let db = sql(&url, &schema).await;
    let row = db
        .query_one(
            "SELECT count(*), count(DISTINCT rrn) FROM ledger_entries",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, i64>(1)),
        (i64::from(KEYS), i64::from(KEYS))
    );
    // The content is kept only as a digest: no PAN in the table.
    let row = db
        .query_one(
            "SELECT count(*) FROM ledger_entries WHERE position('4761739001010119'::bytea in fingerprint) > 0",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_refunds_racing_past_the_original_amount_one_wins() {
    let Some((_, _, hosts)) = two_hosts(
        "postgres_refunds_racing_past_the_original_amount_one_wins",
        "refund",
    )
    .await
    else {
        return;
    };
    // Two purchases of 1000: on the first, 32 refunds of 600 race (one can
    // fit); on the second, 32 refunds of 300 (three fit).
    for (p, each, fit) in [(1u32, 600u64, 1usize), (2, 300, 3)] {
        let sale = hosts[0].on_request_at(&purchase(p, 1000), NOW).await;
        assert!(approved(&sale));
        let barrier = Arc::new(Barrier::new(32));
        let mut tasks = Vec::new();
        for t in 0..32u32 {
            let ledger = hosts[(t % 2) as usize].clone();
            let barrier = Arc::clone(&barrier);
            let req = HostRequest::new(HostTxnKind::Refund, key(100 * p + t + 1), each)
                .with_original(key(p))
                .with_content(format!("refund {p} {t}"));
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                ledger.on_request_at(&req, NOW).await
            }));
        }
        let mut won = 0;
        for t in tasks {
            let d = t.await.unwrap();
            match d.response_code.as_str() {
                "00" => won += 1,
                "13" => {}
                other => panic!("refund answered {other}"),
            }
        }
        assert_eq!(won, fit, "refunds of {each} against 1000");
        let rrn = sale.rrn.unwrap();
        let kept = hosts[1].store().find_by_rrn(&rrn).await.unwrap().unwrap();
        assert_eq!(kept.refunded, each * fit as u64);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_reversal_racing_a_void_exactly_one_takes_effect() {
    let Some((_, _, hosts)) = two_hosts(
        "postgres_reversal_racing_a_void_exactly_one_takes_effect",
        "revvoid",
    )
    .await
    else {
        return;
    };
    // 16 purchases; for each, its reversal (to one host) and its void (to
    // the other) at once: 32 tasks.
    let mut rrns = Vec::new();
    for p in 1..=16u32 {
        let d = hosts[0].on_request_at(&purchase(p, 700), NOW).await;
        assert!(approved(&d));
        rrns.push(d.rrn.unwrap());
    }
    let barrier = Arc::new(Barrier::new(32));
    let mut tasks = Vec::new();
    for p in 1..=16u32 {
        let reversal = HostRequest::new(HostTxnKind::Reversal, key(p), 700);
        let void = HostRequest::new(HostTxnKind::Void, key(1000 + p), 700)
            .with_original(key(p))
            .with_content(format!("void {p}"));
        for (i, req) in [reversal, void].into_iter().enumerate() {
            let ledger = hosts[(p as usize + i) % 2].clone();
            let barrier = Arc::clone(&barrier);
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                (p, req.kind, ledger.on_request_at(&req, NOW).await)
            }));
        }
    }
    let mut took: HashMap<u32, Vec<HostTxnKind>> = HashMap::new();
    for t in tasks {
        let (p, kind, d) = t.await.unwrap();
        match d.response_code.as_str() {
            "00" => took.entry(p).or_default().push(kind),
            "12" => {}
            other => panic!("{kind:?} of {p} answered {other}"),
        }
    }
    for (p, rrn) in (1..=16u32).zip(&rrns) {
        let winners = &took[&p];
        assert_eq!(winners.len(), 1, "purchase {p}: {winners:?}");
        let state = hosts[0]
            .store()
            .find_by_rrn(rrn)
            .await
            .unwrap()
            .unwrap()
            .state;
        let expect = match winners[0] {
            HostTxnKind::Void => EntryState::Voided,
            _ => EntryState::Reversed,
        };
        assert_eq!(state, expect, "purchase {p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_host_restart_mid_stream_still_recognises_duplicates() {
    let Some(url) = database_url("postgres_host_restart_mid_stream_still_recognises_duplicates")
    else {
        return;
    };
    let schema = schema("restart");
    let config = HostConfig::cup();
    let mut first = Vec::new();
    {
        let ledger = host(&url, &schema, &config).await;
        for stan in 1..=40 {
            first.push(ledger.on_request_at(&purchase(stan, 100), NOW).await);
        }
        // The host goes away: ledger, store and pool dropped.
    }
    let ledger = host(&url, &schema, &config).await;
    for (stan, before) in (1..=40).zip(&first) {
        let again = ledger.on_request_at(&purchase(stan, 100), NOW).await;
        assert!(again.replayed, "{stan}");
        assert_eq!(
            (&again.rrn, &again.response_code),
            (&before.rrn, &before.response_code)
        );
        // The same key with other content is still a duplicate key (94).
        let other = purchase(stan, 101);
        assert_eq!(ledger.on_request_at(&other, NOW).await.response_code, "94");
    }
    // A reversal after the restart matches its original.
    let rev = HostRequest::new(HostTxnKind::Reversal, key(7), 100);
    assert!(approved(&ledger.on_request_at(&rev, NOW).await));
    let kept = ledger
        .store()
        .find_by_rrn(first[6].rrn.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.state, EntryState::Reversed);
    // The stream carries on with fresh RRNs.
    let next = ledger.on_request_at(&purchase(41, 100), NOW).await;
    assert!(approved(&next) && !next.replayed);
    assert!(first.iter().all(|d| d.rrn != next.rrn));
}

/// A TCP relay between the stores and the server that can be cut: while
/// down it drops every connection and refuses new ones (accepts and closes).
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl Relay {
    async fn start(target: std::net::SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(0u64);
        let (up2, cut2) = (Arc::clone(&up), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection close
                }
                let mut gone = cut2.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = gone.changed() => {}
                    }
                });
            }
        });
        Relay { port, up, cut }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|g| *g += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// `url` with its host and port replaced by 127.0.0.1:`port`.
fn via(url: &str, port: u16) -> (String, std::net::SocketAddr) {
    let cfg: tokio_postgres::Config = url.parse().unwrap();
    let host = match &cfg.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        other => panic!("DATABASE_URL must name a TCP host, not {other:?}"),
    };
    let target_port = cfg.get_ports().first().copied().unwrap_or(5432);
    let target = format!("{host}:{target_port}")
        .parse()
        .or_else(|_| format!("127.0.0.1:{target_port}").parse())
        .unwrap();
    let user = cfg.get_user().unwrap_or("postgres");
    let db = cfg.get_dbname().unwrap_or(user);
    let password = cfg
        .get_password()
        .map(|p| format!(":{}", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    (
        format!("postgres://{user}{password}@127.0.0.1:{port}/{db}"),
        target,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_database_outage_mid_stream_declines_retryably_and_carries_on() {
    let Some(url) =
        database_url("postgres_database_outage_mid_stream_declines_retryably_and_carries_on")
    else {
        return;
    };
    let schema = schema("outage");
    let config = HostConfig::cup();
    // Create the schema directly, then let both hosts reach the server only
    // through the relay.
    drop(host(&url, &schema, &config).await);
    let (_, target) = via(&url, 0);
    let relay = Relay::start(target).await;
    let (relayed, _) = via(&url, relay.port);
    let hosts = [
        host(&relayed, &schema, &config).await,
        host(&relayed, &schema, &config).await,
    ];
    // Four terminals send purchases (two per host) until told to stop; the
    // database goes away for 600 ms after 150 ms, and the stream runs on for
    // 700 ms after it is back.
    let answers = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let outage = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for term in 0..4u32 {
        let ledger = hosts[(term % 2) as usize].clone();
        let answers = Arc::clone(&answers);
        let outage = Arc::clone(&outage);
        let finished = Arc::clone(&finished);
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !finished.load(Ordering::SeqCst) {
                n += 1;
                let stan = term * 10_000 + n;
                let d = ledger.on_request_at(&purchase(stan, 100), NOW).await;
                let during = outage.load(Ordering::SeqCst);
                answers.lock().await.push((stan, d, during));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    outage.store(true, Ordering::SeqCst);
    relay.down();
    tokio::time::sleep(Duration::from_millis(600)).await;
    outage.store(false, Ordering::SeqCst);
    relay.restore();
    tokio::time::sleep(Duration::from_millis(700)).await;
    finished.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    let answers = answers.lock().await.clone();
    for (_, d, _) in answers.iter().filter(|(_, d, _)| !approved(d)) {
        assert_eq!(d.response_code, "96", "only the retryable decline");
    }
    assert!(
        answers.iter().any(|(_, d, during)| *during && !approved(d)),
        "the outage was seen"
    );
    let last: Vec<_> = answers.iter().rev().take(8).collect();
    assert!(
        last.iter().all(|(_, d, _)| approved(d)),
        "carries on after reconnect: {last:?}"
    );
    let plain: Vec<(u32, HostDecision)> = answers.iter().map(|(s, d, _)| (*s, d.clone())).collect();
    check_recorded(&url, &schema, &plain).await;
    let mut retried = plain;
    retry_declined(&url, &schema, &hosts[0], &mut retried).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_terminated_backends_mid_stream_approve_nothing_twice() {
    let Some(url) = database_url("postgres_terminated_backends_mid_stream_approve_nothing_twice")
    else {
        return;
    };
    let schema = schema("terminate");
    let config = HostConfig::generic();
    let app = schema.clone();
    let tagged = if url.contains('?') {
        format!("{url}&application_name={app}")
    } else {
        format!("{url}?application_name={app}")
    };
    let hosts = [
        host(&tagged, &schema, &config).await,
        host(&tagged, &schema, &config).await,
    ];
    let admin = sql(&url, &schema).await;
    let stop = Arc::new(AtomicBool::new(false));
    let killer = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let mut killed = 0u64;
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(40)).await;
                let rows = admin
                    .query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE application_name = $1 AND pid <> pg_backend_pid()",
                        &[&app],
                    )
                    .await
                    .unwrap();
                killed += rows.len() as u64;
            }
            killed
        })
    };
    let mut tasks = Vec::new();
    for term in 0..4u32 {
        let ledger = hosts[(term % 2) as usize].clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for n in 0..50u32 {
                let stan = term * 1000 + n + 1;
                let req = purchase(stan, 100);
                let d = ledger.on_request_at(&req, NOW).await;
                out.push((stan, d));
            }
            out
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.extend(t.await.unwrap());
    }
    stop.store(true, Ordering::SeqCst);
    let killed = killer.await.unwrap();
    assert!(killed > 0, "backends were terminated");
    for (_, d) in &answers {
        assert!(matches!(d.response_code.as_str(), "00" | "91"), "{d:?}");
    }
    check_recorded(&url, &schema, &answers).await;
    // Retry every decline after the storm: each gets exactly one approval.
    retry_declined(&url, &schema, &hosts[1], &mut answers).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_settlement_pruning_and_outbox() {
    let Some(url) = database_url("postgres_settlement_pruning_and_outbox") else {
        return;
    };
    let schema = schema("settle");
    let config = HostConfig::cup().with_windows(100, 100, 100);
    let ledger = host(&url, &schema, &config).await;
    for stan in 1..=5 {
        assert!(approved(
            &ledger.on_request_at(&purchase(stan, 200), NOW).await
        ));
    }
    let refund = HostRequest::new(HostTxnKind::Refund, key(6), 50)
        .with_original(key(1))
        .with_content("refund");
    assert!(approved(&ledger.on_request_at(&refund, NOW).await));
    let totals = iso8583_wire::flows::journal::Totals {
        debit_amount: 1000,
        debit_count: 5,
        credit_amount: 50,
        credit_count: 1,
    };
    let check = ledger
        .settle_at("TERM0001", Some(1), &totals, NOW + 10)
        .await
        .unwrap();
    assert!(check.balanced, "{check:?}");
    // Settled, kept for the window: a resend still replays.
    let again = ledger.on_request_at(&purchase(2, 200), NOW + 50).await;
    assert!(again.replayed);
    assert_eq!(ledger.store().len().await.unwrap(), 6);
    assert_eq!(ledger.prune(NOW + 10 + 100).await.unwrap(), 6);
    assert!(ledger.store().is_empty().await.unwrap());
    // The outbox: queued, claimed once among two claimers, then sent.
    let store = PgStore::connect(
        PgOptions::new(url.as_str()).with_schema(schema.as_str()),
        config.profile,
    )
    .await
    .unwrap();
    let id = store
        .enqueue_advice("0220", b"sealed advice", NOW)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        store.claim_advices(NOW, 10, 30),
        store.claim_advices(NOW, 10, 30)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 1, "claimed once");
    let claimed = a.into_iter().chain(b).next().unwrap();
    assert_eq!((claimed.id, claimed.attempts), (id, 1));
    assert!(!format!("{claimed:?}").contains("sealed"));
    assert!(
        store
            .claim_advices(NOW + 10, 10, 30)
            .await
            .unwrap()
            .is_empty()
    );
    let retry = store.claim_advices(NOW + 30, 10, 30).await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].attempts, 2);
    store.advice_sent(id, NOW + 31).await.unwrap();
    assert!(
        store
            .claim_advices(NOW + 100, 10, 30)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migrations_applied_by_hand_are_skipped_on_connect() {
    let Some(url) = database_url("postgres_migrations_applied_by_hand_are_skipped_on_connect")
    else {
        return;
    };
    let schema = schema("byhand");
    let admin = sql(&url, "public").await;
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    // What `psql -1 -f sql/migrations/0001_ledger.sql` does.
    let db = sql(&url, &schema).await;
    let file = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/migrations/0001_ledger.sql"),
    )
    .unwrap();
    db.batch_execute(&format!("BEGIN; {file}; COMMIT"))
        .await
        .unwrap();
    // Connecting applies nothing twice (0001 would fail: its tables exist).
    let config = HostConfig::generic();
    let ledger = host(&url, &schema, &config).await;
    assert!(approved(&ledger.on_request_at(&purchase(1, 10), NOW).await));
    let row = db
        .query_one("SELECT count(*) FROM ledger_migrations", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
    // And two hosts starting at once on a new schema migrate it once.
    let fresh = self::schema("race");
    let (a, b) = tokio::join!(host(&url, &fresh, &config), host(&url, &fresh, &config));
    drop((a, b));
    let row = sql(&url, &fresh)
        .await
        .query_one("SELECT count(*) FROM ledger_migrations", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
}
