//! Framing configuration: header kind, size limit and error policy.

#[allow(unused_imports)]
use crate::prelude::*;

use bytes::BytesMut;

use crate::framing::encoder::encode_checked;
use crate::framing::error::FramingError;
use crate::framing::header::LengthHeader;

/// Default `max_frame`: 65 535 bytes (also the largest 2-byte binary length).
pub const DEFAULT_MAX_FRAME: usize = 0xFFFF;

/// What the decoder does with an implausible length header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ErrorPolicy {
    /// Return the error; the buffer is left untouched and every later call fails the same way.
    #[default]
    Stop,
    /// Drop one byte at a time until a plausible header (valid digits, `1..=max_frame`) is
    /// found; each dropped run is reported as [`Decoded::Skipped`](crate::framing::Decoded).
    Resync,
}

/// How frames are delimited on a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameConfig {
    /// The length header kind.
    pub header: LengthHeader,
    /// Largest accepted payload length (bytes after the header).
    pub max_frame: usize,
    /// What to do with an implausible header.
    pub on_error: ErrorPolicy,
}

impl FrameConfig {
    /// A config for `header` with `max_frame = min(header.max_len(), DEFAULT_MAX_FRAME)` and
    /// [`ErrorPolicy::Stop`].
    pub const fn new(header: LengthHeader) -> Self {
        let max = header.max_len();
        FrameConfig {
            header,
            max_frame: if max < DEFAULT_MAX_FRAME {
                max
            } else {
                DEFAULT_MAX_FRAME
            },
            on_error: ErrorPolicy::Stop,
        }
    }

    /// Returns the config with `max_frame` replaced.
    pub const fn with_max_frame(mut self, max_frame: usize) -> Self {
        self.max_frame = max_frame;
        self
    }

    /// Returns the config with the error policy replaced.
    pub const fn with_policy(mut self, on_error: ErrorPolicy) -> Self {
        self.on_error = on_error;
        self
    }

    /// Effective payload limit: the smaller of `max_frame` and what the header can express.
    pub const fn max_payload(&self) -> usize {
        let max = self.header.max_len();
        if self.max_frame < max {
            self.max_frame
        } else {
            max
        }
    }

    /// Appends `header + payload` to `dst`, enforcing [`max_payload`](Self::max_payload).
    ///
    /// On error nothing is written; the error offset is `dst.len()`.
    pub fn encode(&self, payload: &[u8], dst: &mut BytesMut) -> Result<(), FramingError> {
        encode_checked(self.header, self.max_payload(), payload, dst)
    }
}

impl Default for FrameConfig {
    /// `len2` (2-byte big-endian), 65 535 bytes max, stop on error.
    fn default() -> Self {
        FrameConfig::new(LengthHeader::Len2Be)
    }
}
