//! Typed reads and writes do not depend on the wire encoding: the same values give the same
//! text and numbers in the ASCII, packed-BCD and EBCDIC specs.

use iso8583_wire::{EncodeErrorKind, Location, MessageBuilder, MessageView, Spec};

const SPECS: [&str; 3] = ["iso87-ascii-bin", "iso87-bcd", "iso87-ebcdic"];

/// A response as a host sends it: STAN, amount, PAN, fee, RRN, response code, terminal.
const VALUES: [(u16, &str); 8] = [
    (2, "4761739001010119"),
    (3, "000000"),
    (4, "000000002500"),
    (11, "000042"),
    (28, "D00000150"),
    (32, "12345"),
    (37, "112233445566"),
    (39, "00"),
];

fn response(spec: &Spec) -> Vec<u8> {
    let mut b = MessageBuilder::new(spec);
    b.mti("0210").unwrap();
    for (n, v) in VALUES {
        b.set(n, v).unwrap();
    }
    b.set(41, "TERM0001").unwrap();
    b.set(52, "0A1B2C3D4E5F6071").unwrap();
    b.encode_to_vec().unwrap()
}

#[test]
fn text_u64_and_text_eq_read_the_same_values_in_ascii_bcd_and_ebcdic() {
    for name in SPECS {
        let spec = Spec::builtin(name).unwrap();
        let wire = response(&spec);
        let v = MessageView::decode(&spec, &wire).unwrap();
        for (n, want) in VALUES
            .iter()
            .chain(&[(41, "TERM0001"), (52, "0A1B2C3D4E5F6071")])
        {
            assert_eq!(v.text(*n).as_deref(), Some(*want), "{name} DE {n}");
            assert_eq!(v.field(*n).unwrap().text(), *want, "{name} DE {n}");
            assert!(v.text_eq(*n, want), "{name} DE {n}");
            // Not equal to a prefix, a longer value or a different one.
            assert!(!v.text_eq(*n, &want[..want.len() - 1]), "{name} DE {n}");
            assert!(!v.text_eq(*n, &format!("{want}0")), "{name} DE {n}");
        }
        assert_eq!(v.u64(11), Some(42), "{name}");
        assert_eq!(v.u64(4), Some(2500), "{name}");
        assert_eq!(v.u64(32), Some(12345), "{name}");
        assert_eq!(v.u64(39), None, "{name}: DE 39 is an, not a number");
        assert_eq!(v.u64(12), None, "{name}: absent");
        assert_eq!(v.text(12), None, "{name}: absent");
        assert!(!v.text_eq(12, ""), "{name}: absent is not empty");
        assert_eq!(v.field(28).unwrap().to_amount(), Some(-150), "{name}");
        assert_eq!(v.field(4).unwrap().to_amount(), Some(2500), "{name}");
        assert_eq!(v.field(41).unwrap().to_amount(), None, "{name}");
    }
}

#[test]
fn str_stays_zero_copy_and_says_none_where_the_wire_is_not_text() {
    // What `str` gives is documented per encoding; `text` is the same everywhere.
    let expect = [
        ("iso87-ascii-bin", Some("000042"), Some("00")),
        ("iso87-bcd", None, Some("00")),
        ("iso87-ebcdic", None, None),
    ];
    for (name, stan, code) in expect {
        let spec = Spec::builtin(name).unwrap();
        let wire = response(&spec);
        let v = MessageView::decode(&spec, &wire).unwrap();
        assert_eq!((v.str(11), v.str(39)), (stan, code), "{name}");
        // Where str answers, text borrows the same bytes.
        if let Some(s) = v.str(11) {
            let t = v.field(11).unwrap().text();
            assert!(matches!(t, std::borrow::Cow::Borrowed(_)), "{name}");
            assert_eq!(t, s);
        }
    }
}

#[test]
fn typed_setters_write_the_same_values_in_ascii_bcd_and_ebcdic() {
    for name in SPECS {
        let spec = Spec::builtin(name).unwrap();
        let mut typed = MessageBuilder::new(&spec);
        typed
            .mti("0210")
            .unwrap()
            .set_amount(4, 2500)
            .unwrap()
            .set_u64(11, 42)
            .unwrap()
            .set_amount(28, -150)
            .unwrap()
            .set_u64(32, 12345)
            .unwrap();
        let mut text = MessageBuilder::new(&spec);
        text.mti("0210").unwrap();
        for (n, v) in [
            (4, "000000002500"),
            (11, "000042"),
            (28, "D00000150"),
            (32, "12345"),
        ] {
            text.set(n, v).unwrap();
        }
        let wire = typed.encode_to_vec().unwrap();
        assert_eq!(wire, text.encode_to_vec().unwrap(), "{name}");
        let v = MessageView::decode(&spec, &wire).unwrap();
        assert_eq!(v.text(4).as_deref(), Some("000000002500"), "{name}");
        assert_eq!(v.text(11).as_deref(), Some("000042"), "{name}");
        assert_eq!(v.text(28).as_deref(), Some("D00000150"), "{name}");

        // A positive fee takes C; zero and the largest values that fit.
        typed
            .set_amount(28, 150)
            .unwrap()
            .set_u64(4, 999_999_999_999)
            .unwrap();
        typed.set_amount(29, 0).unwrap().set_u64(11, 0).unwrap();
        let wire = typed.encode_to_vec().unwrap();
        let v = MessageView::decode(&spec, &wire).unwrap();
        assert_eq!(v.text(28).as_deref(), Some("C00000150"), "{name}");
        assert_eq!(v.text(29).as_deref(), Some("C00000000"), "{name}");
        assert_eq!(v.text(4).as_deref(), Some("999999999999"), "{name}");
        assert_eq!(v.text(11).as_deref(), Some("000000"), "{name}");
    }
}

