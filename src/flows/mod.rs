//! Transaction flows: terminal-side journal and host-side matcher.

pub mod host;
pub mod journal;
