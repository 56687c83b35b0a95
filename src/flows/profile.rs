//! Flow profiles: the codes a network uses for each POS flow, as data a user can override.
//!
//! Two are built in (the table of flows is in the `flows` module docs): `generic-1987` (ISO 8583:1987 / jPOS
//! conventions: void 0200/02, refund 0200/20, reversal 0400 with DE 90) and `cup-pos` (UnionPay
//! terminals: void 0200/20 with 60.1 = 23 and DE 61, refund 0220/20 with 60.1 = 25, reversal
//! 0400 with DE 39 reason, pre-auth 0100/03, settlement 0500 with DE 48 totals). A profile is
//! a serde value, so a host's variant can be loaded from TOML or JSON and built-ins tweaked.

use serde::{Deserialize, Serialize};

use crate::flows::journal::JournalPolicy;

/// MTI and codes of one flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowCodes {
    /// Request MTI.
    pub mti: String,
    /// DE 3, when the flow carries one.
    #[serde(default)]
    pub processing_code: Option<String>,
    /// DE 25 POS condition code, when the flow carries one.
    #[serde(default)]
    pub condition_code: Option<String>,
    /// 60.1 transaction type code (UnionPay), when the profile uses DE 60.
    #[serde(default)]
    pub type_code: Option<String>,
    /// 60.3 or DE 70 network management code (sign-on, echo, settlement).
    #[serde(default)]
    pub network_code: Option<String>,
}

impl FlowCodes {
    fn new(mti: &str, pc: Option<&str>, cond: Option<&str>, ty: Option<&str>) -> Self {
        Self {
            mti: mti.into(),
            processing_code: pc.map(Into::into),
            condition_code: cond.map(Into::into),
            type_code: ty.map(Into::into),
            network_code: None,
        }
    }

    fn network(mut self, code: &str) -> Self {
        self.network_code = Some(code.into());
        self
    }
}

/// How a reversal is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ReversalStyle {
    /// ISO 1987: key fields echoed, DE 90 built from the original request.
    De90,
    /// UnionPay: the original request with MTI 0400, DE 39 = reason, card-reading and PIN
    /// fields removed, DE 61 kept.
    CupCopy,
}

/// Everything a network's flows need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowProfile {
    /// Profile name.
    pub name: String,
    /// Purchase.
    pub purchase: FlowCodes,
    /// Void of a purchase.
    pub void: FlowCodes,
    /// Refund.
    pub refund: FlowCodes,
    /// Void of a refund, where allowed.
    #[serde(default)]
    pub void_refund: Option<FlowCodes>,
    /// Pre-authorization.
    pub pre_auth: FlowCodes,
    /// Pre-authorization cancel.
    pub pre_auth_cancel: FlowCodes,
    /// Completion of a pre-authorization.
    pub completion: FlowCodes,
    /// Reversal request.
    pub reversal: FlowCodes,
    /// MTI of a repeated reversal (`0401`), or `None` to resend the same MTI.
    #[serde(default)]
    pub reversal_repeat_mti: Option<String>,
    /// How reversals are built.
    pub reversal_style: ReversalStyle,
    /// Sign-on.
    pub sign_on: FlowCodes,
    /// Echo test.
    pub echo: FlowCodes,
    /// Settlement.
    pub settlement: FlowCodes,
    /// Batch upload.
    pub batch_upload: FlowCodes,
    /// Fields a response echoes from its request.
    pub response_echo: Vec<u16>,
    /// Fields a terminal checks in a response against its request (besides the MTI).
    pub response_checks: Vec<u16>,
    /// Fields the host matcher keys on (`"41"`, `"11"`, `"60.2"`, ...).
    pub match_key: Vec<String>,
    /// Whether requests carry DE 60 (type code, batch, network code) and DE 61.
    pub uses_de60: bool,
    /// DE 49 currency code.
    pub currency: String,
    /// Journal rules that go with the profile.
    pub journal: JournalPolicy,
}

/// Names of the built-in profiles.
pub const PROFILE_NAMES: &[&str] = &["generic-1987", "cup-pos"];

