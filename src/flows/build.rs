//! Typed builders for the POS requests.
//!
//! What every request needs is a required argument; what comes from the original transaction
//! is copied from the original's decoded messages, never retyped by the caller. Each builder
//! returns a [`MessageBuilder`] ready to encode (callers may add fields, e.g. a MAC).

use crate::error::EncodeError;
use crate::flows::journal::{ReversalReason, Stan, Totals};
use crate::framing::PosHeader;
use crate::message::{Field, MessageBuilder, MessageView, Mti, OriginalData, SubValue};
use crate::spec::Spec;

use super::profile::{FlowCodes, FlowProfile, ReversalStyle};

/// Why a flow message could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// A value does not fit the spec.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The original message lacks a field the flow copies from it.
    #[error("the original message has no field {field}, which this flow copies")]
    MissingOriginalField {
        /// The field.
        field: u16,
    },
    /// The profile does not allow this flow (e.g. void of a refund on UnionPay).
    #[error("the {profile} profile does not allow {flow}")]
    NotAllowed {
        /// Profile name.
        profile: String,
        /// Flow name.
        flow: &'static str,
    },
    /// A date or time part that cannot exist (month 13, day 40, hour 25, ...).
    #[error("field {field}: {part} {value} is not a valid local time ({range})")]
    InvalidTime {
        /// The field the time would have gone into (DE 7 first).
        field: u16,
        /// Which part: `month`, `day`, `hour`, `minute` or `second`.
        part: &'static str,
        /// The value given.
        value: u8,
        /// The allowed range, for the message.
        range: &'static str,
    },
    /// The original was not approved, so it cannot be voided, refunded or completed.
    #[error("the original response was not an approval (DE 39 {code})")]
    OriginalNotApproved {
        /// The response code received.
        code: String,
    },
}

/// Local date and time of a transaction (DE 7, 12, 13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// Month 1..=12.
    pub month: u8,
    /// Day 1..=31.
    pub day: u8,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Second.
    pub second: u8,
}

impl LocalTime {
    /// A checked local time: month 1..=12, day 1..=the month's length
    /// (29 for February, as no year is known), hour 0..=23, minute and
    /// second 0..=59.
    ///
    /// ```
    /// use iso8583_wire::flows::LocalTime;
    /// assert!(LocalTime::new(11, 22, 9, 30, 0).is_ok());
    /// let err = LocalTime::new(13, 40, 25, 61, 99).unwrap_err();
    /// assert_eq!(err.to_string(), "field 7: month 13 is not a valid local time (1..=12)");
    /// assert!(LocalTime::new(2, 30, 0, 0, 0).is_err());
    /// assert!(LocalTime::new(4, 31, 0, 0, 0).is_err());
    /// ```
    pub fn new(
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Result<LocalTime, FlowError> {
        let t = LocalTime {
            month,
            day,
            hour,
            minute,
            second,
        };
        t.check()?;
        Ok(t)
    }

    /// Checks every part (see [`LocalTime::new`]); the builders call this
    /// before writing DE 7, 12 or 13, so an impossible value is refused
    /// rather than sent.
    pub fn check(&self) -> Result<(), FlowError> {
        let bad = |part, value, range| FlowError::InvalidTime {
            field: 7,
            part,
            value,
            range,
        };
        if !(1..=12).contains(&self.month) {
            return Err(bad("month", self.month, "1..=12"));
        }
        let (days, range) = match self.month {
            2 => (29, "1..=29"),
            4 | 6 | 9 | 11 => (30, "1..=30"),
            _ => (31, "1..=31"),
        };
        if !(1..=days).contains(&self.day) {
            return Err(bad("day", self.day, range));
        }
        if self.hour > 23 {
            return Err(bad("hour", self.hour, "0..=23"));
        }
        if self.minute > 59 {
            return Err(bad("minute", self.minute, "0..=59"));
        }
        if self.second > 59 {
            return Err(bad("second", self.second, "0..=59"));
        }
        Ok(())
    }

    /// DE 7 transmission date and time, MMDDhhmmss.
    pub fn mmddhhmmss(&self) -> String {
        format!(
            "{:02}{:02}{:02}{:02}{:02}",
            self.month, self.day, self.hour, self.minute, self.second
        )
    }
    /// DE 12, hhmmss.
    pub fn hhmmss(&self) -> String {
        format!("{:02}{:02}{:02}", self.hour, self.minute, self.second)
    }
    /// DE 13, MMDD.
    pub fn mmdd(&self) -> String {
        format!("{:02}{:02}", self.month, self.day)
    }
}

/// How the card was read, and what it gave.
///
/// `Debug` masks the card data (PAN as a PAN, track as a track, PIN block and ICC data hidden).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Card {
    /// Primary account number (DE 2), when keyed or read from the chip.
    pub pan: Option<String>,
    /// Expiry YYMM (DE 14).
    pub expiry: Option<String>,
    /// Track 2 equivalent (DE 35), magstripe reads.
    pub track2: Option<String>,
    /// Card sequence number (DE 23), chip cards.
    pub sequence: Option<String>,
    /// POS entry mode (DE 22), e.g. `051` chip, `021` magstripe, `012` keyed.
    pub entry_mode: String,
    /// Encrypted PIN block (DE 52).
    pub pin_block: Option<[u8; 8]>,
    /// ICC data (DE 55), raw BER-TLV bytes.
    pub icc: Option<Vec<u8>>,
}

