//! The tertiary bitmap: bit 65 announces fields 129..=192, whose bitmap sits where field 65
//! would, after field 64 and before field 66.

use iso8583_wire::{DecodeErrorKind, Location, MessageBuilder, MessageView, Spec};

const SPEC: &str = r#"
name = "three-maps"
[message]
mti = "ascii"
bitmap = "hex"
tertiary_bitmap = true
[fields]
3 = { name = "Processing code", class = "n", length = 6 }
64 = { name = "MAC", class = "b", length = 16, encoding = "hex" }
66 = { name = "Settlement code", class = "n", length = 1 }
130 = { name = "Private 130", class = "ans", prefix = "LL", max = 20 }
192 = { name = "MAC 3", class = "b", length = 16, encoding = "hex" }
"#;

#[test]
fn fields_above_128_use_the_tertiary_bitmap_at_field_65() {
    let spec = Spec::from_toml_str(SPEC, "three-maps.toml").unwrap();
    let mut b = MessageBuilder::new(&spec);
    b.mti("0200").unwrap();
    b.set(3, "000000").unwrap();
    b.set(64, "0102030405060708").unwrap();
    b.set(66, "1").unwrap();
    b.set(130, "hello").unwrap();
    b.set(192, "1112131415161718").unwrap();
    let wire = b.encode_to_vec().unwrap();
    let text = String::from_utf8(wire.clone()).unwrap();
    // MTI, primary (bits 1, 3, 64), secondary (bits 65, 66), then 3, 64, tertiary (130, 192), 66, 130, 192.
    let expected = [
        "0200",
        "A000000000000001",
        "C000000000000000",
        "000000",
        "0102030405060708",
        "4000000000000001",
        "1",
        "05hello",
        "1112131415161718",
    ]
    .concat();
    assert_eq!(text, expected);
    let view = MessageView::decode(&spec, &wire).unwrap();
    let got: Vec<(u16, String)> = view
        .fields()
        .map(|f| (f.number(), f.clear().to_string()))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "000000".into()),
            (64, "0102030405060708".into()),
            (66, "1".into()),
            (130, "hello".into()),
            (192, "1112131415161718".into())
        ]
    );
    assert!(view.bitmap().is_set(65) && !view.has(65));
    assert_eq!(
        MessageBuilder::from_view(&view).encode_to_vec().unwrap(),
        wire
    );

    // A truncated tertiary bitmap is reported at field 65.
    let cut = expected.find("4000000000000001").unwrap() + 5;
    let err = MessageView::decode(&spec, &wire[..cut]).unwrap_err();
    assert_eq!(err.location, Location::Field(65));
    assert!(
        matches!(err.kind, DecodeErrorKind::Truncated { .. }),
        "{err}"
    );
}
