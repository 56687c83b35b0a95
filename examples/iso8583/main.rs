//! `iso8583`: decode captured ISO 8583 traffic and encode messages from JSON.
//!
//! ```text
//! iso8583 decode --spec iso87-ascii-bin --input hex-lines --format jsonl [--unmask] FILE|-
//! iso8583 encode --spec iso87-ascii-bin FILE|-
//! iso8583 specs
//! ```
//!
//! JSONL contract (stable): one object per input line, `{"mti":"0200","fields":{"2":"..."}}`,
//! or `{"error":{"field":35,"offset":57,"message":"..."}}` (field `null` when the header, MTI,
//! bitmap or input framing is at fault). Exit status 1 if any line failed.

mod hexinput;

use std::io::{self, BufRead, BufWriter, Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use iso8583_wire::json::{self, JsonOptions};
use iso8583_wire::spec::BUILTIN_NAMES;
use iso8583_wire::{MessageView, Spec};

#[derive(Parser)]
#[command(
    name = "iso8583",
    version,
    about = "Decode and encode ISO 8583 messages"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode messages and print them (masked unless --unmask).
    Decode(DecodeArgs),
    /// Encode JSONL messages ({"mti":..,"fields":{..}}) into uppercase hex lines.
    Encode(EncodeArgs),
    /// List the bundled specs.
    Specs,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Input {
    /// One message as a hex dump (argument file or stdin).
    Hex,
    /// One hex message per line.
    HexLines,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    /// Readable dump.
    Pretty,
    /// A JSON array of message objects.
    Json,
    /// One JSON object per line.
    Jsonl,
}

#[derive(clap::Args)]
struct DecodeArgs {
    /// Bundled spec name or path to a spec TOML file.
    #[arg(long, default_value = "iso87-ascii-bin")]
    spec: String,
    /// Input kind.
    #[arg(long, value_enum, default_value = "hex-lines")]
    input: Input,
    /// Output format.
    #[arg(long, value_enum, default_value = "pretty")]
    format: Format,
    /// Show PAN, track and PIN data in clear.
    #[arg(long)]
    unmask: bool,
    /// Show composite fields (subfields, EMV tags) as nested objects.
    #[arg(long)]
    expand: bool,
    /// Input file, or - for stdin.
    #[arg(default_value = "-")]
    file: String,
}

#[derive(clap::Args)]
struct EncodeArgs {
    /// Bundled spec name or path to a spec TOML file.
    #[arg(long, default_value = "iso87-ascii-bin")]
    spec: String,
    /// JSONL file, or - for stdin.
    #[arg(default_value = "-")]
    file: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(args) => decode(&args),
        Command::Encode(args) => encode(&args),
        Command::Specs => specs(),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("iso8583: {e}");
            ExitCode::from(2)
        }
    }
}

type AnyError = Box<dyn std::error::Error>;

fn open(file: &str) -> Result<Box<dyn BufRead>, AnyError> {
    Ok(if file == "-" {
        Box::new(io::BufReader::new(io::stdin()))
    } else {
        let f = std::fs::File::open(file).map_err(|e| format!("{file}: {e}"))?;
        Box::new(io::BufReader::with_capacity(1 << 16, f))
    })
}

fn specs() -> Result<bool, AnyError> {
    let mut out = io::stdout().lock();
    for name in BUILTIN_NAMES {
        let spec = Spec::builtin(name)?;
        writeln!(out, "{name:<16} {}", spec.description())?;
    }
    Ok(true)
}

/// Output sink shared by the formats.
struct Printer<W: Write> {
    out: W,
    format: Format,
    opts: JsonOptions,
    count: usize,
    line: String,
}

impl<W: Write> Printer<W> {
    fn begin(&mut self) -> io::Result<()> {
        if self.format == Format::Json {
            self.out.write_all(b"[\n")?;
        }
        Ok(())
    }

    fn sep(&mut self) -> io::Result<()> {
        if self.format == Format::Json && self.count > 0 {
            self.out.write_all(b",\n")?;
        }
        self.count += 1;
        Ok(())
    }

