//! The I/O calls of the durable writers, counted and (in tests) made to fail.
//!
//! Every write, sync, truncation and rename made by the append-only writers (the results
//! file, the generation cache) and by [`crate::io::AtomicFile`] goes through the functions
//! of this module. Without the `fault-injection` feature they are the plain `std` calls.
//! With it (test builds only: the crates' dev-dependencies turn it on), a test arms a
//! fault for the current thread with [`arm`]: the `n`-th I/O call from then on fails with
//! `ENOSPC`, `EIO` or a short write (half the bytes written, then `ENOSPC`), in the spirit
//! of SQLite's I/O error tests. [`calls`] counts the calls since the last [`arm`] or
//! [`reset`], so a harness first runs a job cleanly to count its injection points, then
//! fails each one in turn.
//!
//! Counting is per thread: the writers run on the thread that calls them, and tests in
//! one binary run on threads of their own, so they never see each other's faults.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// How an armed I/O call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `ENOSPC` (no space left on device) before anything is written.
    NoSpace,
    /// `EIO` (input/output error) before anything is written.
    Eio,
    /// Half the bytes are written, then `ENOSPC` (a disk filling up mid-write). On a sync,
    /// truncation or rename, which cannot be short, this is `EIO`.
    Short,
}

impl Fault {
    /// The three kinds.
    pub const ALL: [Fault; 3] = [Fault::NoSpace, Fault::Eio, Fault::Short];

    fn error(self) -> io::Error {
        match self {
            // Linux's errno values; the kinds are what the writers look at.
            Fault::NoSpace | Fault::Short => io::Error::from_raw_os_error(28),
            Fault::Eio => io::Error::from_raw_os_error(5),
        }
    }
}

#[cfg(feature = "fault-injection")]
mod state {
    use super::Fault;
    use std::cell::Cell;

    thread_local! {
        static CALLS: Cell<u64> = const { Cell::new(0) };
        static ARMED: Cell<Option<(u64, Fault)>> = const { Cell::new(None) };
    }

    pub fn arm(at: u64, fault: Fault) {
        CALLS.with(|c| c.set(0));
        ARMED.with(|a| a.set(Some((at, fault))));
    }

    pub fn reset() {
        CALLS.with(|c| c.set(0));
        ARMED.with(|a| a.set(None));
    }

    pub fn calls() -> u64 {
        CALLS.with(Cell::get)
    }

    /// Counts one call; the fault if it is the armed one.
    pub fn next() -> Option<Fault> {
        let n = CALLS.with(|c| {
            let n = c.get();
            c.set(n + 1);
            n
        });
        ARMED.with(|a| match a.get() {
            Some((at, fault)) if at == n => {
                a.set(None);
                Some(fault)
            }
            _ => None,
        })
    }
}

#[cfg(not(feature = "fault-injection"))]
mod state {
    use super::Fault;

    pub fn arm(_: u64, _: Fault) {}
    pub fn reset() {}
    pub fn calls() -> u64 {
        0
    }
    #[inline(always)]
    pub fn next() -> Option<Fault> {
        None
    }
}

/// Fails the `at`-th I/O call (0-based) made on this thread from now on with `fault`,
/// once; resets the call count. A no-op without the `fault-injection` feature.
pub fn arm(at: u64, fault: Fault) {
    state::arm(at, fault);
}

/// Disarms any fault of this thread and resets its call count.
pub fn reset() {
    state::reset();
}

/// The I/O calls made on this thread since the last [`arm`] or [`reset`] (always 0
/// without the `fault-injection` feature).
pub fn calls() -> u64 {
    state::calls()
}

/// `write_all`, one injection point.
pub fn write_all(w: &mut impl Write, buf: &[u8]) -> io::Result<()> {
    match state::next() {
        None => w.write_all(buf),
        Some(Fault::Short) => {
            w.write_all(&buf[..buf.len() / 2])?;
            Err(Fault::Short.error())
        }
        Some(f) => Err(f.error()),
    }
}

/// `File::sync_data`, one injection point.
pub fn sync_data(file: &File) -> io::Result<()> {
    match state::next() {
        None => file.sync_data(),
        Some(_) => Err(Fault::Eio.error()),
    }
}

/// `File::sync_all`, one injection point.
pub fn sync_all(file: &File) -> io::Result<()> {
    match state::next() {
        None => file.sync_all(),
        Some(_) => Err(Fault::Eio.error()),
    }
}

/// `File::set_len`, one injection point.
pub fn set_len(file: &File, len: u64) -> io::Result<()> {
    match state::next() {
        None => file.set_len(len),
        Some(_) => Err(Fault::Eio.error()),
    }
}

/// Renames a temporary file onto `target`, one injection point (the temporary file is
/// kept, and removed when dropped, if the rename fails).
pub fn persist(tmp: tempfile::TempPath, target: &Path) -> Result<(), tempfile::PathPersistError> {
    match state::next() {
        None => tmp.persist(target),
        Some(f) => Err(tempfile::PathPersistError {
            error: f.error(),
            path: tmp,
        }),
    }
}

/// A file whose writes go through [`write_all`]'s injection point: the inner writer of
/// [`crate::io::AtomicFile`]. Each `write` call is one injection point (a short fault
/// writes half the buffer, then fails).
#[derive(Debug)]
pub struct FaultFile(pub(crate) File);

impl FaultFile {
    /// The file.
    pub fn get_ref(&self) -> &File {
        &self.0
    }
}

impl Write for FaultFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match state::next() {
            None => self.0.write(buf),
            Some(Fault::Short) => {
                self.0.write_all(&buf[..buf.len() / 2])?;
                Err(Fault::Short.error())
            }
            Some(f) => Err(f.error()),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
