//! Nothing sensitive at rest: random operation sequences against a file
//! journal, with planted PANs, tracks, PIN blocks, CVVs and cryptograms. The
//! file must never hold any of them in a readable form, and a reopened
//! journal must still reverse, void and refund from what it kept.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;

use crate::flows::journal::{
    FileJournal, Journal, JournalKey, NewTxn, SoftwareKey, Stan, TxnKind, TxnState,
};
use crate::flows::{Card, FlowContext, FlowProfile, HostSimulator, LocalTime, ReversalStyle};
use crate::framing::PosHeader;
use crate::{MessageView, Spec};

type Fail = TestCaseError;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn fail(e: impl core::fmt::Display) -> Fail {
    TestCaseError::fail(e.to_string())
}

/// The card data planted in one test case.
#[derive(Clone, Debug)]
struct Planted {
    /// PANs of the chip, magstripe and keyed card.
    pans: [String; 3],
    /// Discretionary data of the track (holds the CVV).
    discretionary: String,
    pin_block: [u8; 8],
    cryptogram: [u8; 8],
}

const EXPIRY: &str = "2912";

impl Planted {
    fn track2(&self) -> String {
        format!("{}={EXPIRY}{}", self.pans[1], self.discretionary)
    }

    fn icc(&self) -> Vec<u8> {
        let mut icc = vec![0x9F, 0x26, 0x08];
        icc.extend_from_slice(&self.cryptogram);
        icc.extend_from_slice(&[0x9F, 0x27, 0x01, 0x80, 0x5A]);
        let bcd = packed_bcd(&self.pans[0], b'F');
        icc.push(bcd.len() as u8);
        icc.extend_from_slice(&bcd);
        icc
    }

    fn card(&self, which: u8, pin: bool) -> Card {
        let mut card = match which % 3 {
            0 => Card::chip(&self.pans[0], EXPIRY, "001", self.icc()),
            1 => Card::magstripe(&self.track2()),
            _ => Card::keyed(&self.pans[2], EXPIRY),
        };
        if pin {
            card.pin_block = Some(self.pin_block);
        }
        card
    }

    /// Every byte string whose presence in the file would be a leak.
    fn needles(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for pan in &self.pans {
            text_forms(&mut out, "PAN", pan);
            // Leading digits without the last four (what a mask shows is not
            // enough to leak it, the rest would be).
            text_forms(
                &mut out,
                "PAN head",
                pan.get(..pan.len() - 4).unwrap_or(pan),
            );
        }
        text_forms(&mut out, "track 2", &self.track2());
        // The CVV alone is three digits, too short to look for without
        // false hits; it is looked for inside the discretionary data
        // (service code 101, CVV, 7 more digits), a unique run, in every form.
        text_forms(
            &mut out,
            "discretionary data (with the CVV)",
            &self.discretionary,
        );
        binary_forms(&mut out, "PIN block", &self.pin_block);
        binary_forms(&mut out, "cryptogram", &self.cryptogram);
        binary_forms(&mut out, "ICC data", &self.icc());
        out
    }
}

/// Digits packed two per byte, padded with `pad` (a nibble: b'0' or b'F').
fn packed_bcd(digits: &str, pad: u8) -> Vec<u8> {
    let mut nibbles: Vec<u8> = digits.bytes().map(|d| d - b'0').collect();
    if nibbles.len() % 2 == 1 {
        nibbles.push(if pad == b'F' { 0x0F } else { 0 });
    }
    nibbles.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
}

fn hex(bytes: &[u8], upper: bool) -> Vec<u8> {
    let s = crate::flows::journal::hex::encode(bytes);
    if upper { s.to_uppercase() } else { s }.into_bytes()
}