#[test]
fn typed_setters_refuse_what_the_field_cannot_hold_naming_the_field() {
    for name in SPECS {
        let spec = Spec::builtin(name).unwrap();
        let mut b = MessageBuilder::new(&spec);
        let kind = |r: Result<&mut MessageBuilder<'_>, iso8583_wire::EncodeError>| {
            let e = r.unwrap_err();
            (e.location, e.kind)
        };
        assert_eq!(
            kind(b.set_u64(11, 1_000_000)),
            (
                Location::Field(11),
                EncodeErrorKind::TooLong { len: 7, max: 6 }
            )
        );
        assert_eq!(
            kind(b.set_u64(32, 123_456_789_012)),
            (
                Location::Field(32),
                EncodeErrorKind::TooLong { len: 12, max: 11 }
            )
        );
        assert_eq!(
            kind(b.set_amount(28, 100_000_000)),
            (
                Location::Field(28),
                EncodeErrorKind::TooLong { len: 10, max: 9 }
            )
        );
        assert_eq!(
            kind(b.set_amount(4, -1)),
            (Location::Field(4), EncodeErrorKind::NegativeAmount)
        );
        for n in [41, 52] {
            let class = spec.field(n).unwrap().class();
            assert_eq!(
                kind(b.set_u64(n, 1)),
                (Location::Field(n), EncodeErrorKind::NotNumeric { class })
            );
            assert_eq!(
                kind(b.set_amount(n, 1)),
                (Location::Field(n), EncodeErrorKind::NotNumeric { class })
            );
        }
        // x+n is an amount, not a plain number.
        assert!(matches!(
            kind(b.set_u64(28, 1)),
            (Location::Field(28), EncodeErrorKind::NotNumeric { .. })
        ));
        assert_eq!(
            kind(b.set_u64(1, 1)),
            (Location::Field(1), EncodeErrorKind::ComputedField)
        );
        // A refused value leaves the builder as it was.
        assert_eq!(
            b.encoded_len().ok(),
            MessageBuilder::new(&spec).encoded_len().ok()
        );
    }
}

#[test]
fn describe_names_the_response_code_in_every_encoding() {
    for name in SPECS {
        let spec = Spec::builtin(name).unwrap();
        let wire = response(&spec);
        let v = MessageView::decode(&spec, &wire).unwrap();
        let shown = v.describe().to_string();
        let line = shown
            .lines()
            .find(|l| l.trim_start().starts_with("39"))
            .unwrap();
        assert!(line.contains("(approved)"), "{name}: {line}");
    }
}

/// The link's matching key is built from the values, not the wire bytes: equal for equal values
/// on every encoding, long values included (a value past 64 characters used to fall back to
/// its wire bytes).
#[cfg(feature = "tokio")]
#[test]
fn link_keys_are_equal_across_encodings_for_long_values_too() {
    use bytes::Bytes;
    use iso8583_wire::Message;
    use iso8583_wire::link::{HeaderKey, KeyRule, KeyRules};

    let long = "A".repeat(70) + "0123456789";
    let rules = KeyRules {
        default: KeyRule {
            fields: vec![41, 11, 48],
            header: HeaderKey::None,
        },
        ..KeyRules::default()
    };
    let keys: Vec<_> = SPECS
        .iter()
        .map(|name| {
            let spec = Spec::builtin(name).unwrap();
            let mut b = MessageBuilder::new(&spec);
            b.mti("0200").unwrap();
            b.set_u64(11, 42).unwrap().set(41, "TERM0001").unwrap();
            b.set(48, long.as_str()).unwrap();
            let msg = Message::decode(&spec, Bytes::from(b.encode_to_vec().unwrap())).unwrap();
            rules.request_key(&msg).unwrap()
        })
        .collect();
    assert_eq!(keys[0], keys[1]);
    assert_eq!(keys[0], keys[2]);
    let want = format!("0210TERM0001\x1F000042\x1F{long}\x1F");
    assert_eq!(keys[0].as_bytes(), want.as_bytes());
}

/// A character past ASCII (here an EBCDIC é let through by lenient decoding) reads as that
/// character in `text`, and `text_eq` compares characters, not bytes.
#[test]
fn text_and_text_eq_handle_characters_past_ascii() {
    let spec = Spec::builtin("iso87-ebcdic").unwrap();
    let mut b = MessageBuilder::new(&spec);
    b.mti("0200").unwrap().set(41, "TERM0001").unwrap();
    let mut wire = b.encode_to_vec().unwrap();
    let at = MessageView::decode(&spec, &wire)
        .unwrap()
        .field(41)
        .unwrap()
        .offset();
    wire[at] = 0x51; // é in code page 037
    let lenient = MessageView::decode_lenient(&spec, &wire).unwrap();
    assert_eq!(lenient.warnings().len(), 1);
    let f = lenient.view().field(41).unwrap();
    assert_eq!(f.text(), "\u{e9}ERM0001");
    assert!(f.text_eq("\u{e9}ERM0001"));
    assert!(!f.text_eq("TERM0001"));
    assert!(!f.text_eq("\u{e8}ERM0001"));
}
