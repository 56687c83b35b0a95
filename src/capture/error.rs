//! Errors reading a capture file: what went wrong, at which file offset and packet.

/// A capture file that cannot be read, located by file offset and packet number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("capture error at file byte {offset}{}: {kind}", packet_suffix(.packet))]
pub struct CaptureError {
    /// File offset of the record or block that failed.
    pub offset: u64,
    /// 1-based number of the packet being read, if the error concerns one.
    pub packet: Option<u64>,
    /// What went wrong.
    pub kind: CaptureErrorKind,
}

fn packet_suffix(packet: &Option<u64>) -> String {
    packet.map(|n| format!(" (packet {n})")).unwrap_or_default()
}

/// The kind of a [`CaptureError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureErrorKind {
    /// The file starts with neither a pcap nor a pcapng magic number.
    #[error("not a pcap or pcapng file (magic 0x{magic:08x})")]
    UnknownFormat {
        /// The first four bytes, read little-endian.
        magic: u32,
    },
    /// The file ends inside a header, record or block.
    #[error("file truncated: at least {needed} more bytes expected")]
    Truncated {
        /// Minimum number of missing bytes (1 when unknown).
        needed: usize,
    },
    /// A header, record or block is inconsistent.
    #[error("malformed {what}")]
    Malformed {
        /// Which structure.
        what: &'static str,
    },
    /// A link type this reader does not decode.
    #[error("unsupported link type {linktype}")]
    UnsupportedLinkType {
        /// The link type number from the file.
        linktype: i32,
    },
    /// A pcapng packet refers to an interface with no description block.
    #[error("packet refers to undeclared pcapng interface {interface}")]
    UnknownInterface {
        /// The interface id.
        interface: u32,
    },
    /// A pcapng interface declares an unusable timestamp resolution.
    #[error("invalid timestamp resolution 0x{tsresol:02x} on pcapng interface {interface}")]
    BadTimestampResolution {
        /// The interface id.
        interface: u32,
        /// The raw `if_tsresol` value.
        tsresol: u8,
    },
}
