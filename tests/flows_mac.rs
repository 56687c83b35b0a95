//! MACs on the POS flows: with a MAC key configured, the requests the profiles build are
//! signed and verified by the host; a response whose MAC fails takes the journal's MAC-failure
//! path (A0, reversal due, re-sign-on). Both bundled profiles, with their specs' `[mac]`.
#![cfg(feature = "crypto")]

use iso8583_wire::flows::journal::{
    FileJournal, Journal, JournalKey, JournalPolicy, NewTxn, ReversalReason, SoftwareKey, Stan,
    Ticket, TxnKind, TxnState,
};
use iso8583_wire::flows::{
    Card, FlowContext, FlowMac, FlowProfile, HostSimulator, LocalTime, response_to,
};
use iso8583_wire::framing::PosHeader;
use iso8583_wire::security::{SecurityError, TdesKey};
use iso8583_wire::{MessageView, Spec};

mod common;

const MAK: &str = "0123456789ABCDEFFEDCBA9876543210";

fn mak() -> TdesKey {
    TdesKey::from_hex(MAK).unwrap()
}

/// `iso87-ascii-bin` with its commented generic-1987 `[mac]` example switched on.
fn generic_spec() -> Spec {
    let text = include_str!("../specs/iso87-ascii-bin.toml");
    let at = text.find("# [mac]").unwrap();
    let mac: String = text[at..]
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("# ").unwrap_or(l)))
        .collect();
    Spec::from_toml_str(&format!("{}{mac}", &text[..at]), "generic-mac.toml").unwrap()
}

fn ctx(profile: &str) -> FlowContext {
    let cup = profile == "cup-pos";
    FlowContext {
        spec: if cup {
            Spec::builtin("cup-pos").unwrap()
        } else {
            generic_spec()
        },
        profile: FlowProfile::builtin(profile).unwrap(),
        terminal_id: "TERM0001".into(),
        merchant_id: "123456789012345".into(),
        acquirer_id: (!cup).then(|| "123456".into()),
        header: PosHeader::parse(&[0x60, 0, 3, 0, 0, 0x60, 0x31, 0, 0x31, 0x01, 0x02]).ok(),
    }
}

/// The journal's own key (PAN sealing, file MAC): not the MAC key of the link.
fn journal_key() -> std::sync::Arc<dyn JournalKey> {
    std::sync::Arc::new(SoftwareKey::from_bytes(1, &[7; 32]))
}

fn now() -> LocalTime {
    LocalTime::new(11, 22, 9, 30, 0).unwrap()
}

fn stan(n: u32) -> Stan {
    Stan::new(n).unwrap()
}

fn card() -> Card {
    Card::keyed("6222021234567890123", "2912")
}

/// The journal's facts of the 25.00 purchase.
fn purchase_txn(c: &FlowContext) -> NewTxn {
    NewTxn::new(
        TxnKind::Purchase,
        2500,
        &c.terminal_id,
        &c.merchant_id,
        "0200",
    )
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The journal's encoder for that purchase: built by the profile, sealed with the MAC.
fn sealed_purchase<'a>(
    c: &'a FlowContext,
    mac: &'a FlowMac,
) -> impl FnOnce(&Ticket) -> Result<Vec<u8>, BoxError> + 'a {
    move |t| {
        let b = c.purchase(t.stan, 1, &card(), 2500, &now())?;
        Ok(mac.seal(b)?.encode_to_vec()?)
    }
}

/// A signed-on journal with a purchase in flight; returns it with the purchase's STAN and the
/// signed request as sent.
fn purchase_in_flight(c: &FlowContext, mac: &FlowMac) -> (Journal, Stan, Vec<u8>) {
    let policy = if c.profile.uses_de60 {
        JournalPolicy::cup_pos()
    } else {
        JournalPolicy::generic_1987()
    };
    let mut j = Journal::new(
        c.spec.clone(),
        journal_key(),
        &c.terminal_id,
        &c.merchant_id,
        policy,
    );
    j.sign_on(Some(1)).unwrap();
    let ticket = j.begin(purchase_txn(c), sealed_purchase(c, mac)).unwrap();
    (j, ticket.stan, ticket.request.clone())
}

