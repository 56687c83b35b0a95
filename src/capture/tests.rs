//! Capture reading and TCP reassembly tests on synthetic captures (compiled under #[cfg(test)] only).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use crate::capture::writer::{Direction, PcapWriter, WriterLink};
use crate::capture::{
    Capture, CaptureError, CaptureErrorKind, CaptureFormat, ConnId, LinkType, PacketReader,
    Reassembler, ReassemblerConfig, Timestamp, read_capture,
};
use crate::framing::{Decoded, FrameConfig, FrameDecoder, LengthHeader, encode_frame};

const CLIENT: &str = "10.1.1.10:40001";
const SERVER: &str = "10.2.2.20:5000";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ts(n: u64) -> Timestamp {
    Timestamp::new(1_700_000_000 + n, 250_000)
}

fn writer() -> PcapWriter {
    PcapWriter::new(addr(CLIENT), addr(SERVER))
}

/// A `len2`-framed message with a TPDU and some body.
fn message(body: &str) -> Vec<u8> {
    let mut payload = vec![0x60, 0x00, 0x03, 0x00, 0x00];
    payload.extend_from_slice(body.as_bytes());
    let mut wire = BytesMut::new();
    encode_frame(LengthHeader::Len2Be, &payload, &mut wire).unwrap();
    wire.to_vec()
}

/// All bytes sent by `src`, in stream order.
fn stream(cap: &Capture, src: &str) -> Vec<u8> {
    let src = addr(src);
    cap.data
        .iter()
        .filter(|d| d.src == src)
        .flat_map(|d| d.data.iter().copied())
        .collect()
}

/// What the CLI does: one decoder per direction, each frame stamped with the completing chunk.
fn frames(cap: &Capture) -> Vec<(SocketAddr, Timestamp, Bytes)> {
    let mut decoders: HashMap<SocketAddr, (FrameDecoder, BytesMut)> = HashMap::new();
    let mut out = Vec::new();
    for item in &cap.data {
        let (decoder, buf) = decoders.entry(item.src).or_insert_with(|| {
            (
                FrameDecoder::new(FrameConfig::new(LengthHeader::Len2Be)),
                BytesMut::new(),
            )
        });
        buf.extend_from_slice(&item.data);
        while let Decoded::Frame(frame) = decoder.decode(buf).unwrap() {
            out.push((item.src, item.ts, frame));
        }
    }
    out
}

fn payload_of(wire: &[u8]) -> Bytes {
    Bytes::copy_from_slice(&wire[2..])
}

#[test]
fn message_split_across_segments_is_reassembled() {
    let (m1, m2) = (message("0200first"), message("0200second"));
    let wire = [m1.clone(), m2.clone()].concat();
    let mut w = writer();
    w.handshake(ts(0));
    w.send(Direction::ToServer, ts(1), &wire[..1]);
    w.send(Direction::ToServer, ts(2), &wire[1..m1.len() + 3]);
    w.send(Direction::ToServer, ts(3), &wire[m1.len() + 3..]);
    let cap = read_capture(&w.finish(), Some(5000)).unwrap();

    assert_eq!(stream(&cap, CLIENT), wire);
    assert_eq!(cap.data.len(), 3);
    assert!(
        cap.data
            .iter()
            .all(|d| d.conn == ConnId(0) && d.gap_before == 0)
    );
    assert_eq!(cap.counters.packets, 6);
    assert_eq!(cap.counters.connections, 1);
    assert_eq!(
        cap.format,
        CaptureFormat::Pcap {
            big_endian: false,
            nanosecond: false
        }
    );
    assert_eq!(
        frames(&cap),
        vec![
            (addr(CLIENT), ts(2), payload_of(&m1)),
            (addr(CLIENT), ts(3), payload_of(&m2)),
        ]
    );
}

#[test]
fn several_messages_in_one_segment() {
    let msgs = [message("0800a"), message("0800bb"), message("0800ccc")];
    let mut w = writer();
    w.handshake(ts(0));
    w.send(Direction::ToServer, ts(1), &msgs.concat());
    let cap = read_capture(&w.finish(), None).unwrap();
    assert_eq!(cap.data.len(), 1);
    assert_eq!(&cap.data[0].data[..], &msgs.concat()[..]);
    let got: Vec<Bytes> = frames(&cap).into_iter().map(|(_, _, f)| f).collect();
    let want: Vec<Bytes> = msgs.iter().map(|m| payload_of(m)).collect();
    assert_eq!(got, want);
}

