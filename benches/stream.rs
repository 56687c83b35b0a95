//! The stream decoder over a ~10 MB stream of mixed messages, as a host reads a busy link.
//!
//! The stream (built in memory, nothing on disk) holds `len2`-framed messages of two dialects
//! in a fixed shuffled order: `cup-pos` (TPDU + CUP header, BCD; purchases with DE 55,
//! approvals, sign-on, settlement) and `iso87-ascii-bin` (purchases and responses). It is fed
//! in 1,460-byte chunks (one TCP segment's payload) into a `BytesMut`; each frame is cut by
//! `FrameDecoder` without copying and decoded by `MessageView::decode` with the spec picked
//! from its first byte (`0x60` TPDU: cup-pos, else iso87).
//!
//! Groups:
//! - `stream/frames`: framing only.
//! - `stream/decode`: framing + `MessageView::decode`, `Throughput::Bytes` (MB/s).
//! - `stream_msgs/decode`: the same work with `Throughput::Elements` (messages/s).
//!
//! Run: `cargo bench --bench stream`.

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iso8583_wire::framing::{
    Decoded, FrameConfig, FrameDecoder, LengthHeader, PosHeader, Tpdu, encode_frame,
};
use iso8583_wire::{MessageBuilder, MessageView, Spec};

const TARGET: usize = 10 * 1024 * 1024;
const SEGMENT: usize = 1460;

const DE55: [u8; 48] = [
    0x9F, 0x26, 0x08, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E, 0x6F, 0x70, 0x81, 0x9F, 0x27, 0x01, 0x80, 0x9F,
    0x10, 0x07, 0x06, 0x01, 0x0A, 0x03, 0xA0, 0x00, 0x00, 0x9F, 0x37, 0x04, 0x9B, 0xAD, 0xBC, 0xAB,
    0x9F, 0x36, 0x02, 0x00, 0x2A, 0x95, 0x05, 0x00, 0x00, 0x00, 0x80, 0x00, 0x82, 0x02, 0x7C, 0x00,
];