#[test]
fn each_profile_signs_its_requests_and_the_host_approves_them() {
    for profile in ["cup-pos", "generic-1987"] {
        let c = ctx(profile);
        let mac = FlowMac::with_key(&c.spec, &mak()).unwrap();
        let (mut j, s, wire) = purchase_in_flight(&c, &mac);
        let request = MessageView::decode(&c.spec, &wire).unwrap();
        assert!(request.has(64), "{profile}: the purchase carries DE 64");
        assert_eq!(mac.host_check(&request), None, "{profile}");
        mac.check(&request).unwrap();
        // The host answers and signs its response; the terminal records the approval.
        let mut host = HostSimulator::new(c.profile.clone(), 100_000);
        let response = mac.seal(host.answer(&request).unwrap()).unwrap();
        let response = response.encode_to_vec().unwrap();
        let response = MessageView::decode(&c.spec, &response).unwrap();
        assert!(response.has(64), "{profile}: the response is signed");
        assert_eq!(
            mac.record_response(&mut j, s, &response).unwrap(),
            TxnState::Approved,
            "{profile}"
        );
        assert!(j.reversals().is_empty());
        // Sign-on (class 8) carries no MAC: sealing leaves it as it was.
        let sign_on = c.sign_on(stan(9), 1, &now()).unwrap();
        let plain = sign_on.encode_to_vec().unwrap();
        assert_eq!(mac.seal(sign_on).unwrap().encode_to_vec().unwrap(), plain);
    }
}

#[test]
fn a_tampered_request_is_answered_a0_by_the_host() {
    for profile in ["cup-pos", "generic-1987"] {
        let c = ctx(profile);
        let mac = FlowMac::with_key(&c.spec, &mak()).unwrap();
        let (_, _, mut wire) = purchase_in_flight(&c, &mac);
        let amount = {
            let v = MessageView::decode(&c.spec, &wire).unwrap();
            v.field(4).unwrap().offset()
        };
        wire[amount + 3] ^= 0x01; // the amount changes, the MAC does not
        let request = MessageView::decode(&c.spec, &wire).unwrap();
        assert_eq!(mac.host_check(&request), Some("A0"), "{profile}");
        // Another key is a bad MAC too.
        let other = FlowMac::with_key(
            &c.spec,
            &TdesKey::from_hex("FEDCBA98765432100123456789ABCDEF").unwrap(),
        )
        .unwrap();
        let (_, _, good) = purchase_in_flight(&c, &mac);
        let request = MessageView::decode(&c.spec, &good).unwrap();
        assert_eq!(other.host_check(&request), Some("A0"), "{profile}");
    }
}

