//! [`Client`]: a connection to one host that connects, signs on, keeps itself alive and comes
//! back after a loss, behind one [`send`](Client::send).

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::link::config::{ClientConfig, LinkConfig, WhenFull};
use crate::link::connection::Connection;
use crate::link::error::LinkError;
use crate::link::handler::Handler;
use crate::link::metrics::Metrics;
use crate::link::slots::{NoSlot, Slots};
use crate::message::Message;

/// Where a client's link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[repr(u8)]
pub enum LinkState {
    /// Connecting, or waiting to reconnect.
    Connecting = 0,
    /// Connected; the sign-on hook runs.
    SigningOn = 1,
    /// Signed on: requests go out.
    Ready = 2,
    /// Shutting down: no new requests.
    Closing = 3,
    /// Closed for good.
    Closed = 4,
}

impl LinkState {
    /// The state stored as `v` (`state as u8`); `tests::every_state_round_trips` keeps the
    /// two in step.
    fn from_u8(v: u8) -> LinkState {
        match v {
            0 => LinkState::Connecting,
            1 => LinkState::SigningOn,
            2 => LinkState::Ready,
            3 => LinkState::Closing,
            _ => LinkState::Closed,
        }
    }
}

struct Inner {
    addr: String,
    config: ClientConfig,
    link: Arc<LinkConfig>,
    handler: Arc<dyn Handler>,
    metrics: Arc<Metrics>,
    state: watch::Sender<LinkState>,
    /// `state` as a number, set under the watch's lock with every change: the per-request
    /// check reads it without taking that lock.
    state_now: AtomicU8,
    current: RwLock<Option<Connection>>,
    slots: Slots,
    stop: CancellationToken,
    stan: AtomicU32,
}

/// A client link to one host (cheap to clone).
///
/// - [`connect`](Self::connect) connects within the connect timeout (the TLS handshake
///   included, with `ClientConfig::with_tls`, feature `tls`) and runs the handler's
///   [`sign_on`](Handler::sign_on) before any request goes out;
/// - [`send`](Self::send) waits for a slot when `max_in_flight` requests are pending (or
///   fails fast, as configured), then for the response with the request timeout;
/// - after a lost connection the client reconnects with exponential backoff and jitter, and
///   signs on again; requests pending on the lost connection fail with
///   [`LinkError::ConnectionLost`];
/// - with [`idle_echo`](ClientConfig::idle_echo) it sends an echo after that long without
///   traffic and drops a connection whose echo goes unanswered;
/// - [`shutdown`](Self::shutdown) refuses new requests (and those still waiting for a slot
///   under the cap), waits for those in flight up to a deadline, runs
///   [`sign_off`](Handler::sign_off) and closes.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("addr", &self.inner.addr)
            .field("state", &self.state())
            .finish()
    }
}

fn random_unit() -> f64 {
    let x = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (x >> 11) as f64 / (1u64 << 53) as f64
}

impl Client {
    /// Connects to `addr` (`host:port`) and signs on; the first failure is returned (later
    /// losses are reconnected as configured).
    pub async fn connect(
        addr: impl Into<String>,
        config: ClientConfig,
        handler: Arc<dyn Handler>,
    ) -> Result<Client, LinkError> {
        let client = Client::new(addr.into(), config, handler);
        let conn = client.connect_once().await?;
        client.sign_on(&conn).await?;
        let c = client.clone();
        tokio::spawn(async move { c.supervise(Some(conn)).await });
        Ok(client)
    }

    /// A client that connects in the background (and keeps trying), for pools whose hosts
    /// may be down at start.
    pub fn start(
        addr: impl Into<String>,
        config: ClientConfig,
        handler: Arc<dyn Handler>,
    ) -> Client {
        let client = Client::new(addr.into(), config, handler);
        let c = client.clone();
        tokio::spawn(async move { c.supervise(None).await });
        client
    }

    fn new(addr: String, config: ClientConfig, handler: Arc<dyn Handler>) -> Client {
        let (state, _) = watch::channel(LinkState::Connecting);
        Client {
            inner: Arc::new(Inner {
                addr,
                link: Arc::new(config.link.clone()),
                slots: Slots::new(config.max_in_flight),
                config,
                handler,
                metrics: Arc::new(Metrics::default()),
                state,
                state_now: AtomicU8::new(LinkState::Connecting as u8),
                current: RwLock::new(None),
                stop: CancellationToken::new(),
                stan: AtomicU32::new(900_000),
            }),
        }
    }

    /// The address this client connects to.
    pub fn addr(&self) -> &str {
        &self.inner.addr
    }

    /// Where the link stands now.
    pub fn state(&self) -> LinkState {
        LinkState::from_u8(self.inner.state_now.load(Relaxed))
    }

    /// Whether requests go out now (connected and signed on).
    pub fn is_ready(&self) -> bool {
        self.state() == LinkState::Ready
    }

