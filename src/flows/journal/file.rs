//! A journal persisted after every change, written atomically, locked, checksummed and
//! authenticated.
//!
//! # File format (version 2)
//!
//! One header line, then the journal as JSON:
//!
//! ```text
//! iso8583-wire journal v2 key=<n> kcv=<12 hex> sha256=<64 hex> hmac=<64 hex>\n
//! {...journal JSON...}
//! ```
//!
//! - `key` is the version of the [`JournalKey`] that wrote the file, and
//!   `kcv` a check value of that key (the first 6 bytes of its MAC over a
//!   fixed label), so a wrong key is told apart from an edit.
//! - `sha256` is the SHA-256 of every byte after the newline: damage (torn
//!   writes, bit rot) is detected without the key.
//! - `hmac` is the key's MAC (HMAC-SHA-256 for [`SoftwareKey`]) over the
//!   header up to ` hmac=`, a newline, and the body: an edit that recomputes
//!   the SHA-256 is still detected.
//!
//! A file whose header is not exactly this shape, whose version is not 2,
//! whose digest or MAC does not match, or that was written under another key
//! is refused on open ([`JournalError::Damaged`],
//! [`JournalError::UnsupportedVersion`], [`JournalError::WrongKey`]); it is
//! never loaded as something else. Version 1 files (which kept requests with
//! their card data) are refused.
//!
//! # What the body holds
//!
//! No track data, PIN block, CVV or ICC data, ever: each request is kept
//! without its card-data fields and without DE 2, and the PAN is sealed with
//! the key's AEAD (AES-256-GCM for [`SoftwareKey`]) under the key version
//! recorded beside it (see [`TxnRecord::request`](crate::flows::journal::TxnRecord::request)).
//! The spec's name is recorded and checked on open.
//!
//! [`SoftwareKey`]: crate::flows::journal::SoftwareKey
//!
//! # Locking
//!
//! A handle holds an exclusive advisory lock on a sidecar file
//! (`.<name>.lock` next to the journal) for its whole life: a second
//! [`FileJournal::open`] or [`FileJournal::create`] of the same path, from
//! this process or another, fails at once with [`JournalError::InUse`].
//! The lock is released when the handle is dropped (or its process dies).
//! A process that forks while a handle is open shares the lock with the
//! child until the child execs or exits, so a reopen right after a drop may
//! see [`JournalError::InUse`] for that moment.
//!
//! # Recovery
//!
//! On open, every transaction still [`TxnState::Sent`] (its request may
//! have reached the host) becomes reversal-due exactly as after a timeout,
//! and a reversal attempt that was in flight counts as unanswered. The
//! journal then refuses new financial work until those reversals are
//! answered. A store-and-forward advice whose attempt was in flight counts
//! as unanswered: it stays at the head of its queue and its next attempt is
//! a repeat (0221/0421), or it expires if that was its last attempt.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use std::collections::BTreeMap;
use std::sync::Arc;

use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::flows::journal::advice::{AdviceOutcome, AdviceRecord, ExpiredAdvice};
use crate::flows::journal::batch::{BatchSummary, ClosedBatch, Totals};
use crate::flows::journal::book::{Journal, Phase};
use crate::flows::journal::error::JournalError;
use crate::flows::journal::key::{JournalKey, KeyError};
use crate::flows::journal::policy::JournalPolicy;
use crate::flows::journal::request::{NewTxn, Ticket};
use crate::flows::journal::reversal::ReversalRecord;
use crate::flows::journal::stan::{Stan, StanAllocator};
use crate::flows::journal::state::{TxnRecord, TxnState};
use crate::spec::Spec;

