//! Card data never shows in clear in a default rendering, for every bundled spec and for
//! variants of them with every `mask` setting stripped (the library defaults then decide).
//! The check itself is `fuzzing::mask_check`, shared with the `mask_check` fuzz target.

use iso8583_wire::fuzzing::{mask_check, mask_specs, strip_masks};
use iso8583_wire::spec::Mask;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn no_default_rendering_shows_planted_card_data(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        mask_check(&data);
    }
}

#[test]
fn every_spec_variant_is_checked() {
    // Each spec and its stripped twin, exhaustively over the first byte.
    for i in 0..=255u8 {
        mask_check(&[i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    }
    assert_eq!(mask_specs().len(), 14);
}

#[test]
fn stripped_specs_keep_the_defaults() {
    for spec in mask_specs() {
        for (n, want) in [
            (2, Mask::Pan),
            (35, Mask::Track),
            (52, Mask::Full),
            (55, Mask::Full),
        ] {
            if let Some(f) = spec.field(n) {
                assert_eq!(f.mask(), want, "{} field {n}", spec.name());
            }
        }
    }
    let s = strip_masks(
        "2 = { name = \"PAN\", class = \"n\", mask = \"pan\" }\nmask = \"full\"\nx = 1\n",
    );
    assert_eq!(s, "2 = { name = \"PAN\", class = \"n\" }\nx = 1\n");
}
