//! `tokio_util::codec` adapter over [`FrameDecoder`] (feature `tokio`).

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::framing::config::FrameConfig;
use crate::framing::decoder::{Decoded, FrameDecoder, SkippedRun};
use crate::framing::error::FramingError;

/// Error of [`FrameCodec`]: a framing error or an I/O error of the transport.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Invalid framing.
    #[error(transparent)]
    Framing(#[from] FramingError),
    /// The underlying transport failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// A `Decoder<Item = Bytes>` / `Encoder<Bytes>` / `Encoder<&[u8]>` for length-prefixed frames.
///
/// Runs dropped under [`ErrorPolicy::Resync`](crate::framing::ErrorPolicy::Resync) cannot be
/// returned through `Decoder`, so they are counted instead.
#[derive(Debug, Clone)]
pub struct FrameCodec {
    decoder: FrameDecoder,
    skipped_runs: u64,
    skipped_bytes: u64,
}

impl FrameCodec {
    /// A codec for `config`.
    pub fn new(config: FrameConfig) -> Self {
        FrameCodec {
            decoder: FrameDecoder::new(config),
            skipped_runs: 0,
            skipped_bytes: 0,
        }
    }

    /// The underlying decoder (for its config and stream offset).
    pub fn decoder(&self) -> &FrameDecoder {
        &self.decoder
    }

    /// Number of runs of garbage skipped while resynchronising.
    pub fn skipped_runs(&self) -> u64 {
        self.skipped_runs
    }

    /// Total bytes skipped while resynchronising.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped_bytes
    }

    fn note(&mut self, run: SkippedRun) {
        self.skipped_runs = self.skipped_runs.saturating_add(1);
        let len = u64::try_from(run.len).unwrap_or(u64::MAX);
        self.skipped_bytes = self.skipped_bytes.saturating_add(len);
    }
}

impl Decoder for FrameCodec {
    type Item = Bytes;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        loop {
            match self.decoder.decode(src)? {
                Decoded::Frame(frame) => return Ok(Some(frame)),
                Decoded::Skipped(run) => self.note(run),
                Decoded::NeedMore(_) => return Ok(None),
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        loop {
            match self.decoder.decode_eof(src)? {
                Some(Decoded::Frame(frame)) => return Ok(Some(frame)),
                Some(Decoded::Skipped(run)) => self.note(run),
                Some(Decoded::NeedMore(_)) | None => return Ok(None),
            }
        }
    }
}

impl Encoder<Bytes> for FrameCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        Ok(self.decoder.config().encode(&item, dst)?)
    }
}

impl<'a> Encoder<&'a [u8]> for FrameCodec {
    type Error = CodecError;

    fn encode(&mut self, item: &'a [u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        Ok(self.decoder.config().encode(item, dst)?)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::framing::{ErrorPolicy, LengthHeader};

    #[test]
    fn decodes_chunked_stream_and_counts_skips() {
        let config = FrameConfig::new(LengthHeader::Len4Ascii).with_policy(ErrorPolicy::Resync);
        let mut codec = FrameCodec::new(config);
        let mut wire = BytesMut::new();
        codec
            .encode(Bytes::from_static(b"first"), &mut wire)
            .unwrap();
        wire.extend_from_slice(b"xx");
        codec.encode(&b"second"[..], &mut wire).unwrap();
        let stream = wire.freeze();

        let mut buf = BytesMut::new();
        let mut frames = Vec::new();
        for chunk in stream.chunks(3) {
            buf.extend_from_slice(chunk);
            while let Some(frame) = codec.decode(&mut buf).unwrap() {
                frames.push(frame);
            }
        }
        while let Some(frame) = codec.decode_eof(&mut buf).unwrap() {
            frames.push(frame);
        }
        assert_eq!(
            frames,
            vec![Bytes::from_static(b"first"), Bytes::from_static(b"second")]
        );
        assert_eq!(codec.skipped_runs(), 1);
        assert_eq!(codec.skipped_bytes(), 2);
        assert_eq!(codec.decoder().consumed(), stream.len() as u64);
    }

    #[test]
    fn truncated_eof_is_framing_error() {
        let mut codec = FrameCodec::new(FrameConfig::new(LengthHeader::Len2Be));
        let mut buf = BytesMut::from(&b"\x00\x05abc"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        match codec.decode_eof(&mut buf) {
            Err(CodecError::Framing(e)) => assert_eq!(
                e.kind,
                crate::framing::FramingErrorKind::Truncated {
                    remaining: 3,
                    announced: 5
                }
            ),
            other => panic!("unexpected {other:?}"),
        }
        let io: CodecError = std::io::Error::other("boom").into();
        assert!(matches!(io, CodecError::Io(_)));
    }

    #[test]
    fn encoder_rejects_oversized_payload() {
        let config = FrameConfig::new(LengthHeader::Len2Be).with_max_frame(4);
        let mut codec = FrameCodec::new(config);
        let mut dst = BytesMut::new();
        let err = codec.encode(&b"12345"[..], &mut dst).unwrap_err();
        match err {
            CodecError::Framing(e) => assert_eq!(
                e.kind,
                crate::framing::FramingErrorKind::FrameTooLarge { len: 5, max: 4 }
            ),
            other => panic!("unexpected {other:?}"),
        }
        assert!(dst.is_empty());
    }
}
