//! The `crypto` and `mac` subcommands of the `iso8583` example (feature `crypto`), checked
//! against the published vectors the library tests use.
#![cfg(feature = "crypto")]

mod common;

use common::{hex, run};
use iso8583_wire::security::VerifyMessage;
use iso8583_wire::{MessageBuilder, MessageView, Spec};

const TDES: &str = "0123456789ABCDEFFEDCBA9876543210";
const AES: &str = "2B7E151628AED2A6ABF7158809CF4F3C";

/// Runs the CLI; returns (exit code, stdout, stderr).
fn cli(args: &[&str], stdin: &str) -> (i32, String, String) {
    let out = run(args, stdin);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The words of a command line (no quoting needed in these tests).
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

fn ok(args: &[&str], stdin: &str) -> String {
    let (code, out, err) = cli(args, stdin);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

#[test]
fn crypto_mac_gives_the_published_macs_one_line_each() {
    // ISO 9797-1 annex B: "Now is the time for all " under 0123..3210.
    let data = hex(b"Now is the time for all ");
    let out = ok(
        &words(&format!(
            "crypto mac --algorithm iso9797-1-alg3 --key {TDES}"
        )),
        &format!("{data}\n\n{data}\n"),
    );
    assert_eq!(out, "A1C72E74EA3FA9B6\nA1C72E74EA3FA9B6\n");
    let out = ok(
        &words(&format!(
            "crypto mac --algorithm iso9797-1-alg3 --key {TDES} --padding 2"
        )),
        &data,
    );
    assert_eq!(out, "E9086230CA3BE796\n");
    // FIPS 113 with a single DES key.
    let out = ok(
        &words("crypto mac --algorithm iso9797-1-alg1 --key 0123456789ABCDEF"),
        &hex(b"7654321 Now is the time for "),
    );
    assert_eq!(out, "F1D30F6849312CA4\n");
    // The UnionPay worked example: the MAC is the 8 ASCII characters "E267B6E2".
    let out = ok(
        &words("crypto mac --algorithm cup-ecb --key 2222222222222222 -"),
        "1234567890ABCDEFABCDEF1234567890\n",
    );
    assert_eq!(out.trim(), hex(b"E267B6E2"));
    // RFC 4493 example 2: all 16 bytes.
    let out = ok(
        &words(&format!("crypto mac --algorithm aes-cmac --key {AES}")),
        "6BC1BEE22E409F96E93D7E117393172A",
    );
    assert_eq!(out, "070A16B46B4D4144F79BDD9DD04A287C\n");
}

#[test]
fn crypto_mac_refuses_bad_keys_and_hex_without_showing_the_key() {
    let (code, out, err) = cli(
        &words("crypto mac --algorithm iso9797-1-alg3 --key 0123456789ABCDEF"),
        "",
    );
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("iso9797-1-alg3: a key of 16 (TDES) bytes is needed, got 8"),
        "{err}"
    );
    assert!(!err.contains("0123456789"), "{err}");
    let (code, _, err) = cli(
        &words(&format!("crypto mac --algorithm aes-cmac --key {AES}")),
        "00112\n",
    );
    assert_eq!(code, 2);
    assert!(err.contains("line 1"), "{err}");
    let (code, _, _) = cli(
        &words(&format!(
            "crypto mac --algorithm aes-cmac --key {AES} --padding 3"
        )),
        "",
    );
    assert_eq!(code, 2);
}

#[test]
fn crypto_kcv_tdes_and_aes() {
    assert_eq!(ok(&["crypto", "kcv", "--key", TDES], ""), "08D7B4\n");
    assert_eq!(
        ok(&["crypto", "kcv", "--key", "0123456789ABCDEF"], ""),
        "D5D44F\n"
    );
    let aes = ok(&words(&format!("crypto kcv --aes --key {AES}")), "");
    assert_eq!(aes.trim().len(), 10);
    // The CMAC of a zero block, first 5 bytes, agrees with `crypto mac --algorithm aes-cmac`.
    let cmac = ok(
        &words(&format!("crypto mac --algorithm aes-cmac --key {AES}")),
        "00000000000000000000000000000000",
    );
    assert_eq!(aes.trim(), &cmac[..10]);
    let (code, _, err) = cli(
        &["crypto", "kcv", "--aes", "--key", TDES[..30].as_ref()],
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("AES key"), "{err}");
}

#[test]
fn pin_block_encode_and_decode_each_format() {
    let pan = "4012345678909";
    assert_eq!(
        ok(
            &words(&format!(
                "crypto pin-block encode --format 0 --pin 1234 --pan {pan}"
            )),
            ""
        ),
        "041274EDCBA9876F\n"
    );
    let dec = |args: &[&str]| ok(&[&["crypto", "pin-block", "decode"], args].concat(), "");
    assert_eq!(
        dec(&words(&format!("--format 0 --pan {pan} 041274EDCBA9876F"))),
        "ok length 4\n"
    );
    assert_eq!(
        dec(&words(&format!(
            "--format 0 --pan {pan} --unmask 041274EDCBA9876F"
        ))),
        "ok length 4 pin 1234\n"
    );
    // Formats 1 and 3 have random fill: round trip through decode, clear and enciphered.
    for format in ["1", "3"] {
        for key in [None, Some(TDES)] {
            let mut args = vec![
                "crypto",
                "pin-block",
                "encode",
                "--format",
                format,
                "--pin",
                "987654",
            ];
            args.extend(["--pan", pan]);
            if let Some(k) = key {
                args.extend(["--key", k]);
            }
            let block = ok(&args, "");
            let block = block.trim();
            assert_eq!(block.len(), 16, "{block}");
            let mut back = vec![
                "crypto",
                "pin-block",
                "decode",
                "--format",
                format,
                "--pan",
                pan,
            ];
            if let Some(k) = key {
                back.extend(["--key", k]);
            }
            back.extend(["--unmask", block]);
            assert_eq!(
                ok(&back, ""),
                "ok length 6 pin 987654\n",
                "format {format} key {key:?}"
            );
        }
    }
    // Format 4 is AES-enciphered: 16 bytes, and --key is required.
    let block = ok(
        &words(&format!(
            "crypto pin-block encode --format 4 --pin 1234 --pan 4111111111111111 --key {AES}"
        )),
        "",
    );
    assert_eq!(block.trim().len(), 32);
    assert_eq!(
        ok(
            &[
                "crypto",
                "pin-block",
                "decode",
                "--format",
                "4",
                "--pan",
                "4111111111111111",
                "--key",
                AES,
                block.trim()
            ],
            ""
        ),
        "ok length 4\n"
    );
    let (code, _, err) = cli(
        &words(&format!(
            "crypto pin-block encode --format 4 --pin 1234 --pan {pan}"
        )),
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("format 4 is always enciphered"), "{err}");
}

#[test]
fn pin_block_decode_says_when_a_block_does_not_check_out() {
    // Control nibble 1 where format 0 wants 0; and format 0 with a PAN that differs where
    // the block holds fill gives fill that is not all F. (A PAN that differs only where the
    // PIN digits sit cannot be noticed: format 0 has no check beyond its fill.)
    let (code, out, _) = cli(
        &words("crypto pin-block decode --format 0 --pan 4012345678909 141274EDCBA9876F"),
        "",
    );
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "failed: PIN block format 0: control nibble is not the format number at nibble 0\n"
    );
    let (code, out, _) = cli(
        &words("crypto pin-block decode --format 0 --pan 4012345678819 --unmask 041274EDCBA9876F"),
        "",
    );
    assert_eq!(code, 1);
    assert!(out.starts_with("failed: "), "{out}");
    assert!(!out.contains("1234"), "{out}");
    // A PIN outside 4..12 digits is refused on encode, without echoing it.
    let (code, _, err) = cli(&words("crypto pin-block encode --format 1 --pin 123"), "");
    assert_eq!(code, 2);
    assert!(err.contains("PIN must be 4 to 12 digits, got 3"), "{err}");
    let (code, _, err) = cli(&words("crypto pin-block encode --format 0 --pin 1234"), "");
    assert_eq!(code, 2);
    assert!(err.contains("needs the PAN"), "{err}");
}