/// Text, hex of its ASCII (both cases) and, for digits, packed BCD (raw,
/// left- and right-padded, and its hex in both cases).
fn text_forms(out: &mut Vec<(String, Vec<u8>)>, what: &str, text: &str) {
    let ascii = text.as_bytes();
    out.push((format!("{what} as text"), ascii.to_vec()));
    out.push((format!("{what} as hex of ASCII"), hex(ascii, false)));
    out.push((format!("{what} as HEX of ASCII"), hex(ascii, true)));
    if text.bytes().all(|b| b.is_ascii_digit()) {
        for pad in [b'0', b'F'] {
            let right = packed_bcd(text, pad);
            let mut left_digits = text.to_owned();
            if text.len() % 2 == 1 {
                left_digits.insert(0, '0');
            }
            let left = packed_bcd(&left_digits, pad);
            for bcd in [right, left] {
                out.push((format!("{what} as packed BCD"), bcd.clone()));
                out.push((format!("{what} as hex of BCD"), hex(&bcd, false)));
                out.push((format!("{what} as HEX of BCD"), hex(&bcd, true)));
            }
        }
    }
    // Track data in an EBCDIC or BCD dialect: '=' as 'D'.
    if text.contains('=') {
        text_forms(out, what, &text.replace('=', "D"));
    }
}

fn binary_forms(out: &mut Vec<(String, Vec<u8>)>, what: &str, bytes: &[u8]) {
    out.push((format!("{what} raw"), bytes.to_vec()));
    out.push((format!("{what} as hex"), hex(bytes, false)));
    out.push((format!("{what} as HEX"), hex(bytes, true)));
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Fails when the file at `fj`'s path holds any planted value.
fn assert_clean(fj: &FileJournal, needles: &[(String, Vec<u8>)]) -> Result<(), Fail> {
    let bytes = std::fs::read(fj.path()).map_err(fail)?;
    for (what, needle) in needles {
        prop_assert!(!contains(&bytes, needle), "journal file holds the {}", what);
    }
    Ok(())
}

#[derive(Clone, Debug)]
enum Op {
    Purchase {
        card: u8,
        amount: u64,
        pin: bool,
        lose: bool,
    },
    Void {
        pick: usize,
        lose: bool,
    },
    Refund {
        pick: usize,
        amount: u64,
        lose: bool,
    },
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), 1u64..9_000, any::<bool>(), prop::bool::weighted(0.2))
            .prop_map(|(card, amount, pin, lose)| Op::Purchase { card, amount, pin, lose }),
        1 => (any::<usize>(), prop::bool::weighted(0.2)).prop_map(|(pick, lose)| Op::Void { pick, lose }),
        2 => (any::<usize>(), 1u64..3_000, prop::bool::weighted(0.2))
            .prop_map(|(pick, amount, lose)| Op::Refund { pick, amount, lose }),
        1 => Just(Op::Reopen),
    ]
}

fn planted() -> impl Strategy<Value = Planted> {
    (
        prop::array::uniform3("[3-6][0-9]{15,18}"),
        "[0-9]{3}",
        "[0-9]{7}",
        any::<[u8; 8]>(),
        any::<[u8; 8]>(),
    )
        .prop_map(|(pans, cvv, rest, pin_block, cryptogram)| Planted {
            // Service code 101, then the CVV, then the rest: 13 digits.
            discretionary: format!("101{cvv}{rest}"),
            pans,
            pin_block,
            cryptogram,
        })
}

/// One terminal's session: context, host, journal file and what it knows.
struct Session {
    ctx: FlowContext,
    host: HostSimulator,
    fj: Option<FileJournal>,
    path: std::path::PathBuf,
    key: Arc<dyn JournalKey>,
    /// Approved purchases still live: STAN -> (PAN, amount).
    purchases: BTreeMap<Stan, (String, u64)>,
    now: LocalTime,
}

impl Session {
    fn new(cup: bool, dir: &std::path::Path) -> Result<Session, Fail> {
        let profile = if cup {
            FlowProfile::cup_pos()
        } else {
            FlowProfile::generic_1987()
        };
        let spec = Spec::builtin(if cup { "cup-pos" } else { "iso87-ascii-bin" }).map_err(fail)?;
        // TPDU 60 0003 0000, application 61, version 31, status 00, software 310102.
        const HEADER: [u8; 11] = [0x60, 0, 3, 0, 0, 0x61, 0x31, 0, 0x31, 1, 2];
        let header = (spec.header_len() == PosHeader::LEN)
            .then(|| PosHeader::parse(&HEADER))
            .transpose()
            .map_err(fail)?;
        let ctx = FlowContext {
            spec: spec.clone(),
            profile: profile.clone(),
            terminal_id: "TERM0001".into(),
            merchant_id: "123456789012345".into(),
            acquirer_id: Some("48020000".into()),
            header,
        };
        let key: Arc<dyn JournalKey> = Arc::new(SoftwareKey::from_bytes(4, &[0x3c; 32]));
        let mut journal = Journal::new(
            spec,
            key.clone(),
            "TERM0001",
            "123456789012345",
            profile.journal.clone(),
        );
        journal.sign_on(Some(1)).map_err(fail)?;
        let path = dir.join("terminal.journal");
        let fj = FileJournal::create(&path, journal).map_err(fail)?;
        Ok(Session {
            host: HostSimulator::new(profile, 5_000),
            ctx,
            fj: Some(fj),
            path,
            key,
            purchases: BTreeMap::new(),
            now: LocalTime::new(11, 22, 9, 30, 0).map_err(fail)?,
        })
    }

