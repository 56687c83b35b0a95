//! Length-prefixed framing of ISO 8583 messages on a byte stream.
//!
//! A message on the wire is `[length header][payload]`; the header counts the payload bytes
//! only (it excludes itself). The payload usually starts with a 5-byte [`Tpdu`], which is *not*
//! part of framing: the decoder hands out everything after the length header.
//!
//! ```
//! use bytes::BytesMut;
//! use iso8583_wire::framing::{encode_frame, Decoded, FrameConfig, FrameDecoder, LengthHeader};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut wire = BytesMut::new();
//! encode_frame(LengthHeader::Len2Be, b"\x60\x00\x03\x00\x00hello", &mut wire)?;
//! let mut decoder = FrameDecoder::new(FrameConfig::new(LengthHeader::Len2Be));
//! match decoder.decode(&mut wire)? {
//!     Decoded::Frame(frame) => assert_eq!(&frame[5..], b"hello"),
//!     other => panic!("unexpected {other:?}"),
//! }
//! # Ok(())
//! # }
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

mod config;
mod decoder;
mod encoder;
mod error;
mod header;
mod pos_header;
#[cfg(feature = "tokio")]
mod tokio_codec;
mod tpdu;

#[cfg(test)]
mod tests;

pub use config::{DEFAULT_MAX_FRAME, ErrorPolicy, FrameConfig};
pub use decoder::{Decoded, FrameDecoder, SkippedRun};
pub use encoder::encode_frame;
pub use error::{FramingError, FramingErrorKind};
pub use header::{LengthHeader, ParseLengthHeaderError};
pub use pos_header::{PosHeader, PosHeaderTooShort};
#[cfg(feature = "tokio")]
pub use tokio_codec::{CodecError, FrameCodec};
pub use tpdu::{Tpdu, TpduTooShort};