#[test]
fn a_response_with_a_bad_or_missing_mac_takes_the_mac_failure_path() {
    for profile in ["cup-pos", "generic-1987"] {
        let c = ctx(profile);
        let mac = FlowMac::with_key(&c.spec, &mak()).unwrap();
        // Unsigned approval.
        let (mut j, s, wire) = purchase_in_flight(&c, &mac);
        let request = MessageView::decode(&c.spec, &wire).unwrap();
        let unsigned = response_to(&request, &c.profile, "00").unwrap();
        let unsigned = unsigned.encode_to_vec().unwrap();
        let unsigned = MessageView::decode(&c.spec, &unsigned).unwrap();
        assert!(matches!(mac.check(&unsigned), Err(SecurityError::Scope(_))));
        assert_eq!(
            mac.record_response(&mut j, s, &unsigned).unwrap(),
            TxnState::ReversalPending,
            "{profile}"
        );
        let rev = j.reversals().first().expect("a reversal is due");
        assert_eq!((rev.stan, rev.reason), (s, ReversalReason::MacFailure));
        assert_eq!(rev.reason.code(), "A0");
        assert!(
            !j.is_signed_on(),
            "{profile}: a MAC failure forces a new sign-on"
        );
        // Signed approval, then tampered: the same path.
        let (mut j, s, wire) = purchase_in_flight(&c, &mac);
        let request = MessageView::decode(&c.spec, &wire).unwrap();
        let signed = mac
            .seal(response_to(&request, &c.profile, "00").unwrap())
            .unwrap();
        let mut tampered = signed.encode_to_vec().unwrap();
        let at = MessageView::decode(&c.spec, &tampered)
            .unwrap()
            .field(39)
            .unwrap()
            .offset();
        tampered[at + 1] ^= 0x01; // "00" becomes "01"
        let tampered = MessageView::decode(&c.spec, &tampered).unwrap();
        assert_eq!(mac.check(&tampered), Err(SecurityError::MacMismatch));
        assert_eq!(
            mac.record_response(&mut j, s, &tampered).unwrap(),
            TxnState::ReversalPending
        );
        // The untampered response verifies.
        let good = signed.encode_to_vec().unwrap();
        let good = MessageView::decode(&c.spec, &good).unwrap();
        mac.check(&good).unwrap();
    }
}

#[test]
fn a_file_journal_takes_the_same_path() {
    let c = ctx("cup-pos");
    let mac = FlowMac::with_key(&c.spec, &mak()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal");
    let journal = Journal::new(
        c.spec.clone(),
        journal_key(),
        &c.terminal_id,
        &c.merchant_id,
        JournalPolicy::cup_pos(),
    );
    let mut j = FileJournal::create(&path, journal).unwrap();
    j.sign_on(Some(1)).unwrap();
    let ticket = j
        .begin(purchase_txn(&c), sealed_purchase(&c, &mac))
        .unwrap();
    let request = MessageView::decode(&c.spec, &ticket.request).unwrap();
    let unsigned = response_to(&request, &c.profile, "00")
        .unwrap()
        .encode_to_vec()
        .unwrap();
    let unsigned = MessageView::decode(&c.spec, &unsigned).unwrap();
    assert_eq!(
        mac.record_response(&mut j, ticket.stan, &unsigned).unwrap(),
        TxnState::ReversalPending
    );
}

#[test]
fn flow_mac_debug_shows_no_key() {
    let c = ctx("cup-pos");
    let mac = FlowMac::with_key(&c.spec, &mak()).unwrap();
    let text = format!("{mac:?}");
    assert!(
        text.contains("cup-ecb") && !text.to_uppercase().contains("0123456789ABCDEF"),
        "{text}"
    );
    // A spec without [mac] cannot configure one.
    let plain = Spec::builtin("iso87-ascii-bin").unwrap();
    assert!(FlowMac::with_key(&plain, &mak()).is_err());
}

/// `examples/host.rs --mac-key`: a signed purchase is approved with a signed response; a
/// tampered one is answered A0.
#[cfg(feature = "tokio")]
#[test]
fn host_example_answers_a0_to_a_bad_mac() {
    let mut host = common::HostProcess::start(&["--mac-key", MAK]);
    let c = ctx("cup-pos");
    let mac = FlowMac::with_key(&c.spec, &mak()).unwrap();
    let (_, _, wire) = purchase_in_flight(&c, &mac);
    let rsp = host.exchange(&wire);
    let v = MessageView::decode(&c.spec, &rsp).unwrap();
    assert_eq!(v.str(39), Some("00"));
    mac.check(&v).unwrap();
    let mut tampered = wire.clone();
    let at = MessageView::decode(&c.spec, &wire)
        .unwrap()
        .field(4)
        .unwrap()
        .offset();
    tampered[at + 5] ^= 0x01;
    let rsp = host.exchange(&tampered);
    let v = MessageView::decode(&c.spec, &rsp).unwrap();
    assert_eq!(v.str(39), Some("A0"));
    assert!(
        !v.has(38) && !v.has(64),
        "no approval code and no MAC on an A0"
    );
}
