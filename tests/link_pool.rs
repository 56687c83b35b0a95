//! The pool: round-robin over clients that are up and signed on, skipping the others, and
//! failing over when a host goes away.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

mod link_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use iso8583_wire::link::{BoxFuture, Client, Connection, Handler, LinkError, Pool};
use link_support::*;

/// A client handler whose sign-on never completes.
struct NeverSignsOn;

impl Handler for NeverSignsOn {
    fn sign_on(&self, _conn: Connection) -> BoxFuture<Result<(), LinkError>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn round_robin_skips_down_and_unsigned_links_and_fails_over() {
    let a = Peer::new(|_| Act::Answer);
    let b = Peer::new(|_| Act::Answer);
    let c = Peer::new(|_| Act::Answer);
    let (sa, sb, sc) = (
        server(a.clone()).await,
        server(b.clone()).await,
        server(c.clone()).await,
    );
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let handler = Arc::new(Collect::default());
    let pool = Pool::new(vec![
        Client::start(
            sa.local_addr().to_string(),
            client_config(),
            handler.clone(),
        ),
        Client::start(dead, client_config(), handler.clone()),
        Client::start(
            sb.local_addr().to_string(),
            client_config(),
            handler.clone(),
        ),
        Client::start(
            sc.local_addr().to_string(),
            client_config(),
            Arc::new(NeverSignsOn),
        ),
    ]);
    while pool.ready() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for s in 1..=20 {
        assert_eq!(stan(&pool.send(purchase(s)).await.unwrap()), s);
    }
    assert_eq!(a.seen.load(Ordering::SeqCst), 10);
    assert_eq!(b.seen.load(Ordering::SeqCst), 10);
    assert_eq!(c.seen.load(Ordering::SeqCst), 0, "not signed on: skipped");

    // Host A goes away: everything goes to B.
    sa.shutdown(Duration::from_millis(100)).await;
    while pool.ready() > 1 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for s in 21..=30 {
        assert_eq!(stan(&pool.send(purchase(s)).await.unwrap()), s);
    }
    assert_eq!(b.seen.load(Ordering::SeqCst), 20);
    assert_eq!(a.seen.load(Ordering::SeqCst), 10);

    // With no host left, the pool says so at once.
    sb.shutdown(Duration::from_millis(100)).await;
    while pool.ready() > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(matches!(
        pool.send(purchase(31)).await,
        Err(LinkError::Down)
    ));
}
