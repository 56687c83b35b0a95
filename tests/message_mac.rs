//! The MAC of a whole message, by the spec's `[mac]` section: signing sets the MAC field at
//! its width and bit, verification catches tampering, and the MAC covers exactly the bytes
//! the scope documents (every byte flipped in turn). No key shows in any rendering or error.
#![cfg(feature = "crypto")]

use std::ops::Range;

use iso8583_wire::message::{FieldValue, MacScopeError};
use iso8583_wire::security::{
    AesKey, Mac, MacAlgorithm, SecurityError, SignMessage, SoftwareMac, TdesKey, VerifyMessage,
};
use iso8583_wire::spec::{MacScope, MacSpec};
use iso8583_wire::{MessageBuilder, MessageView, Spec};

const MAK_HEX: &str = "0123456789ABCDEFFEDCBA9876543210";
const HEADER: [u8; 11] = [0x60, 0x00, 0x03, 0x00, 0x00, 0x60, 0x31, 0, 0, 0, 0];

fn mak() -> TdesKey {
    TdesKey::from_hex(MAK_HEX).unwrap()
}

/// `iso87-ascii-bin` with its commented `[mac]` example switched on (the generic-1987 setting).
fn generic_with_mac(extra: &str) -> Spec {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/specs/iso87-ascii-bin.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let at = text
        .find("# [mac]")
        .expect("the spec carries a commented [mac] example");
    let (head, tail) = text.split_at(at);
    let mac: String = tail
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .map(|l| format!("{l}\n"))
        .collect();
    Spec::from_toml_str(&format!("{head}{mac}{extra}"), "generic-mac.toml").unwrap()
}

/// A spec from `iso87-ascii-bin` with `mac` as its `[mac]` section.
fn ascii_bin_with(mac: &str) -> Spec {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/specs/iso87-ascii-bin.toml");
    let text = std::fs::read_to_string(path).unwrap();
    Spec::from_toml_str(&format!("{text}\n[mac]\n{mac}\n"), "test.toml").unwrap()
}

fn cup_purchase() -> MessageBuilder<'static> {
    let spec = Spec::builtin("cup-pos").unwrap();
    let mut b = MessageBuilder::new(&spec);
    b.header(&HEADER).unwrap();
    b.mti("0200").unwrap();
    for (n, v) in [
        (2, "6222021234567890123"),
        (3, "000000"),
        (4, "000000002500"),
        (11, "000123"),
        (14, "2912"),
        (22, "051"),
        (25, "00"),
        (35, "6222021234567890123=29122011143804400"),
        (41, "TERM0001"),
        (42, "123456789012345"),
        (49, "156"),
        (60, "22000001000"),
    ] {
        b.set(n, v).unwrap();
    }
    b.set(
        52,
        FieldValue::binary(&[0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18]),
    )
    .unwrap();
    b
}

fn generic_purchase(spec: &Spec) -> MessageBuilder<'static> {
    let mut b = MessageBuilder::new(spec);
    b.mti("0200").unwrap();
    for (n, v) in [
        (2, "4761739001010119"),
        (3, "000000"),
        (4, "000000002500"),
        (7, "1122093000"),
        (11, "000042"),
        (12, "093000"),
        (13, "1122"),
        (22, "051"),
        (25, "00"),
        (37, "332609000042"),
        (41, "TERM0001"),
        (42, "MERCHANT0000001"),
        (49, "840"),
    ] {
        b.set(n, v).unwrap();
    }
    b
}