#[test]
fn duplicated_retransmitted_and_overlapping_segments_are_dropped_or_trimmed() {
    let data = b"0123456789";
    let mut w = writer();
    w.handshake(ts(0));
    w.segment(Direction::ToServer, ts(1), 0, &data[0..4]);
    w.segment(Direction::ToServer, ts(2), 0, &data[0..4]);
    w.segment(Direction::ToServer, ts(3), 2, &data[2..7]);
    w.segment(Direction::ToServer, ts(4), 7, &data[7..10]);
    w.segment(Direction::ToServer, ts(5), 3, &data[3..9]);
    let cap = read_capture(&w.finish(), None).unwrap();
    assert_eq!(stream(&cap, CLIENT), data);
    let chunks: Vec<(&[u8], Timestamp)> = cap.data.iter().map(|d| (&d.data[..], d.ts)).collect();
    assert_eq!(
        chunks,
        vec![
            (&b"0123"[..], ts(1)),
            (&b"456"[..], ts(3)),
            (&b"789"[..], ts(4))
        ]
    );
    assert_eq!(cap.counters.retransmissions, 2);
    assert_eq!(cap.counters.overlaps, 1);
}

#[test]
fn reordered_segments_wait_for_the_gap() {
    let wire = [message("0200one"), message("0210two")].concat();
    let (a, b, c) = (&wire[..5], &wire[5..12], &wire[12..]);
    let mut w = writer();
    w.handshake(ts(0));
    w.segment(Direction::ToServer, ts(1), 12, c);
    w.segment(Direction::ToServer, ts(2), 5, b);
    w.segment(Direction::ToServer, ts(3), 5, b);
    w.segment(Direction::ToServer, ts(4), 0, a);
    let cap = read_capture(&w.finish(), None).unwrap();
    assert_eq!(cap.data.len(), 1, "completed by one packet: one item");
    assert_eq!(&cap.data[0].data[..], &wire[..]);
    assert_eq!(cap.data[0].ts, ts(4));
    assert_eq!(cap.counters.out_of_order, 2);
    assert_eq!(cap.counters.retransmissions, 1);
    assert_eq!(cap.counters.gaps, 0);
}

#[test]
fn both_directions_interleaved_keep_their_own_streams() {
    let (req1, resp1, req2, resp2) = (
        message("0200req1"),
        message("0210resp1"),
        message("0400req2"),
        message("0410resp2"),
    );
    let mut w = writer();
    w.handshake(ts(0));
    w.send(Direction::ToServer, ts(1), &req1[..4]);
    w.send(Direction::ToClient, ts(2), &resp1[..3]);
    w.send(Direction::ToServer, ts(3), &req1[4..]);
    w.send(Direction::ToClient, ts(4), &resp1[3..]);
    w.send(Direction::ToServer, ts(5), &req2);
    w.send(Direction::ToClient, ts(6), &resp2);
    let cap = read_capture(&w.finish(), None).unwrap();
    assert_eq!(stream(&cap, CLIENT), [req1.clone(), req2.clone()].concat());
    assert_eq!(
        stream(&cap, SERVER),
        [resp1.clone(), resp2.clone()].concat()
    );
    let srcs: Vec<SocketAddr> = cap.data.iter().map(|d| d.src).collect();
    let (c, s) = (addr(CLIENT), addr(SERVER));
    assert_eq!(srcs, vec![c, s, c, s, c, s]);
    assert!(
        cap.data
            .iter()
            .all(|d| d.dst != d.src && d.conn == ConnId(0))
    );
    let order: Vec<(SocketAddr, Timestamp)> =
        frames(&cap).into_iter().map(|(a, t, _)| (a, t)).collect();
    assert_eq!(order, vec![(c, ts(3)), (s, ts(4)), (c, ts(5)), (s, ts(6))]);
}

/// The same short conversation over a given writer.
fn conversation(mut w: PcapWriter) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (req, resp) = (message("0800sign-on"), message("0810approved"));
    w.handshake(ts(0));
    w.send(Direction::ToServer, ts(1), &req[..7]);
    w.send(Direction::ToServer, ts(2), &req[7..]);
    w.send(Direction::ToClient, ts(3), &resp);
    (w.finish(), req, resp)
}

#[test]
fn ipv6_conversation() {
    let (client, server) = ("[2001:db8::1]:40001", "[2001:db8::2]:5000");
    let (file, req, resp) = conversation(PcapWriter::new(addr(client), addr(server)));
    let cap = read_capture(&file, Some(5000)).unwrap();
    assert_eq!(stream(&cap, client), req);
    assert_eq!(stream(&cap, server), resp);
    assert_eq!(cap.data[0].dst, addr(server));
}

