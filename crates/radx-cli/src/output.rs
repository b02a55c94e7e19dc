//! Standard output that survives a closed reader.
//!
//! `println!` panics when stdout is a pipe whose reader has gone (`radx features list |
//! head -1`): Rust ignores SIGPIPE, so the write fails with `BrokenPipe`. radx writes its
//! data through [`out!`] and [`outln!`] instead, which return a [`StdoutClosed`] error on a
//! broken pipe; [`crate::main`] turns it into a quiet exit with status
//! [`BROKEN_PIPE_EXIT`] (141, what a shell reports for a process ended by SIGPIPE), so a
//! cut-off output is never reported as success. Other write errors (a full disk behind a
//! redirection) are ordinary errors, exit status 2. Messages go to stderr through this
//! module's [`eprintln!`], which drops what a closed stderr cannot take instead of panicking.

use std::fmt;
use std::io::Write;

/// Exit status when stdout's reader has gone: 128 + SIGPIPE (13), as for `yes | head`.
pub(crate) const BROKEN_PIPE_EXIT: u8 = 141;

/// Stdout was closed by its reader (a broken pipe).
#[derive(Debug)]
pub(crate) struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("standard output was closed by its reader")
    }
}

impl std::error::Error for StdoutClosed {}

/// Writes to stdout and flushes, so that a closed reader is noticed here.
pub(crate) fn write_stdout(args: fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_fmt(args).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("writing to standard output")),
    }
}

/// `print!` to stdout, returning early (`?`) with an error when it cannot be written.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))?
    };
}

/// `println!` to stdout, returning early (`?`) with an error when it cannot be written.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `eprintln!` that does not panic when stderr is closed as well (`radx ... 2>&1 | head
/// -1`): a message that cannot be written is dropped. Imported by name, it shadows the
/// standard macro in the CLI's modules.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub(crate) use {eprintln, out, outln};

/// True when the error (or one it wraps) is [`StdoutClosed`].
pub(crate) fn is_stdout_closed(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<StdoutClosed>())
}
