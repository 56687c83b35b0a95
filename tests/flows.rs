//! POS flows for both profiles: what each builder copies from the original, reversals,
//! response checks, the host's answers, and the scripted pos_terminal session.

use iso8583_wire::flows::journal::{ReversalReason, Stan, Totals};
use iso8583_wire::flows::{
    Card, FlowContext, FlowError, FlowProfile, HostSimulator, LocalTime, ResponseMismatch,
    check_response, response_to,
};
use iso8583_wire::framing::{PosHeader, Tpdu};
use iso8583_wire::message::{OriginalData, ProcessingCode};
use iso8583_wire::{MessageBuilder, MessageView, Mti, Spec};

const NOW: LocalTime = LocalTime {
    month: 11,
    day: 22,
    hour: 9,
    minute: 30,
    second: 15,
};

fn ctx(profile: &str) -> FlowContext {
    let profile = FlowProfile::builtin(profile).unwrap();
    let cup = profile.uses_de60;
    FlowContext {
        spec: Spec::builtin(if cup { "cup-pos" } else { "iso87-ascii-bin" }).unwrap(),
        profile,
        terminal_id: "TERM0001".into(),
        merchant_id: "123456789012345".into(),
        acquirer_id: Some("4802".into()),
        header: cup.then(|| PosHeader {
            tpdu: Tpdu::new(3, 0),
            app_type: 0x60,
            version: 0x31,
            terminal_status: 0,
            processing: 0,
            app_version: [0, 0, 0],
        }),
    }
}

fn stan(n: u32) -> Stan {
    Stan::new(n).unwrap()
}

fn card() -> Card {
    Card::chip(
        "6222021234567890123",
        "2912",
        "001",
        vec![0x9F, 0x27, 0x01, 0x80],
    )
}

/// The wire bytes of a purchase of `amount` with STAN `n`, batch 1, [`card`], at [`NOW`].
fn purchase_wire(c: &FlowContext, n: u32, amount: u64) -> Vec<u8> {
    c.purchase(stan(n), 1, &card(), amount, &NOW)
        .unwrap()
        .encode_to_vec()
        .unwrap()
}

/// A purchase and its approval from the simulator.
fn approved_purchase(c: &FlowContext, host: &mut HostSimulator, amount: u64) -> (Vec<u8>, Vec<u8>) {
    let req = purchase_wire(c, 10, amount);
    let rsp = host
        .answer(&MessageView::decode(&c.spec, &req).unwrap())
        .unwrap()
        .encode_to_vec()
        .unwrap();
    (req, rsp)
}

#[test]
fn void_copies_amount_rrn_auth_and_original_identity() {
    for name in ["generic-1987", "cup-pos"] {
        let c = ctx(name);
        let mut host = HostSimulator::new(c.profile.clone(), 1_000_000);
        let (req, rsp) = approved_purchase(&c, &mut host, 2500);
        let (oreq, orsp) = (
            MessageView::decode(&c.spec, &req).unwrap(),
            MessageView::decode(&c.spec, &rsp).unwrap(),
        );
        let void = c
            .void(stan(11), 1, &oreq, &orsp, &NOW)
            .unwrap()
            .encode_to_vec()
            .unwrap();
        let v = MessageView::decode(&c.spec, &void).unwrap();
        assert_eq!(v.mti().as_str(), "0200", "{name}");
        assert_eq!(
            v.str(4)
                .map(str::to_owned)
                .or_else(|| v.field(4).map(|f| f.clear().to_string()))
                .unwrap(),
            "000000002500"
        );
        assert_eq!(
            v.field(37).unwrap().clear().to_string(),
            orsp.field(37).unwrap().clear().to_string()
        );
        assert_eq!(
            v.field(38).unwrap().clear().to_string(),
            orsp.field(38).unwrap().clear().to_string()
        );
        assert_eq!(v.field(11).unwrap().to_u64(), Some(11));
        if name == "cup-pos" {
            assert_eq!(v.processing_code(), Some(ProcessingCode::REFUND));
            assert_eq!(v.subfield("60.1").unwrap().unwrap().clear_string(), "23");
            assert_eq!(
                v.subfield("61.1").unwrap().unwrap().clear_string(),
                "000001"
            );
            assert_eq!(
                v.subfield("61.2").unwrap().unwrap().clear_string(),
                "000010"
            );
            assert_eq!(PosHeader::parse(v.header()).unwrap().tpdu, Tpdu::new(3, 0));
        } else {
            assert_eq!(v.processing_code(), Some(ProcessingCode::VOID));
            let od = v.original_data().unwrap();
            assert_eq!((od.mti, od.stan), (Mti::FINANCIAL_REQUEST, 10));
        }
        // The host approves the void; a second void of the same purchase is refused.
        let answer = host.answer(&v).unwrap().encode_to_vec().unwrap();
        assert_eq!(
            MessageView::decode(&c.spec, &answer)
                .unwrap()
                .field(39)
                .unwrap()
                .clear()
                .to_string(),
            "00"
        );
        let again = c
            .void(stan(12), 1, &oreq, &orsp, &NOW)
            .unwrap()
            .encode_to_vec()
            .unwrap();
        let answer = host
            .answer(&MessageView::decode(&c.spec, &again).unwrap())
            .unwrap()
            .encode_to_vec()
            .unwrap();
        assert_eq!(
            MessageView::decode(&c.spec, &answer)
                .unwrap()
                .field(39)
                .unwrap()
                .clear()
                .to_string(),
            "12",
            "{name}"
        );
    }
}