    fn fj(&mut self) -> Result<&mut FileJournal, Fail> {
        self.fj.as_mut().ok_or_else(|| fail("journal closed"))
    }

    fn reopen(&mut self) -> Result<(), Fail> {
        drop(self.fj.take());
        // Retried while a child spawned by another test still shares the lock (see
        // `test_support::open`).
        let fj = crate::flows::journal::test_support::retry_in_use(|| {
            FileJournal::open(&self.path, self.ctx.spec.clone(), self.key.clone())
        })
        .map_err(fail)?;
        self.fj = Some(fj);
        Ok(())
    }

    fn pan_of(&self, stan: Stan) -> Option<&str> {
        self.purchases.get(&stan).map(|(p, _)| p.as_str())
    }

    /// Sends every due reversal, built from what the journal kept, and
    /// checks the reversal's values.
    fn flush(&mut self, pans: &BTreeMap<Stan, String>) -> Result<(), Fail> {
        while let Some(job) = self.fj()?.journal().next_reversal() {
            let original = self.fj()?.journal().original(job.stan).map_err(fail)?;
            let spec = self.ctx.spec.clone();
            let view = MessageView::decode(&spec, original.request()).map_err(fail)?;
            let wire = self
                .ctx
                .reversal(
                    &view,
                    job.reason,
                    job.auth_code.as_deref(),
                    job.repeat,
                    &self.now,
                )
                .map_err(fail)?
                .encode_to_vec()
                .map_err(fail)?;
            let rev = MessageView::decode(&spec, &wire).map_err(fail)?;
            let pan = pans
                .get(&job.stan)
                .ok_or_else(|| fail("unknown reversal"))?;
            prop_assert_eq!(rev.field(2).map(|f| f.clear_string()), Some(pan.clone()));
            prop_assert_eq!(
                rev.field(14).map(|f| f.clear_string()),
                Some(EXPIRY.to_owned())
            );
            prop_assert_eq!(
                rev.field(11).and_then(|f| f.to_u64()),
                Some(u64::from(job.stan.get()))
            );
            for n in [35, 36, 45, 52, 53, 55] {
                prop_assert!(!rev.has(n), "reversal carries DE {}", n);
            }
            match self.ctx.profile.reversal_style {
                ReversalStyle::CupCopy => {
                    prop_assert_eq!(rev.str(39), Some(job.reason.code()));
                    prop_assert!(!rev.has(26));
                }
                ReversalStyle::De90 => {
                    let de90 = rev.original_data().ok_or_else(|| fail("no DE 90"))?;
                    prop_assert_eq!(de90.stan, job.stan.get());
                    prop_assert_eq!(de90.mti.as_str(), job.original_mti.as_str());
                }
            }
            self.fj()?.on_reversal_sent(job.stan).map_err(fail)?;
            let rsp = self
                .host
                .answer(&rev)
                .map_err(fail)?
                .encode_to_vec()
                .map_err(fail)?;
            let code = MessageView::decode(&spec, &rsp)
                .map_err(fail)?
                .str(39)
                .unwrap_or("96")
                .to_owned();
            self.fj()?
                .on_reversal_response(job.stan, &code)
                .map_err(fail)?;
        }
        Ok(())
    }

