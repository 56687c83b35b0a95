//! Spec shapes for real-world dialects: a pad nibble that may be either 0 or F on decode.

use iso8583_wire::{DecodeErrorKind, MessageBuilder, MessageView, Spec};

fn spec(extra: &str) -> Spec {
    Spec::from_toml_str(
        &format!(
            "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n\
             2 = {{ name = 'PAN', class = 'n', prefix = 'LL', max = 19, encoding = 'bcd', \
             prefix_encoding = 'bcd', bcd_pad = 'right-F'{extra} }}\n"
        ),
        "x.toml",
    )
    .unwrap()
}

/// MTI 0200, bitmap with DE 2, DE 2 = 15 digits padded on the right with `pad`.
fn wire(pad: u8) -> Vec<u8> {
    let mut w = b"0200".to_vec();
    w.extend([0x40, 0, 0, 0, 0, 0, 0, 0]);
    w.extend([0x15, 0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x10 | pad]);
    w
}

#[test]
fn either_pad_nibble_is_accepted_on_decode_and_kept_on_re_encode() {
    let strict = spec("");
    let err = MessageView::decode(&strict, &wire(0x0)).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::BadPadNibble);
    assert_eq!(err.offset, 12 + 8);

    let either = spec(", bcd_pad_either = true");
    assert!(either.field(2).unwrap().accepts_either_pad());
    for pad in [0x0, 0xF] {
        let w = wire(pad);
        let view = MessageView::decode(&either, &w).unwrap();
        assert_eq!(view.field(2).unwrap().clear_string(), "476173900101011");
        let again = MessageBuilder::from_view(&view).encode_to_vec().unwrap();
        assert_eq!(again, w, "pad {pad:X}");
    }
    // Any other nibble is still refused.
    let err = MessageView::decode(&either, &wire(0x5)).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::BadPadNibble);
    // A value set by hand is written with the spec's nibble.
    let mut b = MessageBuilder::new(&either);
    b.mti("0200").unwrap();
    b.set(2, "476173900101011").unwrap();
    assert_eq!(b.encode_to_vec().unwrap(), wire(0xF));
    // The setting survives the TOML round trip and is refused where there is no pad nibble.
    let text = either.to_toml().unwrap();
    assert!(text.contains("bcd_pad_either = true"), "{text}");
    let err = Spec::from_toml_str(
        "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n\
         3 = { name = 'p', class = 'n', length = 6, bcd_pad_either = true }\n",
        "y.toml",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "y.toml: field 3: bcd_pad_either: only packed (bcd) fields have a pad nibble"
    );
}
