//! `iso8583 crypto ...` and `iso8583 mac ...` (feature `crypto`): MACs, key check values, PIN
//! blocks and DUKPT keys for the engineer checking a capture or a key ceremony.
//!
//! ```text
//! iso8583 crypto mac --algorithm iso9797-1-alg1|iso9797-1-alg3|cup-ecb|aes-cmac --key HEX
//!                    [--padding 1|2] [FILE|-]      one hex data line in, one MAC line out
//! iso8583 crypto kcv --key HEX [--aes]
//! iso8583 crypto pin-block encode --format 0|1|3|4 --pin PIN [--pan PAN] [--key HEX]
//! iso8583 crypto pin-block decode --format 0|1|3|4 [--pan PAN] [--key HEX] [--unmask] BLOCK
//! iso8583 crypto dukpt --bdk HEX --ksn HEX [--aes128|--aes256] [--unmask]
//! iso8583 mac --spec S --key HEX [--verify] FILE|-
//! ```
//!
//! Keys never appear in the output unless `--unmask` asks (DUKPT); PINs only with `--unmask`
//! (PIN block decode). Errors name what was wrong, never a key or PIN digit.

use std::io::{self, BufRead, Write};

use clap::{Args, Subcommand, ValueEnum};
use iso8583_wire::security::dukpt::{self, AesKeyType, AesKeyUsage, AesKsn, Ksn, TdesKeyUsage};
use iso8583_wire::security::pin::{self, PinKey};
use iso8583_wire::security::{
    AesKey, Mac, MacAlgorithm, Pin, PinBlockEncryptor, PinBlockFormat, SignMessage, SoftwareMac,
    SoftwarePinBlock, TdesKey, VerifyMessage, kcv,
};
use iso8583_wire::{MessageBuilder, MessageView, Spec};

use super::AnyError;
use super::hexinput::parse_hex;

#[derive(Args)]
pub struct CryptoArgs {
    #[command(subcommand)]
    pub command: CryptoCommand,
}

