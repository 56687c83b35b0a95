//! The 11 bytes UnionPay-style POS messages carry ahead of the MTI: a TPDU and a 6-byte header.
//!
//! Header layout, as UnionPay terminals send it: byte 1 application type (`0x60` magstripe
//! financial, `0x61` IC), byte 2 software/spec version (`0x31`), byte 3 terminal status in the
//! high nibble and the host's processing requirement in the low nibble, bytes 4-6 the
//! application version in BCD.

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt;

use super::Tpdu;

/// The TPDU plus the 6-byte CUP header, as typed values.
///
/// ```
/// use iso8583_wire::framing::{PosHeader, Tpdu};
/// let raw = [0x60, 0x00, 0x03, 0x00, 0x00, 0x60, 0x31, 0x00, 0x31, 0x01, 0x02];
/// let h = PosHeader::parse(&raw).unwrap();
/// assert_eq!(h.tpdu, Tpdu::new(0x0003, 0x0000));
/// assert_eq!(h.app_version_digits(), "310102");
/// let reply = h.reply();
/// assert_eq!(reply.tpdu.destination, 0x0000);
/// assert_eq!(reply.tpdu.source, 0x0003);
/// assert_eq!(reply.to_bytes()[..5], [0x60, 0x00, 0x00, 0x00, 0x03]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PosHeader {
    /// Transport protocol data unit (routing by NII).
    pub tpdu: Tpdu,
    /// Application type: `0x60` POS financial (magstripe), `0x61` IC.
    pub app_type: u8,
    /// Software / specification version, e.g. `0x31`.
    pub version: u8,
    /// Terminal status (high nibble of byte 3): 0 normal, 1 test.
    pub terminal_status: u8,
    /// Processing requirement set by the host (low nibble of byte 3).
    pub processing: u8,
    /// Application version, three bytes of BCD.
    pub app_version: [u8; 3],
}

/// The input is shorter than the 11 bytes of a TPDU plus header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("POS header needs 11 bytes, got {got}")]
pub struct PosHeaderTooShort {
    /// Bytes available.
    pub got: usize,
}

impl PosHeader {
    /// Bytes on the wire.
    pub const LEN: usize = 11;

    /// Reads the first 11 bytes of `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<Self, PosHeaderTooShort> {
        let raw: &[u8; 11] = bytes
            .get(..Self::LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(PosHeaderTooShort { got: bytes.len() })?;
        let [t0, t1, t2, t3, t4, app_type, version, status, v0, v1, v2] = *raw;
        Ok(Self {
            tpdu: Tpdu::from_bytes([t0, t1, t2, t3, t4]),
            app_type,
            version,
            terminal_status: status >> 4,
            processing: status & 0x0F,
            app_version: [v0, v1, v2],
        })
    }

    /// The 11 wire bytes.
    pub fn to_bytes(&self) -> [u8; 11] {
        let [t0, t1, t2, t3, t4] = self.tpdu.to_bytes();
        let [v0, v1, v2] = self.app_version;
        [
            t0,
            t1,
            t2,
            t3,
            t4,
            self.app_type,
            self.version,
            (self.terminal_status << 4) | (self.processing & 0x0F),
            v0,
            v1,
            v2,
        ]
    }

    /// The header of the host's reply: TPDU destination and source swapped, rest kept.
    pub fn reply(&self) -> Self {
        Self {
            tpdu: self.tpdu.swap(),
            ..*self
        }
    }

    /// The application version as six digits.
    pub fn app_version_digits(&self) -> String {
        self.app_version
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }
}

impl fmt::Display for PosHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TPDU {:02X} dst {:04X} src {:04X}, app {:02X} ver {:02X} status {} req {} appver {}",
            self.tpdu.id,
            self.tpdu.destination,
            self.tpdu.source,
            self.app_type,
            self.version,
            self.terminal_status,
            self.processing,
            self.app_version_digits()
        )
    }
}
