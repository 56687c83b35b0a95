//! The length header in front of each frame.

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt;
use core::str::FromStr;

use bytes::{BufMut, BytesMut};

use crate::framing::error::FramingErrorKind;

/// How the payload length is written in front of each frame.
///
/// The length always counts the bytes after the header (the header excludes itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LengthHeader {
    /// 2-byte binary, big-endian (jPOS `NACChannel`, CUP terminals). CLI name `len2`.
    Len2Be,
    /// 2-byte binary, little-endian. CLI name `len2le`.
    Len2Le,
    /// 2 bytes of packed BCD, `0..=9999`. CLI name `len2bcd`.
    Len2Bcd,
    /// 4 ASCII decimal digits, `0000..=9999` (jPOS `ASCIIChannel`). CLI name `len4ascii`.
    Len4Ascii,
    /// No header: a frame is everything until the end of the stream. CLI name `none`.
    None,
}

impl LengthHeader {
    /// Every header kind, in CLI order.
    pub const ALL: [LengthHeader; 5] = [
        LengthHeader::Len2Be,
        LengthHeader::Len2Le,
        LengthHeader::Len2Bcd,
        LengthHeader::Len4Ascii,
        LengthHeader::None,
    ];

    /// Size of the header itself in bytes.
    pub const fn size(self) -> usize {
        match self {
            LengthHeader::Len2Be | LengthHeader::Len2Le | LengthHeader::Len2Bcd => 2,
            LengthHeader::Len4Ascii => 4,
            LengthHeader::None => 0,
        }
    }

    /// Largest payload length the header can express (`usize::MAX` for [`LengthHeader::None`]).
    pub const fn max_len(self) -> usize {
        match self {
            LengthHeader::Len2Be | LengthHeader::Len2Le => 0xFFFF,
            LengthHeader::Len2Bcd | LengthHeader::Len4Ascii => 9999,
            LengthHeader::None => usize::MAX,
        }
    }

    /// The CLI name (`len2`, `len2le`, `len2bcd`, `len4ascii`, `none`).
    pub const fn name(self) -> &'static str {
        match self {
            LengthHeader::Len2Be => "len2",
            LengthHeader::Len2Le => "len2le",
            LengthHeader::Len2Bcd => "len2bcd",
            LengthHeader::Len4Ascii => "len4ascii",
            LengthHeader::None => "none",
        }
    }

    /// Reads the announced payload length from the start of `bytes`.
    ///
    /// Returns `Ok(None)` when fewer than [`size`](Self::size) bytes are given, and always for
    /// [`LengthHeader::None`] (which announces nothing). A non-digit in a BCD or ASCII header is
    /// [`FramingErrorKind::BadHeader`].
    pub fn decode_len(self, bytes: &[u8]) -> Result<Option<usize>, FramingErrorKind> {
        let bad = |byte| FramingErrorKind::BadHeader { header: self, byte };
        match self {
            LengthHeader::Len2Be => Ok(take2(bytes).map(|b| usize::from(u16::from_be_bytes(b)))),
            LengthHeader::Len2Le => Ok(take2(bytes).map(|b| usize::from(u16::from_le_bytes(b)))),
            LengthHeader::Len2Bcd => {
                let Some(pair) = take2(bytes) else {
                    return Ok(None);
                };
                let mut len = 0usize;
                for byte in pair {
                    let (hi, lo) = (byte >> 4, byte & 0x0F);
                    if hi > 9 || lo > 9 {
                        return Err(bad(byte));
                    }
                    len = len * 100 + usize::from(hi) * 10 + usize::from(lo);
                }
                Ok(Some(len))
            }
            LengthHeader::Len4Ascii => {
                let Some(digits) = bytes.get(..4) else {
                    return Ok(None);
                };
                let mut len = 0usize;
                for &byte in digits {
                    if !byte.is_ascii_digit() {
                        return Err(bad(byte));
                    }
                    len = len * 10 + usize::from(byte - b'0');
                }
                Ok(Some(len))
            }
            LengthHeader::None => Ok(None),
        }
    }

    /// Appends the header announcing `len` payload bytes to `dst`.
    ///
    /// Fails with [`FramingErrorKind::FrameTooLarge`] when `len` exceeds
    /// [`max_len`](Self::max_len); writes nothing for [`LengthHeader::None`].
    pub fn encode_len(self, len: usize, dst: &mut BytesMut) -> Result<(), FramingErrorKind> {
        if len > self.max_len() {
            return Err(FramingErrorKind::FrameTooLarge {
                len,
                max: self.max_len(),
            });
        }
        let too_large = FramingErrorKind::FrameTooLarge {
            len,
            max: self.max_len(),
        };
        match self {
            LengthHeader::Len2Be => dst.put_u16(u16::try_from(len).map_err(|_| too_large)?),
            LengthHeader::Len2Le => dst.put_u16_le(u16::try_from(len).map_err(|_| too_large)?),
            LengthHeader::Len2Bcd => {
                let d = digits4(len);
                dst.put_u8((d[0] << 4) | d[1]);
                dst.put_u8((d[2] << 4) | d[3]);
            }
            LengthHeader::Len4Ascii => {
                for digit in digits4(len) {
                    dst.put_u8(b'0' + digit);
                }
            }
            LengthHeader::None => {}
        }
        Ok(())
    }
}

/// The first two bytes of `bytes`, if present.
fn take2(bytes: &[u8]) -> Option<[u8; 2]> {
    match bytes {
        [a, b, ..] => Some([*a, *b]),
        _ => None,
    }
}

/// The four decimal digits of `n % 10000`, most significant first.
fn digits4(n: usize) -> [u8; 4] {
    let digit = |div: usize| u8::try_from((n / div) % 10).unwrap_or(0);
    [digit(1000), digit(100), digit(10), digit(1)]
}

impl fmt::Display for LengthHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A length-header name that is not one of `len2|len2le|len2bcd|len4ascii|none`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown length header {name:?}; expected one of len2, len2le, len2bcd, len4ascii, none")]
pub struct ParseLengthHeaderError {
    /// The name that was given.
    pub name: String,
}

impl FromStr for LengthHeader {
    type Err = ParseLengthHeaderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LengthHeader::ALL
            .into_iter()
            .find(|h| h.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseLengthHeaderError { name: s.to_owned() })
    }
}
