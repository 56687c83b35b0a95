//! The same 0200 purchase bytes decoded and encoded by iso8583-wire and by two other Rust
//! ISO 8583 crates, in one run, so the ratios are measured on the same machine and load.
//!
//! Layout (our `iso87-ascii-bin`): ASCII MTI, binary primary bitmap, ASCII data and ASCII
//! LL/LLL prefixes, DE 52 as 8 raw bytes, DE 55 as LLL + raw BER-TLV bytes. Each peer gets a
//! spec describing exactly these fields; at start-up every peer must decode our bytes to the
//! same values and re-encode them byte for byte, or the bench panics.
//!
//! - `iso8583-codec` 0.1: spec built in code; `Message::parse` copies every field into a
//!   `BTreeMap<u8, FieldValue>` of owned `String`/`Vec<u8>`; `Message::encode` returns a `Vec`.
//! - `iso8583_rs` 0.1: spec read from a YAML file named by the `SPEC_FILE` environment
//!   variable (its only way in); `Spec::parse` fills a `HashMap<String, Vec<u8>>`;
//!   `IsoMsg::assemble` returns a `Vec`.
//!
//! Groups: `peers_decode/<crate>[/de55]`, `peers_decode_read_all/<crate>` (decode, then every
//! field's bytes into a checksum and the amount as `u64`), `peers_encode/<crate>[/de55]`
//! (a prepared message encoded; ours both into a reused slice and into a new `Vec`).
//!
//! Run: `cargo bench --bench peers`.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use iso8583_wire::{MessageBuilder, MessageView, Spec};

#[path = "common/group.rs"]
mod group;
use group::group;

const DE55: [u8; 100] = [
    0x9F, 0x26, 0x08, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E, 0x6F, 0x70, 0x81, 0x9F, 0x27, 0x01, 0x80, 0x9F,
    0x10, 0x07, 0x06, 0x01, 0x0A, 0x03, 0xA0, 0x00, 0x00, 0x9F, 0x37, 0x04, 0x9B, 0xAD, 0xBC, 0xAB,
    0x9F, 0x36, 0x02, 0x00, 0x2A, 0x95, 0x05, 0x00, 0x00, 0x00, 0x80, 0x00, 0x9A, 0x03, 0x26, 0x11,
    0x22, 0x9C, 0x01, 0x00, 0x9F, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x25, 0x00, 0x5F, 0x2A, 0x02,
    0x08, 0x40, 0x82, 0x02, 0x19, 0x80, 0x9F, 0x1A, 0x02, 0x08, 0x40, 0x9F, 0x03, 0x06, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x9F, 0x34, 0x03, 0x42, 0x03, 0x00, 0x9F, 0x33, 0x03, 0xE0, 0xF8, 0xC8,
    0x9F, 0x35, 0x01, 0x22,
];

/// How a field is laid out, in terms both peers can express.
#[derive(Clone, Copy)]
enum Kind {
    /// Fixed ASCII digits.
    Num(u16),
    /// Fixed ASCII text.
    Text(u16),
    /// ASCII digits with an ASCII LL prefix.
    LlNum(u16),
    /// ASCII text (track 2) with an ASCII LL prefix.
    LlText(u16),
    /// Fixed raw bytes.
    Bin(u16),
    /// Raw bytes with an ASCII LLL prefix.
    LllBin(u16),
}

