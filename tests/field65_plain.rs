//! In a spec without a tertiary bitmap, field 65 is an ordinary data element: setting it must
//! not make the encoder reserve room for a third bitmap.

use iso8583_wire::{MessageBuilder, MessageView, Spec};

const SPEC: &str = r#"
name = "two-maps"
[message]
mti = "ascii"
bitmap = "hex"
tertiary_bitmap = false
[fields]
3 = { name = "Processing code", class = "n", length = 6 }
65 = { name = "Settlement code", class = "n", length = 1 }
70 = { name = "Network management code", class = "n", length = 3 }
"#;

#[test]
fn field_65_is_data_without_a_tertiary_bitmap() {
    let spec = Spec::from_toml_str(SPEC, "two-maps").unwrap();
    let mut b = MessageBuilder::new(&spec);
    b.mti("0800")
        .unwrap()
        .set(3, "990000")
        .unwrap()
        .set(65, "1")
        .unwrap()
        .set(70, "301")
        .unwrap();
    let wire = b.encode_to_vec().unwrap();
    // MTI + two hex bitmaps + 6 + 1 + 3 bytes of data.
    assert_eq!(b.encoded_len().unwrap(), 4 + 32 + 10);
    assert_eq!(wire.len(), 4 + 32 + 10);
    let view = MessageView::decode(&spec, &wire).unwrap();
    assert_eq!(view.str(65), Some("1"));
    assert_eq!(view.str(70), Some("301"));
    let fields: Vec<u16> = view.fields().map(|f| f.number()).collect();
    assert_eq!(fields, [3, 65, 70]);
}