#[derive(Subcommand)]
pub enum CryptoCommand {
    /// MAC of each hex data line (8 bytes for the DES-based algorithms, 16 for AES-CMAC).
    Mac(MacDataArgs),
    /// Key check value (TDES: E(K, 0) first 3 bytes; AES: CMAC(K, 0) first 5 bytes).
    Kcv(KcvArgs),
    /// ISO 9564-1 PIN blocks.
    #[command(subcommand, name = "pin-block")]
    PinBlock(PinBlockCommand),
    /// DUKPT keys for a KSN: the initial key and the PIN, MAC and data keys.
    Dukpt(DukptArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Algorithm {
    #[value(name = "iso9797-1-alg1")]
    Alg1,
    #[value(name = "iso9797-1-alg3")]
    Alg3,
    #[value(name = "cup-ecb")]
    CupEcb,
    #[value(name = "aes-cmac")]
    AesCmac,
}

#[derive(Args)]
pub struct MacDataArgs {
    #[arg(long, value_enum)]
    pub algorithm: Algorithm,
    /// The MAC key in hex (DES/TDES, or AES for aes-cmac).
    #[arg(long)]
    pub key: String,
    /// ISO/IEC 9797-1 padding method for the iso9797 algorithms.
    #[arg(long, default_value = "1", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub padding: u8,
    /// File of hex data lines, or - for stdin.
    #[arg(default_value = "-")]
    pub file: String,
}

#[derive(Args)]
pub struct KcvArgs {
    /// The key in hex.
    #[arg(long)]
    pub key: String,
    /// An AES key (CMAC check value) instead of DES/TDES.
    #[arg(long)]
    pub aes: bool,
}

#[derive(Subcommand)]
pub enum PinBlockCommand {
    /// A PIN block for a PIN: clear (formats 0, 1, 3 without --key) or enciphered.
    Encode(PinEncodeArgs),
    /// Checks a PIN block; prints the PIN only with --unmask.
    Decode(PinDecodeArgs),
}

#[derive(Args)]
pub struct PinEncodeArgs {
    /// ISO 9564-1 format.
    #[arg(long, value_parser = ["0", "1", "3", "4"])]
    pub format: String,
    /// The PIN, 4 to 12 digits.
    #[arg(long)]
    pub pin: String,
    /// The PAN (formats 0, 3 and 4).
    #[arg(long)]
    pub pan: Option<String>,
    /// PIN key in hex: TDES for formats 0, 1, 3 (the block is enciphered), AES for format 4
    /// (required).
    #[arg(long)]
    pub key: Option<String>,
}

#[derive(Args)]
pub struct PinDecodeArgs {
    /// ISO 9564-1 format.
    #[arg(long, value_parser = ["0", "1", "3", "4"])]
    pub format: String,
    /// The PAN (formats 0, 3 and 4).
    #[arg(long)]
    pub pan: Option<String>,
    /// PIN key in hex when the block is enciphered (AES for format 4, required there).
    #[arg(long)]
    pub key: Option<String>,
    /// Print the PIN.
    #[arg(long)]
    pub unmask: bool,
    /// The PIN block in hex.
    pub block: String,
}

#[derive(Args)]
pub struct DukptArgs {
    /// Base derivation key in hex (double-length TDES, or AES with --aes128/--aes256).
    #[arg(long)]
    pub bdk: String,
    /// Key serial number in hex: 10 bytes for TDES, 12 for AES (initial key ID + counter).
    #[arg(long)]
    pub ksn: String,
    /// AES-128 DUKPT (X9.24-3).
    #[arg(long, conflicts_with = "aes256")]
    pub aes128: bool,
    /// AES-256 DUKPT (X9.24-3).
    #[arg(long)]
    pub aes256: bool,
    /// Print the keys themselves instead of their check values.
    #[arg(long)]
    pub unmask: bool,
}

/// `iso8583 mac`: sign or verify whole messages by the spec's `[mac]` section.
#[derive(Args)]
pub struct MessageMacArgs {
    /// Bundled spec name or path to a spec TOML file; it must have a `[mac]` section.
    #[arg(long)]
    pub spec: String,
    /// The MAC key in hex.
    #[arg(long)]
    pub key: String,
    /// Verify each message (prints `ok` or `failed: ...`) instead of signing it.
    #[arg(long)]
    pub verify: bool,
    /// File of hex lines, one message each (header included), or - for stdin.
    #[arg(default_value = "-")]
    pub file: String,
}

pub fn run(args: &CryptoArgs) -> Result<bool, AnyError> {
    match &args.command {
        CryptoCommand::Mac(a) => mac_data(a),
        CryptoCommand::Kcv(a) => kcv_of(a),
        CryptoCommand::PinBlock(PinBlockCommand::Encode(a)) => pin_encode(a),
        CryptoCommand::PinBlock(PinBlockCommand::Decode(a)) => pin_decode(a),
        CryptoCommand::Dukpt(a) => dukpt_keys(a),
    }
}

fn upper(bytes: &[u8]) -> String {
    hex::encode_upper(bytes)
}

/// Non-empty lines of FILE or stdin, numbered from 1.
fn lines(file: &str) -> Result<Vec<(usize, String)>, AnyError> {
    let reader: Box<dyn BufRead> = if file == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(io::BufReader::new(
            std::fs::File::open(file).map_err(|e| format!("{file}: {e}"))?,
        ))
    };
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        if !line.trim().is_empty() {
            out.push((i + 1, line));
        }
    }
    Ok(out)
}

fn unhex_line(n: usize, line: &str) -> Result<Vec<u8>, AnyError> {
    let mut out = Vec::new();
    parse_hex(line, &mut out).map_err(|e| format!("line {n}: {e}"))?;
    Ok(out)
}

fn mac_data(a: &MacDataArgs) -> Result<bool, AnyError> {
    let name = match a.algorithm {
        Algorithm::Alg1 => "iso9797-1-alg1",
        Algorithm::Alg3 => "iso9797-1-alg3",
        Algorithm::CupEcb => "cup-ecb",
        Algorithm::AesCmac => "aes-cmac",
    };
    let algorithm = MacAlgorithm::from_name(name, a.padding).ok_or("--padding is 1 or 2")?;
    let mac = SoftwareMac::from_hex(algorithm, &a.key)?;
    let mut out = io::stdout().lock();
    for (n, line) in lines(&a.file)? {
        let data = unhex_line(n, &line)?;
        writeln!(out, "{}", upper(&mac.mac(&data)?))?;
    }
    Ok(true)
}

