//! Terminal and merchant ids, each kept once and named by a number.

use std::collections::HashMap;

/// Distinct names (terminal and merchant ids) numbered in order of first
/// sight. Names are never forgotten: there is one per terminal or merchant
/// the host has seen, not one per transaction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner {
    ids: HashMap<Box<str>, u32>,
}

impl Interner {
    /// The id that stands for "no name" (a field the profile ignores).
    pub(crate) const NONE: u32 = u32::MAX;

    /// The id of `name`, if it was seen.
    pub(crate) fn find(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The id of `name`, numbering it if it is new.
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        // Ids stay below NONE. Reaching it would take 4 billion distinct
        // names, over 100 GB of them: out of reach of one process's memory.
        let id = u32::try_from(self.ids.len())
            .unwrap_or(Self::NONE - 1)
            .min(Self::NONE - 1);
        self.ids.insert(name.into(), id);
        id
    }
}
