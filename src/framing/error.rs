//! Framing errors: what went wrong and at which stream offset.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::framing::header::LengthHeader;

/// A framing failure located in the byte stream.
///
/// `offset` counts the bytes the decoder had consumed before the failing frame, i.e. it is the
/// stream offset of the offending length header. Frame payloads are never copied into errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("framing error at stream byte {offset}: {kind}")]
pub struct FramingError {
    /// Stream offset (bytes from the start of the stream) of the frame that failed.
    pub offset: u64,
    /// What went wrong.
    pub kind: FramingErrorKind,
}

/// The kind of a [`FramingError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FramingErrorKind {
    /// A BCD or ASCII length header holds a byte that is not a decimal digit.
    #[error("bad {header} length header: byte 0x{byte:02x} is not a decimal digit")]
    BadHeader {
        /// The header kind being read.
        header: LengthHeader,
        /// The first offending byte.
        byte: u8,
    },
    /// The announced (or given) frame length exceeds the configured or encodable maximum.
    #[error("frame of {len} bytes exceeds the maximum of {max} bytes")]
    FrameTooLarge {
        /// Announced or given payload length.
        len: usize,
        /// The limit it exceeds.
        max: usize,
    },
    /// A length header announcing zero bytes (or an empty payload to encode).
    #[error("zero-length frame")]
    ZeroLength,
    /// The stream ended inside a frame payload.
    #[error("stream ended inside a frame: {remaining} bytes left of {announced} announced")]
    Truncated {
        /// Bytes left after the header when the stream ended.
        remaining: usize,
        /// Payload length the header announced.
        announced: usize,
    },
    /// The stream ended inside a length header.
    #[error("stream ended inside a length header: {remaining} of {header_size} header bytes")]
    TruncatedHeader {
        /// Header bytes present when the stream ended.
        remaining: usize,
        /// Size of a complete header.
        header_size: usize,
    },
}