#[test]
fn follow_ups_refuse_a_declined_original() {
    let c = ctx("generic-1987");
    let mut host = HostSimulator::new(c.profile.clone(), 100);
    let (req, rsp) = approved_purchase(&c, &mut host, 2500); // over the limit: 51
    let (oreq, orsp) = (
        MessageView::decode(&c.spec, &req).unwrap(),
        MessageView::decode(&c.spec, &rsp).unwrap(),
    );
    assert_eq!(orsp.str(39), Some("51"));
    let err = c
        .void(stan(11), 1, &oreq, &orsp, &NOW)
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(err, FlowError::OriginalNotApproved { ref code } if code == "51"),
        "{err}"
    );
}

#[test]
fn void_of_refund_is_a_profile_choice() {
    let cup = ctx("cup-pos");
    let generic = ctx("generic-1987");
    let mut host = HostSimulator::new(generic.profile.clone(), 1_000_000);
    let (req, rsp) = approved_purchase(&generic, &mut host, 900);
    let (oreq, orsp) = (
        MessageView::decode(&generic.spec, &req).unwrap(),
        MessageView::decode(&generic.spec, &rsp).unwrap(),
    );
    let w = generic
        .void_refund(stan(11), 1, &oreq, &orsp, &NOW)
        .unwrap()
        .encode_to_vec()
        .unwrap();
    assert_eq!(
        MessageView::decode(&generic.spec, &w).unwrap().str(3),
        Some("220000")
    );
    let err = cup
        .void_refund(stan(11), 1, &oreq, &orsp, &NOW)
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, FlowError::NotAllowed { .. }), "{err}");
}

#[test]
fn generic_reversal_builds_de90_from_the_request() {
    let c = ctx("generic-1987");
    let req = c
        .purchase(
            stan(42),
            1,
            &Card::magstripe("4761739001010119=29122011143804489"),
            1200,
            &NOW,
        )
        .unwrap()
        .encode_to_vec()
        .unwrap();
    let orig = MessageView::decode(&c.spec, &req).unwrap();
    let later = LocalTime { second: 59, ..NOW };
    let rev = c
        .reversal(&orig, ReversalReason::Timeout, None, false, &later)
        .unwrap()
        .encode_to_vec()
        .unwrap();
    let v = MessageView::decode(&c.spec, &rev).unwrap();
    assert_eq!(v.mti().as_str(), "0400");
    assert_eq!(v.str(11), Some("000042"), "same STAN as the original");
    assert_eq!(v.str(4), Some("000000001200"));
    assert_eq!(v.str(3), Some("000000"));
    assert_eq!(v.str(7), Some("1122093059"), "its own transmission time");
    assert!(
        !v.has(35) && v.field(2).unwrap().clear().to_string() == "4761739001010119",
        "PAN from track 2, track not resent"
    );
    assert_eq!(
        v.str(90),
        Some("020000004211220930150000000480200000000000")
    );
    assert_eq!(
        v.original_data().unwrap(),
        OriginalData {
            mti: Mti::FINANCIAL_REQUEST,
            stan: 42,
            transmission: 1122093015,
            acquirer: 4802,
            forwarder: 0
        }
    );
    let repeat = c
        .reversal(&orig, ReversalReason::Timeout, Some("A1B2C3"), true, &later)
        .unwrap()
        .encode_to_vec()
        .unwrap();
    let r = MessageView::decode(&c.spec, &repeat).unwrap();
    assert_eq!((r.mti().as_str(), r.str(38)), ("0401", Some("A1B2C3")));
}

