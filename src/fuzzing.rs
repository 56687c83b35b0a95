//! Harness functions shared by the `fuzz/` targets and the corpus-replay test
//! (`tests/fuzz_corpus.rs`). Not part of the public API.
//!
//! Each function takes arbitrary bytes, never fails on bad input, and panics only when an
//! invariant of the crate breaks (that is what the fuzzer looks for).

#![allow(clippy::panic)] // a broken invariant must crash the fuzzer

use bytes::BytesMut;

use crate::codec::{tagged, tlv};
use crate::framing::{Decoded, ErrorPolicy, FrameConfig, FrameDecoder, LengthHeader, encode_frame};
use crate::spec::{BUILTIN_NAMES, Class, Encoding, FieldSpec, Length};
use crate::{MessageBuilder, MessageView, Spec};

mod spec_values;
pub use spec_values::spec_values;

/// Decodes `data` with the bundled spec `name`; a rejection must point inside `data`; an
/// accepted message must not decode without its last byte, must re-encode to the same bytes
/// (from the view and from its text values), every field must read the same by iteration and
/// by number, and every field and subfield must be readable without a panic; the builders of
/// both re-encodes must [`build`](MessageBuilder::build) the same message.
pub fn decode_round_trip(name: &str, data: &[u8]) {
    let Ok(spec) = Spec::builtin(name) else {
        return;
    };
    let view = match MessageView::decode(&spec, data) {
        Ok(view) => view,
        Err(e) => {
            assert!(
                e.offset <= data.len(),
                "error offset {} past the {} bytes: {e}",
                e.offset,
                data.len()
            );
            return;
        }
    };
    if let Some((_, shorter)) = data.split_last() {
        assert!(
            MessageView::decode(&spec, shorter).is_err(),
            "the message less its last byte decodes too"
        );
    }
    let mut text = [0u8; 2048];
    for f in view.fields() {
        // Reached by number (ranked, or walked to past the recorded starts), the same field.
        let by_number = view.field(f.number()).map(|g| (g.offset(), g.raw()));
        assert_eq!(
            by_number,
            Some((f.offset(), f.raw())),
            "field {}",
            f.number()
        );
        let chars: Vec<u8> = f.chars().collect();
        assert_eq!(chars.len(), f.len(), "field {} length", f.number());
        let shown = f.text_into(&mut text).map(str::as_bytes);
        assert_eq!(shown, Some(&chars[..]), "field {} text", f.number());
        // The encoding-independent reads agree with the characters.
        let text = f.text();
        assert!(
            text.chars()
                .map(u32::from)
                .eq(chars.iter().map(|&c| u32::from(c))),
            "field {} text()",
            f.number()
        );
        assert!(f.text_eq(&text), "field {} text_eq", f.number());
        let _ = f.to_u64();
        let _ = f.to_string();
        if let Some(Ok(subs)) = view.subfields(f.number()) {
            for s in subs.take(512).flatten() {
                let _ = s.clear_string();
            }
        }
    }
    let again = MessageBuilder::from_view(&view).encode_to_vec();
    assert_eq!(again.as_deref().ok(), Some(data), "re-encode differs");
    json_round_trip(&view, data);
    let mut b = MessageBuilder::new(&spec);
    b.set_mti(view.mti());
    b.always_secondary_bitmap(view.bitmap().is_set(1));
    b.always_tertiary_bitmap(view.bitmap().is_set(65));
    if b.header(view.header()).is_err() {
        panic!("decoded header rejected"); // ok: fuzz harness
    }
    let values: Vec<(u16, String)> = view
        .fields()
        .map(|f| (f.number(), f.clear().to_string()))
        .collect();
    for (n, v) in &values {
        if let Err(e) = b.set(*n, v.as_str()) {
            panic!("decoded value rejected by the encoder: {e}"); // ok: fuzz harness
        }
    }
    assert_eq!(
        b.encode_to_vec().ok().as_deref(),
        Some(data),
        "text re-encode differs"
    );
    // `build` gives the message decoding gives, from the view's copy and from the values.
    for builder in [MessageBuilder::from_view(&view), b] {
        let Ok(built) = builder.build() else {
            panic!("a builder that encodes does not build"); // ok: fuzz harness
        };
        assert_eq!(built.bytes().as_ref(), data, "built bytes differ");
        assert_eq!(built.mti(), view.mti(), "built MTI differs");
        let built_view = built.view();
        assert_eq!(built_view.bitmap(), view.bitmap(), "built bitmap differs");
        assert_eq!(built_view.header(), view.header(), "built header differs");
        assert_eq!(
            built_view.encoded_len(),
            view.encoded_len(),
            "built length differs"
        );
        assert!(
            built_view
                .fields()
                .map(|f| (f.number(), f.offset(), f.raw()))
                .eq(view.fields().map(|f| (f.number(), f.offset(), f.raw()))),
            "built fields differ"
        );
        for f in view.fields() {
            let by_number = built.field(f.number()).map(|g| (g.offset(), g.raw()));
            assert_eq!(
                by_number,
                Some((f.offset(), f.raw())),
                "built field {}",
                f.number()
            );
        }
    }
}

