//! Golden UnionPay-style messages, assembled by hand from the UnionPay packing rules (field by field,
//! see the comments), decode to the documented values and re-encode byte for byte.

mod common;

use common::{hex, unhex};
use iso8583_wire::codec::tlv::Tag;
use iso8583_wire::framing::{PosHeader, Tpdu};
use iso8583_wire::message::{ProcessingCode, SubValue};
use iso8583_wire::{DecodeErrorKind, Location, MessageBuilder, MessageView, Spec};

fn cup() -> Spec {
    Spec::builtin("cup-pos").unwrap()
}

/// Purchase 0200 with IC data: 2 3 4 11 14 22 23 25 41 42 49 55 60 64.
const PURCHASE: &str = concat!(
    "6000030000",
    "603100000000",     // TPDU + header
    "0200",             // MTI, BCD
    "7024068000C08211", // bitmap: 2 3 4 11 14 22 23 25 41 42 49 55 60 64
    "19",
    "62220212345678901230", // DE 2: LL=19 digits, left-justified, trailing 0 nibble
    "000000",               // DE 3
    "000000002500",         // DE 4: 25.00
    "000123",               // DE 11
    "2912",                 // DE 14
    "0510",                 // DE 22: 051 left-justified
    "0001",                 // DE 23: 001 right-justified
    "00",                   // DE 25
    "5445524D30303031",     // DE 41 "TERM0001"
    "313233343536373839303132333435", // DE 42 "123456789012345"
    "313536",               // DE 49 "156"
    "0132",                 // DE 55: LLL = 132 bytes, then BER-TLV
    "9F2608A1B2C3D4E5F60708",
    "9F270180",
    "9F101307010103A0A000010A010000000000C1D2E3F4",
    "9F37040A0B0C0D",
    "9F36020030",
    "950500000000009A032611229C0100",
    "9F02060000000025005F2A020156",
    "82025400",
    "9F1A020156",
    "9F0306000000000000",
    "9F3303E0F1C8",
    "9F3403420300",
    "9F350122",
    "9F1E083132333435363738",
    "8407A0000003330101",
    "0011",
    "220000010000",     // DE 60: 11 digits 22|000001|000 + trailing 0 nibble
    "0102030405060708", // DE 64 MAC
);

/// Void 0200/200000 of that purchase: 60.1 = 23 and DE 61 = original batch + trace.
const VOID: &str = concat!(
    "6000030000",
    "603100000000",
    "0200",
    "702404800CC08019", // bitmap: 2 3 4 11 14 22 25 37 38 41 42 49 60 61 64
    "19",
    "62220212345678901230",
    "200000",
    "000000002500", // same amount as the original
    "000124",
    "2912",
    "0510",
    "00",
    "313132323333343435353636", // DE 37 "112233445566" (from the approval)
    "413142324333",             // DE 38 "A1B2C3"
    "5445524D30303031",
    "313233343536373839303132333435",
    "313536",
    "0011",
    "230000010000", // DE 60: 23|000001|000
    "0012",
    "000001000123", // DE 61: batch 000001, trace 000123
    "1112131415161718",
);

/// Sign-on response 0810 for 60.3 = 003 (double-length keys): DE 62 = PIK 16 + check 4 +
/// MAK 16 + check 4 (some hosts pad the MAK to 16 bytes; this one does).
const SIGNON_RESPONSE: &str = concat!(
    "6000000003",
    "603100000000", // reply: TPDU destination and source swapped
    "0810",
    "003800010AC00014", // bitmap: 11 12 13 32 37 39 41 42 60 62
    "000001",           // DE 11
    "101530",           // DE 12
    "1122",             // DE 13
    "08",
    "48020000",                 // DE 32: LL=8 digits
    "303030303030303030303031", // DE 37 "000000000001"
    "3030",                     // DE 39 "00"
    "5445524D30303031",
    "313233343536373839303132333435",
    "0011",
    "000000020030", // DE 60: 00|000002|003 (double-length keys)
    "0040",         // DE 62: 40 bytes = PIK 16 + check 4 + MAK 16 + check 4
    "0123456789ABCDEFFEDCBA9876543210",
    "11223344",
    "8899AABBCCDDEEFF0011223344556677",
    "55667788",
);

