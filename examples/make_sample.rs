//! `make_sample`: writes the sample POS session used by the README and the tests.
//!
//! ```text
//! cargo run --example make_sample [-- OUT_DIR]      # default: examples/data
//! ```
//!
//! Writes `pos-session.pcap` (a UnionPay-style POS terminal talking to its acquirer host over
//! TCP, `cup-pos` spec, TPDU + CUP header, 2-byte big-endian length framing) and
//! `pos-session.hexlines` (the same messages unframed, one uppercase hex message per line).
//! The session: sign-on 0800/0810; purchase (chip, PIN) 0200/0210 approved, its request split
//! across two TCP segments; purchase (magstripe) approved; purchase declined (51); void of
//! the first purchase; refund advice 0220/0230 of the second; a purchase whose response is
//! lost, then its reversal 0400 and the settlement 0500 sent in one segment, answered by
//! 0410 and 0510 in one segment. Output is deterministic.

use std::path::PathBuf;
use std::process::ExitCode;

use bytes::BytesMut;
use iso8583_wire::capture::Timestamp;
use iso8583_wire::capture::writer::{Direction, PcapWriter};
use iso8583_wire::framing::{LengthHeader, PosHeader, Tpdu, encode_frame};
use iso8583_wire::{MessageBuilder, Spec};

type AnyError = Box<dyn std::error::Error>;

/// 2024-11-22 09:00:00 UTC.
const START: u64 = 1_732_266_000;