/// Flips each byte of `wire` in turn (XOR 1, which keeps most digits digits) and checks that the
/// MAC computed over the flipped message's scope changes exactly for the bytes in `scope`, and
/// that verification passes exactly when the flip is outside the scope and the MAC field.
/// Returns how many in-scope flips still decoded (and so were caught by the MAC itself).
fn flip_every_byte(
    spec: &Spec,
    wire: &[u8],
    mac: &dyn Mac,
    scope: &[Range<usize>],
    skip: &[Range<usize>],
) -> usize {
    let original = MessageView::decode(spec, wire).unwrap();
    let width = spec.mac().unwrap().width();
    let mac_of = |v: &MessageView<'_>| mac.mac(&v.mac_input().unwrap()).unwrap()[..width].to_vec();
    let reference = mac_of(&original);
    let field = original.field(spec.mac().unwrap().field()).unwrap();
    let mac_range = field.offset()..field.offset() + field.raw().len();
    let mut caught_by_mac = 0;
    for i in 0..wire.len() {
        if skip.iter().any(|r| r.contains(&i)) {
            continue;
        }
        let inside = scope.iter().any(|r| r.contains(&i));
        let mut w = wire.to_vec();
        w[i] ^= 0x01;
        let Ok(view) = MessageView::decode(spec, &w) else {
            assert!(
                inside,
                "a flip at byte {i}, outside the scope, broke decoding"
            );
            continue;
        };
        let now = mac_of(&view);
        if inside {
            assert_ne!(
                now, reference,
                "byte {i} is in the scope but the MAC did not change"
            );
            assert_eq!(
                view.verify_mac_with(mac),
                Err(SecurityError::MacMismatch),
                "byte {i}"
            );
            caught_by_mac += 1;
        } else {
            assert_eq!(
                now, reference,
                "byte {i} is outside the scope but the MAC changed"
            );
            let verdict = view.verify_mac_with(mac);
            if mac_range.contains(&i) {
                assert_eq!(verdict, Err(SecurityError::MacMismatch), "MAC byte {i}");
            } else {
                assert_eq!(verdict, Ok(()), "byte {i}");
            }
        }
    }
    caught_by_mac
}

#[test]
fn cup_pos_signs_de64_over_mti_to_de63_and_catches_every_flip_in_it() {
    let mut b = cup_purchase();
    assert!(!b.has(64));
    b.sign(&mak()).unwrap();
    let wire = b.encode_to_vec().unwrap();
    let spec = b.spec().clone();
    let view = MessageView::decode(&spec, &wire).unwrap();
    assert!(view.bitmap().is_set(64), "the MAC's bitmap bit is set");
    let de64 = view.field(64).unwrap();
    assert_eq!(de64.raw().len(), 8);
    assert_eq!(de64.offset() + 8, wire.len(), "DE 64 is the last 8 bytes");
    // The documented bytes: from the MTI (after the 11-byte header) up to DE 64.
    let scope = 11..wire.len() - 8;
    assert_eq!(view.mac_input().unwrap().as_ref(), &wire[scope.clone()]);
    // The UnionPay MAC is 8 hex characters, computed over exactly those bytes.
    let mac = SoftwareMac::from_hex(MacAlgorithm::CupEcb, MAK_HEX).unwrap();
    assert_eq!(
        de64.raw(),
        mac.mac(&wire[scope.clone()]).unwrap().as_slice()
    );
    assert!(de64.raw().iter().all(u8::is_ascii_hexdigit));
    view.verify_mac(&mak()).unwrap();
    let caught = flip_every_byte(&spec, &wire, &mac, &[scope], &[]);
    assert!(caught > 60, "only {caught} in-scope flips decoded");
}

#[test]
fn generic_1987_example_signs_with_x9_19_and_catches_every_flip() {
    let spec = generic_with_mac("");
    let setting = spec.mac().unwrap();
    assert_eq!(setting.field(), 64);
    assert_eq!(setting.width(), 8);
    assert_eq!(*setting.scope(), MacScope::FromMti);
    assert_eq!(setting.algorithm().name(), "iso9797-1-alg3");
    let mut b = generic_purchase(&spec);
    b.sign(&mak()).unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(&spec, &wire).unwrap();
    let mac = SoftwareMac::from_hex(setting.algorithm(), MAK_HEX).unwrap();
    let scope = 0..wire.len() - 8;
    assert_eq!(
        view.field(64).unwrap().raw(),
        mac.mac(&wire[scope.clone()]).unwrap().as_slice()
    );
    let caught = flip_every_byte(&spec, &wire, &mac, &[scope], &[]);
    assert!(caught > 80, "only {caught} in-scope flips decoded");
}

#[test]
fn from_header_scope_covers_the_header_too() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/cup-pos.toml"))
        .unwrap()
        .replace("scope = \"from-mti\"", "scope = \"from-header\"");
    let spec = Spec::from_toml_str(&text, "cup-header.toml").unwrap();
    let mut b = MessageBuilder::new(&spec);
    b.header(&HEADER).unwrap().mti("0200").unwrap();
    b.set(3, "000000").unwrap().set(4, "000000001000").unwrap();
    b.sign(&mak()).unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(&spec, &wire).unwrap();
    assert_eq!(view.mac_input().unwrap().as_ref(), &wire[..wire.len() - 8]);
    let mac = SoftwareMac::from_hex(MacAlgorithm::CupEcb, MAK_HEX).unwrap();
    let scope = 0..wire.len() - 8;
    flip_every_byte(&spec, &wire, &mac, &[scope], &[]);
}

