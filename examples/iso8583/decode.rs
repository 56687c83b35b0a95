//! `iso8583 decode`: the input kinds other than captures, and what they share.

use std::io::{self, BufRead, BufWriter, Read, Write};

use bytes::BytesMut;
use iso8583_wire::framing::{Decoded, FrameConfig, FrameDecoder, FramingError, LengthHeader};
use iso8583_wire::json::JsonOptions;
use iso8583_wire::{MessageView, Spec};

use super::args::{DecodeArgs, Input};
use super::output::{Meta, Printer};
use super::progress::Progress;
use super::summary::Summary;
use super::{AnyError, hexinput, parallel, pcap};

/// Input errors echoed on stderr before going quiet (all of them are in the output).
const STDERR_ERRORS: u64 = 5;

/// Decoding state shared by every input kind.
pub struct Decoding<'s, W: Write> {
    pub spec: &'s Spec,
    pub printer: Printer<W>,
    pub summary: Summary,
    /// Name of the input for messages on stderr.
    pub name: String,
    /// `--lenient`: decode broken values and report them as warnings.
    pub lenient: bool,
    input_errors: u64,
    /// In a worker: the stderr lines of input errors, for the writer to show in order.
    pub deferred: Option<Vec<String>>,
}

impl<'s, W: Write> Decoding<'s, W> {
    pub fn new(spec: &'s Spec, printer: Printer<W>, name: String, lenient: bool) -> Self {
        Decoding {
            spec,
            printer,
            summary: Summary::new(),
            name,
            lenient,
            input_errors: 0,
            deferred: None,
        }
    }

    /// Decodes and prints one message.
    pub fn frame(&mut self, meta: Option<&Meta>, bytes: &[u8]) -> io::Result<()> {
        self.summary.bytes += bytes.len() as u64;
        if self.lenient {
            return self.frame_lenient(meta, bytes);
        }
        match MessageView::decode(self.spec, bytes) {
            Ok(view) => {
                self.summary.message(view.mti());
                self.printer.message(meta, &view)
            }
            Err(e) => {
                self.summary.error();
                self.printer
                    .error(meta, e.field(), Some(e.offset), &e.to_string())
            }
        }
    }

    /// `--lenient`: the message as it is, its warnings, and the fault that stopped it (an
    /// error for the summary and the exit status).
    fn frame_lenient(&mut self, meta: Option<&Meta>, bytes: &[u8]) -> io::Result<()> {
        match MessageView::decode_lenient(self.spec, bytes) {
            Ok(l) => {
                if l.stopped().is_some() {
                    self.summary.error();
                } else {
                    self.summary.message(l.view().mti());
                }
                self.printer.lenient(meta, &l)
            }
            Err(e) => {
                self.summary.error();
                self.printer
                    .error(meta, e.field(), Some(e.offset), &e.to_string())
            }
        }
    }

    /// An input problem (bad hex, bad framing): an error record, and a line on stderr for
    /// the first few.
    pub fn input_error(
        &mut self,
        meta: Option<&Meta>,
        offset: Option<u64>,
        msg: &str,
    ) -> io::Result<()> {
        self.summary.error();
        if let Some(lines) = &mut self.deferred {
            if lines.len() as u64 <= STDERR_ERRORS {
                lines.push(msg.to_owned());
            }
        } else {
            self.echo_input_error(msg);
        }
        let offset = offset.and_then(|o| usize::try_from(o).ok());
        self.printer.error(meta, None, offset, msg)
    }

    /// Shows an input error on stderr while there have been few.
    pub fn echo_input_error(&mut self, msg: &str) {
        self.input_errors += 1;
        if self.input_errors <= STDERR_ERRORS {
            eprintln!("iso8583: {}: {msg}", self.name);
        } else if self.input_errors == STDERR_ERRORS + 1 {
            eprintln!(
                "iso8583: {}: further input errors only in the output",
                self.name
            );
        }
    }

