//! [`Connection`]: one live link to a peer, client or server side alike.
//!
//! Two tasks run per connection. The reader decodes frames, hands each response to the
//! caller waiting for its key (or to [`Handler::stray`] when none is), answers echo tests,
//! and gives the peer's requests to [`Handler::request`]. The writer writes whatever senders
//! have queued in the [`Outbox`] in one call per batch. A caller of [`Connection::send`]
//! registers its key and deadline, queues its bytes and waits on a one-shot channel: one
//! wake-up per request on each side. A sweep per connection fails the requests past their
//! deadline once per [`timeout_tick`](LinkConfig::timeout_tick), so no timer is armed per
//! request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Notify, oneshot};
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::link::codec::{Inbound, MessageCodec};
use crate::link::config::{LinkConfig, OnUndecodable};
use crate::link::error::LinkError;
use crate::link::handler::{Handler, Reply, Stray, StrayKind, echo_reply, is_echo};
use crate::link::key::MatchKey;
use crate::link::metrics::Metrics;
use crate::link::outbox::{Outbox, Take};
use crate::link::pending::{Matched, Pending, Waiter};
use crate::message::Message;

/// Read buffer growth step: below the 64 KiB at which freeing a block makes glibc consolidate
/// its free lists (a cost that showed in profiles with 64 KiB blocks).
const READ_CHUNK: usize = 16 * 1024;

struct Inner {
    config: Arc<LinkConfig>,
    handler: Arc<dyn Handler>,
    metrics: Arc<Metrics>,
    outbox: Outbox,
    pending: Mutex<Pending>,
    token: CancellationToken,
    /// Set with `token` (whose own check takes a lock), for the per-request check.
    down: AtomicBool,
    replies: TaskTracker,
    /// Wakes the timeout sweep when the first request of a quiet spell is registered.
    sweep: Notify,
    peer: Option<SocketAddr>,
    started: Instant,
    /// Milliseconds after `started` of the last bytes read.
    last_read: AtomicU64,
}

/// One live link to a peer (cheap to clone; every clone is the same connection).
///
/// Made by a [`Client`](crate::link::Client) for each (re)connection and by a
/// [`Server`](crate::link::Server) for each accepted peer; either side can
/// [`send`](Self::send) requests on it and [`post`](Self::post) messages that need no answer.
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.inner.peer)
            .field("closed", &self.is_closed())
            .field("in_flight", &self.in_flight())
            .finish()
    }
}

/// Removes the request's key if its `send` future is dropped before an outcome.
struct Guard<'a> {
    conn: &'a Connection,
    key: Option<MatchKey>,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take()
            && self.conn.pending().forget(&key).is_some()
        {
            self.conn.inner.metrics.in_flight_sub();
        }
    }
}

