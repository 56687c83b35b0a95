//! The `security` module (feature `crypto`).
//!
//! Groups:
//! - `mac/x9.19` and `mac/aes-cmac`: the MAC of the 212-byte `iso87-ascii-bin` purchase (the
//!   codec benches' message), `Throughput::Bytes`; `mac/cup-ecb` the same bytes.
//! - `message_mac/sign` and `message_mac/verify`: signing (MAC field placed, bytes found,
//!   X9.19, MAC written) and verifying the purchase by a `[mac]` section (DE 64, from the MTI).
//! - `pin_block/format0` (clear block and TDES encipherment) and `pin_block/format4` (AES-128,
//!   with its random fill).
//! - `dukpt/tdes/typical` and `dukpt/tdes/worst`: IPEK to PIN key at counter 1000 (six
//!   one-bits) and at 0x1FF800 (ten, the most a TDES counter may have);
//!   `dukpt/aes128/typical` and `dukpt/aes128/worst`: initial key to PIN key at counter 1000
//!   and at 0xFFFF0000 (sixteen one-bits, the AES maximum).
//!
//! Run: `cargo bench --features crypto --bench security`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iso8583_wire::security::dukpt::{self, AesKeyType, AesKeyUsage, AesKsn, Ksn, TdesKeyUsage};
use iso8583_wire::security::pin::{self, PinKey};
use iso8583_wire::security::{
    AesKey, Pin, PinBlockEncryptor, PinBlockFormat, SignMessage, SoftwarePinBlock, TdesKey,
    VerifyMessage, mac,
};
use iso8583_wire::{MessageBuilder, MessageView, Spec};

#[path = "common/purchase.rs"]
mod purchase;
use purchase::{fill, purchase};

#[path = "common/group.rs"]
mod group;
use group::group;

fn purchase_wire(spec: &Spec) -> Vec<u8> {
    let (mti, fields) = purchase("iso87-ascii-bin", None);
    let mut b = MessageBuilder::new(spec);
    fill(&mut b, mti, &fields);
    b.encode_to_vec().expect("the purchase encodes")
}

fn bench_mac(c: &mut Criterion) {
    let spec = Spec::builtin("iso87-ascii-bin").expect("bundled");
    let wire = purchase_wire(&spec);
    assert_eq!(wire.len(), 212, "the codec benches' purchase");
    let tdes = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210").expect("key");
    let aes = AesKey::from_hex("2B7E151628AED2A6ABF7158809CF4F3C").expect("key");
    let mut g = group(c, "mac");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.bench_function("x9.19", |b| {
        b.iter(|| mac::iso9797_alg3(&tdes, black_box(&wire), mac::Padding::Method1))
    });
    g.bench_function("aes-cmac", |b| {
        b.iter(|| mac::aes_cmac(&aes, black_box(&wire)))
    });
    g.bench_function("cup-ecb", |b| {
        b.iter(|| mac::cup_ecb(&tdes, black_box(&wire)))
    });
    g.finish();
}

fn bench_message_mac(c: &mut Criterion) {
    let text = include_str!("../specs/iso87-ascii-bin.toml");
    let spec = Spec::from_toml_str(
        &format!("{text}\n[mac]\nfield = 64\nalgorithm = \"iso9797-1-alg3\"\n"),
        "bench.toml",
    )
    .expect("spec with [mac]");
    let (mti, fields) = purchase("iso87-ascii-bin", None);
    let key = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210").expect("key");
    let mut b = MessageBuilder::new(&spec);
    fill(&mut b, mti, &fields);
    let mut signed = b.clone();
    signed.sign(&key).expect("signs");
    let wire = signed.encode_to_vec().expect("encodes");
    let mut g = group(c, "message_mac");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.bench_function("sign", |bench| {
        bench.iter(|| {
            let mut m = b.clone();
            m.sign(&key).expect("signs");
            black_box(m.encode_to_vec().expect("encodes"))
        })
    });
    g.bench_function("verify", |bench| {
        bench.iter(|| {
            let view = MessageView::decode(&spec, black_box(&wire)).expect("decodes");
            view.verify_mac(&key).expect("verifies")
        })
    });
    g.finish();
}

fn bench_pin_block(c: &mut Criterion) {
    let pin = Pin::new("1234").expect("pin");
    let pan = "4761739001010119";
    let tdes = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210").expect("key");
    let aes = AesKey::from_hex("2B7E151628AED2A6ABF7158809CF4F3C").expect("key");
    let f0 = SoftwarePinBlock::new(PinBlockFormat::Iso0, PinKey::Tdes(tdes)).expect("format 0");
    let f4 = SoftwarePinBlock::new(PinBlockFormat::Iso4, PinKey::Aes(aes)).expect("format 4");
    let mut g = group(c, "pin_block");
    g.bench_function("format0/clear", |b| {
        b.iter(|| pin::encode_iso0(black_box(&pin), black_box(pan)))
    });
    g.bench_function("format0/tdes", |b| {
        b.iter(|| f0.encrypt_pin(black_box(&pin), Some(pan)))
    });
    g.bench_function("format4/aes128", |b| {
        b.iter(|| f4.encrypt_pin(black_box(&pin), Some(pan)))
    });
    g.finish();
}

fn bench_dukpt(c: &mut Criterion) {
    let bdk = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210").expect("key");
    let ksn = Ksn::from_hex("FFFF9876543210E00000").expect("ksn");
    let ipek = dukpt::tdes_ipek(&bdk, &ksn).expect("ipek");
    let abdk = AesKey::from_hex("FEDCBA9876543210F1F1F1F1F1F1F1F1").expect("key");
    let aksn = AesKsn::from_hex("123456789012345600000001").expect("ksn");
    let initial = dukpt::aes_initial_key(&abdk, &aksn.initial_key_id()).expect("initial key");
    let mut g = group(c, "dukpt");
    for (name, counter) in [("typical", 1000u32), ("worst", 0x1F_F800)] {
        let ksn = ksn.with_counter(counter);
        g.bench_function(format!("tdes/{name}"), |b| {
            b.iter(|| {
                let current = dukpt::tdes_current_key(&ipek, black_box(&ksn)).expect("counter");
                dukpt::tdes_working_key(&current, TdesKeyUsage::Pin).expect("pin key")
            })
        });
    }
    for (name, counter) in [("typical", 1000u32), ("worst", 0xFFFF_0000)] {
        let ksn = aksn.with_counter(counter);
        g.bench_function(format!("aes128/{name}"), |b| {
            b.iter(|| {
                let d = dukpt::aes_derivation_key(&initial, black_box(&ksn)).expect("counter");
                dukpt::aes_working_key(&d, &ksn, AesKeyUsage::PinEncryption, AesKeyType::Aes128)
                    .expect("pin key")
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_mac,
    bench_message_mac,
    bench_pin_block,
    bench_dukpt
);
criterion_main!(benches);