fn kcv_of(a: &KcvArgs) -> Result<bool, AnyError> {
    let kcv = if a.aes {
        upper(&kcv::aes_kcv(&AesKey::from_hex(&a.key)?))
    } else {
        upper(&kcv::tdes_kcv(&TdesKey::from_hex(&a.key)?))
    };
    writeln!(io::stdout().lock(), "{kcv}")?;
    Ok(true)
}

fn format_of(s: &str) -> PinBlockFormat {
    match s {
        "1" => PinBlockFormat::Iso1,
        "3" => PinBlockFormat::Iso3,
        "4" => PinBlockFormat::Iso4,
        _ => PinBlockFormat::Iso0,
    }
}

/// The encryptor for `format` with `key`, or `None` for a clear block (formats 0, 1, 3).
fn pin_encryptor(
    format: PinBlockFormat,
    key: Option<&str>,
) -> Result<Option<SoftwarePinBlock>, AnyError> {
    let key = match (format, key) {
        (PinBlockFormat::Iso4, None) => {
            return Err("format 4 is always enciphered: give --key".into());
        }
        (_, None) => return Ok(None),
        (PinBlockFormat::Iso4, Some(k)) => PinKey::Aes(AesKey::from_hex(k)?),
        (_, Some(k)) => PinKey::Tdes(TdesKey::from_hex(k)?),
    };
    Ok(Some(SoftwarePinBlock::new(format, key)?))
}

fn pin_encode(a: &PinEncodeArgs) -> Result<bool, AnyError> {
    let format = format_of(&a.format);
    let pin = Pin::new(&a.pin)?;
    let pan = a.pan.as_deref();
    let block = match pin_encryptor(format, a.key.as_deref())? {
        Some(enc) => enc.encrypt_pin(&pin, pan)?,
        None => {
            let need = || iso8583_wire::security::SecurityError::PanRequired {
                format: format.number(),
            };
            match format {
                PinBlockFormat::Iso1 => pin::encode_iso1(&pin)?.to_vec(),
                PinBlockFormat::Iso3 => pin::encode_iso3(&pin, pan.ok_or_else(need)?)?.to_vec(),
                _ => pin::encode_iso0(&pin, pan.ok_or_else(need)?)?.to_vec(),
            }
        }
    };
    writeln!(io::stdout().lock(), "{}", upper(&block))?;
    Ok(true)
}

fn pin_decode(a: &PinDecodeArgs) -> Result<bool, AnyError> {
    let format = format_of(&a.format);
    let block = hex::decode(a.block.trim()).map_err(|_| "BLOCK: not an even run of hex digits")?;
    let pan = a.pan.as_deref();
    let result = match pin_encryptor(format, a.key.as_deref())? {
        Some(enc) => enc.decrypt_pin(&block, pan),
        None => {
            let need = iso8583_wire::security::SecurityError::PanRequired {
                format: format.number(),
            };
            match (format, pan) {
                (PinBlockFormat::Iso1, _) => pin::decode_iso1(&block),
                (PinBlockFormat::Iso3, Some(p)) => pin::decode_iso3(&block, p),
                (PinBlockFormat::Iso0, Some(p)) => pin::decode_iso0(&block, p),
                _ => Err(need),
            }
        }
    };
    let mut out = io::stdout().lock();
    match result {
        Ok(pin) if a.unmask => writeln!(out, "ok length {} pin {}", pin.len(), pin.reveal())?,
        Ok(pin) => writeln!(out, "ok length {}", pin.len())?,
        Err(e) => {
            writeln!(out, "failed: {e}")?;
            return Ok(false);
        }
    }
    Ok(true)
}

/// One output line: the key's name, then `key HEX` with --unmask, else `kcv HEX`.
fn key_line(
    out: &mut impl Write,
    name: &str,
    unmask: bool,
    key: &[u8],
    kcv: &[u8],
) -> io::Result<()> {
    if unmask {
        writeln!(out, "{name} key {}", upper(key))
    } else {
        writeln!(out, "{name} kcv {}", upper(kcv))
    }
}