impl core::fmt::Debug for Card {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use crate::spec::Mask;
        f.debug_struct("Card")
            .field("pan", &self.pan.as_deref().map(|p| Mask::Pan.apply(p)))
            .field("expiry", &self.expiry)
            .field(
                "track2",
                &self.track2.as_deref().map(|t| Mask::Track.apply(t)),
            )
            .field("sequence", &self.sequence)
            .field("entry_mode", &self.entry_mode)
            .field("pin_block", &self.pin_block.map(|_| "********"))
            .field(
                "icc",
                &self.icc.as_ref().map(|i| format!("{} bytes", i.len())),
            )
            .finish()
    }
}

impl Card {
    /// A chip card read: PAN, expiry, sequence number and ICC data.
    pub fn chip(pan: &str, expiry: &str, sequence: &str, icc: Vec<u8>) -> Card {
        Card {
            pan: Some(pan.into()),
            expiry: Some(expiry.into()),
            sequence: Some(sequence.into()),
            entry_mode: "051".into(),
            icc: Some(icc),
            ..Card::default()
        }
    }

    /// A magnetic stripe read: track 2 only.
    pub fn magstripe(track2: &str) -> Card {
        Card {
            track2: Some(track2.into()),
            entry_mode: "021".into(),
            ..Card::default()
        }
    }

    /// A keyed card number.
    pub fn keyed(pan: &str, expiry: &str) -> Card {
        Card {
            pan: Some(pan.into()),
            expiry: Some(expiry.into()),
            entry_mode: "012".into(),
            ..Card::default()
        }
    }

    /// Last four digits of the card number, for the journal and receipts.
    pub fn last4(&self) -> Option<String> {
        let digits: &str = match (&self.pan, &self.track2) {
            (Some(p), _) => p,
            (None, Some(t)) => t.split(['=', 'D']).next().unwrap_or(""),
            _ => return None,
        };
        digits
            .get(digits.len().saturating_sub(4)..)
            .map(str::to_owned)
    }
}

/// What every message of one terminal shares: spec, profile, identities, batch.
#[derive(Clone, Debug)]
pub struct FlowContext {
    /// The wire dialect.
    pub spec: Spec,
    /// The network's codes.
    pub profile: FlowProfile,
    /// DE 41.
    pub terminal_id: String,
    /// DE 42.
    pub merchant_id: String,
    /// DE 32, when the profile's messages carry it.
    pub acquirer_id: Option<String>,
    /// TPDU + header for specs with an 11-byte header (UnionPay).
    pub header: Option<PosHeader>,
}

fn owned(b: &mut MessageBuilder<'static>, n: u16, v: impl AsRef<str>) -> Result<(), EncodeError> {
    b.set_copied(n, v.as_ref())?;
    Ok(())
}

