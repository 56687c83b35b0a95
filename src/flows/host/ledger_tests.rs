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
fn reversal_of_unknown_original_is_25() {
    let mut h = host();
    assert_eq!(code(&h.on_request(reversal(9, 100))), "25");
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
