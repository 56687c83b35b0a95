//! Link-layer types and decoding down to the IP header.

/// A link-layer header type this crate decodes (numbers from tcpdump.org/linktypes.html).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LinkType {
    /// 0: BSD loopback, 4-byte address family in host byte order.
    Null,
    /// 1: Ethernet II, with any number of 802.1Q / 802.1ad VLAN tags.
    Ethernet,
    /// 101: raw IP, version taken from the first nibble.
    Raw,
    /// 108: OpenBSD loopback, 4-byte address family in network byte order.
    Loop,
    /// 113: Linux cooked capture v1 (16-byte header).
    LinuxSll,
    /// 276: Linux cooked capture v2 (20-byte header).
    LinuxSll2,
    /// 228: raw IPv4.
    Ipv4,
    /// 229: raw IPv6.
    Ipv6,
}

impl LinkType {
    /// The link type for a pcap/pcapng number, if supported. Only the low 16 bits are the
    /// type (pcap keeps FCS flags above them).
    pub fn from_number(n: i32) -> Option<Self> {
        Some(match n & 0xFFFF {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            _ => return None,
        })
    }

    /// The pcap/pcapng link type number.
    pub const fn number(self) -> u16 {
        match self {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
            LinkType::Loop => 108,
            LinkType::LinuxSll => 113,
            LinkType::LinuxSll2 => 276,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
        }
    }
}

/// The network layer found in a link-layer frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Network<'a> {
    /// An IPv4 packet (header first).
    Ipv4(&'a [u8]),
    /// An IPv6 packet (header first).
    Ipv6(&'a [u8]),
    /// Something other than IP (ARP, LLC, …).
    Other,
    /// The link header is cut short.
    Malformed,
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86DD;
const VLAN_TAGS: [u16; 3] = [0x8100, 0x88A8, 0x9100];

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let end = at.checked_add(2)?;
    let pair = b.get(at..end)?;
    Some(u16::from_be_bytes([*pair.first()?, *pair.get(1)?]))
}

/// Strips the link-layer header of `frame`.
pub(crate) fn network_layer(link: LinkType, frame: &[u8]) -> Network<'_> {
    match link {
        LinkType::Ethernet => ethernet(frame),
        LinkType::LinuxSll => by_ethertype(be16(frame, 14), frame.get(16..)),
        LinkType::LinuxSll2 => by_ethertype(be16(frame, 0), frame.get(20..)),
        LinkType::Raw => by_version(frame),
        LinkType::Ipv4 => Network::Ipv4(frame),
        LinkType::Ipv6 => Network::Ipv6(frame),
        LinkType::Null | LinkType::Loop => loopback(link, frame),
    }
}

fn ethernet(frame: &[u8]) -> Network<'_> {
    let mut at = 12;
    loop {
        let Some(ethertype) = be16(frame, at) else {
            return Network::Malformed;
        };
        if VLAN_TAGS.contains(&ethertype) {
            at += 4;
            continue;
        }
        return by_ethertype(Some(ethertype), frame.get(at + 2..));
    }
}

fn by_ethertype(ethertype: Option<u16>, rest: Option<&[u8]>) -> Network<'_> {
    match (ethertype, rest) {
        (Some(ETHERTYPE_IPV4), Some(ip)) => Network::Ipv4(ip),
        (Some(ETHERTYPE_IPV6), Some(ip)) => Network::Ipv6(ip),
        (Some(_), Some(_)) => Network::Other,
        _ => Network::Malformed,
    }
}

fn by_version(packet: &[u8]) -> Network<'_> {
    match packet.first().map(|b| b >> 4) {
        Some(4) => Network::Ipv4(packet),
        Some(6) => Network::Ipv6(packet),
        Some(_) => Network::Other,
        None => Network::Malformed,
    }
}

/// BSD `AF_INET` and the `AF_INET6` values of Linux, NetBSD/OpenBSD, FreeBSD and macOS.
const AF_INET: u32 = 2;
const AF_INET6: [u32; 4] = [10, 24, 28, 30];

fn loopback(link: LinkType, frame: &[u8]) -> Network<'_> {
    let (Some(head), Some(rest)) = (frame.first_chunk::<4>(), frame.get(4..)) else {
        return Network::Malformed;
    };
    let family = match link {
        LinkType::Loop => u32::from_be_bytes(*head),
        // Host byte order of the capturing machine: families are small numbers, so a value
        // with an empty low half was written big-endian.
        _ => {
            let le = u32::from_le_bytes(*head);
            if le & 0xFFFF == 0 {
                le.swap_bytes()
            } else {
                le
            }
        }
    };
    match family {
        AF_INET => Network::Ipv4(rest),
        f if AF_INET6.contains(&f) => Network::Ipv6(rest),
        _ => Network::Other,
    }
}
