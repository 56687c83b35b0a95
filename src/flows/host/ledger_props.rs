//! Random interleavings of purchase, void, refund and reversal (early, late,
//! repeated) against a model of what the customer and merchant are owed.
//!
//! Each purchase `i` has fixed keys: the purchase (STAN `1 + i`), its void
//! (`10 + i`), two refunds (`20 + 4i + j`); a reversal reuses the key of what
//! it reverses (UnionPay). Repeating an operation resends the same request.

use proptest::prelude::*;

use crate::flows::host::{HostConfig, HostDecision, HostLedger, HostRequest, HostTxnKind, TxnKey};
use crate::flows::journal::Totals;

const N: usize = 3;
const NOW: u64 = 1_700_000_000;

#[derive(Clone, Copy, Debug)]
enum Op {
    Purchase(usize),
    Void(usize),
    Refund(usize, usize),
    RevPurchase(usize),
    RevVoid(usize),
    RevRefund(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let i = 0..N;
    prop_oneof![
        i.clone().prop_map(Op::Purchase),
        i.clone().prop_map(Op::Void),
        (i.clone(), 0..2usize).prop_map(|(i, j)| Op::Refund(i, j)),
        i.clone().prop_map(Op::RevPurchase),
        i.clone().prop_map(Op::RevVoid),
        (i, 0..2usize).prop_map(|(i, j)| Op::RevRefund(i, j)),
    ]
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum PState {
    #[default]
    Absent,
    Live,
    Dead,
    Voided,
}

#[derive(Clone, Copy, Debug, Default)]
struct Sub {
    sent: bool,
    live: bool,
    rev_sent: bool,
}

#[derive(Clone, Debug, Default)]
struct Purchase {
    amount: u64,
    state: PState,
    rev_sent: bool,
    void: Sub,
    refunds: [(u64, Sub); 2],
}

impl Purchase {
    fn refunded(&self) -> u64 {
        self.refunds.iter().filter(|r| r.1.live).map(|r| r.0).sum()
    }
}

/// What the rules say, restated without keys or stores.
fn model(p: &mut [Purchase], op: Op) {
    match op {
        Op::Purchase(i) => {
            let x = &mut p[i];
            if x.state != PState::Absent {
                return;
            }
            // A reversal sent before the purchase declines it.
            x.state = if x.rev_sent {
                PState::Dead
            } else {
                PState::Live
            };
        }
        Op::RevPurchase(i) => {
            let x = &mut p[i];
            if x.rev_sent {
                return;
            }
            x.rev_sent = true;
            if x.state == PState::Live && x.refunded() == 0 {
                x.state = PState::Dead;
            }
        }
        Op::Void(i) => {
            let x = &mut p[i];
            if x.void.sent {
                return;
            }
            x.void.sent = true;
            if !x.void.rev_sent && x.state == PState::Live && x.refunded() == 0 {
                x.state = PState::Voided;
                x.void.live = true;
            }
        }
        Op::RevVoid(i) => {
            let x = &mut p[i];
            if x.void.rev_sent {
                return;
            }
            x.void.rev_sent = true;
            if x.void.live {
                x.void.live = false;
                if x.state == PState::Voided {
                    x.state = PState::Live;
                }
            }
        }
        Op::Refund(i, j) => {
            let x = &mut p[i];
            let (amount, r) = x.refunds[j];
            if r.sent {
                return;
            }
            x.refunds[j].1.sent = true;
            let fits = x.refunded() + amount <= x.amount;
            if !r.rev_sent && x.state == PState::Live && fits {
                x.refunds[j].1.live = true;
            }
        }
        Op::RevRefund(i, j) => {
            let r = &mut p[i].refunds[j].1;
            if r.rev_sent {
                return;
            }
            r.rev_sent = true;
            r.live = false;
        }
    }
}

fn key(stan: usize) -> TxnKey {
    TxnKey::new("T1", "M1", Some(1), stan as u32)
}

fn request(p: &[Purchase], op: Op) -> HostRequest {
    let content = |s: usize| format!("req-{s}").into_bytes();
    let fin = |kind, stan: usize, amount, original: Option<usize>| {
        let r = HostRequest::new(kind, key(stan), amount).with_content(content(stan));
        match original {
            Some(o) => r.with_original(key(o)),
            None => r,
        }
    };
    let rev = |stan: usize, amount| HostRequest::new(HostTxnKind::Reversal, key(stan), amount);
    match op {
        Op::Purchase(i) => fin(HostTxnKind::Purchase, 1 + i, p[i].amount, None),
        Op::Void(i) => fin(HostTxnKind::Void, 10 + i, p[i].amount, Some(1 + i)),
        Op::Refund(i, j) => fin(
            HostTxnKind::Refund,
            20 + 4 * i + j,
            p[i].refunds[j].0,
            Some(1 + i),
        ),
        Op::RevPurchase(i) => rev(1 + i, p[i].amount),
        Op::RevVoid(i) => rev(10 + i, p[i].amount),
        Op::RevRefund(i, j) => rev(20 + 4 * i + j, p[i].refunds[j].0),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn ledger_totals_match_the_model(
        amounts in proptest::array::uniform3((1u64..200, 0u64..150, 0u64..150)),
        ops in proptest::collection::vec(op(), 0..40),
    ) {
        let mut p: Vec<Purchase> = amounts
            .iter()
            .map(|&(a, r0, r1)| Purchase {
                amount: a,
                refunds: [(r0.max(1), Sub::default()), (r1.max(1), Sub::default())],
                ..Purchase::default()
            })
            .collect();
        let mut h = HostLedger::new(HostConfig::cup());
        let mut first: std::collections::HashMap<String, HostDecision> = Default::default();
        for op in ops {
            let req = request(&p, op);
            let d = h.on_request_at(req, NOW);
            model(&mut p, op);
            // A resend gets the first answer, RRN included.
            let name = format!("{op:?}");
            if let Some(prev) = first.get(&name) {
                prop_assert!(d.replayed, "{name}: {d:?}");
                prop_assert_eq!(&d.response_code, &prev.response_code);
                prop_assert_eq!(&d.rrn, &prev.rrn);
            } else {
                first.insert(name, d);
            }
            // Never more refunded than bought.
            for x in &p {
                prop_assert!(x.refunded() <= x.amount);
            }
        }
        let mut expect = Totals::default();
        for x in &p {
            if x.state == PState::Live {
                expect.debit_count += 1;
                expect.debit_amount += x.amount;
            }
            for (amount, r) in &x.refunds {
                if r.live {
                    expect.credit_count += 1;
                    expect.credit_amount += amount;
                }
            }
        }
        let check = h.settle_at("T1", Some(1), &expect, NOW);
        prop_assert!(check.balanced, "host {:?} model {:?}", check.host_totals, expect);
    }
}
