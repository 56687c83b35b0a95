//! The crate's docs stand alone: no doc comment sends the reader to a file that is not in the
//! repository, the flow table in the `flows` docs says what the built-in profiles send, and
//! docs.rs is told to document every feature and mark gated items.

use std::path::Path;

use iso8583_wire::flows::{FlowCodes, FlowProfile};

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_comment_cites_a_reference_file_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "examples", "benches", "tests"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 100, "{} files", files.len());
    // Split so this file does not match itself.
    let cited = [
        ["pos-flows", ".md"].concat(),
        ["iso87-field-layouts", ".md"].concat(),
        ["market", ".md"].concat(),
        ["style", ".md"].concat(),
        ["shared/", "reference"].concat(),
        ["reference ", "notes"].concat(),
        ["reference ", "\u{a7}"].concat(),
        ["reference ", "source"].concat(),
        ["Reference ", "rule"].concat(),
        "\u{a7}".to_string(),
    ];
    let mut found = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some(c) = cited.iter().find(|c| line.contains(c.as_str())) {
                found.push(format!("{}:{}: {c:?}", path.display(), i + 1));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// `mti / pc / de25 / 60.1` as the table writes a row's cell.
fn cell(codes: &FlowCodes) -> String {
    [
        Some(codes.mti.as_str()),
        codes.processing_code.as_deref(),
        codes.condition_code.as_deref(),
        codes.type_code.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" / ")
}

#[test]
fn the_flow_table_in_the_flows_docs_is_what_the_built_in_profiles_send() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/flows/mod.rs");
    let text = std::fs::read_to_string(path).unwrap();
    let row = |flow: &str| -> (String, String) {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("//! | {flow} |")))
            .unwrap_or_else(|| panic!("no row for {flow}"));
        let cells: Vec<&str> = line
            .trim_start_matches("//!")
            .split('|')
            .map(str::trim)
            .collect();
        (cells[2].to_owned(), cells[3].to_owned())
    };
    let g = FlowProfile::generic_1987();
    let c = FlowProfile::cup_pos();
    for (flow, gen_codes, cup_codes) in [
        ("purchase", &g.purchase, &c.purchase),
        ("void", &g.void, &c.void),
        ("refund", &g.refund, &c.refund),
        ("pre-auth", &g.pre_auth, &c.pre_auth),
        ("pre-auth cancel", &g.pre_auth_cancel, &c.pre_auth_cancel),
        ("completion", &g.completion, &c.completion),
    ] {
        let (gen_cell, cup_cell) = row(flow);
        // The generic profile's DE 25 is the default 00, which the table leaves out.
        let mut gen_codes = gen_codes.clone();
        gen_codes.condition_code = None;
        assert_eq!(gen_cell, cell(&gen_codes), "{flow}, generic-1987");
        assert_eq!(cup_cell, cell(cup_codes), "{flow}, cup-pos");
    }
    let (gen_cell, cup_cell) = row("void of refund");
    let mut void_refund = g.void_refund.clone().unwrap();
    void_refund.condition_code = None;
    assert_eq!(gen_cell, cell(&void_refund));
    assert!(c.void_refund.is_none() && cup_cell == "not allowed");
    for (flow, gen_codes, cup_codes) in [
        ("sign-on", &g.sign_on, &c.sign_on),
        ("echo", &g.echo, &c.echo),
    ] {
        let (gen_cell, cup_cell) = row(flow);
        assert!(gen_cell.starts_with(&gen_codes.mti), "{flow}");
        assert!(cup_cell.starts_with(&cup_codes.mti), "{flow}");
        let network = |f: &FlowCodes| f.network_code.clone().unwrap();
        assert!(
            gen_cell.ends_with(&format!("network {}", network(gen_codes))),
            "{flow}"
        );
        assert!(
            cup_cell.ends_with(&format!("network {}", network(cup_codes))),
            "{flow}"
        );
    }
}

#[test]
fn docs_rs_documents_every_feature_and_marks_gated_items() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
    let docs_rs = &manifest["package"]["metadata"]["docs"]["rs"];
    assert_eq!(docs_rs["all-features"].as_bool(), Some(true));
    let args: Vec<&str> = docs_rs["rustdoc-args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args, ["--cfg", "docsrs"]);
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    assert!(lib.contains("#![cfg_attr(docsrs, feature(doc_cfg))]"));
    // Every feature the manifest declares is listed in the crate docs.
    for feature in manifest["features"].as_table().unwrap().keys() {
        if feature != "default" {
            assert!(
                lib.contains(&format!("//! - `{feature}`")),
                "{feature} not in the crate docs"
            );
        }
    }
}
