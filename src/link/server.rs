//! [`Server`]: accepts connections, hands each request to the [`Handler`] and writes its answer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::link::config::{LinkConfig, ServerConfig};
use crate::link::connection::Connection;
use crate::link::error::LinkError;
use crate::link::handler::Handler;
use crate::link::metrics::Metrics;

struct Inner {
    link: Arc<LinkConfig>,
    handler: Arc<dyn Handler>,
    metrics: Arc<Metrics>,
    local: SocketAddr,
    conns: Mutex<HashMap<u64, Connection>>,
    next_id: AtomicU64,
    slots: Arc<Semaphore>,
    stop: CancellationToken,
    tasks: TaskTracker,
}

/// A server: every accepted connection is a [`Connection`] whose peer requests go to the
/// handler's [`request`](Handler::request) (answered in the order they complete), whose
/// echoes are answered as configured, and on which the application can
/// [`post`](Connection::post) unsolicited messages or [`send`](Connection::send) requests of
/// its own ([`connections`](Self::connections), [`Handler::connected`]).
///
/// At most [`max_connections`](ServerConfig::max_connections) are served; one more is
/// accepted and closed at once (counted as `refused`). [`shutdown`](Self::shutdown) stops
/// accepting, lets answers in preparation go out, then closes every connection.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

impl core::fmt::Debug for Server {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Server")
            .field("local", &self.inner.local)
            .finish()
    }
}

impl Server {
    /// Binds `addr` and starts accepting.
    pub async fn bind(
        addr: impl ToSocketAddrs,
        config: ServerConfig,
        handler: Arc<dyn Handler>,
    ) -> Result<Server, LinkError> {
        let listener = TcpListener::bind(addr).await?;
        Server::serve(listener, config, handler)
    }

    /// Serves an already bound listener.
    pub fn serve(
        listener: TcpListener,
        config: ServerConfig,
        handler: Arc<dyn Handler>,
    ) -> Result<Server, LinkError> {
        let server = Server {
            inner: Arc::new(Inner {
                local: listener.local_addr()?,
                link: Arc::new(config.link),
                handler,
                metrics: Arc::new(Metrics::default()),
                conns: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(0),
                slots: Arc::new(Semaphore::new(config.max_connections)),
                stop: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }),
        };
        let s = server.clone();
        server
            .inner
            .tasks
            .spawn(async move { s.accept_loop(listener).await });
        Ok(server)
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local
    }

    /// The metrics of every connection.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// The connections open now.
    pub fn connections(&self) -> Vec<Connection> {
        self.inner
            .conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Stops accepting, waits up to `deadline` for answers the handler is still preparing,
    /// then closes every connection (flushing what is queued).
    pub async fn shutdown(&self, deadline: Duration) {
        let inner = &*self.inner;
        let end = tokio::time::Instant::now() + deadline;
        inner.stop.cancel();
        let conns = self.connections();
        for c in &conns {
            let _ = tokio::time::timeout_at(end, c.replies_done()).await;
            c.close();
        }
        for c in &conns {
            let _ = tokio::time::timeout_at(end, c.closed()).await;
            c.abort();
        }
        inner.tasks.close();
        let _ = tokio::time::timeout_at(end, inner.tasks.wait()).await;
    }

    async fn accept_loop(self, listener: TcpListener) {
        let inner = &*self.inner;
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = inner.stop.cancelled() => return,
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    inner.handler.error(&e.into(), None);
                    // Out of descriptors and the like: let the condition pass.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let Ok(slot) = Arc::clone(&inner.slots).try_acquire_owned() else {
                inner.metrics.refused();
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let (r, w) = stream.into_split();
            let conn = Connection::spawn(
                r,
                w,
                Some(peer),
                Arc::clone(&inner.link),
                Arc::clone(&inner.handler),
                Arc::clone(&inner.metrics),
            );
            let id = inner.next_id.fetch_add(1, Relaxed);
            inner
                .conns
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id, conn.clone());
            inner.handler.connected(&conn);
            let s = self.clone();
            inner.tasks.spawn(async move {
                conn.closed().await;
                s.inner
                    .conns
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&id);
                drop(slot);
            });
        }
    }
}
