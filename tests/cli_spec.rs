//! The `iso8583 spec import` and `iso8583 spec check` subcommands.

mod common;

use common::run;

fn path(file: &str) -> String {
    format!("{}/tests/import/{file}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn spec_import_writes_toml_that_spec_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    for (from, file, fields) in [
        ("jpos", "jpos-classes.xml", 32),
        ("moov", "moov-spec.json", 15),
        ("pyiso8583", "pyiso-spec.json", 9),
    ] {
        let out = run(&["spec", "import", "--from", from, &path(file)], "");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let toml = String::from_utf8(out.stdout).unwrap();
        assert!(toml.contains("[message]"), "{toml}");
        let saved = dir.path().join(format!("{from}.toml"));
        std::fs::write(&saved, &toml).unwrap();
        let check = run(&["spec", "check", saved.to_str().unwrap()], "");
        assert_eq!(check.status.code(), Some(0));
        let text = String::from_utf8(check.stdout).unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().contains(": valid;"), "{text}");
        assert_eq!(lines.count(), fields, "{text}");
    }
}

#[test]
fn spec_check_summarises_each_field_and_fails_on_an_invalid_spec() {
    let out = run(&["spec", "check", "iso87-bcd"], "");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let de2 = text
        .lines()
        .find(|l| l.trim_start().starts_with("2 "))
        .unwrap();
    assert!(
        de2.contains("n") && de2.contains("..19 LL Bcd") && de2.contains("masked Pan"),
        "{de2}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = 'x'\n[message]\nmti = 'ascii'\nbitmap = 'binary'\n[fields]\n\
         2 = { name = 'p', class = 'n', prefix = 'LL', max = 100 }\n",
    )
    .unwrap();
    let out = run(&["spec", "check", bad.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("field 2: max: 100 does not fit a 2-digit prefix"),
        "{err}"
    );
}

#[test]
fn spec_import_of_an_unsupported_class_names_it_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("p.xml");
    std::fs::write(
        &xml,
        "<isopackager><isofield id='0' length='4' name='m' class='org.jpos.iso.IFA_NUMERIC'/>\
         <isofield id='1' length='16' name='b' class='org.jpos.iso.IFB_BITMAP'/>\
         <isofield id='9' length='4' name='x' class='org.jpos.iso.IFZ_ODD'/></isopackager>",
    )
    .unwrap();
    let out = run(
        &["spec", "import", "--from", "jpos", xml.to_str().unwrap()],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("field 9: class: unsupported jPOS class org.jpos.iso.IFZ_ODD"),
        "{err}"
    );
}
