//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};
use iso8583_wire::framing::LengthHeader;

#[derive(Parser)]
#[command(
    name = "iso8583",
    version,
    about = "Decode and encode ISO 8583 messages: hex dumps, raw streams, pcap/pcapng captures"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Decode messages and print them (masked unless --unmask).
    Decode(DecodeArgs),
    /// Encode JSONL messages ({"mti":..,"header":..,"fields":{..}}) into hex lines or a framed
    /// raw stream. Hex output has one line per input line: a blank or failed line (its error
    /// on stderr, exit status 1) gives a blank line, so output line N is input line N.
    Encode(EncodeArgs),
    /// List the bundled specs.
    Specs,
    /// MACs, key check values, PIN blocks and DUKPT keys (feature `crypto`).
    #[cfg(feature = "crypto")]
    Crypto(super::crypto::CryptoArgs),
    /// Sign or verify whole messages by the spec's `[mac]` section (feature `crypto`).
    #[cfg(feature = "crypto")]
    Mac(super::crypto::MessageMacArgs),
    /// For messages the spec fails on, find the smallest spec change that decodes them.
    Doctor(super::doctor::DoctorArgs),
    /// Import a spec from jPOS, moov-io or pyiso8583, or check one.
    Spec {
        #[command(subcommand)]
        action: super::spec_cmd::SpecCommand,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Input {
    /// One message as a hex dump (file or stdin); separators, 0x prefixes, offset and
    /// ASCII columns tolerated.
    Hex,
    /// One hex message per line.
    HexLines,
    /// A binary stream of framed messages (see --framing).
    Raw,
    /// A pcap capture (pcapng is detected too).
    Pcap,
    /// A pcapng capture (legacy pcap is detected too).
    Pcapng,
}

impl Input {
    /// Whether the input is a capture file.
    pub fn is_capture(self) -> bool {
        matches!(self, Input::Pcap | Input::Pcapng)
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Format {
    /// Readable dump.
    Pretty,
    /// A JSON array of message objects.
    Json,
    /// One JSON object per line.
    Jsonl,
}

/// `--framing` values (the CLI names of [`LengthHeader`]).
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Framing {
    /// 2-byte binary length, big-endian.
    Len2,
    /// 2-byte binary length, little-endian.
    Len2le,
    /// 2-byte packed BCD length.
    Len2bcd,
    /// 4 ASCII decimal digits.
    Len4ascii,
    /// No length header.
    None,
}

impl Framing {
    pub fn header(self) -> LengthHeader {
        match self {
            Framing::Len2 => LengthHeader::Len2Be,
            Framing::Len2le => LengthHeader::Len2Le,
            Framing::Len2bcd => LengthHeader::Len2Bcd,
            Framing::Len4ascii => LengthHeader::Len4Ascii,
            Framing::None => LengthHeader::None,
        }
    }
}

#[derive(clap::Args)]
pub struct DecodeArgs {
    /// Bundled spec name or path to a spec TOML file.
    #[arg(long, default_value = "iso87-ascii-bin")]
    pub spec: String,
    /// Input kind.
    #[arg(long, value_enum, default_value = "hex-lines")]
    pub input: Input,
    /// Length header in front of each message. Default: len2 for raw and pcap input, none
    /// for hex input (with a header given, each hex line is cut as a stream).
    #[arg(long, value_enum)]
    pub framing: Option<Framing>,
    /// Largest accepted frame payload in bytes.
    #[arg(long, default_value_t = 65535)]
    pub max_frame: usize,
    /// pcap: keep only TCP connections with this port on either side.
    #[arg(long)]
    pub port: Option<u16>,
    /// Output format.
    #[arg(long, value_enum, default_value = "pretty")]
    pub format: Format,
    /// Show PAN, track and PIN data in clear.
    #[arg(long)]
    pub unmask: bool,
    /// JSON: show composite fields (subfields, EMV tags) as nested objects. Pretty output
    /// always expands them.
    #[arg(long)]
    pub expand: bool,
    /// No summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Decode fields that break their class, sign or pad rule as they are, and list each
    /// broken rule (JSON: a "warnings" array of {"field","offset","message"}).
    #[arg(long)]
    pub lenient: bool,
    /// Threads decoding hex lines (output stays in input order). Default: all cores.
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Input file, or - for stdin.
    #[arg(default_value = "-")]
    pub file: String,
}

impl DecodeArgs {
    /// The effective length header.
    pub fn length_header(&self) -> LengthHeader {
        match (self.framing, self.input) {
            (Some(f), _) => f.header(),
            (None, Input::Raw | Input::Pcap | Input::Pcapng) => LengthHeader::Len2Be,
            (None, Input::Hex | Input::HexLines) => LengthHeader::None,
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Output {
    /// One uppercase hex line per message.
    Hex,
    /// Binary: each message with its length header (see --framing).
    Raw,
}

#[derive(clap::Args)]
pub struct EncodeArgs {
    /// Bundled spec name or path to a spec TOML file.
    #[arg(long, default_value = "iso87-ascii-bin")]
    pub spec: String,
    /// Output kind.
    #[arg(long, value_enum, default_value = "hex")]
    pub output: Output,
    /// Length header written in front of each message. Default: len2 for raw output, none
    /// for hex output.
    #[arg(long, value_enum)]
    pub framing: Option<Framing>,
    /// Fixed header ahead of the MTI, in hex, for specs that have one (cup-pos: TPDU + CUP
    /// header, 11 bytes, e.g. 6000030000613100310102), for messages without a "header" key of
    /// their own. Zeros when neither is given.
    #[arg(long)]
    pub header: Option<String>,
    /// Write to FILE instead of stdout.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<String>,
    /// JSONL file, or - for stdin.
    #[arg(default_value = "-")]
    pub file: String,
}

impl EncodeArgs {
    /// The effective length header.
    pub fn length_header(&self) -> LengthHeader {
        match (self.framing, self.output) {
            (Some(f), _) => f.header(),
            (None, Output::Raw) => LengthHeader::Len2Be,
            (None, Output::Hex) => LengthHeader::None,
        }
    }
}
