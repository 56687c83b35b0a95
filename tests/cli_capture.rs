//! The `iso8583` CLI on captured traffic: pcap reassembly (split, merged, duplicated and
//! reordered segments in both directions), raw streams with every framing, tolerant hex
//! dumps, bad inputs, `encode --output raw`, the sample session and the `host` example.

#![cfg(feature = "pcap")]

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use bytes::BytesMut;
use iso8583_wire::capture::Timestamp;
use iso8583_wire::capture::writer::{Direction, PcapWriter, WriterLink};
use iso8583_wire::framing::{LengthHeader, PosHeader, Tpdu, encode_frame};
use iso8583_wire::{MessageBuilder, Spec};
use serde_json::Value;

mod common;
use common::example;

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(example("iso8583"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs and parses JSONL output, asserting success.
fn jsonl(args: &[&str], stdin: &[u8]) -> Vec<Value> {
    let out = run(args, stdin);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn mtis(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| v["mti"].as_str().unwrap_or("?").to_owned())
        .collect()
}

fn data(file: &str) -> String {
    format!("{}/examples/data/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

// ---------------------------------------------------------------- messages

const CLIENT: &str = "10.1.2.3:40001";
const SERVER: &str = "10.9.8.7:5000";

fn pos_header(reply: bool) -> [u8; 11] {
    let h = PosHeader {
        tpdu: Tpdu::new(0x0003, 0x0000),
        app_type: 0x60,
        version: 0x31,
        terminal_status: 0,
        processing: 0,
        app_version: [0x31, 0x01, 0x02],
    };
    if reply { h.reply() } else { h }.to_bytes()
}

/// A cup-pos purchase (`response` false) or its approval, STAN `stan`.
fn cup(stan: u32, response: bool) -> Vec<u8> {
    let spec = Spec::builtin("cup-pos").unwrap();
    let header = pos_header(response);
    let stan = format!("{stan:06}");
    let mut b = MessageBuilder::new(&spec);
    b.header(&header).unwrap();
    b.mti(if response { "0210" } else { "0200" }).unwrap();
    b.set(2, "6222021234567890123").unwrap();
    b.set(3, "000000").unwrap();
    b.set(4, "000000012500").unwrap();
    b.set(11, stan.as_str()).unwrap();
    b.set(41, "TERM0001").unwrap();
    b.set(42, "898310048160001").unwrap();
    b.set(60, "22000123000").unwrap();
    if response {
        b.set(37, "112209000002").unwrap();
        b.set(39, "00").unwrap();
    }
    b.encode_to_vec().unwrap()
}

/// An iso87-ascii-bin message.
fn iso87(mti: &str, stan: u32) -> Vec<u8> {
    let spec = Spec::builtin("iso87-ascii-bin").unwrap();
    let stan = format!("{stan:06}");
    let mut b = MessageBuilder::new(&spec);
    b.mti(mti).unwrap();
    b.set(2, "4761739001010119").unwrap();
    b.set(3, "000000").unwrap();
    b.set(4, "000000002500").unwrap();
    b.set(11, stan.as_str()).unwrap();
    b.set(41, "TERM0001").unwrap();
    b.encode_to_vec().unwrap()
}

fn framed(header: LengthHeader, msgs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for m in msgs {
        encode_frame(header, m, &mut out).unwrap();
    }
    out.to_vec()
}

fn ts(ms: u64) -> Timestamp {
    Timestamp::new(1_700_000_000 + ms / 1000, (ms % 1000) as u32 * 1_000_000)
}

// ---------------------------------------------------------------- the sample

/// The sample session's message order.
const SESSION: [&str; 17] = [
    "0800", "0810", "0200", "0210", "0200", "0210", "0200", "0210", "0200", "0210", "0220", "0230",
    "0200", "0400", "0500", "0410", "0510",
];

#[test]
fn sample_pcap_decodes_to_the_whole_session_with_ts_src_dst() {
    let path = data("pos-session.pcap");
    let v = jsonl(
        &[
            "decode",
            "--spec",
            "cup-pos",
            "--input",
            "pcap",
            "--framing",
            "len2",
            "--format",
            "jsonl",
            &path,
        ],
        b"",
    );
    assert_eq!(mtis(&v), SESSION);
    let terminal = "192.168.10.23:49731";
    let host = "10.20.30.40:5000";
    let mut last = 0.0f64;
    for m in &v {
        let ts: f64 = m["ts"].as_str().unwrap().parse().unwrap();
        assert!(ts >= last, "timestamps in order");
        last = ts;
        let request = m["mti"].as_str().unwrap().as_bytes()[2] % 2 == 0;
        let (src, dst) = if request {
            (terminal, host)
        } else {
            (host, terminal)
        };
        assert_eq!(m["src"], src);
        assert_eq!(m["dst"], dst);
        // Contract keys, nothing else (cup-pos has a header: TPDU + terminal header, hex).
        let keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["ts", "src", "dst", "mti", "header", "fields"]);
        assert_eq!(m["header"].as_str().unwrap().len(), 22);
    }
    // ts is "<secs>.<9 digits>"
    let first = v[0]["ts"].as_str().unwrap();
    assert_eq!(first.split_once('.').unwrap().1.len(), 9);
    // Masked by default.
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains("6222021234567890123"));
    assert!(text.contains("622202*********0123"));
}

#[test]
fn sample_pretty_dump_shows_time_endpoints_header_and_subfields() {
    let path = data("pos-session.pcap");
    let out = run(
        &["decode", "--spec", "cup-pos", "--input", "pcap", &path],
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(text.contains("#1  2024-11-22 09:00:00.012000 UTC"));
    assert!(text.contains("192.168.10.23:49731 -> 10.20.30.40:5000  (to server"));
    assert!(text.contains("10.20.30.40:5000 -> 192.168.10.23:49731  (to client"));
    assert!(text.contains("header  TPDU 60 dst 0003 src 0000"));
    assert!(text.contains("MTI 0400 (reversal request)") || text.contains("MTI 0400 ("));
    assert!(text.contains("60.2"));
    assert!(text.contains("55.9F26"));
    assert!(text.contains("(insufficient funds)"));
    assert!(!text.contains("6222021234567890123"), "PAN masked");
    let err = stderr(&out);
    assert!(err.contains("17 messages, 0 errors"), "{err}");
    assert!(err.contains("0200=5"), "{err}");
    // --unmask shows it.
    let out = run(
        &[
            "decode", "--spec", "cup-pos", "--input", "pcap", "--unmask", &path,
        ],
        b"",
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("6222021234567890123"));
}

#[test]
fn sample_hexlines_hold_the_same_messages_as_the_pcap() {
    let from_pcap = jsonl(
        &[
            "decode",
            "--spec",
            "cup-pos",
            "--input",
            "pcap",
            "--format",
            "jsonl",
            "--unmask",
            &data("pos-session.pcap"),
        ],
        b"",
    );
    let from_lines = jsonl(
        &[
            "decode",
            "--spec",
            "cup-pos",
            "--input",
            "hex-lines",
            "--format",
            "jsonl",
            "--unmask",
            &data("pos-session.hexlines"),
        ],
        b"",
    );
    assert_eq!(from_lines.len(), from_pcap.len());
    for (a, b) in from_lines.iter().zip(&from_pcap) {
        assert_eq!(a.as_object().unwrap().len(), 3, "no pcap keys without pcap");
        assert_eq!(a["mti"], b["mti"]);
        assert_eq!(a["header"], b["header"]);
        assert_eq!(a["fields"], b["fields"]);
    }
}

#[test]
fn sample_files_are_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(example("make_sample"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for file in ["pos-session.pcap", "pos-session.hexlines"] {
        let fresh = std::fs::read(dir.path().join(file)).unwrap();
        let committed = std::fs::read(data(file)).unwrap();
        assert!(
            fresh == committed,
            "{file} differs from `cargo run --example make_sample`; regenerate it"
        );
        assert!(fresh.len() < 8192, "{file} stays small");
    }
}

// ---------------------------------------------------------------- reassembly

/// Where each segment's bytes go, per direction: a list of (stream offset, length, ms).
struct Conversation {
    w: PcapWriter,
    /// The full byte stream of each direction (ToServer, ToClient).
    streams: [Vec<u8>; 2],
}

impl Conversation {
    fn new(client: &str, server: &str, link: WriterLink) -> Self {
        let client: SocketAddr = client.parse().unwrap();
        let server: SocketAddr = server.parse().unwrap();
        let mut w = PcapWriter::new(client, server).with_link(link);
        w.handshake(ts(0));
        Conversation {
            w,
            streams: [Vec::new(), Vec::new()],
        }
    }

    fn idx(dir: Direction) -> usize {
        usize::from(dir != Direction::ToServer)
    }

    /// Appends bytes to a direction's stream without writing a segment; returns the offset.
    fn queue(&mut self, dir: Direction, bytes: &[u8]) -> usize {
        let s = &mut self.streams[Self::idx(dir)];
        let at = s.len();
        s.extend_from_slice(bytes);
        at
    }

    /// Writes the segment holding stream bytes `from..to` of `dir`.
    fn seg(&mut self, dir: Direction, ms: u64, from: usize, to: usize) {
        let payload = self.streams[Self::idx(dir)][from..to].to_vec();
        self.w.segment(dir, ts(ms), from as u32, &payload);
    }
}

/// Three exchanges of cup-pos messages with every segment pathology in both directions:
/// split across 3 segments, 2 messages merged in one segment, a duplicated (retransmitted)
/// segment, segments delivered out of order, and a segment overlapping the previous one.
fn tricky_capture(link: WriterLink, client: &str, server: &str) -> Vec<u8> {
    let (up, down) = (Direction::ToServer, Direction::ToClient);
    let mut c = Conversation::new(client, server, link);
    let h = LengthHeader::Len2Be;
    for (dir, base) in [(up, false), (down, true)] {
        let msgs: Vec<Vec<u8>> = (1..=5).map(|i| cup(i, base)).collect();
        let stream = framed(h, &msgs);
        c.queue(dir, &stream);
    }
    let ms0 = 10;
    for (k, dir) in [up, down].into_iter().enumerate() {
        let s = c.streams[Conversation::idx(dir)].clone();
        let msg_len = s.len() / 5; // all five messages have the same length
        let t = ms0 + 1000 * k as u64;
        // message 1 split in three segments
        c.seg(dir, t, 0, 7);
        c.seg(dir, t + 1, 7, 30);
        c.seg(dir, t + 2, 30, msg_len);
        // ... and the last of them retransmitted
        c.seg(dir, t + 3, 30, msg_len);
        // messages 2 and 3 in one segment
        c.seg(dir, t + 4, msg_len, 3 * msg_len);
        // message 4 in two segments delivered in reverse order
        c.seg(dir, t + 5, 3 * msg_len + 20, 4 * msg_len);
        c.seg(dir, t + 6, 3 * msg_len, 3 * msg_len + 20);
        // message 5 overlapping message 4's tail, in one segment
        c.seg(dir, t + 7, 4 * msg_len - 5, 5 * msg_len);
    }
    c.w.finish()
}

fn check_tricky(file: &str, client: &str, server: &str) {
    let v = jsonl(
        &[
            "decode", "--spec", "cup-pos", "--input", "pcap", "--format", "jsonl", "--unmask", file,
        ],
        b"",
    );
    assert_eq!(v.len(), 10, "{v:?}");
    let up: Vec<&Value> = v.iter().filter(|m| m["src"] == client).collect();
    let down: Vec<&Value> = v.iter().filter(|m| m["src"] == server).collect();
    assert_eq!(up.len(), 5);
    assert_eq!(down.len(), 5);
    for (i, m) in up.iter().enumerate() {
        assert_eq!(m["mti"], "0200");
        assert_eq!(m["dst"], server);
        assert_eq!(m["fields"]["11"], format!("{:06}", i + 1));
        assert_eq!(m["fields"]["2"], "6222021234567890123");
    }
    for (i, m) in down.iter().enumerate() {
        assert_eq!(m["mti"], "0210");
        assert_eq!(m["fields"]["11"], format!("{:06}", i + 1));
        assert_eq!(m["fields"]["39"], "00");
    }
}

#[test]
fn pcap_split_merged_duplicated_reordered_segments_in_both_directions() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(
        dir.path(),
        "tricky.pcap",
        &tricky_capture(WriterLink::Ethernet, CLIENT, SERVER),
    );
    check_tricky(&file, CLIENT, SERVER);
    let out = run(
        &["decode", "--spec", "cup-pos", "--input", "pcap", &file],
        b"",
    );
    let err = stderr(&out);
    assert!(err.contains("retransmitted"), "{err}");
    assert!(err.contains("out of order"), "{err}");
}

#[test]
fn pcap_links_and_ipv6() {
    let dir = tempfile::tempdir().unwrap();
    for (i, link) in [
        WriterLink::EthernetVlan(42),
        WriterLink::LinuxSll,
        WriterLink::LinuxSll2,
        WriterLink::Raw,
        WriterLink::Null,
    ]
    .into_iter()
    .enumerate()
    {
        let file = write_temp(
            dir.path(),
            &format!("l{i}.pcap"),
            &tricky_capture(link, CLIENT, SERVER),
        );
        check_tricky(&file, CLIENT, SERVER);
    }
    let (c6, s6) = ("[2001:db8::1]:40001", "[2001:db8::2]:5000");
    let file = write_temp(
        dir.path(),
        "v6.pcap",
        &tricky_capture(WriterLink::Ethernet, c6, s6),
    );
    check_tricky(&file, c6, s6);
}

#[test]
fn pcap_port_filter_keeps_one_connection() {
    let mut a = PcapWriter::new(CLIENT.parse().unwrap(), SERVER.parse().unwrap());
    let mut b = PcapWriter::new(
        "10.1.2.3:40002".parse().unwrap(),
        "10.9.8.7:6000".parse().unwrap(),
    );
    a.handshake(ts(0));
    b.handshake(ts(1));
    a.send(
        Direction::ToServer,
        ts(10),
        &framed(LengthHeader::Len2Be, &[cup(1, false)]),
    );
    b.send(
        Direction::ToServer,
        ts(11),
        &framed(LengthHeader::Len2Be, &[cup(2, false)]),
    );
    a.send(
        Direction::ToClient,
        ts(20),
        &framed(LengthHeader::Len2Be, &[cup(1, true)]),
    );
    b.send(
        Direction::ToClient,
        ts(21),
        &framed(LengthHeader::Len2Be, &[cup(2, true)]),
    );
    // Interleave b's packets into a's capture by time.
    let mut records: Vec<(Timestamp, Vec<u8>)> = a.records().to_vec();
    records.extend(b.records().iter().cloned());
    records.sort_by_key(|r| r.0);
    let mut w = PcapWriter::new(CLIENT.parse().unwrap(), SERVER.parse().unwrap());
    for (t, f) in records {
        w.packet(t, f);
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(dir.path(), "two.pcap", &w.finish());
    let all = jsonl(
        &[
            "decode", "--spec", "cup-pos", "--input", "pcap", "--format", "jsonl", &file,
        ],
        b"",
    );
    assert_eq!(mtis(&all), ["0200", "0200", "0210", "0210"]);
    let one = jsonl(
        &[
            "decode", "--spec", "cup-pos", "--input", "pcap", "--port", "6000", "--format",
            "jsonl", &file,
        ],
        b"",
    );
    assert_eq!(mtis(&one), ["0200", "0210"]);
    assert!(
        one.iter()
            .all(|m| m["src"].as_str().unwrap().ends_with(":6000")
                || m["dst"].as_str().unwrap().ends_with(":6000"))
    );
}

#[test]
fn pcap_json_format_is_an_array_and_pcap_reads_from_stdin() {
    let file = std::fs::read(data("pos-session.pcap")).unwrap();
    let out = run(
        &[
            "decode", "--spec", "cup-pos", "--input", "pcapng", "--format", "json", "-",
        ],
        &file,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), SESSION.len());
    assert!(
        arr.iter()
            .all(|m| m["ts"].is_string() && m["src"].is_string())
    );
}

#[test]
fn pcap_with_a_message_cut_by_the_end_of_capture_reports_it() {
    let (up, down) = (Direction::ToServer, Direction::ToClient);
    let mut w = PcapWriter::new(CLIENT.parse().unwrap(), SERVER.parse().unwrap());
    w.handshake(ts(0));
    w.send(up, ts(1), &framed(LengthHeader::Len2Be, &[cup(1, false)]));
    let reply = framed(LengthHeader::Len2Be, &[cup(1, true)]);
    w.send(down, ts(2), &reply[..reply.len() - 9]);
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(dir.path(), "cut.pcap", &w.finish());
    let out = run(
        &[
            "decode", "--spec", "cup-pos", "--input", "pcap", "--format", "jsonl", &file,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["mti"], "0200");
    assert!(
        lines[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stream ended inside a frame")
    );
    assert_eq!(lines[1]["src"], SERVER);
}

// ---------------------------------------------------------------- raw streams

#[test]
fn raw_input_with_every_framing() {
    let dir = tempfile::tempdir().unwrap();
    let msgs = vec![iso87("0200", 1), iso87("0210", 1), iso87("0800", 2)];
    for header in LengthHeader::ALL {
        let (stream, expect): (Vec<u8>, Vec<&str>) = if header == LengthHeader::None {
            (msgs[0].clone(), vec!["0200"])
        } else {
            (framed(header, &msgs), vec!["0200", "0210", "0800"])
        };
        let file = write_temp(dir.path(), &format!("{header}.bin"), &stream);
        let v = jsonl(
            &[
                "decode",
                "--input",
                "raw",
                "--framing",
                header.name(),
                "--format",
                "jsonl",
                &file,
            ],
            b"",
        );
        assert_eq!(mtis(&v), expect, "{header}");
        assert_eq!(v[0]["fields"]["11"], "000001");
        // Same from stdin.
        let v = jsonl(
            &[
                "decode",
                "--input",
                "raw",
                "--framing",
                header.name(),
                "--format",
                "jsonl",
            ],
            &stream,
        );
        assert_eq!(mtis(&v), expect, "{header} stdin");
    }
    // The default framing for raw input is len2.
    let file = write_temp(
        dir.path(),
        "default.bin",
        &framed(LengthHeader::Len2Be, &msgs),
    );
    let v = jsonl(
        &["decode", "--input", "raw", "--format", "jsonl", &file],
        b"",
    );
    assert_eq!(v.len(), 3);
    // cup-pos with its TPDU + header, as the host and terminals send it.
    let stream = framed(LengthHeader::Len2Be, &[cup(7, false), cup(7, true)]);
    let v = jsonl(
        &[
            "decode", "--spec", "cup-pos", "--input", "raw", "--format", "jsonl",
        ],
        &stream,
    );
    assert_eq!(mtis(&v), ["0200", "0210"]);
}

#[test]
fn hex_lines_can_carry_length_headers() {
    let line = hex(&framed(
        LengthHeader::Len4Ascii,
        &[iso87("0200", 3), iso87("0210", 3)],
    ));
    let v = jsonl(
        &["decode", "--framing", "len4ascii", "--format", "jsonl", "-"],
        format!("{line}\n").as_bytes(),
    );
    assert_eq!(mtis(&v), ["0200", "0210"]);
}

// ---------------------------------------------------------------- hex dumps

fn dumps(bytes: &[u8]) -> Vec<(&'static str, String)> {
    let mut c = String::new();
    let mut x = String::new();
    let mut o = String::new();
    let mut t = String::new();
    let printable = |b: &u8| {
        if (0x20..0x7f).contains(b) {
            char::from(*b)
        } else {
            '.'
        }
    };
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let ascii: String = chunk.iter().map(printable).collect();
        let spaced: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let (left, right) = spaced.split_at(spaced.len().min(8));
        c.push_str(&format!(
            "{:08x}  {:<23}  {:<23}  |{ascii}|\n",
            i * 16,
            left.join(" "),
            right.join(" ")
        ));
        let groups: Vec<String> = chunk.chunks(2).map(hex).collect();
        x.push_str(&format!(
            "{:08x}: {:<39}  {ascii}\n",
            i * 16,
            groups.join(" ")
        ));
        o.push_str(&format!("{:04X}: {}\n", i * 16, spaced.join(" ")));
        t.push_str(&format!(
            "\t0x{:04x}:  {:<39}  {ascii}\n",
            i * 16,
            groups.join(" ")
        ));
    }
    c.push_str(&format!("{:08x}\n", bytes.len()));
    let prefixed: Vec<String> = bytes.iter().map(|b| format!("0x{b:02X}")).collect();
    let colons: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        ("hexdump -C", c),
        ("xxd", x),
        ("offset colon", o),
        ("tcpdump -X", t),
        ("0x, commas", prefixed.join(", ")),
        ("colons, wrapped", colons.join(":").replace(":3", ":\n3")),
    ]
}

#[test]
fn hex_input_tolerates_common_dump_formats() {
    let msg = iso87("0200", 42);
    let want = jsonl(
        &["decode", "--format", "jsonl", "-"],
        format!("{}\n", hex(&msg)).as_bytes(),
    );
    assert_eq!(want.len(), 1);
    for (style, text) in dumps(&msg) {
        let out = run(
            &["decode", "--input", "hex", "--format", "jsonl", "-"],
            text.as_bytes(),
        );
        assert!(out.status.success(), "{style}: {}\n{text}", stderr(&out));
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(got, want[0], "{style}:\n{text}");
    }
}

// ---------------------------------------------------------------- bad inputs

/// Asserts a failing run: the exit code, a line on stderr naming the problem, no panic.
fn fails(out: &Output, code: i32, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("iso8583: ") && l.contains(needle));
    assert!(line.is_some(), "no line with {needle:?} in:\n{err}");
}

#[test]
fn bad_inputs_give_one_clear_line_and_a_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read(data("pos-session.pcap")).unwrap();

    let cut = write_temp(dir.path(), "cut.pcap", &sample[..sample.len() - 10]);
    let out = run(
        &["decode", "--spec", "cup-pos", "--input", "pcap", &cut],
        b"",
    );
    fails(&out, 2, "file truncated");
    // What came before the damage is still decoded.
    assert!(String::from_utf8_lossy(&out.stdout).contains("MTI 0800"));

    let header_only = write_temp(dir.path(), "short.pcap", &sample[..10]);
    fails(
        &run(&["decode", "--input", "pcap", &header_only], b""),
        2,
        "truncated",
    );

    let mut w =
        PcapWriter::new(CLIENT.parse().unwrap(), SERVER.parse().unwrap()).with_linktype_number(147);
    w.handshake(ts(0));
    let odd = write_temp(dir.path(), "dlt147.pcap", &w.finish());
    fails(
        &run(&["decode", "--input", "pcap", &odd], b""),
        2,
        "unsupported link type 147",
    );

    let text = write_temp(dir.path(), "notes.txt", b"this is not a capture at all\n");
    fails(
        &run(&["decode", "--input", "pcap", &text], b""),
        2,
        "not a pcap or pcapng file",
    );

    let out = run(&["decode", "--input", "hex", "-"], b"30 31 32\n33 ZZ 34\n");
    fails(&out, 1, "not a hex digit 'Z' at line 2, column 4");

    let out = run(&["decode", "--input", "hex", "-"], b"   \n");
    fails(&out, 1, "no hex digits");

    let mut big = vec![0xFF, 0xFF];
    big.extend_from_slice(&[0u8; 64]);
    let out = run(
        &[
            "decode",
            "--input",
            "raw",
            "--framing",
            "len2",
            "--max-frame",
            "4096",
            "-",
        ],
        &big,
    );
    fails(
        &out,
        1,
        "frame of 65535 bytes exceeds the maximum of 4096 bytes",
    );

    let out = run(
        &["decode", "--input", "raw", "--framing", "len4ascii", "-"],
        b"00x9abc",
    );
    fails(&out, 1, "not a decimal digit");

    let stream = framed(LengthHeader::Len2Be, &[iso87("0200", 1), iso87("0210", 1)]);
    let out = run(
        &["decode", "--input", "raw", "--format", "jsonl", "-"],
        &stream[..stream.len() - 3],
    );
    fails(&out, 1, "stream ended inside a frame");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"mti\":\"0200\""));

    fails(
        &run(&["decode", "--input", "raw", "/nonexistent/x.bin"], b""),
        2,
        "/nonexistent/x.bin",
    );
    fails(&run(&["decode", "--port", "5000", "-"], b""), 2, "--port");
    fails(
        &run(&["decode", "--input", "hex-lines", "-"], &sample),
        2,
        "--input pcap",
    );
    // Length header over the maximum inside a capture: that direction stops, others go on.
    let mut w = PcapWriter::new(CLIENT.parse().unwrap(), SERVER.parse().unwrap());
    w.handshake(ts(0));
    w.send(Direction::ToServer, ts(1), &[0x7F, 0xFF, 1, 2, 3]);
    w.send(
        Direction::ToClient,
        ts(2),
        &framed(LengthHeader::Len2Be, &[cup(1, true)]),
    );
    let file = write_temp(dir.path(), "huge.pcap", &w.finish());
    let out = run(
        &[
            "decode",
            "--spec",
            "cup-pos",
            "--input",
            "pcap",
            "--max-frame",
            "2048",
            "--format",
            "jsonl",
            &file,
        ],
        b"",
    );
    fails(&out, 1, "exceeds the maximum of 2048 bytes");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"mti\":\"0210\""));
}