    /// Decodes every complete frame in `buf`; at `eof` also the rest (a partial frame is a
    /// framing error). Stops at the first framing error and returns it.
    pub fn cut(
        &mut self,
        decoder: &mut FrameDecoder,
        buf: &mut BytesMut,
        meta: Option<&Meta>,
        eof: bool,
    ) -> io::Result<Result<(), FramingError>> {
        loop {
            let step = if eof {
                decoder
                    .decode_eof(buf)
                    .map(|d| d.unwrap_or(Decoded::NeedMore(0)))
            } else {
                decoder.decode(buf)
            };
            match step {
                Ok(Decoded::Frame(frame)) => self.frame(meta, &frame)?,
                Ok(Decoded::Skipped(run)) => self.summary.notes.push(format!(
                    "{} bytes skipped at stream byte {}: {}",
                    run.len, run.offset, run.reason
                )),
                Ok(_) => return Ok(Ok(())),
                Err(e) => return Ok(Err(e)),
            }
        }
    }
}

fn open(file: &str) -> Result<Box<dyn BufRead + Send>, AnyError> {
    Ok(if file == "-" {
        Box::new(io::BufReader::with_capacity(1 << 16, io::stdin()))
    } else {
        let f = std::fs::File::open(file).map_err(|e| format!("{file}: {e}"))?;
        Box::new(io::BufReader::with_capacity(1 << 16, f))
    })
}

fn file_len(file: &str) -> Option<u64> {
    (file != "-")
        .then(|| std::fs::metadata(file).ok().map(|m| m.len()))
        .flatten()
}

/// Whether `head` starts like a pcap or pcapng file.
fn looks_like_capture(head: &[u8]) -> bool {
    const MAGICS: [[u8; 4]; 5] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    head.first_chunk::<4>().is_some_and(|m| MAGICS.contains(m))
}

/// Refuses a capture file fed to a text or raw input, naming the right flag.
fn refuse_capture(name: &str, head: &[u8]) -> Result<(), AnyError> {
    if looks_like_capture(head) {
        return Err(format!("{name}: this is a capture file; use --input pcap").into());
    }
    Ok(())
}

pub fn json_options(args: &DecodeArgs) -> JsonOptions {
    JsonOptions {
        unmask: args.unmask,
        expand: args.expand,
    }
}

/// The input's name in messages on stderr.
pub fn input_name(args: &DecodeArgs) -> String {
    if args.file == "-" {
        "stdin".to_owned()
    } else {
        args.file.clone()
    }
}

pub fn run(args: &DecodeArgs) -> Result<bool, AnyError> {
    if args.port.is_some() && !args.input.is_capture() {
        return Err("--port applies to --input pcap or pcapng".into());
    }
    let spec = Spec::load(&args.spec)?;
    let header = args.length_header();
    let config = FrameConfig::new(header).with_max_frame(args.max_frame);
    let stdout = io::stdout();
    let printer = Printer::new(
        BufWriter::with_capacity(1 << 16, stdout.lock()),
        args.format,
        json_options(args),
    );
    let mut dec = Decoding::new(&spec, printer, input_name(args), args.lenient);
    dec.printer.begin()?;
    let mut progress = Progress::new(file_len(&args.file));
    let result = match args.input {
        Input::Hex => hex(&mut dec, args, config),
        Input::HexLines => match args.jobs.unwrap_or_else(parallel::cores) {
            0 | 1 => hex_lines(&mut dec, args, config, progress.as_mut()),
            jobs => parallel::hex_lines(&mut dec, args, config, jobs, progress.as_mut()),
        },
        Input::Raw => raw(&mut dec, args, config, progress.as_mut()),
        Input::Pcap | Input::Pcapng => pcap::run(&mut dec, args, config, progress.as_mut()),
    };
    if let Some(p) = progress.as_mut() {
        p.finish();
    }
    dec.printer.finish()?;
    if !args.quiet {
        eprint!("{}", dec.summary.render());
    }
    result?;
    Ok(dec.summary.errors == 0)
}

/// Cuts `bytes` (one hex message or line) with the framing, or takes it whole.
fn hex_message<W: Write>(
    dec: &mut Decoding<'_, W>,
    config: FrameConfig,
    bytes: &[u8],
) -> io::Result<()> {
    if config.header == LengthHeader::None {
        return dec.frame(None, bytes);
    }
    let mut decoder = FrameDecoder::new(config);
    let mut buf = BytesMut::from(bytes);
    if let Err(e) = dec.cut(&mut decoder, &mut buf, None, true)? {
        dec.input_error(None, Some(e.offset), &e.to_string())?;
    }
    Ok(())
}