#[test]
fn every_link_layer_gives_the_same_streams() {
    let links = [
        (WriterLink::Ethernet, LinkType::Ethernet),
        (WriterLink::EthernetVlan(42), LinkType::Ethernet),
        (WriterLink::LinuxSll, LinkType::LinuxSll),
        (WriterLink::LinuxSll2, LinkType::LinuxSll2),
        (WriterLink::Raw, LinkType::Raw),
        (WriterLink::Null, LinkType::Null),
    ];
    for (link, expected) in links {
        for (client, server) in [(CLIENT, SERVER), ("[fd00::a]:40001", "[fd00::b]:5000")] {
            let w = PcapWriter::new(addr(client), addr(server)).with_link(link);
            let (file, req, resp) = conversation(w);
            let first = PacketReader::new(&file).unwrap().next().unwrap().unwrap();
            assert_eq!(first.link, expected);
            let cap = read_capture(&file, None).unwrap();
            assert_eq!(stream(&cap, client), req, "{link:?} {client}");
            assert_eq!(stream(&cap, server), resp, "{link:?} {server}");
            assert_eq!(cap.counters.non_tcp + cap.counters.malformed, 0);
        }
    }
}

#[test]
fn linux_cooked_capture() {
    let (file, req, resp) = conversation(writer().with_link(WriterLink::LinuxSll));
    assert_eq!(u32::from_le_bytes(file[20..24].try_into().unwrap()), 113);
    let cap = read_capture(&file, None).unwrap();
    assert_eq!(stream(&cap, CLIENT), req);
    assert_eq!(stream(&cap, SERVER), resp);
    assert_eq!(cap.data[0].ts, ts(1));
    assert_eq!(cap.data[1].ts, ts(2));
}

#[test]
fn big_endian_nanosecond_pcap() {
    let mut w = writer().with_big_endian(true).with_nanosecond(true);
    w.handshake(Timestamp::new(5, 1));
    w.send(Direction::ToServer, Timestamp::new(6, 123_456_789), b"abc");
    let file = w.finish();
    assert_eq!(&file[..4], &[0xa1, 0xb2, 0x3c, 0x4d]);
    let cap = read_capture(&file, None).unwrap();
    assert_eq!(
        cap.format,
        CaptureFormat::Pcap {
            big_endian: true,
            nanosecond: true
        }
    );
    assert_eq!(cap.data[0].ts, Timestamp::new(6, 123_456_789));
    assert_eq!(&cap.data[0].data[..], b"abc");
    // Microsecond files keep microseconds.
    let mut w = writer();
    w.send(Direction::ToServer, Timestamp::new(6, 123_456_789), b"abc");
    let cap = read_capture(&w.finish(), None).unwrap();
    assert_eq!(cap.data[0].ts, Timestamp::new(6, 123_456_000));
    assert_eq!(cap.data[0].ts.to_string(), "6.123456000");
}

/// A minimal pcapng writer: one section, the given interfaces, enhanced packet blocks.
fn pcapng(
    big_endian: bool,
    ifaces: &[(u16, Option<u8>)],
    packets: &[(u32, u64, &[u8])],
) -> Vec<u8> {
    let mut out = Vec::new();
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let block = |out: &mut Vec<u8>, kind: u32, body: &[u8]| {
        let len = 12 + body.len() as u32;
        out.extend_from_slice(&u32b(kind));
        out.extend_from_slice(&u32b(len));
        out.extend_from_slice(body);
        out.extend_from_slice(&u32b(len));
    };
    let mut shb = u32b(0x1A2B_3C4D).to_vec();
    shb.extend_from_slice(&u16b(1));
    shb.extend_from_slice(&u16b(0));
    shb.extend_from_slice(&[0xFF; 8]);
    block(&mut out, 0x0A0D_0D0A, &shb);
    for &(linktype, tsresol) in ifaces {
        let mut idb = u16b(linktype).to_vec();
        idb.extend_from_slice(&u16b(0));
        idb.extend_from_slice(&u32b(65535));
        if let Some(res) = tsresol {
            idb.extend_from_slice(&u16b(9));
            idb.extend_from_slice(&u16b(1));
            idb.extend_from_slice(&[res, 0, 0, 0]);
            idb.extend_from_slice(&[0, 0, 0, 0]);
        }
        block(&mut out, 1, &idb);
    }
    for &(if_id, ticks, data) in packets {
        let mut epb = u32b(if_id).to_vec();
        epb.extend_from_slice(&u32b((ticks >> 32) as u32));
        epb.extend_from_slice(&u32b(ticks as u32));
        epb.extend_from_slice(&u32b(data.len() as u32));
        epb.extend_from_slice(&u32b(data.len() as u32));
        epb.extend_from_slice(data);
        epb.resize(epb.len().next_multiple_of(4), 0);
        block(&mut out, 6, &epb);
    }
    out
}