/// Takes bytes from the front of `data` as choices (zeros once it runs out); also drives the
/// capture module's segment-stream model.
pub(crate) struct Choices<'a>(pub(crate) &'a [u8]);

impl Choices<'_> {
    pub(crate) fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (usize::from(self.byte()) << 8 | usize::from(self.byte())) % n
        }
    }
}

/// Builds a valid message for a bundled spec from the choices in `data` (which fields, how
/// long, which characters), encodes it, decodes it, and checks the values come back.
pub fn structured_round_trip(data: &[u8]) {
    let mut c = Choices(data);
    let Some(name) = BUILTIN_NAMES.get(c.below(BUILTIN_NAMES.len())) else {
        return;
    };
    let Ok(spec) = Spec::builtin(name) else {
        return;
    };
    let numbers: Vec<u16> = spec.fields().map(|f| f.number()).collect();
    // Mostly a few fields; one time in four up to 63, past the 32 starts a view records.
    let count = if c.byte().is_multiple_of(4) {
        c.below(64)
    } else {
        c.below(12)
    };
    let mut chosen: Vec<u16> = (0..count)
        .filter_map(|_| numbers.get(c.below(numbers.len())).copied())
        .collect();
    chosen.sort_unstable();
    chosen.dedup();
    let mut values = Vec::new();
    for n in chosen {
        let Some(fs) = spec.field(n) else { continue };
        values.push((n, valid_value(fs, &mut c)));
    }
    let mti = [
        "0200", "0100", "0110", "0400", "0420", "0800", "0810", "1200",
    ][c.below(8)];
    let secondary = c.byte().is_multiple_of(8);
    let header: Vec<u8> = (0..spec.header_len()).map(|_| c.byte()).collect();
    encode_decode_values(&spec, &header, mti, secondary, &values);
}

/// Characters a generated value of `class` takes in a field of `encoding`.
fn alphabet(class: Class, encoding: Encoding) -> &'static [u8] {
    match (class, encoding) {
        (Class::N | Class::XN, _) => b"0123456789",
        (Class::A, _) => b"ABCxyz",
        (Class::An, _) => b"AZaz09",
        (Class::Anp, _) => b"Aa0 ",
        (Class::Z, Encoding::Bcd) => b"0123456789D",
        (Class::Z, _) => b"0123456789=",
        (Class::B, _) => b"0123456789ABCDEF",
        (Class::Ns, _) => b"09 !~",
        (Class::As, _) => b"Az !~",
        _ => b" !~Az09",
    }
}

/// A value of `fs`'s class and length, characters and length chosen by `c`: fixed fields get
/// their full length, variable ones up to 64 characters (or, one time in four, up to 999).
fn valid_value(fs: &FieldSpec, c: &mut Choices<'_>) -> String {
    let alphabet = alphabet(fs.class(), fs.encoding());
    let len = match fs.length() {
        Length::Fixed(l) => l as usize,
        // Mostly short values; one in four may use the whole range (LLL lengths past 99).
        Length::Variable { max, .. } => {
            let cap = if c.byte().is_multiple_of(4) { 999 } else { 64 };
            c.below(max.min(cap) as usize + 1)
        }
    };
    let chars = match (fs.class(), fs.encoding()) {
        (Class::B, Encoding::Binary) => len * 2,
        (Class::B, _) => len & !1,
        _ => len,
    };
    let mut v: String = (0..chars)
        .map(|_| {
            char::from(
                alphabet
                    .get(c.below(alphabet.len()))
                    .copied()
                    .unwrap_or(b'0'),
            )
        })
        .collect();
    if fs.class() == Class::XN && !v.is_empty() {
        let signs = fs.signs();
        let signs = signs.as_bytes();
        let pick = signs
            .get(usize::from(c.byte()) % signs.len().max(1))
            .copied()
            .unwrap_or(b'C');
        v.replace_range(0..1, char::from(pick).encode_utf8(&mut [0u8; 4]));
    }
    v
}

/// Encodes `values` (valid for `spec`) under `mti` and `header`, decodes the result, and checks
/// the MTI and values come back and the view re-encodes to the same bytes.
fn encode_decode_values(
    spec: &Spec,
    header: &[u8],
    mti: &str,
    secondary: bool,
    values: &[(u16, String)],
) {
    let name = spec.name();
    let mut b = MessageBuilder::new(spec);
    if let Err(e) = b.mti(mti) {
        panic!("{name}: MTI {mti} rejected: {e}"); // ok: fuzz harness
    }
    if let Err(e) = b.header(header) {
        panic!("{name}: header of the spec's length rejected: {e}"); // ok: fuzz harness
    }
    b.always_secondary_bitmap(secondary);
    for (n, v) in values {
        if let Err(e) = b.set(*n, v.as_str()) {
            panic!("{name}: generated value for field {n} rejected: {e}"); // ok: fuzz harness
        }
    }
    let wire = match b.encode_to_vec() {
        Ok(wire) => wire,
        Err(e) => panic!("{name}: valid message failed to encode: {e}"), // ok: fuzz harness
    };
    let view = match MessageView::decode(spec, &wire) {
        Ok(view) => view,
        Err(e) => panic!("{name}: encoded message failed to decode: {e}"), // ok: fuzz harness
    };
    assert_eq!(
        view.mti().to_string(),
        mti,
        "{name}: MTI changed in the round trip"
    );
    let got: Vec<(u16, String)> = view
        .fields()
        .map(|f| (f.number(), f.clear().to_string()))
        .collect();
    assert_eq!(got, values, "{name}: values changed in the round trip");
    for (n, v) in values.iter().rev() {
        let by_number = view.field(*n).map(|f| f.clear().to_string());
        assert_eq!(by_number.as_ref(), Some(v), "{name}: field {n} by number");
    }
    let again = MessageBuilder::from_view(&view).encode_to_vec();
    assert_eq!(
        again.as_deref().ok(),
        Some(&wire[..]),
        "{name}: re-encode differs"
    );
    json_round_trip(&view, &wire);
}

