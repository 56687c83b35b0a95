//! TCP header decoding and per-direction reassembly by sequence number.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};

use crate::capture::stream::Counters;
use crate::capture::timestamp::Timestamp;

/// TCP flag bits.
pub(crate) const SYN: u8 = 0x02;
pub(crate) const ACK: u8 = 0x10;

/// A decoded TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub flags: u8,
    /// Captured payload bytes.
    pub payload: &'a [u8],
}

/// Decodes a TCP header; `None` if cut short or inconsistent.
pub(crate) fn parse_segment(b: &[u8]) -> Option<Segment<'_>> {
    let head = b.first_chunk::<20>()?;
    let [
        sp0,
        sp1,
        dp0,
        dp1,
        s0,
        s1,
        s2,
        s3,
        _,
        _,
        _,
        _,
        off,
        flags,
        ..,
    ] = *head;
    let header_len = usize::from(off >> 4) * 4;
    if header_len < 20 {
        return None;
    }
    Some(Segment {
        src_port: u16::from_be_bytes([sp0, sp1]),
        dst_port: u16::from_be_bytes([dp0, dp1]),
        seq: u32::from_be_bytes([s0, s1, s2, s3]),
        flags,
        payload: b.get(header_len..)?,
    })
}

/// Newly in-order bytes of one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    pub ts: Timestamp,
    pub gap_before: u64,
    pub data: Bytes,
}

/// A segment buffered until the gap before it fills.
#[derive(Debug, Clone)]
struct Pending {
    ts: Timestamp,
    data: Bytes,
    /// Length on the wire (`>= data.len()` when the capture cut it short).
    wire_len: u64,
}

/// Reassembly state of one direction of a connection.
///
/// Sequence numbers are mapped to 64-bit stream offsets relative to the first data byte, so
/// wrap-around of the 32-bit space is transparent.
#[derive(Debug, Clone, Default)]
pub(crate) struct HalfStream {
    /// Sequence number of stream offset 0.
    base: Option<u32>,
    /// Next expected stream offset.
    next: u64,
    pending: BTreeMap<u64, Pending>,
    pending_bytes: usize,
    /// Missing bytes to report before the next delivered data.
    gap: u64,
    /// Payload bytes copied so far (each segment once on arrival, each joined run once).
    copied: u64,
    /// Whether a buffer cap has forced a hole to be given up in this direction.
    capped: bool,
}

/// How many bytes one direction may keep buffered out of order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Room {
    /// The per-direction cap.
    pub max_buffered: usize,
    /// What the total cap leaves this direction (its own buffered bytes included).
    pub total_left: usize,
}

impl Room {
    fn limit(self) -> usize {
        self.max_buffered.min(self.total_left)
    }
}

impl HalfStream {
    /// Sequence number of the first data byte, once known.
    pub(crate) fn base(&self) -> Option<u32> {
        self.base
    }

    /// Bytes buffered out of order.
    pub(crate) fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// Payload bytes copied so far: linear reassembly copies each byte at most twice.
    pub(crate) fn copied(&self) -> u64 {
        self.copied
    }

    /// Whether a buffer cap has forced a hole to be given up.
    pub(crate) fn capped(&self) -> bool {
        self.capped
    }

    /// Accepts one segment; returns the bytes it put in order (possibly with buffered ones).
    ///
    /// `missing` is the number of payload bytes on the wire that the capture did not keep.
    pub(crate) fn accept(
        &mut self,
        ts: Timestamp,
        seg: &Segment<'_>,
        missing: usize,
        room: Room,
        counters: &mut Counters,
    ) -> Vec<Piece> {
        let mut data_seq = seg.seq;
        if seg.flags & SYN != 0 {
            data_seq = seg.seq.wrapping_add(1);
            if self.base.is_none() {
                self.base = Some(data_seq);
            }
        }
        let wire_len = (seg.payload.len() as u64).saturating_add(missing as u64);
        if wire_len == 0 {
            return Vec::new();
        }
        let base = *self.base.get_or_insert(data_seq);
        let start = self.offset_of(data_seq.wrapping_sub(base));
        let mut out = Vec::new();
        let data = Bytes::copy_from_slice(seg.payload);
        self.copied = self.copied.saturating_add(data.len() as u64);
        self.place(start, ts, data, wire_len, counters, &mut out);
        self.drain(Some(ts), counters, &mut out);
        let limit = room.limit();
        if self.pending_bytes > limit {
            self.capped = true;
            let lost = counters.gap_bytes;
            self.skip_gaps(Some(ts), |s| s.pending_bytes > limit, counters, &mut out);
            counters.cap_gap_bytes = counters
                .cap_gap_bytes
                .saturating_add(counters.gap_bytes.saturating_sub(lost));
        }
        merge(out, &mut self.copied)
    }

    /// Flushes buffered segments at end of capture, reporting the gaps before them.
    pub(crate) fn finish(&mut self, counters: &mut Counters) -> Vec<Piece> {
        let mut out = Vec::new();
        self.skip_gaps(None, |s| !s.pending.is_empty(), counters, &mut out);
        merge(out, &mut self.copied)
    }

