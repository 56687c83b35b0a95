//! Enter each fact once: `begin` reads the request back and refuses one that
//! says something else than the `NewTxn`, naming the field.

use std::sync::Arc;

use crate::flows::journal::test_support::*;
use crate::flows::journal::{
    Journal, JournalError, JournalPolicy, NewTxn, SoftwareKey, Stan, Ticket, TxnKind,
};
use crate::{MessageBuilder, Spec};

/// Encodes a request with the given facts, whatever the `NewTxn` says.
fn encode(
    spec: &Spec,
    mti: &str,
    pc: &str,
    amount: Option<&str>,
    stan: &str,
    terminal: &str,
    merchant: &str,
) -> Result<Vec<u8>, crate::error::EncodeError> {
    let mut b = MessageBuilder::new(spec);
    b.mti(mti)?;
    b.set_copied(3, pc)?;
    if let Some(a) = amount {
        b.set_copied(4, a)?;
    }
    b.set_copied(11, stan)?;
    b.set_copied(41, terminal)?;
    b.set_copied(42, merchant)?;
    b.encode_to_vec()
}

/// Begins `req` with a request whose facts `facts` gives (from the ticket);
/// returns the error and checks that nothing changed and no STAN was used.
fn refused(
    j: &mut Journal,
    req: NewTxn,
    facts: impl Fn(&Ticket) -> (String, String, Option<String>, String, String, String),
) -> Result<JournalError, Box<dyn std::error::Error>> {
    let before = j.clone();
    let spec = j.spec().clone();
    let err = j
        .begin(req, |t| {
            let (mti, pc, amount, stan, tid, mid) = facts(t);
            encode(&spec, &mti, &pc, amount.as_deref(), &stan, &tid, &mid)
        })
        .err()
        .ok_or("a mismatched request was journaled")?;
    assert_eq!(*j, before, "a refused begin changed the journal");
    assert_eq!(j.peek_stan()?, before.peek_stan()?);
    Ok(err)
}

type Facts = (String, String, Option<String>, String, String, String);

fn good(t: &Ticket) -> Facts {
    (
        "0200".into(),
        "000000".into(),
        Some("000000002500".into()),
        t.stan.to_string(),
        TID.into(),
        MID.into(),
    )
}

fn field_of(err: &JournalError) -> &'static str {
    match err {
        JournalError::Mismatch { field, .. } => field,
        _ => "not a mismatch",
    }
}

#[test]
fn a_matching_request_is_journaled_with_the_facts_read_from_it() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let spec = j.spec().clone();
    let req = txn(TxnKind::Purchase, 2_500).with_processing_code("000000");
    let t = j.begin(req, |t| {
        let (mti, pc, amount, stan, tid, mid) = good(t);
        encode(&spec, &mti, &pc, amount.as_deref(), &stan, &tid, &mid)
    })?;
    let r = j.txn(t.stan).ok_or("not journaled")?;
    assert_eq!(
        (r.amount, r.processing_code.as_deref(), r.mti.as_str()),
        (2_500, Some("000000"), "0200")
    );
    Ok(())
}

#[test]
fn amount_other_than_the_transaction_is_refused_naming_de4() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let err = refused(&mut j, txn(TxnKind::Purchase, 2_500), |t| {
        let mut f = good(t);
        f.2 = Some("000000999999".into());
        f
    })?;
    assert_eq!(field_of(&err), "DE 4 (amount)");
    assert_eq!(
        err.to_string(),
        "request DE 4 (amount) is \"999999\", but the journal expects \"2500\""
    );
    // A request without DE 4 for a non-zero amount is refused the same way.
    let err = refused(&mut j, txn(TxnKind::Purchase, 2_500), |t| {
        let mut f = good(t);
        f.2 = None;
        f
    })?;
    assert_eq!(field_of(&err), "DE 4 (amount)");
    assert!(err.to_string().contains("\"absent\""), "{err}");
    Ok(())
}

#[test]
fn other_terminal_or_merchant_is_refused_naming_the_field() -> TestResult {
    let mut j = signed_on(JournalPolicy::cup_pos())?;
    let err = refused(&mut j, txn(TxnKind::Purchase, 2_500), |t| {
        let mut f = good(t);
        f.4 = "T0000002".into();
        f
    })?;
    assert_eq!(field_of(&err), "DE 41 (terminal)");
    assert!(err.to_string().contains("T0000002"), "{err}");
    let err = refused(&mut j, txn(TxnKind::Purchase, 2_500), |t| {
        let mut f = good(t);
        f.5 = "M00000000000002".into();
        f
    })?;
    assert_eq!(field_of(&err), "DE 42 (merchant)");
    Ok(())
}