/// The purchase: field number, layout, value (hex text for binary fields).
fn purchase(with_de55: bool) -> Vec<(u8, Kind, String)> {
    let mut f = vec![
        (2, Kind::LlNum(19), "4761739001010119".to_owned()),
        (3, Kind::Num(6), "000000".into()),
        (4, Kind::Num(12), "000000002500".into()),
        (7, Kind::Num(10), "1122093000".into()),
        (11, Kind::Num(6), "000042".into()),
        (12, Kind::Num(6), "093000".into()),
        (13, Kind::Num(4), "1122".into()),
        (14, Kind::Num(4), "2912".into()),
        (18, Kind::Num(4), "5411".into()),
        (22, Kind::Num(3), "051".into()),
        (25, Kind::Num(2), "00".into()),
        (
            35,
            Kind::LlText(37),
            "4761739001010119=29122011143804400000".into(),
        ),
        (37, Kind::Text(12), "332609000042".into()),
        (41, Kind::Text(8), "TERM0001".into()),
        (42, Kind::Text(15), "MERCHANT0000001".into()),
        (
            43,
            Kind::Text(40),
            "ACME COFFEE ROASTERS LTD SAN FRANCISCOUS".into(),
        ),
        (49, Kind::Text(3), "840".into()),
        (52, Kind::Bin(8), "A1B2C3D4E5F60718".into()),
    ];
    if with_de55 {
        f.push((55, Kind::LllBin(255), hex(&DE55)));
    }
    f
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

// ---- iso8583-wire ----

fn ours(fields: &[(u8, Kind, String)]) -> (Spec, Vec<u8>) {
    let spec = Spec::builtin("iso87-ascii-bin").expect("bundled spec");
    let mut b = MessageBuilder::new(&spec);
    b.mti("0200").expect("MTI");
    for (n, _, v) in fields {
        b.set(u16::from(*n), v.as_str()).expect("value fits");
    }
    let wire = b.encode_to_vec().expect("encodes");
    (spec, wire)
}

fn ours_read_all(msg: &MessageView<'_>) -> u64 {
    let mut sum = 0u64;
    for f in msg.fields() {
        sum = f
            .raw()
            .iter()
            .fold(sum, |acc, &c| acc.rotate_left(5) ^ u64::from(c));
    }
    sum.wrapping_add(msg.field(4).and_then(|f| f.to_u64()).unwrap_or(0))
}

// ---- iso8583-codec ----

mod codec_peer {
    use super::Kind;
    use iso8583_codec::{FieldSpec, FieldValue, Length, Message, Mti, Spec};

    pub fn spec(fields: &[(u8, Kind, String)]) -> Spec {
        let mut b = Spec::builder("iso87-ascii-bin-purchase");
        for &(n, kind, _) in fields {
            b = b.field(match kind {
                Kind::Num(len) => FieldSpec::numeric(n, "n", Length::fixed(len)),
                Kind::Text(len) => FieldSpec::text(n, "ans", Length::fixed(len)),
                Kind::LlNum(max) => FieldSpec::numeric(n, "n..", Length::llvar(max)),
                // Track 2 is `z`; the crate has no such kind, and its printable-ASCII text
                // kind accepts the `=` separator.
                Kind::LlText(max) => FieldSpec::text(n, "z..", Length::llvar(max)),
                Kind::Bin(len) => FieldSpec::binary(n, "b", Length::fixed(len)),
                Kind::LllBin(max) => FieldSpec::binary(n, "b...", Length::lllvar(max)),
            });
        }
        b.build().expect("valid iso8583-codec spec")
    }

    pub fn message(fields: &[(u8, Kind, String)]) -> Message {
        let mut m = Message::new(Mti::parse(b"0200").expect("MTI"));
        for (n, kind, v) in fields {
            let value = match kind {
                Kind::Num(_) | Kind::LlNum(_) => FieldValue::digits(v.as_str()).expect("digits"),
                Kind::Text(_) | Kind::LlText(_) => FieldValue::text(v.as_str()).expect("text"),
                Kind::Bin(_) | Kind::LllBin(_) => FieldValue::binary(super::unhex(v)),
            };
            m.set_field(*n, value).expect("field");
        }
        m
    }

    pub fn read_all(m: &Message) -> u64 {
        let mut sum = 0u64;
        for (_, v) in m.fields() {
            sum = v
                .as_bytes()
                .iter()
                .fold(sum, |acc, &c| acc.rotate_left(5) ^ u64::from(c));
        }
        let amount = m
            .field(4)
            .and_then(|v| v.as_digits())
            .and_then(|d| d.parse::<u64>().ok())
            .unwrap_or(0);
        sum.wrapping_add(amount)
    }
}

// ---- iso8583_rs ----

mod rs_peer {
    use super::Kind;
    use iso8583_rs::iso8583::iso_spec::{self, IsoMsg, Spec};

    pub const SEGMENT: &str = "0200 - Purchase";

    /// The YAML spec `iso8583_rs` reads (field names are `f<number>`).
    pub fn yaml(fields: &[(u8, Kind, String)]) -> String {
        let mut y = String::from(
            "name: \"iso87-ascii-bin-purchase\"\nid: 1\nheader_fields:\n  - name: \"message_type\"\n    id: 1\n    type: Fixed\n    len: 4\n    data_encoding: ASCII\n    children: []\nmessages:\n",
        );
        y += &format!(
            "  - name: \"{SEGMENT}\"\n    selector: [\"0200\", \"0210\"]\n    id: 1\n    fields:\n      - name: \"message_type\"\n        id: 1\n        type: Fixed\n        len: 4\n        data_encoding: ASCII\n      - name: \"bitmap\"\n        id: 2\n        type: Bitmapped\n        len: 0\n        data_encoding: BINARY\n        children:\n"
        );
        for &(n, kind, _) in fields {
            // `len` is the field length for Fixed, the prefix width for Variable.
            let (ty, len, prefix, enc) = match kind {
                Kind::Num(l) | Kind::Text(l) => ("Fixed", l, None, "ASCII"),
                Kind::Bin(l) => ("Fixed", l, None, "BINARY"),
                Kind::LlNum(_) | Kind::LlText(_) => ("Variable", 2, Some("ASCII"), "ASCII"),
                Kind::LllBin(_) => ("Variable", 3, Some("ASCII"), "BINARY"),
            };
            y += &format!(
                "          - name: \"f{n}\"\n            id: {}\n            type: {ty}\n            len: {len}\n",
                u32::from(n) + 10
            );
            if let Some(p) = prefix {
                y += &format!("            len_encoding: {p}\n");
            }
            y += &format!("            data_encoding: {enc}\n            position: {n}\n");
        }
        y
    }

    pub fn spec() -> &'static Spec {
        iso_spec::spec("iso87-ascii-bin-purchase")
    }

    pub fn message(fields: &[(u8, Kind, String)]) -> IsoMsg {
        let spec = spec();
        let seg = spec.get_message(SEGMENT).expect("segment");
        let mut m = iso_spec::new_msg(spec, seg);
        m.set("message_type", "0200").expect("MTI");
        for (n, _, v) in fields {
            // Binary fields take hex text here too.
            m.set_on(u32::from(*n), v).expect("field");
        }
        m
    }

    pub fn read_all(m: &IsoMsg) -> u64 {
        // A HashMap iterates in no fixed order; sum per field so the result is order-free.
        let mut sum = 0u64;
        for v in m.fd_map.values() {
            sum = sum.wrapping_add(
                v.iter()
                    .fold(0u64, |acc, &c| acc.rotate_left(5) ^ u64::from(c)),
            );
        }
        let amount = m
            .bmp_child_value(4)
            .ok()
            .and_then(|d| d.parse::<u64>().ok())
            .unwrap_or(0);
        sum.wrapping_add(amount)
    }
}

