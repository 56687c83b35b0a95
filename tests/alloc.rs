//! Decoding allocates nothing; neither does encoding into a reused buffer.
//! A counting global allocator makes this deterministic.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{unhex, vectors};
use iso8583_wire::message::SubValue;
use iso8583_wire::{MessageBuilder, MessageView, Spec};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCS.load(Ordering::SeqCst);
    let r = f();
    (ALLOCS.load(Ordering::SeqCst) - before, r)
}

// One test function so no other test thread allocates while we count.
#[test]
fn decode_and_reused_encode_allocate_nothing() {
    for (file, name) in [
        ("iso87-ascii.jsonl", "iso87-ascii"),
        ("iso87-ascii-bin.jsonl", "iso87-ascii-bin"),
        ("iso87-bcd.jsonl", "iso87-bcd"),
    ] {
        let spec = Spec::builtin(name).unwrap();
        let wires: Vec<Vec<u8>> = vectors(file).iter().map(|v| unhex(&v.hex)).collect();
        let mut out = vec![0u8; 4096];
        let mut text = [0u8; 1024];
        let mut builder = MessageBuilder::new(&spec);
        for wire in &wires {
            // Decode, then read every field in every typed way.
            let (n, digest) = allocations(|| {
                let view = MessageView::decode(&spec, wire).unwrap();
                let mut digest = 0usize;
                for f in view.fields() {
                    digest += f.chars().map(usize::from).sum::<usize>();
                    digest += f.text_into(&mut text).map_or(0, str::len);
                    digest += f.to_u64().map_or(0, |v| v as usize % 7);
                    digest += f.to_small().map_or(0, |s| s.as_str().len());
                }
                digest
            });
            assert_eq!(n, 0, "{name}: decode + field reads allocated");
            assert!(digest > 0);

            // Refill a reused builder from the view and encode into a reused buffer.
            let view = MessageView::decode(&spec, wire).unwrap();
            builder.clear();
            builder.set_mti(view.mti());
            for f in view.fields() {
                builder.set(f.number(), f).unwrap();
            }
            let _ = builder.encode_into(&mut out).unwrap(); // warm-up
            let (n, len) = allocations(|| {
                builder.clear();
                builder.set_mti(view.mti());
                for f in view.fields() {
                    builder.set(f.number(), f).unwrap();
                }
                builder.encode_into(&mut out).unwrap()
            });
            assert_eq!(n, 0, "{name}: reused encode allocated");
            assert_eq!(&out[..len], wire.as_slice());
        }
    }

    // Walking EMV data in a binary DE 55, and reading positional subfields, allocate nothing.
    let spec = Spec::builtin("cup-pos").unwrap();
    let mut b = MessageBuilder::new(&spec);
    let parts: Vec<(String, SubValue)> = [
        ("9F26", "0102030405060708"),
        ("9F27", "80"),
        ("95", "0000000000"),
        ("9F02", "000000002500"),
    ]
    .iter()
    .map(|(t, v)| (t.to_string(), SubValue::from(*v)))
    .collect();
    b.header(&[0; 11])
        .unwrap()
        .mti("0200")
        .unwrap()
        .set_subfields(55, &parts)
        .unwrap();
    let de60: Vec<(String, SubValue)> = [("1", "22"), ("2", "000001"), ("3", "000")]
        .iter()
        .map(|(k, v)| (k.to_string(), SubValue::from(*v)))
        .collect();
    b.set_subfields(60, &de60).unwrap();
    let wire = b.encode_to_vec().unwrap();
    let (n, sum) = allocations(|| {
        let view = MessageView::decode(&spec, &wire).unwrap();
        let tags: usize = view
            .subfields(55)
            .unwrap()
            .unwrap()
            .map(|s| s.unwrap().len())
            .sum();
        let amount = view.subfield("55.9F02").unwrap().unwrap().to_u64().unwrap();
        let batch = view.subfield("60.2").unwrap().unwrap().to_u64().unwrap();
        tags + amount as usize + batch as usize
    });
    assert_eq!(n, 0, "TLV walk and positional subfields allocated");
    assert_eq!(sum, 16 + 2 + 10 + 12 + 2500 + 1);

    // Short values formatted on the stack and set with `set_copied` are kept in the builder:
    // building and encoding a purchase from them allocates nothing once the builder is warm.
    let spec = Spec::builtin("iso87-ascii-bin").unwrap();
    let mut b = MessageBuilder::new(&spec);
    let mut out = vec![0u8; 512];
    let mut build = |b: &mut MessageBuilder<'_>, stan: u32, amount: u64| {
        let mut digits = [0u8; 12];
        b.clear();
        b.mti("0200").unwrap();
        b.set_copied(2, "4761739001010119").unwrap();
        b.set_copied(3, "000000").unwrap();
        for (n, value, width) in [(4u16, amount, 12usize), (11, u64::from(stan), 6)] {
            let field = &mut digits[..width];
            let mut v = value;
            for slot in field.iter_mut().rev() {
                *slot = b'0' + (v % 10) as u8;
                v /= 10;
            }
            b.set_copied(n, std::str::from_utf8(field).unwrap())
                .unwrap();
        }
        b.set_copied(41, "TERM0001").unwrap();
        b.set_copied(42, "MERCHANT0000001").unwrap();
        b.encode_into(&mut out).unwrap()
    };
    let _ = build(&mut b, 1, 100); // warm-up: the entry list grows once
    let (n, len) = allocations(|| build(&mut b, 42, 2500));
    assert_eq!(n, 0, "set_copied of short values allocated");
    let view = MessageView::decode(&spec, &out[..len]).unwrap();
    assert_eq!(view.field(4).and_then(|f| f.to_u64()), Some(2500));
    assert_eq!(view.str(11), Some("000042"));
}
