//! Replays every committed fuzz corpus file through the harness its target uses, on stable,
//! so a regression input fails `cargo test` without nightly or cargo-fuzz.

use std::path::Path;

use iso8583_wire::fuzzing;

fn replay(target: &str, run: impl Fn(&[u8]) + std::panic::RefUnwindSafe) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| run(&data));
        assert!(
            result.is_ok(),
            "{target}: {} broke an invariant",
            path.display()
        );
        n += 1;
    }
    n
}

#[test]
fn every_target_replays_its_corpus() {
    let targets =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/targets.txt"))
            .unwrap();
    for target in targets.lines().filter(|l| !l.is_empty()) {
        let n = match target {
            "roundtrip_structured" => replay(target, fuzzing::structured_round_trip),
            "tlv" => replay(target, fuzzing::tlv_round_trip),
            "tagged" => replay(target, fuzzing::tagged_round_trip),
            "framing_stream" => replay(target, fuzzing::framing_stream),
            "pcap" => replay(target, fuzzing::pcap_capture),
            "spec_toml" => replay(target, fuzzing::spec_toml),
            "spec_values" => replay(target, fuzzing::spec_values),
            "journal_ops" => replay(target, fuzzing::journal_ops),
            "mask_check" => replay(target, fuzzing::mask_check),
            t => {
                let name = t
                    .strip_prefix("decode_")
                    .expect("a decode target")
                    .replace('_', "-");
                let name = fuzzing::spec_names()
                    .iter()
                    .find(|s| **s == name)
                    .copied()
                    .expect("a bundled spec");
                replay(t, |d| fuzzing::decode_round_trip(name, d))
            }
        };
        assert!(n > 0, "{target}: empty corpus");
    }
}

/// The vector seeds must be accepted (not just survive): the decode targets start from valid
/// messages.
#[test]
fn vector_seeds_decode() {
    for (target, spec) in [
        ("decode_iso87_ascii_bin", "iso87-ascii-bin"),
        ("decode_iso87_ascii", "iso87-ascii"),
        ("decode_iso87_bcd", "iso87-bcd"),
        ("decode_iso87_ebcdic", "iso87-ebcdic"),
        ("decode_iso93_ascii", "iso93-ascii"),
        ("decode_cup_pos", "cup-pos"),
    ] {
        let spec = iso8583_wire::Spec::builtin(spec).unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(target);
        let ok = std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                let data = std::fs::read(e.as_ref().unwrap().path()).unwrap();
                iso8583_wire::MessageView::decode(&spec, &data).is_ok()
            })
            .count();
        assert!(ok >= 10, "{target}: only {ok} seeds decode");
    }
}

/// `fuzz/targets.txt` (what this replay and `fuzz/run.sh` iterate over), the `[[bin]]`s of
/// `fuzz/Cargo.toml` and the files in `fuzz/fuzz_targets/` name the same targets, so a new
/// target cannot go without a corpus replay.
#[test]
fn target_lists_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut listed: Vec<String> = std::fs::read_to_string(root.join("targets.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut bins: Vec<String> = manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|b| {
            let rest = b.split("name = \"").nth(1)?;
            Some(rest.split('"').next()?.to_owned())
        })
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(root.join("fuzz_targets"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    listed.sort();
    bins.sort();
    files.sort();
    assert!(
        listed.len() >= 9,
        "targets.txt lists {} targets",
        listed.len()
    );
    assert_eq!(listed, bins, "targets.txt vs fuzz/Cargo.toml [[bin]]s");
    assert_eq!(listed, files, "targets.txt vs fuzz/fuzz_targets/*.rs");
}