/// Every peer reads our bytes to the same values and writes them back byte for byte.
fn check_same_bytes(fields: &[(u8, Kind, String)], wire: &[u8]) {
    let cspec = codec_peer::spec(fields);
    let parsed =
        iso8583_codec::Message::parse(&cspec, wire).expect("iso8583-codec parses our bytes");
    assert_eq!(parsed, codec_peer::message(fields), "iso8583-codec values");
    assert_eq!(
        parsed.encode(&cspec).expect("encodes"),
        wire,
        "iso8583-codec bytes"
    );

    let mut buf = wire.to_vec();
    let parsed = rs_peer::spec()
        .parse(&mut buf)
        .unwrap_or_else(|e| panic!("iso8583_rs parses our bytes: {}", e.msg));
    for (n, _, v) in fields {
        let got = parsed.bmp_child_value(u32::from(*n)).expect("present");
        assert!(got.eq_ignore_ascii_case(v), "iso8583_rs field {n}");
    }
    assert_eq!(
        parsed.assemble().map_err(|e| e.msg).expect("assembles"),
        wire,
        "iso8583_rs bytes"
    );
    assert_eq!(
        rs_peer::message(fields)
            .assemble()
            .map_err(|e| e.msg)
            .expect("assembles"),
        wire
    );
}

