//! Printing that survives a closed stdout or stderr.
//!
//! `println!` panics when its stream is a pipe whose reader has gone
//! (`faultline hunt … | head`). A panic halfway through a command would skip what
//! comes after the print: writing the rest of the outputs, and for a live run the
//! end of the run. So the command line prints through these macros instead: a line
//! that cannot be written is dropped, the command finishes its work, and its exit
//! code still says how it ended.

use std::fmt;
use std::io::Write;

/// Writes formatted text to stdout, dropping it if stdout is closed.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write_to(&mut ::std::io::stdout().lock(), format_args!($($arg)*), false)
    };
}

/// Writes a formatted line to stdout, dropping it if stdout is closed.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::write_to(&mut ::std::io::stdout().lock(), format_args!($($arg)*), true)
    };
}

/// Writes formatted text to stderr, dropping it if stderr is closed.
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::out::write_to(&mut ::std::io::stderr().lock(), format_args!($($arg)*), false)
    };
}

/// Writes a formatted line to stderr, dropping it if stderr is closed.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::out::write_to(&mut ::std::io::stderr().lock(), format_args!($($arg)*), true)
    };
}

pub(crate) use {err, errln, out, outln};

/// Writes `text` (and a newline if `newline`) to `stream`, ignoring a failed write:
/// there is nowhere left to report it, and the command must go on.
pub fn write_to(stream: &mut impl Write, text: fmt::Arguments<'_>, newline: bool) {
    let written = stream.write_fmt(text).and_then(|()| {
        if newline {
            stream.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    drop(written);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    /// A stream whose reader has gone.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_stream_drops_the_text_instead_of_panicking() {
        write_to(&mut ClosedPipe, format_args!("lost {}", 1), true);
    }

    #[test]
    fn text_and_its_newline_reach_an_open_stream() {
        let mut buffer = Vec::new();
        write_to(&mut buffer, format_args!("a = {}", 1), true);
        write_to(&mut buffer, format_args!("b"), false);
        assert_eq!(buffer, b"a = 1\nb");
    }
}
