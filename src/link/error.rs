//! [`LinkError`]: what can go wrong on a link, and where.

use crate::error::DecodeError;
use crate::framing::FramingError;
use crate::message::Mti;

/// An error of the link layer (client, server, pool).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// No connection could be made within the connect timeout.
    #[error("connect to {addr} timed out after {millis} ms")]
    ConnectTimeout {
        /// The address tried.
        addr: String,
        /// The timeout.
        millis: u64,
    },
    /// The transport failed (connect refused, reset, write error).
    #[error("I/O error: {0}")]
    Io(String),
    /// No answer within the request timeout.
    #[error("no response to {mti} within {millis} ms")]
    Timeout {
        /// The request's MTI.
        mti: Mti,
        /// The timeout.
        millis: u64,
    },
    /// The peer rejected the request (a reject message such as 0620, or a header reject code).
    #[error("request {request} rejected by the peer with {reject} (code {code})")]
    Rejected {
        /// The request's MTI.
        request: Mti,
        /// The reject's MTI.
        reject: Mti,
        /// The reject code (DE 39, or the header's reject code), empty when absent.
        code: String,
    },
    /// The connection went away while the request was pending.
    #[error("connection lost while {mti} was pending")]
    ConnectionLost {
        /// The request's MTI.
        mti: Mti,
    },
    /// The link is not connected (or, in a pool, no link is up and signed on).
    #[error("link is down")]
    Down,
    /// The link is shutting down and takes no new requests.
    #[error("link is shutting down")]
    ShuttingDown,
    /// `max_in_flight` requests are pending and the link is set to fail fast.
    #[error("{max} requests in flight already")]
    Busy {
        /// The configured cap.
        max: usize,
    },
    /// The request's matching key is already pending (same MTI, terminal and STAN).
    #[error("a request with the same matching key is already pending")]
    DuplicateKey,
    /// The request is not a request MTI (it has no response MTI).
    #[error("{0} is not a request: no response to wait for")]
    NotARequest(Mti),
    /// A frame did not decode as a message of the link's spec.
    #[error("undecodable frame of {len} bytes at stream offset {stream_offset}: {error}")]
    Undecodable {
        /// The decoder's error (field and byte offset inside the frame).
        error: DecodeError,
        /// The frame's length.
        len: usize,
        /// Offset of the frame's end in the connection's byte stream.
        stream_offset: u64,
    },
    /// Invalid framing (a length over the maximum, bad length digits, a truncated frame).
    #[error(transparent)]
    Framing(#[from] FramingError),
    /// A step (sign-off, drain) did not finish before its deadline.
    #[error("{0} did not finish before the deadline")]
    Deadline(&'static str),
    /// A message could not be encoded or framed for sending.
    #[error("cannot send: {0}")]
    Encode(String),
}

impl From<std::io::Error> for LinkError {
    fn from(e: std::io::Error) -> Self {
        LinkError::Io(e.to_string())
    }
}

impl From<crate::framing::CodecError> for LinkError {
    fn from(e: crate::framing::CodecError) -> Self {
        match e {
            crate::framing::CodecError::Framing(f) => LinkError::Framing(f),
            crate::framing::CodecError::Io(io) => LinkError::Io(io.to_string()),
            #[allow(unreachable_patterns)]
            other => LinkError::Io(other.to_string()),
        }
    }
}