#[test]
fn pcapng_with_two_interfaces() {
    let (c2, s2) = ("192.168.0.5:50000", "192.168.0.9:8583");
    let mut eth = writer();
    let mut sll = PcapWriter::new(addr(c2), addr(s2)).with_link(WriterLink::LinuxSll);
    let (m1, m2) = (message("0200eth"), message("0200cooked"));
    eth.handshake(ts(0));
    sll.handshake(ts(0));
    eth.send(Direction::ToServer, ts(1), &m1[..3]);
    sll.send(Direction::ToServer, ts(1), &m2);
    eth.send(Direction::ToServer, ts(2), &m1[3..]);
    // Interleave: interface 0 is Ethernet (µs), interface 1 is Linux cooked (ns).
    let mut packets = Vec::new();
    let (er, sr) = (eth.records(), sll.records());
    for i in 0..er.len().max(sr.len()) {
        if let Some((t, f)) = er.get(i) {
            packets.push((0, t.secs * 1_000_000 + u64::from(t.nanos / 1000), &f[..]));
        }
        if let Some((t, f)) = sr.get(i) {
            packets.push((1, t.secs * 1_000_000_000 + u64::from(t.nanos) + 7, &f[..]));
        }
    }
    for big_endian in [false, true] {
        let file = pcapng(big_endian, &[(1, None), (113, Some(9))], &packets);
        let cap = read_capture(&file, None).unwrap();
        assert_eq!(cap.format, CaptureFormat::PcapNg);
        assert_eq!(cap.counters.packets, 9);
        assert_eq!(cap.counters.connections, 2);
        assert_eq!(stream(&cap, CLIENT), m1);
        assert_eq!(stream(&cap, c2), m2);
        let cooked = cap.data.iter().find(|d| d.src == addr(c2)).unwrap();
        assert_eq!(cooked.ts, Timestamp::new(ts(1).secs, ts(1).nanos + 7));
        assert_eq!(cooked.conn, ConnId(1));
        let last = cap.data.last().unwrap();
        assert_eq!((last.src, last.ts), (addr(CLIENT), ts(2)));
    }
}

#[test]
fn pcapng_packet_on_undeclared_interface_is_an_error() {
    let (file, _, _) = conversation(writer());
    let frame = &file[24 + 16..24 + 16 + 54];
    let ng = pcapng(false, &[(1, None)], &[(0, 1, frame), (3, 2, frame)]);
    let err = read_capture(&ng, None).unwrap_err();
    assert_eq!(
        err.kind,
        CaptureErrorKind::UnknownInterface { interface: 3 }
    );
    assert_eq!(err.packet, Some(2));
    // An unsupported link type is only an error once a packet uses it.
    let ng = pcapng(
        false,
        &[(1, None), (147, None)],
        &[(0, 1, frame), (1, 2, frame)],
    );
    let err = read_capture(&ng, None).unwrap_err();
    assert_eq!(
        err.kind,
        CaptureErrorKind::UnsupportedLinkType { linktype: 147 }
    );
    assert!(err.to_string().contains("147"));
    assert!(err.to_string().contains("packet 2"), "{err}");
}

#[test]
fn truncated_files_are_errors() {
    let (file, _, _) = conversation(writer());
    let last_record = {
        let mut reader = PacketReader::new(&file).unwrap();
        let packets: Vec<_> = reader.by_ref().map(Result::unwrap).collect();
        *packets.last().unwrap()
    };
    assert_eq!(last_record.number, 6);
    let cut = &file[..file.len() - 5];
    let err = read_capture(cut, None).unwrap_err();
    assert_eq!(err.kind, CaptureErrorKind::Truncated { needed: 5 });
    assert_eq!(err.packet, Some(6));
    assert_eq!(err.offset, last_record.offset);
    assert!(err.to_string().contains("packet 6"));

    let cut = &file[..file.len() - last_record.data.len() - 8];
    let err = read_capture(cut, None).unwrap_err();
    assert!(
        matches!(err.kind, CaptureErrorKind::Truncated { .. }),
        "{err}"
    );

    assert!(matches!(
        read_capture(&file[..10], None).unwrap_err().kind,
        CaptureErrorKind::Truncated { .. }
    ));
    assert_eq!(
        read_capture(&file[..2], None).unwrap_err().kind,
        CaptureErrorKind::Truncated { needed: 2 }
    );
    let ng = pcapng(false, &[(1, None)], &[(0, 1, &file[40..94])]);
    let err = read_capture(&ng[..ng.len() - 3], None).unwrap_err();
    assert!(
        matches!(err.kind, CaptureErrorKind::Truncated { .. }),
        "{err}"
    );
    assert_eq!(err.packet, Some(1));
}

#[test]
fn unknown_link_type_and_format_are_errors() {
    let (file, _, _) = conversation(writer().with_linktype_number(147));
    let err = read_capture(&file, None).unwrap_err();
    assert_eq!(
        err,
        CaptureError {
            offset: 0,
            packet: None,
            kind: CaptureErrorKind::UnsupportedLinkType { linktype: 147 }
        }
    );
    assert_eq!(
        err.to_string(),
        "capture error at file byte 0: unsupported link type 147"
    );
    let err = read_capture(b"GIF89a..........", None).unwrap_err();
    assert_eq!(
        err.kind,
        CaptureErrorKind::UnknownFormat { magic: 0x3846_4947 }
    );
}