#[test]
fn cup_reversal_is_the_request_with_reason_and_without_card_reading_fields() {
    let c = ctx("cup-pos");
    let mut card = Card::magstripe("6222021234567890123=29122011143804489");
    card.pin_block = Some([1, 2, 3, 4, 5, 6, 7, 8]);
    let req = c
        .purchase(stan(7), 3, &card, 1200, &NOW)
        .unwrap()
        .encode_to_vec()
        .unwrap();
    let orig = MessageView::decode(&c.spec, &req).unwrap();
    assert!(orig.has(35) && orig.has(52) && orig.has(26));
    let rev = c
        .reversal(&orig, ReversalReason::MacFailure, None, true, &NOW)
        .unwrap()
        .encode_to_vec()
        .unwrap();
    let v = MessageView::decode(&c.spec, &rev).unwrap();
    assert_eq!(v.mti().as_str(), "0400", "UnionPay resends 0400, no 0401");
    assert_eq!(v.str(39), Some("A0"));
    for gone in [26, 35, 36, 37, 52, 53, 64] {
        assert!(!v.has(gone), "field {gone} must be removed");
    }
    assert_eq!(v.field(11).unwrap().to_u64(), Some(7));
    assert_eq!(v.subfield("60.1").unwrap().unwrap().clear_string(), "22");
    assert_eq!(v.subfield("60.2").unwrap().unwrap().to_u64(), Some(3));
    assert_eq!(
        v.field(2).unwrap().clear().to_string(),
        "6222021234567890123"
    );
}

#[test]
fn refunds_copy_the_original_rrn_and_cup_date_and_org() {
    let c = ctx("cup-pos");
    let mut host = HostSimulator::new(c.profile.clone(), 1_000_000);
    let (req, rsp) = approved_purchase(&c, &mut host, 8000);
    let (oreq, orsp) = (
        MessageView::decode(&c.spec, &req).unwrap(),
        MessageView::decode(&c.spec, &rsp).unwrap(),
    );
    let refund = c
        .refund(stan(11), 1, &oreq, &orsp, 3000, &NOW)
        .unwrap()
        .encode_to_vec()
        .unwrap();
    let v = MessageView::decode(&c.spec, &refund).unwrap();
    assert_eq!(v.mti().as_str(), "0220");
    assert_eq!(v.field(4).unwrap().to_u64(), Some(3000));
    assert_eq!(v.subfield("60.1").unwrap().unwrap().clear_string(), "25");
    assert_eq!(
        v.subfield("61.1").unwrap().unwrap().clear_string(),
        "000000"
    );
    assert_eq!(v.subfield("63.1").unwrap().unwrap().clear_string(), "CUP");
    assert_eq!(
        v.field(37).unwrap().clear().to_string(),
        orsp.field(37).unwrap().clear().to_string()
    );
    // The host refuses a refund above what is left.
    let ok = host.answer(&v).unwrap().encode_to_vec().unwrap();
    assert_eq!(
        MessageView::decode(&c.spec, &ok)
            .unwrap()
            .field(39)
            .unwrap()
            .clear()
            .to_string(),
        "00"
    );
    let too_much = c
        .refund(stan(12), 1, &oreq, &orsp, 6000, &NOW)
        .unwrap()
        .encode_to_vec()
        .unwrap();
    let no = host
        .answer(&MessageView::decode(&c.spec, &too_much).unwrap())
        .unwrap()
        .encode_to_vec()
        .unwrap();
    assert_eq!(
        MessageView::decode(&c.spec, &no)
            .unwrap()
            .field(39)
            .unwrap()
            .clear()
            .to_string(),
        "13"
    );
}

