//! Reading ISO 8583 conversations out of packet captures.
//!
//! [`PacketReader`] walks a pcap or pcapng file held in memory; [`Reassembler`] decodes the
//! link, IP and TCP layers and reassembles each TCP direction by sequence number, emitting
//! [`StreamData`] items (newly in-order bytes of one direction) in capture order.
//! [`read_capture`] does both in one call. [`writer::PcapWriter`] writes small synthetic
//! captures for tests and samples.
//!
//! ```
//! use iso8583_wire::capture::{read_capture, Timestamp};
//! use iso8583_wire::capture::writer::{Direction, PcapWriter};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut w = PcapWriter::new("10.0.0.1:40000".parse()?, "10.0.0.2:5000".parse()?);
//! w.handshake(Timestamp::new(1, 0));
//! w.send(Direction::ToServer, Timestamp::new(2, 0), b"\x00\x04ping");
//! let capture = read_capture(&w.finish(), Some(5000))?;
//! assert_eq!(&capture.data[0].data[..], b"\x00\x04ping");
//! # Ok(())
//! # }
//! ```

mod error;
mod ip;
mod link;
pub(crate) mod model;
mod pcap;
mod read;
mod reassembler;
mod stream;
mod tcp;
mod timestamp;
pub mod writer;

#[cfg(test)]
mod tests;

pub use error::{CaptureError, CaptureErrorKind};
pub use link::LinkType;
pub use pcap::{CaptureFormat, PacketReader, RawPacket};
pub use read::{Capture, read_capture};
pub use reassembler::{Reassembler, ReassemblerConfig};
pub use stream::{ConnId, Counters, StreamData};
pub use timestamp::Timestamp;
