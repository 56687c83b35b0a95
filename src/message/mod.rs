//! Messages: the MTI, the borrowed [`MessageView`], the owned [`Message`] and the
//! [`MessageBuilder`] that encodes.

#[allow(unused_imports)]
use crate::prelude::*;

mod builder;
mod compose;
mod composite;
pub mod describe;
mod field;
pub(crate) mod layout;
pub mod lenient;
pub mod mac;
pub(crate) mod mask;
mod mti;
mod numbers;
mod owned;
mod text;
mod typed;
mod view;

pub use builder::{FieldValue, MessageBuilder};
pub use compose::SubValue;
pub use composite::{SubChars, SubKey, Subfield, SubfieldIter};
pub use describe::Describe;
pub use field::{Clear, Field, SmallText, ValueChars};
pub use lenient::Lenient;
pub use mac::MacScopeError;
pub use mask::Masked;
pub use mti::{BadMti, Mti};
pub use owned::Message;
pub use typed::{BadTypedValue, OriginalData, ProcessingCode};
pub use view::{Fields, MessageView};
