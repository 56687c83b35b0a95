//! The 5-byte TPDU that prefixes most POS messages (`60 DDDD SSSS`).

#[allow(unused_imports)]
use crate::prelude::*;

use bytes::{BufMut, Bytes, BytesMut};

/// Transport Protocol Data Unit: an id byte (normally `0x60`) and two 2-byte NIIs.
///
/// The NIIs are kept raw (big-endian `u16` of the two wire bytes, e.g. `0x0003` for
/// `00 03`), since they are BCD by convention but not validated. A host replies with
/// [`swap`](Self::swap)ped addresses (jPOS `NACChannel` `tpduSwap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tpdu {
    /// TPDU id, `0x60` for a standard TPDU.
    pub id: u8,
    /// Destination NII, raw wire bytes as big-endian.
    pub destination: u16,
    /// Source (originator) NII, raw wire bytes as big-endian.
    pub source: u16,
}

/// Fewer than 5 bytes where a TPDU was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a TPDU needs 5 bytes, only {available} available")]
pub struct TpduTooShort {
    /// Bytes that were available.
    pub available: usize,
}

impl Tpdu {
    /// Wire size of a TPDU.
    pub const LEN: usize = 5;
    /// The standard TPDU id.
    pub const STANDARD_ID: u8 = 0x60;

    /// A standard (`0x60`) TPDU.
    pub const fn new(destination: u16, source: u16) -> Self {
        Tpdu {
            id: Self::STANDARD_ID,
            destination,
            source,
        }
    }

    /// Reads a TPDU from its 5 wire bytes.
    pub const fn from_bytes(b: [u8; 5]) -> Self {
        Tpdu {
            id: b[0],
            destination: u16::from_be_bytes([b[1], b[2]]),
            source: u16::from_be_bytes([b[3], b[4]]),
        }
    }

    /// The 5 wire bytes.
    pub const fn to_bytes(self) -> [u8; 5] {
        let d = self.destination.to_be_bytes();
        let s = self.source.to_be_bytes();
        [self.id, d[0], d[1], s[0], s[1]]
    }

    /// Reads a TPDU from the front of `bytes`, returning it and the rest.
    pub fn parse(bytes: &[u8]) -> Result<(Self, &[u8]), TpduTooShort> {
        match bytes.split_first_chunk::<5>() {
            Some((head, rest)) => Ok((Self::from_bytes(*head), rest)),
            None => Err(TpduTooShort {
                available: bytes.len(),
            }),
        }
    }

    /// Splits a TPDU off the front of a frame without copying the rest.
    pub fn split_off(frame: &mut Bytes) -> Result<Self, TpduTooShort> {
        let (tpdu, _) = Self::parse(frame)?;
        let _ = frame.split_to(Self::LEN);
        Ok(tpdu)
    }

    /// Appends the 5 wire bytes to `dst`.
    pub fn write(self, dst: &mut BytesMut) {
        dst.put_slice(&self.to_bytes());
    }

    /// The TPDU for the reply: destination and source exchanged.
    #[must_use]
    pub const fn swap(self) -> Self {
        Tpdu {
            id: self.id,
            destination: self.source,
            source: self.destination,
        }
    }
}
