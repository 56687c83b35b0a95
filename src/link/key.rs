//! Matching keys: which response answers which request.
//!
//! A key is the response MTI followed by the clear text of chosen fields (read through the
//! typed getters, so a BCD host and an ASCII host give the same key for the same values) and,
//! where the dialect wants it, the header. The default rule is DE 41 (terminal) + DE 11 (STAN);
//! a rule can be set per message class (the MTI's second digit).

use std::collections::HashMap;

use crate::message::{Message, Mti};

/// How the header takes part in the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HeaderKey {
    /// The header is not part of the key.
    #[default]
    None,
    /// The header bytes as they are (a header the peer echoes unchanged).
    Raw,
    /// A 5-byte TPDU (id, destination, source) whose addresses the peer swaps in its reply:
    /// the request's key uses the swapped form, the response's the received one.
    TpduSwapped,
}

/// The fields (and header use) that make up one class's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRule {
    /// Data elements, in key order; an absent field adds an empty component.
    pub fields: Vec<u16>,
    /// Header participation.
    pub header: HeaderKey,
}

impl Default for KeyRule {
    /// DE 41 + DE 11, no header.
    fn default() -> Self {
        KeyRule {
            fields: vec![41, 11],
            header: HeaderKey::None,
        }
    }
}

/// Key rules: a default and overrides per message class (MTI second digit, e.g. 8 for network
/// management).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRules {
    /// The rule for classes without an override.
    pub default: KeyRule,
    /// Overrides by class.
    pub by_class: HashMap<u8, KeyRule>,
}

/// A matching key (bytes of MTI, fields and header).
///
/// `Debug` shows only the key's length: a rule may name a card-data field (DE 2, say).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MatchKey(Vec<u8>);

impl core::fmt::Debug for MatchKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "MatchKey(<{} bytes>)", self.0.len())
    }
}

impl MatchKey {
    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key without its MTI (fields and header), to match a reject whose MTI differs.
    pub fn without_mti(&self) -> &[u8] {
        self.0.get(4..).unwrap_or(&[])
    }
}

impl KeyRules {
    /// The rule for `mti`'s class.
    pub fn rule(&self, mti: Mti) -> &KeyRule {
        self.by_class.get(&mti.class()).unwrap_or(&self.default)
    }

    /// The key a request's response will carry, or `None` when `request` has no response MTI.
    pub fn request_key(&self, request: &Message) -> Option<MatchKey> {
        let response = request.mti().response()?;
        Some(self.build(request, response, true))
    }

    /// The key of a received response (its own MTI).
    pub fn response_key(&self, response: &Message) -> MatchKey {
        self.build(response, response.mti(), false)
    }

    /// The key of a reject, built with `as_mti`'s rule (the reject names the rejected request by
    /// its fields); compare with [`MatchKey::without_mti`].
    pub fn reject_fields(&self, reject: &Message, as_mti: Mti) -> MatchKey {
        self.build(reject, as_mti, false)
    }

    fn build(&self, msg: &Message, mti: Mti, swap: bool) -> MatchKey {
        let rule = self.rule(mti);
        let mut key = Vec::with_capacity(32);
        key.extend_from_slice(&mti.digits());
        for &n in &rule.fields {
            // The value's characters, not its wire bytes: equal keys on ASCII, BCD and
            // EBCDIC hosts, whatever the value's length.
            if let Some(f) = msg.field(n) {
                key.extend(f.chars());
            }
            key.push(0x1F);
        }
        let header = msg.view().header();
        match rule.header {
            HeaderKey::None => {}
            HeaderKey::Raw => key.extend_from_slice(header),
            HeaderKey::TpduSwapped => match header.get(..5) {
                Some([id, d0, d1, s0, s1]) if swap => {
                    key.extend_from_slice(&[*id, *s0, *s1, *d0, *d1])
                }
                Some(t) => key.extend_from_slice(t),
                None => key.extend_from_slice(header),
            },
        }
        MatchKey(key)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{MessageBuilder, Spec};
    use bytes::Bytes;

    fn msg(spec: &str, mti: &str, stan: &str) -> Message {
        let spec = Spec::builtin(spec).unwrap();
        let mut b = MessageBuilder::new(&spec);
        b.mti(mti)
            .unwrap()
            .set(11, stan)
            .unwrap()
            .set(41, "TERM0001")
            .unwrap();
        b.set(3, "000000").unwrap();
        Message::decode(&spec, Bytes::from(b.encode_to_vec().unwrap())).unwrap()
    }

    #[test]
    fn bcd_and_ascii_give_the_same_key() {
        let rules = KeyRules::default();
        let a = rules
            .request_key(&msg("iso87-ascii-bin", "0200", "000123"))
            .unwrap();
        let b = rules
            .request_key(&msg("iso87-bcd", "0200", "000123"))
            .unwrap();
        assert_eq!(a, b);
        let resp = rules.response_key(&msg("iso87-bcd", "0210", "000123"));
        assert_eq!(a, resp);
        let other = rules.response_key(&msg("iso87-bcd", "0210", "000124"));
        assert_ne!(a, other);
        assert!(
            rules
                .request_key(&msg("iso87-bcd", "0210", "000123"))
                .is_none()
        );
    }

    #[test]
    fn class_override_changes_the_fields() {
        let mut rules = KeyRules::default();
        rules.by_class.insert(
            2,
            KeyRule {
                fields: vec![11],
                header: HeaderKey::None,
            },
        );
        let k = rules
            .request_key(&msg("iso87-ascii-bin", "0200", "000007"))
            .unwrap();
        assert_eq!(k.as_bytes(), b"0210000007\x1F");
        let n = rules
            .request_key(&msg("iso87-ascii-bin", "0800", "000007"))
            .unwrap();
        assert_eq!(n.as_bytes(), b"0810TERM0001\x1F000007\x1F");
    }

    #[test]
    fn debug_of_a_key_shows_its_length_not_its_bytes() {
        let key = MatchKey(b"0210TERM0001\x1F4761739001010119\x1F".to_vec());
        let shown = format!("{key:?}");
        assert_eq!(shown, format!("MatchKey(<{} bytes>)", key.as_bytes().len()));
        assert!(!shown.contains("4761739001010119"));
    }
}
