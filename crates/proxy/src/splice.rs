//! Zero-copy forwarding on Linux: socket → pipe → socket with `splice(2)`, used by the
//! no-toxic fast path so bytes never enter user space.

#[cfg(target_os = "linux")]
mod imp {
    use super::Fill;
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

    /// Most bytes moved by one `splice` call (and the pipe size asked for).
    const SPLICE_BYTES_MAX: usize = 1024 * 1024;

    /// A pipe holding bytes read from the source and not yet written to the destination.
    pub(crate) struct Pipe {
        read_end: OwnedFd,
        write_end: OwnedFd,
        /// Bytes in the pipe.
        pub(crate) pending: usize,
    }

    impl Pipe {
        /// A non-blocking pipe, enlarged to 1 MiB where the system allows.
        pub(crate) fn new() -> io::Result<Self> {
            let mut fds = [0 as RawFd; 2];
            // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
            let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
            if rc != 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
            let (read_end, write_end) =
                unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
            // A bigger pipe moves more per call; failure only means smaller batches.
            // SAFETY: fcntl on a descriptor we own with an integer argument.
            unsafe {
                libc::fcntl(
                    write_end.as_raw_fd(),
                    libc::F_SETPIPE_SZ,
                    SPLICE_BYTES_MAX as libc::c_int,
                )
            };
            Ok(Self {
                read_end,
                write_end,
                pending: 0,
            })
        }

        /// Moves up to 1 MiB from the socket into the pipe. `Moved(0)` is end of stream;
        /// `Full` means the pipe has no room while the socket still has data (so the
        /// socket's readiness must not be cleared).
        pub(crate) fn fill_from(&mut self, socket: RawFd) -> io::Result<Fill> {
            match splice(socket, self.write_end.as_raw_fd(), SPLICE_BYTES_MAX) {
                Ok(n) => {
                    self.pending += n;
                    Ok(Fill::Moved(n))
                }
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        && self.pending > 0
                        && readable_bytes(socket) > 0 =>
                {
                    Ok(Fill::Full)
                }
                Err(e) => Err(e),
            }
        }

        /// Moves pending bytes from the pipe to the socket; returns how many moved.
        pub(crate) fn drain_to(&mut self, socket: RawFd) -> io::Result<usize> {
            let n = splice(self.read_end.as_raw_fd(), socket, self.pending)?;
            self.pending -= n;
            Ok(n)
        }
    }

    /// Bytes waiting in a socket's receive queue (0 if unknown).
    fn readable_bytes(socket: RawFd) -> usize {
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int through the pointer we pass.
        let rc = unsafe { libc::ioctl(socket, libc::FIONREAD, &mut n) };
        if rc == 0 {
            n.max(0) as usize
        } else {
            0
        }
    }

    fn splice(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
        // SAFETY: plain syscall on descriptors that stay open for the call; null offsets are
        // required for pipes and sockets.
        let n = unsafe {
            libc::splice(
                from,
                std::ptr::null_mut(),
                to,
                std::ptr::null_mut(),
                len,
                libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK,
            )
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}

/// Elsewhere there is no splice: the pipe cannot be created and the fast path copies
/// through user space instead.
#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;

    /// Never constructed off Linux.
    pub(crate) struct Pipe {
        pub(crate) pending: usize,
    }

    impl Pipe {
        pub(crate) fn new() -> io::Result<Self> {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "splice is Linux-only",
            ))
        }
        pub(crate) fn fill_from(&mut self, _socket: i32) -> io::Result<super::Fill> {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "splice is Linux-only",
            ))
        }
        pub(crate) fn drain_to(&mut self, _socket: i32) -> io::Result<usize> {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "splice is Linux-only",
            ))
        }
    }
}

pub(crate) use imp::Pipe;

/// What one fill of the pipe did.
pub(crate) enum Fill {
    /// Bytes moved from the socket into the pipe; 0 is end of stream.
    Moved(usize),
    /// The pipe is full and the socket still has data.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Full,
}
