//! Unit and property tests for the framing module (compiled under #[cfg(test)] only).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use crate::framing::{
    Decoded, ErrorPolicy, FrameConfig, FrameDecoder, FramingError, FramingErrorKind, LengthHeader,
    SkippedRun, Tpdu, TpduTooShort, encode_frame,
};

/// Headers that carry a length.
const LENGTH_HEADERS: [LengthHeader; 4] = [
    LengthHeader::Len2Be,
    LengthHeader::Len2Le,
    LengthHeader::Len2Bcd,
    LengthHeader::Len4Ascii,
];

fn config(header: LengthHeader) -> FrameConfig {
    FrameConfig::new(header).with_max_frame(usize::MAX)
}

fn encode_all(header: LengthHeader, payloads: &[&[u8]]) -> Bytes {
    let mut wire = BytesMut::new();
    for p in payloads {
        encode_frame(header, p, &mut wire).unwrap();
    }
    wire.freeze()
}

/// Feeds `chunks` one after the other, decoding everything, then decodes at EOF.
fn decode_chunks(config: FrameConfig, chunks: &[&[u8]]) -> Result<Vec<Bytes>, FramingError> {
    let mut decoder = FrameDecoder::new(config);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf)? {
                Decoded::Frame(f) => frames.push(f),
                Decoded::NeedMore(n) => {
                    assert!(n >= 1, "NeedMore must ask for at least one byte");
                    break;
                }
                Decoded::Skipped(_) => {}
            }
        }
    }
    while let Some(step) = decoder.decode_eof(&mut buf)? {
        if let Decoded::Frame(f) = step {
            frames.push(f);
        }
    }
    Ok(frames)
}

#[test]
fn header_names_round_trip() {
    let names = ["len2", "len2le", "len2bcd", "len4ascii", "none"];
    for (header, name) in LengthHeader::ALL.into_iter().zip(names) {
        assert_eq!(header.to_string(), name);
        assert_eq!(name.parse::<LengthHeader>().unwrap(), header);
    }
    assert_eq!(
        "LEN2".parse::<LengthHeader>().unwrap(),
        LengthHeader::Len2Be
    );
    let err = "len3".parse::<LengthHeader>().unwrap_err();
    assert_eq!(err.name, "len3");
    assert!(err.to_string().contains("len2bcd"));
}

#[test]
fn header_bytes_are_exact() {
    let cases: [(LengthHeader, usize, &[u8]); 8] = [
        (LengthHeader::Len2Be, 0x0102, b"\x01\x02"),
        (LengthHeader::Len2Le, 0x0102, b"\x02\x01"),
        (LengthHeader::Len2Bcd, 1234, b"\x12\x34"),
        (LengthHeader::Len2Bcd, 7, b"\x00\x07"),
        (LengthHeader::Len4Ascii, 42, b"0042"),
        (LengthHeader::Len4Ascii, 9999, b"9999"),
        (LengthHeader::Len2Be, 65535, b"\xff\xff"),
        (LengthHeader::None, 10, b""),
    ];
    for (header, len, bytes) in cases {
        let mut dst = BytesMut::new();
        header.encode_len(len, &mut dst).unwrap();
        assert_eq!(&dst[..], bytes, "{header} {len}");
        if header != LengthHeader::None {
            assert_eq!(header.decode_len(bytes).unwrap(), Some(len));
            assert_eq!(header.decode_len(&bytes[..1]).unwrap(), None);
        }
    }
}

#[test]
fn every_bcd_and_ascii_length_round_trips() {
    for header in [LengthHeader::Len2Bcd, LengthHeader::Len4Ascii] {
        for len in 0..=9999 {
            let mut dst = BytesMut::new();
            header.encode_len(len, &mut dst).unwrap();
            assert_eq!(header.decode_len(&dst).unwrap(), Some(len));
        }
    }
}

