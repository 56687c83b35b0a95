//! `--input hex-lines` on every core, output in input order, memory bounded.
//!
//! A reader thread cuts the input into batches of whole lines (about [`BATCH_BYTES`]); workers
//! decode a batch each into their own output buffer; this thread writes the buffers in input
//! order. The reader takes a token before each batch and the writer gives one back after
//! writing a batch, so at most [`in_flight`] batches (input and output) exist at once whatever
//! the input's size. The tokens are the batches' buffers: input buffers go back to the reader
//! and output buffers to the workers, so a long run allocates no more after its start.

use std::collections::BTreeMap;
use std::io::{self, BufRead};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread;

use iso8583_wire::Spec;
use iso8583_wire::framing::FrameConfig;

use super::AnyError;
use super::args::DecodeArgs;
use super::decode::{self, Decoding};
use super::output::Printer;
use super::progress::Progress;
use super::summary::Summary;

/// Input bytes per batch (the batch ends at the next line end after this).
const BATCH_BYTES: usize = 1 << 20;

/// Batches that may exist at once for `jobs` workers: one being read, one per worker, and as
/// many again waiting to be written while an earlier one is still being decoded.
fn in_flight(jobs: usize) -> usize {
    2 * jobs + 2
}

/// The cores this process may use.
pub fn cores() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// Whole lines of the input, with the number of the first.
struct Batch {
    seq: u64,
    first_line: u64,
    bytes: Vec<u8>,
    /// Where each line ends in `bytes` (found while reading, so workers need not scan).
    ends: Vec<usize>,
}

/// A decoded batch.
struct Done {
    seq: u64,
    /// The batch's input buffer, for the reader to reuse.
    input: Vec<u8>,
    output: Vec<u8>,
    summary: Summary,
    stderr: Vec<String>,
}

/// Reads batches until the input ends or the writer stops taking them.
fn read_batches(
    mut input: Box<dyn BufRead + Send>,
    tokens: &Receiver<Vec<u8>>,
    work: &SyncSender<Batch>,
) -> io::Result<()> {
    let mut seq = 0;
    let mut line = 1;
    loop {
        let Ok(mut bytes) = tokens.recv() else {
            return Ok(()); // the writer stopped
        };
        bytes.clear();
        bytes.reserve(BATCH_BYTES + (BATCH_BYTES >> 2));
        let mut ends = Vec::new();
        while bytes.len() < BATCH_BYTES {
            let buf = input.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            // Whole lines straight from the reader's buffer (SIMD `memchr`); a line longer
            // than the buffer, or the last one without a line end, by `read_until`.
            let whole = memchr::memrchr(b'\n', buf).map_or(0, |last| last + 1);
            if whole > 0 {
                let base = bytes.len();
                let lines = buf.get(..whole).unwrap_or_default();
                ends.extend(memchr::memchr_iter(b'\n', lines).map(|end| base + end + 1));
                bytes.extend_from_slice(lines);
                input.consume(whole);
            } else {
                input.read_until(b'\n', &mut bytes)?;
                ends.push(bytes.len());
            }
        }
        if bytes.is_empty() {
            return Ok(());
        }
        let first_line = line;
        line += ends.len() as u64;
        let batch = Batch {
            seq,
            first_line,
            bytes,
            ends,
        };
        if work.send(batch).is_err() {
            return Ok(());
        }
        seq += 1;
    }
}

