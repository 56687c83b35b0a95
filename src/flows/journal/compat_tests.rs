//! Files written by earlier builds of the same format version still load.

use crate::flows::journal::test_support::*;
use crate::flows::journal::{ReversalStatus, Stan, TxnState};

/// A v2 file written before store-and-forward existed and while the hex
/// codec was hand-written: an approved keyed purchase (STAN 1, 12.34) and
/// a timed-out purchase (STAN 2, reversal due), batch 4.
const V2_BEFORE_SAF: &[u8] = include_bytes!("testdata/v2_before_saf.journal");

fn body(bytes: &[u8]) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let newline = bytes.iter().position(|&b| b == b'\n').ok_or("no header")?;
    Ok(serde_json::from_slice(
        bytes.get(newline + 1..).ok_or("no body")?,
    )?)
}

#[test]
fn a_v2_file_written_before_loads_and_rerenders_its_records_identically() -> TestResult {
    let (spec, key) = setup();
    let j = crate::flows::journal::file::parse(V2_BEFORE_SAF, spec, key)?;
    j.verify()?;
    let (one, two) = (Stan::new(1).ok_or("stan")?, Stan::new(2).ok_or("stan")?);
    assert_eq!(j.batch(), 4);
    assert_eq!(
        j.txn(one).map(|t| (t.state, t.amount)),
        Some((TxnState::Approved, 1234))
    );
    assert_eq!(j.txn(two).map(|t| t.state), Some(TxnState::Uncertain));
    assert_eq!(
        j.reversals()
            .iter()
            .map(|r| (r.stan, r.status))
            .collect::<Vec<_>>(),
        vec![(two, ReversalStatus::Due)]
    );
    // The sealed PAN (hex in the file) opens and the kept request (hex) restores.
    let original = j.original(one)?;
    let view = crate::MessageView::decode(j.spec(), original.request())?;
    assert_eq!(view.str(2), Some("4761739001010119"));
    // No store-and-forward state in an old file: the queue starts empty.
    assert!(j.next_advice().is_none() && j.expired_advices().is_empty());
    // The hex-encoded parts (kept requests, sealed PANs) render byte for byte
    // as the earlier build wrote them.
    let again = crate::flows::journal::file::render(&j)?;
    let (old, new) = (body(V2_BEFORE_SAF)?, body(&again)?);
    assert_eq!(old.get("txns"), new.get("txns"));
    assert_eq!(old.get("reversals"), new.get("reversals"));
    assert!(old.get("txns").is_some());
    Ok(())
}
