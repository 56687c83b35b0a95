//! What the journal keeps of each message, and the checks on the way in.
//!
//! A request handed to [`Journal::begin`](crate::flows::journal::Journal::begin)
//! is read through the journal's spec with typed getters (so BCD and ASCII
//! dialects behave alike) and checked against the [`NewTxn`]: MTI, DE 3,
//! DE 4, DE 11, DE 41 and DE 42. It is then kept with every card-data field
//! removed ([`is_card_data`]): the tracks, PIN and security data, ICC data,
//! any field the spec masks, and DE 2 itself. The PAN (DE 2, or the digits
//! before the separator of track 2 for a magstripe read, with the track's
//! expiry as DE 14 when the request had none) is sealed with the journal
//! key. [`restore`] puts the PAN back for the reversal, void and refund
//! builders, which never need the removed fields.

use zeroize::Zeroizing;

use crate::flows::journal::error::JournalError;
use crate::flows::journal::kind::TxnKind;
use crate::flows::journal::request::NewTxn;
use crate::flows::journal::stan::Stan;
use crate::message::{MessageBuilder, MessageView};
use crate::spec::Spec;

/// Fields removed from every kept message whatever the spec says: PAN and
/// extended PAN (the PAN is sealed apart), track 2, 3 and 1, PIN data,
/// security control information, ICC data, encryption data.
pub const CARD_DATA_FIELDS: [u16; 9] = [2, 34, 35, 36, 45, 52, 53, 55, 96];

/// Whether field `n` with this spec entry is card data the journal never keeps.
pub(crate) fn is_card_data(n: u16, sensitive: bool) -> bool {
    sensitive || CARD_DATA_FIELDS.contains(&n)
}

/// A request that passed the checks, split for keeping.
pub(crate) struct CheckedRequest {
    /// The request without card data and without DE 2.
    pub(crate) stored: Vec<u8>,
    /// The PAN to seal (from DE 2, else from track 2).
    pub(crate) pan: Option<Zeroizing<String>>,
    /// DE 3 as sent.
    pub(crate) processing_code: Option<String>,
}

/// What a response says, read from the message.
pub(crate) struct CheckedResponse {
    /// The response without card data.
    pub(crate) stored: Vec<u8>,
    /// DE 39.
    pub(crate) code: String,
    /// DE 37.
    pub(crate) rrn: Option<String>,
    /// DE 38.
    pub(crate) auth_code: Option<String>,
}

fn unreadable(message: &'static str, e: impl core::fmt::Display) -> JournalError {
    JournalError::Unreadable {
        message,
        reason: e.to_string(),
    }
}

fn mismatch(
    message: &'static str,
    field: &'static str,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> JournalError {
    JournalError::Mismatch {
        message,
        field,
        expected: expected.into(),
        found: found.into(),
    }
}

/// The clear text of field `n` (values up to 64 characters), trailing pad
/// spaces removed.
fn small(v: &MessageView<'_>, n: u16) -> Option<String> {
    let s = v.field(n)?.to_small()?;
    Some(s.as_str().trim_end_matches(' ').to_owned())
}