    /// The client's metrics (all its connections).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// The current connection, if one is up.
    pub fn connection(&self) -> Option<Connection> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sends `request` and waits for its response (see [`Connection::send`]), under the
    /// in-flight cap, on the current connection (waiting up to
    /// [`wait_for_link`](ClientConfig::wait_for_link) for one that is signed on).
    pub async fn send(&self, request: Message) -> Result<Message, LinkError> {
        let inner = &*self.inner;
        if matches!(self.state(), LinkState::Closing | LinkState::Closed) {
            return Err(LinkError::ShuttingDown);
        }
        let slot = match inner.config.when_full {
            WhenFull::Wait => inner.slots.take().await,
            WhenFull::FailFast => inner.slots.try_take(),
        };
        let _slot = slot.map_err(|e| match e {
            NoSlot::Closed => LinkError::ShuttingDown,
            NoSlot::Full => LinkError::Busy {
                max: inner.slots.max(),
            },
        })?;
        let conn = self.ready_connection().await?;
        conn.send(request).await
    }

    /// The current connection if it is open and signed on. The connection is read before the
    /// state: a new connection is installed only after the state has left `Ready` (for
    /// `SigningOn`), so a `Ready` read after it is that connection's own, never a stale one
    /// of the connection it replaced.
    fn signed_on_connection(&self) -> Option<Connection> {
        self.connection()
            .filter(|c| !c.is_closed())
            .filter(|_| self.is_ready())
    }

    async fn ready_connection(&self) -> Result<Connection, LinkError> {
        if let Some(c) = self.signed_on_connection() {
            return Ok(c);
        }
        let deadline = tokio::time::Instant::now() + self.inner.config.wait_for_link;
        let mut rx = self.inner.state.subscribe();
        loop {
            let state = *rx.borrow_and_update();
            match state {
                LinkState::Ready => {
                    // A stale `Ready` over a connection just lost flips to `Connecting` soon.
                    if let Some(c) = self.signed_on_connection() {
                        return Ok(c);
                    }
                }
                LinkState::Closing => return Err(LinkError::ShuttingDown),
                LinkState::Closed => return Err(LinkError::Down),
                LinkState::Connecting | LinkState::SigningOn => {}
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return Err(LinkError::Down),
            }
        }
    }

    /// Stops new requests (callers still waiting for a slot under the in-flight cap get
    /// [`LinkError::ShuttingDown`]), waits up to `deadline` for those in flight, signs off
    /// (within what is left of the deadline), closes the connection and stops reconnecting.
    pub async fn shutdown(&self, deadline: Duration) {
        let inner = &*self.inner;
        let end = tokio::time::Instant::now() + deadline;
        self.set_state(LinkState::Closing);
        // Callers waiting for a slot fail now; those in flight have until `end`.
        inner.slots.close();
        let _ = tokio::time::timeout_at(end, inner.slots.idle()).await;
        inner.stop.cancel();
        if let Some(conn) = self.connection().filter(|c| !c.is_closed()) {
            if let Err(e) = tokio::time::timeout_at(end, inner.handler.sign_off(conn.clone()))
                .await
                .unwrap_or(Err(LinkError::Deadline("sign-off")))
            {
                inner.handler.error(&e, Some(&conn));
            }
            conn.close();
            let _ = tokio::time::timeout_at(end + Duration::from_secs(1), conn.closed()).await;
        }
        self.set_state(LinkState::Closed);
    }

    /// Sets the state (and its lock-free copy) and tells the watchers.
    fn set_state(&self, to: LinkState) {
        let now = &self.inner.state_now;
        self.inner.state.send_modify(|s| {
            *s = to;
            now.store(to as u8, Relaxed);
        });
    }

    /// Moves to `to` if the state is one of `from` (and tells the watchers only then);
    /// whether it moved.
    fn move_state(&self, from: &[LinkState], to: LinkState) -> bool {
        let now = &self.inner.state_now;
        self.inner.state.send_if_modified(|s| {
            let moved = from.contains(s);
            if moved {
                *s = to;
                now.store(to as u8, Relaxed);
            }
            moved
        })
    }

    async fn connect_once(&self) -> Result<Connection, LinkError> {
        let inner = &*self.inner;
        let timeout = inner.config.connect_timeout;
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let deadline = tokio::time::Instant::now() + timeout;
        let stream = match tokio::time::timeout_at(deadline, TcpStream::connect(&inner.addr)).await
        {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(LinkError::Io(format!("connect to {}: {e}", inner.addr))),
            Err(_) => {
                return Err(LinkError::ConnectTimeout {
                    addr: inner.addr.clone(),
                    millis,
                });
            }
        };
        let _ = stream.set_nodelay(true);
        let peer = stream.peer_addr().ok();
        #[cfg(feature = "tls")]
        if let Some(tls) = &inner.config.tls {
            // The handshake shares the connect timeout; a reconnection comes here again.
            let stream = tokio::time::timeout_at(deadline, tls.connect(stream, &inner.addr))
                .await
                .map_err(|_| LinkError::HandshakeTimeout {
                    peer: inner.addr.clone(),
                    millis,
                })
                .and_then(|r| r)
                .inspect_err(|_| inner.metrics.handshake_failed())?;
            let (r, w) = tokio::io::split(stream);
            return Ok(self.spawn_connection(r, w, peer));
        }
        let (r, w) = stream.into_split();
        Ok(self.spawn_connection(r, w, peer))
    }