/// The unmasked JSON form of `view` (decoded from `wire`), parsed back by `serde_json` and
/// built with [`json::builder_from_json`](crate::json::builder_from_json), encodes to `wire`.
/// The expanded form (`expand`, for reading) must be JSON too; it is not lossless, since a
/// composite may repeat a key (TLV tags) that a JSON object holds once.
pub fn json_round_trip(view: &MessageView<'_>, wire: &[u8]) {
    use crate::json::{self, JsonOptions};
    let name = view.spec().name();
    let mut text = String::new();
    let expanded = JsonOptions {
        unmask: true,
        expand: true,
    };
    json::push_message(&mut text, view, expanded);
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
        panic!("{name}: the expanded JSON form is not JSON ({e}): {text}"); // ok: fuzz harness
    }
    text.clear();
    let flat = JsonOptions {
        unmask: true,
        expand: false,
    };
    json::push_message(&mut text, view, flat);
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => panic!("{name}: the JSON form is not JSON ({e}): {text}"), // ok: fuzz harness
    };
    let again = json::builder_from_json(view.spec(), &value).and_then(|b| Ok(b.encode_to_vec()?));
    match again {
        Ok(bytes) => assert_eq!(bytes, wire, "{name}: JSON round trip differs: {text}"),
        Err(e) => panic!("{name}: the JSON form does not encode ({e}): {text}"), // ok: fuzz harness
    }
}

/// Walks `data` as EMV BER-TLV; when it parses, re-encoding from the raw objects and padding
/// gives back the same bytes, every object's `raw`/`value` sit at its offsets in `data`, an
/// object with a minimal length re-encodes with [`tlv::TlvWriter::write`] to its `raw`, the
/// walk's top level is the iterator's sequence, and [`tlv::find`] returns the first object of
/// each tag the walk meets.
pub fn tlv_round_trip(data: &[u8]) {
    let mut out = Vec::with_capacity(data.len());
    let mut iter = tlv::TlvIter::new(data);
    let mut top = Vec::new();
    for item in iter.by_ref() {
        match item {
            Ok(t) => {
                tlv_object_consistent(data, &t);
                out.extend_from_slice(t.padding);
                out.extend_from_slice(t.raw);
                if let Some(children) = t.children() {
                    let _ = children.count();
                }
                top.push(t.offset);
            }
            Err(e) => {
                assert!(e.offset <= data.len(), "error offset past the data");
                return;
            }
        }
    }
    out.extend_from_slice(iter.trailing_padding());
    assert_eq!(out, data, "TLV rebuild differs");
    let mut walked_top = Vec::new();
    let mut seen: Vec<(tlv::Tag, usize)> = Vec::new();
    for item in tlv::walk(data).take(4096) {
        let Ok((depth, t)) = item else {
            break;
        };
        tlv_object_consistent(data, &t);
        if depth == 0 {
            walked_top.push(t.offset);
        }
        if seen.len() < 64 && !seen.iter().any(|(tag, _)| *tag == t.tag) {
            seen.push((t.tag, t.offset));
        }
    }
    assert!(
        walked_top.len() <= top.len() && top.get(..walked_top.len()) == Some(&walked_top[..]),
        "walk top level differs from the iterator"
    );
    for (tag, offset) in seen {
        match tlv::find(data, tag) {
            Ok(Some(hit)) => assert_eq!(hit.offset, offset, "find {tag} not the first"),
            other => panic!("find {tag} missed an object the walk met: {other:?}"), // ok: fuzz harness
        }
    }
}

/// One object's slices and offsets agree with `data`; a minimal-length object re-encodes.
fn tlv_object_consistent(data: &[u8], t: &tlv::Tlv<'_>) {
    let end = t.offset.checked_add(t.raw.len());
    assert_eq!(
        end.and_then(|end| data.get(t.offset..end)),
        Some(t.raw),
        "raw not at its offset"
    );
    let vend = t.value_offset().checked_add(t.value.len());
    assert_eq!(
        vend.and_then(|end| data.get(t.value_offset()..end)),
        Some(t.value),
        "value not at its offset"
    );
    assert_eq!(vend, end, "value does not end the object");
    if t.has_minimal_length() {
        let mut w = tlv::TlvWriter::new(Vec::new());
        if w.write(t.tag, t.value).is_err() {
            panic!("a read object does not write"); // ok: fuzz harness
        }
        assert_eq!(
            w.get_ref().as_slice(),
            t.raw,
            "minimal-length object re-encodes differently"
        );
    }
}

