//! # iso8583-wire
//!
//! A spec-driven, zero-copy ISO 8583 parser and encoder for card-payment messages.
//!
//! Dialects are data: a [`Spec`] is loaded from TOML (several are bundled, see
//! [`spec::BUILTIN_NAMES`]). Decoding gives a [`MessageView`] that borrows the input and
//! allocates nothing; [`MessageBuilder`] encodes with computed bitmaps. Every decode error
//! names the field, the byte offset and what was wrong, and never contains field data.
//! Card data (PAN, track data, PIN block, EMV cryptograms and keys) is masked in every `Debug`,
//! `Display`, JSON and [`describe`](message::describe) rendering, by library defaults even
//! when a spec says nothing (see [`spec::default_field_mask`]).
//!
//! ```
//! use iso8583_wire::{MessageBuilder, MessageView, Spec};
//!
//! let spec = Spec::builtin("iso87-ascii-bin")?;
//! let mut purchase = MessageBuilder::new(&spec);
//! purchase
//!     .mti("0200")?
//!     .set(2, "4761739001010119")?
//!     .set(3, "000000")?
//!     .set(4, "000000002500")?
//!     .set(11, "000042")?
//!     .set(41, "TERM0001")?;
//! let wire = purchase.encode_to_vec()?;
//!
//! let msg = MessageView::decode(&spec, &wire)?;
//! assert_eq!(msg.field(4).unwrap().to_u64(), Some(2500));
//! assert_eq!(msg.field(2).unwrap().to_string(), "476173******0119"); // masked
//! assert_eq!(msg.field(2).unwrap().clear().to_string(), "4761739001010119");
//!
//! // Re-encoding a decoded message gives the same bytes.
//! assert_eq!(MessageBuilder::from_view(&msg).encode_to_vec()?, wire);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//!
//! - `std` (default): spec files from paths, the JSON form, the POS `flows` and their
//!   journal files. Without it the core (specs from strings, codec, view, builder, framing)
//!   builds with `alloc` only.
//! - `pcap` (default): reading pcap and pcapng captures (`capture`).
//! - `tokio`: the framing layer as a tokio-util codec (`framing::FrameCodec`) and the
//!   `link` (client, server, pool, terminal driver, decoded-message codec, matching keys,
//!   metrics).
//! - `crypto`: MACs (also of whole messages, by a spec's `[mac]`), PIN blocks, DUKPT and key
//!   check values (`security`), and `flows::FlowMac`.
//! - `postgres`: the host ledger's PostgreSQL store (`flows::host::store::PgStore`, on
//!   tokio-postgres and deadpool-postgres), with its SQL migrations.
//! - `cli`: the `iso8583` command-line tool as an installable binary
//!   (`cargo install iso8583-wire --features cli`).
//!
//! On docs.rs every item behind a feature is marked with it.
#![cfg_attr(not(feature = "std"), no_std)]
// On docs.rs (`--cfg docsrs`, nightly), items behind a feature show the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

extern crate alloc;

mod prelude;

#[cfg(feature = "pcap")]
pub mod capture;
pub mod codec;
#[cfg(feature = "std")]
pub mod doctor;
pub mod error;
#[cfg(feature = "std")]
pub mod flows;
pub mod framing;
#[cfg(feature = "std")]
pub mod json;
#[cfg(feature = "tokio")]
pub mod link;
pub mod message;
#[cfg(feature = "crypto")]
pub mod security;
pub mod spec;

#[cfg(feature = "std")]
#[doc(hidden)]
pub mod fuzzing;

/// The README's code examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use codec::bitmap::Bitmap;
pub use error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind, Location, SpecError};
pub use message::{Field, FieldValue, Message, MessageBuilder, MessageView, Mti};
pub use spec::{FieldSpec, Spec};
