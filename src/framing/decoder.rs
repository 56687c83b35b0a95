//! Streaming frame decoder over a [`BytesMut`] receive buffer.

#[allow(unused_imports)]
use crate::prelude::*;

use bytes::{Buf, Bytes, BytesMut};

use crate::framing::config::{ErrorPolicy, FrameConfig};
use crate::framing::error::{FramingError, FramingErrorKind};
use crate::framing::header::LengthHeader;

/// One step of decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decoded {
    /// A complete frame payload (the bytes after the length header), split off the buffer
    /// without copying.
    Frame(Bytes),
    /// No complete frame yet: at least this many more bytes are needed.
    NeedMore(usize),
    /// [`ErrorPolicy::Resync`] dropped a run of bytes before a plausible header.
    Skipped(SkippedRun),
}

/// A run of bytes dropped while resynchronising.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedRun {
    /// Stream offset of the first dropped byte.
    pub offset: u64,
    /// Number of bytes dropped.
    pub len: usize,
    /// Why the first byte of the run was not accepted as a header.
    pub reason: FramingErrorKind,
}

/// Splits a byte stream into frames according to a [`FrameConfig`].
///
/// Feed received bytes into a `BytesMut` and call [`decode`](Self::decode) until it returns
/// [`Decoded::NeedMore`]; at end of stream call [`decode_eof`](Self::decode_eof) until it
/// returns `Ok(None)`. The decoder never allocates based on an untrusted length: it reserves
/// room for a frame only once its header has been checked against `max_frame`.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    config: FrameConfig,
    consumed: u64,
    skip: Option<SkippedRun>,
}

impl FrameDecoder {
    /// A decoder at stream offset 0.
    pub fn new(config: FrameConfig) -> Self {
        FrameDecoder {
            config,
            consumed: 0,
            skip: None,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &FrameConfig {
        &self.config
    }

    /// Bytes consumed from the stream so far (frames, headers and skipped bytes).
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Decodes the next frame from the front of `buf`.
    ///
    /// With [`LengthHeader::None`] this only checks `max_frame` and returns `NeedMore(1)`: the
    /// frame is returned by [`decode_eof`](Self::decode_eof).
    ///
    /// With [`ErrorPolicy::Stop`] an error leaves `buf` untouched.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Decoded, FramingError> {
        let header = self.config.header;
        if header == LengthHeader::None {
            return self.check_unframed(buf).map(|()| Decoded::NeedMore(1));
        }
        let size = header.size();
        loop {
            let Some(head) = buf.get(..size) else {
                return Ok(Decoded::NeedMore(size.saturating_sub(buf.len())));
            };
            match self.plausible_len(head) {
                Ok(len) => {
                    if let Some(run) = self.skip.take() {
                        return Ok(Decoded::Skipped(run));
                    }
                    return Ok(self.split_frame(buf, size, len));
                }
                Err(kind) => match self.config.on_error {
                    ErrorPolicy::Resync => self.skip_byte(buf, kind),
                    ErrorPolicy::Stop => {
                        return Err(FramingError {
                            offset: self.consumed,
                            kind,
                        });
                    }
                },
            }
        }
    }

    /// Decodes at end of stream: complete frames and pending skipped runs first, then
    /// `Ok(None)` once `buf` is empty.
    ///
    /// Leftover bytes that do not form a complete frame are a
    /// [`FramingErrorKind::Truncated`] (or [`FramingErrorKind::TruncatedHeader`]) error; they
    /// are removed from `buf` so the next call returns `Ok(None)`. Never returns
    /// [`Decoded::NeedMore`].
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Decoded>, FramingError> {
        let header = self.config.header;
        if header == LengthHeader::None {
            self.check_unframed(buf)?;
            if buf.is_empty() {
                return Ok(None);
            }
            let frame = buf.split().freeze();
            self.add_consumed(frame.len());
            return Ok(Some(Decoded::Frame(frame)));
        }
        match self.decode(buf)? {
            Decoded::NeedMore(_) => {}
            other => return Ok(Some(other)),
        }
        if let Some(run) = self.skip.take() {
            return Ok(Some(Decoded::Skipped(run)));
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let remaining = buf.len();
        let size = header.size();
        let kind = match buf.get(..size).map(|head| header.decode_len(head)) {
            Some(Ok(Some(announced))) => FramingErrorKind::Truncated {
                remaining: remaining.saturating_sub(size),
                announced,
            },
            _ => FramingErrorKind::TruncatedHeader {
                remaining,
                header_size: size,
            },
        };
        let offset = self.consumed;
        buf.clear();
        self.add_consumed(remaining);
        Err(FramingError { offset, kind })
    }

    /// The announced length if the header is plausible: valid digits, `1..=max_payload`.
    fn plausible_len(&self, head: &[u8]) -> Result<usize, FramingErrorKind> {
        let len =
            self.config
                .header
                .decode_len(head)?
                .ok_or(FramingErrorKind::TruncatedHeader {
                    remaining: head.len(),
                    header_size: self.config.header.size(),
                })?;
        if len == 0 {
            return Err(FramingErrorKind::ZeroLength);
        }
        let max = self.config.max_payload();
        if len > max {
            return Err(FramingErrorKind::FrameTooLarge { len, max });
        }
        Ok(len)
    }

    /// Splits off header + payload if complete, else reserves room and asks for more.
    fn split_frame(&mut self, buf: &mut BytesMut, size: usize, len: usize) -> Decoded {
        let total = size.saturating_add(len);
        if buf.len() < total {
            let missing = total - buf.len();
            // `len <= max_frame` was checked, so this reservation is bounded.
            buf.reserve(missing);
            return Decoded::NeedMore(missing);
        }
        buf.advance(size);
        let frame = buf.split_to(len).freeze();
        self.add_consumed(total);
        Decoded::Frame(frame)
    }

    /// Drops the first byte of `buf` into the current skipped run.
    fn skip_byte(&mut self, buf: &mut BytesMut, reason: FramingErrorKind) {
        buf.advance(1);
        match &mut self.skip {
            Some(run) => run.len = run.len.saturating_add(1),
            None => {
                self.skip = Some(SkippedRun {
                    offset: self.consumed,
                    len: 1,
                    reason,
                });
            }
        }
        self.add_consumed(1);
    }

    /// Headerless streams: the buffered frame may not outgrow `max_frame`.
    fn check_unframed(&self, buf: &BytesMut) -> Result<(), FramingError> {
        if buf.len() > self.config.max_frame {
            return Err(FramingError {
                offset: self.consumed,
                kind: FramingErrorKind::FrameTooLarge {
                    len: buf.len(),
                    max: self.config.max_frame,
                },
            });
        }
        Ok(())
    }

    fn add_consumed(&mut self, n: usize) {
        self.consumed = self
            .consumed
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
    }
}
