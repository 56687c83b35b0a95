//! Random operation sequences against a file-backed journal, with
//! crash-and-reload, checking the invariants after every step against an
//! independent model of what the host said.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::flows::journal::test_support::{fbegin, new_journal, open, setup, txn};
use crate::flows::journal::{
    AdviceOutcome, FileJournal, Journal, JournalError, JournalPolicy, Stan, Totals, TxnKind,
    TxnState,
};

#[derive(Clone, Debug)]
enum Op {
    Purchase(u64),
    Respond {
        pick: usize,
        approve: bool,
    },
    Timeout(usize),
    CardDecline(usize),
    ReversalAttempt {
        answered: bool,
    },
    Void(usize),
    Refund {
        pick: usize,
        amount: u64,
    },
    Settle {
        balanced: bool,
    },
    /// Queue a refund of `amount` as a store-and-forward advice (a 0220 on
    /// CUP; refused under the generic policy, whose refunds are online).
    AdviceRefund {
        pick: usize,
        amount: u64,
    },
    /// Send the head advice; the host answers `00`, `91`, `05` or nothing.
    AdviceAttempt {
        answer: u8,
        now: u64,
    },
    Crash,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u64..=500).prop_map(Op::Purchase),
        6 => (any::<usize>(), prop::bool::weighted(0.8)).prop_map(|(pick, approve)| Op::Respond { pick, approve }),
        1 => any::<usize>().prop_map(Op::Timeout),
        1 => any::<usize>().prop_map(Op::CardDecline),
        4 => any::<bool>().prop_map(|answered| Op::ReversalAttempt { answered }),
        2 => any::<usize>().prop_map(Op::Void),
        3 => (any::<usize>(), 1u64..=300).prop_map(|(pick, amount)| Op::Refund { pick, amount }),
        1 => any::<bool>().prop_map(|balanced| Op::Settle { balanced }),
        2 => (any::<usize>(), 1u64..=300).prop_map(|(pick, amount)| Op::AdviceRefund { pick, amount }),
        4 => (0u8..4, 0u64..1_000_000).prop_map(|(answer, now)| Op::AdviceAttempt { answer, now }),
        1 => Just(Op::Crash),
    ]
}

/// What the test itself observed, independent of the journal's bookkeeping.
#[derive(Default)]
struct Model {
    /// Kind, amount and original of every transaction begun in the batch.
    begun: BTreeMap<Stan, (TxnKind, u64, Option<Stan>)>,
    approved: BTreeSet<Stan>,
    declined: BTreeSet<Stan>,
    /// Transactions whose reversal became due (timeout, card decline).
    queued: BTreeSet<Stan>,
    reversed: BTreeSet<Stan>,
}

impl Model {
    fn live(&self, s: Stan) -> bool {
        self.approved.contains(&s) && !self.queued.contains(&s)
    }

    fn voided(&self, p: Stan) -> bool {
        self.begun
            .iter()
            .any(|(v, (k, _, o))| *k == TxnKind::Void && *o == Some(p) && self.live(*v))
    }

    fn expected_totals(&self) -> Totals {
        let mut t = Totals::default();
        for (s, (kind, amount, _)) in &self.begun {
            if !self.live(*s) {
                continue;
            }
            match kind {
                TxnKind::Purchase if !self.voided(*s) => {
                    t.debit_count += 1;
                    t.debit_amount += amount;
                }
                TxnKind::Refund => {
                    t.credit_count += 1;
                    t.credit_amount += amount;
                }
                _ => {}
            }
        }
        t
    }

    /// Refunds that may have effect: not declined, not reversed.
    fn refund_exposure(&self, p: Stan) -> u64 {
        self.begun
            .iter()
            .filter(|(r, (k, _, o))| {
                *k == TxnKind::Refund
                    && *o == Some(p)
                    && !self.declined.contains(r)
                    && !self.reversed.contains(r)
            })
            .map(|(_, (_, a, _))| *a)
            .sum()
    }
}

