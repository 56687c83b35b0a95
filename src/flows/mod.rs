//! POS transaction flows done right: typed request builders, flow profiles, responses, the
//! terminal journal that keeps them safe, and the host-side matcher.
//!
//! - [`FlowContext`] builds purchase, void, refund, reversal, pre-auth, pre-auth cancel,
//!   completion, sign-on, echo and settlement requests for a [`FlowProfile`].
//! - [`response_to`] and [`check_response`] pair requests and responses.
//! - [`journal`] enforces the rules (no double reversal, no refund above the original, no
//!   void after settlement) and survives crashes; [`host`] matches on the acquirer side.

mod build;
pub mod host;
pub mod journal;
#[cfg(feature = "crypto")]
mod mac;
mod profile;
mod response;
mod simulator;

pub use build::{Card, FlowContext, FlowError, LocalTime, response_mti};
#[cfg(feature = "crypto")]
pub use mac::{DEFAULT_MAC_CLASSES, FlowMac, RecordsResponses};
pub use profile::{FlowCodes, FlowProfile, PROFILE_NAMES, ReversalStyle};
pub use response::{ResponseMismatch, check_response, response_to};
pub use simulator::{HostSimulator, key_profile};