/// Settlement 0500 with DE 48 totals (2 debits for 50.00, 1 credit for 10.00).
const SETTLEMENT: &str = concat!(
    "6000030000",
    "603100000000",
    "0500",
    "0020000000C18012", // bitmap: 11 41 42 48 49 60 63
    "000130",
    "5445524D30303031",
    "313233343536373839303132333435",
    "0031",
    "00000000500000200000000100000100", // DE 48: 31 digits + trailing 0 nibble
    "313536",
    "0011",
    "000000022010", // DE 60: 00|000002|201
    "0003",
    "303031", // DE 63 "001" (operator)
);

fn decode_all(hex_text: &str) -> (Vec<u8>, Spec) {
    (unhex(hex_text), cup())
}

fn assert_round_trip(view: &MessageView<'_>, wire: &[u8]) {
    let again = MessageBuilder::from_view(view).encode_to_vec().unwrap();
    assert_eq!(hex(&again), hex(wire));
    // And from the text values plus the header, as a separate encoder would.
    let mut b = MessageBuilder::new(view.spec());
    b.header(view.header()).unwrap().set_mti(view.mti());
    let values: Vec<(u16, String)> = view
        .fields()
        .map(|f| (f.number(), f.clear().to_string()))
        .collect();
    for (n, v) in &values {
        b.set(*n, v.as_str()).unwrap();
    }
    assert_eq!(hex(&b.encode_to_vec().unwrap()), hex(wire));
}

#[test]
fn purchase_with_emv_data() {
    let (wire, spec) = decode_all(PURCHASE);
    let v = MessageView::decode(&spec, &wire).unwrap();
    let h = PosHeader::parse(v.header()).unwrap();
    assert_eq!(h.tpdu, Tpdu::new(0x0003, 0x0000));
    assert_eq!(
        (h.app_type, h.version, h.terminal_status, h.processing),
        (0x60, 0x31, 0, 0)
    );
    assert_eq!(h.reply().tpdu, Tpdu::new(0x0000, 0x0003));
    assert_eq!(v.mti().as_str(), "0200");
    assert_eq!(
        v.field(2).unwrap().clear().to_string(),
        "6222021234567890123"
    );
    assert_eq!(v.field(2).unwrap().to_string(), "622202*********0123");
    assert_eq!(v.processing_code(), Some(ProcessingCode::PURCHASE));
    assert_eq!(v.field(4).unwrap().to_u64(), Some(2500));
    assert_eq!(v.field(22).unwrap().clear().to_string(), "051");
    assert_eq!(v.field(23).unwrap().clear().to_string(), "001");
    assert_eq!(v.str(41), Some("TERM0001"));
    assert_eq!(v.str(49), Some("156"));
    assert_eq!(v.subfield("60.1").unwrap().unwrap().clear_string(), "22");
    assert_eq!(v.subfield("60.2").unwrap().unwrap().to_u64(), Some(1));
    assert_eq!(v.subfield("60.3").unwrap().unwrap().clear_string(), "000");
    assert!(v.subfield("60.4").unwrap().is_none());
    assert_eq!(v.field(55).unwrap().raw().len(), 132);
    let ac = v.subfield("55.9F26").unwrap().unwrap();
    assert_eq!(ac.clear_string(), "A1B2C3D4E5F60708");
    assert_eq!(ac.to_string(), "****************", "cryptogram masked");
    assert_eq!(
        v.subfield("55.9f02").unwrap().unwrap().clear_string(),
        "000000002500"
    );
    assert_eq!(
        v.subfield("55.84").unwrap().unwrap().clear_string(),
        "A0000003330101"
    );
    let tags: Vec<String> = v
        .subfields(55)
        .unwrap()
        .unwrap()
        .map(|s| s.unwrap().key().to_string())
        .collect();
    assert_eq!(
        tags,
        [
            "9F26", "9F27", "9F10", "9F37", "9F36", "95", "9A", "9C", "9F02", "5F2A", "82", "9F1A",
            "9F03", "9F33", "9F34", "9F35", "9F1E", "84"
        ]
    );
    assert_round_trip(&v, &wire);
}

