//! MACs on the POS flows (feature `crypto`): the terminal signs the requests its profile builds
//! and checks the host's responses; the host checks requests and answers `A0` on a bad MAC.
//!
//! A [`FlowMac`] is the configured MAC key (or HSM) of a link. It applies to the messages
//! whose spec has a `[mac]` section and whose MTI class carries a MAC: by default
//! authorization (1xx), financial (2xx) and reversal (4xx) messages, requests and responses,
//! as UnionPay POS does; sign-on, echo and settlement (8xx, 5xx) and batch upload (3xx) carry
//! none (a terminal has no MAC key before it signs on). [`FlowMac::with_classes`] changes
//! the set.
//!
//! A response that should carry a MAC and does not, or whose MAC does not verify, takes the
//! journal's MAC-failure path ([`Journal::on_mac_failure`](super::journal::Journal::on_mac_failure):
//! reversal due with reason `A0`, sign-on cancelled) through [`FlowMac::record_response`].
//!
//! ```
//! use iso8583_wire::flows::journal::Stan;
//! use iso8583_wire::flows::{Card, FlowContext, FlowMac, FlowProfile, LocalTime, response_to};
//! use iso8583_wire::framing::PosHeader;
//! use iso8583_wire::security::TdesKey;
//! use iso8583_wire::{MessageView, Spec};
//!
//! let ctx = FlowContext {
//!     spec: Spec::builtin("cup-pos")?, // [mac]: cup-ecb over the MTI up to DE 64
//!     profile: FlowProfile::cup_pos(),
//!     terminal_id: "TERM0001".into(),
//!     merchant_id: "123456789012345".into(),
//!     acquirer_id: None,
//!     header: PosHeader::parse(&[0x60, 0, 3, 0, 0, 0x60, 0x31, 0, 0x31, 0x01, 0x02]).ok(),
//! };
//! let mac = FlowMac::with_key(&ctx.spec, &TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210")?)?;
//! let now = LocalTime::new(11, 22, 9, 30, 0)?;
//! let card = Card::keyed("6222021234567890123", "2912");
//! let request = mac.seal(ctx.purchase(Stan::new(7).unwrap(), 1, &card, 2500, &now)?)?.encode_to_vec()?;
//! let request = MessageView::decode(&ctx.spec, &request)?;
//! assert_eq!(mac.host_check(&request), None); // the host accepts it
//!
//! // A response whose MAC does not verify: the journal takes the A0 path.
//! let response = response_to(&request, &ctx.profile, "00")?.encode_to_vec()?; // not signed
//! let response = MessageView::decode(&ctx.spec, &response)?;
//! assert!(mac.check(&response).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use crate::flows::journal::{FileJournal, Journal, JournalError, Stan, TxnState};
use crate::message::{MacScopeError, MessageBuilder, MessageView, Mti};
use crate::security::{
    Mac, MacAlgorithm, MacKey, SecurityError, SignMessage, SoftwareMac, VerifyMessage,
};
use crate::spec::Spec;

/// The MTI classes that carry a MAC by default: authorization, financial, reversal.
pub const DEFAULT_MAC_CLASSES: &[u8] = &[1, 2, 4];

/// A link's MAC (a key in memory, or an HSM behind [`Mac`]) and which messages carry one.
#[derive(Clone)]
pub struct FlowMac {
    mac: Arc<dyn Mac + Send + Sync>,
    classes: Vec<u8>,
}

/// The algorithm and classes only: never the key.
impl core::fmt::Debug for FlowMac {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FlowMac")
            .field("algorithm", &self.mac.algorithm().name())
            .field("classes", &self.classes)
            .finish_non_exhaustive()
    }
}

/// The algorithm of `spec`'s `[mac]` section.
fn algorithm(spec: &Spec) -> Result<MacAlgorithm, SecurityError> {
    spec.mac()
        .map(|m| m.algorithm())
        .ok_or(SecurityError::Scope(MacScopeError::NoMacSetting))
}

