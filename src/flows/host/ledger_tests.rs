//! One test per host response code and matching rule.

use crate::flows::host::{HostConfig, HostDecision, HostLedger, HostRequest, HostTxnKind, TxnKey};
use crate::flows::journal::Totals;

fn key(stan: u32) -> TxnKey {
    TxnKey::new("T1", "M1", Some(1), stan)
}

fn purchase(stan: u32, amount: u64) -> HostRequest {
    HostRequest::new(HostTxnKind::Purchase, key(stan), amount)
        .with_content(format!("purchase-{stan}"))
}

fn void(stan: u32, original: u32, amount: u64) -> HostRequest {
    HostRequest::new(HostTxnKind::Void, key(stan), amount).with_original(key(original))
}

fn refund(stan: u32, original: u32, amount: u64) -> HostRequest {
    HostRequest::new(HostTxnKind::Refund, key(stan), amount).with_original(key(original))
}

fn reversal(stan: u32, amount: u64) -> HostRequest {
    HostRequest::new(HostTxnKind::Reversal, key(stan), amount)
}

fn code(d: &HostDecision) -> &str {
    &d.response_code
}

fn host() -> HostLedger {
    HostLedger::new(HostConfig::cup().with_purchase_limit(10_000))
}

#[test]
fn purchase_approves_up_to_the_limit_and_declines_51_above() {
    let mut h = host();
    let ok = h.on_request(purchase(1, 10_000));
    assert_eq!(code(&ok), "00");
    assert_eq!(ok.rrn.as_deref(), Some("000000000001"));
    assert_eq!(ok.auth_code.as_deref(), Some("000001"));
    assert_eq!(code(&h.on_request(purchase(2, 10_001))), "51");
}

#[test]
fn identical_resend_gets_the_original_answer() {
    let mut h = host();
    let first = h.on_request(purchase(1, 100));
    let again = h.on_request(purchase(1, 100));
    assert_eq!(
        again,
        HostDecision {
            replayed: true,
            ..first.clone()
        }
    );
    // Only one purchase was booked.
    let check = h.settle(
        "T1",
        Some(1),
        &Totals {
            debit_count: 1,
            debit_amount: 100,
            ..Totals::default()
        },
    );
    assert!(check.balanced);
}

#[test]
fn same_key_different_content_is_94() {
    let mut h = host();
    h.on_request(purchase(1, 100));
    assert_eq!(code(&h.on_request(purchase(1, 200))), "94");
    let other = HostRequest::new(HostTxnKind::Purchase, key(1), 100).with_content(*b"other");
    assert_eq!(code(&h.on_request(other)), "94");
}

#[test]
fn key_fields_follow_the_profile() {
    // CUP: another batch is another transaction.
    let mut cup = host();
    cup.on_request(purchase(1, 100));
    let next_batch = HostRequest::new(
        HostTxnKind::Purchase,
        TxnKey::new("T1", "M1", Some(2), 1),
        100,
    );
    assert_eq!(code(&cup.on_request(next_batch.clone())), "00");
    // Generic DE 41 + DE 11: the batch is ignored, so it collides.
    let mut generic = HostLedger::new(HostConfig::generic());
    generic.on_request(purchase(1, 100));
    assert_eq!(code(&generic.on_request(next_batch)), "94");
}

#[test]
fn reversal_with_another_amount_is_25() {
    let mut h = host();
    h.on_request(purchase(1, 100));
    assert_eq!(
        code(&h.on_request(reversal(1, 99))),
        "25",
        "amount must match"
    );
}

#[test]
fn repeated_reversal_gets_the_same_answer_and_credits_once() {
    let mut h = host();
    h.on_request(purchase(1, 100));
    let v = h.on_request(void(2, 1, 100));
    assert_eq!(code(&v), "00");
    // Reverse the void: the purchase is live again.
    let first = h.on_request(reversal(2, 100));
    assert_eq!(code(&first), "00");
    let repeat = h.on_request(reversal(2, 100));
    assert_eq!((code(&repeat), repeat.replayed), ("00", true));
    let check = h.settle(
        "T1",
        Some(1),
        &Totals {
            debit_count: 1,
            debit_amount: 100,
            ..Totals::default()
        },
    );
    assert!(check.balanced, "{check:?}");
}

#[test]
fn reversal_via_de90_style_original_key() {
    let mut h = HostLedger::new(HostConfig::generic());
    h.on_request(purchase(1, 100));
    let rev = HostRequest::new(HostTxnKind::Reversal, key(5), 100).with_original(key(1));
    assert_eq!(code(&h.on_request(rev)), "00");
    assert!(h.settle("T1", Some(1), &Totals::default()).balanced);
}