/// A [`Journal`] saved to `path` after every mutating call.
///
/// Each mutation runs on a copy, the copy is written to a temporary file in
/// the same directory, fsynced, renamed over `path` and the directory
/// fsynced; only then does the copy replace the in-memory journal. A failed
/// write leaves both the file and the in-memory journal as they were. The
/// one exception is a failed directory fsync after the rename: the file then
/// already holds the new state while memory keeps the old one and the call
/// returns [`JournalError::Io`]. This errs on the safe side (a journaled but
/// untransmitted request reloads as `Sent` and is reversed), and the next
/// successful write makes file and memory agree again.
///
/// ```
/// use std::sync::Arc;
/// use iso8583_wire::flows::journal::{FileJournal, Journal, JournalPolicy, NewTxn, SoftwareKey, TxnKind, TxnState};
/// use iso8583_wire::flows::{Card, FlowContext, FlowProfile, LocalTime};
/// use iso8583_wire::{MessageView, Spec};
///
/// let profile = FlowProfile::generic_1987();
/// let ctx = FlowContext { spec: Spec::builtin("iso87-ascii-bin")?, profile: profile.clone(),
///     terminal_id: "T1".into(), merchant_id: "M1".into(), acquirer_id: None, header: None };
/// let key = Arc::new(SoftwareKey::from_bytes(1, &[0x5a; 32]));
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("journal.json");
/// let journal = Journal::new(ctx.spec.clone(), key.clone(), "T1", "M1", profile.journal.clone());
/// let mut fj = FileJournal::create(&path, journal)?;
/// fj.sign_on(Some(3))?;
/// let card = Card::keyed("4761739001010119", "2912");
/// let now = LocalTime::new(11, 22, 9, 30, 0)?;
/// let t = fj.begin(NewTxn::new(TxnKind::Purchase, 500, "T1", "M1", "0200"),
///     |t| -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
///         Ok(ctx.purchase(t.stan, t.batch, &card, 500, &now)?.encode_to_vec()?)
///     })?;
/// drop(fj); // power loss after the request was journaled
///
/// // The file holds no clear PAN.
/// assert!(!String::from_utf8_lossy(&std::fs::read(&path)?).contains("4761739001010119"));
/// let fj = FileJournal::open(&path, ctx.spec.clone(), key)?;
/// // The request may have reached the host: it must be reversed first.
/// assert_eq!(fj.journal().txn(t.stan).map(|r| r.state), Some(TxnState::Uncertain));
/// let job = fj.journal().next_reversal().unwrap();
/// let original = fj.journal().original(job.stan)?;
/// let reversal = ctx.reversal(&MessageView::decode(&ctx.spec, original.request())?,
///     job.reason, None, job.repeat, &now)?.encode_to_vec()?;
/// assert_eq!(MessageView::decode(&ctx.spec, &reversal)?.str(2), Some("4761739001010119"));
/// // A second handle on the same file is refused while this one lives.
/// let other_key = Arc::new(SoftwareKey::from_bytes(1, &[0x5a; 32]));
/// assert!(FileJournal::open(&path, ctx.spec.clone(), other_key).is_err());
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    journal: Journal,
    /// Held open for the life of the handle: owns the exclusive lock.
    _lock: File,
}

/// First bytes of every journal file, before the version number.
const MAGIC: &str = "iso8583-wire journal v";

/// The file format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 2;

/// What the key check value (`kcv=`) is the MAC of.
const KCV_LABEL: &[u8] = b"iso8583-wire journal key check";