#[test]
fn round_trip_every_header_at_small_and_maximum_length() {
    for header in LengthHeader::ALL {
        let max = header.max_len().min(65535);
        for len in [1, 2, 255, 256, max] {
            let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let wire = encode_all(header, &[&payload]);
            assert_eq!(wire.len(), header.size() + len);
            let frames = decode_chunks(config(header), &[&wire]).unwrap();
            assert_eq!(frames, vec![Bytes::from(payload)], "{header} len {len}");
        }
    }
}

#[test]
fn encode_rejects_lengths_the_header_cannot_express() {
    let cases = [
        (LengthHeader::Len2Bcd, 10_000, 9999),
        (LengthHeader::Len4Ascii, 10_000, 9999),
        (LengthHeader::Len2Be, 65_536, 65_535),
        (LengthHeader::Len2Le, 65_536, 65_535),
    ];
    for (header, len, max) in cases {
        let mut dst = BytesMut::from(&b"ab"[..]);
        let err = encode_frame(header, &vec![0u8; len], &mut dst).unwrap_err();
        assert_eq!(err.kind, FramingErrorKind::FrameTooLarge { len, max });
        assert_eq!(err.offset, 2);
        assert_eq!(&dst[..], b"ab", "nothing written on error");
    }
    let mut dst = BytesMut::new();
    let err = encode_frame(LengthHeader::Len2Be, b"", &mut dst).unwrap_err();
    assert_eq!(err.kind, FramingErrorKind::ZeroLength);
    let err = FrameConfig::new(LengthHeader::Len2Be)
        .with_max_frame(3)
        .encode(b"abcd", &mut dst)
        .unwrap_err();
    assert_eq!(err.kind, FramingErrorKind::FrameTooLarge { len: 4, max: 3 });
}

const MESSAGES: [&[u8]; 3] = [
    b"\x60\x00\x03\x00\x00\x08\x00first",
    b"x",
    b"\x60\x00\x00\x00\x03\x08\x10third-message",
];

#[test]
fn every_split_of_a_three_message_stream_gives_the_same_frames() {
    let expected: Vec<Bytes> = MESSAGES.iter().map(|m| Bytes::from_static(m)).collect();
    for header in LENGTH_HEADERS {
        let wire = encode_all(header, &MESSAGES);
        let bytewise: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(decode_chunks(config(header), &bytewise).unwrap(), expected);
        for split in 0..=wire.len() {
            let (a, b) = wire.split_at(split);
            let frames = decode_chunks(config(header), &[a, b]).unwrap();
            assert_eq!(frames, expected, "{header} split at {split}");
        }
    }
}