fn pick(list: &[Stan], i: usize) -> Option<Stan> {
    if list.is_empty() {
        None
    } else {
        list.get(i % list.len()).copied()
    }
}

fn stans_in(j: &Journal, f: impl Fn(TxnState) -> bool) -> Vec<Stan> {
    j.transactions()
        .filter(|t| f(t.state))
        .map(|t| t.stan)
        .collect()
}

fn check(j: &Journal, m: &Model) -> Result<(), TestCaseError> {
    j.verify().map_err(|e| TestCaseError::fail(e.to_string()))?;
    for (s, (kind, amount, _)) in &m.begun {
        if *kind == TxnKind::Purchase {
            prop_assert!(
                m.refund_exposure(*s) <= *amount,
                "refunds over original {s}"
            );
        }
    }
    for t in j.transactions() {
        let has = |st| {
            j.reversals()
                .iter()
                .any(|r| r.stan == t.stan && r.status == st)
        };
        use crate::flows::journal::ReversalStatus as R;
        match t.state {
            TxnState::Uncertain if t.kind.is_reversible(j.policy()) => prop_assert!(has(R::Due)),
            TxnState::ReversalPending => prop_assert!(has(R::Due)),
            TxnState::ReversalFailed => prop_assert!(has(R::Failed)),
            _ => {}
        }
        prop_assert!(
            m.begun.contains_key(&t.stan),
            "journal holds an unknown STAN"
        );
    }
    prop_assert_eq!(j.transactions().count(), m.begun.len());
    prop_assert_eq!(j.totals(), m.expected_totals());
    Ok(())
}

