//! Card numbers sealed under the journal key, and the original messages the
//! journal hands back for follow-ups.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A PAN encrypted and authenticated under a [`JournalKey`](crate::flows::journal::JournalKey)
/// version, bound to its record's terminal, batch and STAN. This is the only
/// form in which the journal holds a card number, in memory and on disk.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedPan {
    /// The key version that sealed it.
    pub(crate) key_version: u32,
    /// What the key's `seal` returned.
    #[serde(with = "crate::flows::journal::hex")]
    pub(crate) sealed: Vec<u8>,
}

impl SealedPan {
    /// The key version that sealed this PAN.
    pub fn key_version(&self) -> u32 {
        self.key_version
    }
}

/// Masked: shows the key version only.
impl core::fmt::Debug for SealedPan {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SealedPan")
            .field("key_version", &self.key_version)
            .finish_non_exhaustive()
    }
}

/// A journaled transaction's messages, as the flow builders take them: the
/// request with its PAN put back (tracks, PIN block, ICC data and other card
/// data were never kept) and, when it was recorded with
/// [`Journal::on_response_message`](crate::flows::journal::Journal::on_response_message),
/// the response without card data.
///
/// The request bytes are zeroized on drop; `Debug` shows only lengths.
pub struct OriginalMessages {
    pub(crate) request: Zeroizing<Vec<u8>>,
    pub(crate) response: Option<Vec<u8>>,
}

impl OriginalMessages {
    /// The original request, PAN included: decode it with the journal's spec
    /// and give it to `FlowContext::reversal`, `void`, `refund`, ...
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// The original response, if the journal recorded it.
    pub fn response(&self) -> Option<&[u8]> {
        self.response.as_deref()
    }
}

/// Masked: the messages show as their lengths only.
impl core::fmt::Debug for OriginalMessages {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OriginalMessages")
            .field(
                "request",
                &crate::flows::journal::Redacted(self.request.len()),
            )
            .field(
                "response",
                &crate::flows::journal::Redacted::of(self.response.as_ref()),
            )
            .finish()
    }
}