    /// Begins `txn` with `build`, then answers it (or loses the answer).
    fn online(
        &mut self,
        txn: NewTxn,
        lose: bool,
        build: impl FnOnce(&FlowContext, Stan, u32) -> Result<Vec<u8>, BoxError>,
    ) -> Result<Option<(Stan, TxnState)>, Fail> {
        let ctx = self.ctx.clone();
        let ticket = match self.fj()?.begin(txn, |t| build(&ctx, t.stan, t.batch)) {
            Ok(t) => t,
            // Business rules (refund above the original, void of a voided
            // purchase, ...) may refuse: that is not this test's subject.
            Err(crate::flows::journal::JournalError::Mismatch { field, .. }) => {
                return Err(fail(format!("builder and journal disagree on {field}")));
            }
            Err(_) => return Ok(None),
        };
        if lose {
            self.fj()?.on_timeout(ticket.stan).map_err(fail)?;
            return Ok(Some((ticket.stan, TxnState::Uncertain)));
        }
        let view = MessageView::decode(&self.ctx.spec, &ticket.request).map_err(fail)?;
        let rsp = self
            .host
            .answer(&view)
            .map_err(fail)?
            .encode_to_vec()
            .map_err(fail)?;
        let state = self
            .fj()?
            .on_response_message(ticket.stan, &rsp)
            .map_err(fail)?;
        Ok(Some((ticket.stan, state)))
    }

    fn txn(&self, kind: TxnKind, amount: u64, mti: &str) -> NewTxn {
        NewTxn::new(kind, amount, "TERM0001", "123456789012345", mti)
    }

    /// Builds a void and a refund of every live purchase from the journal
    /// alone, and checks their values (nothing is sent).
    fn check_follow_ups(&mut self) -> Result<(), Fail> {
        let spec = self.ctx.spec.clone();
        let journal = self.fj()?.journal().clone();
        for (stan, (pan, amount)) in &self.purchases {
            let Some(record) = journal.txn(*stan) else {
                continue;
            };
            if record.state != TxnState::Approved {
                continue;
            }
            let original = journal.original(*stan).map_err(fail)?;
            let req = MessageView::decode(&spec, original.request()).map_err(fail)?;
            let rsp_bytes = original
                .response()
                .ok_or_else(|| fail("response not kept"))?;
            let rsp = MessageView::decode(&spec, rsp_bytes).map_err(fail)?;
            let next = Stan::new(999_000).ok_or_else(|| fail("stan"))?;
            let void = self
                .ctx
                .void(next, journal.batch(), &req, &rsp, &self.now)
                .map_err(fail)?
                .encode_to_vec()
                .map_err(fail)?;
            let void = MessageView::decode(&spec, &void).map_err(fail)?;
            prop_assert_eq!(void.field(2).map(|f| f.clear_string()), Some(pan.clone()));
            prop_assert_eq!(void.field(4).and_then(|f| f.to_u64()), Some(*amount));
            prop_assert_eq!(void.field(37).map(|f| f.clear_string()), record.rrn.clone());
            prop_assert_eq!(
                void.field(38).map(|f| f.clear_string()),
                record.auth_code.clone()
            );
            let refund = self
                .ctx
                .refund(next, journal.batch(), &req, &rsp, 1, &self.now)
                .map_err(fail)?
                .encode_to_vec()
                .map_err(fail)?;
            let refund = MessageView::decode(&spec, &refund).map_err(fail)?;
            prop_assert_eq!(refund.field(2).map(|f| f.clear_string()), Some(pan.clone()));
            prop_assert_eq!(refund.field(4).and_then(|f| f.to_u64()), Some(1));
            prop_assert_eq!(
                refund.field(37).map(|f| f.clear_string()),
                record.rrn.clone()
            );
            if self.ctx.profile.uses_de60 {
                let trace = void
                    .subfield("61.2")
                    .map_err(fail)?
                    .map(|s| s.clear_string());
                prop_assert_eq!(trace, Some(stan.to_string()));
            } else {
                let de90 = void.original_data().ok_or_else(|| fail("no DE 90"))?;
                prop_assert_eq!(de90.stan, stan.get());
            }
            for view in [&void, &refund] {
                for n in [35, 36, 45, 52, 53, 55] {
                    prop_assert!(!view.has(n), "follow-up carries DE {}", n);
                }
            }
        }
        Ok(())
    }
}