/// Decodes batches until there are none left or the writer stops taking them.
fn decode_batches(
    spec: &Spec,
    args: &DecodeArgs,
    config: FrameConfig,
    work: &Mutex<Receiver<Batch>>,
    spare: &Mutex<Receiver<Vec<u8>>>,
    done: &SyncSender<Done>,
) -> io::Result<()> {
    let printer = Printer::new(Vec::new(), args.format, decode::json_options(args));
    let mut dec = Decoding::new(spec, printer, decode::input_name(args), args.lenient);
    dec.printer.continue_array();
    let mut wire = Vec::new();
    loop {
        let next = work
            .lock()
            .map_err(|_| io::Error::other("a worker failed"))?
            .recv();
        let Ok(batch) = next else {
            return Ok(());
        };
        dec.summary = Summary::new();
        dec.deferred = Some(Vec::new());
        let mut start = 0;
        for (number, &end) in (batch.first_line..).zip(&batch.ends) {
            let line = batch.bytes.get(start..end).unwrap_or_default();
            decode::hex_line(&mut dec, config, number, line, &mut wire)?;
            start = end;
        }
        let mut next_output = spare
            .lock()
            .ok()
            .and_then(|r| r.try_recv().ok())
            .unwrap_or_default();
        next_output.clear();
        let finished = Done {
            seq: batch.seq,
            input: batch.bytes,
            output: dec.printer.replace(next_output),
            summary: std::mem::replace(&mut dec.summary, Summary::new()),
            stderr: dec.deferred.take().unwrap_or_default(),
        };
        if done.send(finished).is_err() {
            return Ok(());
        }
    }
}

/// `--input hex-lines` decoded by `jobs` workers.
pub fn hex_lines<W: io::Write>(
    dec: &mut Decoding<'_, W>,
    args: &DecodeArgs,
    config: FrameConfig,
    jobs: usize,
    progress: Option<&mut Progress>,
) -> Result<(), AnyError> {
    let input = decode::open_lines(args, &dec.name)?;
    let slots = in_flight(jobs);
    let (token_tx, token_rx) = sync_channel::<Vec<u8>>(slots);
    for _ in 0..slots {
        token_tx.send(Vec::new())?;
    }
    let (spare_tx, spare_rx) = sync_channel::<Vec<u8>>(slots);
    let spare_rx = Arc::new(Mutex::new(spare_rx));
    let (work_tx, work_rx) = sync_channel::<Batch>(jobs);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = sync_channel::<Done>(slots);
    let spec = dec.spec;
    thread::scope(|scope| -> Result<(), AnyError> {
        let reader = scope.spawn(move || read_batches(input, &token_rx, &work_tx));
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                let work = Arc::clone(&work_rx);
                let spare = Arc::clone(&spare_rx);
                let done = done_tx.clone();
                scope.spawn(move || decode_batches(spec, args, config, &work, &spare, &done))
            })
            .collect();
        // Only the workers hold these now: when they are gone the reader and this thread
        // see it.
        drop(work_rx);
        drop(spare_rx);
        drop(done_tx);
        let written = write_in_order(dec, &done_rx, &token_tx, &spare_tx, progress);
        // Unblock the reader and the workers if the writer stopped early.
        drop(token_tx);
        drop(done_rx);
        let read = reader.join().map_err(|_| "the reader thread panicked")?;
        for w in workers {
            w.join().map_err(|_| "a decoding thread panicked")??;
        }
        written?;
        read?;
        Ok(())
    })
}

/// Writes decoded batches in input order, giving back a token for each.
fn write_in_order<W: io::Write>(
    dec: &mut Decoding<'_, W>,
    done: &Receiver<Done>,
    tokens: &SyncSender<Vec<u8>>,
    spare: &SyncSender<Vec<u8>>,
    mut progress: Option<&mut Progress>,
) -> io::Result<()> {
    let mut waiting = BTreeMap::new();
    let mut next = 0u64;
    let mut read = 0u64;
    for batch in done {
        waiting.insert(batch.seq, batch);
        while let Some(batch) = waiting.remove(&next) {
            dec.printer.rendered(&batch.output)?;
            dec.summary.merge(&batch.summary);
            for msg in &batch.stderr {
                dec.echo_input_error(msg);
            }
            read += batch.input.len() as u64;
            if let Some(p) = progress.as_deref_mut() {
                p.update(read);
            }
            next += 1;
            // The reader or the workers may have finished, and a full channel of spare
            // outputs is enough: neither is an error.
            let _ = tokens.send(batch.input);
            let _ = spare.try_send(batch.output);
        }
    }
    Ok(())
}