impl Connection {
    /// Starts the reader and writer tasks on the two halves of a stream.
    pub fn spawn<R, W>(
        read: R,
        write: W,
        peer: Option<SocketAddr>,
        config: Arc<LinkConfig>,
        handler: Arc<dyn Handler>,
        metrics: Arc<Metrics>,
    ) -> Connection
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let conn = Connection {
            inner: Arc::new(Inner {
                outbox: Outbox::new(config.framing),
                pending: Mutex::new(Pending::new(config.remember)),
                config,
                handler,
                metrics,
                token: CancellationToken::new(),
                down: AtomicBool::new(false),
                replies: TaskTracker::new(),
                sweep: Notify::new(),
                peer,
                started: Instant::now(),
                last_read: AtomicU64::new(0),
            }),
        };
        let c = conn.clone();
        tokio::spawn(async move { c.read_loop(read).await });
        let c = conn.clone();
        tokio::spawn(async move { c.write_loop(write).await });
        let c = conn.clone();
        tokio::spawn(async move { c.sweep_loop().await });
        conn
    }

    /// Sends `request` and waits for its response, up to the link's request timeout.
    ///
    /// The response is the one whose key ([`KeyRules`](crate::link::KeyRules)) matches; a
    /// reject naming the request ends the wait with [`LinkError::Rejected`], a lost
    /// connection with [`LinkError::ConnectionLost`].
    pub async fn send(&self, request: Message) -> Result<Message, LinkError> {
        self.send_timeout(request, self.inner.config.request_timeout)
            .await
    }

    /// [`send`](Self::send) with its own timeout.
    pub async fn send_timeout(
        &self,
        request: Message,
        timeout: Duration,
    ) -> Result<Message, LinkError> {
        let inner = &*self.inner;
        let mti = request.mti();
        let key = inner
            .config
            .keys
            .request_key(&request)
            .ok_or(LinkError::NotARequest(mti))?;
        let (tx, rx) = oneshot::channel();
        let sent = Instant::now();
        let first = {
            let mut pending = self.pending();
            pending.insert(
                key.clone(),
                Waiter {
                    tx,
                    request: mti,
                    sent,
                    deadline: sent + timeout,
                },
            )?;
            pending.len() == 1
        };
        if first {
            inner.sweep.notify_one();
        }
        inner.metrics.in_flight_add();
        let mut guard = Guard {
            conn: self,
            key: Some(key),
        };
        inner.outbox.push(request.bytes())?;
        inner.metrics.sent(mti);
        let outcome = rx.await;
        guard.key = None;
        outcome.unwrap_or(Err(LinkError::ConnectionLost { mti }))
    }

    /// Queues `msg` for sending without waiting for anything (an answer to the peer, an
    /// advice, an unsolicited message).
    pub fn post(&self, msg: &Message) -> Result<(), LinkError> {
        self.inner.outbox.push(msg.bytes())?;
        self.inner.metrics.sent(msg.mti());
        Ok(())
    }

    /// Queues `bytes` exactly as given, with no length header added: for proxies and for
    /// injecting faults in tests (a garbage frame, half a frame before a close).
    pub fn write_raw(&self, bytes: &[u8]) -> Result<(), LinkError> {
        self.inner.outbox.push_raw(bytes)
    }

    /// Closes gracefully: what is queued is written, then both directions close and pending
    /// requests fail with [`LinkError::ConnectionLost`].
    pub fn close(&self) {
        self.inner.outbox.close();
    }

    /// Closes at once, dropping what is queued.
    pub fn abort(&self) {
        self.cancel();
    }

    fn cancel(&self) {
        self.inner.down.store(true, Relaxed);
        self.inner.token.cancel();
    }

    /// Resolves when the connection has closed.
    pub async fn closed(&self) {
        self.inner.token.cancelled().await;
    }

    /// Whether the connection has closed (or is closing).
    pub fn is_closed(&self) -> bool {
        self.inner.down.load(Relaxed) || self.inner.outbox.is_closed()
    }

    /// The peer's address, when known.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.inner.peer
    }

    /// The link settings in force.
    pub fn config(&self) -> &LinkConfig {
        &self.inner.config
    }

    /// The metrics this connection records into.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Requests waiting for their response now.
    pub fn in_flight(&self) -> usize {
        self.pending().len()
    }

    /// Time since bytes last arrived (or since the connection opened).
    pub fn idle(&self) -> Duration {
        let now = self.inner.started.elapsed();
        now.saturating_sub(Duration::from_millis(self.inner.last_read.load(Relaxed)))
    }

    /// Waits until the answers the handler is still preparing ([`Reply::Later`]) are queued.
    pub async fn replies_done(&self) {
        self.inner.replies.close();
        self.inner.replies.wait().await;
    }

    fn pending(&self) -> MutexGuard<'_, Pending> {
        self.inner.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fails the requests past their deadline, once per tick while any are pending.
    async fn sweep_loop(self) {
        let inner = &*self.inner;
        let tick = inner.config.timeout_tick.max(Duration::from_millis(1));
        loop {
            let idle = self.pending().len() == 0;
            tokio::select! {
                _ = inner.token.cancelled() => return,
                _ = inner.sweep.notified(), if idle => continue,
                _ = tokio::time::sleep(tick), if !idle => {}
            }
            let due = self.pending().expire_due(Instant::now());
            for w in due {
                inner.metrics.in_flight_sub();
                inner.metrics.timeout();
                let millis = u64::try_from((w.deadline - w.sent).as_millis()).unwrap_or(u64::MAX);
                let _ = w.tx.send(Err(LinkError::Timeout {
                    mti: w.request,
                    millis,
                }));
            }
        }
    }

    async fn write_loop<W: AsyncWrite + Unpin>(self, mut w: W) {
        let inner = &*self.inner;
        let mut spare = BytesMut::with_capacity(16 * 1024);
        loop {
            match inner.outbox.take(&mut spare) {
                Take::Data => {
                    // The flush matters under TLS, whose stream may keep records queued
                    // after `write_all` when the socket is full; on TCP it is a no-op.
                    let result = tokio::select! {
                        r = async {
                            w.write_all(&spare).await?;
                            w.flush().await
                        } => r,
                        _ = inner.token.cancelled() => break,
                    };
                    spare.clear();
                    if let Err(e) = result {
                        inner.handler.error(&e.into(), Some(&self));
                        break;
                    }
                }
                Take::Empty => tokio::select! {
                    _ = inner.outbox.wait() => {}
                    _ = inner.token.cancelled() => break,
                },
                Take::Closed => {
                    let _ = w.shutdown().await;
                    break;
                }
            }
        }
        self.cancel();
    }

    async fn read_loop<R: AsyncRead + Unpin>(self, mut r: R) {
        let inner = &*self.inner;
        let mut codec = MessageCodec::new(inner.config.spec.clone(), inner.config.framing);
        // The writer's turn comes every this many messages of one read (see
        // `LinkConfig::hand_over_every`: with the ends on two threads, decoding each read
        // whole first halves `loadgen`'s pairs/s, the two ends taking turns).
        let hand_over = inner.config.hand_over_every.max(1);
        let mut rx = BytesMut::with_capacity(READ_CHUNK);
        // When the bytes being decoded arrived: one clock reading per read serves as the
        // arrival time of every message in it (latencies are measured to it).
        let mut arrived = Instant::now();
        'read: loop {
            let mut since_yield = 0u32;
            loop {
                match codec.decode(&mut rx) {
                    Ok(Some(Inbound::Message(m))) => {
                        self.dispatch(m, arrived);
                        since_yield += 1;
                        if since_yield >= hand_over {
                            since_yield = 0;
                            tokio::task::yield_now().await;
                        }
                    }
                    Ok(Some(Inbound::Undecodable(e))) => {
                        inner.metrics.undecodable();
                        inner.handler.error(&e, Some(&self));
                        if inner.config.on_undecodable == OnUndecodable::Close {
                            break 'read;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        inner.handler.error(&e, Some(&self));
                        break 'read;
                    }
                }
            }
            if rx.capacity() - rx.len() < READ_CHUNK / 4 {
                rx.reserve(READ_CHUNK);
            }
            let n = tokio::select! {
                n = r.read_buf(&mut rx) => n,
                _ = inner.token.cancelled() => break,
            };
            match n {
                Ok(0) => {
                    if let Err(e) = codec.decode_eof(&mut rx) {
                        inner.handler.error(&e, Some(&self));
                    }
                    break;
                }
                Ok(_) => {
                    arrived = Instant::now();
                    let since = arrived.saturating_duration_since(inner.started);
                    let ms = u64::try_from(since.as_millis()).unwrap_or(0);
                    inner.last_read.store(ms, Relaxed);
                }
                Err(e) => {
                    inner.handler.error(&e.into(), Some(&self));
                    break;
                }
            }
        }
        self.cancel();
        inner.outbox.close();
        let waiting = self.pending().close();
        for w in waiting {
            inner.metrics.in_flight_sub();
            let _ = w.tx.send(Err(LinkError::ConnectionLost { mti: w.request }));
        }
    }

    fn stray(&self, kind: StrayKind, message: Message) {
        match kind {
            StrayKind::Late => self.inner.metrics.late(),
            StrayKind::Duplicate | StrayKind::Unmatched => self.inner.metrics.unmatched(),
        }
        self.inner.handler.stray(Stray { kind, message }, self);
    }

    fn dispatch(&self, msg: Message, arrived: Instant) {
        let inner = &*self.inner;
        let mti = msg.mti();
        match msg.field(39) {
            // ASCII codes are counted from the wire bytes; others through their characters.
            Some(f) if f.spec().encoding() == crate::spec::Encoding::Ascii => {
                inner.metrics.received(mti, Some(f.raw()));
            }
            Some(f) => {
                let code = f.to_small();
                let code = code.as_ref().map(|c| c.as_str().as_bytes());
                inner.metrics.received(mti, code);
            }
            None => inner.metrics.received(mti, None),
        }
        if let Some(code) = inner.config.rejects.code_of(&msg) {
            let keys = &inner.config.keys;
            let found = self
                .pending()
                .on_reject(|as_mti| keys.reject_fields(&msg, as_mti));
            match found {
                Some((_, w)) => {
                    inner.metrics.in_flight_sub();
                    inner.metrics.reject();
                    let _ = w.tx.send(Err(LinkError::Rejected {
                        request: w.request,
                        reject: mti,
                        code,
                    }));
                }
                None => self.stray(StrayKind::Unmatched, msg),
            }
            return;
        }
        if !mti.is_request() {
            let key = inner.config.keys.response_key(&msg);
            let matched = self.pending().on_response(key);
            match matched {
                Matched::Waiter(w) => {
                    inner.metrics.in_flight_sub();
                    inner
                        .metrics
                        .latency(arrived.saturating_duration_since(w.sent));
                    let _ = w.tx.send(Ok(msg));
                }
                Matched::Late => self.stray(StrayKind::Late, msg),
                Matched::Duplicate => self.stray(StrayKind::Duplicate, msg),
                Matched::Unmatched => self.stray(StrayKind::Unmatched, msg),
            }
            return;
        }
        if inner.config.auto_echo && is_echo(&msg) {
            if let Some(reply) = echo_reply(&msg) {
                let _ = self.post(&reply);
            }
            return;
        }
        match inner.handler.request(msg, self) {
            Reply::None => {}
            Reply::Now(reply) => {
                let _ = self.post(&reply);
            }
            Reply::Later(fut) => {
                let conn = self.clone();
                inner.replies.spawn(async move {
                    if let Some(reply) = fut.await {
                        let _ = conn.post(&reply);
                    }
                });
            }
        }
    }
}
