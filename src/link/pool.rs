//! [`Pool`]: one `send` over several [`Client`]s (same or different hosts).

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use crate::link::client::Client;
use crate::link::error::LinkError;
use crate::message::Message;

/// Round-robin over clients that are connected and signed on, failing over to the next when
/// one refuses a request before sending it.
///
/// A request goes to the next ready client in turn; clients that are down, reconnecting or
/// signing on are skipped. When the chosen client refuses without sending
/// ([`LinkError::Down`], [`LinkError::ShuttingDown`], [`LinkError::Busy`]) the next one is
/// tried. Once a request has left ([`LinkError::Timeout`], [`LinkError::ConnectionLost`],
/// a reject) it is never sent again by the pool: whether the host acted on it is for the
/// caller (a reversal, for a financial request) to settle.
#[derive(Debug)]
pub struct Pool {
    clients: Vec<Client>,
    next: AtomicUsize,
}

impl Pool {
    /// A pool over `clients`.
    pub fn new(clients: Vec<Client>) -> Pool {
        Pool {
            clients,
            next: AtomicUsize::new(0),
        }
    }

    /// The clients.
    pub fn clients(&self) -> &[Client] {
        &self.clients
    }

    /// How many clients take requests now.
    pub fn ready(&self) -> usize {
        self.clients.iter().filter(|c| c.is_ready()).count()
    }

    /// Sends `request` on the next ready client (see the type's docs).
    pub async fn send(&self, request: Message) -> Result<Message, LinkError> {
        let n = self.clients.len();
        let start = self.next.fetch_add(1, Relaxed);
        let mut refused = LinkError::Down;
        for k in 0..n {
            let Some(client) = self.clients.get((start + k) % n) else {
                break;
            };
            if !client.is_ready() {
                continue;
            }
            match client.send(request.clone()).await {
                Err(e @ (LinkError::Down | LinkError::ShuttingDown | LinkError::Busy { .. })) => {
                    refused = e;
                }
                outcome => return outcome,
            }
        }
        Err(refused)
    }

    /// Shuts every client down (see [`Client::shutdown`]), concurrently.
    pub async fn shutdown(&self, deadline: Duration) {
        let mut tasks = Vec::new();
        for c in &self.clients {
            let c = c.clone();
            tasks.push(tokio::spawn(async move { c.shutdown(deadline).await }));
        }
        for t in tasks {
            let _ = t.await;
        }
    }
}
