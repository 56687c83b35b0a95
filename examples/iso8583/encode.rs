//! `iso8583 encode`: JSONL messages to hex lines or a framed raw stream.
//!
//! Hex output keeps line N of the output for line N of the input: a blank input line gives a
//! blank output line, and so does a line that fails (its error goes to stderr, naming the line),
//! so `paste input output` pairs them. Raw output writes nothing for either.

use std::io::{self, BufRead, BufWriter, IsTerminal, Write};

use bytes::{Bytes, BytesMut};
use iso8583_wire::Spec;
use iso8583_wire::framing::{LengthHeader, encode_frame};
use iso8583_wire::json;

use super::AnyError;
use super::args::{EncodeArgs, Output};
use super::hexinput;

fn open(file: &str) -> Result<Box<dyn BufRead>, AnyError> {
    Ok(if file == "-" {
        Box::new(io::BufReader::new(io::stdin()))
    } else {
        let f = std::fs::File::open(file).map_err(|e| format!("{file}: {e}"))?;
        Box::new(io::BufReader::with_capacity(1 << 16, f))
    })
}

fn sink(args: &EncodeArgs) -> Result<Box<dyn Write>, AnyError> {
    Ok(match &args.out {
        Some(path) => {
            let f = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
            Box::new(BufWriter::new(f))
        }
        None => {
            if args.output == Output::Raw && io::stdout().is_terminal() {
                return Err(
                    "refusing to write binary to a terminal; use -o FILE or redirect stdout".into(),
                );
            }
            Box::new(BufWriter::new(io::stdout().lock()))
        }
    })
}

/// The `--header` bytes, checked against the spec.
fn header(args: &EncodeArgs, spec: &Spec) -> Result<Option<Bytes>, AnyError> {
    let Some(text) = &args.header else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    hexinput::parse_hex(text, &mut bytes).map_err(|e| format!("--header: {e}"))?;
    if bytes.len() != spec.header_len() {
        return Err(format!(
            "--header: spec {} has a {}-byte header, got {} bytes",
            spec.name(),
            spec.header_len(),
            bytes.len()
        )
        .into());
    }
    Ok(Some(Bytes::from(bytes)))
}

/// Encodes one JSONL line into `framed`; `fixed_header` (from `--header`) applies when the
/// object has no `"header"` of its own.
fn encode_line(
    spec: &Spec,
    line: &str,
    fixed_header: Option<&Bytes>,
    framing: LengthHeader,
    framed: &mut BytesMut,
) -> Result<(), String> {
    let v =
        serde_json::from_str::<serde_json::Value>(line).map_err(|e| format!("bad JSON: {e}"))?;
    let mut b = json::builder_from_json(spec, &v).map_err(|e| e.to_string())?;
    if let Some(h) = fixed_header.filter(|_| v.get("header").is_none()) {
        b.header_owned(h.clone()).map_err(|e| e.to_string())?;
    }
    let bytes = b.encode_to_vec().map_err(|e| e.to_string())?;
    framed.clear();
    encode_frame(framing, &bytes, framed).map_err(|e| e.to_string())
}

pub fn run(args: &EncodeArgs) -> Result<bool, AnyError> {
    let spec = Spec::load(&args.spec)?;
    let fixed_header = header(args, &spec)?;
    let framing = args.length_header();
    let input = open(&args.file)?;
    let mut out = sink(args)?;
    let mut ok = true;
    let mut hex = Vec::new();
    let mut framed = BytesMut::new();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        let encoded = if line.trim().is_empty() {
            Err(None)
        } else {
            encode_line(&spec, &line, fixed_header.as_ref(), framing, &mut framed).map_err(Some)
        };
        if let Err(Some(e)) = &encoded {
            ok = false;
            eprintln!("line {}: {e}", i + 1);
        }
        match (encoded, args.output) {
            (Ok(()), Output::Hex) => {
                hex.resize(framed.len() * 2, 0);
                let text = faster_hex::hex_encode_upper(&framed, &mut hex)
                    .map_err(|e| format!("hex output: {e}"))?;
                writeln!(out, "{text}")?;
            }
            (Ok(()), Output::Raw) => out.write_all(&framed)?,
            (Err(_), Output::Hex) => writeln!(out)?,
            (Err(_), Output::Raw) => {}
        }
    }
    out.flush()?;
    Ok(ok)
}