#[test]
fn void_after_settlement_is_12() {
    let mut h = host();
    h.on_request(purchase(1, 100));
    let totals = Totals {
        debit_count: 1,
        debit_amount: 100,
        ..Totals::default()
    };
    assert!(h.settle("T1", Some(1), &totals).balanced);
    assert_eq!(code(&h.on_request(void(2, 1, 100))), "12");
}

#[test]
fn void_of_unknown_original_is_25_and_of_dead_original_is_12() {
    let mut h = host();
    assert_eq!(code(&h.on_request(void(2, 1, 100))), "25");
    h.on_request(purchase(3, 20_000)); // declined 51
    assert_eq!(code(&h.on_request(void(4, 3, 20_000))), "12");
    h.on_request(purchase(5, 100));
    assert_eq!(code(&h.on_request(void(6, 5, 100))), "00");
    assert_eq!(code(&h.on_request(void(7, 5, 100))), "12", "already voided");
}

#[test]
fn void_amount_differing_is_64() {
    let mut h = host();
    h.on_request(purchase(1, 100));
    assert_eq!(code(&h.on_request(void(2, 1, 50))), "64");
}

#[test]
fn refund_over_remaining_is_13_by_default() {
    let mut h = host();
    h.on_request(purchase(1, 100));
    assert_eq!(code(&h.on_request(refund(2, 1, 60))), "00");
    assert_eq!(code(&h.on_request(refund(3, 1, 41))), "13");
    assert_eq!(code(&h.on_request(refund(4, 1, 40))), "00");
}

#[test]
fn refund_over_remaining_code_is_configurable() {
    let mut h = HostLedger::new(HostConfig::cup().with_refund_over_code("64"));
    h.on_request(purchase(1, 100));
    assert_eq!(code(&h.on_request(refund(2, 1, 101))), "64");
}

#[test]
fn reversed_refund_restores_the_remaining_amount() {
    let mut h = host();
    h.on_request(purchase(1, 100));
    h.on_request(refund(2, 1, 100));
    assert_eq!(code(&h.on_request(reversal(2, 100))), "00");
    assert_eq!(code(&h.on_request(refund(3, 1, 100))), "00");
}

#[test]
fn refund_may_follow_settlement() {
    let mut h = host();
    h.on_request(purchase(1, 100));
    h.settle(
        "T1",
        Some(1),
        &Totals {
            debit_count: 1,
            debit_amount: 100,
            ..Totals::default()
        },
    );
    let later = HostRequest::new(HostTxnKind::Refund, TxnKey::new("T1", "M1", Some(2), 1), 30)
        .with_original(key(1));
    assert_eq!(code(&h.on_request(later)), "00");
    let check = h.settle(
        "T1",
        Some(2),
        &Totals {
            credit_count: 1,
            credit_amount: 30,
            ..Totals::default()
        },
    );
    assert!(check.balanced, "{check:?}");
}

#[test]
fn settlement_reports_unbalanced_totals() {
    let mut h = host();
    h.on_request(purchase(1, 100));
    h.on_request(purchase(2, 250));
    h.on_request(void(3, 2, 250));
    h.on_request(refund(4, 1, 40));
    let wrong = Totals {
        debit_count: 2,
        debit_amount: 350,
        credit_count: 1,
        credit_amount: 40,
    };
    let check = h.settle("T1", Some(1), &wrong);
    assert!(!check.balanced);
    assert_eq!(
        check.host_totals,
        Totals {
            debit_count: 1,
            debit_amount: 100,
            credit_count: 1,
            credit_amount: 40
        }
    );
}

const T0: u64 = 1_700_000_000;

fn totals(debits: &[u64], credits: &[u64]) -> Totals {
    Totals {
        debit_count: debits.len() as u32,
        debit_amount: debits.iter().sum(),
        credit_count: credits.len() as u32,
        credit_amount: credits.iter().sum(),
    }
}

#[test]
fn early_reversal_is_remembered_and_the_late_original_declined() {
    let mut h = host();
    // The reversal overtakes its purchase: acknowledged, remembered.
    let early = h.on_request_at(reversal(1, 100), T0);
    assert_eq!(code(&early), "00");
    // The purchase turns up later: declined, nothing charged.
    let late = h.on_request_at(purchase(1, 100), T0 + 30);
    assert_eq!(code(&late), "12");
    assert_eq!(late.rrn, None);
    // The terminal repeats its reversal: the same answer, still nothing charged.
    let repeat = h.on_request_at(reversal(1, 100), T0 + 40);
    assert_eq!((code(&repeat), repeat.replayed), ("00", true));
    // A resend of the late purchase repeats its decline.
    assert_eq!(code(&h.on_request_at(purchase(1, 100), T0 + 50)), "12");
    let check = h.settle_at("T1", Some(1), &Totals::default(), T0 + 60);
    assert!(check.balanced, "{check:?}");
}