/// Reads `data` as tagged (2+3 digit) private data, then `data[1..]` in a format chosen by
/// `data[0]` (tag width 1..=8, length width 1..=9); when it parses, the raw elements give back
/// the same bytes, each element re-writes with [`tagged::TaggedWriter`] to its `raw`, and
/// [`tagged::find`] returns the first element of each tag.
pub fn tagged_round_trip(data: &[u8]) {
    tagged_check(data, tagged::TaggedFormat::TAG2_LEN3);
    if let Some((&choice, rest)) = data.split_first() {
        let tw = usize::from(choice & 0x07) + 1;
        let lw = usize::from(choice >> 3) % tagged::MAX_LEN_WIDTH + 1;
        if let Some(format) = tagged::TaggedFormat::new(tw, lw) {
            tagged_check(rest, format);
        }
    }
}

fn tagged_check(data: &[u8], format: tagged::TaggedFormat) {
    let mut out = Vec::with_capacity(data.len());
    let mut firsts: Vec<(&str, usize)> = Vec::new();
    for item in tagged::TaggedIter::new(data, format) {
        match item {
            Ok(t) => {
                assert_eq!(
                    data.get(t.offset..t.offset + t.raw.len()),
                    Some(t.raw),
                    "raw not at its offset"
                );
                let mut w = tagged::TaggedWriter::new(format, Vec::new());
                if w.write(t.tag, t.value).is_err() {
                    panic!("a read element does not write"); // ok: fuzz harness
                }
                assert_eq!(
                    w.get_ref().as_slice(),
                    t.raw,
                    "element re-writes differently"
                );
                if firsts.len() < 64 && !firsts.iter().any(|(tag, _)| *tag == t.tag) {
                    firsts.push((t.tag, t.offset));
                }
                out.extend_from_slice(t.raw);
            }
            Err(e) => {
                assert!(e.offset <= data.len());
                return;
            }
        }
    }
    assert_eq!(out, data, "tagged rebuild differs");
    for (tag, offset) in firsts {
        match tagged::find(data, format, tag) {
            Ok(Some(hit)) => assert_eq!(hit.offset, offset, "find {tag} not the first"),
            _ => panic!("find {tag} missed an element the iterator met"), // ok: fuzz harness
        }
    }
}

/// Feeds `data` (after a first byte choosing the header kind and chunk size) to the streaming
/// frame decoder in chunks; the frames must be the same as when fed whole, and re-framing them
/// must give back the consumed bytes.
pub fn framing_stream(data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let header = match choice % 4 {
        0 => LengthHeader::Len2Be,
        1 => LengthHeader::Len2Le,
        2 => LengthHeader::Len2Bcd,
        _ => LengthHeader::Len4Ascii,
    };
    let chunk = usize::from(choice / 4 % 16) + 1;
    let frames = |step: usize| {
        let config = FrameConfig::new(header).with_policy(ErrorPolicy::Stop);
        let mut dec = FrameDecoder::new(config);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in rest.chunks(step) {
            buf.extend_from_slice(piece);
            loop {
                match dec.decode(&mut buf) {
                    Ok(Decoded::Frame(f)) => out.push(f),
                    Ok(_) => break,
                    Err(_) => return out,
                }
            }
        }
        out
    };
    let whole = frames(rest.len().max(1));
    let chunked = frames(chunk);
    assert_eq!(whole, chunked, "chunking changed the frames");
    let mut again = BytesMut::new();
    for f in &whole {
        if encode_frame(header, f, &mut again).is_err() {
            panic!("a decoded frame does not re-frame"); // ok: fuzz harness
        }
    }
    assert_eq!(
        rest.get(..again.len()),
        Some(&again[..]),
        "re-framed bytes differ"
    );
}

/// Loads `data` as a spec file; a spec that loads must encode and decode an empty 0800, and a
/// 0200 with a valid value (chosen from the bytes of `data`) in every field it defines (fields
/// over 1024 characters aside) must come back with the same values.
pub fn spec_toml(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = Spec::from_toml_str(text, "fuzz.toml") else {
        return;
    };
    let mut b = MessageBuilder::new(&spec);
    b.set_mti(crate::Mti::NETWORK_REQUEST);
    let header = vec![0u8; spec.header_len()];
    if b.header(&header).is_err() {
        panic!("spec header length not accepted"); // ok: fuzz harness
    }
    let Ok(wire) = b.encode_to_vec() else {
        panic!("empty message failed to encode"); // ok: fuzz harness
    };
    assert!(
        MessageView::decode(&spec, &wire).is_ok(),
        "empty message failed to decode"
    );
    let mut c = Choices(data);
    let values: Vec<(u16, String)> = spec
        .fields()
        .filter(|f| {
            let n = f.number();
            n != 1
                && !spec.is_bitmap_field(n)
                && !matches!(f.length(), Length::Fixed(l) if l > 1024)
        })
        .map(|f| (f.number(), valid_value(f, &mut c)))
        .collect();
    encode_decode_values(&spec, &header, "0200", false, &values);
}