impl FlowMac {
    /// A flow MAC computed by `mac` (software or an HSM), for the default classes.
    pub fn new(mac: Arc<dyn Mac + Send + Sync>) -> Self {
        Self {
            mac,
            classes: DEFAULT_MAC_CLASSES.to_vec(),
        }
    }

    /// A flow MAC with `key` and the algorithm of `spec`'s `[mac]` section.
    pub fn with_key(spec: &Spec, key: impl Into<MacKey>) -> Result<Self, SecurityError> {
        let mac = SoftwareMac::with_key(algorithm(spec)?, key.into())?;
        Ok(Self::new(Arc::new(mac)))
    }

    /// A flow MAC with a key given in hex (DES/TDES or AES, as the spec's algorithm needs).
    pub fn from_hex(spec: &Spec, key: &str) -> Result<Self, SecurityError> {
        let mac = SoftwareMac::from_hex(algorithm(spec)?, key)?;
        Ok(Self::new(Arc::new(mac)))
    }

    /// The MTI classes (the MTI's second digit) whose messages carry a MAC.
    pub fn with_classes(mut self, classes: &[u8]) -> Self {
        self.classes = classes.to_vec();
        self
    }

    /// Whether a message of `mti` in `spec` carries a MAC.
    pub fn covers(&self, spec: &Spec, mti: Mti) -> bool {
        spec.mac().is_some() && self.classes.contains(&mti.class())
    }

    /// Signs a request (or response) the flows built, when its class carries a MAC; returns
    /// it unchanged otherwise. Set every field first: the MAC covers what is there.
    pub fn seal<'a>(
        &self,
        mut message: MessageBuilder<'a>,
    ) -> Result<MessageBuilder<'a>, SecurityError> {
        if let Some(mti) = message.get_mti()
            && self.covers(message.spec(), mti)
        {
            message.sign_with(self.mac.as_ref())?;
        }
        Ok(message)
    }

    /// Checks a received message's MAC when its class carries one (a missing MAC there is a
    /// failure); messages of other classes pass.
    pub fn check(&self, message: &MessageView<'_>) -> Result<(), SecurityError> {
        if self.covers(message.spec(), message.mti()) {
            message.verify_mac_with(self.mac.as_ref())
        } else {
            Ok(())
        }
    }

    /// The host's side: `Some("A0")`, the response code for a MAC that does not verify, when
    /// `request` fails [`FlowMac::check`]; `None` when it passes.
    pub fn host_check(&self, request: &MessageView<'_>) -> Option<&'static str> {
        self.check(request).err().map(|_| "A0")
    }

    /// The terminal's side: records `response` to `stan` in the journal, through the MAC
    /// failure path when [`FlowMac::check`] fails (reversal due with reason `A0`, sign-on
    /// cancelled), else as the response message (the journal checks it against its request).
    pub fn record_response(
        &self,
        journal: &mut impl RecordsResponses,
        stan: Stan,
        response: &MessageView<'_>,
    ) -> Result<TxnState, JournalError> {
        if self.check(response).is_err() {
            return journal.mac_failure(stan);
        }
        journal.response_message(stan, response.as_bytes())
    }
}

/// A journal that records responses and MAC failures: [`Journal`] and [`FileJournal`].
pub trait RecordsResponses {
    /// See [`Journal::on_response_message`].
    fn response_message(&mut self, stan: Stan, response: &[u8]) -> Result<TxnState, JournalError>;

    /// See [`Journal::on_mac_failure`].
    fn mac_failure(&mut self, stan: Stan) -> Result<TxnState, JournalError>;
}

/// Both journals, by the methods of the same names.
macro_rules! records_responses {
    ($($ty:ty),*) => {$(
        impl RecordsResponses for $ty {
            fn response_message(
                &mut self,
                stan: Stan,
                response: &[u8],
            ) -> Result<TxnState, JournalError> {
                self.on_response_message(stan, response)
            }

            fn mac_failure(&mut self, stan: Stan) -> Result<TxnState, JournalError> {
                self.on_mac_failure(stan)
            }
        }
    )*};
}

records_responses!(Journal, FileJournal);
