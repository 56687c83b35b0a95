//! The link layer (feature `tokio`): clients, servers and pools that carry ISO 8583 messages
//! over TCP (or TLS, with the `tls` feature).
//!
//! - [`Client`]: connects with a timeout, signs on through the [`Handler`], sends requests and
//!   matches their responses by key, keeps alive with echoes, reconnects with backoff and
//!   jitter, caps requests in flight, and shuts down gracefully.
//! - [`Server`]: accepts connections up to a cap, hands each request to the [`Handler`] and
//!   writes its answer; any accepted [`Connection`] can also send unsolicited messages.
//! - [`Pool`]: one `send` over several clients, round-robin over those signed on, failing over.
//! - [`driver::TerminalDriver`]: a terminal's client tied to its journal: requests journaled
//!   before they leave, reversals sent (and repeated) before any new financial request.
//! - [`Connection`]: one live link, client or server side alike.
//! - [`MessageCodec`]: a `tokio_util` codec that yields decoded owned [`Message`](crate::Message)s
//!   (or an [`Inbound::Undecodable`] naming field and offset, the stream staying in step), and
//!   returns framing errors (a length over the maximum) as errors that close the link.
//! - [`KeyRules`]: which response answers which request (response MTI + DE 41 + DE 11 by
//!   default, per-class overrides, optional header/TPDU), read through typed getters so BCD and
//!   ASCII hosts give the same keys.
//! - [`Metrics`] and [`MetricsSnapshot`]: counters by MTI and response code, in-flight,
//!   reconnects, timeouts, late replies, failed TLS handshakes and a latency histogram, as a
//!   plain copy.
//! - [`LinkError`]: every link failure, with where it happened.
//! - With the `tls` feature, `ClientTls`, `ServerTls` and `TlsIdentity` (module `tls`): the
//!   same client, server and pool over TLS (tokio-rustls on the `ring` provider), mutual TLS
//!   included, with a handshake timeout on the server.
//!
//! What does not answer a waiting caller is never dropped silently: late responses (after
//! their request timed out), duplicates and unmatched messages go to [`Handler::stray`];
//! undecodable frames (the connection survives, unless [`OnUndecodable::Close`]) and framing
//! errors (the connection closes; other connections are unaffected) go to
//! [`Handler::error`]; all of them are counted in [`Metrics`]. A reject (0620, or a header
//! reject code, per [`RejectRule`]) ends the caller's wait with [`LinkError::Rejected`].

mod client;
mod codec;
mod config;
mod connection;
pub mod driver;
mod error;
pub mod faults;
mod handler;
mod key;
pub mod load;
mod metrics;
mod outbox;
mod pending;
mod pool;
mod server;
mod slots;
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub mod tls;

pub use client::{Client, LinkState};
pub use codec::{Inbound, MessageCodec};
pub use config::{
    Backoff, ClientConfig, HeaderCode, LinkConfig, OnUndecodable, RejectRule, ServerConfig,
    WhenFull,
};
pub use connection::Connection;
pub use error::LinkError;
pub use handler::{BoxFuture, Handler, NoHandler, Reply, Stray, StrayKind, echo_request};
pub use key::{HeaderKey, KeyRule, KeyRules, MatchKey};
pub use metrics::{LATENCY_BUCKETS, Metrics, MetricsSnapshot};
#[doc(hidden)]
pub use pending::MatchBench;
pub use pool::Pool;
pub use server::Server;
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use tls::{ClientTls, ServerTls, TlsIdentity};
/// The `rustls` crate the link's TLS is built on (feature `tls`), for configs of your own
/// ([`ClientTls::new`], [`ServerTls::new`]).
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use tokio_rustls::rustls;