/// Applies one op; refused ops must leave the journal unchanged.
fn apply(fj: &mut FileJournal, m: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    let before = fj.journal().clone();
    let j = fj.journal();
    let sent = stans_in(j, |s| s == TxnState::Sent);
    let approved = stans_in(j, |s| s == TxnState::Approved);
    // Voids and refunds mostly target purchases, sometimes anything.
    let targets: Vec<Stan> = j
        .transactions()
        .filter(|t| t.kind == TxnKind::Purchase || t.stan.get() % 5 == 0)
        .map(|t| t.stan)
        .collect();
    let result: Result<(), JournalError> = match op {
        Op::Purchase(amount) => fbegin(fj, txn(TxnKind::Purchase, *amount)).map(|t| {
            assert!(
                m.begun
                    .insert(t.stan, (TxnKind::Purchase, *amount, None))
                    .is_none()
            );
        }),
        Op::Respond { pick: i, approve } => match pick(&sent, *i) {
            None => return Ok(()),
            Some(s) => {
                let code = if *approve { "00" } else { "05" };
                fj.on_response(s, code, None, None).map(|_| {
                    if *approve {
                        m.approved.insert(s);
                    } else {
                        m.declined.insert(s);
                    }
                })
            }
        },
        Op::Timeout(i) => match pick(&sent, *i) {
            None => return Ok(()),
            Some(s) => fj.on_timeout(s).map(|_| {
                m.queued.insert(s);
            }),
        },
        Op::CardDecline(i) => match pick(&approved, *i) {
            None => return Ok(()),
            Some(s) => fj.on_card_declined_after_approval(s).map(|_| {
                m.queued.insert(s);
            }),
        },
        Op::ReversalAttempt { answered } => match fj.journal().next_reversal() {
            None => return Ok(()),
            Some(job) => fj.on_reversal_sent(job.stan).and_then(|()| {
                if *answered {
                    fj.on_reversal_response(job.stan, "00").map(|_| {
                        m.reversed.insert(job.stan);
                    })
                } else {
                    fj.on_reversal_no_response(job.stan).map(|_| ())
                }
            }),
        },
        Op::Void(i) => match pick(&targets, *i) {
            None => return Ok(()),
            Some(p) => {
                let amount = fj.journal().txn(p).map_or(1, |t| t.amount);
                fbegin(fj, txn(TxnKind::Void, amount).with_original(p)).map(|t| {
                    assert!(
                        m.begun
                            .insert(t.stan, (TxnKind::Void, amount, Some(p)))
                            .is_none()
                    );
                })
            }
        },
        Op::Refund { pick: i, amount } => match pick(&targets, *i) {
            None => return Ok(()),
            Some(p) => fbegin(fj, txn(TxnKind::Refund, *amount).with_original(p)).map(|t| {
                assert!(
                    m.begun
                        .insert(t.stan, (TxnKind::Refund, *amount, Some(p)))
                        .is_none()
                );
            }),
        },
        Op::AdviceRefund { pick: i, amount } => match pick(&targets, *i) {
            None => return Ok(()),
            Some(p) => {
                let req = crate::flows::journal::NewTxn::new(
                    TxnKind::Refund,
                    *amount,
                    crate::flows::journal::test_support::TID,
                    crate::flows::journal::test_support::MID,
                    "0220",
                )
                .with_original(p);
                let enc = crate::flows::journal::test_support::encoder(&req);
                fj.queue_advice(req, 0, enc).map(|t| {
                    assert!(
                        m.begun
                            .insert(t.stan, (TxnKind::Refund, *amount, Some(p)))
                            .is_none()
                    );
                })
            }
        },
        Op::AdviceAttempt { answer, now } => match fj.journal().next_advice() {
            None => return Ok(()),
            Some(job) => {
                let queued = fj.journal().queued_advices().len();
                fj.on_advice_sent(job.stan).and_then(|()| {
                    let outcome = match answer {
                        0 => fj.on_advice_response(job.stan, "00", *now),
                        1 => fj.on_advice_response(job.stan, "91", *now),
                        2 => fj.on_advice_response(job.stan, "05", *now),
                        _ => fj.on_advice_no_response(job.stan, *now),
                    }?;
                    let j = fj.journal();
                    let state = j.txn(job.stan).map(|t| t.state);
                    match outcome {
                        AdviceOutcome::Delivered => {
                            assert_eq!(state, Some(TxnState::Approved));
                            m.approved.insert(job.stan);
                        }
                        AdviceOutcome::Retry => {
                            assert_eq!(j.queued_advices().first().map(|a| a.stan), Some(job.stan));
                            assert_eq!(j.queued_advices().len(), queued);
                        }
                        _ => {
                            assert_eq!(state, Some(TxnState::AdviceExpired));
                            assert!(j.expired_advices().iter().any(|e| e.stan == job.stan));
                        }
                    }
                    Ok(())
                })
            }
        },
        Op::Settle { balanced } => match fj.settle() {
            Err(e) => Err(e),
            Ok(totals) => {
                prop_assert_eq!(totals, m.expected_totals());
                let closed = fj
                    .close_batch(*balanced)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(closed.summary.totals, totals);
                *m = Model::default();
                Ok(())
            }
        },
        Op::Crash => {
            // What a crash leaves on disk is exactly the journal before it
            // (recovery on open is tested in crash_tests).
            let bytes = std::fs::read(fj.path()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let (spec, key) = setup();
            let on_disk = crate::flows::journal::file::parse(&bytes, spec, key)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&on_disk, &before);
            Ok(())
        }
    };
    if result.is_err() {
        prop_assert_eq!(
            fj.journal(),
            &before,
            "refused {:?} changed the journal",
            op
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_keep_the_invariants(
        cup in any::<bool>(),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let policy = if cup { JournalPolicy::cup_pos() } else { JournalPolicy::generic_1987() };
        let mut journal = new_journal(policy);
        journal.sign_on(Some(1)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut fj = FileJournal::create(dir.path().join("j.json"), journal)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut model = Model::default();
        for op in &ops {
            apply(&mut fj, &mut model, op)?;
            check(fj.journal(), &model)?;
        }
        // Whatever happened, the file reloads to the same journal, recovered.
        let mut expected = fj.journal().clone();
        expected.recover();
        let path = fj.path().to_path_buf();
        drop(fj);
        let reopened = open(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(reopened.journal(), &expected);
    }
}
