//! Reading packets from legacy pcap and pcapng files held in memory (via `pcap-parser`).

use pcap_parser::nom::{Err as NomErr, IResult, Needed};
use pcap_parser::pcapng::Block;
use pcap_parser::{
    LegacyPcapBlock, PcapError, parse_block_be, parse_block_le, parse_pcap_frame,
    parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header, parse_sectionheaderblock,
};

use crate::capture::error::{CaptureError, CaptureErrorKind};
use crate::capture::link::LinkType;
use crate::capture::timestamp::Timestamp;

/// The container format of a capture file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaptureFormat {
    /// Legacy libpcap.
    Pcap {
        /// Records are big-endian.
        big_endian: bool,
        /// Timestamps are in nanoseconds (else microseconds).
        nanosecond: bool,
    },
    /// pcapng (any number of sections and interfaces).
    PcapNg,
}

/// One captured packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPacket<'a> {
    /// 1-based packet number (as Wireshark counts).
    pub number: u64,
    /// File offset of the record or block.
    pub offset: u64,
    /// Capture time.
    pub ts: Timestamp,
    /// Link layer of `data`.
    pub link: LinkType,
    /// The captured bytes (possibly shorter than on the wire).
    pub data: &'a [u8],
}

const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAP_MAGICS: [u32; 5] = [
    0xa1b2_c3d4,
    0xa1b2_3c4d,
    0xa1b2_cd34,
    0xd4c3_b2a1,
    0x4d3c_b2a1,
];

type RecordParser = fn(&[u8]) -> IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

/// A pcapng interface description.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: i32,
    tsresol: u8,
    resolution: Option<u64>,
    offset: i64,
}

#[derive(Debug)]
enum State {
    Legacy {
        parse: RecordParser,
        nanosecond: bool,
        link: LinkType,
    },
    Ng {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// Iterates over the packets of a pcap or pcapng file held in memory.
///
/// Yields `Err` once on a truncated or malformed file, then ends.
#[derive(Debug)]
pub struct PacketReader<'a> {
    file_len: usize,
    rem: &'a [u8],
    state: State,
    format: CaptureFormat,
    packets: u64,
    failed: bool,
}

impl<'a> PacketReader<'a> {
    /// Reads the file header. Fails on an unknown magic number, a truncated header, or (for
    /// legacy pcap) an unsupported link type.
    pub fn new(file: &'a [u8]) -> Result<Self, CaptureError> {
        let fail = |kind| CaptureError {
            offset: 0,
            packet: None,
            kind,
        };
        let Some(magic) = file.first_chunk::<4>().map(|m| u32::from_le_bytes(*m)) else {
            return Err(fail(CaptureErrorKind::Truncated {
                needed: 4 - file.len(),
            }));
        };
        let mut reader = PacketReader {
            file_len: file.len(),
            rem: file,
            state: State::Ng {
                big_endian: false,
                interfaces: Vec::new(),
            },
            format: CaptureFormat::PcapNg,
            packets: 0,
            failed: false,
        };
        if magic == PCAPNG_SHB {
            parse_sectionheaderblock(file)
                .map_err(|e| fail(nom_kind(e, "pcapng section header")))?;
        } else if PCAP_MAGICS.contains(&magic) {
            let (rem, header) =
                parse_pcap_header(file).map_err(|e| fail(nom_kind(e, "pcap file header")))?;
            let linktype = header.network.0;
            let link = LinkType::from_number(linktype)
                .ok_or(fail(CaptureErrorKind::UnsupportedLinkType { linktype }))?;
            let big_endian = header.is_bigendian();
            let parse: RecordParser = if header.is_modified_format() {
                parse_pcap_frame_modified
            } else if big_endian {
                parse_pcap_frame_be
            } else {
                parse_pcap_frame
            };
            let nanosecond = header.is_nanosecond_precision();
            reader.rem = rem;
            reader.state = State::Legacy {
                parse,
                nanosecond,
                link,
            };
            reader.format = CaptureFormat::Pcap {
                big_endian,
                nanosecond,
            };
        } else {
            return Err(fail(CaptureErrorKind::UnknownFormat { magic }));
        }
        Ok(reader)
    }

    /// The container format.
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    fn offset(&self) -> u64 {
        self.file_len.saturating_sub(self.rem.len()) as u64
    }

    fn error(&mut self, packet: Option<u64>, kind: CaptureErrorKind) -> CaptureError {
        self.failed = true;
        CaptureError {
            offset: self.offset(),
            packet,
            kind,
        }
    }

    fn next_legacy(&mut self) -> Option<Result<RawPacket<'a>, CaptureError>> {
        let State::Legacy {
            parse,
            nanosecond,
            link,
        } = self.state
        else {
            return None;
        };
        if self.rem.is_empty() {
            return None;
        }
        let number = self.packets.saturating_add(1);
        match parse(self.rem) {
            Ok((rem, record)) => {
                let offset = self.offset();
                self.rem = rem;
                self.packets = number;
                let (secs, frac) = (u64::from(record.ts_sec), record.ts_usec);
                let ts = if nanosecond {
                    Timestamp::new(secs, frac)
                } else {
                    Timestamp::from_ticks(secs * 1_000_000 + u64::from(frac), 1_000_000, 0)
                        .unwrap_or_default()
                };
                Some(Ok(RawPacket {
                    number,
                    offset,
                    ts,
                    link,
                    data: record.data,
                }))
            }
            Err(e) => Some(Err(self.error(Some(number), nom_kind(e, "pcap record")))),
        }
    }