// ---------------------------------------------------------------- encode

#[test]
fn encode_raw_round_trips_through_decode_raw() {
    let dir = tempfile::tempdir().unwrap();
    for (spec, header) in [
        ("iso87-ascii-bin", None),
        ("cup-pos", Some(hex(&pos_header(false)))),
    ] {
        let source = if spec == "cup-pos" {
            framed(
                LengthHeader::Len2Be,
                &[cup(1, false), cup(1, true), cup(2, false)],
            )
        } else {
            framed(
                LengthHeader::Len2Be,
                &[iso87("0200", 1), iso87("0210", 1), iso87("0800", 9)],
            )
        };
        let original = jsonl(
            &[
                "decode", "--spec", spec, "--input", "raw", "--format", "jsonl", "--unmask",
            ],
            &source,
        );
        let jsonl_text: String = original.iter().map(|v| format!("{v}\n")).collect();
        for framing in ["len2", "len2le", "len2bcd", "len4ascii"] {
            let file = dir.path().join(format!("{spec}-{framing}.bin"));
            let file = file.to_str().unwrap();
            let mut args = vec![
                "encode",
                "--spec",
                spec,
                "--output",
                "raw",
                "--framing",
                framing,
                "-o",
                file,
            ];
            if let Some(h) = &header {
                args.extend(["--header", h.as_str()]);
            }
            args.push("-");
            let out = run(&args, jsonl_text.as_bytes());
            assert!(out.status.success(), "{}", stderr(&out));
            let again = jsonl(
                &[
                    "decode",
                    "--spec",
                    spec,
                    "--input",
                    "raw",
                    "--framing",
                    framing,
                    "--format",
                    "jsonl",
                    "--unmask",
                    file,
                ],
                b"",
            );
            assert_eq!(again, original, "{spec} {framing}");
        }
        // Raw to stdout (not a terminal here) works too, and hex output can carry a header.
        let out = run(
            &["encode", "--spec", spec, "--output", "raw", "-"],
            jsonl_text.as_bytes(),
        );
        assert!(out.status.success());
        let out = run(
            &["encode", "--spec", spec, "--framing", "len2", "-"],
            jsonl_text.as_bytes(),
        );
        let first = String::from_utf8(out.stdout).unwrap();
        assert!(first.lines().all(|l| l.len() > 4));
    }
    // A --header of the wrong size is refused.
    let out = run(
        &["encode", "--spec", "cup-pos", "--header", "6000", "-"],
        b"",
    );
    fails(&out, 2, "11-byte header");
}

