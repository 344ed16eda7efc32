//! Turning errors into the record's failure classes.

use std::error::Error as StdError;
use std::io;

use faultline_record::FailureClass;

/// The class of an I/O error.
pub fn io_class(e: &io::Error) -> FailureClass {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => FailureClass::Refused,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::NotConnected => FailureClass::Reset,
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => FailureClass::Timeout,
        _ => match e.raw_os_error() {
            Some(code) if code == libc::EHOSTUNREACH || code == libc::ENETUNREACH => {
                FailureClass::Refused
            }
            _ => FailureClass::Other,
        },
    }
}

/// The class of any error, from the first I/O error in its chain; `fallback` when it
/// has none.
pub fn chain_class(e: &(dyn StdError + 'static), fallback: FailureClass) -> FailureClass {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            return io_class(io);
        }
        cur = err.source();
    }
    fallback
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_and_reset_are_told_apart() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(io_class(&refused), FailureClass::Refused);
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(
            chain_class(&reset, FailureClass::Other),
            FailureClass::Reset
        );
    }
}