    fn spawn_connection<R, W>(&self, r: R, w: W, peer: Option<std::net::SocketAddr>) -> Connection
    where
        R: tokio::io::AsyncRead + Unpin + Send + 'static,
        W: tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let inner = &*self.inner;
        Connection::spawn(
            r,
            w,
            peer,
            Arc::clone(&inner.link),
            Arc::clone(&inner.handler),
            Arc::clone(&inner.metrics),
        )
    }

    async fn sign_on(&self, conn: &Connection) -> Result<(), LinkError> {
        let inner = &*self.inner;
        // Only from `Connecting`: a client shutting down puts no new connection into service.
        // The state changes before the connection is installed (see `signed_on_connection`).
        if !self.move_state(&[LinkState::Connecting], LinkState::SigningOn) {
            conn.abort();
            return Err(LinkError::ShuttingDown);
        }
        *inner.current.write().unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
        match inner.handler.sign_on(conn.clone()).await {
            Ok(()) => {
                self.move_state(&[LinkState::SigningOn], LinkState::Ready);
                Ok(())
            }
            Err(e) => {
                conn.abort();
                Err(e)
            }
        }
    }

    /// Runs the connection until it is lost, then reconnects, until shutdown.
    async fn supervise(self, first: Option<Connection>) {
        let inner = &*self.inner;
        // `start` connects at once; after a loss or a failed attempt the backoff applies.
        let mut immediate = first.is_none();
        let mut conn = first;
        let mut attempt = 0u32;
        let mut ever_up = conn.is_some();
        loop {
            if let Some(c) = conn.take() {
                attempt = 0;
                self.keep_alive(&c).await;
                c.closed().await;
            }
            if inner.stop.is_cancelled() {
                break;
            }
            self.move_state(
                &[LinkState::Ready, LinkState::SigningOn],
                LinkState::Connecting,
            );
            if !immediate {
                let Some(backoff) = inner.config.reconnect else {
                    break;
                };
                let delay = backoff.delay(attempt, random_unit());
                attempt = attempt.saturating_add(1);
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = inner.stop.cancelled() => break,
                }
            }
            immediate = false;
            let next = tokio::select! {
                c = self.connect_once() => c,
                _ = inner.stop.cancelled() => break,
            };
            match next {
                Ok(c) => match self.sign_on(&c).await {
                    Ok(()) => {
                        if ever_up {
                            inner.metrics.reconnect();
                        }
                        ever_up = true;
                        conn = Some(c);
                    }
                    // Shutting down: no more connections; shutdown stops this loop.
                    Err(LinkError::ShuttingDown) => {
                        inner.stop.cancelled().await;
                        break;
                    }
                    Err(e) => inner.handler.error(&e, Some(&c)),
                },
                Err(e) => inner.handler.error(&e, None),
            }
        }
        if !inner.stop.is_cancelled() {
            self.set_state(LinkState::Closed);
        }
    }

    /// Sends an echo after each idle period; returns when the connection closes (or the
    /// client stops, after which shutdown closes it).
    async fn keep_alive(&self, conn: &Connection) {
        let inner = &*self.inner;
        let Some(idle) = inner.config.idle_echo else {
            tokio::select! {
                _ = conn.closed() => {}
                _ = inner.stop.cancelled() => {}
            }
            return;
        };
        loop {
            let wait = idle.saturating_sub(conn.idle());
            tokio::select! {
                _ = conn.closed() => return,
                _ = inner.stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            if conn.idle() < idle {
                continue;
            }
            let stan = inner.stan.fetch_add(1, Relaxed) % 1_000_000;
            let Some(echo) = inner.handler.echo(stan, conn) else {
                return;
            };
            if let Err(e) = conn.send_timeout(echo, inner.config.echo_timeout).await {
                inner.handler.error(&e, Some(conn));
                conn.abort();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LinkState;

    #[test]
    fn every_state_round_trips_through_its_stored_number() {
        for s in [
            LinkState::Connecting,
            LinkState::SigningOn,
            LinkState::Ready,
            LinkState::Closing,
            LinkState::Closed,
        ] {
            assert_eq!(LinkState::from_u8(s as u8), s);
        }
    }
}
