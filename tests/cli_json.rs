//! The CLI's JSON form end to end: `decode --format jsonl --unmask` then `encode` gives back the
//! input bytes for every shared vector, for accepted messages of every bundled spec, and for a
//! captured cup-pos session whose TPDUs differ message by message; a per-message header beats
//! `--header`; encode keeps its output lines aligned with its input; hex lines decoded on
//! several threads come out in input order.

mod common;

use std::path::Path;

use common::{hex, run, vectors};
use iso8583_wire::spec::BUILTIN_NAMES;
use iso8583_wire::{MessageView, Spec};
use serde_json::Value;

fn ok_stdout(args: &[&str], stdin: &str) -> String {
    let out = run(args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Hex lines -> JSONL (clear) -> hex lines through the CLI.
fn cli_round_trip(spec: &str, hex_lines: &str) -> String {
    let jsonl = ok_stdout(
        &[
            "decode", "--spec", spec, "--format", "jsonl", "--unmask", "-q", "-",
        ],
        hex_lines,
    );
    ok_stdout(&["encode", "--spec", spec, "-"], &jsonl)
}

#[test]
fn every_vector_round_trips_through_decode_and_encode() {
    for (file, spec) in [
        ("iso87-ascii.jsonl", "iso87-ascii"),
        ("iso87-ascii-bin.jsonl", "iso87-ascii-bin"),
        ("iso87-bcd.jsonl", "iso87-bcd"),
    ] {
        let input: String = vectors(file)
            .iter()
            .map(|v| format!("{}\n", v.hex))
            .collect();
        assert_eq!(cli_round_trip(spec, &input), input, "{file}");
    }
}

/// The committed fuzz corpus of each bundled spec's decode target holds messages that spec
/// accepts (and many it refuses); the accepted ones go through the CLI.
#[test]
fn accepted_messages_of_every_bundled_spec_round_trip_through_the_cli() {
    for name in BUILTIN_NAMES {
        let spec = Spec::builtin(name).unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(format!("decode_{}", name.replace('-', "_")));
        let mut input = String::new();
        let mut with_header = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            if MessageView::decode(&spec, &data).is_ok() {
                with_header += usize::from(data.iter().take(spec.header_len()).any(|&b| b != 0));
                input.push_str(&hex(&data));
                input.push('\n');
            }
        }
        let count = input.lines().count();
        assert!(count >= 5, "{name}: only {count} accepted corpus messages");
        if spec.header_len() > 0 {
            assert!(with_header > 0, "{name}: no message with a non-zero header");
        }
        assert_eq!(cli_round_trip(name, &input), input, "{name}");
    }
}

#[test]
fn a_captured_session_with_its_tpdus_is_rebuilt_byte_for_byte() {
    let pcap = format!(
        "{}/examples/data/pos-session.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let lines = format!(
        "{}/examples/data/pos-session.hexlines",
        env!("CARGO_MANIFEST_DIR")
    );
    let want = std::fs::read_to_string(&lines).unwrap();
    // From the capture: ts/src/dst are there too, and encode ignores them.
    let jsonl = ok_stdout(
        &[
            "decode", "--spec", "cup-pos", "--input", "pcap", "--format", "jsonl", "--unmask",
            "-q", &pcap,
        ],
        "",
    );
    let headers: Vec<String> = jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["header"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // Requests and responses carry swapped TPDU addresses: more than one header in the file.
    assert!(headers.iter().any(|h| h != &headers[0]), "{headers:?}");
    let rebuilt = ok_stdout(&["encode", "--spec", "cup-pos", "-"], &jsonl);
    let want: Vec<&str> = want.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(rebuilt.lines().collect::<Vec<_>>(), want);
}

#[test]
fn a_per_message_header_beats_the_header_option() {
    let own = "6000030000603100311111";
    let default = "6000000003613100310102";
    let input = format!(
        "{{\"mti\":\"0800\",\"header\":\"{own}\",\"fields\":{{\"11\":\"000001\"}}}}\n\
         {{\"mti\":\"0800\",\"fields\":{{\"11\":\"000002\"}}}}\n"
    );
    let out = ok_stdout(
        &["encode", "--spec", "cup-pos", "--header", default, "-"],
        &input,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with(own), "{}", lines[0]);
    assert!(lines[1].starts_with(default), "{}", lines[1]);
    // Without --header, the object without one gets zeros.
    let out = ok_stdout(&["encode", "--spec", "cup-pos", "-"], &input);
    assert!(out.lines().nth(1).unwrap().starts_with(&"0".repeat(22)));
}

#[test]
fn encode_keeps_one_output_line_per_input_line() {
    let good = r#"{"mti":"0800","fields":{"11":"000001","70":"301"}}"#;
    let input = format!(
        "{good}\n{{\"mti\":\"0800\",\"fields\":{{\"99999\":\"1\"}}}}\n\n not json\n{good}\n"
    );
    let out = run(&["encode", "--spec", "iso87-ascii", "-"], &input);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed line sets exit status 1"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.split_terminator('\n').collect();
    assert_eq!(lines.len(), 5, "{stdout:?}");
    assert!(lines[0].starts_with("30383030"), "{}", lines[0]);
    assert_eq!(&lines[1..4], ["", "", ""]);
    assert_eq!(lines[4], lines[0]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(r#"line 2: bad JSON message: field key "99999" is out of range 1..=192"#),
        "{stderr}"
    );
    assert!(stderr.contains("line 4: bad JSON"), "{stderr}");
    assert!(
        !stderr.contains("line 3"),
        "a blank line is no error: {stderr}"
    );
}

#[test]
fn threads_keep_input_order_and_the_same_summary() {
    // About 3 MB: several 1 MiB batches, with bad lines and a blank line among them.
    let all = vectors("iso87-ascii-bin.jsonl");
    let mut input = String::new();
    let mut n = 0;
    while input.len() < 3 << 20 {
        let v = &all[n % all.len()];
        input.push_str(&v.hex);
        input.push('\n');
        if n % 997 == 0 {
            input.push_str("ZZ\n\n");
        }
        n += 1;
    }
    for format in ["jsonl", "json", "pretty"] {
        let one = run(&["decode", "--format", format, "--jobs", "1", "-"], &input);
        assert_eq!(one.status.code(), Some(1), "bad lines give status 1");
        // The whole of stderr (echoed input errors, summary) but the elapsed time.
        let summary = |err: &[u8]| {
            String::from_utf8_lossy(err)
                .lines()
                .map(|l| l.split(" in ").next().unwrap_or(l).to_owned())
                .collect::<Vec<_>>()
        };
        assert!(summary(&one.stderr).len() > 6, "{:?}", summary(&one.stderr));
        for jobs in ["2", "3"] {
            let many = run(&["decode", "--format", format, "--jobs", jobs, "-"], &input);
            assert!(
                one.stdout == many.stdout,
                "{format}, --jobs {jobs}: output differs"
            );
            assert_eq!(summary(&one.stderr), summary(&many.stderr));
        }
        if format == "json" {
            let v: Value = serde_json::from_slice(&one.stdout).unwrap();
            assert!(v.as_array().unwrap().len() > n);
        }
    }
}

#[test]
fn a_line_longer_than_the_read_buffer_and_a_last_line_without_its_end_are_lines() {
    let v = &vectors("iso87-ascii-bin.jsonl")[0];
    // 100,000 hex digits: more than the 64 KiB read buffer; not a valid message.
    let long = "30".repeat(50_000);
    let input = format!("{}\n{long}\n{}\n{}", v.hex, v.hex, v.hex);
    for jobs in ["1", "2"] {
        let out = run(
            &["decode", "--format", "jsonl", "--jobs", jobs, "-q", "-"],
            &input,
        );
        let lines: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 4, "--jobs {jobs}");
        assert_eq!(lines[0]["mti"], v.mti.as_str());
        assert!(lines[1]["error"].is_object(), "--jobs {jobs}: {}", lines[1]);
        assert_eq!(lines[2], lines[0]);
        assert_eq!(
            lines[3], lines[0],
            "--jobs {jobs}: the last line without its end"
        );
    }
}
