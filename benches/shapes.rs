//! Decoding one field of each spec shape for bent dialects, next to the standard shape it
//! bends: a sign before packed digits (jPOS `IFB_AMOUNT`) beside an ASCII `x+n` amount, and
//! a bitmapped DE 48 with a header ahead of its bitmap beside the same layout without one.
//! Each iteration decodes the message and reads the field's text (every subfield's, for
//! DE 48).
//!
//! `cargo bench --bench shapes`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iso8583_wire::{MessageView, Spec};

fn spec(fields: &str) -> Spec {
    Spec::from_toml_str(
        &format!("name = 'bench'\n[message]\nmti = 'ascii'\nbitmap = 'hex'\n[fields]\n{fields}"),
        "bench.toml",
    )
    .expect("bench spec loads")
}

/// MTI 0200, a hex bitmap with only `field`, then `data`.
fn message(field: u16, data: &[u8]) -> Vec<u8> {
    let mut bits = [0u8; 8];
    let i = usize::from(field - 1);
    bits[i / 8] |= 0x80 >> (i % 8);
    let mut w = b"0200".to_vec();
    for b in bits {
        w.extend(format!("{b:02X}").bytes());
    }
    w.extend(data);
    w
}

/// DE 48: bitmapped, subfields 2 (ans 8) and 3 (LL n..6), with a 4-character header when
/// `header`.
fn private_spec(header: bool) -> Spec {
    let head = if header {
        "  { number = 0, name = 'Version', class = 'an', length = 4 },\n"
    } else {
        ""
    };
    spec(&format!(
        "[fields.48]\nname = 'Private'\nclass = 'ans'\nprefix = 'LLL'\nmax = 999\n\
         subfields = 'bitmapped'\nparts = [\n{head}\
           {{ number = 2, name = 'Terminal', class = 'ans', length = 8 }},\n\
           {{ number = 3, name = 'Batch', class = 'n', prefix = 'LL', max = 6 }},\n]\n"
    ))
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("shapes");
    let mut text = [0u8; 64];

    let amounts = [
        (
            "x+n ascii (D00001234)",
            spec("28 = { name = 'Fee', class = 'x+n', length = 9 }\n"),
            message(28, b"D00001234"),
        ),
        (
            "sign + packed digits (D 00 00 12 34)",
            spec("28 = { name = 'Fee', class = 'x+n', encoding = 'bcd', length = 9 }\n"),
            message(28, &[b'D', 0x00, 0x00, 0x12, 0x34]),
        ),
    ];
    for (name, spec, wire) in &amounts {
        let view = MessageView::decode(spec, wire).expect("decodes");
        assert_eq!(view.field(28).expect("DE 28").clear_string(), "D00001234");
        g.bench_function(format!("decode + read DE 28, {name}"), |b| {
            b.iter(|| {
                let view = MessageView::decode(spec, black_box(wire)).expect("decodes");
                view.field(28)
                    .and_then(|f| f.chars().write_into(&mut text))
                    .expect("DE 28")
            })
        });
    }

    let privates = [
        (
            "bitmapped",
            private_spec(false),
            message(48, b"0306000000000000000TERM0001041234"),
        ),
        (
            "header + bitmapped",
            private_spec(true),
            message(48, b"034V0026000000000000000TERM0001041234"),
        ),
    ];
    for (name, spec, wire) in &privates {
        assert!(MessageView::decode(spec, wire).is_ok(), "{name}");
        g.bench_function(format!("decode + walk DE 48, {name}"), |b| {
            b.iter(|| {
                let view = MessageView::decode(spec, black_box(wire)).expect("decodes");
                let mut n = 0;
                for sub in view.subfields(48).expect("DE 48").expect("layout") {
                    let sub = sub.expect("subfield");
                    for (slot, ch) in text.iter_mut().zip(sub.chars()) {
                        *slot = ch;
                        n += 1;
                    }
                }
                n
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