#[test]
fn void_carries_the_original_batch_and_trace() {
    let (wire, spec) = decode_all(VOID);
    let v = MessageView::decode(&spec, &wire).unwrap();
    assert_eq!(
        v.processing_code(),
        Some(ProcessingCode::REFUND),
        "CUP void uses 200000"
    );
    assert_eq!(v.subfield("60.1").unwrap().unwrap().clear_string(), "23");
    assert_eq!(
        v.subfield("61.1").unwrap().unwrap().clear_string(),
        "000001"
    );
    assert_eq!(
        v.subfield("61.2").unwrap().unwrap().clear_string(),
        "000123"
    );
    assert!(v.subfield("61.3").unwrap().is_none());
    assert_eq!(v.str(37), Some("112233445566"));
    assert_eq!(v.str(38), Some("A1B2C3"));
    assert_round_trip(&v, &wire);
}

#[test]
fn sign_on_response_carries_keys_in_de62() {
    let (wire, spec) = decode_all(SIGNON_RESPONSE);
    let v = MessageView::decode(&spec, &wire).unwrap();
    assert_eq!(
        PosHeader::parse(v.header()).unwrap().tpdu,
        Tpdu::new(0x0000, 0x0003)
    );
    assert_eq!(v.mti().as_str(), "0810");
    assert_eq!(v.str(39), Some("00"));
    assert_eq!(v.field(32).unwrap().clear().to_string(), "48020000");
    assert_eq!(v.subfield("60.3").unwrap().unwrap().clear_string(), "003");
    assert_eq!(v.subfield("60.2").unwrap().unwrap().to_u64(), Some(2));
    let keys = v.field(62).unwrap().raw();
    assert_eq!(keys.len(), 40);
    assert_eq!(hex(&keys[16..20]), "11223344", "PIK check value");
    assert_eq!(hex(&keys[36..40]), "55667788", "MAK check value");
    assert!(
        v.field(62).unwrap().to_string().chars().all(|c| c == '*'),
        "keys masked"
    );
    assert_round_trip(&v, &wire);
}

#[test]
fn settlement_totals_in_de48() {
    let (wire, spec) = decode_all(SETTLEMENT);
    let v = MessageView::decode(&spec, &wire).unwrap();
    assert_eq!(v.mti().as_str(), "0500");
    assert!(v.field(3).is_none(), "CUP settlement has no DE 3");
    let t = |p: &str| v.subfield(p).unwrap().unwrap().to_u64().unwrap();
    assert_eq!(
        (t("48.1"), t("48.2"), t("48.3"), t("48.4"), t("48.5")),
        (5000, 2, 1000, 1, 0)
    );
    assert!(
        v.subfield("48.6").unwrap().is_none(),
        "foreign totals are optional"
    );
    assert_eq!(v.subfield("60.3").unwrap().unwrap().clear_string(), "201");
    assert_eq!(v.subfield("63.1").unwrap().unwrap().clear_string(), "001");
    assert_round_trip(&v, &wire);
}

#[test]
fn builder_composes_the_same_bytes_from_subfields() {
    let spec = cup();
    let header = unhex("6000030000603100000000");
    let mut b = MessageBuilder::new(&spec);
    b.header(&header).unwrap().mti("0500").unwrap();
    b.set(11, "000130")
        .unwrap()
        .set(41, "TERM0001")
        .unwrap()
        .set(42, "123456789012345")
        .unwrap();
    b.set(49, "156").unwrap();
    let parts = |p: &[(&str, &str)]| {
        p.iter()
            .map(|(k, v)| (k.to_string(), SubValue::from(*v)))
            .collect::<Vec<_>>()
    };
    b.set_subfields(
        48,
        &parts(&[
            ("1", "5000"),
            ("2", "2"),
            ("3", "1000"),
            ("4", "1"),
            ("5", "0"),
        ]),
    )
    .unwrap();
    b.set_subfields(60, &parts(&[("1", "00"), ("2", "000002"), ("3", "201")]))
        .unwrap();
    b.set_path("63.1", "001").unwrap();
    assert_eq!(hex(&b.encode_to_vec().unwrap()), SETTLEMENT);
    // A missing mandatory part is refused and named.
    let err = b
        .set_subfields(60, &parts(&[("1", "00"), ("3", "201")]))
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.location, Location::Subfield { field: 60, sub: 2 });
}