#[test]
fn capture_starting_mid_stream_and_wrapping_sequence_numbers() {
    let wire = [message("0200x"), message("0200yy"), message("0200zzz")].concat();
    for isn in [7, u32::MAX - 9, u32::MAX] {
        let mut w = writer().with_isn(isn, 77);
        // No handshake: the first segment seen starts the stream.
        w.segment(Direction::ToServer, ts(0), 0, &wire[..10]);
        w.segment(Direction::ToServer, ts(1), 20, &wire[20..]);
        w.segment(Direction::ToServer, ts(2), 10, &wire[10..20]);
        w.segment(Direction::ToClient, ts(3), 0, b"reply");
        let cap = read_capture(&w.finish(), None).unwrap();
        assert_eq!(stream(&cap, CLIENT), wire, "isn {isn}");
        assert_eq!(stream(&cap, SERVER), b"reply");
        assert_eq!(cap.counters.out_of_order, 1);

        // With the handshake, data after a wrapped ISN.
        let mut w = writer().with_isn(isn, u32::MAX);
        w.handshake(ts(0));
        w.send(Direction::ToClient, ts(1), b"hi");
        w.send(Direction::ToServer, ts(1), &wire[..9]);
        w.send(Direction::ToServer, ts(2), &wire[9..]);
        let cap = read_capture(&w.finish(), None).unwrap();
        assert_eq!(stream(&cap, CLIENT), wire);
        assert_eq!(stream(&cap, SERVER), b"hi");
    }
}

#[test]
fn port_filter_keeps_matching_connections() {
    let mut a = writer();
    a.handshake(ts(0));
    a.send(Direction::ToServer, ts(1), b"keep");
    let mut b = PcapWriter::new(addr("10.9.9.9:1234"), addr("10.8.8.8:80"));
    b.handshake(ts(0));
    b.send(Direction::ToServer, ts(1), b"drop");
    for r in b.records() {
        a.packet(r.0, r.1.clone());
    }
    let file = a.finish();
    let cap = read_capture(&file, Some(5000)).unwrap();
    assert_eq!(cap.data.len(), 1);
    assert_eq!(&cap.data[0].data[..], b"keep");
    assert_eq!(cap.counters.filtered, 4);
    assert_eq!(cap.counters.connections, 1);
    let cap = read_capture(&file, None).unwrap();
    assert_eq!(cap.data.len(), 2);
    assert_eq!(cap.data[1].conn, ConnId(1));
}

#[test]
fn gaps_are_reported_when_the_buffer_cap_is_hit_and_at_the_end() {
    let mut w = writer();
    w.handshake(ts(0));
    let data: Vec<u8> = (0u8..40).collect();
    w.segment(Direction::ToServer, ts(1), 10, &data[10..20]);
    w.segment(Direction::ToServer, ts(2), 20, &data[20..30]);
    w.segment(Direction::ToServer, ts(3), 0, &data[0..10]);
    w.segment(Direction::ToServer, ts(4), 35, &data[35..40]);
    let mut r = Reassembler::new(ReassemblerConfig {
        port: None,
        max_buffered: 15,
        ..ReassemblerConfig::default()
    });
    for packet in PacketReader::new(&w.finish()).unwrap() {
        r.feed_packet(&packet.unwrap());
    }
    r.finish();
    let items: Vec<_> = std::iter::from_fn(|| r.pop()).collect();
    let got: Vec<(u64, &[u8], Timestamp)> = items
        .iter()
        .map(|d| (d.gap_before, &d.data[..], d.ts))
        .collect();
    assert_eq!(
        got,
        vec![(10, &data[10..30], ts(2)), (5, &data[35..40], ts(4))]
    );
    let c = r.counters();
    assert_eq!((c.gaps, c.gap_bytes, c.retransmissions), (2, 15, 1));
    // The first hole was given up at the cap, the second at the end of the capture.
    assert_eq!((c.cap_gap_bytes, c.capped_connections), (10, 1));
}

/// `n` segments of `size` bytes sent last first, so every one waits until the first arrives.
fn reversed_capture(n: usize, size: usize) -> (Vec<u8>, Vec<u8>) {
    let mut w = writer();
    w.handshake(ts(0));
    let data: Vec<u8> = (0..n * size).map(|i| (i % 251) as u8).collect();
    for i in (0..n).rev() {
        let at = i * size;
        w.segment(Direction::ToServer, ts(1), at as u32, &data[at..at + size]);
    }
    (w.finish(), data)
}