#[test]
fn pre_auth_cancel_and_completion_carry_the_auth_id() {
    for name in ["generic-1987", "cup-pos"] {
        let c = ctx(name);
        let req = c
            .pre_auth(stan(20), 1, &card(), 10000, &NOW)
            .unwrap()
            .encode_to_vec()
            .unwrap();
        let oreq = MessageView::decode(&c.spec, &req).unwrap();
        assert_eq!(oreq.mti().as_str(), "0100");
        let mut approval = response_to(&oreq, &c.profile, "00").unwrap();
        approval
            .set(38, "AUTH01")
            .unwrap()
            .set(37, "000000000777")
            .unwrap();
        let rsp = approval.encode_to_vec().unwrap();
        let orsp = MessageView::decode(&c.spec, &rsp).unwrap();
        let cancel = c
            .pre_auth_cancel(stan(21), 1, &oreq, &orsp, &NOW)
            .unwrap()
            .encode_to_vec()
            .unwrap();
        let v = MessageView::decode(&c.spec, &cancel).unwrap();
        assert_eq!(v.field(38).unwrap().clear().to_string(), "AUTH01");
        assert_eq!(v.field(4).unwrap().to_u64(), Some(10000));
        let done = c
            .completion(stan(22), 1, &oreq, &orsp, 9000, &NOW)
            .unwrap()
            .encode_to_vec()
            .unwrap();
        let v = MessageView::decode(&c.spec, &done).unwrap();
        assert_eq!(v.field(38).unwrap().clear().to_string(), "AUTH01");
        assert_eq!(v.field(4).unwrap().to_u64(), Some(9000));
        if name == "cup-pos" {
            assert_eq!(
                oreq.str(3).map(str::to_owned).unwrap_or_else(|| oreq
                    .field(3)
                    .unwrap()
                    .clear()
                    .to_string()),
                "030000"
            );
            assert_eq!(v.subfield("60.1").unwrap().unwrap().clear_string(), "20");
            assert_eq!(
                v.subfield("61.2").unwrap().unwrap().clear_string(),
                "000020"
            );
        } else {
            assert_eq!(v.mti().as_str(), "0220");
            assert_eq!(v.original_data().unwrap().stan, 20);
        }
    }
}

#[test]
fn responses_are_checked_against_their_request() {
    let c = ctx("generic-1987");
    let req = purchase_wire(&c, 5, 100);
    let r = MessageView::decode(&c.spec, &req).unwrap();
    let good = response_to(&r, &c.profile, "00")
        .unwrap()
        .encode_to_vec()
        .unwrap();
    assert_eq!(
        check_response(
            &r,
            &MessageView::decode(&c.spec, &good).unwrap(),
            &c.profile
        ),
        Ok(())
    );
    let tamper = |n: u16, v: &str| {
        let mut b = response_to(&r, &c.profile, "00").unwrap();
        b.set(n, v.to_owned()).unwrap();
        let w = b.encode_to_vec().unwrap();
        check_response(&r, &MessageView::decode(&c.spec, &w).unwrap(), &c.profile)
    };
    assert_eq!(
        tamper(11, "000006"),
        Err(ResponseMismatch::Field { field: 11 })
    );
    assert_eq!(
        tamper(41, "TERM0002"),
        Err(ResponseMismatch::Field { field: 41 })
    );
    assert_eq!(
        tamper(4, "000000000101"),
        Err(ResponseMismatch::Field { field: 4 })
    );
    let mut wrong_mti = response_to(&r, &c.profile, "00").unwrap();
    wrong_mti.mti("0230").unwrap();
    let w = wrong_mti.encode_to_vec().unwrap();
    assert!(matches!(
        check_response(&r, &MessageView::decode(&c.spec, &w).unwrap(), &c.profile),
        Err(ResponseMismatch::Mti { .. })
    ));
    let mut no39 = MessageBuilder::from_view(&MessageView::decode(&c.spec, &good).unwrap());
    no39.remove(39);
    let w = no39.encode_to_vec().unwrap();
    assert_eq!(
        check_response(&r, &MessageView::decode(&c.spec, &w).unwrap(), &c.profile),
        Err(ResponseMismatch::NoResponseCode)
    );
}