impl FileJournal {
    /// Writes `journal` to a new file at `path`; fails if it exists.
    pub fn create(path: impl Into<PathBuf>, journal: Journal) -> Result<FileJournal, JournalError> {
        let path = path.into();
        let lock = lock(&path)?;
        if path.exists() {
            return Err(JournalError::Io(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "journal file already exists",
            )));
        }
        journal.verify()?;
        persist(&path, &journal)?;
        Ok(FileJournal {
            path,
            journal,
            _lock: lock,
        })
    }

    /// Locks, loads and verifies the journal stored at `path` (checksum,
    /// key check value and MAC under `key`; the spec's name must be the one
    /// recorded), then recovers it: every transaction left
    /// [`TxnState::Sent`] becomes reversal-due (see the module docs), and
    /// the recovered state is written back before this returns.
    pub fn open(
        path: impl Into<PathBuf>,
        spec: Spec,
        key: Arc<dyn JournalKey>,
    ) -> Result<FileJournal, JournalError> {
        let path = path.into();
        let lock = lock(&path)?;
        let bytes = fs::read(&path)?;
        let mut journal = parse(&bytes, spec, key)?;
        journal.verify()?;
        if journal.recover() {
            persist(&path, &journal)?;
        }
        Ok(FileJournal {
            path,
            journal,
            _lock: lock,
        })
    }

    /// The current journal (read-only).
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Where the journal is stored.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Applies `f` to a copy, persists the copy, then adopts it.
    pub(crate) fn mutate<T>(
        &mut self,
        f: impl FnOnce(&mut Journal) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        let mut next = self.journal.clone();
        let out = f(&mut next)?;
        persist(&self.path, &next)?;
        self.journal = next;
        Ok(out)
    }

    /// See [`Journal::begin`]; the record is on disk before this returns.
    pub fn begin<F, E>(&mut self, req: NewTxn, encode: F) -> Result<Ticket, JournalError>
    where
        F: FnOnce(&Ticket) -> Result<Vec<u8>, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.mutate(|j| j.begin(req, encode))
    }

    /// See [`Journal::on_response`].
    pub fn on_response(
        &mut self,
        stan: Stan,
        response_code: &str,
        rrn: Option<String>,
        auth_code: Option<String>,
    ) -> Result<TxnState, JournalError> {
        self.mutate(|j| j.on_response(stan, response_code, rrn, auth_code))
    }

    /// See [`Journal::on_response_message`].
    pub fn on_response_message(
        &mut self,
        stan: Stan,
        response: &[u8],
    ) -> Result<TxnState, JournalError> {
        self.mutate(|j| j.on_response_message(stan, response))
    }

    /// See [`Journal::on_timeout`].
    pub fn on_timeout(&mut self, stan: Stan) -> Result<TxnState, JournalError> {
        self.mutate(|j| j.on_timeout(stan))
    }

    /// See [`Journal::on_mac_failure`].
    pub fn on_mac_failure(&mut self, stan: Stan) -> Result<TxnState, JournalError> {
        self.mutate(|j| j.on_mac_failure(stan))
    }

    /// See [`Journal::on_card_declined_after_approval`].
    pub fn on_card_declined_after_approval(
        &mut self,
        stan: Stan,
    ) -> Result<TxnState, JournalError> {
        self.mutate(|j| j.on_card_declined_after_approval(stan))
    }

    /// See [`Journal::on_reversal_sent`].
    pub fn on_reversal_sent(&mut self, stan: Stan) -> Result<(), JournalError> {
        self.mutate(|j| j.on_reversal_sent(stan))
    }

    /// See [`Journal::on_reversal_response`].
    pub fn on_reversal_response(
        &mut self,
        stan: Stan,
        response_code: &str,
    ) -> Result<TxnState, JournalError> {
        self.mutate(|j| j.on_reversal_response(stan, response_code))
    }

    /// See [`Journal::on_reversal_no_response`].
    pub fn on_reversal_no_response(&mut self, stan: Stan) -> Result<TxnState, JournalError> {
        self.mutate(|j| j.on_reversal_no_response(stan))
    }

    /// See [`Journal::allocate_stan`]; the allocation is on disk before
    /// the STAN is returned.
    pub fn allocate_stan(&mut self) -> Result<Stan, JournalError> {
        self.mutate(Journal::allocate_stan)
    }

    /// See [`Journal::queue_advice`]; the advice is on disk before this
    /// returns.
    pub fn queue_advice<F, E>(
        &mut self,
        req: NewTxn,
        queued_at: u64,
        encode: F,
    ) -> Result<Ticket, JournalError>
    where
        F: FnOnce(&Ticket) -> Result<Vec<u8>, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.mutate(|j| j.queue_advice(req, queued_at, encode))
    }

    /// See [`Journal::queue_reversal_advice`].
    pub fn queue_reversal_advice(
        &mut self,
        stan: Stan,
        queued_at: u64,
    ) -> Result<(), JournalError> {
        self.mutate(|j| j.queue_reversal_advice(stan, queued_at))
    }

    /// See [`Journal::on_advice_sent`].
    pub fn on_advice_sent(&mut self, stan: Stan) -> Result<(), JournalError> {
        self.mutate(|j| j.on_advice_sent(stan))
    }

    /// See [`Journal::on_advice_response`].
    pub fn on_advice_response(
        &mut self,
        stan: Stan,
        response_code: &str,
        now: u64,
    ) -> Result<AdviceOutcome, JournalError> {
        self.mutate(|j| j.on_advice_response(stan, response_code, now))
    }

    /// See [`Journal::on_advice_no_response`].
    pub fn on_advice_no_response(
        &mut self,
        stan: Stan,
        now: u64,
    ) -> Result<AdviceOutcome, JournalError> {
        self.mutate(|j| j.on_advice_no_response(stan, now))
    }

    /// See [`Journal::expire_advices`].
    pub fn expire_advices(&mut self, now: u64) -> Result<Vec<Stan>, JournalError> {
        self.mutate(|j| j.expire_advices(now))
    }

    /// See [`Journal::acknowledge_expired_advice`].
    pub fn acknowledge_expired_advice(
        &mut self,
        stan: Stan,
    ) -> Result<ExpiredAdvice, JournalError> {
        self.mutate(|j| j.acknowledge_expired_advice(stan))
    }

    /// See [`Journal::sign_on`].
    pub fn sign_on(&mut self, batch_from_host: Option<u32>) -> Result<(), JournalError> {
        self.mutate(|j| j.sign_on(batch_from_host))
    }

    /// See [`Journal::sign_off`].
    pub fn sign_off(&mut self) -> Result<(), JournalError> {
        self.mutate(|j| {
            j.sign_off();
            Ok(())
        })
    }

    /// See [`Journal::settle`].
    pub fn settle(&mut self) -> Result<Totals, JournalError> {
        self.mutate(Journal::settle)
    }

    /// See [`Journal::abort_settlement`].
    pub fn abort_settlement(&mut self) -> Result<(), JournalError> {
        self.mutate(|j| {
            j.abort_settlement();
            Ok(())
        })
    }

    /// See [`Journal::close_batch`].
    pub fn close_batch(&mut self, totals_ok: bool) -> Result<ClosedBatch, JournalError> {
        self.mutate(|j| j.close_batch(totals_ok))
    }
}

