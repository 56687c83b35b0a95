//! Responses: the host builds one from a request; the terminal checks one against its request.

use crate::framing::PosHeader;
use crate::message::{MessageBuilder, MessageView, Mti};

use super::build::FlowError;
use super::profile::FlowProfile;

/// Builds the response to `request`: MTI + 10, the profile's echoed fields, DE 39 = `code`,
/// and for specs with a POS header the header with the TPDU swapped. The host adds DE 37/38
/// and anything else it returns.
///
/// ```
/// use iso8583_wire::flows::{FlowProfile, response_to};
/// use iso8583_wire::{MessageBuilder, MessageView, Spec};
/// let spec = Spec::builtin("iso87-ascii-bin")?;
/// let mut req = MessageBuilder::new(&spec);
/// req.mti("0200")?.set(3, "000000")?.set(4, "000000001000")?.set(11, "000007")?.set(41, "TERM0001")?;
/// let wire = req.encode_to_vec()?;
/// let request = MessageView::decode(&spec, &wire)?;
/// let rsp = response_to(&request, &FlowProfile::generic_1987(), "00")?.encode_to_vec()?;
/// let rsp = MessageView::decode(&spec, &rsp)?;
/// assert_eq!((rsp.mti().as_str(), rsp.str(39), rsp.str(11)), ("0210", Some("00"), Some("000007")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn response_to(
    request: &MessageView<'_>,
    profile: &FlowProfile,
    code: &str,
) -> Result<MessageBuilder<'static>, FlowError> {
    let spec = request.spec();
    let mut b = MessageBuilder::new(spec);
    let mti = request.mti().response().unwrap_or(request.mti());
    b.set_mti(mti);
    if spec.header_len() == PosHeader::LEN {
        if let Ok(h) = PosHeader::parse(request.header()) {
            b.header_owned(h.reply().to_bytes().to_vec())?;
        }
    } else if !request.header().is_empty() {
        b.header_owned(request.header().to_vec())?;
    }
    for &n in &profile.response_echo {
        if let Some(f) = request.field(n) {
            b.set(n, f.clear_string())?;
        }
    }
    // Network management and settlement echo their own codes too.
    for n in [70u16, 48] {
        let wanted = n == 70 || mti.class() == 5;
        if let (Some(f), false, true) =
            (request.field(n), profile.response_echo.contains(&n), wanted)
        {
            b.set(n, f.clear_string())?;
        }
    }
    if spec.field(39).is_some() {
        b.set(39, code.to_owned())?;
    }
    Ok(b)
}

/// How a response fails to answer its request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseMismatch {
    /// The MTI is not the request's response MTI.
    #[error("response MTI {got} does not answer request MTI {request}")]
    Mti {
        /// Request MTI.
        request: Mti,
        /// Response MTI.
        got: Mti,
    },
    /// A field that must be echoed differs or is missing.
    #[error("response field {field} does not echo the request")]
    Field {
        /// The field.
        field: u16,
    },
    /// The response has no DE 39.
    #[error("response has no response code (DE 39)")]
    NoResponseCode,
}

/// Checks that `response` answers `request`: the MTI, and each of the profile's check fields
/// (STAN, terminal, processing code, amount) present in the request is echoed unchanged.
pub fn check_response(
    request: &MessageView<'_>,
    response: &MessageView<'_>,
    profile: &FlowProfile,
) -> Result<(), ResponseMismatch> {
    if request.mti().response() != Some(response.mti()) {
        return Err(ResponseMismatch::Mti {
            request: request.mti(),
            got: response.mti(),
        });
    }
    for &n in &profile.response_checks {
        let Some(want) = request.field(n) else {
            continue;
        };
        // The amount may be absent from a decline; when present it must match.
        let got = response.field(n);
        let same = got.is_some_and(|g| g.chars().eq(want.chars()));
        if !(same || n == 4 && got.is_none()) {
            return Err(ResponseMismatch::Field { field: n });
        }
    }
    if !response.has(39) {
        return Err(ResponseMismatch::NoResponseCode);
    }
    Ok(())
}
