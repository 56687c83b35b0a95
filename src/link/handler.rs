//! [`Handler`]: what an application does with what arrives on a link besides the answers to
//! its own requests: the peer's requests, strays (late, duplicate, unmatched), errors, and the
//! sign-on/sign-off and keep-alive hooks of a client.

use std::future::Future;
use std::pin::Pin;

use crate::link::connection::Connection;
use crate::link::error::LinkError;
use crate::message::{Message, MessageBuilder};

/// A boxed future, as the hooks return them.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The handler's answer to a peer's request.
#[non_exhaustive]
pub enum Reply {
    /// Nothing is sent back.
    None,
    /// This message is sent back at once.
    Now(Message),
    /// The future's message (if any) is sent back when it is ready; the connection keeps
    /// reading meanwhile (other requests are handled concurrently).
    Later(BoxFuture<Option<Message>>),
}

impl core::fmt::Debug for Reply {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Reply::None => f.write_str("None"),
            Reply::Now(m) => write!(f, "Now({})", m.mti()),
            Reply::Later(_) => f.write_str("Later(..)"),
        }
    }
}

/// Why a received message reached [`Handler::stray`] instead of a waiting caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StrayKind {
    /// The response came after its request timed out.
    Late,
    /// A second response to a request that was answered already.
    Duplicate,
    /// A response (or reject) that matches no request this connection remembers.
    Unmatched,
}

/// A received message no caller was waiting for.
#[derive(Debug, Clone)]
pub struct Stray {
    /// Why.
    pub kind: StrayKind,
    /// The message.
    pub message: Message,
}

/// What an application does with what arrives on a link besides the answers to its own
/// requests. Every method has a default; strays and errors are always counted in the link's
/// [`Metrics`](crate::link::Metrics) as well.
pub trait Handler: Send + Sync + 'static {
    /// A request, advice or notification from the peer (echo tests are answered before this
    /// when [`LinkConfig::auto_echo`](crate::link::LinkConfig::auto_echo) is on). Default: no
    /// answer.
    fn request(&self, request: Message, conn: &Connection) -> Reply {
        let _ = (request, conn);
        Reply::None
    }

    /// A response nobody was waiting for (late, duplicate, unmatched). Default: nothing
    /// beyond the metrics.
    fn stray(&self, stray: Stray, conn: &Connection) {
        let _ = (stray, conn);
    }

    /// An undecodable frame (the connection survives unless configured otherwise), a framing
    /// error (the connection closes) or a transport error. Default: nothing beyond the
    /// metrics.
    /// `conn` is `None` for errors before a connection exists (a failed connect).
    fn error(&self, error: &LinkError, conn: Option<&Connection>) {
        let _ = (error, conn);
    }

    /// A server accepted `conn` (servers only).
    fn connected(&self, conn: &Connection) {
        let _ = conn;
    }

    /// A client's new connection is up: sign on here (the client takes no requests until this
    /// succeeds; an error closes the connection and the client tries again). Default: nothing
    /// to do.
    fn sign_on(&self, conn: Connection) -> BoxFuture<Result<(), LinkError>> {
        let _ = conn;
        Box::pin(async { Ok(()) })
    }

    /// A client is shutting down and its in-flight requests are done: sign off here.
    /// Default: nothing to do.
    fn sign_off(&self, conn: Connection) -> BoxFuture<Result<(), LinkError>> {
        let _ = conn;
        Box::pin(async { Ok(()) })
    }

    /// The keep-alive echo to send with STAN `stan`, or `None` when the link has none.
    /// Default: 0800 with DE 11 and DE 70 `301` (and DE 41 / DE 7 are not set).
    fn echo(&self, stan: u32, conn: &Connection) -> Option<Message> {
        echo_request(conn, stan)
    }
}

/// A handler that answers nothing and leaves strays and errors to the metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHandler;

impl Handler for NoHandler {}

/// 0800 with DE 11 `stan` and DE 70 `301` in the connection's spec, if the spec can carry it.
pub fn echo_request(conn: &Connection, stan: u32) -> Option<Message> {
    let spec = &conn.config().spec;
    let mut b = MessageBuilder::new(spec);
    b.mti("0800").ok()?;
    let stan = format!("{:06}", stan % 1_000_000);
    b.set(11, stan.as_str()).ok()?;
    b.set(70, "301").ok()?;
    let bytes = b.encode_to_vec().ok()?;
    Message::decode(spec, bytes::Bytes::from(bytes)).ok()
}

/// Whether `msg` is an echo test (0800 with DE 70 `301`).
pub(crate) fn is_echo(msg: &Message) -> bool {
    msg.mti().as_str() == "0800"
        && msg
            .field(70)
            .and_then(|f| f.to_u64())
            .is_some_and(|c| c == 301)
}

/// The 0810 answer to an echo: its header (TPDU swapped when it is a POS header), DE 7, 11,
/// 41 and 70 copied, DE 39 `00`.
pub(crate) fn echo_reply(msg: &Message) -> Option<Message> {
    let spec = msg.spec();
    let view = msg.view();
    let mut b = MessageBuilder::new(spec);
    b.set_mti(msg.mti().response()?);
    let header = view.header();
    if !header.is_empty() {
        let reply = match crate::framing::PosHeader::parse(header) {
            Ok(h) if header.len() == crate::framing::PosHeader::LEN => {
                h.reply().to_bytes().to_vec()
            }
            _ => header.to_vec(),
        };
        b.header_owned(reply).ok()?;
    }
    for n in [7, 11, 41, 70] {
        if let Some(f) = view.field(n) {
            b.set(n, f).ok()?;
        }
    }
    b.set(39, "00").ok()?;
    let bytes = b.encode_to_vec().ok()?;
    Message::decode(spec, bytes::Bytes::from(bytes)).ok()
}