fn run(cup: bool, planted: &Planted, ops: &[Op]) -> Result<(), Fail> {
    let dir = tempfile::tempdir().map_err(fail)?;
    let mut s = Session::new(cup, dir.path())?;
    let needles = planted.needles();
    let profile = s.ctx.profile.clone();
    // PAN of every journaled transaction, for checking reversals.
    let mut pans: BTreeMap<Stan, String> = BTreeMap::new();
    for op in ops {
        s.flush(&pans)?;
        match op {
            Op::Purchase {
                card,
                amount,
                pin,
                lose,
            } => {
                let c = planted.card(*card, *pin);
                let pan = planted.pans[usize::from(*card % 3)].clone();
                let now = s.now;
                let txn = s.txn(TxnKind::Purchase, *amount, &profile.purchase.mti);
                if let Some((stan, state)) = s.online(txn, *lose, |ctx, stan, batch| {
                    Ok(ctx
                        .purchase(stan, batch, &c, *amount, &now)?
                        .encode_to_vec()?)
                })? {
                    pans.insert(stan, pan.clone());
                    if state == TxnState::Approved {
                        s.purchases.insert(stan, (pan, *amount));
                    }
                }
            }
            Op::Void { pick, lose } | Op::Refund { pick, lose, .. } => {
                let live: Vec<Stan> = s.purchases.keys().copied().collect();
                let Some(&original) = live.get(pick % live.len().max(1)) else {
                    continue;
                };
                let journal = s.fj()?.journal().clone();
                let Ok(orig) = journal.original(original) else {
                    continue;
                };
                let Some(rsp_bytes) = orig.response().map(<[u8]>::to_vec) else {
                    continue;
                };
                let req_bytes = orig.request().to_vec();
                let now = s.now;
                let (kind, amount, mti) = match op {
                    Op::Refund { amount, .. } => {
                        (TxnKind::Refund, *amount, profile.refund.mti.clone())
                    }
                    _ => {
                        let a = s.purchases.get(&original).map_or(0, |p| p.1);
                        (TxnKind::Void, a, profile.void.mti.clone())
                    }
                };
                let txn = s.txn(kind, amount, &mti).with_original(original);
                let pan = s.pan_of(original).map(str::to_owned);
                let done = s.online(txn, *lose, |ctx, stan, batch| {
                    let req = MessageView::decode(&ctx.spec, &req_bytes)?;
                    let rsp = MessageView::decode(&ctx.spec, &rsp_bytes)?;
                    let b = if kind == TxnKind::Void {
                        ctx.void(stan, batch, &req, &rsp, &now)?
                    } else {
                        ctx.refund(stan, batch, &req, &rsp, amount, &now)?
                    };
                    Ok(b.encode_to_vec()?)
                })?;
                if let (Some((stan, _)), Some(pan)) = (done, pan) {
                    pans.insert(stan, pan);
                }
            }
            Op::Reopen => {
                s.reopen()?;
                s.check_follow_ups()?;
            }
        }
        // Voided or reversed purchases are no longer live.
        let journal = s.fj()?.journal().clone();
        s.purchases.retain(|stan, _| {
            journal
                .txn(*stan)
                .is_some_and(|t| t.state.is_live_approval())
        });
        assert_clean(s.fj()?, &needles)?;
    }
    s.reopen()?;
    s.flush(&pans)?;
    s.check_follow_ups()?;
    assert_clean(s.fj()?, &needles)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn journal_file_never_holds_card_data_and_still_reverses_voids_and_refunds(
        cup in any::<bool>(),
        planted in planted(),
        ops in prop::collection::vec(op(), 1..24),
    ) {
        run(cup, &planted, &ops)?;
    }
}