fn reassemble(file: &[u8], config: ReassemblerConfig) -> (Reassembler, Vec<u8>) {
    let mut r = Reassembler::new(config);
    for packet in PacketReader::new(file).unwrap() {
        r.feed_packet(&packet.unwrap());
    }
    r.finish();
    let bytes = std::iter::from_fn(|| r.pop())
        .flat_map(|d| d.data.to_vec())
        .collect();
    (r, bytes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn segment_streams_match_the_model(data in prop::collection::vec(any::<u8>(), 0..2000)) {
        crate::capture::model::check_segment_stream(&data);
    }
}

#[test]
fn long_segment_streams_match_the_model() {
    // Deterministic long inputs: pseudo-random choices from a simple LCG.
    for seed in 0u32..8 {
        let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        let data: Vec<u8> = (0..4000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (x >> 24) as u8
            })
            .collect();
        crate::capture::model::check_segment_stream(&data);
    }
}

#[test]
fn reversed_segments_are_reassembled_with_linear_copying() {
    // The work done is counted in bytes copied, which must stay within twice the bytes
    // captured (each segment on arrival, each contiguous run once) at every size: joining
    // the run one segment at a time would copy n^2 / 2 segments' worth.
    for n in [10usize, 100, 1000, 4000] {
        let (file, data) = reversed_capture(n, 200);
        let (r, got) = reassemble(&file, ReassemblerConfig::default());
        assert_eq!(got, data, "{n} segments");
        let total = data.len() as u64;
        assert_eq!(r.copied_bytes(), 2 * total, "{n} segments");
        let c = r.counters();
        assert_eq!((c.out_of_order, c.gaps), (n as u64 - 1, 0));
        assert_eq!(r.buffered_bytes(), 0);
    }
}

#[test]
fn total_buffer_cap_bounds_memory_over_many_connections() {
    // Four connections each hold 3,000 bytes behind a hole; the total cap is 5,000, so the
    // later connections give up their holes while the first keeps waiting.
    let mut file_packets = Vec::new();
    for k in 0..4u16 {
        let client: SocketAddr = format!("10.1.1.10:{}", 40000 + k).parse().unwrap();
        let mut w = PcapWriter::new(client, addr(SERVER));
        w.handshake(ts(0));
        let data = vec![b'a' + k as u8; 4000];
        w.segment(Direction::ToServer, ts(1), 1000, &data[1000..4000]);
        file_packets.push(w.finish());
    }
    let mut r = Reassembler::new(ReassemblerConfig {
        max_total_buffered: 5000,
        ..ReassemblerConfig::default()
    });
    let mut peak = 0;
    for file in &file_packets {
        for packet in PacketReader::new(file).unwrap() {
            r.feed_packet(&packet.unwrap());
            peak = peak.max(r.buffered_bytes());
        }
    }
    assert!(peak <= 5000, "peak {peak}");
    assert_eq!(r.buffered_bytes(), 3000);
    let c = *r.counters();
    assert_eq!((c.capped_connections, c.cap_gap_bytes), (3, 3000));
    r.finish();
    assert_eq!(r.buffered_bytes(), 0);
    let c = *r.counters();
    assert_eq!((c.gaps, c.gap_bytes, c.cap_gap_bytes), (4, 4000, 3000));
}

#[test]
fn non_tcp_fragments_and_malformed_packets_are_counted() {
    let mut w = writer();
    w.handshake(ts(0));
    let good = w.tcp_frame(Direction::ToServer, 1001, 5001, 0x18, b"data");
    let mut udp = good.clone();
    udp[14 + 9] = 17;
    let mut fragment = good.clone();
    fragment[14 + 6] = 0x20; // more fragments
    let mut arp = good.clone();
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    let short = good[..14 + 10].to_vec();
    let mut v6_esp = PcapWriter::new(addr("[::1]:1"), addr("[::2]:2"));
    let mut esp = v6_esp.tcp_frame(Direction::ToServer, 1, 1, 0x18, b"x");
    esp[14 + 6] = 50;
    for f in [udp, fragment, arp, short, esp, good] {
        w.packet(ts(1), f);
    }
    let cap = read_capture(&w.finish(), None).unwrap();
    let c = cap.counters;
    assert_eq!(
        (
            c.packets,
            c.non_tcp,
            c.fragments,
            c.malformed,
            c.unsupported,
            c.tcp_segments
        ),
        (9, 2, 1, 1, 1, 4)
    );
    assert_eq!(stream(&cap, CLIENT), b"data");
}