    fn next_ng(&mut self) -> Option<Result<RawPacket<'a>, CaptureError>> {
        loop {
            if self.rem.is_empty() {
                return None;
            }
            let State::Ng { big_endian, .. } = self.state else {
                return None;
            };
            let number = self.packets.saturating_add(1);
            // pcap-parser 0.17 underflows on some block types whose length field is below 12
            // (found by fuzzing): refuse those lengths here, before it sees them.
            if block_len(self.rem, big_endian).is_some_and(|len| len < 12) {
                return Some(Err(self.error(
                    Some(number),
                    CaptureErrorKind::Malformed {
                        what: "pcapng block length below 12",
                    },
                )));
            }
            let parsed = if big_endian {
                parse_block_be(self.rem)
            } else {
                parse_block_le(self.rem)
            };
            let (rem, block) = match parsed {
                Ok(ok) => ok,
                Err(e) => return Some(Err(self.error(Some(number), nom_kind(e, "pcapng block")))),
            };
            let offset = self.offset();
            let packet = match block {
                Block::SectionHeader(shb) => {
                    self.state = State::Ng {
                        big_endian: shb.big_endian(),
                        interfaces: Vec::new(),
                    };
                    None
                }
                Block::InterfaceDescription(idb) => {
                    if let State::Ng { interfaces, .. } = &mut self.state {
                        interfaces.push(Interface {
                            linktype: idb.linktype.0,
                            tsresol: idb.if_tsresol,
                            resolution: idb.ts_resolution(),
                            offset: idb.if_tsoffset,
                        });
                    }
                    None
                }
                Block::EnhancedPacket(epb) => {
                    let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                    Some((epb.if_id, Some(ticks), unpadded(epb.data, epb.caplen)))
                }
                Block::SimplePacket(spb) => Some((0, None, unpadded(spb.data, spb.origlen))),
                _ => None,
            };
            let Some((if_id, ticks, data)) = packet else {
                self.rem = rem;
                continue;
            };
            let (link, ts) = match self.interface_info(if_id, ticks) {
                Ok(info) => info,
                Err(kind) => return Some(Err(self.error(Some(number), kind))),
            };
            self.rem = rem;
            self.packets = number;
            return Some(Ok(RawPacket {
                number,
                offset,
                ts,
                link,
                data,
            }));
        }
    }

    /// Link type and timestamp of a packet on interface `if_id`.
    fn interface_info(
        &self,
        if_id: u32,
        ticks: Option<u64>,
    ) -> Result<(LinkType, Timestamp), CaptureErrorKind> {
        let State::Ng { interfaces, .. } = &self.state else {
            return Err(CaptureErrorKind::Malformed {
                what: "reader state",
            });
        };
        let iface = usize::try_from(if_id)
            .ok()
            .and_then(|i| interfaces.get(i))
            .ok_or(CaptureErrorKind::UnknownInterface { interface: if_id })?;
        let link =
            LinkType::from_number(iface.linktype).ok_or(CaptureErrorKind::UnsupportedLinkType {
                linktype: iface.linktype,
            })?;
        let ts = match ticks {
            None => Timestamp::default(),
            Some(ticks) => iface
                .resolution
                .and_then(|res| Timestamp::from_ticks(ticks, res, iface.offset))
                .ok_or(CaptureErrorKind::BadTimestampResolution {
                    interface: if_id,
                    tsresol: iface.tsresol,
                })?,
        };
        Ok((link, ts))
    }
}

impl<'a> Iterator for PacketReader<'a> {
    type Item = Result<RawPacket<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.state {
            State::Legacy { .. } => self.next_legacy(),
            State::Ng { .. } => self.next_ng(),
        }
    }
}

/// Block data without its padding: the first `len` bytes (all of them if fewer).
/// The length field of the pcapng block at the start of `rem` (not for section headers, whose
/// byte order their own header gives).
fn block_len(rem: &[u8], big_endian: bool) -> Option<u32> {
    let kind = rem.get(0..4)?;
    if kind == [0x0A, 0x0D, 0x0D, 0x0A] {
        return None;
    }
    let raw: [u8; 4] = rem.get(4..8)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(raw)
    } else {
        u32::from_le_bytes(raw)
    })
}

fn unpadded(data: &[u8], len: u32) -> &[u8] {
    usize::try_from(len)
        .ok()
        .and_then(|len| data.get(..len))
        .unwrap_or(data)
}

/// Maps a pcap-parser error to an error kind.
fn nom_kind(e: NomErr<PcapError<&[u8]>>, what: &'static str) -> CaptureErrorKind {
    match e {
        NomErr::Incomplete(Needed::Size(n)) => CaptureErrorKind::Truncated { needed: n.get() },
        NomErr::Incomplete(Needed::Unknown) => CaptureErrorKind::Truncated { needed: 1 },
        NomErr::Error(PcapError::Incomplete(n)) | NomErr::Failure(PcapError::Incomplete(n)) => {
            CaptureErrorKind::Truncated { needed: n.max(1) }
        }
        NomErr::Error(PcapError::UnexpectedEof) | NomErr::Failure(PcapError::UnexpectedEof) => {
            CaptureErrorKind::Truncated { needed: 1 }
        }
        NomErr::Error(_) | NomErr::Failure(_) => CaptureErrorKind::Malformed { what },
    }
}