/// The needles are real: the same planted values are found in a request as
/// sent (so a journal that stored it would fail the test above).
#[test]
fn the_needles_find_card_data_in_a_request_as_sent() -> Result<(), Fail> {
    let planted = Planted {
        pans: [
            "4761739001010119".into(),
            "6222021234567890123".into(),
            "5413330089010608".into(),
        ],
        discretionary: "1015551234567".into(),
        pin_block: [0x0A, 0x1B, 0x2C, 0x3D, 0x4E, 0x5F, 0x60, 0x71],
        cryptogram: [1, 2, 3, 4, 5, 6, 7, 8],
    };
    let needles = planted.needles();
    for cup in [false, true] {
        let dir = tempfile::tempdir().map_err(fail)?;
        let s = Session::new(cup, dir.path())?;
        let stan = Stan::FIRST;
        for which in 0..3u8 {
            let card = planted.card(which, true);
            let sent = s
                .ctx
                .purchase(stan, 1, &card, 100, &s.now)
                .map_err(fail)?
                .encode_to_vec()
                .map_err(fail)?;
            // The hex dump of the request, as the version 1 file stored it.
            let stored_v1 = hex(&sent, false);
            let found = needles
                .iter()
                .filter(|(_, n)| contains(&sent, n) || contains(&stored_v1, n))
                .count();
            prop_assert!(
                found >= 3,
                "card {} on cup={}: only {} needles found",
                which,
                cup,
                found
            );
        }
    }
    Ok(())
}

/// A user spec whose private fields hold card data: DE 48 (tagged, with a
/// CVV2) and DE 127 (with an account number) are marked `mask = "full"`.
const PRIVATE_CARD_DATA: &str = r#"
name = "private-card-data"
[message]
mti = "ascii"
bitmap = "binary"
[fields]
2 = { name = "PAN", class = "n", prefix = "LL", max = 19 }
3 = { name = "Processing code", class = "n", length = 6 }
4 = { name = "Amount", class = "n", length = 12 }
11 = { name = "STAN", class = "n", length = 6 }
41 = { name = "Terminal", class = "ans", length = 8 }
42 = { name = "Merchant", class = "ans", length = 15 }
48 = { name = "Additional data", class = "ans", prefix = "LLL", max = 999, mask = "full" }
127 = { name = "Private", class = "ans", prefix = "LLL", max = 999, mask = "full" }
"#;

#[test]
fn private_fields_the_spec_masks_are_not_kept() -> Result<(), Box<dyn std::error::Error>> {
    use crate::flows::journal::test_support::{MID, TID, retry_in_use, txn};
    let spec = Spec::from_toml_str(PRIVATE_CARD_DATA, "private-card-data.toml")?;
    let key: Arc<dyn JournalKey> = Arc::new(SoftwareKey::from_bytes(1, &[8; 32]));
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.json");
    let mut journal = Journal::new(
        spec.clone(),
        key.clone(),
        TID,
        MID,
        crate::flows::journal::JournalPolicy::generic_1987(),
    );
    journal.sign_on(None)?;
    let mut fj = FileJournal::create(&path, journal)?;
    let (cvv2, account) = ("CV0044817", "AC0195413330089010608");
    let req = txn(TxnKind::Purchase, 100);
    let (spec2, facts) = (spec.clone(), req.clone());
    let t = fj.begin(req, move |t| -> Result<Vec<u8>, BoxError> {
        let plain = crate::fuzzing::journal_request(&spec2, &facts, t.stan)?;
        let mut b = crate::MessageBuilder::from_view(&MessageView::decode(&spec2, &plain)?);
        b.set_copied(2, "5413330089010608")?;
        b.set_copied(48, cvv2)?;
        b.set_copied(127, account)?;
        Ok(b.encode_to_vec()?)
    })?;
    let sent = MessageView::decode(&spec, &t.request)?;
    assert!(sent.has(48) && sent.has(127));
    let kept = MessageView::decode(&spec, &fj.journal().txn(t.stan).ok_or("no record")?.request)?;
    assert!(!kept.has(2) && !kept.has(48) && !kept.has(127));
    drop(fj);
    let file = std::fs::read(&path)?;
    for needle in [cvv2, account, "5413330089010608"] {
        let mut forms = Vec::new();
        text_forms(&mut forms, needle, needle);
        for (what, form) in forms {
            assert!(!contains(&file, &form), "file holds {what}");
        }
    }
    let fj = retry_in_use(|| FileJournal::open(&path, spec.clone(), key.clone()))?;
    let original = fj.journal().original(t.stan)?;
    let back = MessageView::decode(&spec, original.request())?;
    assert_eq!(back.str(2), Some("5413330089010608"));
    assert!(!back.has(48) && !back.has(127));
    Ok(())
}
