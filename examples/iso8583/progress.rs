//! A progress line on stderr for large inputs, only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Inputs smaller than this get no progress line.
const MIN_BYTES: u64 = 8 << 20;
const EVERY: Duration = Duration::from_millis(150);

#[derive(Debug)]
pub struct Progress {
    total: u64,
    started: Instant,
    last: Instant,
    calls: u32,
    shown: bool,
}

impl Progress {
    /// A progress line for an input of `total` bytes, or `None` when it would not help.
    pub fn new(total: Option<u64>) -> Option<Progress> {
        let total = total?;
        if total < MIN_BYTES || !std::io::stderr().is_terminal() {
            return None;
        }
        let now = Instant::now();
        Some(Progress {
            total,
            started: now,
            last: now,
            calls: 0,
            shown: false,
        })
    }

    /// Reports `done` bytes of the input processed (cheap: looks at the clock every 256 calls).
    pub fn update(&mut self, done: u64) {
        self.calls = self.calls.wrapping_add(1);
        if !self.calls.is_multiple_of(256) {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.last) < EVERY {
            return;
        }
        self.last = now;
        self.draw(done);
    }

    fn draw(&mut self, done: u64) {
        const WIDTH: u64 = 30;
        let done = done.min(self.total);
        let filled = usize::try_from(done * WIDTH / self.total.max(1)).unwrap_or(0);
        let empty = usize::try_from(WIDTH).unwrap_or(30).saturating_sub(filled);
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let mb = done as f64 / 1e6;
        let _ = write!(
            std::io::stderr(),
            "\r[{}{}] {:>3}%  {mb:.1}/{:.1} MB  {:.1} MB/s\x1b[K",
            "#".repeat(filled),
            "-".repeat(empty),
            done * 100 / self.total.max(1),
            self.total as f64 / 1e6,
            mb / secs
        );
        self.shown = true;
    }

    /// Clears the line.
    pub fn finish(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
            self.shown = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
