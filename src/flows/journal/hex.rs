//! Serde adapters storing bytes as lowercase hex in the journal file, on the
//! `hex` crate (the codec is the crate's; this module only plugs it into
//! serde and keeps the journal's error texts).

use serde::{Deserialize, Deserializer, Serializer};

/// Serializes bytes as lowercase hex.
pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(bytes))
}

/// Bytes as lowercase hex.
pub(crate) fn encode(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

/// Parses a hex string back into bytes.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(d)?;
    decode(&text).ok_or_else(|| serde::de::Error::custom("invalid hex in request bytes"))
}

/// The same for an optional value (`null` when absent).
pub(crate) mod opt {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes optional bytes as lowercase hex or `null`.
    pub(crate) fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&super::encode(b)),
            None => s.serialize_none(),
        }
    }

    /// Parses optional hex.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => super::decode(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("invalid hex in message bytes")),
            None => Ok(None),
        }
    }
}

/// Hex (either case, even length) back to bytes; `None` when it is not hex.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    ::hex::decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_it_encodes() {
        assert_eq!(decode("00ff10"), Some(vec![0x00, 0xff, 0x10]));
        assert_eq!(decode("00FF10"), Some(vec![0x00, 0xff, 0x10]));
        assert_eq!(encode(&[0x00, 0xab, 0x10]), "00ab10");
        assert_eq!(decode("0"), None);
        assert_eq!(decode("zz"), None);
    }
}