    fn message(&mut self, view: &MessageView<'_>) -> io::Result<()> {
        self.sep()?;
        match self.format {
            Format::Pretty => {
                let mut s = String::new();
                pretty(&mut s, view, self.opts.unmask);
                self.out.write_all(s.as_bytes())?;
            }
            Format::Json | Format::Jsonl => {
                self.line.clear();
                json::push_message(&mut self.line, view, self.opts);
                self.out.write_all(self.line.as_bytes())?;
                if self.format == Format::Jsonl {
                    self.out.write_all(b"\n")?;
                }
            }
        }
        Ok(())
    }

    fn error(&mut self, field: Option<u16>, offset: Option<usize>, msg: &str) -> io::Result<()> {
        self.sep()?;
        match self.format {
            Format::Pretty => writeln!(self.out, "error: {msg}\n")?,
            Format::Json | Format::Jsonl => {
                self.line.clear();
                json::push_error(&mut self.line, field, offset, msg);
                self.out.write_all(self.line.as_bytes())?;
                if self.format == Format::Jsonl {
                    self.out.write_all(b"\n")?;
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.format == Format::Json {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.flush()
    }
}

fn pretty(out: &mut String, view: &MessageView<'_>, unmask: bool) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "MTI {} ({})", view.mti(), view.mti().meaning());
    for f in view.fields() {
        let _ = write!(out, "  {:>3}  {:<40} ", f.number(), f.spec().name());
        let _ = f.write_value(out, unmask);
        out.push('\n');
    }
    out.push('\n');
}

fn decode(args: &DecodeArgs) -> Result<bool, AnyError> {
    let spec = Spec::load(&args.spec)?;
    let mut input = open(&args.file)?;
    let stdout = io::stdout();
    let mut p = Printer {
        out: BufWriter::with_capacity(1 << 16, stdout.lock()),
        format: args.format,
        opts: JsonOptions {
            unmask: args.unmask,
            expand: args.expand,
        },
        count: 0,
        line: String::new(),
    };
    p.begin()?;
    let mut ok = true;
    let mut wire = Vec::new();
    let mut messages = 0usize;
    let mut errors = 0usize;
    let mut one = |p: &mut Printer<_>, text: &str| -> io::Result<()> {
        match hexinput::parse_hex(text, &mut wire) {
            Err(bad) => {
                errors += 1;
                p.error(
                    None,
                    Some(bad.at),
                    &format!("input: {} at character {}", bad.what, bad.at),
                )
            }
            Ok(()) => match MessageView::decode(&spec, &wire) {
                Ok(view) => {
                    messages += 1;
                    p.message(&view)
                }
                Err(e) => {
                    errors += 1;
                    p.error(e.field(), Some(e.offset), &e.to_string())
                }
            },
        }
    };
    match args.input {
        Input::Hex => {
            let mut text = String::new();
            input.read_to_string(&mut text)?;
            one(&mut p, &text)?;
        }
        Input::HexLines => {
            let mut line = String::new();
            loop {
                line.clear();
                if input.read_line(&mut line)? == 0 {
                    break;
                }
                if line.trim().is_empty() {
                    continue;
                }
                one(&mut p, &line)?;
            }
        }
    }
    p.finish()?;
    if errors > 0 {
        ok = false;
    }
    eprintln!("{messages} messages, {errors} errors");
    Ok(ok)
}

fn encode(args: &EncodeArgs) -> Result<bool, AnyError> {
    let spec = Spec::load(&args.spec)?;
    let input = open(&args.file)?;
    let mut out = BufWriter::new(io::stdout().lock());
    let mut ok = true;
    let mut hex = String::new();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let encoded = serde_json::from_str::<serde_json::Value>(&line)
            .map_err(|e| format!("bad JSON: {e}"))
            .and_then(|v| {
                json::builder_from_json(&spec, &v)
                    .map_err(|e| e.to_string())?
                    .encode_to_vec()
                    .map_err(|e| e.to_string())
            });
        match encoded {
            Ok(bytes) => {
                hex.clear();
                for b in bytes {
                    use std::fmt::Write as _;
                    let _ = write!(hex, "{b:02X}");
                }
                writeln!(out, "{hex}")?;
            }
            Err(e) => {
                ok = false;
                writeln!(out)?;
                eprintln!("line {}: {e}", i + 1);
            }
        }
    }
    out.flush()?;
    Ok(ok)
}
