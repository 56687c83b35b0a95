//! A short `Debug` for [`Spec`]: the whole field table would print tens of kilobytes.

use core::fmt;

use super::Spec;

/// `Spec { name, description, mti, bitmap, tertiary_bitmap, header_len, fields: <count> }`.
impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field("name", &self.name())
            .field("description", &self.description())
            .field("mti", &self.mti_encoding())
            .field("bitmap", &self.bitmap_encoding())
            .field("tertiary_bitmap", &self.has_tertiary_bitmap())
            .field("header_len", &self.header_len())
            .field("fields", &self.fields().count())
            .finish_non_exhaustive()
    }
}