/// Sets field `n` to `v` as `N` decimal digits, zero-padded on the left and built on the
/// stack. A value with more digits goes in whole, so the builder rejects it as too long
/// rather than anything being cut off.
fn set_number<const N: usize>(
    b: &mut MessageBuilder<'static>,
    n: u16,
    v: u64,
) -> Result<(), EncodeError> {
    let mut out = [b'0'; N];
    let mut rest = v;
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    if rest == 0 {
        owned(b, n, Digits(out))
    } else {
        owned(b, n, v.to_string())
    }
}

/// Sets field `n` to two digits for each of `parts`, e.g. MMDDhhmmss, built on the stack. A
/// part above 99 goes in whole, so the builder rejects the value as too long.
fn set_two_digit_groups<const N: usize>(
    b: &mut MessageBuilder<'static>,
    n: u16,
    parts: &[u8],
) -> Result<(), EncodeError> {
    if parts.iter().any(|&p| p > 99) {
        let text: String = parts.iter().map(|p| format!("{p:02}")).collect();
        return owned(b, n, text);
    }
    let mut out = [b'0'; N];
    for (pair, &p) in out.chunks_exact_mut(2).zip(parts) {
        if let [hi, lo] = pair {
            *hi = b'0' + p / 10;
            *lo = b'0' + p % 10;
        }
    }
    owned(b, n, Digits(out))
}

/// ASCII digits built on the stack.
struct Digits<const N: usize>([u8; N]);