#[test]
fn late_original_code_is_configurable() {
    let mut config = HostConfig::cup();
    config.late_original_code = "94".into();
    let mut h = HostLedger::new(config);
    h.on_request_at(reversal(1, 100), T0);
    assert_eq!(code(&h.on_request_at(purchase(1, 100), T0 + 1)), "94");
}

#[test]
fn after_the_window_the_original_approves_and_a_repeated_reversal_undoes_it() {
    let mut h = HostLedger::new(HostConfig::cup().with_windows(600, 60, 600));
    h.on_request_at(reversal(1, 100), T0);
    // Past the early-reversal window the purchase is taken as new.
    let late = h.on_request_at(purchase(1, 100), T0 + 61);
    assert_eq!(code(&late), "00");
    // The terminal's repeated reversal now takes effect, once.
    let repeat = h.on_request_at(reversal(1, 100), T0 + 62);
    assert_eq!((code(&repeat), repeat.replayed), ("00", true));
    h.on_request_at(reversal(1, 100), T0 + 63);
    let check = h.settle_at("T1", Some(1), &Totals::default(), T0 + 70);
    assert!(check.balanced, "{check:?}");
}

#[test]
fn early_reversal_of_a_void_declines_the_late_void() {
    let mut h = host();
    h.on_request_at(purchase(1, 100), T0);
    assert_eq!(code(&h.on_request_at(reversal(2, 100), T0 + 1)), "00");
    assert_eq!(code(&h.on_request_at(void(2, 1, 100), T0 + 2)), "12");
    // The purchase stands.
    let check = h.settle_at("T1", Some(1), &totals(&[100], &[]), T0 + 3);
    assert!(check.balanced, "{check:?}");
}

#[test]
fn fully_refunded_purchase_cannot_be_reversed() {
    let mut h = host();
    h.on_request_at(purchase(1, 100), T0);
    assert_eq!(code(&h.on_request_at(refund(2, 1, 100), T0)), "00");
    assert_eq!(code(&h.on_request_at(reversal(1, 100), T0)), "12");
    // The merchant pays out once: one debit, one credit.
    let check = h.settle_at("T1", Some(1), &totals(&[100], &[100]), T0);
    assert!(check.balanced, "{check:?}");
}

#[test]
fn partially_refunded_purchase_cannot_be_reversed_until_its_refunds_are() {
    let mut h = host();
    h.on_request_at(purchase(1, 100), T0);
    h.on_request_at(refund(2, 1, 30), T0);
    assert_eq!(code(&h.on_request_at(reversal(1, 100), T0)), "12");
    // Reversing the refund restores the purchase; then the purchase reverses.
    assert_eq!(code(&h.on_request_at(reversal(2, 30), T0)), "00");
    let mut h2 = h.clone();
    // (Reversal of the purchase was already answered 12 under its key: a
    // repeat replays that; a DE 90-style reversal under a new key reverses.)
    let rev = HostRequest::new(HostTxnKind::Reversal, key(9), 100).with_original(key(1));
    assert_eq!(code(&h2.on_request_at(rev, T0)), "00");
    assert!(h2.settle_at("T1", Some(1), &Totals::default(), T0).balanced);
    // Without it: the purchase stands, the reversed refund does not.
    assert!(
        h.settle_at("T1", Some(1), &totals(&[100], &[]), T0)
            .balanced
    );
}

#[test]
fn reversal_of_a_voided_purchase_does_not_take_effect_twice() {
    let mut h = host();
    h.on_request_at(purchase(1, 100), T0);
    assert_eq!(code(&h.on_request_at(void(2, 1, 100), T0)), "00");
    assert_eq!(code(&h.on_request_at(reversal(1, 100), T0)), "12");
    // Reversing the void makes the purchase live again: had the purchase
    // reversal been taken as well, this would leave nothing charged.
    assert_eq!(code(&h.on_request_at(reversal(2, 100), T0)), "00");
    assert!(
        h.settle_at("T1", Some(1), &totals(&[100], &[]), T0)
            .balanced
    );
}

#[test]
fn refund_by_rrn_checks_terminal_and_merchant() {
    let mut h = host();
    let ok = h.on_request_at(purchase(1, 100), T0);
    let rrn = ok.rrn.clone().unwrap_or_default();
    assert_eq!(h.key_by_rrn(&rrn, "T1", "M1"), Some(&key(1)));
    assert_eq!(h.key_by_rrn(&rrn, "T1", "M2"), None, "another merchant");
    assert_eq!(h.key_by_rrn(&rrn, "T2", "M1"), None, "another terminal");
    assert_eq!(h.key_by_rrn("999999999999", "T1", "M1"), None);
    // A refund from another merchant naming the purchase directly is unknown.
    let foreign = HostRequest::new(HostTxnKind::Refund, TxnKey::new("T1", "M2", Some(1), 5), 10)
        .with_original(key(1));
    assert_eq!(code(&h.on_request_at(foreign, T0)), "25");
}