    /// The stream offset nearest to `next` whose low 32 bits are `rel` (may be negative).
    fn offset_of(&self, rel: u32) -> i128 {
        let delta = rel.wrapping_sub(self.next as u32) as i32;
        i128::from(self.next) + i128::from(delta)
    }

    /// Puts a segment starting at `start` in order, or buffers it (never drains the buffer).
    fn place(
        &mut self,
        start: i128,
        ts: Timestamp,
        data: Bytes,
        wire_len: u64,
        counters: &mut Counters,
        out: &mut Vec<Piece>,
    ) {
        let next = i128::from(self.next);
        let end = start + i128::from(wire_len);
        if end <= next {
            counters.retransmissions += 1;
            return;
        }
        if start > next {
            self.buffer(start, ts, data, wire_len, counters);
            return;
        }
        // start <= next < end: trim the part already delivered.
        let trim = u64::try_from(next - start).unwrap_or(0);
        let mut data = data;
        if trim > 0 {
            counters.overlaps += 1;
            let cut = usize::try_from(trim).unwrap_or(usize::MAX).min(data.len());
            let _ = data.split_to(cut);
        }
        let wire_len = wire_len - trim;
        self.deliver(ts, data, wire_len, counters, out);
    }

    fn deliver(
        &mut self,
        ts: Timestamp,
        data: Bytes,
        wire_len: u64,
        counters: &mut Counters,
        out: &mut Vec<Piece>,
    ) {
        let kept = data.len() as u64;
        if !data.is_empty() {
            out.push(Piece {
                ts,
                gap_before: std::mem::take(&mut self.gap),
                data,
            });
        }
        self.next = self.next.saturating_add(wire_len);
        if kept < wire_len {
            counters.truncated_segments += 1;
            self.add_gap(wire_len - kept, counters);
        }
    }

    /// Delivers buffered segments that the last delivery made contiguous, stamped with `ts`
    /// (the packet that completed them) or else with their own arrival time.
    fn drain(&mut self, ts: Option<Timestamp>, counters: &mut Counters, out: &mut Vec<Piece>) {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > self.next {
                break;
            }
            let (start, p) = entry.remove_entry();
            self.pending_bytes = self.pending_bytes.saturating_sub(p.data.len());
            let ts = ts.unwrap_or(p.ts);
            self.place(i128::from(start), ts, p.data, p.wire_len, counters, out);
        }
    }

    fn buffer(&mut self, start: i128, ts: Timestamp, data: Bytes, wire_len: u64, c: &mut Counters) {
        let Ok(start) = u64::try_from(start) else {
            return;
        };
        if let Some(existing) = self.pending.get(&start) {
            if existing.wire_len >= wire_len {
                c.retransmissions += 1;
                return;
            }
            self.pending_bytes = self.pending_bytes.saturating_sub(existing.data.len());
        } else {
            c.out_of_order += 1;
        }
        self.pending_bytes = self.pending_bytes.saturating_add(data.len());
        self.pending.insert(start, Pending { ts, data, wire_len });
    }

    /// While `more(self)`, declares the hole before the first buffered segment lost; the
    /// data behind it is stamped as in [`drain`](Self::drain).
    fn skip_gaps(
        &mut self,
        ts: Option<Timestamp>,
        more: impl Fn(&Self) -> bool,
        counters: &mut Counters,
        out: &mut Vec<Piece>,
    ) {
        while more(self) {
            let Some(&start) = self.pending.keys().next() else {
                break;
            };
            if start > self.next {
                self.add_gap(start - self.next, counters);
                self.next = start;
            }
            self.drain(ts, counters, out);
        }
    }

    fn add_gap(&mut self, n: u64, counters: &mut Counters) {
        self.gap = self.gap.saturating_add(n);
        counters.gaps += 1;
        counters.gap_bytes = counters.gap_bytes.saturating_add(n);
    }
}

/// Joins each run of consecutive pieces with the same timestamp and no gap between them,
/// copying the run once (a run of one is passed on without a copy), so a segment that fills
/// the hole before a long buffered run costs one copy of that run, not one per segment.
fn merge(pieces: Vec<Piece>, copied: &mut u64) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    let mut iter = pieces.into_iter().peekable();
    while let Some(first) = iter.next() {
        let joins = |p: &Piece| p.gap_before == 0 && p.ts == first.ts;
        if !iter.peek().is_some_and(joins) {
            out.push(first);
            continue;
        }
        let mut run = vec![first.data.clone()];
        while let Some(next) = iter.next_if(joins) {
            run.push(next.data);
        }
        let total: usize = run.iter().map(Bytes::len).sum();
        let mut joined = BytesMut::with_capacity(total);
        for data in &run {
            joined.extend_from_slice(data);
        }
        *copied = copied.saturating_add(total as u64);
        out.push(Piece {
            ts: first.ts,
            gap_before: first.gap_before,
            data: joined.freeze(),
        });
    }
    out
}
