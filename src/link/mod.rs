//! The link layer (feature `tokio`): building blocks for clients and servers on a byte stream.
//!
//! - [`MessageCodec`]: a `tokio_util` codec that yields decoded owned [`Message`](crate::Message)s
//!   (or an [`Inbound::Undecodable`] naming field and offset, the stream staying in step), and
//!   returns framing errors (a length over the maximum) as errors that should close the link.
//! - [`KeyRules`]: which response answers which request (response MTI + DE 41 + DE 11 by
//!   default, per-class overrides, optional header/TPDU), read through typed getters so BCD and
//!   ASCII hosts give the same keys.
//! - [`Metrics`] and [`MetricsSnapshot`]: counters by MTI and response code, in-flight,
//!   reconnects, timeouts, late replies and a latency histogram, as a plain copy.
//! - [`LinkError`]: every link failure, with where it happened.

mod codec;
mod error;
mod key;
mod metrics;

pub use codec::{Inbound, MessageCodec};
pub use error::LinkError;
pub use key::{HeaderKey, KeyRule, KeyRules, MatchKey};
pub use metrics::{LATENCY_BUCKETS, Metrics, MetricsSnapshot};
