//! `iso8583`: decode captured ISO 8583 traffic and encode messages from JSON.
//!
//! ```text
//! iso8583 decode [--spec NAME|PATH] [--input hex|hex-lines|raw|pcap|pcapng]
//!                [--framing len2|len2le|len2bcd|len4ascii|none] [--max-frame N] [--port N]
//!                [--format pretty|json|jsonl] [--unmask] [--expand] [--quiet] [--jobs N] FILE|-
//! iso8583 encode [--spec NAME|PATH] [--output hex|raw] [--framing ...] [--header HEX]
//!                [-o FILE] FILE|-
//! iso8583 specs
//! iso8583 crypto mac|kcv|pin-block|dukpt ...     (feature crypto; see crypto.rs)
//! iso8583 mac --spec S --key HEX [--verify] FILE|-   (feature crypto)
//! iso8583 spec import --from jpos|moov|pyiso8583 FILE
//! iso8583 spec check NAME|FILE
//! iso8583 doctor --spec NAME|PATH [--fixes N] FILE|-
//! ```
//!
//! JSONL contract (stable): one object per message, `{"mti":"0200","fields":{"2":"..."}}`
//! (plus `"header":"<hex>"` for specs with a header, which `encode` reads back),
//! or `{"error":{"field":35,"offset":57,"message":"..."}}` (field `null` when the header, MTI,
//! bitmap or input framing is at fault, or bytes are left over after the last field). With `--input pcap|pcapng` every object starts with
//! `"ts"` (capture time, the string `"<unix seconds>.<nanoseconds, 9 digits>"`), `"src"` and
//! `"dst"` (`"ip:port"`). A summary (messages, errors, count by MTI) goes to stderr.
//!
//! Exit status: 0 all decoded; 1 some messages or input records failed (each is reported in
//! the output, input problems also on stderr); 2 the input could not be read at all
//! (missing file, unreadable capture, bad arguments), with one line on stderr.

mod args;
#[cfg(feature = "crypto")]
mod crypto;
mod decode;
mod doctor;
mod encode;
mod hexinput;
mod output;
mod parallel;
mod pcap;
mod pretty;
mod progress;
mod spec_cmd;
mod summary;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use iso8583_wire::Spec;
use iso8583_wire::spec::BUILTIN_NAMES;

use args::{Cli, Command};

pub type AnyError = Box<dyn std::error::Error>;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(args) => decode::run(&args),
        Command::Encode(args) => encode::run(&args),
        Command::Specs => specs(),
        #[cfg(feature = "crypto")]
        Command::Crypto(args) => crypto::run(&args),
        #[cfg(feature = "crypto")]
        Command::Mac(args) => crypto::run_message_mac(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Spec { action } => spec_cmd::run(&action),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            // A closed pipe (`| head`) is not an error worth reporting.
            if e.downcast_ref::<io::Error>()
                .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("iso8583: {e}");
            ExitCode::from(2)
        }
    }
}

fn specs() -> Result<bool, AnyError> {
    let mut out = io::stdout().lock();
    for name in BUILTIN_NAMES {
        let spec = Spec::builtin(name)?;
        writeln!(out, "{name:<16} {}", spec.description())?;
    }
    Ok(true)
}