/// A field value: text, or raw bytes for binary fields.
enum V<'a> {
    T(&'a str),
    B(&'a [u8]),
}

struct Session {
    spec: Spec,
    terminal: PosHeader,
    pcap: PcapWriter,
    /// Unframed messages in send order.
    messages: Vec<Vec<u8>>,
    /// Microseconds since START.
    clock: u64,
}

impl Session {
    fn ts(&self) -> Timestamp {
        Timestamp::new(
            START + self.clock / 1_000_000,
            u32::try_from(self.clock % 1_000_000 * 1000).unwrap_or(0),
        )
    }

    fn wait_ms(&mut self, ms: u64) {
        self.clock += ms * 1000;
    }

    /// Encodes a message (terminal header, or the host's swapped one) and keeps it.
    fn build(
        &mut self,
        to_host: bool,
        mti: &str,
        fields: &[(u16, V<'_>)],
    ) -> Result<Vec<u8>, AnyError> {
        let header = if to_host {
            self.terminal
        } else {
            self.terminal.reply()
        };
        let header = header.to_bytes();
        let mut b = MessageBuilder::new(&self.spec);
        b.mti(mti)?.header(&header)?;
        for (n, v) in fields {
            match v {
                V::T(s) => b.set(*n, *s)?,
                V::B(bytes) => b.set_binary(*n, bytes)?,
            };
        }
        let wire = b.encode_to_vec()?;
        self.messages.push(wire.clone());
        Ok(wire)
    }

    fn framed(wire: &[u8]) -> Result<Vec<u8>, AnyError> {
        let mut out = BytesMut::new();
        encode_frame(LengthHeader::Len2Be, wire, &mut out)?;
        Ok(out.to_vec())
    }

    /// Sends one framed message in one segment.
    fn send(&mut self, dir: Direction, wire: &[u8]) -> Result<(), AnyError> {
        let ts = self.ts();
        self.pcap.send(dir, ts, &Self::framed(wire)?);
        Ok(())
    }
}

const TID: &str = "TERM0001";
const MID: &str = "898310048160001";
const PAN: &str = "6222021234567890123";
const BATCH: &str = "000123";

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data"));
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("make_sample: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &std::path::Path) -> Result<(), AnyError> {
    use V::{B, T};
    let mut s = Session {
        spec: Spec::builtin("cup-pos")?,
        terminal: PosHeader {
            tpdu: Tpdu::new(0x0003, 0x0000),
            app_type: 0x61,
            version: 0x31,
            terminal_status: 0,
            processing: 0,
            app_version: [0x31, 0x01, 0x02],
        },
        pcap: PcapWriter::new("192.168.10.23:49731".parse()?, "10.20.30.40:5000".parse()?)
            .with_isn(0x1A2B_3C4D, 0x5E6F_7081),
        messages: Vec::new(),
        clock: 0,
    };
    let (up, down) = (Direction::ToServer, Direction::ToClient);
    let ts = s.ts();
    s.pcap.handshake(ts);

    // Sign-on: the host answers with the batch number and working keys (DE 62).
    s.wait_ms(12);
    let w = s.build(
        true,
        "0800",
        &[
            (11, T("000001")),
            (41, T(TID)),
            (42, T(MID)),
            (60, T("00000000003")),
            (63, T("001")),
        ],
    )?;
    s.send(up, &w)?;
    s.wait_ms(183);
    let keys: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    let w = s.build(
        false,
        "0810",
        &[
            (11, T("000001")),
            (12, T("090000")),
            (13, T("1122")),
            (32, T("48020000")),
            (37, T("112209000001")),
            (39, T("00")),
            (41, T(TID)),
            (42, T(MID)),
            (60, T(&format!("00{BATCH}003"))),
            (62, B(&keys)),
        ],
    )?;
    s.send(down, &w)?;

    // Purchase 1: chip card with PIN, 125.00; the request goes out in two segments.
    s.wait_ms(41_250);
    let icc: [u8; 34] = [
        0x9F, 0x26, 0x08, 0x6D, 0x2B, 0x1C, 0x99, 0x04, 0xA1, 0x37, 0x5E, 0x9F, 0x27, 0x01, 0x80,
        0x9F, 0x10, 0x07, 0x06, 0x01, 0x0A, 0x03, 0xA0, 0x00, 0x00, 0x9F, 0x37, 0x04, 0x3C, 0x1F,
        0x88, 0x02, 0x82, 0x02,
    ];
    let icc = [&icc[..], &[0x7C, 0x00]].concat();
    let pin = [0x4A, 0x91, 0x0C, 0x77, 0xE2, 0x5B, 0x13, 0xD8];
    let mac =
        |seed: u8| -> [u8; 8] { core::array::from_fn(|i| seed.wrapping_mul(i as u8 + 3) ^ 0x5A) };
    let w = s.build(
        true,
        "0200",
        &[
            (2, T(PAN)),
            (3, T("000000")),
            (4, T("000000012500")),
            (11, T("000002")),
            (14, T("2912")),
            (22, T("051")),
            (23, T("001")),
            (25, T("00")),
            (26, T("12")),
            (35, T("6222021234567890123=29122201000012300")),
            (41, T(TID)),
            (42, T(MID)),
            (49, T("156")),
            (52, B(&pin)),
            (53, T("2600000000000000")),
            (55, B(&icc)),
            (60, T(&format!("22{BATCH}00050"))),
            (64, B(&mac(1))),
        ],
    )?;
    let framed = Session::framed(&w)?;
    let (first, second) = framed.split_at(40);
    let ts = s.ts();
    s.pcap.send(up, ts, first);
    s.wait_ms(3);
    let ts = s.ts();
    s.pcap.send(up, ts, second);
    s.wait_ms(412);
    let w = s.build(
        false,
        "0210",
        &[
            (2, T(PAN)),
            (3, T("000000")),
            (4, T("000000012500")),
            (11, T("000002")),
            (12, T("090041")),
            (13, T("1122")),
            (14, T("2912")),
            (25, T("00")),
            (32, T("48020000")),
            (37, T("112209000002")),
            (38, T("A71520")),
            (39, T("00")),
            (41, T(TID)),
            (42, T(MID)),
            (44, T("0103000048020000")),
            (49, T("156")),
            (60, T(&format!("22{BATCH}000"))),
            (63, T("CUP")),
            (64, B(&mac(2))),
        ],
    )?;
    s.send(down, &w)?;

    // Purchase 2: magstripe, 88.00, approved.
    s.wait_ms(95_800);
    let w = s.build(
        true,
        "0200",
        &[
            (3, T("000000")),
            (4, T("000000008800")),
            (11, T("000003")),
            (22, T("021")),
            (25, T("00")),
            (35, T("6222027654321098765=26111010000034500")),
            (41, T(TID)),
            (42, T(MID)),
            (49, T("156")),
            (60, T(&format!("22{BATCH}000"))),
            (64, B(&mac(3))),
        ],
    )?;
    s.send(up, &w)?;
    s.wait_ms(296);
    let w = s.build(
        false,
        "0210",
        &[
            (2, T("6222027654321098765")),
            (3, T("000000")),
            (4, T("000000008800")),
            (11, T("000003")),
            (12, T("090217")),
            (13, T("1122")),
            (25, T("00")),
            (32, T("48020000")),
            (37, T("112209000003")),
            (38, T("B30961")),
            (39, T("00")),
            (41, T(TID)),
            (42, T(MID)),
            (49, T("156")),
            (60, T(&format!("22{BATCH}000"))),
            (63, T("CUP")),
            (64, B(&mac(4))),
        ],
    )?;
    s.send(down, &w)?;

    // Purchase 3: keyed, 9,800.00, declined for insufficient funds.
    s.wait_ms(63_100);
    let w = s.build(
        true,
        "0200",
        &[
            (2, T("6258091122334455")),
            (3, T("000000")),
            (4, T("000000980000")),
            (11, T("000004")),
            (14, T("2707")),
            (22, T("012")),
            (25, T("00")),
            (41, T(TID)),
            (42, T(MID)),
            (49, T("156")),
            (60, T(&format!("22{BATCH}000"))),
            (64, B(&mac(5))),
        ],
    )?;
    s.send(up, &w)?;
    s.wait_ms(1_204);
    let w = s.build(
        false,
        "0210",
        &[
            (2, T("6258091122334455")),
            (3, T("000000")),
            (4, T("000000980000")),
            (11, T("000004")),
            (12, T("090322")),
            (13, T("1122")),
            (25, T("00")),
            (32, T("48020000")),
            (37, T("112209000004")),
            (39, T("51")),
            (41, T(TID)),
            (42, T(MID)),
            (60, T(&format!("22{BATCH}000"))),
            (64, B(&mac(6))),
        ],
    )?;
    s.send(down, &w)?;

    // Void of purchase 1 (same amount, original RRN and auth code, DE 61 = batch + trace).
    s.wait_ms(151_900);
    let w = s.build(
        true,
        "0200",
        &[
            (2, T(PAN)),
            (3, T("200000")),
            (4, T("000000012500")),
            (11, T("000005")),
            (14, T("2912")),
            (22, T("051")),
            (23, T("001")),
            (25, T("00")),
            (37, T("112209000002")),
            (38, T("A71520")),
            (41, T(TID)),
            (42, T(MID)),
            (49, T("156")),
            (60, T(&format!("23{BATCH}00050"))),
            (61, T(&format!("{BATCH}000002"))),
            (64, B(&mac(7))),
        ],
    )?;
    s.send(up, &w)?;
    s.wait_ms(338);
    let w = s.build(
        false,
        "0210",
        &[
            (2, T(PAN)),
            (3, T("200000")),
            (4, T("000000012500")),
            (11, T("000005")),
            (12, T("090556")),
            (13, T("1122")),
            (25, T("00")),
            (32, T("48020000")),
            (37, T("112209000005")),
            (38, T("A71520")),
            (39, T("00")),
            (41, T(TID)),
            (42, T(MID)),
            (49, T("156")),
            (60, T(&format!("23{BATCH}000"))),
            (63, T("CUP")),
            (64, B(&mac(8))),
        ],
    )?;
    s.send(down, &w)?;

    // Refund of 30.00 of purchase 2, as an advice (0220): original RRN, DE 61 = zeros + date.
    s.wait_ms(402_700);
    let w = s.build(
        true,
        "0220",
        &[
            (3, T("200000")),
            (4, T("000000003000")),
            (11, T("000006")),
            (22, T("021")),
            (25, T("00")),
            (35, T("6222027654321098765=26111010000034500")),
            (37, T("112209000003")),
            (41, T(TID)),
            (42, T(MID)),
            (49, T("156")),
            (60, T(&format!("25{BATCH}000"))),
            (61, T("0000000000001122")),
            (63, T("CUP")),
            (64, B(&mac(9))),
        ],
    )?;
    s.send(up, &w)?;
    s.wait_ms(519);
    let w = s.build(
        false,
        "0230",
        &[
            (2, T("6222027654321098765")),
            (3, T("200000")),
            (4, T("000000003000")),
            (11, T("000006")),
            (12, T("091249")),
            (13, T("1122")),
            (25, T("00")),
            (32, T("48020000")),
            (37, T("112209000006")),
            (39, T("00")),
            (41, T(TID)),
            (42, T(MID)),
            (49, T("156")),
            (60, T(&format!("25{BATCH}000"))),
            (64, B(&mac(10))),
        ],
    )?;
    s.send(down, &w)?;

    // Purchase 4: the response never arrives (no 0210 in the capture).
    s.wait_ms(388_000);
    let w = s.build(
        true,
        "0200",
        &[
            (3, T("000000")),
            (4, T("000000004600")),
            (11, T("000007")),
            (22, T("021")),
            (25, T("00")),
            (35, T("6222027654321098765=26111010000034500")),
            (41, T(TID)),
            (42, T(MID)),
            (49, T("156")),
            (60, T(&format!("22{BATCH}000"))),
            (64, B(&mac(11))),
        ],
    )?;
    s.send(up, &w)?;

    // 60 s later: its reversal (reason 98, no response) and the settlement, in one segment.
    s.wait_ms(60_000);
    let reversal = s.build(
        true,
        "0400",
        &[
            (3, T("000000")),
            (4, T("000000004600")),
            (11, T("000007")),
            (22, T("021")),
            (25, T("00")),
            (39, T("98")),
            (41, T(TID)),
            (42, T(MID)),
            (49, T("156")),
            (60, T(&format!("22{BATCH}000"))),
            (64, B(&mac(12))),
        ],
    )?;
    // Debit: purchase 2 (8,800) only (purchase 1 voided, 3 declined, 4 reversed); credit:
    // the refund (3,000); then the foreign totals, all zero.
    let totals = |flag: char| {
        format!(
            "000000008800001000000003000001{flag}{}{flag}",
            "0".repeat(30)
        )
    };
    let settle_req = totals('0');
    let settlement = s.build(
        true,
        "0500",
        &[
            (11, T("000008")),
            (41, T(TID)),
            (42, T(MID)),
            (48, T(&settle_req)),
            (49, T("156")),
            (60, T(&format!("00{BATCH}201"))),
            (63, T("001")),
        ],
    )?;
    let merged = [Session::framed(&reversal)?, Session::framed(&settlement)?].concat();
    let ts = s.ts();
    s.pcap.send(up, ts, &merged);
    s.wait_ms(645);
    let reversal_rsp = s.build(
        false,
        "0410",
        &[
            (3, T("000000")),
            (4, T("000000004600")),
            (11, T("000007")),
            (12, T("092048")),
            (13, T("1122")),
            (25, T("00")),
            (32, T("48020000")),
            (37, T("112209000007")),
            (39, T("00")),
            (41, T(TID)),
            (42, T(MID)),
            (49, T("156")),
            (60, T(&format!("22{BATCH}000"))),
            (64, B(&mac(13))),
        ],
    )?;
    let balanced = totals('1');
    let settlement_rsp = s.build(
        false,
        "0510",
        &[
            (11, T("000008")),
            (12, T("092048")),
            (13, T("1122")),
            (15, T("1122")),
            (32, T("48020000")),
            (37, T("112209000008")),
            (39, T("00")),
            (41, T(TID)),
            (42, T(MID)),
            (48, T(&balanced)),
            (49, T("156")),
            (60, T(&format!("00{BATCH}201"))),
            (63, T("001")),
        ],
    )?;
    let merged = [
        Session::framed(&reversal_rsp)?,
        Session::framed(&settlement_rsp)?,
    ]
    .concat();
    let ts = s.ts();
    s.pcap.send(down, ts, &merged);

    s.wait_ms(30);
    let ts = s.ts();
    s.pcap.fin(up, ts);
    s.wait_ms(1);
    let ts = s.ts();
    s.pcap.fin(down, ts);

    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let pcap_path = dir.join("pos-session.pcap");
    std::fs::write(&pcap_path, s.pcap.finish())
        .map_err(|e| format!("{}: {e}", pcap_path.display()))?;
    let mut lines = String::new();
    for m in &s.messages {
        for b in m {
            lines.push_str(&format!("{b:02X}"));
        }
        lines.push('\n');
    }
    let hex_path = dir.join("pos-session.hexlines");
    std::fs::write(&hex_path, lines).map_err(|e| format!("{}: {e}", hex_path.display()))?;
    println!(
        "wrote {} and {} ({} messages)",
        pcap_path.display(),
        hex_path.display(),
        s.messages.len()
    );
    Ok(())
}