fn dukpt_keys(a: &DukptArgs) -> Result<bool, AnyError> {
    let mut out = io::stdout().lock();
    if a.aes128 || a.aes256 {
        let bdk = AesKey::from_hex(&a.bdk)?;
        let want = if a.aes256 { 32 } else { 16 };
        if bdk.len() != want {
            return Err(format!(
                "--bdk: an AES-{} BDK has {want} bytes, got {}",
                want * 8,
                bdk.len()
            )
            .into());
        }
        let ty = if a.aes256 {
            AesKeyType::Aes256
        } else {
            AesKeyType::Aes128
        };
        let ksn = AesKsn::from_hex(&a.ksn)?;
        let initial = dukpt::aes_initial_key(&bdk, &ksn.initial_key_id())?;
        let derivation = dukpt::aes_derivation_key(&initial, &ksn)?;
        let line = |out: &mut io::StdoutLock<'_>, name: &str, k: &AesKey| {
            key_line(out, name, a.unmask, k.secret_bytes(), &kcv::aes_kcv(k))
        };
        line(&mut out, "ipek", &initial)?;
        for (name, usage) in [
            ("pin", AesKeyUsage::PinEncryption),
            ("mac", AesKeyUsage::MacGeneration),
            ("data", AesKeyUsage::DataEncrypt),
        ] {
            line(
                &mut out,
                name,
                &dukpt::aes_working_key(&derivation, &ksn, usage, ty)?,
            )?;
        }
    } else {
        let bdk = TdesKey::from_hex(&a.bdk)?;
        let ksn = Ksn::from_hex(&a.ksn)?;
        let ipek = dukpt::tdes_ipek(&bdk, &ksn)?;
        let current = dukpt::tdes_current_key(&ipek, &ksn)?;
        let line = |out: &mut io::StdoutLock<'_>, name: &str, k: &TdesKey| {
            key_line(out, name, a.unmask, k.secret_bytes(), &kcv::tdes_kcv(k))
        };
        line(&mut out, "ipek", &ipek)?;
        for (name, usage) in [
            ("pin", TdesKeyUsage::Pin),
            ("mac", TdesKeyUsage::MacRequest),
            ("data", TdesKeyUsage::DataRequest),
        ] {
            line(&mut out, name, &dukpt::tdes_working_key(&current, usage)?)?;
        }
    }
    Ok(true)
}

/// `iso8583 mac`: each hex line is a message; signed messages are printed as hex lines,
/// verified ones as `ok` or `failed: REASON`.
pub fn run_message_mac(a: &MessageMacArgs) -> Result<bool, AnyError> {
    let spec = Spec::load(&a.spec)?;
    let setting = spec
        .mac()
        .ok_or_else(|| format!("{}: the spec has no [mac] section", a.spec))?;
    let mac = SoftwareMac::from_hex(setting.algorithm(), &a.key)?;
    let mut out = io::stdout().lock();
    let mut all_ok = true;
    for (n, line) in lines(&a.file)? {
        let wire = unhex_line(n, &line)?;
        let view = match MessageView::decode(&spec, &wire) {
            Ok(v) => v,
            Err(e) => {
                writeln!(out, "failed: line {n}: {e}")?;
                all_ok = false;
                continue;
            }
        };
        if a.verify {
            match view.verify_mac_with(&mac) {
                Ok(()) => writeln!(out, "ok")?,
                Err(e) => {
                    writeln!(out, "failed: line {n}: {e}")?;
                    all_ok = false;
                }
            }
        } else {
            let mut b = MessageBuilder::from_view(&view);
            match b
                .sign_with(&mac)
                .map_err(AnyError::from)
                .and_then(|b| Ok(b.encode_to_vec()?))
            {
                Ok(signed) => writeln!(out, "{}", upper(&signed))?,
                Err(e) => {
                    writeln!(out, "failed: line {n}: {e}")?;
                    all_ok = false;
                }
            }
        }
    }
    Ok(all_ok)
}