// ---------------------------------------------------------------- host

#[cfg(feature = "tokio")]
#[test]
fn host_example_answers_purchases_and_sign_on() {
    use iso8583_wire::MessageView;

    let mut host = common::HostProcess::start(&["--limit", "50000"]);
    let spec = Spec::builtin("cup-pos").unwrap();
    let mut exchange = |request: Vec<u8>| host.exchange(&request);

    // 125.00 is under the limit of 500.00: approved.
    let rsp = exchange(cup(31, false));
    let v = MessageView::decode(&spec, &rsp).unwrap();
    assert_eq!(v.mti().as_str(), "0210");
    assert_eq!(v.str(39), Some("00"));
    for n in [3, 4, 11, 41, 42] {
        assert!(v.has(n), "DE {n} echoed");
    }
    assert_eq!(v.field(11).unwrap().clear().to_string(), "000031");
    assert_eq!(v.field(4).unwrap().to_u64(), Some(12500));
    assert_eq!(v.str(41), Some("TERM0001"));
    assert!(v.has(37) && v.has(38));
    assert_eq!(v.header(), &pos_header(true)[..], "TPDU swapped");

    // Above the limit: declined 51.
    let spec87 = Spec::builtin("cup-pos").unwrap();
    let header = pos_header(false);
    let mut b = MessageBuilder::new(&spec87);
    b.header(&header).unwrap();
    b.mti("0200").unwrap();
    b.set(3, "000000").unwrap();
    b.set(4, "000000060000").unwrap();
    b.set(11, "000032").unwrap();
    b.set(41, "TERM0001").unwrap();
    b.set(42, "898310048160001").unwrap();
    let rsp = exchange(b.encode_to_vec().unwrap());
    let v = MessageView::decode(&spec, &rsp).unwrap();
    assert_eq!(v.str(39), Some("51"));
    assert!(!v.has(38));

    // Sign-on.
    let mut b = MessageBuilder::new(&spec87);
    b.header(&header).unwrap();
    b.mti("0800").unwrap();
    b.set(11, "000033").unwrap();
    b.set(41, "TERM0001").unwrap();
    b.set(60, "00000000003").unwrap();
    let rsp = exchange(b.encode_to_vec().unwrap());
    let v = MessageView::decode(&spec, &rsp).unwrap();
    assert_eq!(v.mti().as_str(), "0810");
    assert_eq!(v.str(39), Some("00"));
}