#[test]
fn a_field_list_scope_covers_only_the_listed_values() {
    let spec = ascii_bin_with(
        "field = 64\nalgorithm = \"iso9797-1-alg1\"\nscope = \"fields\"\nmti = true\n\
         fields = [2, 4, 11, 41]\nseparator = \" \"",
    );
    let mut b = generic_purchase(&spec);
    b.sign(&mak()).unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(&spec, &wire).unwrap();
    assert_eq!(
        view.mac_input().unwrap().as_ref(),
        b"0200 4761739001010119 000000002500 000042 TERM0001"
    );
    let range = |n: u16| {
        let f = view.field(n).unwrap();
        f.offset()..f.offset() + f.raw().len()
    };
    let scope = [0..4, range(2), range(4), range(11), range(41)];
    // The bitmap and DE 2's length prefix change the layout when flipped: left out here.
    let skip = [4..12, range(2).start - 2..range(2).start];
    let mac = SoftwareMac::from_hex(
        MacAlgorithm::from_name("iso9797-1-alg1", 1).unwrap(),
        MAK_HEX,
    )
    .unwrap();
    let caught = flip_every_byte(&spec, &wire, &mac, &scope, &skip);
    assert!(caught >= 4 + 16 + 12 + 6, "{caught}");
}

#[test]
fn a_filtered_field_list_upper_cases_and_drops_other_characters() {
    let spec = ascii_bin_with(
        "field = 64\nalgorithm = \"iso9797-1-alg3\"\nscope = \"fields\"\nmti = true\n\
         fields = [41, 43]\nseparator = \" \"\nfilter = true",
    );
    let mut b = generic_purchase(&spec);
    b.set(43, "Cafe-Bar  Main St.; Springfield    US").unwrap();
    b.sign(&mak()).unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(&spec, &wire).unwrap();
    assert_eq!(
        view.mac_input().unwrap().as_ref(),
        b"0200 TERM0001 CAFEBAR MAIN ST. SPRINGFIELD US"
    );
    view.verify_mac(&mak()).unwrap();
}

#[test]
fn aes_cmac_is_cut_to_the_field_and_128_carries_it_after_secondary_fields() {
    let aes = AesKey::from_hex("2B7E151628AED2A6ABF7158809CF4F3C").unwrap();
    let spec = ascii_bin_with("field = 128\nalgorithm = \"aes-cmac\"");
    let mut b = generic_purchase(&spec);
    b.set(102, "1234567890").unwrap();
    b.sign(&aes).unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(&spec, &wire).unwrap();
    assert!(view.bitmap().is_set(128) && view.bitmap().is_set(1));
    let full = SoftwareMac::with_key(MacAlgorithm::AesCmac, (&aes).into())
        .unwrap()
        .mac(&wire[..wire.len() - 8])
        .unwrap();
    assert_eq!(full.len(), 16);
    assert_eq!(
        view.field(128).unwrap().raw(),
        &full[..8],
        "leftmost 8 bytes"
    );
    view.verify_mac(&aes).unwrap();
}

#[test]
fn hex_text_mac_fields_take_the_mac_as_hex_digits() {
    // iso87-ascii writes binary fields as hex text: DE 64 is 16 hex digits for 8 bytes.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/specs/iso87-ascii.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let spec = Spec::from_toml_str(
        &format!("{text}\n[mac]\nfield = 64\nalgorithm = \"iso9797-1-alg3\"\n"),
        "ascii.toml",
    )
    .unwrap();
    assert_eq!(spec.mac().unwrap().width(), 8);
    let mut b = generic_purchase(&spec);
    b.sign(&mak()).unwrap();
    let wire = b.encode_to_vec().unwrap();
    let tail = std::str::from_utf8(&wire[wire.len() - 16..]).unwrap();
    let mac = SoftwareMac::from_hex(spec.mac().unwrap().algorithm(), MAK_HEX).unwrap();
    let expect = mac.mac(&wire[..wire.len() - 16]).unwrap();
    let expect: String = expect.iter().map(|b| format!("{b:02X}")).collect();
    assert_eq!(tail, expect);
    MessageView::decode(&spec, &wire)
        .unwrap()
        .verify_mac(&mak())
        .unwrap();
}

