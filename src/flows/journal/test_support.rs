//! Helpers shared by the journal's tests.

use crate::flows::journal::{
    Journal, JournalError, JournalPolicy, NewTxn, OriginalRef, Stan, Ticket, TxnKind, TxnState,
};

pub(crate) const TID: &str = "T0000001";
pub(crate) const MID: &str = "M00000000000001";

pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A signed-on journal at batch 1.
pub(crate) fn signed_on(policy: JournalPolicy) -> Result<Journal, JournalError> {
    let mut j = Journal::new(TID, MID, policy);
    j.sign_on(Some(1))?;
    Ok(j)
}

/// A request of `kind` on the default terminal and merchant.
pub(crate) fn txn(kind: TxnKind, amount: u64) -> NewTxn {
    NewTxn::new(kind, amount, TID, MID, "0200")
}

/// `begin` with an encoder that writes `MTI|STAN`.
pub(crate) fn begin(j: &mut Journal, req: NewTxn) -> Result<Ticket, JournalError> {
    j.begin(req, |t| {
        Ok::<_, std::io::Error>(format!("REQ|{}", t.stan).into_bytes())
    })
}

/// Begins `req` and approves it.
pub(crate) fn approved(j: &mut Journal, req: NewTxn) -> Result<Stan, JournalError> {
    let t = begin(j, req)?;
    let state = j.on_response(
        t.stan,
        "00",
        Some(format!("RRN{}", t.stan)),
        Some("AUTH01".into()),
    )?;
    assert_eq!(state, TxnState::Approved);
    Ok(t.stan)
}

/// An approved purchase of `amount`.
pub(crate) fn purchase(j: &mut Journal, amount: u64) -> Result<Stan, JournalError> {
    approved(j, txn(TxnKind::Purchase, amount))
}

/// A refund of `amount` against `original`.
pub(crate) fn refund(original: Stan, amount: u64) -> NewTxn {
    txn(TxnKind::Refund, amount).with_original(original)
}

/// A refund against an original from an earlier batch.
pub(crate) fn refund_of_earlier(amount: u64, original: u64, so_far: u64) -> NewTxn {
    txn(TxnKind::Refund, amount).with_original_ref(OriginalRef {
        amount: original,
        refunded_so_far: so_far,
    })
}

/// The state of `stan`, or `None`.
pub(crate) fn state(j: &Journal, stan: Stan) -> Option<TxnState> {
    j.txn(stan).map(|t| t.state)
}