#[test]
fn dukpt_prints_kcvs_unless_unmasked() {
    let args = [
        "crypto",
        "dukpt",
        "--bdk",
        TDES,
        "--ksn",
        "FFFF9876543210E00001",
    ];
    // X9.24-1 A.4 keys at counter 1.
    assert_eq!(
        ok(&[&args[..], &["--unmask"]].concat(), ""),
        "ipek key 6AC292FAA1315B4D858AB3A3D7D5933A\n\
         pin key 042666B49184CF5C68DE9628D0397B36\n\
         mac key 042666B4918430A368DE9628D03984C9\n\
         data key 448D3F076D8304036A55A3D7E0055A78\n"
    );
    let masked = ok(&args, "");
    let kcv = |key: &str| ok(&["crypto", "kcv", "--key", key], "").trim().to_owned();
    assert_eq!(
        masked,
        format!(
            "ipek kcv {}\npin kcv {}\nmac kcv {}\ndata kcv {}\n",
            kcv("6AC292FAA1315B4D858AB3A3D7D5933A"),
            kcv("042666B49184CF5C68DE9628D0397B36"),
            kcv("042666B4918430A368DE9628D03984C9"),
            kcv("448D3F076D8304036A55A3D7E0055A78"),
        )
    );
    assert!(!masked.contains("6AC292"), "{masked}");
    // X9.24-3 B.1, AES-128: the initial key and the working keys at counter 1.
    assert_eq!(
        ok(
            &words(
                "crypto dukpt --aes128 --bdk FEDCBA9876543210F1F1F1F1F1F1F1F1 --ksn 123456789012345600000001 --unmask"
            ),
            ""
        ),
        "ipek key 1273671EA26AC29AFA4D1084127652A1\n\
         pin key AF8CB133A78F8DC2D1359F18527593FB\n\
         mac key A2DC23DE6FDE0824A2BC321E08E4B8B7\n\
         data key A35C412EFD41FDB98B69797C02DCD08F\n"
    );
    // AES-256: the PIN key is the B.1 AES-256 one.
    let out = ok(
        &words(
            "crypto dukpt --aes256 --bdk FEDCBA9876543210F1F1F1F1F1F1F1F1FEDCBA9876543210F1F1F1F1F1F1F1F1 --ksn 123456789012345600000001 --unmask",
        ),
        "",
    );
    assert_eq!(
        out.lines().nth(1),
        Some("pin key 8C1AB7BEE973829E30242E0BBBDD4946D540C98FC1B5BDCF94790001A23FD502")
    );
    let masked = ok(
        &words(
            "crypto dukpt --aes256 --bdk FEDCBA9876543210F1F1F1F1F1F1F1F1FEDCBA9876543210F1F1F1F1F1F1F1F1 --ksn 123456789012345600000001",
        ),
        "",
    );
    assert!(
        masked
            .lines()
            .all(|l| l.split(' ').nth(2).is_some_and(|k| k.len() == 10)),
        "{masked}"
    );
    // A counter no terminal uses, and a BDK of the wrong size.
    let (code, _, err) = cli(
        &words(&format!(
            "crypto dukpt --bdk {TDES} --ksn FFFF9876543210E00000"
        )),
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("DUKPT counter 0x0"), "{err}");
    let (code, _, err) = cli(
        &words(&format!(
            "crypto dukpt --aes256 --bdk {AES} --ksn 123456789012345600000001"
        )),
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("AES-256 BDK has 32 bytes, got 16"), "{err}");
}