/// Reads `data` as a pcap/pcapng capture; counters and stream data must be consistent. Then
/// reads `data` as the choices of a long segment stream (reordered, overlapping, duplicated,
/// under a buffer cap) and compares one direction's reassembly with a byte-by-byte model.
#[cfg(feature = "pcap")]
pub fn pcap_capture(data: &[u8]) {
    crate::capture::model::check_segment_stream(data);
    if let Ok(cap) = crate::capture::read_capture(data, None) {
        let total: usize = cap.data.iter().map(|d| d.data.len()).sum();
        assert!(
            total <= data.len(),
            "reassembled more bytes than the capture holds"
        );
    }
}

/// A minimal request for `txn` with the ticket's STAN, encoded with `spec`: MTI, DE 3 (the
/// transaction's, else `000000`), DE 4 (when not zero), DE 11, DE 41 and DE 42. The journal's
/// tests and `journal_ops` hand it to `Journal::begin`.
pub(crate) fn journal_request(
    spec: &Spec,
    txn: &crate::flows::journal::NewTxn,
    stan: crate::flows::journal::Stan,
) -> Result<Vec<u8>, crate::error::EncodeError> {
    let mut b = MessageBuilder::new(spec);
    b.mti(&txn.mti)?;
    b.set_copied(3, txn.processing_code.as_deref().unwrap_or("000000"))?;
    if txn.amount > 0 {
        b.set(4, format!("{:012}", txn.amount))?;
    }
    b.set(11, stan.to_string())?;
    b.set_copied(41, &txn.terminal)?;
    b.set_copied(42, &txn.merchant)?;
    b.encode_to_vec()
}

/// The spec and key `journal_ops` and the journal's tests run with.
pub(crate) fn journal_setup() -> (Spec, std::sync::Arc<dyn crate::flows::journal::JournalKey>) {
    let spec = match Spec::builtin("iso87-ascii") {
        Ok(spec) => spec,
        Err(e) => panic!("bundled spec: {e}"), // ok: fuzz harness
    };
    let key = crate::flows::journal::SoftwareKey::from_bytes(1, &[0x42; 32]);
    (spec, std::sync::Arc::new(key))
}

/// Runs a sequence of terminal-journal operations chosen by `data` (purchase, response,
/// timeout, reversal outcome, void, refund, settle, reload from its file form, and
/// store-and-forward: an advice queued, a due reversal moved to the queue as a reversal
/// advice, an advice attempt answered with a done, retry or refusal code or not at all, an
/// age sweep) under either profile's policy; the journal's invariants must hold after every
/// step, and an advice's outcome must match where it ends up.
pub fn journal_ops(data: &[u8]) {
    use crate::flows::journal::{Journal, JournalPolicy, NewTxn, Stan, TxnKind};
    let mut c = Choices(data);
    let policy = if c.byte() % 2 == 0 {
        JournalPolicy::generic_1987()
    } else {
        JournalPolicy::cup_pos()
    };
    let (spec, key) = journal_setup();
    let mut j = Journal::new(
        spec.clone(),
        key.clone(),
        "TERM0001",
        "MERCHANT0000001",
        policy,
    );
    let _ = j.sign_on(None);
    let mut stans: Vec<Stan> = Vec::new();
    // A reload (a round trip of the whole journal through its file form) costs more than all
    // other steps together; three per input, at whatever steps the input picks, keep the
    // target fast.
    let mut reloads_left = 3u8;
    let begin = |j: &mut Journal, t: NewTxn| {
        let spec = spec.clone();
        let probe = t.clone();
        j.begin(t, move |ticket| journal_request(&spec, &probe, ticket.stan))
    };
    for _ in 0..64 {
        if c.0.is_empty() {
            break;
        }
        let pick = |c: &mut Choices<'_>, stans: &[Stan]| stans.get(c.below(stans.len())).copied();
        let amount = (c.below(50) as u64 + 1) * 100;
        match c.byte() % 12 {
            0 => {
                let t = NewTxn::new(
                    TxnKind::Purchase,
                    amount,
                    "TERM0001",
                    "MERCHANT0000001",
                    "0200",
                );
                if let Ok(t) = begin(&mut j, t) {
                    stans.push(t.stan);
                }
            }
            1 => {
                if let Some(s) = pick(&mut c, &stans) {
                    let code = ["00", "05", "51", "00"][c.below(4)];
                    let _ =
                        j.on_response(s, code, Some("000000000001".into()), Some("A1B2C3".into()));
                }
            }
            2 => {
                if let Some(s) = pick(&mut c, &stans) {
                    let _ = j.on_timeout(s);
                }
            }
            3 => {
                if let Some(job) = j.next_reversal() {
                    let _ = j.on_reversal_sent(job.stan);
                    if c.byte() % 3 == 0 {
                        let _ = j.on_reversal_no_response(job.stan);
                    } else {
                        let _ = j.on_reversal_response(job.stan, "00");
                    }
                }
            }
            4 | 5 => {
                if let Some(s) = pick(&mut c, &stans) {
                    let kind = if c.byte() % 2 == 0 {
                        TxnKind::Void
                    } else {
                        TxnKind::Refund
                    };
                    let t = NewTxn::new(kind, amount, "TERM0001", "MERCHANT0000001", "0200")
                        .with_original(s);
                    if let Ok(t) = begin(&mut j, t) {
                        stans.push(t.stan);
                    }
                }
            }
            6 => {
                if j.settle().is_ok() {
                    let _ = j.close_batch(true);
                    stans.clear();
                }
            }
            9 => {
                // A refund as a 0220 advice (CUP), refused under the generic policy.
                if let Some(s) = pick(&mut c, &stans) {
                    let t = NewTxn::new(
                        TxnKind::Refund,
                        amount,
                        "TERM0001",
                        "MERCHANT0000001",
                        "0220",
                    )
                    .with_original(s);
                    let probe = t.clone();
                    let spec = spec.clone();
                    let at = u64::from(c.byte());
                    if let Ok(t) = j.queue_advice(t, at, move |ticket| {
                        journal_request(&spec, &probe, ticket.stan)
                    }) {
                        stans.push(t.stan);
                    }
                } else if let Some(s) = j.due_reversal() {
                    let _ = j.queue_reversal_advice(s, u64::from(c.byte()));
                }
            }
            10 => {
                if let Some(job) = j.next_advice() {
                    let now = u64::from(c.byte()) * 10_000;
                    let queued = j.queued_advices().len();
                    if j.on_advice_sent(job.stan).is_ok() {
                        let outcome = match c.byte() % 4 {
                            0 => j.on_advice_response(job.stan, "00", now),
                            1 => j.on_advice_response(job.stan, "91", now),
                            2 => j.on_advice_response(job.stan, "05", now),
                            _ => j.on_advice_no_response(job.stan, now),
                        };
                        check_advice_outcome(&j, &job, queued, outcome);
                    }
                }
            }
            11 => {
                let _ = j.expire_advices(u64::from(c.byte()) * 100_000);
            }
            7 if reloads_left > 0 => {
                reloads_left -= 1;
                // Crash and reload: the file form must carry everything.
                let bytes = match crate::flows::journal::file::render(&j) {
                    Ok(bytes) => bytes,
                    Err(e) => panic!("journal does not render: {e}"), // ok: fuzz harness
                };
                let back =
                    match crate::flows::journal::file::parse(&bytes, spec.clone(), key.clone()) {
                        Ok(back) => back,
                        Err(e) => panic!("journal does not load: {e}"), // ok: fuzz harness
                    };
                assert_eq!(back, j, "journal changed across a reload");
                j = back;
            }
            _ => {
                let _ = j.sign_on(None);
            }
        }
        if let Err(e) = j.verify() {
            panic!("journal invariant broken: {e}"); // ok: fuzz harness
        }
    }
}