#[test]
fn rrn_lookup_is_indexed() {
    // Every approved purchase can be found by its RRN at 20,000 entries,
    // and a declined one cannot.
    let mut h = HostLedger::new(HostConfig::cup().with_purchase_limit(1_000));
    let mut rrns = Vec::new();
    for stan in 1..=20_000 {
        let d = h.on_request_at(purchase(stan, if stan % 7 == 0 { 5_000 } else { 10 }), T0);
        rrns.push((stan, d.rrn));
    }
    for (stan, rrn) in rrns {
        match rrn {
            Some(r) => assert_eq!(h.key_by_rrn(&r, "T1", "M1"), Some(&key(stan))),
            None => assert_eq!(stan % 7, 0),
        }
    }
}

#[test]
fn settled_batches_are_pruned_after_retention_but_duplicates_held_for_their_window() {
    // Retention 100 s, duplicate window 1000 s: entries live 1000 s past settlement.
    let mut h = HostLedger::new(HostConfig::cup().with_windows(1_000, 10, 100));
    let first = h.on_request_at(purchase(1, 100), T0);
    assert!(
        h.settle_at("T1", Some(1), &totals(&[100], &[]), T0 + 10)
            .balanced
    );
    assert_eq!(h.len(), 1);
    // Past retention but inside the duplicate window: still a replay.
    h.prune(T0 + 500);
    let again = h.on_request_at(purchase(1, 100), T0 + 500);
    assert_eq!((again.rrn, again.replayed), (first.rrn.clone(), true));
    // Past both: pruned, and the RRN no longer resolves.
    assert_eq!(h.prune(T0 + 1_011), 1);
    assert!(h.is_empty());
    let rrn = first.rrn.unwrap_or_default();
    assert_eq!(h.key_by_rrn(&rrn, "T1", "M1"), None);
}

#[test]
fn memory_stays_bounded_under_steady_traffic() {
    // 200 batches of 500 purchases, settled each; the windows keep about
    // three batches (one batch per 100 s, keep 300 s).
    let mut h = HostLedger::new(HostConfig::cup().with_windows(300, 300, 300));
    let mut peak = 0;
    for batch in 0..200u32 {
        let now = T0 + u64::from(batch) * 100;
        for stan in 1..=500 {
            let req = HostRequest::new(
                HostTxnKind::Purchase,
                TxnKey::new("T1", "M1", Some(batch), stan),
                10,
            );
            assert_eq!(code(&h.on_request_at(req, now)), "00");
        }
        h.settle_at("T1", Some(batch), &totals(&[10; 500], &[]), now + 50);
        peak = peak.max(h.len());
    }
    assert!(peak <= 4 * 500, "peak {peak}");
    assert!(h.len() >= 3 * 500, "kept {}", h.len());
}

#[test]
fn debug_of_requests_records_and_ledgers_shows_no_card_data() {
    // The content is the request as received: a PAN and a track inside.
    let pan = "4761739001010119";
    let content = format!("0200{pan}=4761739001010119D2912");
    let req = purchase(1, 100).with_content(content.clone());
    let hex: String = content.bytes().map(|b| format!("{b:02x}")).collect();
    let bytes = format!("{:?}", content.as_bytes());
    let mut h = host();
    h.on_request(req.clone());
    let lookup = crate::flows::host::ledger::lookup_for(h.config(), &req);
    let mut state = crate::flows::host::store::MemoryState::new(h.config().profile);
    state.transact(&lookup, &|snap| {
        crate::flows::host::decide(h.config(), &req, content.as_bytes(), snap, 0)
    });
    let snap = state.snapshot(&lookup);
    let rendered = [
        format!("{req:?}"),
        format!("{h:?}"),
        format!("{state:?}"),
        format!("{snap:?}"),
        format!("{:?}", snap.existing),
    ];
    for text in &rendered {
        assert!(!text.contains(pan), "{text}");
        assert!(!text.contains(&hex[..24]), "{text}");
        assert!(!text.contains(&bytes[1..40]), "{text}");
    }
    assert!(rendered[0].contains(&format!("<{} bytes, not shown>", content.len())));
    // The store's record was given the content as its fingerprint here: the
    // record's Debug still shows only its length.
    assert!(rendered[4].contains(&format!("<{} bytes, not shown>", content.len())));
}
