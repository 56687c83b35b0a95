//! Connection tracking: from link-layer frames to in-order [`StreamData`].

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use crate::capture::ip::{self, IpOutcome};
use crate::capture::link::{LinkType, Network, network_layer};
use crate::capture::pcap::RawPacket;
use crate::capture::stream::{ConnId, Counters, StreamData};
use crate::capture::tcp::{ACK, HalfStream, Room, SYN, parse_segment};
use crate::capture::timestamp::Timestamp;

/// Reassembly settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblerConfig {
    /// Keep only connections with this port on either side.
    pub port: Option<u16>,
    /// Most bytes buffered out of order per direction before the gap is given up (16 MiB).
    pub max_buffered: usize,
    /// Most bytes buffered out of order over all connections (128 MiB). When a segment
    /// would pass it, the direction that received the segment gives up its holes until the
    /// total fits again, so memory stays bounded however many connections a capture holds.
    pub max_total_buffered: usize,
}

impl Default for ReassemblerConfig {
    fn default() -> Self {
        ReassemblerConfig {
            port: None,
            max_buffered: 16 * 1024 * 1024,
            max_total_buffered: 128 * 1024 * 1024,
        }
    }
}

/// One TCP connection; direction `d` carries data from `endpoints[d]` to the other one.
#[derive(Debug)]
struct Connection {
    id: ConnId,
    /// The endpoint seen sending first (the client when the handshake was captured), then
    /// its peer.
    endpoints: [SocketAddr; 2],
    halves: [HalfStream; 2],
    /// Whether a buffer cap has been counted against this connection.
    capped: bool,
}

impl Connection {
    /// Direction index of data sent by `src`.
    fn dir(&self, src: SocketAddr) -> usize {
        usize::from(self.endpoints[0] != src)
    }
}

/// Reassembles TCP streams from captured frames.
///
/// Feed frames in capture order with [`feed`](Self::feed) (or [`feed_packet`](Self::feed_packet)),
/// take the produced [`StreamData`] with [`pop`](Self::pop), and call [`finish`](Self::finish)
/// at the end to flush data still waiting behind a gap. Problems in packets are counted in
/// [`counters`](Self::counters), never returned as errors.
#[derive(Debug, Default)]
pub struct Reassembler {
    config: ReassemblerConfig,
    conns: Vec<Connection>,
    by_endpoints: HashMap<(SocketAddr, SocketAddr), usize>,
    out: VecDeque<StreamData>,
    counters: Counters,
    /// Bytes buffered out of order over all connections.
    buffered: usize,
}

impl Reassembler {
    /// An empty reassembler.
    pub fn new(config: ReassemblerConfig) -> Self {
        Reassembler {
            config,
            ..Reassembler::default()
        }
    }

    /// Counters so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Bytes currently buffered out of order over all connections.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered
    }

    /// Payload bytes copied by reassembly so far: each segment once on arrival and each run
    /// that becomes contiguous once, so this stays within twice the bytes captured.
    pub fn copied_bytes(&self) -> u64 {
        self.conns
            .iter()
            .flat_map(|c| c.halves.iter())
            .map(HalfStream::copied)
            .fold(0, u64::saturating_add)
    }

    /// The next produced item, in capture order.
    pub fn pop(&mut self) -> Option<StreamData> {
        self.out.pop_front()
    }

    /// Feeds a packet read by [`PacketReader`](crate::capture::PacketReader).
    pub fn feed_packet(&mut self, packet: &RawPacket<'_>) {
        self.feed(packet.ts, packet.link, packet.data);
    }

    /// Feeds one captured link-layer frame.
    pub fn feed(&mut self, ts: Timestamp, link: LinkType, frame: &[u8]) {
        self.counters.packets += 1;
        let outcome = match network_layer(link, frame) {
            Network::Ipv4(p) => ip::ipv4(p),
            Network::Ipv6(p) => ip::ipv6(p),
            Network::Other => IpOutcome::NotTcp,
            Network::Malformed => IpOutcome::Malformed,
        };
        let c = &mut self.counters;
        let packet = match outcome {
            IpOutcome::Tcp(p) => p,
            IpOutcome::NotTcp => return c.non_tcp += 1,
            IpOutcome::Fragment => return c.fragments += 1,
            IpOutcome::Unsupported => return c.unsupported += 1,
            IpOutcome::Malformed => return c.malformed += 1,
        };
        let Some(seg) = parse_segment(packet.payload) else {
            return c.malformed += 1;
        };
        if let Some(port) = self.config.port
            && seg.src_port != port
            && seg.dst_port != port
        {
            return c.filtered += 1;
        }
        c.tcp_segments += 1;
        let src = SocketAddr::new(packet.src, seg.src_port);
        let dst = SocketAddr::new(packet.dst, seg.dst_port);
        let index = self.connection(src, dst, seg.flags, seg.seq);
        let Some(conn) = self.conns.get_mut(index) else {
            return;
        };
        let dir = conn.dir(src);
        let id = conn.id;
        let Some(half) = conn.halves.get_mut(dir) else {
            return;
        };
        let before = half.pending_bytes();
        let others = self.buffered.saturating_sub(before);
        let room = Room {
            max_buffered: self.config.max_buffered,
            total_left: self.config.max_total_buffered.saturating_sub(others),
        };
        let pieces = half.accept(ts, &seg, packet.missing, room, &mut self.counters);
        self.buffered = others.saturating_add(half.pending_bytes());
        if half.capped() && !conn.capped {
            conn.capped = true;
            self.counters.capped_connections += 1;
        }
        self.out.extend(pieces.into_iter().map(|p| StreamData {
            ts: p.ts,
            conn: id,
            src,
            dst,
            gap_before: p.gap_before,
            data: p.data,
        }));
    }

    /// Flushes every direction's buffered segments, reporting the gaps before them.
    pub fn finish(&mut self) {
        for index in 0..self.conns.len() {
            self.flush(index);
        }
    }

    /// Finds or creates the connection of a segment; a new client SYN on a known 4-tuple
    /// with another initial sequence number starts a new connection (port reuse).
    fn connection(&mut self, src: SocketAddr, dst: SocketAddr, flags: u8, seq: u32) -> usize {
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        let client_syn = flags & (SYN | ACK) == SYN;
        if let Some(&index) = self.by_endpoints.get(&key) {
            let reused = client_syn
                && self.conns.get(index).is_some_and(|c| {
                    c.halves
                        .get(c.dir(src))
                        .and_then(HalfStream::base)
                        .is_some_and(|b| b != seq.wrapping_add(1))
                });
            if !reused {
                return index;
            }
            self.flush(index);
        }
        let index = self.conns.len();
        self.conns.push(Connection {
            id: ConnId(index as u64),
            endpoints: [src, dst],
            halves: [HalfStream::default(), HalfStream::default()],
            capped: false,
        });
        self.by_endpoints.insert(key, index);
        self.counters.connections += 1;
        index
    }

    fn flush(&mut self, index: usize) {
        let Some(conn) = self.conns.get_mut(index) else {
            return;
        };
        let (id, [a, b]) = (conn.id, conn.endpoints);
        for (dir, half) in conn.halves.iter_mut().enumerate() {
            self.buffered = self.buffered.saturating_sub(half.pending_bytes());
            let pieces = half.finish(&mut self.counters);
            let (src, dst) = if dir == 0 { (a, b) } else { (b, a) };
            self.out.extend(pieces.into_iter().map(|p| StreamData {
                ts: p.ts,
                conn: id,
                src,
                dst,
                gap_before: p.gap_before,
                data: p.data,
            }));
        }
    }
}