fn dir_and_name(path: &Path) -> (PathBuf, String) {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| String::from("journal"));
    (dir, name)
}

/// Opens (creating if needed) the sidecar lock file of `path` and takes an
/// exclusive lock on it without waiting.
fn lock(path: &Path) -> Result<File, JournalError> {
    let (dir, name) = dir_and_name(path);
    let lock_path = dir.join(format!(".{name}.lock"));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)?;
    match FileExt::try_lock_exclusive(&file) {
        Ok(true) => Ok(file),
        Ok(false) => Err(JournalError::InUse {
            path: path.display().to_string(),
        }),
        Err(e) => Err(JournalError::Io(e)),
    }
}

/// The journal's recorded state, as written to the body.
#[derive(Serialize)]
struct StateRef<'a> {
    spec: &'a str,
    terminal: &'a str,
    merchant: &'a str,
    policy: &'a JournalPolicy,
    batch: u32,
    stans: &'a StanAllocator,
    signed_on: bool,
    txns: &'a BTreeMap<Stan, TxnRecord>,
    reversals: &'a [ReversalRecord],
    phase: &'a Phase,
    history: &'a [BatchSummary],
    advices: &'a [AdviceRecord],
    expired_advices: &'a [ExpiredAdvice],
}

/// The body read back.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    spec: String,
    terminal: String,
    merchant: String,
    policy: JournalPolicy,
    batch: u32,
    stans: StanAllocator,
    signed_on: bool,
    txns: BTreeMap<Stan, TxnRecord>,
    reversals: Vec<ReversalRecord>,
    phase: Phase,
    history: Vec<BatchSummary>,
    /// Absent in files written before store-and-forward.
    #[serde(default)]
    advices: Vec<AdviceRecord>,
    /// Absent in files written before store-and-forward.
    #[serde(default)]
    expired_advices: Vec<ExpiredAdvice>,
}

/// The MAC of `data` under `version` of `key`; an unknown version means
/// the file was written under another key.
fn mac(key: &dyn JournalKey, version: u32, data: &[u8]) -> Result<[u8; 32], JournalError> {
    key.mac(version, data).map_err(|e| match e {
        KeyError::UnknownVersion { version } => JournalError::WrongKey { version },
        other => JournalError::Key(other),
    })
}