#[test]
fn host_answers_duplicates_unknown_originals_and_repeated_reversals() {
    let c = ctx("generic-1987");
    let mut host = HostSimulator::new(c.profile.clone(), 1_000_000);
    let (req, _) = approved_purchase(&c, &mut host, 500);
    let code = |host: &mut HostSimulator, wire: &[u8]| {
        let a = host
            .answer(&MessageView::decode(&c.spec, wire).unwrap())
            .unwrap()
            .encode_to_vec()
            .unwrap();
        MessageView::decode(&c.spec, &a)
            .unwrap()
            .str(39)
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        code(&mut host, &req),
        "00",
        "identical resend gets the first answer"
    );
    let other = purchase_wire(&c, 10, 999);
    assert_eq!(
        code(&mut host, &other),
        "94",
        "same STAN, different content"
    );
    let orig = MessageView::decode(&c.spec, &req).unwrap();
    let rev = c
        .reversal(&orig, ReversalReason::Timeout, None, false, &NOW)
        .unwrap()
        .encode_to_vec()
        .unwrap();
    assert_eq!(code(&mut host, &rev), "00");
    assert_eq!(
        code(&mut host, &rev),
        "00",
        "a repeated reversal is the same reversal"
    );
    let unknown = purchase_wire(&c, 77, 1);
    let lost = c
        .reversal(
            &MessageView::decode(&c.spec, &unknown).unwrap(),
            ReversalReason::Timeout,
            None,
            false,
            &NOW,
        )
        .unwrap()
        .encode_to_vec()
        .unwrap();
    // A reversal of an original the host never saw is acknowledged and remembered
    // (the original, should it arrive late, is declined).
    assert_eq!(code(&mut host, &lost), "00");
    let settle = c
        .settlement(stan(80), 1, &Totals::default(), &NOW)
        .unwrap()
        .encode_to_vec()
        .unwrap();
    assert_eq!(
        code(&mut host, &settle),
        "00",
        "nothing approved stands: totals zero balance"
    );
}

