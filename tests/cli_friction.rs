//! What a new user of the CLI meets first: installing it on its own, the default spec agreeing
//! with the README's flow example, and the README's command to start the example host.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{cli, example, run};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// Asserts the README's flow example (purchase, void, refund, reversal) loads `spec`.
fn assert_flow_example_uses(readme: &str, spec: &str, what: &str) {
    let flow = section(
        readme,
        "### Purchase, void, refund and reversal in a few lines",
    );
    assert!(
        flow.contains(&format!("Spec::builtin(\"{spec}\")")),
        "the README's flow example does not use {what} {spec}"
    );
}

/// The text of README section `title` (up to the next `## `).
fn section(readme: &str, title: &str) -> String {
    let start = readme
        .find(title)
        .unwrap_or_else(|| panic!("README has no {title:?}"));
    let rest = &readme[start + title.len()..];
    rest[..rest.find("\n## ").unwrap_or(rest.len())].to_owned()
}

#[test]
fn the_cli_feature_builds_the_tool_without_the_benches_dependencies() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--edges",
            "normal",
            "--no-default-features",
            "--features",
            "cli",
            "--prefix",
            "none",
            "--manifest-path",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    let has = |name: &str| tree.lines().any(|l| l.starts_with(&format!("{name} v")));
    for needed in ["clap", "faster-hex", "pcap-parser", "serde_json"] {
        assert!(has(needed), "cli needs {needed}:\n{tree}");
    }
    for bench_only in [
        "criterion",
        "proptest",
        "iso8583_rs",
        "iso8583-codec",
        "tokio",
        "tempfile",
    ] {
        assert!(!has(bench_only), "cli pulls in {bench_only}:\n{tree}");
    }
    // The installed binary is the same program as the example (built here under --all-features).
    if let Some(bin) = option_env!("CARGO_BIN_EXE_iso8583") {
        let installed = Command::new(bin).arg("specs").output().unwrap();
        let example = run(&["specs"], "");
        assert!(installed.status.success());
        assert_eq!(installed.stdout, example.stdout);
        assert!(String::from_utf8_lossy(&installed.stdout).contains("cup-pos"));
    }
    let text = readme();
    assert!(text.contains("cargo install iso8583-wire --features cli"));
}

#[test]
fn the_default_spec_is_the_one_of_the_readme_flow_example() {
    let help = cli().args(["decode", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let spec_help = &help[help.find("--spec").expect("decode --help lists --spec")..];
    let d = spec_help.find("[default: ").unwrap() + "[default: ".len();
    let default = &spec_help[d..d + spec_help[d..].find(']').unwrap()];
    let encode_help = cli().args(["encode", "--help"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&encode_help.stdout).contains(&format!("[default: {default}]"))
    );
    let text = readme();
    assert_flow_example_uses(&text, default, "the CLI's default spec");
    let cli_section = section(&text, "## The CLI");
    assert!(
        cli_section.contains(&format!(
            "Without `--spec`, `decode` and `encode` use `{default}`"
        )),
        "the README's CLI section does not state the default {default}"
    );
}

#[test]
fn the_readme_host_command_starts_the_host_with_the_flow_examples_spec() {
    let text = readme();
    let prefix = "cargo run --example host --features tokio -- ";
    let line = text
        .lines()
        .map(str::trim_start)
        .find(|l| l.starts_with(prefix) && l.contains("--spec"))
        .expect("the README shows how to start examples/host.rs with a spec");
    let args: Vec<&str> = line[prefix.len()..]
        .split('#')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let spec = args[args.iter().position(|a| *a == "--spec").unwrap() + 1];
    assert_flow_example_uses(&text, spec, "the host command's spec");
    // Start it as documented, on a free port, and see it listen.
    let host = example("host");
    let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let port = args.iter().position(|a| a == "--port").unwrap() + 1;
    args[port] = "0".to_owned();
    let mut child = Command::new(host)
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(first.starts_with("listening on 127.0.0.1:"), "{first:?}");
}
