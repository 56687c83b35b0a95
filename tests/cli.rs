//! The `iso8583` example CLI: its JSONL contract over every shared vector, encode, and errors.

mod common;

use common::{run, vectors};

#[test]
fn decode_jsonl_matches_every_vector_exactly() {
    for (file, spec) in [
        ("iso87-ascii.jsonl", "iso87-ascii"),
        ("iso87-ascii-bin.jsonl", "iso87-ascii-bin"),
        ("iso87-bcd.jsonl", "iso87-bcd"),
    ] {
        let all = vectors(file);
        let input: String = all.iter().map(|v| format!("{}\n", v.hex)).collect();
        let out = run(
            &[
                "decode",
                "--spec",
                spec,
                "--input",
                "hex-lines",
                "--format",
                "jsonl",
                "--unmask",
                "-",
            ],
            &input,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
        assert_eq!(lines.len(), all.len());
        for (line, v) in lines.iter().zip(&all) {
            let got: serde_json::Value = serde_json::from_str(line).unwrap();
            let fields: serde_json::Map<String, serde_json::Value> = v
                .fields
                .iter()
                .map(|(k, s)| (k.to_string(), serde_json::Value::String(s.clone())))
                .collect();
            let want = serde_json::json!({ "mti": v.mti, "fields": fields });
            assert_eq!(got, want, "{file} #{}", v.index);
        }
    }
}

#[test]
fn encode_turns_the_vector_jsonl_back_into_its_hex() {
    let path = format!(
        "{}/tests/vectors/iso87-bcd.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = run(&["encode", "--spec", "iso87-bcd", &path], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let want: Vec<String> = vectors("iso87-bcd.jsonl")
        .into_iter()
        .map(|v| v.hex)
        .collect();
    assert_eq!(lines, want);
}

#[test]
fn decode_masks_by_default_and_reports_bad_lines_then_exits_1() {
    let v = &vectors("iso87-ascii-bin.jsonl")[1];
    let pan = v.fields.get(&2).expect("vector 1 has a PAN").clone();
    // A good line, a truncated line, a line that is not hex.
    let input = format!("{}\n{}\nZZ\n", v.hex, &v.hex[..v.hex.len() - 4]);
    let out = run(
        &[
            "decode",
            "--spec",
            "iso87-ascii-bin",
            "--format",
            "jsonl",
            "-",
        ],
        &input,
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let shown = lines[0]["fields"]["2"].as_str().unwrap();
    assert_eq!(shown.len(), pan.len());
    assert!(shown.contains('*') && !text.contains(&pan));
    assert!(lines[1]["error"]["field"].is_u64());
    assert!(lines[1]["error"]["offset"].is_u64());
    assert!(
        lines[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("truncated")
    );
    assert!(lines[2]["error"]["field"].is_null());
}

#[test]
fn encode_reports_an_invalid_object_with_an_empty_line() {
    let input = "{\"mti\":\"0800\",\"fields\":{\"11\":\"000001\",\"70\":\"301\"}}\n{\"mti\":\"0800\",\"fields\":{\"11\":\"ABC\"}}\n";
    let out = run(&["encode", "--spec", "iso87-ascii", "-"], input);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("30383030"));
    assert_eq!(lines[1], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("field 11"));
}

#[test]
fn specs_lists_the_bundled_specs() {
    let out = run(&["specs"], "");
    let text = String::from_utf8(out.stdout).unwrap();
    for name in iso8583_wire::spec::BUILTIN_NAMES {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
}

/// A user's spec written without any `mask` setting: the library defaults still mask DE 2,
/// 35, 52 and 55 in every CLI format, with and without `--expand`; `--unmask` shows them.
#[test]
fn a_mask_less_user_spec_is_masked_in_every_format() {
    use iso8583_wire::codec::tlv::{Tag, TlvWriter};
    use iso8583_wire::{FieldValue, MessageBuilder, Spec};
    let toml = r#"
name = "user"
[message]
mti = "ascii"
bitmap = "hex"
[fields]
2 = { name = "PAN", class = "n", prefix = "LL", max = 19 }
4 = { name = "Amount", class = "n", length = 12 }
35 = { name = "Track 2", class = "z", prefix = "LL", max = 37 }
52 = { name = "PIN", class = "b", length = 8 }
[fields.55]
name = "ICC"
class = "b"
prefix = "LLL"
max = 255
subfields = "tlv"
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("user.toml");
    std::fs::write(&path, toml).unwrap();
    let spec = Spec::from_path(&path).unwrap();
    let mut icc = Vec::new();
    let mut w = TlvWriter::new(&mut icc);
    w.write(
        Tag::new(0x9F26).unwrap(),
        &[0xC0, 0xFF, 0xEE, 0x12, 0x34, 0xAB, 0xCD, 0xEF],
    )
    .unwrap();
    w.write(Tag::new(0xDF01).unwrap(), b"4761739001010119")
        .unwrap();
    w.write(Tag::new(0x9F02).unwrap(), &[0, 0, 0, 0, 0x25, 0])
        .unwrap();
    let mut b = MessageBuilder::new(&spec);
    b.mti("0200")
        .unwrap()
        .set(2, "4761739001010119")
        .unwrap()
        .set(4, "000000002500")
        .unwrap()
        .set(35, "4761739001010119=25122011143804489")
        .unwrap()
        .set(
            52,
            FieldValue::binary(&[0x9A, 0x3F, 0x5C, 0x7E, 0x1B, 0x2D, 0x4E, 0x6F]),
        )
        .unwrap()
        .set(55, FieldValue::binary(&icc))
        .unwrap();
    let hex: String = b
        .encode_to_vec()
        .unwrap()
        .iter()
        .map(|x| format!("{x:02X}"))
        .collect();
    let secrets = [
        "4761739001010119",
        "2512201114380448",
        "9A3F5C7E1B2D4E6F",
        "C0FFEE1234ABCDEF",
        "34373631373339303031303130313139", // the PAN as hex of ASCII (DF01)
    ];
    let spec_arg = path.to_str().unwrap();
    for format in ["jsonl", "json", "pretty"] {
        for expand in [false, true] {
            let mut args = vec!["decode", "--spec", spec_arg, "--input", "hex-lines"];
            args.extend(["--format", format]);
            if expand {
                args.push("--expand");
            }
            args.push("-");
            let out = run(&args, &format!("{hex}\n"));
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(out.status.success(), "{format} {expand}: {text}");
            assert!(
                text.contains("476173******0119"),
                "{format} {expand}: {text}"
            );
            for s in secrets {
                assert!(!text.contains(s), "{s} in {format} expand={expand}: {text}");
            }
            if expand || format == "pretty" {
                // The allow-listed amount tag stays readable.
                assert!(text.contains("000000002500"), "{format}: {text}");
            }
            args.insert(args.len() - 1, "--unmask");
            let out = run(&args, &format!("{hex}\n"));
            let text = String::from_utf8(out.stdout).unwrap();
            for s in ["4761739001010119", "9A3F5C7E1B2D4E6F"] {
                assert!(
                    text.contains(s),
                    "--unmask {format} {expand}: {s} missing in {text}"
                );
            }
        }
    }
}

#[test]
fn an_unknown_spec_name_lists_the_bundled_specs() {
    let out = run(
        &["decode", "--spec", "nope", "--input", "hex-lines", "-"],
        "",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a bundled spec"), "{err}");
    assert!(
        err.contains("cup-pos") && err.contains("iso87-bcd"),
        "{err}"
    );
}