#[test]
fn ip_options_and_ipv6_extension_headers_are_skipped() {
    let mut w = writer();
    let frame = w.tcp_frame(Direction::ToServer, 1, 0, 0x18, b"opts");
    // IPv4 with a 4-byte option (NOP NOP NOP EOL).
    let mut with_opts = frame[..14 + 20].to_vec();
    with_opts[14] = 0x46;
    let total = u16::from_be_bytes([frame[16], frame[17]]) + 4;
    with_opts[16..18].copy_from_slice(&total.to_be_bytes());
    with_opts.extend_from_slice(&[1, 1, 1, 0]);
    with_opts.extend_from_slice(&frame[14 + 20..]);
    w.packet(ts(1), with_opts);

    let (c6, s6) = ("[2001:db8::1]:40001", "[2001:db8::2]:5000");
    let mut w6 = PcapWriter::new(addr(c6), addr(s6));
    let frame = w6.tcp_frame(Direction::ToServer, 1, 0, 0x18, b"ext");
    let mut with_ext = frame[..14 + 40].to_vec();
    with_ext[14 + 6] = 0; // hop-by-hop, then an atomic fragment header, then TCP
    let len = u16::from_be_bytes([frame[18], frame[19]]) + 16;
    with_ext[18..20].copy_from_slice(&len.to_be_bytes());
    with_ext.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
    with_ext.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 9]);
    with_ext.extend_from_slice(&frame[14 + 40..]);
    w.packet(ts(2), with_ext);

    let cap = read_capture(&w.finish(), None).unwrap();
    assert_eq!(stream(&cap, CLIENT), b"opts");
    assert_eq!(stream(&cap, c6), b"ext");
}

#[test]
fn snap_length_cut_segment_leaves_a_reported_gap() {
    let mut w = writer();
    w.handshake(ts(0));
    let cut = w.tcp_frame(Direction::ToServer, 1001, 5001, 0x18, b"abcdef");
    w.packet(ts(1), cut[..cut.len() - 2].to_vec());
    let next = w.tcp_frame(Direction::ToServer, 1007, 5001, 0x18, b"gh");
    w.packet(ts(2), next);
    let cap = read_capture(&w.finish(), None).unwrap();
    let got: Vec<(u64, &[u8])> = cap
        .data
        .iter()
        .map(|d| (d.gap_before, &d.data[..]))
        .collect();
    assert_eq!(got, vec![(0, &b"abcd"[..]), (2, &b"gh"[..])]);
    assert_eq!(cap.counters.truncated_segments, 1);
    assert_eq!(cap.counters.gap_bytes, 2);
}

#[test]
fn new_syn_on_the_same_ports_starts_a_new_connection() {
    let mut w = writer();
    w.handshake(ts(0));
    w.send(Direction::ToServer, ts(1), b"first");
    w.fin(Direction::ToServer, ts(2));
    let mut again = writer().with_isn(90_000, 70_000);
    again.handshake(ts(3));
    again.send(Direction::ToServer, ts(4), b"second");
    for r in again.records() {
        w.packet(r.0, r.1.clone());
    }
    let cap = read_capture(&w.finish(), None).unwrap();
    let got: Vec<(ConnId, &[u8])> = cap.data.iter().map(|d| (d.conn, &d.data[..])).collect();
    assert_eq!(
        got,
        vec![(ConnId(0), &b"first"[..]), (ConnId(1), &b"second"[..])]
    );
}

#[test]
fn writer_checksums_verify() {
    let mut w = writer();
    let frame = w.tcp_frame(Direction::ToServer, 1, 2, 0x18, b"odd");
    let ip = &frame[14..];
    assert_eq!(crate::capture::writer::checksum(&[&ip[..20]]), 0);
    let mut pseudo = ip[12..20].to_vec();
    pseudo.extend_from_slice(&[0, 0, 0, (ip.len() - 20) as u8, 0, 0, 0, 6]);
    assert_eq!(crate::capture::writer::checksum(&[&pseudo, &ip[20..]]), 0);
}

