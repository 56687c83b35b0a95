//! The POS flow builders: how long it takes a terminal to build (and encode) each message of a
//! purchase's life, per flow profile.
//!
//! Groups `flows/<profile>/<message>`, each building the message from the `FlowContext` and
//! encoding it into a reused buffer:
//! - `purchase`: card (chip on UnionPay, keyed otherwise), amount, time;
//! - `void`, `refund`: from the decoded original request and its approving response;
//! - `reversal`: from the decoded original request (timeout).
//!
//! Groups `journal/<profile>`, the terminal journal in memory (no file):
//! - `begin+response`: `Journal::begin` of the purchase (reads the request back and checks
//!   MTI, DE 3, 4, 11, 41, 42; strips the card data; seals the PAN with AES-256-GCM), then
//!   `on_response_message` (reads DE 39/37/38, keeps the response without card data), on a
//!   fresh signed-on journal each time;
//! - `original`: `Journal::original` of that purchase (unseals the PAN and re-encodes the
//!   request with it), what a reversal, void or refund starts from;
//! - `advice retry+deliver`: store-and-forward bookkeeping of one queued reversal advice:
//!   `next_advice`, `on_advice_sent`, `on_advice_response("91")` (retry), then the repeat
//!   (0421) answered `00`, on a fresh copy of the journal each time.
//!
//! Run: `cargo bench --bench flows`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use iso8583_wire::flows::journal::{
    Journal, JournalKey, NewTxn, ReversalReason, SoftwareKey, Stan, TxnKind,
};
use iso8583_wire::flows::{Card, FlowContext, FlowProfile, LocalTime, response_to};
use iso8583_wire::framing::{PosHeader, Tpdu};
use iso8583_wire::{MessageView, Spec};

#[path = "common/group.rs"]
mod group;
use group::group;

const NOW: LocalTime = LocalTime {
    month: 11,
    day: 22,
    hour: 9,
    minute: 30,
    second: 0,
};

fn context(spec: &str, profile: FlowProfile) -> FlowContext {
    let spec = Spec::builtin(spec).expect("bundled spec");
    let header = (spec.header_len() == PosHeader::LEN).then(|| PosHeader {
        tpdu: Tpdu::new(0x0003, 0x0000),
        app_type: 0x61,
        version: 0x31,
        terminal_status: 0,
        processing: 0,
        app_version: [0x31, 0x01, 0x02],
    });
    FlowContext {
        spec,
        profile,
        terminal_id: "TERM0001".into(),
        merchant_id: "123456789012345".into(),
        acquirer_id: Some("48020000".into()),
        header,
    }
}

/// A purchase of 25.00 with STAN `stan` and its approving response (DE 37 RRN, DE 38 auth
/// code), both encoded.
fn approved_purchase(ctx: &FlowContext, stan: Stan, card: &Card) -> (Vec<u8>, Vec<u8>) {
    let request = ctx
        .purchase(stan, 1, card, 2500, &NOW)
        .and_then(|b| Ok(b.encode_to_vec()?))
        .expect("purchase encodes");
    let view = MessageView::decode(&ctx.spec, &request).expect("purchase decodes");
    let mut rsp = response_to(&view, &ctx.profile, "00").expect("response builds");
    rsp.set(37, "332609000042")
        .and_then(|b| b.set(38, "A1B2C3"))
        .expect("RRN and auth code fit");
    let rsp = rsp.encode_to_vec().expect("response encodes");
    (request, rsp)
}

fn card(chip: bool) -> Card {
    if chip {
        Card::chip(
            "6222021234567890123",
            "2912",
            "001",
            vec![
                0x9F, 0x26, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x9F, 0x27, 0x01, 0x80, 0x9F, 0x36, 0x02,
                0x00, 0x2A,
            ],
        )
    } else {
        Card::keyed("4761739001010119", "2912")
    }
}