#[test]
fn an_hsm_signs_through_prepare_mac_and_set_mac_to_the_same_bytes() {
    let mut by_key = cup_purchase();
    by_key.sign(&mak()).unwrap();
    let mut by_hsm = cup_purchase();
    let data = by_hsm.prepare_mac().unwrap();
    let hsm = SoftwareMac::from_hex(MacAlgorithm::CupEcb, MAK_HEX).unwrap();
    by_hsm.set_mac(&hsm.mac(&data).unwrap()).unwrap();
    assert_eq!(
        by_key.encode_to_vec().unwrap(),
        by_hsm.encode_to_vec().unwrap()
    );
    // sign_with takes the HSM as a `dyn Mac`.
    let mut with = cup_purchase();
    with.sign_with(&hsm).unwrap();
    assert_eq!(
        with.encode_to_vec().unwrap(),
        by_key.encode_to_vec().unwrap()
    );
}

#[test]
fn refusals_name_what_is_wrong() {
    // A MAC of another algorithm than the spec's.
    let mut b = cup_purchase();
    let x919 = SoftwareMac::from_hex(
        MacAlgorithm::from_name("iso9797-1-alg3", 1).unwrap(),
        MAK_HEX,
    )
    .unwrap();
    assert_eq!(
        b.sign_with(&x919).unwrap_err(),
        SecurityError::AlgorithmMismatch {
            spec: "cup-ecb",
            given: "iso9797-1-alg3"
        }
    );
    // A spec without [mac].
    let plain = Spec::builtin("iso87-ascii-bin").unwrap();
    let mut g = generic_purchase(&plain);
    assert_eq!(
        g.sign(&mak()).unwrap_err(),
        SecurityError::Scope(MacScopeError::NoMacSetting)
    );
    // DE 64 with a field after it.
    let spec = generic_with_mac("");
    let mut g = generic_purchase(&spec);
    g.set(102, "1234567890").unwrap();
    assert_eq!(
        g.sign(&mak()).unwrap_err(),
        SecurityError::Scope(MacScopeError::FieldAfterMac {
            field: 64,
            after: 102
        })
    );
    // A message without its MAC.
    let mut g = generic_purchase(&spec);
    let wire = g.encode_to_vec().unwrap();
    assert_eq!(
        MessageView::decode(&spec, &wire)
            .unwrap()
            .verify_mac(&mak()),
        Err(SecurityError::Scope(MacScopeError::MacFieldAbsent {
            field: 64
        }))
    );
    // A key of the wrong length for the spec's algorithm.
    let single = TdesKey::from_hex("0123456789ABCDEF").unwrap();
    assert!(matches!(
        g.sign(&single).unwrap_err(),
        SecurityError::KeyLength { got: 8, .. }
    ));
}

#[test]
fn bad_mac_sections_are_refused_at_load_naming_the_setting() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/specs/iso87-ascii-bin.toml");
    let text = std::fs::read_to_string(path).unwrap();
    for (mac, needle) in [
        (
            "field = 63\nalgorithm = \"cup-ecb\"",
            "mac.field: 63 is not 64 or 128",
        ),
        (
            "field = 64\nalgorithm = \"hmac\"",
            "mac.algorithm: \"hmac\" is not",
        ),
        (
            "field = 64\nalgorithm = \"iso9797-1-alg1\"\npadding = 3",
            "mac.padding: 3 is not 1 or 2",
        ),
        (
            "field = 64\nalgorithm = \"cup-ecb\"\nscope = \"all\"",
            "mac.scope: \"all\" is not",
        ),
        (
            "field = 64\nalgorithm = \"cup-ecb\"\nfields = [2]",
            "mac.scope: fields, mti",
        ),
        (
            "field = 64\nalgorithm = \"cup-ecb\"\nscope = \"fields\"",
            "mac.fields: scope \"fields\" needs",
        ),
        (
            "field = 64\nalgorithm = \"cup-ecb\"\nscope = \"fields\"\nfields = [64]",
            "mac.fields: 64 is not",
        ),
        (
            "field = 64\nalgorithm = \"cup-ecb\"\nscope = \"fields\"\nfields = [2]\nseparator = \"ab\"",
            "mac.separator",
        ),
        (
            "field = 64\nalgorithm = \"cup-ecb\"\nkey = \"00\"",
            "unknown field `key`",
        ),
    ] {
        let err = Spec::from_toml_str(&format!("{text}\n[mac]\n{mac}\n"), "x.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{mac:?}: {err}");
        assert!(err.starts_with("x.toml"), "{err}");
    }
    // A MAC field wider than the algorithm's MAC, and one that is not fixed binary.
    let wide = text.replace(
        "64 = { name = \"MAC\", class = \"b\", length = 8 }",
        "64 = { name = \"MAC\", class = \"b\", length = 12 }",
    );
    let err = Spec::from_toml_str(
        &format!("{wide}\n[mac]\nfield = 64\nalgorithm = \"cup-ecb\"\n"),
        "w.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("field 64 holds 12 bytes; cup-ecb gives 8"),
        "{err}"
    );
    let text_mac = text.replace(
        "64 = { name = \"MAC\", class = \"b\", length = 8 }",
        "64 = { name = \"MAC\", class = \"an\", length = 8 }",
    );
    let err = Spec::from_toml_str(
        &format!("{text_mac}\n[mac]\nfield = 64\nalgorithm = \"cup-ecb\"\n"),
        "t.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("fixed-length binary field"), "{err}");
}

