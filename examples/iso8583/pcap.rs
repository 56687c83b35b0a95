//! `--input pcap|pcapng`: packets -> TCP reassembly per connection and direction -> framing
//! -> messages, each with its capture time and endpoints.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;

use bytes::BytesMut;
use iso8583_wire::capture::{ConnId, PacketReader, Reassembler, ReassemblerConfig, StreamData};
use iso8583_wire::framing::{FrameConfig, FrameDecoder};

use super::AnyError;
use super::args::DecodeArgs;
use super::decode::Decoding;
use super::output::Meta;
use super::progress::Progress;

/// One direction of one connection.
struct Direction {
    decoder: FrameDecoder,
    buf: BytesMut,
    /// Set after a framing error: the rest of this direction cannot be cut.
    dead: bool,
    meta: Meta,
}

/// Framing state of every direction, in order of first appearance.
struct Streams {
    config: FrameConfig,
    port: Option<u16>,
    dirs: Vec<Direction>,
    index: HashMap<(ConnId, SocketAddr), usize>,
    servers: HashMap<ConnId, SocketAddr>,
}

impl Streams {
    /// The server side of a connection: the endpoint on `--port`, else the lower port (the
    /// client's is usually ephemeral), else the receiver of the first data.
    fn server(&mut self, d: &StreamData) -> SocketAddr {
        let port = self.port;
        *self.servers.entry(d.conn).or_insert_with(|| {
            if port.is_some_and(|p| d.src.port() == p && d.dst.port() != p) {
                d.src
            } else if port.is_some_and(|p| d.dst.port() == p) {
                d.dst
            } else if d.src.port() < d.dst.port() {
                d.src
            } else {
                d.dst
            }
        })
    }

    fn direction(&mut self, d: &StreamData) -> usize {
        let server = self.server(d);
        let key = (d.conn, d.src);
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.dirs.len();
        self.dirs.push(Direction {
            decoder: FrameDecoder::new(self.config),
            buf: BytesMut::new(),
            dead: false,
            meta: Meta {
                ts: d.ts,
                src: d.src,
                dst: d.dst,
                conn: d.conn,
                to_server: d.dst == server,
            },
        });
        self.index.insert(key, i);
        i
    }
}

fn feed<W: Write>(
    dec: &mut Decoding<'_, W>,
    streams: &mut Streams,
    d: StreamData,
) -> Result<(), AnyError> {
    let i = streams.direction(&d);
    let config = streams.config;
    let Some(dir) = streams.dirs.get_mut(i) else {
        return Ok(());
    };
    dir.meta.ts = d.ts;
    if d.gap_before > 0 {
        dec.summary.notes.push(format!(
            "{} -> {} (conn {}): {} bytes missing from the capture at {}; framing restarted",
            d.src, d.dst, d.conn, d.gap_before, d.ts
        ));
        dir.decoder = FrameDecoder::new(config);
        dir.buf.clear();
        dir.dead = false;
    }
    if dir.dead {
        return Ok(());
    }
    dir.buf.extend_from_slice(&d.data);
    let meta = dir.meta;
    if let Err(e) = dec.cut(&mut dir.decoder, &mut dir.buf, Some(&meta), false)? {
        dir.dead = true;
        dir.buf.clear();
        dec.input_error(
            Some(&meta),
            Some(e.offset),
            &format!(
                "{} -> {}: {e} (--framing {}); rest of this direction skipped",
                meta.src, meta.dst, config.header
            ),
        )?;
    }
    Ok(())
}

pub fn run<W: Write>(
    dec: &mut Decoding<'_, W>,
    args: &DecodeArgs,
    config: FrameConfig,
    mut progress: Option<&mut Progress>,
) -> Result<(), AnyError> {
    let file = if args.file == "-" {
        let mut v = Vec::new();
        std::io::stdin().read_to_end(&mut v)?;
        v
    } else {
        std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file))?
    };
    let mut reader = PacketReader::new(&file).map_err(|e| format!("{}: {e}", dec.name))?;
    let mut reassembler = Reassembler::new(ReassemblerConfig {
        port: args.port,
        ..ReassemblerConfig::default()
    });
    let mut streams = Streams {
        config,
        port: args.port,
        dirs: Vec::new(),
        index: HashMap::new(),
        servers: HashMap::new(),
    };
    let mut failure = None;
    for packet in reader.by_ref() {
        match packet {
            Ok(p) => {
                reassembler.feed_packet(&p);
                if let Some(pr) = progress.as_deref_mut() {
                    pr.update(p.offset);
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        while let Some(d) = reassembler.pop() {
            feed(dec, &mut streams, d)?;
        }
    }
    reassembler.finish();
    while let Some(d) = reassembler.pop() {
        feed(dec, &mut streams, d)?;
    }
    for dir in &mut streams.dirs {
        if dir.dead || dir.buf.is_empty() {
            continue;
        }
        let meta = dir.meta;
        if let Err(e) = dec.cut(&mut dir.decoder, &mut dir.buf, Some(&meta), true)? {
            dec.input_error(
                Some(&meta),
                Some(e.offset),
                &format!(
                    "{} -> {}: {e} at the end of the capture",
                    meta.src, meta.dst
                ),
            )?;
        }
    }
    let counters = *reassembler.counters();
    if counters.tcp_segments == 0 {
        dec.summary.notes.push(match args.port {
            Some(p) => format!("no TCP segments on port {p} in the capture"),
            None => "no TCP segments in the capture".to_owned(),
        });
    }
    dec.summary.capture = Some(counters);
    if let Some(e) = failure {
        return Err(format!("{}: {e}", dec.name).into());
    }
    Ok(())
}