/// The file bytes for `journal`: header line with version, key version,
/// key check value, digest and MAC, then the JSON body.
pub(crate) fn render(journal: &Journal) -> Result<Vec<u8>, JournalError> {
    let body = serde_json::to_vec_pretty(&StateRef {
        spec: journal.spec.name(),
        terminal: &journal.terminal,
        merchant: &journal.merchant,
        policy: &journal.policy,
        batch: journal.batch,
        stans: &journal.stans,
        signed_on: journal.signed_on,
        txns: &journal.txns,
        reversals: &journal.reversals,
        phase: &journal.phase,
        history: &journal.history,
        advices: &journal.advices,
        expired_advices: &journal.expired,
    })?;
    let hex = crate::flows::journal::hex::encode;
    let key = journal.key.as_ref();
    let version = key.version();
    let kcv = mac(key, version, KCV_LABEL)?;
    let digest = Sha256::digest(&body);
    let mut out = Vec::with_capacity(body.len() + 200);
    out.extend_from_slice(
        format!(
            "{MAGIC}{FORMAT_VERSION} key={version} kcv={} sha256={}",
            hex(kcv.get(..6).unwrap_or_default()),
            hex(&digest)
        )
        .as_bytes(),
    );
    let tag = mac(key, version, &signed(&out, &body))?;
    out.extend_from_slice(b" hmac=");
    out.extend_from_slice(hex(&tag).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&body);
    Ok(out)
}

/// What the MAC covers: the header before ` hmac=`, a newline, the body.
fn signed(header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(header.len() + 1 + body.len());
    data.extend_from_slice(header);
    data.push(b'\n');
    data.extend_from_slice(body);
    data
}

/// Checks the header, digest, key and MAC of a journal file and parses its
/// body into a journal working with `spec` and `key`.
pub(crate) fn parse(
    bytes: &[u8],
    spec: Spec,
    key: Arc<dyn JournalKey>,
) -> Result<Journal, JournalError> {
    let damaged = |reason: &str| JournalError::Damaged {
        reason: reason.to_owned(),
    };
    let newline = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| damaged("no header line"))?;
    let (header, body) = bytes.split_at(newline);
    let body = body.get(1..).unwrap_or_default();
    let header = core::str::from_utf8(header).map_err(|_| damaged("header is not text"))?;
    let rest = header
        .strip_prefix(MAGIC)
        .ok_or_else(|| damaged("not a journal file (header)"))?;
    let version_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (version, rest) = rest.split_at(version_len);
    if version.is_empty() {
        return Err(damaged("header version is not a number"));
    }
    if version != FORMAT_VERSION.to_string() {
        return Err(JournalError::UnsupportedVersion {
            version: version.to_owned(),
        });
    }
    let field = |rest: &'_ str, name: &str| -> Result<(String, usize), JournalError> {
        let value = rest
            .strip_prefix(&format!(" {name}="))
            .ok_or_else(|| damaged(&format!("header has no {name}=")))?;
        let len = value.bytes().take_while(|b| *b != b' ').count();
        Ok((
            value.get(..len).unwrap_or_default().to_owned(),
            name.len() + 2 + len,
        ))
    };
    let (key_version, used) = field(rest, "key")?;
    let rest = rest.get(used..).unwrap_or_default();
    let (kcv, used) = field(rest, "kcv")?;
    let rest = rest.get(used..).unwrap_or_default();
    let (digest, used) = field(rest, "sha256")?;
    let rest = rest.get(used..).unwrap_or_default();
    let (tag, used) = field(rest, "hmac")?;
    if used != rest.len() {
        return Err(damaged("header has trailing text"));
    }
    let key_version: u32 = key_version
        .parse()
        .ok()
        .filter(|_| key_version.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| damaged("header key version is not a number"))?;
    let hex_of = |text: &str, len: usize, what: &str| {
        crate::flows::journal::hex::decode(text)
            .filter(|d| d.len() == len)
            .ok_or_else(|| damaged(what))
    };
    let kcv = hex_of(&kcv, 6, "header key check value is not 12 hex digits")?;
    let digest = hex_of(&digest, 32, "header digest is not 64 hex digits")?;
    let tag = hex_of(&tag, 32, "header MAC is not 64 hex digits")?;
    if !bool::from(Sha256::digest(body).as_slice().ct_eq(&digest)) {
        return Err(damaged(
            "checksum mismatch: the content was changed or damaged",
        ));
    }
    let expected_kcv = mac(key.as_ref(), key_version, KCV_LABEL)?;
    if !bool::from(expected_kcv.get(..6).unwrap_or_default().ct_eq(&kcv)) {
        return Err(JournalError::WrongKey {
            version: key_version,
        });
    }
    let before_tag = header.len() - (" hmac=".len() + 64);
    let signed_header = header.as_bytes().get(..before_tag).unwrap_or_default();
    let expected_tag = mac(key.as_ref(), key_version, &signed(signed_header, body))?;
    if !bool::from(expected_tag.as_slice().ct_eq(&tag)) {
        return Err(damaged(
            "authentication failed: the content was edited (its MAC under the journal key \
             does not match)",
        ));
    }
    let state: State = serde_json::from_slice(body)?;
    if state.spec != spec.name() {
        return Err(JournalError::Mismatch {
            message: "journal file",
            field: "spec",
            expected: spec.name().to_owned(),
            found: state.spec,
        });
    }
    Ok(Journal {
        terminal: state.terminal,
        merchant: state.merchant,
        policy: state.policy,
        batch: state.batch,
        stans: state.stans,
        signed_on: state.signed_on,
        txns: state.txns,
        reversals: state.reversals,
        phase: state.phase,
        history: state.history,
        advices: state.advices,
        expired: state.expired_advices,
        spec,
        key,
    })
}