/// Panics unless `outcome` of an attempt of `job` (with `queued` advices before it) left
/// the journal where the outcome says.
fn check_advice_outcome(
    j: &crate::flows::journal::Journal,
    job: &crate::flows::journal::AdviceJob,
    queued: usize,
    outcome: Result<crate::flows::journal::AdviceOutcome, crate::flows::journal::JournalError>,
) {
    use crate::flows::journal::{AdviceOutcome, TxnState};
    let in_queue = j.queued_advices().iter().any(|a| a.stan == job.stan);
    let state = j.txn(job.stan).map(|t| t.state);
    match outcome {
        Ok(AdviceOutcome::Delivered) => assert!(
            !in_queue && matches!(state, Some(TxnState::Approved | TxnState::Reversed)),
            "delivered advice still queued or in state {state:?}"
        ),
        Ok(AdviceOutcome::Retry) => assert!(
            j.queued_advices().first().map(|a| a.stan) == Some(job.stan)
                && j.queued_advices().len() == queued,
            "retried advice left the head of the queue"
        ),
        Ok(_) => assert!(
            !in_queue && j.expired_advices().iter().any(|e| e.stan == job.stan),
            "expired advice not on the expired list"
        ),
        Err(e) => panic!("advice answer refused after a counted attempt: {e}"), // ok: fuzz harness
    }
}

/// Every bundled spec name, for targets that cycle through them.
pub fn spec_names() -> &'static [&'static str] {
    BUILTIN_NAMES
}

/// A spec with composite fields that carry card data: DE 35 split into positional parts, a
/// tagged DE 48 marked `full`, a bitmapped DE 127 with a PAN subfield, EMV DE 55.
const MASK_COMPOSITES: &str = r#"
name = "mask-composites"
[message]
mti = "ascii"
bitmap = "binary"
[fields]
2 = { name = "PAN", class = "n", prefix = "LL", max = 19 }
3 = { name = "Processing code", class = "n", length = 6 }
4 = { name = "Amount", class = "n", length = 12 }
11 = { name = "STAN", class = "n", length = 6 }
52 = { name = "PIN data", class = "b", length = 8 }
[fields.35]
name = "Track 2"
class = "z"
prefix = "LL"
max = 37
subfields = "positional"
parts = [
  { name = "Primary account number", class = "n", length = 16 },
  { name = "Separator", class = "z", length = 1 },
  { name = "Expiry", class = "n", length = 4 },
  { name = "Discretionary data", class = "n", rest = true },
]
[fields.48]
name = "Additional data"
class = "ans"
prefix = "LLL"
max = 999
mask = "full"
subfields = "tagged"
tag_width = 2
len_width = 3
[fields.55]
name = "ICC data"
class = "b"
prefix = "LLL"
max = 255
subfields = "tlv"
[fields.127]
name = "Private"
class = "ans"
prefix = "LLL"
max = 999
mask = "full"
subfields = "bitmapped"
parts = [
  { number = 2, name = "Account number", class = "n", prefix = "LL", max = 19 },
  { number = 3, name = "Batch", class = "n", length = 6 },
]
"#;

