//! IPv4 and IPv6 decoding down to the transport payload.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IP protocol number of TCP.
const PROTO_TCP: u8 = 6;

/// A TCP-carrying IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpTcp<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// The captured part of the TCP header and data.
    pub payload: &'a [u8],
    /// Bytes the IP header announces beyond what was captured (snap length).
    pub missing: usize,
}

/// What an IP packet turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpOutcome<'a> {
    /// TCP: decode further.
    Tcp(IpTcp<'a>),
    /// Another transport (UDP, ICMP, …).
    NotTcp,
    /// A fragment (not reassembled).
    Fragment,
    /// An IPv6 extension header this decoder cannot walk (ESP, mobility, …) or a jumbogram.
    Unsupported,
    /// A header is cut short or inconsistent.
    Malformed,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let pair = b.get(at..at.checked_add(2)?)?.first_chunk::<2>()?;
    Some(u16::from_be_bytes(*pair))
}

/// Limits `packet` to the length its header announces; returns the body and the bytes missing.
///
/// A zero length (TCP segmentation offload, IPv6 jumbograms) means "what was captured".
fn bound(packet: &[u8], header_len: usize, total: usize) -> Option<(&[u8], usize)> {
    let total = if total == 0 { packet.len() } else { total };
    let end = total.min(packet.len());
    let body = packet.get(header_len..end)?;
    Some((body, total - end))
}

/// Decodes an IPv4 packet (options skipped, fragments reported).
pub(crate) fn ipv4(packet: &[u8]) -> IpOutcome<'_> {
    let (Some(&first), Some(&proto), Some(total), Some(frag)) = (
        packet.first(),
        packet.get(9),
        be16(packet, 2),
        be16(packet, 6),
    ) else {
        return IpOutcome::Malformed;
    };
    let header_len = usize::from(first & 0x0F) * 4;
    let (Some(src), Some(dst)) = (
        packet.get(12..16).and_then(|b| b.first_chunk::<4>()),
        packet.get(16..20).and_then(|b| b.first_chunk::<4>()),
    ) else {
        return IpOutcome::Malformed;
    };
    let total = usize::from(total);
    if first >> 4 != 4 || header_len < 20 || (total != 0 && total < header_len) {
        return IpOutcome::Malformed;
    }
    let more_fragments = frag & 0x2000 != 0;
    let fragment_offset = frag & 0x1FFF;
    if more_fragments || fragment_offset != 0 {
        return IpOutcome::Fragment;
    }
    if proto != PROTO_TCP {
        return IpOutcome::NotTcp;
    }
    match bound(packet, header_len, total) {
        Some((payload, missing)) => IpOutcome::Tcp(IpTcp {
            src: IpAddr::V4(Ipv4Addr::from(*src)),
            dst: IpAddr::V4(Ipv4Addr::from(*dst)),
            payload,
            missing,
        }),
        None => IpOutcome::Malformed,
    }
}

/// IPv6 next-header values.
const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const ESP: u8 = 50;
const AUTH: u8 = 51;
const DEST_OPTS: u8 = 60;
const MOBILITY: u8 = 135;
const HIP: u8 = 139;
const SHIM6: u8 = 140;

/// Decodes an IPv6 packet, walking the extension headers it can.
pub(crate) fn ipv6(packet: &[u8]) -> IpOutcome<'_> {
    let (Some(&first), Some(payload_len), Some(&next), Some(src), Some(dst)) = (
        packet.first(),
        be16(packet, 4),
        packet.get(6),
        packet.get(8..24).and_then(|b| b.first_chunk::<16>()),
        packet.get(24..40).and_then(|b| b.first_chunk::<16>()),
    ) else {
        return IpOutcome::Malformed;
    };
    if first >> 4 != 6 {
        return IpOutcome::Malformed;
    }
    let total = match usize::from(payload_len) {
        0 => 0,
        n => n + 40,
    };
    let Some((mut body, missing)) = bound(packet, 40, total) else {
        return IpOutcome::Malformed;
    };
    let mut next = next;
    loop {
        let ext_len = match next {
            PROTO_TCP => {
                return IpOutcome::Tcp(IpTcp {
                    src: IpAddr::V6(Ipv6Addr::from(*src)),
                    dst: IpAddr::V6(Ipv6Addr::from(*dst)),
                    payload: body,
                    missing,
                });
            }
            HOP_BY_HOP | ROUTING | DEST_OPTS => body.get(1).map(|&n| (usize::from(n) + 1) * 8),
            AUTH => body.get(1).map(|&n| (usize::from(n) + 2) * 4),
            FRAGMENT => {
                let Some(frag) = be16(body, 2) else {
                    return IpOutcome::Malformed;
                };
                // An "atomic" fragment (offset 0, no more fragments) is a whole packet.
                if frag & 0xFFF9 != 0 {
                    return IpOutcome::Fragment;
                }
                Some(8)
            }
            ESP | MOBILITY | HIP | SHIM6 => return IpOutcome::Unsupported,
            _ => return IpOutcome::NotTcp,
        };
        let (Some(len), Some(&following)) = (ext_len, body.first()) else {
            return IpOutcome::Malformed;
        };
        let Some(rest) = body.get(len..) else {
            return IpOutcome::Malformed;
        };
        next = following;
        body = rest;
    }
}
