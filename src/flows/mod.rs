//! POS transaction flows done right: typed request builders, flow profiles, responses, the
//! terminal journal that keeps them safe, and the host-side matcher.
//!
//! - [`FlowContext`] builds purchase, void, refund, reversal, pre-auth, pre-auth cancel,
//!   completion, sign-on, echo and settlement requests for a [`FlowProfile`].
//! - [`response_to`] and [`check_response`] pair requests and responses.
//! - [`journal`] enforces the rules (no double reversal, no refund above the original, no
//!   void after settlement) and survives crashes; [`host`] matches on the acquirer side.
//!
//! # Flows and their codes
//!
//! An ISO 8583:1987 MTI reads `V C F O`: version (0 = 1987), class (1 authorization,
//! 2 financial, 3 file action, 4 reversal, 5 reconciliation, 8 network management), function
//! (0 request, 1 response, 2 advice, 3 advice response) and origin (0 acquirer, 1 acquirer
//! repeat). A response is its request plus 10 (0200 → 0210); a repeat is plus 1 (0400 → 0401).
//!
//! The two built-in [`FlowProfile`]s send these (MTI / DE 3, and for UnionPay also DE 25, the
//! POS condition code, and 60.1, the transaction type code; for network management the
//! network code, DE 70 or 60.3):
//!
//! | flow | `generic-1987` | `cup-pos` |
//! |---|---|---|
//! | purchase | 0200 / 000000 | 0200 / 000000 / 00 / 22 |
//! | void | 0200 / 020000 | 0200 / 200000 / 00 / 23 |
//! | refund | 0200 / 200000 | 0220 / 200000 / 00 / 25 |
//! | void of refund | 0200 / 220000 | not allowed |
//! | pre-auth | 0100 / 000000 | 0100 / 030000 / 06 / 10 |
//! | pre-auth cancel | 0100 / 020000 | 0100 / 200000 / 06 / 11 |
//! | completion | 0220 / 000000 | 0200 / 000000 / 06 / 20 |
//! | reversal | 0400, repeated as 0401, with DE 90 | 0400, resent as 0400, a copy of the original |
//! | sign-on | 0800, network 001 | 0800, network 003 |
//! | echo | 0800, network 301 | 0820, network 301 |
//! | settlement | 0500 / 920000 | 0500, network 201, DE 48 totals |
//! | batch upload | 0320 | 0320, network 201 |
//!
//! What a follow-up copies from its original: a void the amount, DE 37 (RRN) and DE 38 (auth
//! code), and on UnionPay DE 61 (original batch and trace); a refund the original's RRN (and on
//! UnionPay its date in DE 61); a pre-auth cancel or completion the auth code and date. A
//! reversal repeats the original's STAN, amount, terminal and merchant: the generic one adds
//! DE 90 (original MTI, STAN, transmission time and acquirer, built from the saved *request*,
//! since the response may never have come); the UnionPay one is the original request with MTI
//! 0400, the reason in DE 39, any auth code in DE 38, and the card data (tracks, PIN block) left
//! out. Hosts differ: every code here is a profile value a user can override.

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