fn example_with(args: &[&str]) -> String {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let out = std::process::Command::new(dir.join("examples").join("pos_terminal"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn scripted_session_runs_for_both_profiles() {
    for (profile, refund) in [("generic-1987", "0200"), ("cup-pos", "0220")] {
        // Unmasked, so every wire line is the whole message and decodes.
        let text = example_with(&["--profile", profile, "--unmask"]);
        let wire: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with(">> ") || l.starts_with("<< "))
            .map(|l| &l[..7])
            .collect();
        let expected = [
            ">> 0800".to_string(),
            "<< 0810".into(),
            ">> 0200".into(),
            "<< 0210".into(),
            ">> 0200".into(), // response lost
            ">> 0400".into(),
            "<< 0410".into(), // reversal before the next request
            ">> 0200".into(),
            "<< 0210".into(), // void
            ">> 0200".into(),
            "<< 0210".into(), // second purchase
            format!(">> {refund}"),
            format!("<< {}", if refund == "0220" { "0230" } else { "0210" }),
            format!(">> {refund}"),
            format!("<< {}", if refund == "0220" { "0230" } else { "0210" }),
            ">> 0500".into(),
            "<< 0510".into(),
        ];
        assert_eq!(wire, expected, "{profile}");
        assert!(text.contains("refused by the journal"), "{profile}");
        assert!(text.contains("settlement balanced"), "{profile}");
        // With --unmask the wire lines are the raw message; the readable dump stays masked.
        let dump: String = text
            .lines()
            .filter(|l| !l.starts_with(">> ") && !l.starts_with("<< "))
            .collect();
        assert!(
            !dump.contains("6222021234567890123"),
            "{profile}: PAN must be masked"
        );
        assert!(dump.contains("622202*********0123"), "{profile}");
        // Every wire line is uppercase hex of a message that decodes with the profile's spec.
        let spec = Spec::builtin(if profile == "cup-pos" {
            "cup-pos"
        } else {
            "iso87-ascii-bin"
        })
        .unwrap();
        for l in text
            .lines()
            .filter(|l| l.starts_with(">> ") || l.starts_with("<< "))
        {
            let hex = l.split(' ').nth(2).unwrap();
            assert!(
                hex.chars()
                    .all(|c| c == '*' || (c.is_ascii_hexdigit() && !c.is_ascii_lowercase()))
            );
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            assert_eq!(
                MessageView::decode(&spec, &bytes).unwrap().mti().as_str(),
                &l[3..7]
            );
        }
    }
}

#[test]
fn numbers_built_on_the_stack_are_padded_and_never_cut() {
    for profile in ["generic-1987", "cup-pos"] {
        let c = ctx(profile);
        let b = c
            .purchase(stan(42), 1, &card(), 999_999_999_999, &NOW)
            .unwrap();
        let wire = b.encode_to_vec().unwrap();
        let view = MessageView::decode(&c.spec, &wire).unwrap();
        assert_eq!(view.field(11).unwrap().clear_string(), "000042");
        assert_eq!(view.field(4).unwrap().to_u64(), Some(999_999_999_999));
        // Thirteen digits do not fit DE 4 (n12): an error, not a smaller amount.
        let err = c
            .purchase(stan(43), 1, &card(), 1_000_000_000_000, &NOW)
            .unwrap_err();
        assert!(err.to_string().contains("field 4"), "{profile}: {err}");
    }
    // A time part over 99 is refused the same way (the generic profile sends DE 7, 12, 13).
    let c = ctx("generic-1987");
    let wire = purchase_wire(&c, 44, 100);
    let view = MessageView::decode(&c.spec, &wire).unwrap();
    assert_eq!(view.field(7).unwrap().clear_string(), "1122093015");
    assert_eq!(view.field(12).unwrap().clear_string(), "093015");
    assert_eq!(view.field(13).unwrap().clear_string(), "1122");
    let bad = LocalTime { hour: 100, ..NOW };
    let err = c.purchase(stan(45), 1, &card(), 100, &bad).unwrap_err();
    assert!(err.to_string().contains("field 7"), "{err}");
}

#[test]
fn impossible_local_times_are_refused_by_every_builder_that_sends_them() {
    let c = ctx("generic-1987");
    for (bad, part) in [
        (LocalTime { month: 13, ..NOW }, "month 13"),
        (LocalTime { day: 40, ..NOW }, "day 40"),
        (
            LocalTime {
                month: 2,
                day: 30,
                ..NOW
            },
            "day 30",
        ),
        (LocalTime { hour: 25, ..NOW }, "hour 25"),
        (LocalTime { minute: 60, ..NOW }, "minute 60"),
        (LocalTime { second: 61, ..NOW }, "second 61"),
    ] {
        let err = c.purchase(stan(46), 1, &card(), 100, &bad).unwrap_err();
        assert!(err.to_string().contains(part), "{err}");
        assert!(
            matches!(err, FlowError::InvalidTime { field: 7, .. }),
            "{err:?}"
        );
        let err = c.sign_on(stan(47), 1, &bad).unwrap_err();
        assert!(err.to_string().contains(part), "{err}");
    }
    assert!(LocalTime::new(2, 29, 23, 59, 59).is_ok());
}

#[test]
fn scripted_session_masks_wire_lines_unless_unmasked_and_keeps_a_file_journal() {
    let pan_hex: String = "6222021234567890123"
        .bytes()
        .map(|b| format!("{b:02X}"))
        .collect();
    let masked = example_with(&["--profile", "generic-1987"]);
    let clear = example_with(&["--profile", "generic-1987", "--unmask"]);
    let line = |text: &str| {
        text.lines()
            .find(|l| l.starts_with(">> 0200 "))
            .unwrap()
            .to_string()
    };
    assert!(!masked.contains(&pan_hex), "PAN in a masked wire line");
    assert!(line(&masked).contains("**"));
    assert!(line(&clear).contains(&pan_hex));
    assert_eq!(line(&masked).len(), line(&clear).len(), "same line format");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pos.journal");
    let p = path.to_str().unwrap();
    let first = example_with(&["--journal", p]);
    assert!(first.contains("created"), "{first}");
    // The journal kept the chip purchase without DE 2, 35, 52 and 55, its PAN sealed.
    let kept = first
        .lines()
        .find(|l| l.starts_with("-- journal keeps STAN 000002: fields "))
        .unwrap_or_else(|| panic!("{first}"));
    let fields: Vec<&str> = kept["-- journal keeps STAN 000002: fields ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .split(',')
        .collect();
    for card_data in ["2", "35", "52", "55"] {
        assert!(!fields.contains(&card_data), "{kept}");
    }
    assert!(fields.contains(&"4") && fields.contains(&"11"), "{kept}");
    assert!(
        kept.contains("PAN sealed under key version 1, last digits 0123"),
        "{kept}"
    );
    let file = std::fs::read(&path).unwrap();
    assert!(file.starts_with(b"iso8583-wire journal v2 key=1 kcv="));
    let second = example_with(&["--journal", p]);
    assert!(second.contains("reopened: batch 2"), "{second}");
    // STANs continue across runs: the second sign-on is not 000001 (it reuses the
    // settlement's unjournaled STAN, the last one of the first run).
    let stans = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.trim_start().starts_with("11 "))
            .map(|l| l.split_whitespace().last().unwrap().to_string())
            .collect()
    };
    let (a, b) = (stans(&first), stans(&second));
    assert!(b.first().unwrap() >= a.last().unwrap(), "{a:?} then {b:?}");
    assert!(b.first().unwrap() > &a[a.len() - 3], "{a:?} then {b:?}");
}
