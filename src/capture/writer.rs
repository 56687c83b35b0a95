//! A small legacy-pcap writer for synthetic TCP conversations (tests and sample captures).
//!
//! Frames carry correct IPv4 header checksums and TCP checksums. [`PcapWriter::send`] keeps
//! the sequence and acknowledgement numbers of a well-behaved conversation;
//! [`PcapWriter::segment`] places bytes at any stream offset without advancing, to build
//! split, merged, duplicated and reordered segments.

use std::net::{IpAddr, SocketAddr};

use crate::capture::timestamp::Timestamp;

/// Which way a segment travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// From the client (the first address given to [`PcapWriter::new`]).
    ToServer,
    /// From the server.
    ToClient,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }

    /// The opposite direction.
    pub fn reverse(self) -> Self {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
}

/// The link layer written in front of each IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriterLink {
    /// Ethernet II (link type 1).
    Ethernet,
    /// Ethernet II with one 802.1Q tag carrying this VLAN id.
    EthernetVlan(u16),
    /// Linux cooked capture v1 (link type 113).
    LinuxSll,
    /// Linux cooked capture v2 (link type 276).
    LinuxSll2,
    /// Raw IP (link type 101).
    Raw,
    /// BSD loopback, little-endian address family (link type 0).
    Null,
}

impl WriterLink {
    /// The pcap link type number.
    pub fn linktype(self) -> u32 {
        match self {
            WriterLink::Ethernet | WriterLink::EthernetVlan(_) => 1,
            WriterLink::LinuxSll => 113,
            WriterLink::LinuxSll2 => 276,
            WriterLink::Raw => 101,
            WriterLink::Null => 0,
        }
    }
}

/// TCP flag bits for [`PcapWriter::tcp_frame`].
pub mod flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// Writes a two-party TCP conversation as a legacy pcap file.
///
/// Addresses of mixed families are written as IPv6 (IPv4 mapped).
#[derive(Debug, Clone)]
pub struct PcapWriter {
    link: WriterLink,
    nanosecond: bool,
    big_endian: bool,
    linktype_override: Option<u32>,
    endpoints: [SocketAddr; 2],
    isn: [u32; 2],
    sent: [u32; 2],
    ip_id: u16,
    records: Vec<(Timestamp, Vec<u8>)>,
}

