//! What reassembly produces: in-order stream data and counters.

use std::fmt;
use std::net::SocketAddr;

use bytes::Bytes;

use crate::capture::timestamp::Timestamp;

/// Identifies a TCP connection, numbered from 0 in order of first appearance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Newly in-order bytes of one direction of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamData {
    /// Timestamp of the packet that completed these bytes.
    pub ts: Timestamp,
    /// The connection.
    pub conn: ConnId,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Bytes of this direction lost just before `data` (0 normally). A framing decoder fed
    /// with this direction should be reset when it is not 0.
    pub gap_before: u64,
    /// The bytes, in stream order.
    pub data: Bytes,
}

/// What was seen and skipped while reading a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Counters {
    /// Packets read.
    pub packets: u64,
    /// TCP segments processed (after the port filter).
    pub tcp_segments: u64,
    /// Packets skipped because they carry no TCP (UDP, ICMP, ARP, …).
    pub non_tcp: u64,
    /// IP fragments skipped (fragments are not reassembled).
    pub fragments: u64,
    /// Packets skipped because of an IPv6 extension header that cannot be walked.
    pub unsupported: u64,
    /// Packets whose link, IP or TCP header was cut short or inconsistent.
    pub malformed: u64,
    /// TCP segments of connections excluded by the port filter.
    pub filtered: u64,
    /// TCP connections seen.
    pub connections: u64,
    /// Segments whose payload had entirely been seen already.
    pub retransmissions: u64,
    /// Segments partly overlapping data already seen (trimmed).
    pub overlaps: u64,
    /// Segments that arrived ahead of a gap and were buffered.
    pub out_of_order: u64,
    /// Holes in a stream given up on (buffer cap, end of capture, snap length).
    pub gaps: u64,
    /// Total bytes lost in those holes.
    pub gap_bytes: u64,
    /// Segments whose payload the capture cut short (snap length).
    pub truncated_segments: u64,
    /// Of `gap_bytes`, the bytes of holes given up early because a buffer cap (per direction
    /// or total, see [`ReassemblerConfig`](crate::capture::ReassemblerConfig)) was reached.
    pub cap_gap_bytes: u64,
    /// Connections in which a buffer cap forced a hole to be given up at least once.
    pub capped_connections: u64,
}