fn hex<W: Write>(
    dec: &mut Decoding<'_, W>,
    args: &DecodeArgs,
    config: FrameConfig,
) -> Result<(), AnyError> {
    let mut raw = Vec::new();
    open(&args.file)?.read_to_end(&mut raw)?;
    refuse_capture(&dec.name, &raw)?;
    let text = String::from_utf8_lossy(&raw);
    let mut wire = Vec::new();
    match hexinput::parse_dump(&text, &mut wire) {
        Ok(()) => hex_message(dec, config, &wire)?,
        Err(bad) => dec.input_error(None, Some(bad.at as u64), &format!("input: {bad}"))?,
    }
    Ok(())
}

/// Opens the input of `--input hex-lines`, refusing a capture file.
pub fn open_lines(args: &DecodeArgs, name: &str) -> Result<Box<dyn BufRead + Send>, AnyError> {
    let mut input = open(&args.file)?;
    refuse_capture(name, input.fill_buf()?)?;
    Ok(input)
}

fn hex_lines<W: Write>(
    dec: &mut Decoding<'_, W>,
    args: &DecodeArgs,
    config: FrameConfig,
    mut progress: Option<&mut Progress>,
) -> Result<(), AnyError> {
    let mut input = open_lines(args, &dec.name)?;
    let mut line = Vec::new();
    let mut wire = Vec::new();
    let mut read = 0u64;
    let mut number = 0u64;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        // The whole lines in the buffer, found with SIMD `memchr`, decoded in place.
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', buf) {
            number += 1;
            let text = buf.get(start..=end).unwrap_or_default();
            hex_line(dec, config, number, text, &mut wire)?;
            start = end + 1;
        }
        if start > 0 {
            input.consume(start);
            read += start as u64;
        } else {
            // A line longer than the buffer, or the last one without a line end.
            line.clear();
            read += input.read_until(b'\n', &mut line)? as u64;
            number += 1;
            hex_line(dec, config, number, &line, &mut wire)?;
        }
        if let Some(p) = progress.as_deref_mut() {
            p.update(read);
        }
    }
    Ok(())
}

/// Decodes line `number` of `--input hex-lines` (`wire` is scratch space).
pub fn hex_line<W: Write>(
    dec: &mut Decoding<'_, W>,
    config: FrameConfig,
    number: u64,
    line: &[u8],
    wire: &mut Vec<u8>,
) -> io::Result<()> {
    if hexinput::parse_bare_line(line, wire) {
        return hex_message(dec, config, wire);
    }
    let Ok(text) = std::str::from_utf8(line) else {
        return dec.input_error(
            None,
            None,
            &format!("input: line {number} is not text (binary input? try --input raw or pcap)"),
        );
    };
    if text.trim().is_empty() {
        return Ok(());
    }
    match hexinput::parse_hex(text, wire) {
        Ok(()) => hex_message(dec, config, wire),
        Err(bad) => dec.input_error(
            None,
            Some(bad.at as u64),
            &format!("input: {} at character {}", bad.what, bad.at),
        ),
    }
}

fn raw<W: Write>(
    dec: &mut Decoding<'_, W>,
    args: &DecodeArgs,
    config: FrameConfig,
    mut progress: Option<&mut Progress>,
) -> Result<(), AnyError> {
    let mut input = open(&args.file)?;
    refuse_capture(&dec.name, input.fill_buf()?)?;
    let mut decoder = FrameDecoder::new(config);
    let mut buf = BytesMut::with_capacity(1 << 17);
    let mut chunk = vec![0u8; 1 << 16];
    let mut read = 0u64;
    loop {
        let n = input.read(&mut chunk)?;
        let eof = n == 0;
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        read += n as u64;
        if let Some(p) = progress.as_deref_mut() {
            p.update(read);
        }
        if let Err(e) = dec.cut(&mut decoder, &mut buf, None, eof)? {
            dec.input_error(
                None,
                Some(e.offset),
                &format!("{e} (--framing {})", config.header),
            )?;
            break;
        }
        if eof {
            break;
        }
    }
    Ok(())
}