/// The distinct messages the stream is made of.
fn messages(cup: &Spec, iso: &Spec) -> Vec<Vec<u8>> {
    let h = PosHeader {
        tpdu: Tpdu::new(0x0003, 0x0000),
        app_type: 0x61,
        version: 0x31,
        terminal_status: 0,
        processing: 0,
        app_version: [0x31, 0x01, 0x02],
    };
    let req = h.to_bytes();
    let rsp = h.reply().to_bytes();
    let build = |spec: &Spec,
                 header: Option<&[u8]>,
                 mti: &str,
                 fields: &[(u16, &str)],
                 bin: &[(u16, &[u8])]| {
        let mut b = MessageBuilder::new(spec);
        if let Some(h) = header {
            b.header(h).expect("header");
        }
        b.mti(mti).expect("mti");
        for (n, v) in fields {
            b.set(*n, *v).expect("field");
        }
        for (n, v) in bin {
            b.set_binary(*n, v).expect("binary field");
        }
        b.encode_to_vec().expect("encode")
    };
    let mac = [0x11u8, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
    let pin = [0xA1u8, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18];
    vec![
        build(
            cup,
            Some(&req),
            "0200",
            &[
                (2, "6222021234567890123"),
                (3, "000000"),
                (4, "000000012500"),
                (11, "000002"),
                (14, "2912"),
                (22, "051"),
                (23, "001"),
                (25, "00"),
                (26, "12"),
                (41, "TERM0001"),
                (42, "898310048160001"),
                (49, "156"),
                (53, "2600000000000000"),
                (60, "2200012300050"),
            ],
            &[(52, &pin), (55, &DE55), (64, &mac)],
        ),
        build(
            cup,
            Some(&rsp),
            "0210",
            &[
                (2, "6222021234567890123"),
                (3, "000000"),
                (4, "000000012500"),
                (11, "000002"),
                (12, "090041"),
                (13, "1122"),
                (25, "00"),
                (32, "48020000"),
                (37, "112209000002"),
                (38, "A71520"),
                (39, "00"),
                (41, "TERM0001"),
                (42, "898310048160001"),
                (49, "156"),
                (60, "22000123000"),
                (63, "CUP"),
            ],
            &[(64, &mac)],
        ),
        build(
            cup,
            Some(&req),
            "0800",
            &[
                (11, "000001"),
                (41, "TERM0001"),
                (42, "898310048160001"),
                (60, "00000000003"),
                (63, "001"),
            ],
            &[],
        ),
        build(
            cup,
            Some(&req),
            "0500",
            &[
                (11, "000008"),
                (41, "TERM0001"),
                (42, "898310048160001"),
                (
                    48,
                    "00000000880000100000000300000100000000000000000000000000000000",
                ),
                (49, "156"),
                (60, "00000123201"),
                (63, "001"),
            ],
            &[],
        ),
        build(
            iso,
            None,
            "0200",
            &[
                (2, "4761739001010119"),
                (3, "000000"),
                (4, "000000002500"),
                (7, "1122090041"),
                (11, "000042"),
                (12, "090041"),
                (13, "1122"),
                (22, "051"),
                (25, "00"),
                (35, "4761739001010119=29122011758928889"),
                (41, "TERM0001"),
                (42, "MERCHANT0000001"),
                (49, "840"),
            ],
            &[],
        ),
        build(
            iso,
            None,
            "0210",
            &[
                (2, "4761739001010119"),
                (3, "000000"),
                (4, "000000002500"),
                (7, "1122090041"),
                (11, "000042"),
                (37, "112209000042"),
                (38, "123456"),
                (39, "00"),
                (41, "TERM0001"),
                (42, "MERCHANT0000001"),
                (49, "840"),
            ],
            &[],
        ),
    ]
}

/// A `len2` stream of about [`TARGET`] bytes and its message count.
fn stream(cup: &Spec, iso: &Spec) -> (Vec<u8>, u64) {
    let msgs = messages(cup, iso);
    let mut out = BytesMut::with_capacity(TARGET + 1024);
    let mut n = 0u64;
    let mut x: u32 = 12345;
    while out.len() < TARGET {
        // xorshift: a fixed, mixed order
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let m = &msgs[x as usize % msgs.len()];
        encode_frame(LengthHeader::Len2Be, m, &mut out).expect("frame");
        n += 1;
    }
    (out.to_vec(), n)
}

/// Feeds `wire` in segments; calls `each` per frame; returns the frame count.
fn run(wire: &[u8], mut each: impl FnMut(&[u8])) -> u64 {
    let mut decoder = FrameDecoder::new(FrameConfig::new(LengthHeader::Len2Be));
    let mut buf = BytesMut::with_capacity(1 << 16);
    let mut frames = 0;
    for chunk in wire.chunks(SEGMENT) {
        buf.extend_from_slice(chunk);
        while let Ok(Decoded::Frame(frame)) = decoder.decode(&mut buf) {
            each(&frame);
            frames += 1;
        }
    }
    frames
}

fn bench(c: &mut Criterion) {
    let cup = Spec::builtin("cup-pos").expect("cup-pos");
    let iso = Spec::builtin("iso87-ascii-bin").expect("iso87");
    let (wire, count) = stream(&cup, &iso);
    let decode_all = |wire: &[u8]| {
        let mut sum = 0u64;
        let frames = run(wire, |frame| {
            let spec = if frame.first() == Some(&Tpdu::STANDARD_ID) {
                &cup
            } else {
                &iso
            };
            match MessageView::decode(spec, frame) {
                Ok(v) => sum += u64::from(v.mti().digits()[1]) + v.encoded_len() as u64,
                Err(_) => sum += 1_000_000,
            }
        });
        assert_eq!(frames, count);
        sum
    };
    // Every frame decodes.
    let mut bad = 0;
    run(&wire, |frame| {
        let spec = if frame.first() == Some(&Tpdu::STANDARD_ID) {
            &cup
        } else {
            &iso
        };
        bad += u32::from(MessageView::decode(spec, frame).is_err());
    });
    assert_eq!(bad, 0, "every message of the stream decodes");
    eprintln!(
        "stream: {} bytes, {count} messages, {:.0} bytes/message",
        wire.len(),
        wire.len() as f64 / count as f64
    );

    let mut g = c.benchmark_group("stream");
    g.measurement_time(Duration::from_secs(8)).sample_size(20);
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.bench_function("frames", |b| {
        b.iter(|| {
            black_box(run(black_box(&wire), |f| {
                black_box(f.len());
            }))
        })
    });
    g.bench_function("decode", |b| {
        b.iter(|| black_box(decode_all(black_box(&wire))))
    });
    g.finish();

    let mut g = c.benchmark_group("stream_msgs");
    g.measurement_time(Duration::from_secs(8)).sample_size(20);
    g.throughput(Throughput::Elements(count));
    g.bench_function("decode", |b| {
        b.iter(|| black_box(decode_all(black_box(&wire))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