#[test]
fn other_mti_or_processing_code_is_refused_naming_the_field() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let err = refused(&mut j, txn(TxnKind::Purchase, 2_500), |t| {
        let mut f = good(t);
        f.0 = "0100".into();
        f
    })?;
    assert_eq!(field_of(&err), "MTI");
    assert_eq!(
        err.to_string(),
        "request MTI is \"0100\", but the journal expects \"0200\""
    );
    let refund_code = txn(TxnKind::Purchase, 2_500).with_processing_code("000000");
    let err = refused(&mut j, refund_code, |t| {
        let mut f = good(t);
        f.1 = "200000".into();
        f
    })?;
    assert_eq!(field_of(&err), "DE 3 (processing code)");
    assert!(err.to_string().contains("\"200000\""), "{err}");
    Ok(())
}

#[test]
fn stan_other_than_the_allocated_one_is_refused() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let err = refused(&mut j, txn(TxnKind::Purchase, 2_500), |t| {
        let mut f = good(t);
        f.3 = t.stan.next().to_string();
        f
    })?;
    assert_eq!(field_of(&err), "DE 11 (STAN)");
    assert_eq!(
        err.to_string(),
        "request DE 11 (STAN) is \"000002\", but the journal expects \"000001\""
    );
    Ok(())
}

#[test]
fn a_request_that_does_not_decode_is_refused() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let err = j
        .begin(txn(TxnKind::Purchase, 2_500), |_| {
            Ok::<_, std::io::Error>(b"REQ|000001".to_vec())
        })
        .err()
        .ok_or("garbage journaled")?;
    assert!(
        matches!(
            err,
            JournalError::Unreadable {
                message: "request",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(j.last_stan(), None);
    Ok(())
}

#[test]
fn bcd_and_ascii_requests_are_read_alike() -> TestResult {
    // The same facts in a BCD dialect: amounts, STAN and codes are packed
    // digits there, and the typed getters read them as in ASCII.
    for name in ["iso87-ascii", "iso87-bcd", "iso87-ebcdic", "cup-pos"] {
        let spec = Spec::builtin(name)?;
        let key = Arc::new(SoftwareKey::from_bytes(1, &[1; 32]));
        let mut j = Journal::new(spec.clone(), key, TID, MID, JournalPolicy::generic_1987());
        j.sign_on(None)?;
        let s = spec.clone();
        let t = j.begin(txn(TxnKind::Purchase, 2_500), |t| {
            let (mti, pc, amount, stan, tid, mid) = good(t);
            encode(&s, &mti, &pc, amount.as_deref(), &stan, &tid, &mid)
        })?;
        assert_eq!(t.stan, Stan::FIRST, "{name}");
        let s = spec.clone();
        let err = j
            .begin(txn(TxnKind::Purchase, 2_500), |t| {
                let (mti, pc, _, stan, tid, mid) = good(t);
                encode(&s, &mti, &pc, Some("000000002600"), &stan, &tid, &mid)
            })
            .err()
            .ok_or("mismatch journaled")?;
        assert_eq!(field_of(&err), "DE 4 (amount)", "{name}");
    }
    Ok(())
}

#[test]
fn a_response_to_another_stan_or_mti_is_refused() -> TestResult {
    let mut j = signed_on(JournalPolicy::generic_1987())?;
    let t = begin(&mut j, txn(TxnKind::Purchase, 2_500))?;
    let spec = j.spec().clone();
    let response = |mti: &str, stan: &str| -> Result<Vec<u8>, crate::error::EncodeError> {
        let mut b = MessageBuilder::new(&spec);
        b.mti(mti)?.set_copied(11, stan)?.set_copied(39, "00")?;
        b.set_copied(37, "000000000042")?;
        b.encode_to_vec()
    };
    let before = j.clone();
    let err = j
        .on_response_message(t.stan, &response("0210", "000002")?)
        .err()
        .ok_or("response to another STAN recorded")?;
    assert_eq!(field_of(&err), "DE 11 (STAN)");
    assert!(err.to_string().starts_with("response DE 11"), "{err}");
    let err = j
        .on_response_message(t.stan, &response("0110", "000001")?)
        .err()
        .ok_or("response with another MTI recorded")?;
    assert_eq!(field_of(&err), "MTI");
    assert_eq!(j, before, "a refused response changed the journal");
    assert_eq!(
        j.on_response_message(t.stan, &response("0210", "000001")?)?,
        crate::flows::journal::TxnState::Approved
    );
    let r = j.txn(t.stan).ok_or("no record")?;
    assert_eq!(r.rrn.as_deref(), Some("000000000042"));
    assert!(r.response.is_some());
    Ok(())
}