/// A numeric field as a number, or a description of why not.
fn number(v: &MessageView<'_>, n: u16) -> Result<u64, &'static str> {
    let f = v.field(n).ok_or("absent")?;
    f.to_u64().ok_or("not a number")
}

/// DE 11 of `message` must be `stan`.
fn check_stan(message: &'static str, v: &MessageView<'_>, stan: Stan) -> Result<(), JournalError> {
    match number(v, 11) {
        Ok(n) if n == u64::from(stan.get()) => Ok(()),
        Ok(n) => Err(mismatch(
            message,
            "DE 11 (STAN)",
            stan.to_string(),
            format!("{n:06}"),
        )),
        Err(why) => Err(mismatch(message, "DE 11 (STAN)", stan.to_string(), why)),
    }
}

/// Reads `bytes` with `spec`, checks it against `req` and the allocated
/// `stan`, and splits it for keeping.
pub(crate) fn check_request(
    spec: &Spec,
    req: &NewTxn,
    stan: Stan,
    bytes: &[u8],
) -> Result<CheckedRequest, JournalError> {
    const REQ: &str = "request";
    let v = MessageView::decode(spec, bytes).map_err(|e| unreadable(REQ, e))?;
    let mti = v.mti();
    if mti.as_str() != req.mti {
        return Err(mismatch(REQ, "MTI", req.mti.as_str(), mti.as_str()));
    }
    let processing_code = small(&v, 3);
    if let Some(expected) = &req.processing_code
        && processing_code.as_deref() != Some(expected.as_str())
    {
        return Err(mismatch(
            REQ,
            "DE 3 (processing code)",
            expected.as_str(),
            processing_code.as_deref().unwrap_or("absent"),
        ));
    }
    match number(&v, 4) {
        Ok(amount) if amount == req.amount => {}
        Err("absent") if req.amount == 0 => {}
        Ok(amount) => {
            return Err(mismatch(
                REQ,
                "DE 4 (amount)",
                req.amount.to_string(),
                amount.to_string(),
            ));
        }
        Err(why) => return Err(mismatch(REQ, "DE 4 (amount)", req.amount.to_string(), why)),
    }
    check_stan(REQ, &v, stan)?;
    let terminal = small(&v, 41);
    if terminal.as_deref() != Some(req.terminal.trim_end_matches(' ')) {
        return Err(mismatch(
            REQ,
            "DE 41 (terminal)",
            req.terminal.as_str(),
            terminal.as_deref().unwrap_or("absent"),
        ));
    }
    let merchant = small(&v, 42);
    let merchant_optional = matches!(req.kind, TxnKind::SignOn | TxnKind::Echo);
    let merchant_ok = match &merchant {
        Some(m) => m == req.merchant.trim_end_matches(' '),
        None => merchant_optional,
    };
    if !merchant_ok {
        return Err(mismatch(
            REQ,
            "DE 42 (merchant)",
            req.merchant.as_str(),
            merchant.as_deref().unwrap_or("absent"),
        ));
    }
    let (stored, pan) = strip(spec, &v, true)?;
    Ok(CheckedRequest {
        stored,
        pan,
        processing_code,
    })
}

/// Reads a response to the request `request_mti` of `stan`: the MTI must
/// be the request's response MTI, DE 11 must match; DE 39 is required.
pub(crate) fn check_response(
    spec: &Spec,
    request_mti: &str,
    stan: Stan,
    bytes: &[u8],
) -> Result<CheckedResponse, JournalError> {
    const RSP: &str = "response";
    let v = MessageView::decode(spec, bytes).map_err(|e| unreadable(RSP, e))?;
    let expected = request_mti
        .parse::<crate::message::Mti>()
        .ok()
        .and_then(|m| m.response());
    if let Some(expected) = expected
        && expected != v.mti()
    {
        return Err(mismatch(RSP, "MTI", expected.as_str(), v.mti().as_str()));
    }
    check_stan(RSP, &v, stan)?;
    let code =
        small(&v, 39).ok_or_else(|| mismatch(RSP, "DE 39 (response code)", "present", "absent"))?;
    let rrn = small(&v, 37);
    let auth_code = small(&v, 38);
    let (stored, _) = strip(spec, &v, false)?;
    Ok(CheckedResponse {
        stored,
        code,
        rrn,
        auth_code,
    })
}

/// The message without card data (and without DE 2); with `take_pan`, the
/// PAN from DE 2 or track 2, and DE 14 from the track when absent.
fn strip(
    spec: &Spec,
    v: &MessageView<'_>,
    take_pan: bool,
) -> Result<(Vec<u8>, Option<Zeroizing<String>>), JournalError> {
    let mut b = MessageBuilder::from_view(v);
    let mut pan = None;
    let mut expiry = None;
    if take_pan {
        if let Some(f) = v.field(2) {
            pan = Some(Zeroizing::new(f.clear_string()));
        } else if let Some(track) = v.field(35) {
            let track = Zeroizing::new(track.clear_string());
            let digits: Zeroizing<String> = Zeroizing::new(
                track
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>(),
            );
            let after = track.get(digits.len() + 1..).unwrap_or_default();
            let yymm = after
                .get(..4)
                .filter(|e| e.bytes().all(|c| c.is_ascii_digit()));
            if !digits.is_empty() {
                pan = Some(digits);
                expiry = yymm.map(str::to_owned);
            }
        }
    }
    for f in v.fields() {
        if is_card_data(f.number(), f.spec().is_sensitive()) {
            b.remove(f.number());
        }
    }
    if let (Some(exp), false, true) = (&expiry, v.has(14), spec.field(14).is_some()) {
        b.set_copied(14, exp)
            .map_err(|e| unreadable("request", e))?;
    }
    let stored = b.encode_to_vec().map_err(|e| unreadable("request", e))?;
    Ok((stored, pan))
}

/// The kept request with DE 2 put back: what the reversal, void and refund
/// builders read as the original.
pub(crate) fn restore(
    spec: &Spec,
    stored: &[u8],
    pan: Option<&str>,
) -> Result<Zeroizing<Vec<u8>>, JournalError> {
    let v = MessageView::decode(spec, stored).map_err(|e| unreadable("kept request", e))?;
    let mut b = MessageBuilder::from_view(&v);
    if let Some(pan) = pan {
        b.set_copied(2, pan)
            .map_err(|e| unreadable("kept request", e))?;
    }
    let out = b
        .encode_to_vec()
        .map_err(|e| unreadable("kept request", e))?;
    Ok(Zeroizing::new(out))
}

/// The associated data a PAN is sealed under: it binds the sealed value to
/// its terminal, batch and STAN, so it cannot be moved to another record.
pub(crate) fn pan_aad(terminal: &str, batch: u32, stan: Stan) -> Vec<u8> {
    format!("iso8583-wire journal PAN|{terminal}|{batch:06}|{stan}").into_bytes()
}
