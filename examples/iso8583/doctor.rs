//! `iso8583 doctor`: for each message the spec fails on, the smallest spec change that
//! decodes it cleanly.

use std::io::{self, BufRead, Write};
use std::time::Instant;

use iso8583_wire::Spec;
use iso8583_wire::doctor::Doctor;

use super::AnyError;
use super::hexinput::parse_hex;

#[derive(clap::Args)]
pub struct DoctorArgs {
    /// Bundled spec name or path to a spec TOML file.
    #[arg(long)]
    pub spec: String,
    /// Candidates shown per message.
    #[arg(long, default_value_t = 3)]
    pub fixes: usize,
    /// One hex message per line (file, or - for stdin).
    #[arg(default_value = "-")]
    pub file: String,
}

/// Exit status 0 when every message decodes with the spec or has a clean fix.
pub fn run(args: &DoctorArgs) -> Result<bool, AnyError> {
    let spec = Spec::load(&args.spec)?;
    let started = Instant::now();
    let doctor = Doctor::new(&spec)?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{}: {} variants along the whole-spec axes built in {:.1} ms",
        spec.name(),
        doctor.variant_count(),
        started.elapsed().as_secs_f64() * 1e3
    )?;
    let input: Box<dyn BufRead> = if args.file == "-" {
        Box::new(io::stdin().lock())
    } else {
        let f = std::fs::File::open(&args.file).map_err(|e| format!("{}: {e}", args.file))?;
        Box::new(io::BufReader::new(f))
    };
    let mut all_fixed = true;
    let mut msg = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        if let Err(e) = parse_hex(&line, &mut msg) {
            writeln!(out, "\nline {n}: not hex: {e}")?;
            all_fixed = false;
            continue;
        }
        let t = Instant::now();
        let report = doctor.examine(&msg);
        let took = t.elapsed().as_secs_f64() * 1e3;
        let Some(err) = &report.original_error else {
            writeln!(
                out,
                "\nline {n} ({} bytes): decodes with the spec as it is",
                msg.len()
            )?;
            continue;
        };
        writeln!(
            out,
            "\nline {n} ({} bytes): the spec fails: {err}",
            msg.len()
        )?;
        writeln!(out, "  {} candidates tried in {took:.1} ms", report.tried)?;
        if !report.fixes.first().is_some_and(|f| f.clean) {
            all_fixed = false;
            writeln!(out, "  no change decodes the whole message; the closest:")?;
        }
        for (k, fix) in report.fixes.iter().take(args.fixes).enumerate() {
            let state = if fix.clean {
                "decodes cleanly".to_owned()
            } else {
                format!(
                    "decodes {} of {} bytes, then: {}",
                    fix.decoded_bytes,
                    msg.len(),
                    fix.error.map(|e| e.to_string()).unwrap_or_default()
                )
            };
            let at = match fix.first_wrong {
                Some(loc) => format!("; the spec goes wrong at {loc}"),
                None => String::new(),
            };
            writeln!(out, "  fix {} ({state}{at}):", k + 1)?;
            for c in &fix.changes {
                writeln!(out, "    - {c}")?;
            }
            for l in fix.toml_diff.lines() {
                writeln!(out, "      {l}")?;
            }
        }
    }
    Ok(all_fixed)
}
