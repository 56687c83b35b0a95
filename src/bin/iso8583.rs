//! The `iso8583` command-line tool as an installable binary (feature `cli`):
//! `cargo install iso8583-wire --features cli`. The program is the `iso8583` example
//! (`examples/iso8583/`), which `cargo run --example iso8583` runs from a checkout.

#[path = "../../examples/iso8583/main.rs"]
mod iso8583;

fn main() -> std::process::ExitCode {
    iso8583::main()
}