impl PcapWriter {
    /// A writer for `client` ↔ `server` over Ethernet, microsecond little-endian pcap,
    /// initial sequence numbers 1000 (client) and 5000 (server).
    pub fn new(client: SocketAddr, server: SocketAddr) -> Self {
        let (client, server) = match (client.ip(), server.ip()) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => (client, server),
            _ => (to_v6(client), to_v6(server)),
        };
        PcapWriter {
            link: WriterLink::Ethernet,
            nanosecond: false,
            big_endian: false,
            linktype_override: None,
            endpoints: [client, server],
            isn: [1000, 5000],
            sent: [0, 0],
            ip_id: 1,
            records: Vec::new(),
        }
    }

    /// Uses another link layer.
    pub fn with_link(mut self, link: WriterLink) -> Self {
        self.link = link;
        self
    }

    /// Writes nanosecond (`true`) or microsecond timestamps.
    pub fn with_nanosecond(mut self, nanosecond: bool) -> Self {
        self.nanosecond = nanosecond;
        self
    }

    /// Writes a big-endian (`true`) or little-endian file.
    pub fn with_big_endian(mut self, big_endian: bool) -> Self {
        self.big_endian = big_endian;
        self
    }

    /// Declares another link type number in the file header (frames are unchanged).
    pub fn with_linktype_number(mut self, linktype: u32) -> Self {
        self.linktype_override = Some(linktype);
        self
    }

    /// Sets the initial sequence numbers (the SYN's sequence numbers).
    pub fn with_isn(mut self, client: u32, server: u32) -> Self {
        self.isn = [client, server];
        self
    }

    /// The link layer written.
    pub fn link(&self) -> WriterLink {
        self.link
    }

    /// Writes SYN, SYN-ACK and ACK.
    pub fn handshake(&mut self, ts: Timestamp) {
        let [c, s] = self.isn;
        let f = self.tcp_frame(Direction::ToServer, c, 0, flags::SYN, b"");
        self.packet(ts, f);
        let f = self.tcp_frame(
            Direction::ToClient,
            s,
            c.wrapping_add(1),
            flags::SYN | flags::ACK,
            b"",
        );
        self.packet(ts, f);
        let f = self.tcp_frame(
            Direction::ToServer,
            c.wrapping_add(1),
            s.wrapping_add(1),
            flags::ACK,
            b"",
        );
        self.packet(ts, f);
    }

    /// Sends `payload` as one segment at the current position of `dir`, then advances it.
    pub fn send(&mut self, dir: Direction, ts: Timestamp, payload: &[u8]) {
        let offset = self.sent_bytes(dir);
        self.segment(dir, ts, offset, payload);
        if let Some(sent) = self.sent.get_mut(dir.index()) {
            *sent = sent.wrapping_add(payload.len() as u32);
        }
    }

    /// Writes a segment whose first byte is at stream offset `seq_offset` of `dir` (0 = first
    /// data byte), without advancing the position used by [`send`](Self::send).
    pub fn segment(&mut self, dir: Direction, ts: Timestamp, seq_offset: u32, payload: &[u8]) {
        let seq = self.data_seq(dir).wrapping_add(seq_offset);
        let ack = self
            .data_seq(dir.reverse())
            .wrapping_add(self.sent_bytes(dir.reverse()));
        let f = self.tcp_frame(dir, seq, ack, flags::PSH | flags::ACK, payload);
        self.packet(ts, f);
    }

    /// Writes a FIN from `dir` at its current position.
    pub fn fin(&mut self, dir: Direction, ts: Timestamp) {
        let seq = self.data_seq(dir).wrapping_add(self.sent_bytes(dir));
        let ack = self
            .data_seq(dir.reverse())
            .wrapping_add(self.sent_bytes(dir.reverse()));
        let f = self.tcp_frame(dir, seq, ack, flags::FIN | flags::ACK, b"");
        self.packet(ts, f);
    }

    /// Bytes sent so far by `dir` through [`send`](Self::send).
    pub fn sent_bytes(&self, dir: Direction) -> u32 {
        self.sent.get(dir.index()).copied().unwrap_or(0)
    }

    /// Appends a record holding an arbitrary link-layer frame.
    pub fn packet(&mut self, ts: Timestamp, frame: Vec<u8>) {
        self.records.push((ts, frame));
    }

    /// The records written so far (timestamp and link-layer frame).
    pub fn records(&self) -> &[(Timestamp, Vec<u8>)] {
        &self.records
    }

    /// Builds a complete link-layer frame for one TCP segment (IPv4 header and TCP
    /// checksums filled in).
    pub fn tcp_frame(
        &mut self,
        dir: Direction,
        seq: u32,
        ack: u32,
        tcp_flags: u8,
        payload: &[u8],
    ) -> Vec<u8> {
        let (src, dst) = match dir {
            Direction::ToServer => (self.endpoints[0], self.endpoints[1]),
            Direction::ToClient => (self.endpoints[1], self.endpoints[0]),
        };
        let mut tcp = Vec::with_capacity(20 + payload.len());
        tcp.extend_from_slice(&src.port().to_be_bytes());
        tcp.extend_from_slice(&dst.port().to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&ack.to_be_bytes());
        tcp.extend_from_slice(&[5 << 4, tcp_flags, 0xFF, 0xFF, 0, 0, 0, 0]);
        tcp.extend_from_slice(payload);
        let mut pseudo = Vec::with_capacity(40);
        match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                pseudo.extend_from_slice(&s.octets());
                pseudo.extend_from_slice(&d.octets());
            }
            (s, d) => {
                pseudo.extend_from_slice(&v6_octets(s));
                pseudo.extend_from_slice(&v6_octets(d));
            }
        }
        pseudo.extend_from_slice(&(tcp.len() as u32).to_be_bytes());
        pseudo.extend_from_slice(&[0, 0, 0, 6]);
        let sum = checksum(&[&pseudo, &tcp]);
        if let Some(field) = tcp.get_mut(16..18) {
            field.copy_from_slice(&sum.to_be_bytes());
        }
        self.ip_id = self.ip_id.wrapping_add(1);
        let ip = ip_packet(src.ip(), dst.ip(), self.ip_id, &tcp);
        self.link_frame(dir, &ip)
    }

    /// Wraps an IP packet in the configured link layer.
    pub fn link_frame(&self, dir: Direction, ip: &[u8]) -> Vec<u8> {
        let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
        let ethertype: [u8; 2] = if v6 { [0x86, 0xDD] } else { [0x08, 0x00] };
        let (mac_src, mac_dst) = match dir {
            Direction::ToServer => ([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]),
            Direction::ToClient => ([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1]),
        };
        let mut frame = Vec::with_capacity(24 + ip.len());
        match self.link {
            WriterLink::Ethernet | WriterLink::EthernetVlan(_) => {
                frame.extend_from_slice(&mac_dst);
                frame.extend_from_slice(&mac_src);
                if let WriterLink::EthernetVlan(vlan) = self.link {
                    frame.extend_from_slice(&[0x81, 0x00]);
                    frame.extend_from_slice(&(vlan & 0x0FFF).to_be_bytes());
                }
                frame.extend_from_slice(&ethertype);
            }
            WriterLink::LinuxSll => {
                let packet_type: u16 = if dir == Direction::ToServer { 4 } else { 0 };
                frame.extend_from_slice(&packet_type.to_be_bytes());
                frame.extend_from_slice(&[0, 1, 0, 6]);
                frame.extend_from_slice(&mac_src);
                frame.extend_from_slice(&[0, 0]);
                frame.extend_from_slice(&ethertype);
            }
            WriterLink::LinuxSll2 => {
                frame.extend_from_slice(&ethertype);
                frame.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1]);
                frame.push(if dir == Direction::ToServer { 4 } else { 0 });
                frame.push(6);
                frame.extend_from_slice(&mac_src);
                frame.extend_from_slice(&[0, 0]);
            }
            WriterLink::Raw => {}
            WriterLink::Null => {
                let family: u32 = if v6 { 30 } else { 2 };
                frame.extend_from_slice(&family.to_le_bytes());
            }
        }
        frame.extend_from_slice(ip);
        frame
    }

    /// The complete pcap file.
    pub fn finish(&self) -> Vec<u8> {
        let size: usize = self.records.iter().map(|(_, f)| 16 + f.len()).sum();
        let mut out = Vec::with_capacity(24 + size);
        let magic: u32 = if self.nanosecond {
            0xa1b2_3c4d
        } else {
            0xa1b2_c3d4
        };
        let linktype = self.linktype_override.unwrap_or(self.link.linktype());
        let put32 = |out: &mut Vec<u8>, v: u32| {
            out.extend_from_slice(&if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        };
        let put16 = |out: &mut Vec<u8>, v: u16| {
            out.extend_from_slice(&if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        };
        put32(&mut out, magic);
        put16(&mut out, 2);
        put16(&mut out, 4);
        put32(&mut out, 0);
        put32(&mut out, 0);
        put32(&mut out, 262_144);
        put32(&mut out, linktype);
        for (ts, frame) in &self.records {
            let frac = if self.nanosecond {
                ts.nanos
            } else {
                ts.nanos / 1000
            };
            put32(&mut out, ts.secs as u32);
            put32(&mut out, frac);
            put32(&mut out, frame.len() as u32);
            put32(&mut out, frame.len() as u32);
            out.extend_from_slice(frame);
        }
        out
    }

    fn data_seq(&self, dir: Direction) -> u32 {
        self.isn
            .get(dir.index())
            .copied()
            .unwrap_or(0)
            .wrapping_add(1)
    }
}

fn to_v6(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(v4) => SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), addr.port()),
        IpAddr::V6(_) => addr,
    }
}

