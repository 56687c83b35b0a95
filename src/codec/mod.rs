//! Wire primitives, each decode beside its encode: character sets, packed BCD, length
//! prefixes, bitmaps and whole fields.

#[allow(unused_imports)]
use crate::prelude::*;

pub(crate) mod bcd;
pub mod bitmap;
pub(crate) mod charset;
pub mod emv_tags;
pub(crate) mod field;
pub(crate) mod lenient;
pub(crate) mod prefix;
pub mod tagged;
pub mod tlv;