#[test]
fn no_key_shows_in_debug_display_or_errors() {
    let key = mak();
    let aes = AesKey::from_hex("2B7E151628AED2A6ABF7158809CF4F3C").unwrap();
    let mut b = cup_purchase();
    b.sign(&key).unwrap();
    let wire = b.encode_to_vec().unwrap();
    let view = MessageView::decode(b.spec(), &wire).unwrap();
    let mut tampered = wire.clone();
    tampered[30] ^= 1;
    let bad = MessageView::decode(b.spec(), &tampered)
        .unwrap()
        .verify_mac(&key)
        .unwrap_err();
    let software = SoftwareMac::from_hex(MacAlgorithm::CupEcb, MAK_HEX).unwrap();
    let mut renderings = vec![
        format!("{key:?}"),
        format!("{key:#?}"),
        format!("{aes:?}"),
        format!("{software:?}"),
        format!("{software:#?}"),
        format!("{:?}", iso8583_wire::security::MacKey::from(&key)),
        format!("{b:?}"),
        format!("{view:?}"),
        format!("{view}"),
        format!("{bad}"),
        format!("{bad:?}"),
        format!("{}", view.describe()),
    ];
    for e in [
        SoftwareMac::from_hex(
            MacAlgorithm::from_name("iso9797-1-alg3", 1).unwrap(),
            &MAK_HEX[..16],
        )
        .unwrap_err(),
        TdesKey::from_hex(&MAK_HEX[..30]).unwrap_err(),
        TdesKey::from_hex(&format!("{}G", &MAK_HEX[..31])).unwrap_err(),
        b.sign_with(&SoftwareMac::with_key(MacAlgorithm::AesCmac, (&aes).into()).unwrap())
            .unwrap_err(),
    ] {
        renderings.push(e.to_string());
        renderings.push(format!("{e:?}"));
    }
    for text in &renderings {
        let upper = text.to_uppercase().replace([' ', ',', '[', ']'], "");
        for secret in [
            "0123456789ABCDEF",
            "FEDCBA9876543210",
            "2B7E151628AED2A6",
            "ABF7158809CF4F3C",
        ] {
            assert!(!upper.contains(secret), "a key shows in {text}");
        }
        // Nor as decimal byte lists ([1, 35, 69, ...]).
        assert!(!text.contains("1, 35, 69, 103"), "{text}");
    }
    let _: &MacSpec = b.spec().mac().unwrap();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    /// Random cup-pos purchases: signing then verifying passes, and any one changed byte
    /// between the MTI and DE 64 fails verification (or no longer decodes).
    #[test]
    fn random_messages_verify_and_any_changed_byte_in_scope_fails(
        amount in 0u64..1_000_000_000_000,
        stan in 1u32..999_999,
        pan in "[0-9]{13,19}",
        tid in "[A-Z0-9]{8}",
        flip in 0usize..4096,
        mask in 1u8..=255,
    ) {
        let spec = Spec::builtin("cup-pos").unwrap();
        let mut b = MessageBuilder::new(&spec);
        b.header(&HEADER).unwrap().mti("0200").unwrap();
        b.set(2, pan.clone()).unwrap()
            .set(3, "000000").unwrap()
            .set(4, format!("{amount:012}")).unwrap()
            .set(11, format!("{stan:06}")).unwrap()
            .set(41, tid.clone()).unwrap();
        b.sign(&mak()).unwrap();
        let wire = b.encode_to_vec().unwrap();
        let view = MessageView::decode(&spec, &wire).unwrap();
        proptest::prop_assert_eq!(view.verify_mac(&mak()), Ok(()));
        let at = 11 + flip % (wire.len() - 8 - 11);
        let mut changed = wire.clone();
        changed[at] ^= mask;
        if let Ok(v) = MessageView::decode(&spec, &changed) {
            proptest::prop_assert!(v.verify_mac(&mak()).is_err(), "byte {} changed by {:#x}", at, mask);
        }
    }
}