#[test]
fn need_more_reports_missing_bytes() {
    let mut decoder = FrameDecoder::new(FrameConfig::new(LengthHeader::Len4Ascii));
    let mut buf = BytesMut::from(&b"00"[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap(), Decoded::NeedMore(2));
    buf.extend_from_slice(b"10abc");
    assert_eq!(decoder.decode(&mut buf).unwrap(), Decoded::NeedMore(7));
    buf.extend_from_slice(b"defghij");
    assert_eq!(
        decoder.decode(&mut buf).unwrap(),
        Decoded::Frame(Bytes::from_static(b"abcdefghij"))
    );
    assert_eq!(decoder.consumed(), 14);
    assert_eq!(decoder.decode(&mut buf).unwrap(), Decoded::NeedMore(4));
}

#[test]
fn frames_are_split_off_without_copying() {
    let mut buf = BytesMut::from(&b"\x00\x03abc\x00\x01z"[..]);
    let start = buf.as_ptr();
    let mut decoder = FrameDecoder::new(FrameConfig::new(LengthHeader::Len2Be));
    let Decoded::Frame(first) = decoder.decode(&mut buf).unwrap() else {
        panic!("expected a frame")
    };
    assert_eq!(first.as_ptr(), start.wrapping_add(2));
    let Decoded::Frame(second) = decoder.decode(&mut buf).unwrap() else {
        panic!("expected a frame")
    };
    assert_eq!(&second[..], b"z");
    assert_eq!(second.as_ptr(), start.wrapping_add(7));
}

#[test]
fn oversized_header_names_both_sizes_and_reserves_nothing() {
    let cfg = FrameConfig::new(LengthHeader::Len2Be).with_max_frame(100);
    let mut decoder = FrameDecoder::new(cfg);
    let mut buf = BytesMut::with_capacity(8);
    buf.extend_from_slice(b"\x00\x02ok\xea\x60");
    assert_eq!(
        decoder.decode(&mut buf).unwrap(),
        Decoded::Frame(Bytes::from_static(b"ok"))
    );
    let err = decoder.decode(&mut buf).unwrap_err();
    assert_eq!(
        err,
        FramingError {
            offset: 4,
            kind: FramingErrorKind::FrameTooLarge {
                len: 60000,
                max: 100
            }
        }
    );
    let text = err.to_string();
    assert!(
        text.contains("60000") && text.contains("100") && text.contains("byte 4"),
        "{text}"
    );
    assert!(
        buf.capacity() < 1000,
        "no allocation for an untrusted length"
    );
    assert_eq!(&buf[..], b"\xea\x60", "Stop leaves the buffer untouched");
    assert_eq!(
        decoder.decode(&mut buf).unwrap_err(),
        err,
        "error is sticky"
    );
}

#[test]
fn plausible_length_reserves_at_most_the_frame() {
    let cfg = FrameConfig::new(LengthHeader::Len2Be).with_max_frame(5000);
    let mut decoder = FrameDecoder::new(cfg);
    let mut buf = BytesMut::from(&b"\x0f\xa0"[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap(), Decoded::NeedMore(4000));
    assert!(buf.capacity() >= 4002 && buf.capacity() < 5000 * 4);
}

#[test]
fn bad_digits_are_located_errors() {
    let cases: [(LengthHeader, &[u8], u8); 3] = [
        (LengthHeader::Len2Bcd, b"\x00\x1a", 0x1a),
        (LengthHeader::Len2Bcd, b"\xa0\x01", 0xa0),
        (LengthHeader::Len4Ascii, b"00x1", b'x'),
    ];
    for (header, bad, byte) in cases {
        let mut wire = BytesMut::new();
        encode_frame(header, b"abc", &mut wire).unwrap();
        wire.extend_from_slice(bad);
        let err = decode_chunks(FrameConfig::new(header), &[&wire]).unwrap_err();
        let offset = (header.size() + 3) as u64;
        assert_eq!(
            err,
            FramingError {
                offset,
                kind: FramingErrorKind::BadHeader { header, byte }
            }
        );
    }
}

#[test]
fn zero_length_header_is_an_error() {
    let err = decode_chunks(FrameConfig::new(LengthHeader::Len2Be), &[b"\x00\x00"]).unwrap_err();
    assert_eq!(err.kind, FramingErrorKind::ZeroLength);
    assert_eq!(err.offset, 0);
}

#[test]
fn truncated_stream_names_remaining_and_announced() {
    let mut decoder = FrameDecoder::new(FrameConfig::new(LengthHeader::Len4Ascii));
    let mut buf = BytesMut::from(&b"0003abc0010hello"[..]);
    assert_eq!(
        decoder.decode_eof(&mut buf).unwrap(),
        Some(Decoded::Frame(Bytes::from_static(b"abc")))
    );
    let err = decoder.decode_eof(&mut buf).unwrap_err();
    assert_eq!(
        err,
        FramingError {
            offset: 7,
            kind: FramingErrorKind::Truncated {
                remaining: 5,
                announced: 10
            }
        }
    );
    assert!(err.to_string().contains("5 bytes left of 10 announced"));
    assert_eq!(decoder.decode_eof(&mut buf).unwrap(), None);

    let mut buf = BytesMut::from(&b"00"[..]);
    let err = decoder.decode_eof(&mut buf).unwrap_err();
    assert_eq!(
        err.kind,
        FramingErrorKind::TruncatedHeader {
            remaining: 2,
            header_size: 4
        }
    );
    assert_eq!(err.offset, 16);
}

#[test]
fn resync_skips_garbage_and_recovers_the_next_frame() {
    let cfg = FrameConfig::new(LengthHeader::Len4Ascii)
        .with_max_frame(50)
        .with_policy(ErrorPolicy::Resync);
    let mut wire = BytesMut::new();
    encode_frame(LengthHeader::Len4Ascii, b"one", &mut wire).unwrap();
    wire.extend_from_slice(b"GARBAGE!");
    encode_frame(LengthHeader::Len4Ascii, b"two", &mut wire).unwrap();
    wire.extend_from_slice(b"9999");
    encode_frame(LengthHeader::Len4Ascii, b"three", &mut wire).unwrap();

    for chunk_size in [1, 3, wire.len()] {
        let mut decoder = FrameDecoder::new(cfg);
        let mut buf = BytesMut::new();
        let mut steps = Vec::new();
        for chunk in wire.chunks(chunk_size) {
            buf.extend_from_slice(chunk);
            loop {
                match decoder.decode(&mut buf).unwrap() {
                    Decoded::NeedMore(_) => break,
                    other => steps.push(other),
                }
            }
        }
        while let Some(step) = decoder.decode_eof(&mut buf).unwrap() {
            steps.push(step);
        }
        assert_eq!(
            steps,
            vec![
                Decoded::Frame(Bytes::from_static(b"one")),
                Decoded::Skipped(SkippedRun {
                    offset: 7,
                    len: 8,
                    reason: FramingErrorKind::BadHeader {
                        header: LengthHeader::Len4Ascii,
                        byte: b'G'
                    }
                }),
                Decoded::Frame(Bytes::from_static(b"two")),
                Decoded::Skipped(SkippedRun {
                    offset: 22,
                    len: 4,
                    reason: FramingErrorKind::FrameTooLarge { len: 9999, max: 50 }
                }),
                Decoded::Frame(Bytes::from_static(b"three")),
            ],
            "chunk size {chunk_size}"
        );
        assert_eq!(decoder.consumed(), wire.len() as u64);
    }
}

#[test]
fn resync_garbage_at_end_is_reported_then_truncated() {
    let cfg = FrameConfig::new(LengthHeader::Len2Bcd).with_policy(ErrorPolicy::Resync);
    let mut decoder = FrameDecoder::new(cfg);
    let mut buf = BytesMut::from(&b"\x00\x01A\xff\xff\xff"[..]);
    assert_eq!(
        decoder.decode_eof(&mut buf).unwrap(),
        Some(Decoded::Frame(Bytes::from_static(b"A")))
    );
    let Some(Decoded::Skipped(run)) = decoder.decode_eof(&mut buf).unwrap() else {
        panic!("expected a skipped run")
    };
    assert_eq!((run.offset, run.len), (3, 2));
    let err = decoder.decode_eof(&mut buf).unwrap_err();
    assert_eq!(err.offset, 5);
    assert_eq!(
        err.kind,
        FramingErrorKind::TruncatedHeader {
            remaining: 1,
            header_size: 2
        }
    );
    assert_eq!(decoder.decode_eof(&mut buf).unwrap(), None);
}

#[test]
fn headerless_frame_is_the_whole_stream_at_eof() {
    let cfg = FrameConfig::new(LengthHeader::None).with_max_frame(10);
    let mut decoder = FrameDecoder::new(cfg);
    let mut buf = BytesMut::from(&b"0200abc"[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap(), Decoded::NeedMore(1));
    assert_eq!(
        decoder.decode_eof(&mut buf).unwrap(),
        Some(Decoded::Frame(Bytes::from_static(b"0200abc")))
    );
    assert_eq!(decoder.decode_eof(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"01234567890");
    let err = decoder.decode(&mut buf).unwrap_err();
    assert_eq!(
        err.kind,
        FramingErrorKind::FrameTooLarge { len: 11, max: 10 }
    );
    assert_eq!(err.offset, 7);
}

#[test]
fn config_defaults_follow_the_header() {
    assert_eq!(FrameConfig::new(LengthHeader::Len2Bcd).max_frame, 9999);
    assert_eq!(FrameConfig::new(LengthHeader::Len2Be).max_frame, 65535);
    assert_eq!(FrameConfig::new(LengthHeader::None).max_frame, 65535);
    let cfg = FrameConfig::default();
    assert_eq!(cfg.header, LengthHeader::Len2Be);
    assert_eq!(cfg.on_error, ErrorPolicy::Stop);
    assert_eq!(config(LengthHeader::Len4Ascii).max_payload(), 9999);
}

#[test]
fn tpdu_parses_writes_and_swaps() {
    let (tpdu, rest) = Tpdu::parse(b"\x60\x00\x03\x00\x00\x02\x00").unwrap();
    assert_eq!(tpdu, Tpdu::new(0x0003, 0x0000));
    assert_eq!(rest, b"\x02\x00");
    let reply = tpdu.swap();
    assert_eq!(reply.to_bytes(), *b"\x60\x00\x00\x00\x03");
    assert_eq!(reply.swap(), tpdu);
    let mut dst = BytesMut::new();
    Tpdu::from_bytes(*b"\x60\x22\x00\x00\x00").write(&mut dst);
    assert_eq!(&dst[..], b"\x60\x22\x00\x00\x00");
    assert_eq!(Tpdu::parse(b"\x60\x00"), Err(TpduTooShort { available: 2 }));

    let mut frame = Bytes::from_static(b"\x60\x00\x03\x00\x07\x08\x00");
    let tpdu = Tpdu::split_off(&mut frame).unwrap();
    assert_eq!((tpdu.id, tpdu.destination, tpdu.source), (0x60, 3, 7));
    assert_eq!(&frame[..], b"\x08\x00");
}

fn header_strategy() -> impl Strategy<Value = LengthHeader> {
    prop::sample::select(LENGTH_HEADERS.to_vec())
}

proptest! {
    #[test]
    fn random_payloads_survive_random_chunking(
        header in header_strategy(),
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..300), 0..8),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let mut wire = BytesMut::new();
        for p in &payloads {
            encode_frame(header, p, &mut wire).unwrap();
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(wire.len() + 1)).collect();
        points.push(0);
        points.push(wire.len());
        points.sort_unstable();
        let chunks: Vec<&[u8]> = points.windows(2).map(|w| &wire[w[0]..w[1]]).collect();
        let frames = decode_chunks(FrameConfig::new(header), &chunks).unwrap();
        let expected: Vec<Bytes> = payloads.into_iter().map(Bytes::from).collect();
        prop_assert_eq!(frames, expected);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_account_for_every_byte(
        header in prop::sample::select(LengthHeader::ALL.to_vec()),
        data in prop::collection::vec(any::<u8>(), 0..200),
        max_frame in 0usize..100,
    ) {
        let cfg = FrameConfig::new(header).with_max_frame(max_frame).with_policy(ErrorPolicy::Resync);
        let mut decoder = FrameDecoder::new(cfg);
        let mut buf = BytesMut::from(&data[..]);
        let mut accounted = 0usize;
        loop {
            match decoder.decode_eof(&mut buf) {
                Ok(Some(Decoded::Frame(f))) => accounted += f.len() + header.size(),
                Ok(Some(Decoded::Skipped(run))) => accounted += run.len,
                Ok(Some(Decoded::NeedMore(_))) => prop_assert!(false, "decode_eof never needs more"),
                Ok(None) => break,
                Err(e) => {
                    if header == LengthHeader::None { break; }
                    match e.kind {
                        FramingErrorKind::Truncated { remaining, .. } => accounted += remaining + header.size(),
                        FramingErrorKind::TruncatedHeader { remaining, .. } => accounted += remaining,
                        other => prop_assert!(false, "unexpected {other:?}"),
                    }
                }
            }
        }
        if header != LengthHeader::None || data.len() <= max_frame {
            prop_assert_eq!(accounted, data.len());
            prop_assert_eq!(decoder.consumed(), data.len() as u64);
        }
    }
}