fn v6_octets(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// An IPv4 (both addresses v4) or IPv6 packet around a TCP segment.
fn ip_packet(src: IpAddr, dst: IpAddr, id: u16, tcp: &[u8]) -> Vec<u8> {
    let mut ip = Vec::with_capacity(40 + tcp.len());
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = (20 + tcp.len()) as u16;
            ip.extend_from_slice(&[0x45, 0]);
            ip.extend_from_slice(&total.to_be_bytes());
            ip.extend_from_slice(&id.to_be_bytes());
            ip.extend_from_slice(&[0x40, 0, 64, 6, 0, 0]);
            ip.extend_from_slice(&s.octets());
            ip.extend_from_slice(&d.octets());
            let sum = checksum(&[&ip]);
            if let Some(field) = ip.get_mut(10..12) {
                field.copy_from_slice(&sum.to_be_bytes());
            }
        }
        (s, d) => {
            ip.extend_from_slice(&[0x60, 0, 0, 0]);
            ip.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
            ip.extend_from_slice(&[6, 64]);
            ip.extend_from_slice(&v6_octets(s));
            ip.extend_from_slice(&v6_octets(d));
        }
    }
    ip.extend_from_slice(tcp);
    ip
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`.
pub fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for &byte in parts.iter().flat_map(|p| p.iter()) {
        match odd.take() {
            Some(hi) => sum += u32::from(u16::from_be_bytes([hi, byte])),
            None => odd = Some(byte),
        }
        if sum > 0xFFFF {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}
