//! A journal persisted as JSON after every change, written atomically.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

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
/// assert_eq!(fj.journal().txn(t.stan).map(|r| r.state), Some(TxnState::Sent));
/// assert_eq!(fj.journal().reversals().len(), 1); // the reversal-to-be survived
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    journal: Journal,
}

impl FileJournal {
    /// Writes `journal` to a new file at `path`; fails if it exists.
    pub fn create(path: impl Into<PathBuf>, journal: Journal) -> Result<FileJournal, JournalError> {
        let path = path.into();
        if path.exists() {
            return Err(JournalError::Io(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "journal file already exists",
            )));
        }
        journal.verify()?;
        persist(&path, &journal)?;
        Ok(FileJournal { path, journal })
    }

    /// Loads and verifies the journal stored at `path`.
    pub fn open(path: impl Into<PathBuf>) -> Result<FileJournal, JournalError> {
        let path = path.into();
        let bytes = fs::read(&path)?;
        let journal: Journal = serde_json::from_slice(&bytes)?;
        journal.verify()?;
        Ok(FileJournal { path, journal })
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
    fn mutate<T>(
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

/// Writes `journal` to `path` atomically: temp file, fsync, rename, fsync
/// of the directory.
fn persist(path: &Path, journal: &Journal) -> Result<(), JournalError> {
    let bytes = serde_json::to_vec_pretty(journal)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| String::from("journal"));
    let tmp = dir.join(format!(".{name}.tmp"));
    let result = write_synced(&tmp, &bytes).and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = result {
        // Best effort: a stale temp file is harmless but untidy.
        let _ = fs::remove_file(&tmp);
        return Err(JournalError::Io(e));
    }
    sync_dir(&dir)?;
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
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