proptest! {
    #[test]
    fn shuffled_split_and_duplicated_segments_reassemble_exactly(
        data in prop::collection::vec(any::<u8>(), 1..400),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        order in prop::collection::vec(any::<u32>(), 13),
        dups in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        isn in any::<u32>(),
    ) {
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
        points.extend([0, data.len()]);
        points.sort_unstable();
        points.dedup();
        let mut pieces: Vec<(usize, usize)> = points.windows(2).map(|p| (p[0], p[1])).collect();
        for d in &dups {
            let dup = pieces[d.index(pieces.len())];
            pieces.push(dup);
        }
        let mut keyed: Vec<(u32, (usize, usize))> = pieces.into_iter().enumerate().map(|(i, p)| (order[i % order.len()].wrapping_add(i as u32), p)).collect();
        keyed.sort_by_key(|k| k.0);
        let mut w = writer().with_isn(isn, 1);
        w.handshake(ts(0));
        for (i, (_, (a, b))) in keyed.iter().enumerate() {
            w.segment(Direction::ToServer, ts(i as u64 + 1), *a as u32, &data[*a..*b]);
        }
        let cap = read_capture(&w.finish(), None).unwrap();
        prop_assert_eq!(stream(&cap, CLIENT), data);
        prop_assert_eq!(cap.counters.gaps, 0);
        prop_assert!(cap.data.windows(2).all(|p| p[0].ts <= p[1].ts));
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..300), linktype in 0u16..300) {
        let mut file = Vec::new();
        file.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        file.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
        file.extend_from_slice(&u32::from(linktype).to_le_bytes());
        let mut with_record = file.clone();
        with_record.extend_from_slice(&[0; 8]);
        with_record.extend_from_slice(&(data.len() as u32).to_le_bytes());
        with_record.extend_from_slice(&(data.len() as u32).to_le_bytes());
        with_record.extend_from_slice(&data);
        for input in [&data[..], &with_record[..]] {
            match read_capture(input, None) {
                Ok(cap) => prop_assert!(cap.counters.packets <= 1),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
        for link in [LinkType::Ethernet, LinkType::Null, LinkType::Raw, LinkType::LinuxSll, LinkType::LinuxSll2, LinkType::Ipv6] {
            let mut r = Reassembler::new(ReassemblerConfig::default());
            r.feed(Timestamp::default(), link, &data);
            r.finish();
            prop_assert_eq!(r.counters().packets, 1);
        }
    }
}

/// Real captures of one exchange on 127.0.0.1:58583 made with tcpdump (`-i lo`: Ethernet,
/// microseconds; `-i any --time-stamp-precision=nano`: Linux cooked v2, nanoseconds). The
/// client sent two `len2` messages in three writes (7, 18 and 29 bytes) and got one.
#[test]
fn real_tcpdump_captures() {
    let m1 = [&b"\x00\x14\x60\x00\x03\x00\x000200"[..], &[b'A'; 11]].concat();
    let m2 = [&b"\x00\x1e\x60\x00\x03\x00\x000200"[..], &[b'B'; 21]].concat();
    let reply = [&b"\x00\x19\x60\x00\x00\x00\x030210"[..], &[b'R'; 16]].concat();
    let files: [(&[u8], LinkType, bool); 2] = [
        (
            include_bytes!("testdata/loopback-ethernet.pcap"),
            LinkType::Ethernet,
            false,
        ),
        (
            include_bytes!("testdata/any-sll2-nanosecond.pcap"),
            LinkType::LinuxSll2,
            true,
        ),
    ];
    for (file, link, nanosecond) in files {
        let first = PacketReader::new(file).unwrap().next().unwrap().unwrap();
        assert_eq!(first.link, link);
        let cap = read_capture(file, Some(58583)).unwrap();
        assert_eq!(
            cap.format,
            CaptureFormat::Pcap {
                big_endian: false,
                nanosecond
            }
        );
        let client = cap.data[0].src;
        let server = cap.data[0].dst;
        assert_eq!(server, addr("127.0.0.1:58583"));
        let sent: Vec<u8> = cap
            .data
            .iter()
            .filter(|d| d.src == client)
            .flat_map(|d| d.data.to_vec())
            .collect();
        let got: Vec<u8> = cap
            .data
            .iter()
            .filter(|d| d.src == server)
            .flat_map(|d| d.data.to_vec())
            .collect();
        assert_eq!(sent, [m1.clone(), m2.clone()].concat());
        assert_eq!(got, reply);
        let sizes: Vec<usize> = cap
            .data
            .iter()
            .filter(|d| d.src == client)
            .map(|d| d.data.len())
            .collect();
        assert_eq!(sizes, vec![7, 18, 29]);
        assert_eq!(cap.counters.packets, 14);
        assert_eq!(cap.counters.connections, 1);
        assert_eq!((cap.counters.gaps, cap.counters.retransmissions), (0, 0));
        let stamped = frames(&cap);
        assert_eq!(stamped.len(), 3);
        assert_eq!(stamped[0].2, Bytes::copy_from_slice(&m1[2..]));
        assert_eq!(
            stamped[0].1, cap.data[1].ts,
            "m1 completed by the second write"
        );
        assert_eq!(stamped[1].1, cap.data[2].ts);
    }
}

/// Found by fuzzing: pcap-parser 0.17 underflows on a pcapng block whose length is below 12;
/// the reader refuses it first.
#[test]
fn pcapng_block_shorter_than_twelve_is_malformed_not_a_panic() {
    let file = [
        0x0a, 0x0d, 0x0d, 0x0a, 0x00, 0x00, 0x00, 0x25, 0x1a, 0x2b, 0x3c, 0x4d, 0x8a, 0x00, 0x00,
        0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0xef, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04,
        0x00, 0x01, 0x00, 0x00,
    ];
    let result = std::panic::catch_unwind(|| read_capture(&file, None));
    assert!(result.is_ok(), "the reader panicked");
    assert!(result.unwrap().is_err());
}
