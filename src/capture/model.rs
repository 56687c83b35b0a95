//! A model check of one direction's reassembly, shared by the `pcap` fuzz target and the
//! unit tests: long streams cut into segments that arrive reordered, overlapping and
//! duplicated, compared against what a byte-by-byte model says must come out.

#![allow(clippy::panic)] // a broken invariant must crash the fuzzer

use crate::capture::stream::Counters;
use crate::capture::tcp::{ACK, HalfStream, Room, SYN, Segment};
use crate::capture::timestamp::Timestamp;
use crate::fuzzing::Choices;

/// Builds a stream of up to 64 KiB and up to 400 segments of it (each up to 1,500 bytes, with
/// duplicates, overlaps and, one time in two, a full cover of the stream), in an order chosen
/// by `data`, feeds them to one direction under a buffer cap also chosen by `data`, and
/// checks that every delivered byte is the stream's byte at its offset (gaps included), that
/// without a cap hit the delivered bytes are exactly the union of the segments and the
/// reported gap bytes exactly the holes in it, and that reassembly copied at most twice the
/// bytes fed.
pub(crate) fn check_segment_stream(data: &[u8]) {
    let mut c = Choices(data);
    let len = c.below(1 << 16) + 1;
    let seed = c.byte();
    let stream: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect();
    let mut segs: Vec<(usize, usize)> = Vec::new();
    let count = c.below(400);
    for _ in 0..count {
        let start = c.below(len);
        let size = c.below((len - start).min(1500)) + 1;
        segs.push((start, start + size));
        if c.byte() < 32 {
            segs.push((start, start + size)); // duplicate
        }
    }
    if c.byte() & 1 == 0 {
        let mut at = 0;
        while at < len {
            let end = (at + c.below(1500) + 1).min(len);
            segs.push((at, end));
            at = end;
        }
    }
    for i in (1..segs.len()).rev() {
        segs.swap(i, c.below(i + 1));
    }
    let max_buffered = match c.byte() % 4 {
        0 => c.below(4096) + 1,
        _ => usize::MAX,
    };
    let isn = u32::from_be_bytes([c.byte(), c.byte(), c.byte(), c.byte()]);

    let mut half = HalfStream::default();
    let mut counters = Counters::default();
    let room = Room {
        max_buffered,
        total_left: usize::MAX,
    };
    let syn = Segment {
        src_port: 1,
        dst_port: 2,
        seq: isn,
        flags: SYN,
        payload: &[],
    };
    let mut pieces = half.accept(Timestamp::new(0, 0), &syn, 0, room, &mut counters);
    let mut fed = 0u64;
    for (k, &(start, end)) in segs.iter().enumerate() {
        let Some(payload) = stream.get(start..end) else {
            panic!("model segment outside the stream"); // ok: fuzz model (segments are cut from the stream)
        };
        fed += payload.len() as u64;
        let seg = Segment {
            src_port: 1,
            dst_port: 2,
            seq: isn.wrapping_add(1).wrapping_add(start as u32),
            flags: ACK,
            payload,
        };
        let ts = Timestamp::new(k as u64 + 1, 0);
        pieces.extend(half.accept(ts, &seg, 0, room, &mut counters));
        assert!(
            half.pending_bytes() <= max_buffered,
            "buffered past the cap"
        );
    }
    pieces.extend(half.finish(&mut counters));
    assert_eq!(half.pending_bytes(), 0, "bytes left buffered after finish");

    let mut at = 0usize;
    let mut delivered = vec![false; len];
    let mut gap_total = 0u64;
    for p in &pieces {
        assert!(!p.data.is_empty(), "empty piece");
        at += usize::try_from(p.gap_before).unwrap_or(usize::MAX);
        gap_total += p.gap_before;
        let end = at + p.data.len();
        assert_eq!(
            stream.get(at..end),
            Some(&p.data[..]),
            "bytes at stream offset {at} differ"
        );
        for d in delivered.get_mut(at..end).into_iter().flatten() {
            *d = true;
        }
        at = end;
    }
    assert_eq!(gap_total, counters.gap_bytes, "gap bytes reported");
    assert!(
        half.copied() <= 2 * fed,
        "copied {} bytes for {fed} fed",
        half.copied()
    );
    if !half.capped() {
        let mut covered = vec![false; len];
        for &(s, e) in &segs {
            for b in covered.get_mut(s..e).into_iter().flatten() {
                *b = true;
            }
        }
        let max_end = segs.iter().map(|s| s.1).max().unwrap_or(0);
        assert_eq!(delivered, covered, "delivered bytes are not the union");
        assert_eq!(at, max_end, "stream end");
        let holes = covered.iter().take(max_end).filter(|b| !**b).count() as u64;
        assert_eq!(counters.gap_bytes, holes, "gap bytes are not the holes");
        assert_eq!(counters.cap_gap_bytes, 0);
    }
}
