//! `iso8583 encode`: JSONL messages to hex lines or a framed raw stream.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufWriter, IsTerminal, Write};

use bytes::{Bytes, BytesMut};
use iso8583_wire::Spec;
use iso8583_wire::framing::encode_frame;
use iso8583_wire::json;

use crate::AnyError;
use crate::args::{EncodeArgs, Output};
use crate::hexinput;

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

pub fn run(args: &EncodeArgs) -> Result<bool, AnyError> {
    let spec = Spec::load(&args.spec)?;
    let fixed_header = header(args, &spec)?;
    let framing = args.length_header();
    let input = open(&args.file)?;
    let mut out = sink(args)?;
    let mut ok = true;
    let mut hex = String::new();
    let mut framed = BytesMut::new();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let encoded = serde_json::from_str::<serde_json::Value>(&line)
            .map_err(|e| format!("bad JSON: {e}"))
            .and_then(|v| {
                let mut b = json::builder_from_json(&spec, &v).map_err(|e| e.to_string())?;
                if let Some(h) = &fixed_header {
                    b.header_owned(h.clone()).map_err(|e| e.to_string())?;
                }
                b.encode_to_vec().map_err(|e| e.to_string())
            })
            .and_then(|bytes| {
                framed.clear();
                encode_frame(framing, &bytes, &mut framed).map_err(|e| e.to_string())
            });
        match (encoded, args.output) {
            (Ok(()), Output::Hex) => {
                hex.clear();
                for b in &framed {
                    let _ = write!(hex, "{b:02X}");
                }
                writeln!(out, "{hex}")?;
            }
            (Ok(()), Output::Raw) => out.write_all(&framed)?,
            (Err(e), output) => {
                ok = false;
                if output == Output::Hex {
                    writeln!(out)?;
                }
                eprintln!("line {}: {e}", i + 1);
            }
        }
    }
    out.flush()?;
    Ok(ok)
}
