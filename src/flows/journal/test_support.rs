//! Helpers shared by the journal's tests.

use crate::flows::journal::{
    Journal, JournalError, JournalPolicy, NewTxn, OriginalRef, Stan, Ticket, TxnKind, TxnState,
};

pub(crate) const TID: &str = "T0000001";
pub(crate) const MID: &str = "M00000000000001";

pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A new journal on the default terminal and merchant, with the test spec and key.
pub(crate) fn new_journal(policy: JournalPolicy) -> Journal {
    let (spec, key) = crate::fuzzing::journal_setup();
    Journal::new(spec, key, TID, MID, policy)
}

/// The test spec and key, to reopen files.
pub(crate) fn setup() -> (
    crate::Spec,
    std::sync::Arc<dyn crate::flows::journal::JournalKey>,
) {
    crate::fuzzing::journal_setup()
}

/// A signed-on journal at batch 1.
pub(crate) fn signed_on(policy: JournalPolicy) -> Result<Journal, JournalError> {
    let mut j = new_journal(policy);
    j.sign_on(Some(1))?;
    Ok(j)
}

/// An encoder for `req` that writes its facts and the allocated STAN.
pub(crate) fn encoder(
    req: &NewTxn,
) -> impl FnOnce(&Ticket) -> Result<Vec<u8>, crate::error::EncodeError> + use<> {
    let (spec, _) = setup();
    let req = req.clone();
    move |t| crate::fuzzing::journal_request(&spec, &req, t.stan)
}

/// An encoder for `req` that also sets `extra` fields (card data).
pub(crate) fn encoder_with(
    req: &NewTxn,
    extra: &[(u16, &str)],
) -> impl FnOnce(&Ticket) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> + use<> {
    let (spec, _) = setup();
    let req = req.clone();
    let extra: Vec<(u16, String)> = extra.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
    move |t| {
        let plain = crate::fuzzing::journal_request(&spec, &req, t.stan)?;
        let view = crate::MessageView::decode(&spec, &plain)?;
        let mut b = crate::MessageBuilder::from_view(&view);
        for (n, v) in &extra {
            b.set_copied(*n, v)?;
        }
        Ok(b.encode_to_vec()?)
    }
}

/// `begin` on a file journal with [`encoder`].
pub(crate) fn fbegin(
    fj: &mut crate::flows::journal::FileJournal,
    req: NewTxn,
) -> Result<Ticket, JournalError> {
    let enc = encoder(&req);
    fj.begin(req, enc)
}

/// A request of `kind` on the default terminal and merchant.
pub(crate) fn txn(kind: TxnKind, amount: u64) -> NewTxn {
    NewTxn::new(kind, amount, TID, MID, "0200")
}

/// `begin` with [`encoder`].
pub(crate) fn begin(j: &mut Journal, req: NewTxn) -> Result<Ticket, JournalError> {
    let enc = encoder(&req);
    j.begin(req, enc)
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

/// Opens the journal file at `path` with the test spec and key, once.
pub(crate) fn open_once(
    path: impl Into<std::path::PathBuf>,
) -> Result<crate::flows::journal::FileJournal, JournalError> {
    let (spec, key) = setup();
    crate::flows::journal::FileJournal::open(path, spec, key)
}

/// [`open_once`], retried for up to two seconds while the file is in use.
///
/// Tests in this binary spawn child processes; between `fork` and `exec` a
/// child shares every open file description of the test process, the lock
/// file of a handle just dropped by another test thread included, so the
/// lock may outlive the drop by that moment.
pub(crate) fn open(
    path: impl Into<std::path::PathBuf>,
) -> Result<crate::flows::journal::FileJournal, JournalError> {
    let path = path.into();
    retry_in_use(|| open_once(path.clone()))
}

/// Calls `open` until it does not answer [`JournalError::InUse`], for up to
/// ten seconds (see [`open`]): on a loaded machine a child spawned by another test can take
/// that long between its fork and its exec, holding a copy of the lock file descriptor.
pub(crate) fn retry_in_use<T>(
    mut open: impl FnMut() -> Result<T, JournalError>,
) -> Result<T, JournalError> {
    for _ in 0..1000 {
        match open() {
            Err(JournalError::InUse { .. }) => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
    open()
}