impl FlowProfile {
    /// A built-in profile by name.
    pub fn builtin(name: &str) -> Option<FlowProfile> {
        match name {
            "generic-1987" => Some(Self::generic_1987()),
            "cup-pos" => Some(Self::cup_pos()),
            _ => None,
        }
    }

    /// ISO 8583:1987 with jPOS conventions.
    pub fn generic_1987() -> FlowProfile {
        let c = FlowCodes::new;
        FlowProfile {
            name: "generic-1987".into(),
            purchase: c("0200", Some("000000"), Some("00"), None),
            void: c("0200", Some("020000"), Some("00"), None),
            refund: c("0200", Some("200000"), Some("00"), None),
            void_refund: Some(c("0200", Some("220000"), Some("00"), None)),
            pre_auth: c("0100", Some("000000"), Some("00"), None),
            pre_auth_cancel: c("0100", Some("020000"), Some("00"), None),
            completion: c("0220", Some("000000"), Some("00"), None),
            reversal: c("0400", None, None, None),
            reversal_repeat_mti: Some("0401".into()),
            reversal_style: ReversalStyle::De90,
            sign_on: c("0800", None, None, None).network("001"),
            echo: c("0800", None, None, None).network("301"),
            settlement: c("0500", Some("920000"), None, None),
            batch_upload: c("0320", None, None, None),
            response_echo: vec![2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49, 90],
            response_checks: vec![3, 4, 11, 41],
            match_key: vec!["41".into(), "11".into()],
            uses_de60: false,
            currency: "840".into(),
            journal: JournalPolicy::generic_1987(),
        }
    }

    /// UnionPay-style POS terminals.
    pub fn cup_pos() -> FlowProfile {
        let c = FlowCodes::new;
        FlowProfile {
            name: "cup-pos".into(),
            purchase: c("0200", Some("000000"), Some("00"), Some("22")),
            void: c("0200", Some("200000"), Some("00"), Some("23")),
            refund: c("0220", Some("200000"), Some("00"), Some("25")),
            void_refund: None,
            pre_auth: c("0100", Some("030000"), Some("06"), Some("10")),
            pre_auth_cancel: c("0100", Some("200000"), Some("06"), Some("11")),
            completion: c("0200", Some("000000"), Some("06"), Some("20")),
            reversal: c("0400", None, None, None),
            reversal_repeat_mti: None,
            reversal_style: ReversalStyle::CupCopy,
            sign_on: c("0800", None, None, Some("00")).network("003"),
            echo: c("0820", None, None, Some("00")).network("301"),
            settlement: c("0500", None, None, Some("00")).network("201"),
            batch_upload: c("0320", None, None, Some("00")).network("201"),
            response_echo: vec![2, 3, 4, 11, 14, 22, 25, 41, 42, 49, 60, 61],
            response_checks: vec![3, 11, 41],
            match_key: vec!["41".into(), "42".into(), "60.2".into(), "11".into()],
            uses_de60: true,
            currency: "156".into(),
            journal: JournalPolicy::cup_pos(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_follow_the_reference_table() {
        let g = FlowProfile::generic_1987();
        assert_eq!(
            (g.void.mti.as_str(), g.void.processing_code.as_deref()),
            ("0200", Some("020000"))
        );
        assert_eq!(g.refund.processing_code.as_deref(), Some("200000"));
        assert_eq!(
            g.void_refund
                .as_ref()
                .and_then(|v| v.processing_code.as_deref()),
            Some("220000")
        );
        let c = FlowProfile::cup_pos();
        assert_eq!(
            (c.void.type_code.as_deref(), c.refund.mti.as_str()),
            (Some("23"), "0220")
        );
        assert_eq!(c.pre_auth.processing_code.as_deref(), Some("030000"));
        assert!(c.void_refund.is_none());
        // A profile is data: it survives a serde round trip and can be overridden.
        let json = serde_json::to_string(&c).unwrap();
        let mut back: FlowProfile = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        back.currency = "344".into();
        assert_ne!(back, c);
        assert_eq!(FlowProfile::builtin("nope"), None);
    }
}