impl<const N: usize> AsRef<str> for Digits<N> {
    fn as_ref(&self) -> &str {
        // Only ASCII digits are ever written.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// For an original without DE 2 (a magstripe read), sets DE 2 to the PAN at the front of its
/// track 2 (DE 35), rather than resending the track.
fn pan_from_track2(
    b: &mut MessageBuilder<'static>,
    original: &MessageView<'_>,
) -> Result<(), EncodeError> {
    match original.field(35) {
        Some(track) if !original.has(2) => {
            let pan: String = track
                .chars()
                .map(char::from)
                .take_while(char::is_ascii_digit)
                .collect();
            owned(b, 2, pan)
        }
        _ => Ok(()),
    }
}

/// The clear value of field `n` of `v`.
fn text(v: &MessageView<'_>, n: u16) -> Option<String> {
    Some(v.field(n)?.clear_string())
}

fn required(v: &MessageView<'_>, n: u16) -> Result<String, FlowError> {
    text(v, n).ok_or(FlowError::MissingOriginalField { field: n })
}

/// Sets field `n` of `b` to the clear value of field `n` of `from`, if it has one.
fn copy(
    b: &mut MessageBuilder<'static>,
    from: &MessageView<'_>,
    n: u16,
) -> Result<(), EncodeError> {
    match from.field(n) {
        Some(f) => set_clear(b, f),
        None => Ok(()),
    }
}

/// [`copy`] for a field the original must have.
fn copy_required(
    b: &mut MessageBuilder<'static>,
    from: &MessageView<'_>,
    n: u16,
) -> Result<(), FlowError> {
    let f = from
        .field(n)
        .ok_or(FlowError::MissingOriginalField { field: n })?;
    Ok(set_clear(b, f)?)
}

/// Sets `f`'s clear value under its own number (no allocation up to 64 characters).
fn set_clear(b: &mut MessageBuilder<'static>, f: Field<'_>) -> Result<(), EncodeError> {
    match f.to_small() {
        Some(small) => b.set_copied(f.number(), small.as_str())?,
        None => b.set(f.number(), f.clear_string())?,
    };
    Ok(())
}

/// The original's local date (MMDD): from its response, else its request, else `0000`.
fn original_date(original: &MessageView<'_>, response: &MessageView<'_>) -> String {
    text(response, 13)
        .or_else(|| text(original, 13))
        .unwrap_or_else(|| "0000".into())
}

fn is_approval(code: &str) -> bool {
    matches!(code, "00" | "10" | "11" | "A2" | "A4" | "A5" | "A6")
}

impl FlowContext {
    /// A new message with the profile's codes, the header and the terminal identities.
    fn start(
        &self,
        codes: &FlowCodes,
        stan: Stan,
        batch: u32,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let mut b = MessageBuilder::new(&self.spec);
        b.mti(&codes.mti)?;
        if let Some(h) = self
            .header
            .filter(|_| self.spec.header_len() == PosHeader::LEN)
        {
            b.header_owned(h.to_bytes().to_vec())?;
        }
        if let Some(pc) = &codes.processing_code {
            owned(&mut b, 3, pc.as_str())?;
        }
        set_number::<6>(&mut b, 11, u64::from(u32::from(stan)))?;
        if let Some(cc) = &codes.condition_code {
            owned(&mut b, 25, cc.as_str())?;
        }
        if let (Some(acq), true) = (&self.acquirer_id, self.spec.field(32).is_some()) {
            owned(&mut b, 32, acq.as_str())?;
        }
        owned(&mut b, 41, self.terminal_id.as_str())?;
        owned(&mut b, 42, self.merchant_id.as_str())?;
        if self.profile.uses_de60 {
            self.set_de60(&mut b, codes, batch)?;
        }
        Ok(b)
    }

    fn set_de60(
        &self,
        b: &mut MessageBuilder<'static>,
        codes: &FlowCodes,
        batch: u32,
    ) -> Result<(), EncodeError> {
        let parts = vec![
            (
                "1".to_string(),
                SubValue::from(codes.type_code.clone().unwrap_or_else(|| "00".into())),
            ),
            ("2".to_string(), SubValue::from(format!("{batch:06}"))),
            (
                "3".to_string(),
                SubValue::from(codes.network_code.clone().unwrap_or_else(|| "000".into())),
            ),
        ];
        b.set_subfields(60, &parts)?;
        Ok(())
    }

    fn times(&self, b: &mut MessageBuilder<'static>, now: &LocalTime) -> Result<(), FlowError> {
        now.check()?;
        if self.profile.uses_de60 {
            return Ok(()); // UnionPay terminals let the host stamp date and time
        }
        let t = now;
        set_two_digit_groups::<10>(b, 7, &[t.month, t.day, t.hour, t.minute, t.second])?;
        set_two_digit_groups::<6>(b, 12, &[t.hour, t.minute, t.second])?;
        set_two_digit_groups::<4>(b, 13, &[t.month, t.day])?;
        Ok(())
    }

    fn card(&self, b: &mut MessageBuilder<'static>, card: &Card) -> Result<(), EncodeError> {
        if let Some(pan) = &card.pan {
            owned(b, 2, pan.as_str())?;
        }
        if let Some(exp) = &card.expiry {
            owned(b, 14, exp.as_str())?;
        }
        owned(b, 22, card.entry_mode.as_str())?;
        if let (Some(seq), true) = (&card.sequence, self.spec.field(23).is_some()) {
            owned(b, 23, seq.as_str())?;
        }
        if let Some(t2) = &card.track2 {
            owned(b, 35, t2.as_str())?;
        }
        if let Some(pin) = card.pin_block {
            b.set(52, crate::message::FieldValue::binary_owned(pin.to_vec()))?;
            if self.profile.uses_de60 {
                owned(b, 26, "12")?;
            }
        }
        if let Some(icc) = &card.icc {
            b.set(55, crate::message::FieldValue::binary_owned(icc.clone()))?;
        }
        Ok(())
    }

    fn amount(&self, b: &mut MessageBuilder<'static>, amount: u64) -> Result<(), EncodeError> {
        set_number::<12>(b, 4, amount)?;
        owned(b, 49, self.profile.currency.as_str())?;
        Ok(())
    }

    /// Purchase: card, amount and time are required.
    ///
    /// ```
    /// use iso8583_wire::flows::{Card, FlowContext, FlowProfile, LocalTime};
    /// use iso8583_wire::flows::journal::Stan;
    /// use iso8583_wire::{MessageView, Spec};
    /// let ctx = FlowContext {
    ///     spec: Spec::builtin("iso87-ascii-bin")?,
    ///     profile: FlowProfile::generic_1987(),
    ///     terminal_id: "TERM0001".into(),
    ///     merchant_id: "MERCHANT0000001".into(),
    ///     acquirer_id: Some("123456".into()),
    ///     header: None,
    /// };
    /// let now = LocalTime { month: 11, day: 22, hour: 9, minute: 30, second: 0 };
    /// let card = Card::keyed("4761739001010119", "2912");
    /// let wire = ctx.purchase(Stan::new(1).unwrap(), 1, &card, 2500, &now)?.encode_to_vec()?;
    /// let v = MessageView::decode(&ctx.spec, &wire)?;
    /// assert_eq!((v.mti().as_str(), v.str(3), v.str(4)), ("0200", Some("000000"), Some("000000002500")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn purchase(
        &self,
        stan: Stan,
        batch: u32,
        card: &Card,
        amount: u64,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let mut b = self.start(&self.profile.purchase, stan, batch)?;
        self.times(&mut b, now)?;
        self.card(&mut b, card)?;
        self.amount(&mut b, amount)?;
        Ok(b)
    }

    /// Pre-authorization: like a purchase, with the pre-auth codes.
    pub fn pre_auth(
        &self,
        stan: Stan,
        batch: u32,
        card: &Card,
        amount: u64,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let mut b = self.start(&self.profile.pre_auth, stan, batch)?;
        self.times(&mut b, now)?;
        self.card(&mut b, card)?;
        self.amount(&mut b, amount)?;
        Ok(b)
    }

    /// Copies what a follow-up (void, cancel, completion, refund) takes from its original:
    /// card number and expiry, entry mode, and the original's DE 37/38 from its response.
    fn follow_up(
        &self,
        codes: &FlowCodes,
        stan: Stan,
        batch: u32,
        original: &MessageView<'_>,
        response: &MessageView<'_>,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let code = required(response, 39)?;
        if !is_approval(&code) {
            return Err(FlowError::OriginalNotApproved { code });
        }
        let mut b = self.start(codes, stan, batch)?;
        self.times(&mut b, now)?;
        for n in [2, 14, 22, 23] {
            copy(&mut b, original, n)?;
        }
        pan_from_track2(&mut b, original)?;
        copy(&mut b, response, 37)?;
        Ok(b)
    }

    /// DE 90 for a follow-up of `original` (ISO 1987 style).
    fn de90(original: &MessageView<'_>) -> Result<String, FlowError> {
        let num = |n: u16| -> u64 { original.field(n).and_then(|f| f.to_u64()).unwrap_or(0) };
        let stan = original
            .field(11)
            .and_then(|f| f.to_u64())
            .ok_or(FlowError::MissingOriginalField { field: 11 })?;
        Ok(OriginalData {
            mti: original.mti(),
            stan: stan as u32,
            transmission: num(7),
            acquirer: num(32),
            forwarder: num(33),
        }
        .to_string())
    }

    /// UnionPay DE 61: original batch (60.2) + original trace (DE 11) [+ MMDD].
    fn de61(
        original: &MessageView<'_>,
        date: Option<String>,
    ) -> Result<Vec<(String, SubValue)>, FlowError> {
        let batch = original
            .subfield("60.2")
            .ok()
            .flatten()
            .map(|s| s.clear_string())
            .ok_or(FlowError::MissingOriginalField { field: 60 })?;
        let trace = required(original, 11)?;
        let mut parts = vec![
            ("1".to_string(), SubValue::from(batch)),
            ("2".to_string(), SubValue::from(trace)),
        ];
        if let Some(d) = date {
            parts.push(("3".to_string(), SubValue::from(d)));
        }
        Ok(parts)
    }

    /// Void of an approved purchase (or completion): the amount, DE 37, DE 38 and the original's
    /// identity (DE 61 on UnionPay, DE 90 otherwise) come from the original and its response.
    pub fn void(
        &self,
        stan: Stan,
        batch: u32,
        original: &MessageView<'_>,
        response: &MessageView<'_>,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        self.void_with(
            &self.profile.void.clone(),
            stan,
            batch,
            original,
            response,
            now,
        )
    }

