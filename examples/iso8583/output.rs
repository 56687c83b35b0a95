//! Output formats: pretty, JSON array, JSONL.
//!
//! JSON objects follow the stable contract `{"mti":..,"fields":{..}}` /
//! `{"error":{"field":..,"offset":..,"message":..}}`. In pcap mode three keys come first:
//! `"ts"` (capture time as a string `"<unix seconds>.<9 digits of nanoseconds>"`, exact, for
//! any JSON parser), `"src"` and `"dst"` (`"ip:port"`, IPv6 as `"[addr]:port"`).

use std::io::{self, Write};
use std::net::SocketAddr;

use iso8583_wire::MessageView;
use iso8583_wire::capture::{ConnId, Timestamp};
use iso8583_wire::json::{self, JsonOptions};
use iso8583_wire::message::Lenient;

use super::args::Format;
use super::pretty;

/// Where a message came from in a capture.
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub conn: ConnId,
    /// Sent by the client side of the connection.
    pub to_server: bool,
}

/// Output sink shared by the formats.
pub struct Printer<W: Write> {
    out: W,
    format: Format,
    opts: JsonOptions,
    count: usize,
    line: String,
    scratch: String,
    last_ts: Option<Timestamp>,
}

impl<W: Write> Printer<W> {
    pub fn new(out: W, format: Format, opts: JsonOptions) -> Self {
        Printer {
            out,
            format,
            opts,
            count: 0,
            line: String::new(),
            scratch: String::new(),
            last_ts: None,
        }
    }

    /// Makes every message written from now on part of a JSON array already under way
    /// (a `,` ahead of it): a worker's share of the output.
    pub fn continue_array(&mut self) {
        self.count = self.count.max(1);
    }

    /// The output written so far, writing to `out` from now on.
    pub fn replace(&mut self, out: W) -> W {
        std::mem::replace(&mut self.out, out)
    }

    /// Writes output rendered elsewhere (a worker's share). In a JSON array the first share
    /// loses the `,` its worker put ahead of it.
    pub fn rendered(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut bytes = bytes;
        if self.format == Format::Json && self.count == 0 {
            bytes = bytes.strip_prefix(b",\n").unwrap_or(bytes);
        }
        if !bytes.is_empty() {
            self.count += 1;
        }
        self.out.write_all(bytes)
    }

    pub fn begin(&mut self) -> io::Result<()> {
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

    /// Starts a JSON object: `{` plus the pcap keys when there is a `meta`.
    fn open_object(&mut self, meta: Option<&Meta>) {
        self.line.clear();
        self.line.push('{');
        if let Some(m) = meta {
            self.line.push_str("\"ts\":");
            json::push_json_str(&mut self.line, &m.ts.to_string());
            self.line.push_str(",\"src\":");
            json::push_json_str(&mut self.line, &m.src.to_string());
            self.line.push_str(",\"dst\":");
            json::push_json_str(&mut self.line, &m.dst.to_string());
            self.line.push(',');
        }
    }

    /// Appends an object written by the library (which starts with `{`) to the open one.
    fn close_object(&mut self) -> io::Result<()> {
        self.line
            .push_str(self.scratch.strip_prefix('{').unwrap_or(&self.scratch));
        self.out.write_all(self.line.as_bytes())?;
        if self.format == Format::Jsonl {
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn pretty_meta(&mut self, meta: Option<&Meta>) {
        self.line.clear();
        if let Some(m) = meta {
            pretty::meta_line(&mut self.line, self.count, m, self.last_ts);
            self.last_ts = Some(m.ts);
        }
    }

    pub fn message(&mut self, meta: Option<&Meta>, view: &MessageView<'_>) -> io::Result<()> {
        self.sep()?;
        match self.format {
            Format::Pretty => {
                self.pretty_meta(meta);
                pretty::message(&mut self.line, view, self.opts.unmask);
                self.out.write_all(self.line.as_bytes())?;
            }
            Format::Json | Format::Jsonl => {
                self.open_object(meta);
                self.scratch.clear();
                json::push_message(&mut self.scratch, view, self.opts);
                self.close_object()?;
            }
        }
        Ok(())
    }

    /// A leniently decoded message: the message, then its warnings, then the fault that
    /// stopped decoding. JSON: `"warnings":[{"field","offset","message"}]` and, when it
    /// stopped early, `"error":{..}` in the message object.
    pub fn lenient(&mut self, meta: Option<&Meta>, l: &Lenient<'_>) -> io::Result<()> {
        self.sep()?;
        match self.format {
            Format::Pretty => {
                self.pretty_meta(meta);
                pretty::message(&mut self.line, l.view(), self.opts.unmask);
                let body = self.line.trim_end().len();
                self.line.truncate(body);
                self.line.push('\n');
                for w in l.warnings() {
                    self.line.push_str("  warning: ");
                    self.line.push_str(&w.to_string());
                    self.line.push('\n');
                }
                if let Some(e) = l.stopped() {
                    self.line.push_str("  error: ");
                    self.line.push_str(&e.to_string());
                    self.line.push('\n');
                }
                self.line.push('\n');
                self.out.write_all(self.line.as_bytes())?;
            }
            Format::Json | Format::Jsonl => {
                self.open_object(meta);
                self.scratch.clear();
                json::push_message(&mut self.scratch, l.view(), self.opts);
                self.scratch.pop(); // the closing brace
                self.scratch.push_str(",\"warnings\":[");
                for (i, w) in l.warnings().iter().enumerate() {
                    if i > 0 {
                        self.scratch.push(',');
                    }
                    push_located(&mut self.scratch, w.field(), w.offset, &w.to_string());
                }
                self.scratch.push(']');
                if let Some(e) = l.stopped() {
                    self.scratch.push_str(",\"error\":");
                    push_located(&mut self.scratch, e.field(), e.offset, &e.to_string());
                }
                self.scratch.push('}');
                self.close_object()?;
            }
        }
        Ok(())
    }

    pub fn error(
        &mut self,
        meta: Option<&Meta>,
        field: Option<u16>,
        offset: Option<usize>,
        msg: &str,
    ) -> io::Result<()> {
        self.sep()?;
        match self.format {
            Format::Pretty => {
                self.pretty_meta(meta);
                self.line.push_str("error: ");
                self.line.push_str(msg);
                self.line.push_str("\n\n");
                self.out.write_all(self.line.as_bytes())?;
            }
            Format::Json | Format::Jsonl => {
                self.open_object(meta);
                self.scratch.clear();
                json::push_error(&mut self.scratch, field, offset, msg);
                self.close_object()?;
            }
        }
        Ok(())
    }

    pub fn finish(&mut self) -> io::Result<()> {
        if self.format == Format::Json {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.flush()
    }
}

/// `{"field":N|null,"offset":N,"message":".."}`: one warning, or the error of a message that
/// stopped early.
fn push_located(out: &mut String, field: Option<u16>, offset: usize, message: &str) {
    use std::fmt::Write as _;
    match field {
        Some(n) => {
            let _ = write!(out, "{{\"field\":{n}");
        }
        None => out.push_str("{\"field\":null"),
    }
    let _ = write!(out, ",\"offset\":{offset},\"message\":");
    json::push_json_str(out, message);
    out.push('}');
}