/// A process-wide counter making temp file names unique.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `journal` to `path` atomically: unique temp file, fsync, rename,
/// fsync of the directory.
fn persist(path: &Path, journal: &Journal) -> Result<(), JournalError> {
    let bytes = render(journal)?;
    let (dir, name) = dir_and_name(path);
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let result = write_synced(&tmp, &bytes).and_then(|()| {
        fault::step()?;
        fs::rename(&tmp, path)
    });
    if let Err(e) = result {
        // Best effort: a stale temp file is harmless but untidy.
        if !fault::crashed() {
            let _ = fs::remove_file(&tmp);
        }
        return Err(JournalError::Io(e));
    }
    fault::step()?;
    sync_dir(&dir)?;
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    fault::step()?;
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    if fault::step().is_err() {
        // A torn write: half the bytes reach the temp file, then the crash.
        file.write_all(bytes.get(..bytes.len() / 2).unwrap_or_default())?;
        return fault::step_failed();
    }
    file.write_all(bytes)?;
    fault::step()?;
    file.sync_all()
}

/// Fault injection for the crash tests: with a step number armed, the
/// write path stops at that step as if the process died there (no
/// clean-up runs). Compiled to nothing outside tests.
pub(crate) mod fault {
    #[cfg(test)]
    use std::cell::Cell;

    #[cfg(test)]
    thread_local! {
        /// Step at which to stop (1-based), if armed.
        static STOP_AT: Cell<Option<u32>> = const { Cell::new(None) };
        /// Steps passed since arming.
        static PASSED: Cell<u32> = const { Cell::new(0) };
        /// Whether the armed step was reached.
        static HIT: Cell<bool> = const { Cell::new(false) };
    }

    /// Arms the fault at step `k` (1-based) of the following writes.
    #[cfg(test)]
    pub(crate) fn arm(k: u32) {
        STOP_AT.with(|s| s.set(Some(k)));
        PASSED.with(|p| p.set(0));
        HIT.with(|h| h.set(false));
    }

    /// Disarms; returns whether the armed step was reached.
    #[cfg(test)]
    pub(crate) fn disarm() -> bool {
        STOP_AT.with(|s| s.set(None));
        HIT.with(|h| h.replace(false))
    }

    /// One write step: fails once the armed step is reached.
    pub(crate) fn step() -> std::io::Result<()> {
        #[cfg(test)]
        {
            let Some(k) = STOP_AT.with(Cell::get) else {
                return Ok(());
            };
            let n = PASSED.with(|p| {
                let n = p.get() + 1;
                p.set(n);
                n
            });
            if n >= k {
                HIT.with(|h| h.set(true));
                return step_failed();
            }
        }
        Ok(())
    }

    /// The error a simulated crash returns.
    pub(crate) fn step_failed() -> std::io::Result<()> {
        Err(std::io::Error::other("simulated crash"))
    }

    /// Whether a simulated crash is in progress (clean-up must not run).
    pub(crate) fn crashed() -> bool {
        #[cfg(test)]
        {
            HIT.with(Cell::get)
        }
        #[cfg(not(test))]
        {
            false
        }
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    // Directories cannot be opened for fsync on this platform; the rename
    // is still atomic.
    Ok(())
}
