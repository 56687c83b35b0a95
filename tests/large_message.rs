//! Messages longer than 64 KiB: field offsets past 65,535 are kept exactly, for whole-buffer
//! and prefix decoding (a guard for any narrowing of the decoder's offset table).

use iso8583_wire::{MessageBuilder, MessageView, Spec};

const SPEC: &str = r#"
name = "big-fields"
[message]
mti = "ascii"
bitmap = "binary"
[fields]
2 = { name = "Small before", class = "n", length = 6 }
3 = { name = "Bulk A", class = "ans", prefix = "LLLLL", max = 40000 }
4 = { name = "Bulk B", class = "ans", prefix = "LLLLL", max = 40000 }
5 = { name = "Small between", class = "n", prefix = "LL", max = 19 }
70 = { name = "Bulk C", class = "ans", prefix = "LLLLL", max = 40000 }
71 = { name = "Small after", class = "an", length = 4 }
"#;

fn bulk(c: char, n: usize) -> String {
    c.to_string().repeat(n)
}

#[test]
fn fields_past_64_kib_decode_to_their_values_and_re_encode() {
    let spec = Spec::from_toml_str(SPEC, "big-fields.toml").unwrap();
    let (a, b, c) = (bulk('A', 39_000), bulk('B', 38_000), bulk('C', 1_000));
    let mut builder = MessageBuilder::new(&spec);
    builder.mti("0200").unwrap();
    builder.set(2, "123456").unwrap();
    builder.set(3, a.as_str()).unwrap();
    builder.set(4, b.as_str()).unwrap();
    builder.set(5, "4761739001010119").unwrap();
    builder.set(70, c.as_str()).unwrap();
    builder.set(71, "AB12").unwrap();
    let wire = builder.encode_to_vec().unwrap();
    assert!(wire.len() > 78_000);

    let view = MessageView::decode(&spec, &wire).unwrap();
    assert_eq!(view.str(2), Some("123456"));
    assert_eq!(view.str(3), Some(a.as_str()));
    assert_eq!(view.str(4), Some(b.as_str()));
    assert_eq!(view.str(5), Some("4761739001010119"));
    assert_eq!(view.str(70), Some(c.as_str()));
    assert_eq!(view.str(71), Some("AB12"));
    // Offsets: MTI 4, two binary bitmaps 16, DE 2 (6), DE 3 (5 + 39,000), DE 4's prefix.
    let de4 = 4 + 16 + 6 + 5 + 39_000 + 5;
    assert!(de4 < 65_536);
    assert_eq!(view.field(4).unwrap().offset(), de4);
    let de5 = de4 + 38_000 + 2;
    assert!(de5 > 65_535);
    assert_eq!(view.field(5).unwrap().offset(), de5);
    assert_eq!(view.field(71).unwrap().offset(), wire.len() - 4);
    let numbers: Vec<u16> = view.fields().map(|f| f.number()).collect();
    assert_eq!(numbers, [2, 3, 4, 5, 70, 71]);
    assert_eq!(
        MessageBuilder::from_view(&view).encode_to_vec().unwrap(),
        wire
    );

    // The same message followed by another one, decoded from the front.
    let mut two = wire.clone();
    two.extend_from_slice(&wire);
    let first = MessageView::decode_prefix(&spec, &two).unwrap();
    assert_eq!(first.encoded_len(), wire.len());
    assert_eq!(first.str(71), Some("AB12"));
    let second = MessageView::decode_prefix(&spec, &two[wire.len()..]).unwrap();
    assert_eq!(second.str(5), Some("4761739001010119"));
}
