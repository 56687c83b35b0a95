//! Every shared reference vector decodes to its MTI and field values and re-encodes to its bytes,
//! both from the decoded view and from the field values alone.

mod common;

use common::{hex, unhex, vectors};
use iso8583_wire::{MessageBuilder, MessageView, Spec};

fn check(file: &str, spec_name: &str) {
    let spec = Spec::builtin(spec_name).unwrap();
    let all = vectors(file);
    assert!(all.len() >= 300, "{file}: {} vectors", all.len());
    for v in &all {
        let wire = unhex(&v.hex);
        let msg = MessageView::decode(&spec, &wire)
            .unwrap_or_else(|e| panic!("{file} #{}: {e}", v.index));
        assert_eq!(msg.mti().as_str(), v.mti, "{file} #{}", v.index);
        let got: Vec<(u16, String)> = msg
            .fields()
            .map(|f| (f.number(), f.clear().to_string()))
            .collect();
        let want: Vec<(u16, String)> = v.fields.iter().map(|(k, s)| (*k, s.clone())).collect();
        assert_eq!(got, want, "{file} #{}", v.index);

        // Re-encode from the view (wire copies) ...
        let again = MessageBuilder::from_view(&msg).encode_to_vec().unwrap();
        assert_eq!(
            hex(&again),
            v.hex,
            "{file} #{} re-encode from view",
            v.index
        );

        // ... and from the expected values alone, as an independent encoder would.
        let mut b = MessageBuilder::new(&spec);
        b.mti(&v.mti).unwrap();
        for (n, value) in &v.fields {
            b.set(*n, value.as_str())
                .unwrap_or_else(|e| panic!("{file} #{}: {e}", v.index));
        }
        let built = b.encode_to_vec().unwrap();
        assert_eq!(hex(&built), v.hex, "{file} #{} encode from values", v.index);
        assert_eq!(b.encoded_len().unwrap(), built.len());

        // `build` gives the message decoding those bytes gives, without decoding them.
        let what = format!("{file} #{} build", v.index);
        common::assert_built_as_decoded(&spec, &b.build().unwrap(), &built, &what);
    }
}

#[test]
fn iso87_ascii_vectors_round_trip() {
    check("iso87-ascii.jsonl", "iso87-ascii");
}

#[test]
fn iso87_ascii_bin_vectors_round_trip() {
    check("iso87-ascii-bin.jsonl", "iso87-ascii-bin");
}

#[test]
fn iso87_bcd_vectors_round_trip() {
    check("iso87-bcd.jsonl", "iso87-bcd");
}