fn main() {
    let plain = purchase(false);
    let with_de55 = purchase(true);

    // iso8583_rs loads its spec once, lazily, from the file named by SPEC_FILE.
    let mut all = plain.clone();
    all.retain(|f| f.0 != 55);
    all.push(with_de55.last().expect("DE 55").clone());
    let path = std::env::temp_dir().join(format!("iso8583-wire-peers-{}.yaml", std::process::id()));
    std::fs::write(&path, rs_peer::yaml(&all)).expect("write YAML spec");
    // SAFETY: set before any other thread exists (criterion has not started).
    unsafe { std::env::set_var("SPEC_FILE", &path) };
    let _ = rs_peer::spec();
    let _ = std::fs::remove_file(&path);

    let mut c = Criterion::default().configure_from_args();
    let cases = [("", &plain), ("/de55", &with_de55)];

    let mut prepared = Vec::new();
    for (suffix, fields) in cases {
        let (spec, wire) = ours(fields);
        check_same_bytes(fields, &wire);
        prepared.push((suffix, fields, spec, wire));
    }

    {
        let mut g = group(&mut c, "peers_decode");
        for (suffix, fields, spec, wire) in &prepared {
            g.throughput(Throughput::Bytes(wire.len() as u64));
            g.bench_function(format!("iso8583-wire{suffix}"), |b| {
                b.iter(|| MessageView::decode(spec, black_box(wire)).map(|m| m.encoded_len()))
            });
            let cspec = codec_peer::spec(fields);
            g.bench_function(format!("iso8583-codec{suffix}"), |b| {
                b.iter(|| iso8583_codec::Message::parse(&cspec, black_box(wire)))
            });
            let rspec = rs_peer::spec();
            let mut buf = wire.clone();
            g.bench_function(format!("iso8583_rs{suffix}"), |b| {
                b.iter(|| rspec.parse(black_box(&mut buf)).is_ok())
            });
        }
        g.finish();
    }

    {
        let mut g = group(&mut c, "peers_decode_read_all");
        let (_, fields, spec, wire) = &prepared[0];
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_function("iso8583-wire", |b| {
            b.iter(|| MessageView::decode(spec, black_box(wire)).map(|m| ours_read_all(&m)))
        });
        let cspec = codec_peer::spec(fields);
        g.bench_function("iso8583-codec", |b| {
            b.iter(|| {
                iso8583_codec::Message::parse(&cspec, black_box(wire))
                    .map(|m| codec_peer::read_all(&m))
            })
        });
        let rspec = rs_peer::spec();
        let mut buf = wire.clone();
        g.bench_function("iso8583_rs", |b| {
            b.iter(|| {
                rspec
                    .parse(black_box(&mut buf))
                    .map(|m| rs_peer::read_all(&m))
                    .is_ok()
            })
        });
        g.finish();
    }

    {
        let mut g = group(&mut c, "peers_encode");
        let mut out = vec![0u8; 4096];
        for (suffix, fields, spec, wire) in &prepared {
            g.throughput(Throughput::Bytes(wire.len() as u64));
            let mut builder = MessageBuilder::new(spec);
            builder.mti("0200").expect("MTI");
            for (n, _, v) in fields.iter() {
                builder.set(u16::from(*n), v.as_str()).expect("value fits");
            }
            g.bench_function(format!("iso8583-wire{suffix}"), |b| {
                b.iter(|| black_box(&builder).encode_into(black_box(&mut out[..])))
            });
            g.bench_function(format!("iso8583-wire-vec{suffix}"), |b| {
                b.iter(|| black_box(&builder).encode_to_vec())
            });
            let cspec = codec_peer::spec(fields);
            let cmsg = codec_peer::message(fields);
            g.bench_function(format!("iso8583-codec{suffix}"), |b| {
                b.iter(|| black_box(&cmsg).encode(&cspec))
            });
            let rmsg = rs_peer::message(fields);
            g.bench_function(format!("iso8583_rs{suffix}"), |b| {
                b.iter(|| black_box(&rmsg).assemble().is_ok())
            });
        }
        g.finish();
    }

    c.final_summary();
}
