//! The message type indicator: version, class, function and origin digits.

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt;

/// A four-digit message type indicator, such as `0200`.
///
/// Unknown values round-trip unchanged; known ones are named by [`Mti::meaning`].
///
/// ```
/// use iso8583_wire::Mti;
/// let mti: Mti = "0200".parse().unwrap();
/// assert_eq!(mti, Mti::FINANCIAL_REQUEST);
/// assert_eq!(mti.response(), Some(Mti::FINANCIAL_RESPONSE));
/// assert_eq!(Mti::REVERSAL_REQUEST.repeat(), Some(Mti::REVERSAL_REPEAT));
/// assert_eq!(mti.meaning(), "financial request");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mti([u8; 4]);

macro_rules! mtis {
    ($($name:ident = $s:literal, $txt:literal, $meaning:literal;)*) => {
        impl Mti {
            $(
                #[doc = concat!("`", $txt, "`: ", $meaning, ".")]
                pub const $name: Mti = Mti(*$s);
            )*

            /// What the MTI means, for known values (else `"unknown"`).
            pub fn meaning(&self) -> &'static str {
                match &self.0 {
                    $($s => $meaning,)*
                    _ => "unknown",
                }
            }
        }
    };
}

mtis! {
    AUTH_REQUEST = b"0100", "0100", "authorization request";
    AUTH_RESPONSE = b"0110", "0110", "authorization response";
    AUTH_ADVICE = b"0120", "0120", "authorization advice";
    AUTH_ADVICE_RESPONSE = b"0130", "0130", "authorization advice response";
    FINANCIAL_REQUEST = b"0200", "0200", "financial request";
    FINANCIAL_RESPONSE = b"0210", "0210", "financial response";
    FINANCIAL_ADVICE = b"0220", "0220", "financial advice";
    FINANCIAL_ADVICE_REPEAT = b"0221", "0221", "financial advice repeat";
    FINANCIAL_ADVICE_RESPONSE = b"0230", "0230", "financial advice response";
    FILE_ACTION_ADVICE = b"0320", "0320", "file action advice (batch upload)";
    FILE_ACTION_ADVICE_RESPONSE = b"0330", "0330", "file action advice response";
    REVERSAL_REQUEST = b"0400", "0400", "reversal request";
    REVERSAL_REPEAT = b"0401", "0401", "reversal request repeat";
    REVERSAL_RESPONSE = b"0410", "0410", "reversal response";
    REVERSAL_ADVICE = b"0420", "0420", "reversal advice";
    REVERSAL_ADVICE_REPEAT = b"0421", "0421", "reversal advice repeat";
    REVERSAL_ADVICE_RESPONSE = b"0430", "0430", "reversal advice response";
    RECONCILIATION_REQUEST = b"0500", "0500", "reconciliation (settlement) request";
    RECONCILIATION_RESPONSE = b"0510", "0510", "reconciliation (settlement) response";
    NETWORK_REQUEST = b"0800", "0800", "network management request";
    NETWORK_RESPONSE = b"0810", "0810", "network management response";
    NETWORK_ADVICE = b"0820", "0820", "network management advice";
    NETWORK_ADVICE_RESPONSE = b"0830", "0830", "network management advice response";
}

/// The input is not four decimal digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an MTI is four decimal digits")]
pub struct BadMti;

impl Mti {
    /// Builds an MTI from four ASCII digits.
    #[inline]
    pub fn from_digits(d: [u8; 4]) -> Result<Mti, BadMti> {
        if d.iter().all(u8::is_ascii_digit) {
            Ok(Mti(d))
        } else {
            Err(BadMti)
        }
    }

    /// The four ASCII digits.
    pub fn digits(&self) -> [u8; 4] {
        self.0
    }

    /// The MTI as a `&str`.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("????")
    }

    fn digit(&self, i: usize) -> u8 {
        self.0.get(i).map_or(0, |d| d - b'0')
    }

    /// Version digit: 0 = 1987, 1 = 1993, 2 = 2003.
    pub fn version(&self) -> u8 {
        self.digit(0)
    }
    /// Class digit: 1 authorization, 2 financial, 3 file action, 4 reversal, 5 reconciliation, 8 network.
    pub fn class(&self) -> u8 {
        self.digit(1)
    }
    /// Function digit: 0 request, 1 response, 2 advice, 3 advice response, 4 notification.
    pub fn function(&self) -> u8 {
        self.digit(2)
    }
    /// Origin digit: 0 acquirer, 1 acquirer repeat, 2 issuer, 3 issuer repeat.
    pub fn origin(&self) -> u8 {
        self.digit(3)
    }

    /// Whether this is a request or advice (function digit even).
    pub fn is_request(&self) -> bool {
        self.function().is_multiple_of(2)
    }

    /// The response to this request or advice (function + 1, origin repeat cleared), if any.
    pub fn response(&self) -> Option<Mti> {
        if !self.is_request() || self.function() > 2 {
            return None;
        }
        let mut d = self.0;
        d[2] += 1;
        d[3] = b'0' + (self.origin() & !1);
        Some(Mti(d))
    }

    /// The repeat of this request or advice (origin 0 -> 1, 2 -> 3), if it is not one already.
    pub fn repeat(&self) -> Option<Mti> {
        if !self.is_request() || self.origin() % 2 == 1 {
            return None;
        }
        let mut d = self.0;
        d[3] += 1;
        Some(Mti(d))
    }
}

impl core::str::FromStr for Mti {
    type Err = BadMti;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let d: [u8; 4] = s.as_bytes().try_into().map_err(|_| BadMti)?;
        Mti::from_digits(d)
    }
}

impl fmt::Display for Mti {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Mti {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mti({} {})", self.as_str(), self.meaning())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_and_repeats_follow_the_digit_rules() {
        let m = |s: &str| s.parse::<Mti>().unwrap();
        assert_eq!(m("0100").response(), Some(m("0110")));
        assert_eq!(m("0421").response(), Some(m("0430")));
        assert_eq!(m("0220").repeat(), Some(m("0221")));
        assert_eq!(m("0210").response(), None);
        assert_eq!(m("0401").repeat(), None);
        assert_eq!("02a0".parse::<Mti>(), Err(BadMti));
        assert_eq!("020".parse::<Mti>(), Err(BadMti));
        assert_eq!(
            format!("{:?}", m("0800")),
            "Mti(0800 network management request)"
        );
    }
}
