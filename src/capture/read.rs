//! One-call reading of a whole capture.

use crate::capture::error::CaptureError;
use crate::capture::pcap::{CaptureFormat, PacketReader};
use crate::capture::reassembler::{Reassembler, ReassemblerConfig};
use crate::capture::stream::{Counters, StreamData};

/// Everything read from a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capture {
    /// The file's container format.
    pub format: CaptureFormat,
    /// In-order stream data of every direction, in capture order.
    pub data: Vec<StreamData>,
    /// What was seen and skipped.
    pub counters: Counters,
}

/// Reads a pcap or pcapng file and reassembles its TCP streams.
///
/// `port` keeps only connections with that port on either side. Problems inside packets are
/// counted; only an unreadable file (truncated, malformed, unknown format or link type) is an
/// error.
pub fn read_capture(file: &[u8], port: Option<u16>) -> Result<Capture, CaptureError> {
    let mut reader = PacketReader::new(file)?;
    let mut reassembler = Reassembler::new(ReassemblerConfig {
        port,
        ..ReassemblerConfig::default()
    });
    let mut data = Vec::new();
    for packet in reader.by_ref() {
        reassembler.feed_packet(&packet?);
        data.extend(std::iter::from_fn(|| reassembler.pop()));
    }
    reassembler.finish();
    data.extend(std::iter::from_fn(|| reassembler.pop()));
    Ok(Capture {
        format: reader.format(),
        data,
        counters: *reassembler.counters(),
    })
}
