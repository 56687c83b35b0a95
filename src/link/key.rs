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

/// The hasher of the link's key maps: 64-bit multiply-rotate over 8-byte words with a random
/// per-map seed (SipHash's strength is not needed for keys this short and a seed the peer
/// cannot know; it costs several times more per request).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyHasher {
    seed: u64,
}

impl KeyHasher {
    pub(crate) fn new() -> KeyHasher {
        use std::hash::{BuildHasher, Hasher};
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        KeyHasher { seed: seed | 1 }
    }
}

/// [`KeyHasher`]'s state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyHash(u64);

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl std::hash::Hasher for KeyHash {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            h = (h ^ u64::from_le_bytes(w) ^ (rest.len() as u64) << 59)
                .wrapping_mul(K)
                .rotate_left(29);
        }
        self.0 = h;
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(K);
    }

    fn finish(&self) -> u64 {
        let h = self.0;
        (h ^ (h >> 32)).wrapping_mul(K) ^ (h >> 29)
    }
}

impl std::hash::BuildHasher for KeyHasher {
    type Hasher = KeyHash;
    fn build_hasher(&self) -> KeyHash {
        KeyHash(self.seed)
    }
}

/// Keys up to this many bytes are stored inline (no allocation per request).
const INLINE: usize = 46;

/// A matching key (bytes of MTI, fields and header).
///
/// `Debug` shows only the key's length: a rule may name a card-data field (DE 2, say).
#[derive(Clone)]
pub struct MatchKey(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl PartialEq for MatchKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for MatchKey {}

impl core::hash::Hash for MatchKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        state.write(self.as_bytes());
    }
}

impl core::fmt::Debug for MatchKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "MatchKey(<{} bytes>)", self.as_bytes().len())
    }
}

/// A key under construction: inline until it outgrows [`INLINE`].
struct KeyBuf {
    len: usize,
    buf: [u8; INLINE],
    heap: Option<Vec<u8>>,
}

impl KeyBuf {
    fn new() -> KeyBuf {
        KeyBuf {
            len: 0,
            buf: [0; INLINE],
            heap: None,
        }
    }

    /// Appends one byte (a separator, one character of a converted value).
    #[inline(always)]
    fn push(&mut self, byte: u8) {
        match self.buf.get_mut(self.len) {
            Some(slot) if self.heap.is_none() => {
                *slot = byte;
                self.len += 1;
            }
            _ => self.extend(&[byte]),
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        if let Some(v) = self.heap.as_mut() {
            v.extend_from_slice(bytes);
            return;
        }
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => {
                let mut v = Vec::with_capacity(self.len + bytes.len() + 16);
                v.extend_from_slice(self.buf.get(..self.len).unwrap_or_default());
                v.extend_from_slice(bytes);
                self.heap = Some(v);
            }
        }
    }

    fn finish(self) -> MatchKey {
        match self.heap {
            Some(v) => MatchKey(Repr::Heap(v.into_boxed_slice())),
            None => MatchKey(Repr::Inline {
                len: self.len as u8,
                buf: self.buf,
            }),
        }
    }
}

impl MatchKey {
    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Repr::Heap(b) => b,
        }
    }

    /// The key without its MTI (fields and header), to match a reject whose MTI differs.
    pub fn without_mti(&self) -> &[u8] {
        self.as_bytes().get(4..).unwrap_or(&[])
    }

    /// The response MTI the key starts with.
    pub fn mti(&self) -> Option<Mti> {
        let d: [u8; 4] = self.as_bytes().get(..4)?.try_into().ok()?;
        Mti::from_digits(d).ok()
    }

    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: Vec<u8>) -> MatchKey {
        let mut k = KeyBuf::new();
        k.extend(&bytes);
        k.finish()
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
        let mut key = KeyBuf::new();
        key.extend(&mti.digits());
        for &n in &rule.fields {
            // The value's characters, not its wire bytes: equal keys on ASCII, BCD and
            // EBCDIC hosts, whatever the value's length. ASCII data is its own clear text.
            if let Some(f) = msg.field(n) {
                if f.spec().encoding() == crate::spec::Encoding::Ascii {
                    key.extend(f.raw());
                } else {
                    for c in f.chars() {
                        key.push(c);
                    }
                }
            }
            key.push(0x1F);
        }
        if rule.header != HeaderKey::None {
            let view = msg.view();
            let header = view.header();
            match header.get(..5) {
                _ if rule.header == HeaderKey::Raw => key.extend(header),
                Some([id, d0, d1, s0, s1]) if swap => key.extend(&[*id, *s0, *s1, *d0, *d1]),
                Some(t) => key.extend(t),
                None => key.extend(header),
            }
        }
        key.finish()
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
    fn long_keys_spill_to_the_heap_and_compare_by_bytes() {
        let long: Vec<u8> = (0..100u8).collect();
        let a = MatchKey::from_bytes(long.clone());
        assert_eq!(a.as_bytes(), &long[..]);
        assert!(matches!(a.0, Repr::Heap(_)));
        let short = MatchKey::from_bytes(long[..20].to_vec());
        assert!(matches!(short.0, Repr::Inline { .. }));
        assert_eq!(short.as_bytes(), &long[..20]);
        assert_ne!(a, short);
    }

    #[test]
    fn a_key_that_outgrows_the_inline_buffer_is_the_same_from_bcd_and_ascii() {
        // DE 2, 11, 41 and 42 make a key of 4 + 17 + 7 + 9 + 16 = 53 bytes, past the 46
        // kept inline: the BCD side writes it a character at a time (`push`), spilling to the
        // heap midway; the ASCII side copies whole values.
        let rules = KeyRules {
            default: KeyRule {
                fields: vec![2, 11, 41, 42],
                header: HeaderKey::None,
            },
            by_class: HashMap::new(),
        };
        let build = |name: &str| {
            let spec = Spec::builtin(name).unwrap();
            let mut b = MessageBuilder::new(&spec);
            b.mti("0200").unwrap();
            b.set(2, "4761739001010119").unwrap();
            b.set(11, "000042").unwrap();
            b.set(41, "TERM0001").unwrap();
            b.set(42, "MERCHANT0000001").unwrap();
            Message::decode(&spec, Bytes::from(b.encode_to_vec().unwrap())).unwrap()
        };
        let ascii = rules.request_key(&build("iso87-ascii-bin")).unwrap();
        let bcd = rules.request_key(&build("iso87-bcd")).unwrap();
        let want = b"02104761739001010119\x1F000042\x1FTERM0001\x1FMERCHANT0000001\x1F";
        assert_eq!(ascii.as_bytes(), &want[..]);
        assert_eq!(bcd.as_bytes(), &want[..]);
        assert!(matches!(bcd.0, Repr::Heap(_)));
        assert_eq!(ascii, bcd);
    }

    #[test]
    fn debug_of_a_key_shows_its_length_not_its_bytes() {
        let key = MatchKey::from_bytes(b"0210TERM0001\x1F4761739001010119\x1F".to_vec());
        let shown = format!("{key:?}");
        assert_eq!(shown, format!("MatchKey(<{} bytes>)", key.as_bytes().len()));
        assert!(!shown.contains("4761739001010119"));
    }
}