/// `text` with every `mask = "..."` setting removed (a spec written without any).
pub fn strip_masks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if line.trim_start().starts_with("mask =") {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("mask = \"") {
            let (before, after) = rest.split_at(at);
            let before = before.trim_end().trim_end_matches(',');
            out.push_str(before);
            let tail = after.get(8..).unwrap_or("");
            rest = tail.find('"').and_then(|e| tail.get(e + 1..)).unwrap_or("");
        }
        out.push_str(rest);
        out.push('\n');
    }
    out
}

/// The specs the masking check runs on: every bundled spec and the composite one, each as
/// written and with its `mask` settings stripped.
pub fn mask_specs() -> &'static [Spec] {
    static SPECS: std::sync::OnceLock<Vec<Spec>> = std::sync::OnceLock::new();
    SPECS.get_or_init(|| {
        let mut texts: Vec<(String, &str)> = BUILTIN_NAMES
            .iter()
            .filter_map(|n| Some((n.to_string(), crate::spec::builtin_source(n)?)))
            .collect();
        texts.push(("mask-composites".into(), MASK_COMPOSITES));
        let mut specs = Vec::new();
        for (name, text) in texts {
            for stripped in [false, true] {
                let t = if stripped {
                    strip_masks(text)
                } else {
                    text.to_string()
                };
                match Spec::from_toml_str(&t, &name) {
                    Ok(s) => specs.push(s),
                    Err(e) => panic!("{name} (stripped {stripped}): {e}"), // ok: fuzz harness
                }
            }
        }
        specs
    })
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// Builds a message for one of [`mask_specs`] (chosen by the first byte) with card data made
/// from `data` planted in fields, subfields, EMV tags, a proprietary tag and templates, and
/// asserts that no default rendering (Display and Debug of the view, the owned message, the
/// builder, every field and subfield; the JSON form flat and expanded; `describe`) contains
/// any of it in clear, as hex of its ASCII, or packed; and that the clear accessors show it.
pub fn mask_check(data: &[u8]) {
    use crate::json::{self, JsonOptions};
    let specs = mask_specs();
    let byte = |i: usize| data.get(i).copied().unwrap_or(i as u8);
    let Some(spec) = specs.get(usize::from(byte(0)) % specs.len()) else {
        return;
    };
    let digits = |from: usize, n: usize| -> String {
        (0..n)
            .map(|i| char::from(b'0' + byte(from + i) % 10))
            .collect()
    };
    // Distinctive prefixes keep the planted values from matching the clear fields by chance.
    let pan = format!("47{}", digits(1, 14));
    let disc = format!("98{}", digits(15, 10));
    let track = format!("{pan}=2512{disc}");
    let mut pin = [0xA5u8; 8];
    let mut crypto = [0xC3u8; 8];
    for i in 1..8 {
        pin[i] = byte(25 + i);
        crypto[i] = byte(33 + i);
    }
    let cvv = format!("CVV{}", digits(41, 6));

    let mut pan_packed = Vec::new();
    for pair in pan.as_bytes().chunks(2) {
        let hi = pair.first().map_or(0, |c| c - b'0');
        let lo = pair.get(1).map_or(0xF, |c| c - b'0');
        pan_packed.push((hi << 4) | lo);
    }
    let mut t2 = pan_packed.clone();
    t2.extend_from_slice(&[0xD2, 0x51, 0x2F]);
    let mut icc = Vec::new();
    let mut w = tlv::TlvWriter::new(&mut icc);
    let tag = |raw: u32| tlv::Tag::new(raw).unwrap_or_else(|| panic!("tag {raw:X}")); // ok: fuzz harness
    let _ = w.write(tag(0x9F02), &[0, 0, 0, 0, 0x10, 0]);
    let _ = w.write(tag(0x5A), &pan_packed);
    let _ = w.write(tag(0x57), &t2);
    let _ = w.write(tag(0x9F26), &crypto);
    let _ = w.write(tag(0x80), &crypto);
    let _ = w.write(tag(0x99), &pin);
    let _ = w.write(tag(0xDF01), pan.as_bytes());
    let mut inner = Vec::new();
    let mut iw = tlv::TlvWriter::new(&mut inner);
    let _ = iw.write(tag(0x5A), &pan_packed);
    let _ = iw.write(tag(0x57), &t2);
    let _ = iw.write(tag(0x9F26), &crypto);
    let _ = w.write(tag(0x70), &inner);
    let _ = w.write(tag(0x77), &inner);

    let v48 = format!("CV{:03}{cvv}PN{:03}{pan}", cvv.len(), pan.len());
    let v127 = format!("6000000000000000{:02}{pan}000001", pan.len());
    let mut b = MessageBuilder::new(spec);
    if b.mti("0200").is_err() {
        return;
    }
    let _ = b.set(3, "000000");
    let _ = b.set(4, "000000001000");
    let _ = b.set(11, "000042");
    let mut planted: Vec<String> = Vec::new();
    fn plant<'v>(
        spec: &Spec,
        planted: &mut Vec<String>,
        b: &mut MessageBuilder<'v>,
        n: u16,
        v: crate::FieldValue<'v>,
        s: &[String],
    ) {
        if spec.field(n).is_some() && b.set(n, v).is_ok() {
            planted.extend_from_slice(s);
        }
    }
    let pin_hex = hex_upper(&pin);
    let crypto_hex = hex_upper(&crypto);
    plant(
        spec,
        &mut planted,
        &mut b,
        2,
        crate::FieldValue::text(&pan),
        std::slice::from_ref(&pan),
    );
    plant(
        spec,
        &mut planted,
        &mut b,
        35,
        crate::FieldValue::text(&track),
        &[pan.clone(), disc.clone()],
    );
    let pin_form = match spec.field(52).map(FieldSpec::encoding) {
        Some(Encoding::Hex) => crate::FieldValue::text(&pin_hex),
        _ => crate::FieldValue::binary(&pin),
    };
    plant(
        spec,
        &mut planted,
        &mut b,
        52,
        pin_form,
        std::slice::from_ref(&pin_hex),
    );
    let icc_hex = hex_upper(&icc);
    let icc_form = match spec.field(55).map(FieldSpec::encoding) {
        Some(Encoding::Hex) => crate::FieldValue::text(&icc_hex),
        _ => crate::FieldValue::binary(&icc),
    };
    if spec
        .field(55)
        .and_then(FieldSpec::subfields)
        .map(|s| s.kind())
        == Some("tlv")
    {
        plant(
            spec,
            &mut planted,
            &mut b,
            55,
            icc_form,
            &[pan.clone(), pin_hex.clone(), crypto_hex.clone()],
        );
    }
    if spec
        .field(48)
        .is_some_and(|f| f.mask() != crate::spec::Mask::None)
    {
        plant(
            spec,
            &mut planted,
            &mut b,
            48,
            crate::FieldValue::text(&v48),
            &[cvv.clone(), pan.clone()],
        );
    }
    if spec
        .field(127)
        .and_then(FieldSpec::subfields)
        .map(|s| s.kind())
        == Some("bitmapped")
    {
        plant(
            spec,
            &mut planted,
            &mut b,
            127,
            crate::FieldValue::text(&v127),
            std::slice::from_ref(&pan),
        );
    }
    let mut forbidden: Vec<String> = Vec::new();
    for s in &planted {
        forbidden.push(s.clone());
        forbidden.push(hex_upper(s.as_bytes()));
    }
    forbidden.sort();
    forbidden.dedup();

    let Ok(wire) = b.encode_to_vec() else {
        panic!("{}: the planted message does not encode", spec.name()); // ok: fuzz harness
    };
    let view = match MessageView::decode(spec, &wire) {
        Ok(v) => v,
        Err(e) => panic!("{}: the planted message does not decode: {e}", spec.name()), // ok: fuzz harness
    };
    let mut shown: Vec<String> = vec![
        view.to_string(),
        format!("{view:?}"),
        format!("{:?}", view.clone().into_owned()),
        format!("{b:?}"),
        view.describe().to_string(),
        format!("{:?}", view.describe()),
    ];
    for expand in [false, true] {
        let mut s = String::new();
        json::push_message(
            &mut s,
            &view,
            JsonOptions {
                unmask: false,
                expand,
            },
        );
        shown.push(s);
    }
    for f in view.fields() {
        shown.push(f.to_string());
        shown.push(format!("{f:?} {:?}", f.clear()));
        if let Some(Ok(subs)) = view.subfields(f.number()) {
            for s in subs.flatten() {
                shown.push(s.to_string());
                shown.push(format!("{s:?}"));
            }
        }
    }
    for text in &shown {
        for secret in &forbidden {
            assert!(
                !text.contains(secret.as_str()),
                "{}: {secret} shown in clear in {text}",
                spec.name()
            );
        }
    }
    // Clear access shows what was planted.
    let mut clear = String::new();
    json::push_message(
        &mut clear,
        &view,
        JsonOptions {
            unmask: true,
            expand: true,
        },
    );
    let described = view.describe().unmask(true).to_string();
    for secret in &planted {
        assert!(
            clear.contains(secret.as_str()) || described.contains(secret.as_str()),
            "{}: {secret} not shown by the clear rendering",
            spec.name()
        );
    }
    if planted.contains(&pan) {
        let shown_pan = view.field(2).map(|f| f.clear_string());
        assert!(
            shown_pan.as_deref() == Some(pan.as_str()) || spec.field(2).is_none(),
            "{}: DE 2 clear",
            spec.name()
        );
    }
}