    /// Void of an approved refund, where the profile allows it.
    pub fn void_refund(
        &self,
        stan: Stan,
        batch: u32,
        original: &MessageView<'_>,
        response: &MessageView<'_>,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let codes = self
            .profile
            .void_refund
            .clone()
            .ok_or_else(|| FlowError::NotAllowed {
                profile: self.profile.name.clone(),
                flow: "void of a refund",
            })?;
        self.void_with(&codes, stan, batch, original, response, now)
    }

    fn void_with(
        &self,
        codes: &FlowCodes,
        stan: Stan,
        batch: u32,
        original: &MessageView<'_>,
        response: &MessageView<'_>,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let mut b = self.follow_up(codes, stan, batch, original, response, now)?;
        copy_required(&mut b, original, 4)?;
        copy(&mut b, original, 49)?;
        copy(&mut b, response, 38)?;
        if self.profile.uses_de60 {
            b.set_subfields(61, &Self::de61(original, None)?)?;
        } else {
            owned(&mut b, 90, Self::de90(original)?)?;
        }
        Ok(b)
    }

    /// Refund of (part of) an approved purchase: the original's RRN (and on UnionPay its date
    /// and the card organisation) are copied; the amount is the caller's.
    pub fn refund(
        &self,
        stan: Stan,
        batch: u32,
        original: &MessageView<'_>,
        response: &MessageView<'_>,
        amount: u64,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let mut b = self.follow_up(&self.profile.refund, stan, batch, original, response, now)?;
        self.amount(&mut b, amount)?;
        if self.profile.uses_de60 {
            let date = original_date(original, response);
            let parts = vec![
                ("1".to_string(), SubValue::from("000000")),
                ("2".to_string(), SubValue::from("000000")),
                ("3".to_string(), SubValue::from(date)),
            ];
            b.set_subfields(61, &parts)?;
            let org = response
                .subfield("63.1")
                .ok()
                .flatten()
                .map(|s| s.clear_string())
                .unwrap_or_else(|| "CUP".into());
            b.set_path("63.1", &org)?;
        } else {
            owned(&mut b, 90, Self::de90(original)?)?;
        }
        Ok(b)
    }