fn bench_flows(c: &mut Criterion) {
    let stan = Stan::new(42).expect("valid STAN");
    let follow = Stan::new(43).expect("valid STAN");
    for (spec, profile, chip) in [
        ("iso87-ascii-bin", FlowProfile::generic_1987(), false),
        ("cup-pos", FlowProfile::cup_pos(), true),
    ] {
        let name = profile.name.clone();
        let ctx = context(spec, profile);
        let card = card(chip);
        // The original purchase and an approving response with RRN and auth code.
        let (original, rsp) = approved_purchase(&ctx, stan, &card);
        let request = MessageView::decode(&ctx.spec, &original).expect("purchase decodes");
        let response = MessageView::decode(&ctx.spec, &rsp).expect("response decodes");

        let mut g = group(c, format!("flows/{name}"));
        let mut out = vec![0u8; 2048];
        g.bench_function("purchase", |b| {
            b.iter(|| {
                let m = ctx.purchase(stan, 1, black_box(&card), 2500, &NOW)?;
                Ok::<_, Box<dyn std::error::Error>>(m.encode_into(&mut out)?)
            })
        });
        g.bench_function("void", |b| {
            b.iter(|| {
                let m = ctx.void(follow, 1, black_box(&request), &response, &NOW)?;
                Ok::<_, Box<dyn std::error::Error>>(m.encode_into(&mut out)?)
            })
        });
        g.bench_function("refund", |b| {
            b.iter(|| {
                let m = ctx.refund(follow, 1, black_box(&request), &response, 1000, &NOW)?;
                Ok::<_, Box<dyn std::error::Error>>(m.encode_into(&mut out)?)
            })
        });
        g.bench_function("reversal", |b| {
            b.iter(|| {
                let m = ctx.reversal(
                    black_box(&request),
                    ReversalReason::Timeout,
                    Some("A1B2C3"),
                    false,
                    &NOW,
                )?;
                Ok::<_, Box<dyn std::error::Error>>(m.encode_into(&mut out)?)
            })
        });
        g.finish();
    }
}

fn bench_journal(c: &mut Criterion) {
    for (spec, profile, chip) in [
        ("iso87-ascii-bin", FlowProfile::generic_1987(), false),
        ("cup-pos", FlowProfile::cup_pos(), true),
    ] {
        let name = profile.name.clone();
        let ctx = context(spec, profile);
        let card = card(chip);
        let key: Arc<dyn JournalKey> = Arc::new(SoftwareKey::from_bytes(1, &[0x5a; 32]));
        let mut base = Journal::new(
            ctx.spec.clone(),
            key,
            ctx.terminal_id.as_str(),
            ctx.merchant_id.as_str(),
            ctx.profile.journal.clone(),
        );
        base.sign_on(Some(1)).expect("sign-on");
        let stan = base.peek_stan().expect("a free STAN");
        let (request, rsp) = approved_purchase(&ctx, stan, &card);
        let txn = NewTxn::new(
            TxnKind::Purchase,
            2500,
            ctx.terminal_id.as_str(),
            ctx.merchant_id.as_str(),
            ctx.profile.purchase.mti.as_str(),
        );
        let run = |j: &mut Journal| -> Result<(), Box<dyn std::error::Error>> {
            let t = j.begin(txn.clone(), |_| Ok::<_, std::io::Error>(request.clone()))?;
            j.on_response_message(t.stan, &rsp)?;
            Ok(())
        };
        let mut recorded = base.clone();
        run(&mut recorded).expect("the purchase is journaled");

        let mut queued = base.clone();
        let t = queued
            .begin(txn.clone(), |_| Ok::<_, std::io::Error>(request.clone()))
            .expect("the purchase is journaled");
        queued.on_timeout(t.stan).expect("timeout");
        queued
            .queue_reversal_advice(t.stan, 0)
            .expect("reversal advice queued");
        let saf = |j: &mut Journal| -> Result<(), Box<dyn std::error::Error>> {
            for code in ["91", "00"] {
                let job = j.next_advice().ok_or("queued")?;
                j.on_advice_sent(job.stan)?;
                j.on_advice_response(job.stan, code, 1)?;
            }
            Ok(())
        };

        let mut g = group(c, format!("journal/{name}"));
        g.bench_function("begin+response", |b| {
            b.iter_batched(
                || base.clone(),
                |mut j| run(black_box(&mut j)),
                BatchSize::SmallInput,
            )
        });
        g.bench_function("original", |b| {
            b.iter(|| {
                black_box(&recorded)
                    .original(stan)
                    .map(|o| o.request().len())
            })
        });
        g.bench_function("advice retry+deliver", |b| {
            b.iter_batched(
                || queued.clone(),
                |mut j| saf(black_box(&mut j)),
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, bench_flows, bench_journal);
criterion_main!(benches);