#[test]
fn every_truncation_of_de55_is_a_located_error() {
    let (wire, spec) = decode_all(PURCHASE);
    let v = MessageView::decode(&spec, &wire).unwrap();
    let de55 = v.field(55).unwrap();
    let full = de55.raw().to_vec();
    let start = de55.offset();
    // Object boundaries: cutting exactly there leaves valid (shorter) TLV data.
    let mut ends = vec![0usize];
    for s in v.subfields(55).unwrap().unwrap() {
        let s = s.unwrap();
        ends.push(
            s.offset() - start + s.raw().unwrap().len() + header_len(s.offset() - start, &full),
        );
    }
    for cut in 0..full.len() {
        let mut b = MessageBuilder::new(&spec);
        b.header(v.header()).unwrap().set_mti(v.mti());
        b.set_binary(55, &full[..cut]).unwrap();
        let w = b.encode_to_vec().unwrap();
        let view = MessageView::decode(&spec, &w).unwrap();
        let result: Result<Vec<_>, _> = view.subfields(55).unwrap().unwrap().collect();
        if ends.contains(&cut) {
            assert!(result.is_ok(), "cut {cut} is an object boundary");
            continue;
        }
        let err = result.unwrap_err();
        let field_start = view.field(55).unwrap().offset();
        assert_eq!(err.location, Location::Field(55), "cut {cut}");
        assert!(
            err.offset >= field_start && err.offset <= field_start + cut,
            "cut {cut}: {err}"
        );
        // The object being cut is the last one starting before the cut: once its tag is
        // complete the error names it.
        let obj = *ends.iter().filter(|&&e| e < cut).max().unwrap();
        let tag_len = if full[obj] & 0x1F == 0x1F { 2 } else { 1 };
        match err.kind {
            DecodeErrorKind::BadTlv { tag, .. } if cut >= obj + tag_len => {
                let want = Tag::from_bytes(&full[obj..obj + tag_len]).unwrap();
                assert_eq!(tag, Some(want), "cut {cut}");
            }
            DecodeErrorKind::BadTlv { tag: None, .. } => {}
            other => panic!("cut {cut}: unexpected {other:?}"),
        }
        assert!(err.to_string().starts_with("field 55: "), "{err}");
    }
}

/// Tag + length bytes of the object at `off` in `data`.
fn header_len(off: usize, data: &[u8]) -> usize {
    let mut i = off + 1;
    if data[off] & 0x1F == 0x1F {
        while data[i] & 0x80 != 0 {
            i += 1;
        }
        i += 1;
    }
    let l = data[i];
    let len_bytes = if l & 0x80 != 0 {
        1 + usize::from(l & 0x7F)
    } else {
        1
    };
    i + len_bytes - off
}

#[test]
fn expanded_json_nests_composites_and_encodes_back() {
    use iso8583_wire::json::{JsonOptions, builder_from_json, push_message};
    let (wire, spec) = decode_all(PURCHASE);
    let v = MessageView::decode(&spec, &wire).unwrap();
    let mut out = String::new();
    push_message(
        &mut out,
        &v,
        JsonOptions {
            unmask: true,
            expand: true,
        },
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        json["fields"]["60"],
        serde_json::json!({"1": "22", "2": "000001", "3": "000"})
    );
    assert_eq!(json["fields"]["55"]["9F26"], "A1B2C3D4E5F60708");
    assert_eq!(json["fields"]["55"]["84"], "A0000003330101");
    let mut b = builder_from_json(&spec, &json).unwrap();
    b.header(v.header()).unwrap();
    assert_eq!(hex(&b.encode_to_vec().unwrap()), PURCHASE);
    // Masked by default, inside the TLV too.
    let mut masked = String::new();
    push_message(
        &mut masked,
        &v,
        JsonOptions {
            unmask: false,
            expand: true,
        },
    );
    let json: serde_json::Value = serde_json::from_str(&masked).unwrap();
    assert_eq!(json["fields"]["2"], "622202*********0123");
    assert_eq!(json["fields"]["55"]["9F26"], "****************");
    assert_eq!(json["fields"]["55"]["9F02"], "000000002500");
}