    /// Cancel of an approved pre-authorization: amount, auth id (DE 38) and original identity
    /// are copied.
    pub fn pre_auth_cancel(
        &self,
        stan: Stan,
        batch: u32,
        original: &MessageView<'_>,
        response: &MessageView<'_>,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let mut b = self.follow_up(
            &self.profile.pre_auth_cancel,
            stan,
            batch,
            original,
            response,
            now,
        )?;
        copy_required(&mut b, original, 4)?;
        copy(&mut b, original, 49)?;
        copy_required(&mut b, response, 38)?;
        self.original_ref(&mut b, original, response)?;
        Ok(b)
    }

    /// Completion of an approved pre-authorization for `amount` (the journal checks it does
    /// not exceed the pre-authorized amount).
    pub fn completion(
        &self,
        stan: Stan,
        batch: u32,
        original: &MessageView<'_>,
        response: &MessageView<'_>,
        amount: u64,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let mut b = self.follow_up(
            &self.profile.completion,
            stan,
            batch,
            original,
            response,
            now,
        )?;
        self.amount(&mut b, amount)?;
        copy_required(&mut b, response, 38)?;
        self.original_ref(&mut b, original, response)?;
        Ok(b)
    }

    fn original_ref(
        &self,
        b: &mut MessageBuilder<'static>,
        original: &MessageView<'_>,
        response: &MessageView<'_>,
    ) -> Result<(), FlowError> {
        if self.profile.uses_de60 {
            let date = original_date(original, response);
            b.set_subfields(61, &Self::de61(original, Some(date))?)?;
        } else {
            owned(b, 90, Self::de90(original)?)?;
        }
        Ok(())
    }

    /// Reversal of a saved request (built from the request, never from a response, which may
    /// never have arrived). `repeat` selects the profile's repeat MTI; `auth_code` is added as
    /// DE 38 when the original's response carried one.
    pub fn reversal(
        &self,
        original: &MessageView<'_>,
        reason: ReversalReason,
        auth_code: Option<&str>,
        repeat: bool,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let mti = match (&self.profile.reversal_repeat_mti, repeat) {
            (Some(m), true) => m.clone(),
            _ => self.profile.reversal.mti.clone(),
        };
        let mut b = MessageBuilder::new(&self.spec);
        b.mti(&mti)?;
        if !original.header().is_empty() {
            b.header_owned(original.header().to_vec())?;
        }
        match self.profile.reversal_style {
            ReversalStyle::CupCopy => {
                const DROP: [u16; 7] = [26, 35, 36, 37, 52, 53, 64];
                for f in original.fields() {
                    if DROP.contains(&f.number()) {
                        continue;
                    }
                    set_clear(&mut b, f)?;
                }
                pan_from_track2(&mut b, original)?;
                owned(&mut b, 39, reason.code())?;
            }
            ReversalStyle::De90 => {
                now.check()?;
                for n in [2, 3, 4, 11, 12, 13, 14, 22, 25, 32, 41, 42, 49] {
                    copy(&mut b, original, n)?;
                }
                pan_from_track2(&mut b, original)?;
                owned(&mut b, 7, now.mmddhhmmss())?;
                owned(&mut b, 90, Self::de90(original)?)?;
            }
        }
        if let Some(code) = auth_code {
            owned(&mut b, 38, code)?;
        }
        Ok(b)
    }

    /// Sign-on (UnionPay: 60.3 = 003 asks for double-length keys).
    pub fn sign_on(
        &self,
        stan: Stan,
        batch: u32,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        self.network(&self.profile.sign_on.clone(), stan, batch, now)
    }

    /// Echo test.
    pub fn echo(
        &self,
        stan: Stan,
        batch: u32,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        self.network(&self.profile.echo.clone(), stan, batch, now)
    }

    fn network(
        &self,
        codes: &FlowCodes,
        stan: Stan,
        batch: u32,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let mut b = self.start(codes, stan, batch)?;
        if self.profile.uses_de60 {
            b.set_path("63.1", "001")?; // operator number
        } else {
            now.check()?;
            owned(&mut b, 7, now.mmddhhmmss())?;
            if let Some(code) = &codes.network_code {
                owned(&mut b, 70, code.as_str())?;
            }
            b.remove(42);
        }
        Ok(b)
    }

    /// Settlement with the journal's totals (UnionPay: DE 48; ISO 1987: DE 74/76/86/88).
    pub fn settlement(
        &self,
        stan: Stan,
        batch: u32,
        totals: &Totals,
        now: &LocalTime,
    ) -> Result<MessageBuilder<'static>, FlowError> {
        let mut b = self.start(&self.profile.settlement.clone(), stan, batch)?;
        if self.profile.uses_de60 {
            let parts = vec![
                (
                    "1".to_string(),
                    SubValue::from(format!("{:012}", totals.debit_amount)),
                ),
                (
                    "2".to_string(),
                    SubValue::from(format!("{:03}", totals.debit_count)),
                ),
                (
                    "3".to_string(),
                    SubValue::from(format!("{:012}", totals.credit_amount)),
                ),
                (
                    "4".to_string(),
                    SubValue::from(format!("{:03}", totals.credit_count)),
                ),
                ("5".to_string(), SubValue::from("0")),
            ];
            b.set_subfields(48, &parts)?;
            owned(&mut b, 49, self.profile.currency.as_str())?;
            b.set_path("63.1", "001")?;
        } else {
            now.check()?;
            owned(&mut b, 7, now.mmddhhmmss())?;
            owned(&mut b, 74, format!("{:010}", totals.credit_count))?;
            owned(&mut b, 76, format!("{:010}", totals.debit_count))?;
            owned(&mut b, 86, format!("{:016}", totals.credit_amount))?;
            owned(&mut b, 88, format!("{:016}", totals.debit_amount))?;
        }
        Ok(b)
    }
}

/// The MTI a response to `request` must carry.
pub fn response_mti(request: Mti) -> Option<Mti> {
    request.response()
}
