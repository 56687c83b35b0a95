//! Harness functions shared by the `fuzz/` targets and the corpus-replay test.
//! Not part of the public API.

#![allow(clippy::panic)] // a broken invariant must crash the fuzzer

use crate::{MessageBuilder, MessageView, Spec};

/// Decodes `data` with the bundled spec `name`; an accepted message must re-encode to the same
/// bytes, and every field must be readable. Panics (for the fuzzer) when an invariant breaks.
pub fn decode_round_trip(name: &str, data: &[u8]) {
    let Ok(spec) = Spec::builtin(name) else {
        return;
    };
    let Ok(view) = MessageView::decode(&spec, data) else {
        return;
    };
    let mut text = [0u8; 2048];
    for f in view.fields() {
        let shown = f.text_into(&mut text).map(str::len);
        assert_eq!(shown, Some(f.len()), "field {} text length", f.number());
        let _ = f.to_u64();
    }
    let again = MessageBuilder::from_view(&view).encode_to_vec();
    assert_eq!(again.as_deref().ok(), Some(data), "re-encode differs");
    // Re-encoding through the text form must give the same bytes too.
    let mut b = MessageBuilder::new(&spec);
    b.set_mti(view.mti());
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
}
