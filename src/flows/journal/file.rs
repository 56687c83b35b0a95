//! A journal persisted after every change, written atomically, locked and checksummed.
//!
//! # File format (version 1)
//!
//! One header line, then the journal as JSON:
//!
//! ```text
//! iso8583-wire journal v1 sha256=<64 hex digits>\n
//! {...journal JSON...}
//! ```
//!
//! The SHA-256 digest covers every byte after the newline. A file whose
//! header is not exactly this shape, whose version is not 1, or whose digest
//! does not match is refused on open ([`JournalError::Damaged`],
//! [`JournalError::UnsupportedVersion`]); it is never loaded as something
//! else. The digest detects damage (torn writes, bit rot), not a deliberate
//! edit by someone who recomputes it.
//!
//! # Locking
//!
//! A handle holds an exclusive advisory lock on a sidecar file
//! (`.<name>.lock` next to the journal) for its whole life: a second
//! [`FileJournal::open`] or [`FileJournal::create`] of the same path, from
//! this process or another, fails at once with [`JournalError::InUse`].
//! The lock is released when the handle is dropped (or its process dies).
//!
//! # Recovery
//!
//! On open, every transaction still [`TxnState::Sent`] (its request may
//! have reached the host) becomes reversal-due exactly as after a timeout,
//! and a reversal attempt that was in flight counts as unanswered. The
//! journal then refuses new financial work until those reversals are
//! answered.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use fs4::fs_std::FileExt;
use sha2::{Digest, Sha256};

use crate::flows::journal::batch::{ClosedBatch, Totals};
use crate::flows::journal::book::Journal;
use crate::flows::journal::error::JournalError;
use crate::flows::journal::request::{NewTxn, Ticket};
use crate::flows::journal::stan::Stan;
use crate::flows::journal::state::TxnState;

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
/// use iso8583_wire::flows::journal::{FileJournal, Journal, JournalPolicy, NewTxn, TxnKind, TxnState};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("journal.json");
/// let mut fj = FileJournal::create(&path, Journal::new("T1", "M1", JournalPolicy::cup_pos()))?;
/// fj.sign_on(Some(3))?;
/// let t = fj.begin(NewTxn::new(TxnKind::Purchase, 500, "T1", "M1", "0200"), |_| {
///     Ok::<_, std::io::Error>(b"request".to_vec())
/// })?;
/// drop(fj); // power loss after the request was journaled
///
/// let fj = FileJournal::open(&path)?;
/// // The request may have reached the host: it must be reversed first.
/// assert_eq!(fj.journal().txn(t.stan).map(|r| r.state), Some(TxnState::Uncertain));
/// assert_eq!(fj.journal().due_reversal(), Some(t.stan));
/// // A second handle on the same file is refused while this one lives.
/// assert!(FileJournal::open(&path).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
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
pub const FORMAT_VERSION: u32 = 1;

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

    /// Locks, loads and verifies the journal stored at `path`, then
    /// recovers it: every transaction left [`TxnState::Sent`] becomes
    /// reversal-due (see the module docs), and the recovered state is
    /// written back before this returns.
    pub fn open(path: impl Into<PathBuf>) -> Result<FileJournal, JournalError> {
        let path = path.into();
        let lock = lock(&path)?;
        let bytes = fs::read(&path)?;
        let mut journal = parse(&bytes)?;
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

/// The file bytes for `journal`: header line with version and digest, then
/// the JSON body.
pub(crate) fn render(journal: &Journal) -> Result<Vec<u8>, JournalError> {
    let body = serde_json::to_vec_pretty(journal)?;
    let digest = Sha256::digest(&body);
    let mut out = Vec::with_capacity(body.len() + 100);
    out.extend_from_slice(MAGIC.as_bytes());
    out.extend_from_slice(FORMAT_VERSION.to_string().as_bytes());
    out.extend_from_slice(b" sha256=");
    out.extend_from_slice(crate::flows::journal::hex::encode(&digest).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&body);
    Ok(out)
}

/// Checks the header and digest of a journal file and parses its body.
pub(crate) fn parse(bytes: &[u8]) -> Result<Journal, JournalError> {
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
    let (version, digest) = rest
        .split_once(" sha256=")
        .ok_or_else(|| damaged("header has no sha256 digest"))?;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(damaged("header version is not a number"));
    }
    if version != FORMAT_VERSION.to_string() {
        return Err(JournalError::UnsupportedVersion {
            version: version.to_owned(),
        });
    }
    let expected = crate::flows::journal::hex::decode(digest)
        .filter(|d| d.len() == 32)
        .ok_or_else(|| damaged("header digest is not 64 hex digits"))?;
    if Sha256::digest(body).as_slice() != expected.as_slice() {
        return Err(damaged(
            "checksum mismatch: the content was changed or damaged",
        ));
    }
    Ok(serde_json::from_slice(body)?)
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
