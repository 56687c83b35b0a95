//! The 0200 purchase every codec benchmark uses, its fields per bundled spec, and how "read
//! every field" reads it: shared by `benches/codec.rs` and `benches/instructions.rs` through
//! `#[path]` so both measure the same message the same way.

#![allow(dead_code)] // each bench uses its own subset

use iso8583_wire::{MessageBuilder, MessageView};

/// DE 55, 100 bytes of EMV BER-TLV as a terminal sends them in a chip purchase request.
pub const DE55: [u8; 100] = [
    0x9F, 0x26, 0x08, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E, 0x6F, 0x70, 0x81, // ARQC
    0x9F, 0x27, 0x01, 0x80, // cryptogram information data
    0x9F, 0x10, 0x07, 0x06, 0x01, 0x0A, 0x03, 0xA0, 0x00, 0x00, // issuer application data
    0x9F, 0x37, 0x04, 0x9B, 0xAD, 0xBC, 0xAB, // unpredictable number
    0x9F, 0x36, 0x02, 0x00, 0x2A, // ATC
    0x95, 0x05, 0x00, 0x00, 0x00, 0x80, 0x00, // TVR
    0x9A, 0x03, 0x26, 0x11, 0x22, // transaction date
    0x9C, 0x01, 0x00, // transaction type
    0x9F, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x25, 0x00, // amount authorised
    0x5F, 0x2A, 0x02, 0x08, 0x40, // transaction currency code
    0x82, 0x02, 0x19, 0x80, // AIP
    0x9F, 0x1A, 0x02, 0x08, 0x40, // terminal country code
    0x9F, 0x03, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // amount other
    0x9F, 0x34, 0x03, 0x42, 0x03, 0x00, // CVM results
    0x9F, 0x33, 0x03, 0xE0, 0xF8, 0xC8, // terminal capabilities
    0x9F, 0x35, 0x01, 0x22, // terminal type
];

/// DE 52, an 8-byte ISO format 0 PIN block (as hex text for `set`).
pub const PIN_BLOCK_HEX: &str = "A1B2C3D4E5F60718";

/// Track 2 equivalent: PAN, `=`, YYMM expiry, service code, discretionary data (37 chars).
pub const TRACK2: &str = "4761739001010119=29122011143804400000";

/// DE 43: name (25) + city (13) + country (2) = 40 characters.
pub const DE43: &str = "ACME COFFEE ROASTERS LTD SAN FRANCISCOUS";

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The purchase's MTI and fields as text for `spec`.
///
/// The ISO 1987 specs (`iso87-*`) share one field table. `iso93-ascii` differs: the MTI is
/// `1200` (1993 version digit), DE 12 is n12 date and time (YYMMDDhhmmss), DE 13 is the
/// effective date (n4), DE 22 is the an12 point-of-service data code, DE 25 the n4 message
/// reason code, DE 43 is LL ans..99 (same 40 characters). Every field of the 1987 list exists
/// in the 1993 table, so none is skipped.
pub fn purchase(spec: &str, de55_hex: Option<&str>) -> (&'static str, Vec<(u16, String)>) {
    let iso93 = spec.starts_with("iso93");
    let mut f: Vec<(u16, String)> = vec![
        (2, "4761739001010119".into()),
        (3, "000000".into()),
        (4, "000000002500".into()),
        (7, "1122093000".into()),
        (11, "000042".into()),
        (12, if iso93 { "261122093000" } else { "093000" }.into()),
        (13, if iso93 { "2401" } else { "1122" }.into()),
        (14, "2912".into()),
        (18, "5411".into()),
        (22, if iso93 { "510101511344" } else { "051" }.into()),
        (25, if iso93 { "1508" } else { "00" }.into()),
        (35, TRACK2.into()),
        (37, "332609000042".into()),
        (41, "TERM0001".into()),
        (42, "MERCHANT0000001".into()),
        (43, DE43.into()),
        (49, "840".into()),
        (52, PIN_BLOCK_HEX.into()),
    ];
    if let Some(h) = de55_hex {
        f.push((55, h.to_owned()));
    }
    (if iso93 { "1200" } else { "0200" }, f)
}

pub fn fill<'a>(b: &mut MessageBuilder<'a>, mti: &str, fields: &'a [(u16, String)]) {
    let name = b.spec().name().to_owned();
    b.clear();
    b.mti(mti).expect("valid MTI");
    for (n, v) in fields {
        if let Err(e) = b.set(*n, v.as_str()) {
            panic!("{name}: {e}");
        }
    }
}

/// Reads every field as an application filling its own record does: the clear text of each
/// copied into a reused byte buffer with `ValueChars::write_into` (a copy for ASCII text,
/// unpacked digits for BCD, hex digits for binary), keeping its length and last character,
/// and the amount (DE 4) as `u64`. (`Field::text_into` does the same and then checks the bytes
/// are UTF-8 to hand out a `&str`, which costs about as much again.)
#[inline]
pub fn read_all(msg: &MessageView<'_>) -> u64 {
    let mut aligned = Aligned([0u8; 128]);
    let text = &mut aligned.0;
    let mut sum = 0u64;
    for f in msg.fields() {
        if let Some(n) = f.chars().write_into(text) {
            let last = n.checked_sub(1).map_or(0, |i| text[i]);
            sum = sum.wrapping_add(n as u64 ^ u64::from(last));
        }
    }
    if let Some(amount) = msg.field(4).and_then(|f| f.to_u64()) {
        sum = sum.wrapping_add(amount);
    }
    sum
}

/// The text buffer of [`read_all`], on a cache line of its own.
#[repr(align(64))]
struct Aligned([u8; 128]);