fn cup_message(header: &[u8; 11]) -> Vec<u8> {
    let spec = Spec::builtin("cup-pos").unwrap();
    let mut b = MessageBuilder::new(&spec);
    b.header(header).unwrap().mti("0200").unwrap();
    for (n, v) in [
        (3, "000000"),
        (4, "000000002500"),
        (11, "000042"),
        (41, "TERM0001"),
    ] {
        b.set(n, v).unwrap();
    }
    b.encode_to_vec().unwrap()
}

#[test]
fn mac_signs_and_verifies_whole_messages_by_the_spec() {
    let spec = Spec::builtin("cup-pos").unwrap();
    let unsigned = cup_message(&[0x60, 0, 3, 0, 0, 0x60, 0x31, 0, 0, 0, 0]);
    let signed = ok(
        &words(&format!("mac --spec cup-pos --key {TDES} -")),
        &hex(&unsigned),
    );
    let signed = common::unhex(signed.trim());
    assert_eq!(signed.len(), unsigned.len() + 8, "DE 64 added");
    let view = MessageView::decode(&spec, &signed).unwrap();
    view.verify_mac(&iso8583_wire::security::TdesKey::from_hex(TDES).unwrap())
        .unwrap();
    // Verify: the good one passes; a tampered amount and an unsigned message fail.
    let mut tampered = signed.clone();
    tampered[27] ^= 0x01;
    let input = format!("{}\n{}\n{}\n", hex(&signed), hex(&tampered), hex(&unsigned));
    let (code, out, _) = cli(
        &words(&format!("mac --spec cup-pos --key {TDES} --verify -")),
        &input,
    );
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "ok\nfailed: line 2: MAC does not verify\nfailed: line 3: message MAC: field 64 (the MAC) is absent\n"
    );
    // A spec without [mac] is refused.
    let (code, _, err) = cli(
        &words(&format!("mac --spec iso87-ascii-bin --key {TDES} -")),
        "",
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("iso87-ascii-bin: the spec has no [mac] section"),
        "{err}"
    );
}
