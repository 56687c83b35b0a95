//! Shared helpers for the integration tests: reading the vector files and running the
//! `iso8583` example CLI.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use bytes::Bytes;
use iso8583_wire::{Message, Spec};

/// One reference vector.
pub struct Vector {
    pub index: u64,
    pub mti: String,
    pub hex: String,
    pub fields: BTreeMap<u16, String>,
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// Reads `tests/vectors/<file>`.
pub fn vectors(file: &str) -> Vec<Vector> {
    let path = format!("{}/tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let fields = v["fields"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.parse().unwrap(), v.as_str().unwrap().to_owned()))
                .collect();
            Vector {
                index: v["index"].as_u64().unwrap(),
                mti: v["mti"].as_str().unwrap().to_owned(),
                hex: v["hex"].as_str().unwrap().to_owned(),
                fields,
            }
        })
        .collect()
}

/// An example binary that `cargo test` builds next to the test executables.
pub fn example(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin: PathBuf = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} not built; run cargo test (it builds examples)",
        bin.display()
    );
    bin
}

/// The `iso8583` example CLI.
pub fn cli() -> Command {
    Command::new(example("iso8583"))
}

pub fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = cli()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let text = stdin.to_owned();
    let writer = std::thread::spawn(move || input.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

/// `examples/host` started on a free port with `args`, and one connection to it (two-byte
/// big-endian length headers); the host is killed when this is dropped. The host's log is
/// drained on a thread so it never blocks on a full pipe.
pub struct HostProcess {
    child: std::process::Child,
    conn: std::net::TcpStream,
}

impl HostProcess {
    pub fn start(args: &[&str]) -> HostProcess {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(example("host"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let addr = first.strip_prefix("listening on ").unwrap().to_owned();
        std::thread::spawn(move || for _ in lines {});
        let conn = std::net::TcpStream::connect(addr).unwrap();
        conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        HostProcess { child, conn }
    }

    /// Sends `request` and reads the one answer.
    pub fn exchange(&mut self, request: &[u8]) -> Vec<u8> {
        use std::io::Read;
        let len = u16::try_from(request.len()).unwrap().to_be_bytes();
        self.conn.write_all(&[&len[..], request].concat()).unwrap();
        let mut len = [0u8; 2];
        self.conn.read_exact(&mut len).unwrap();
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
        self.conn.read_exact(&mut body).unwrap();
        body
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asserts that `built`, from `MessageBuilder::build` (whose field table comes from the
/// builder), is the message decoding `wire` gives: the same bytes, MTI, bitmap and header,
/// every field in order with its offset and wire bytes, and every number 1..=192 reached by
/// number alike. `what` names the case in failures.
pub fn assert_built_as_decoded(spec: &Spec, built: &Message, wire: &[u8], what: &str) {
    let decoded = Message::decode(spec, Bytes::copy_from_slice(wire)).unwrap();
    assert_eq!(built.bytes().as_ref(), wire, "{what}: bytes");
    assert_eq!(built.mti(), decoded.mti(), "{what}: MTI");
    let (b, d) = (built.view(), decoded.view());
    assert_eq!(b.bitmap(), d.bitmap(), "{what}: bitmap");
    assert_eq!(b.header(), d.header(), "{what}: header");
    let fields = |m: &Message| -> Vec<(u16, usize, Vec<u8>)> {
        m.view()
            .fields()
            .map(|f| (f.number(), f.offset(), f.raw().to_vec()))
            .collect()
    };
    assert_eq!(fields(built), fields(&decoded), "{what}: fields in order");
    for n in 1..=192u16 {
        let at = |m: &Message| m.field(n).map(|f| (f.offset(), f.raw().to_vec()));
        assert_eq!(at(built), at(&decoded), "{what}: DE {n}");
    }
}
