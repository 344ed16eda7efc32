//! A small HTTP/1.1 client connection for the load generator's hot path: the request
//! is written and the answer read by the operation's own task (no connection task,
//! no channel between them), with one reused buffer per connection.
//!
//! It handles what an HTTP/1.1 server sends to a keep-alive client: a status line,
//! headers, and a body framed by `Content-Length`, `Transfer-Encoding: chunked`, or
//! (with `Connection: close`) the end of the stream.

use faultline_record::FailureClass;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::classify::io_class;

/// Largest response head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest response body accepted (bounded memory).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// One keep-alive HTTP/1.1 connection.
pub struct H1Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// The server said `Connection: close` (or framed a body by closing).
    closed: bool,
}

/// A response: status and body.
pub struct H1Response {
    /// Status code.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header_value<'a>(head: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    head.split(|b| *b == b'\n').skip(1).find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|b| *b == b':')?;
        line[..colon]
            .eq_ignore_ascii_case(name)
            .then(|| line[colon + 1..].trim_ascii())
    })
}

impl H1Conn {
    /// Opens a connection.
    pub async fn connect(authority: &str) -> Result<Self, FailureClass> {
        let stream = TcpStream::connect(authority)
            .await
            .map_err(|e| io_class(&e))?;
        let _ = stream.set_nodelay(true);
        Ok(Self {
            stream,
            buf: Vec::with_capacity(4096),
            closed: false,
        })
    }

    /// Whether the connection can carry another request.
    pub fn reusable(&self) -> bool {
        !self.closed
    }

    async fn fill(&mut self) -> Result<usize, FailureClass> {
        // Reads into spare capacity: no zeroing of the buffer per read.
        self.buf.reserve(8192);
        self.stream
            .read_buf(&mut self.buf)
            .await
            .map_err(|e| io_class(&e))
    }

    /// Sends `request` (a complete HTTP/1.1 request) and reads the response.
    pub async fn exchange(&mut self, request: &[u8]) -> Result<H1Response, FailureClass> {
        self.stream
            .write_all(request)
            .await
            .map_err(|e| io_class(&e))?;
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            if self.buf.len() > MAX_HEAD_BYTES {
                return Err(FailureClass::Other);
            }
            if self.fill().await? == 0 {
                return Err(FailureClass::Reset);
            }
        };
        let head = &self.buf[..head_end];
        if head.len() < 12 || !head.starts_with(b"HTTP/1.") {
            return Err(FailureClass::Other);
        }
        let status: u16 = std::str::from_utf8(&head[9..12])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(FailureClass::Other)?;
        let close =
            header_value(head, b"connection").is_some_and(|v| v.eq_ignore_ascii_case(b"close"));
        let chunked = header_value(head, b"transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case(b"chunked"));
        let length = header_value(head, b"content-length")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.parse::<usize>().ok());
        self.closed = close;
        let no_body = status / 100 == 1 || status == 204 || status == 304;
        let body = if no_body {
            Vec::new()
        } else if chunked {
            self.read_chunked(head_end).await?
        } else if let Some(len) = length {
            if len > MAX_BODY_BYTES {
                return Err(FailureClass::Other);
            }
            while self.buf.len() < head_end + len {
                if self.fill().await? == 0 {
                    return Err(FailureClass::Reset);
                }
            }
            self.buf[head_end..head_end + len].to_vec()
        } else {
            // Framed by the end of the stream.
            self.closed = true;
            while self.fill().await? > 0 {
                if self.buf.len() > head_end + MAX_BODY_BYTES {
                    return Err(FailureClass::Other);
                }
            }
            self.buf[head_end..].to_vec()
        };
        Ok(H1Response { status, body })
    }

    async fn read_chunked(&mut self, mut pos: usize) -> Result<Vec<u8>, FailureClass> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf[pos..], b"\r\n") {
                    break pos + i;
                }
                if self.fill().await? == 0 {
                    return Err(FailureClass::Reset);
                }
            };
            let size_text =
                std::str::from_utf8(&self.buf[pos..line_end]).map_err(|_| FailureClass::Other)?;
            let size_hex = size_text.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_hex, 16).map_err(|_| FailureClass::Other)?;
            let data_start = line_end + 2;
            // Data plus its CRLF (or, for the last chunk, the final CRLF).
            while self.buf.len() < data_start + size + 2 {
                if self.fill().await? == 0 {
                    return Err(FailureClass::Reset);
                }
            }
            if size == 0 {
                return Ok(body);
            }
            if body.len() + size > MAX_BODY_BYTES {
                return Err(FailureClass::Other);
            }
            body.extend_from_slice(&self.buf[data_start..data_start + size]);
            pos = data_start + size + 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    async fn serve_once(replies: &'static [&'static [u8]]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            for reply in replies {
                let _ = s.read(&mut buf).await;
                s.write_all(reply).await.unwrap();
            }
        });
        addr
    }

    #[tokio::test]
    async fn content_length_chunked_and_empty_bodies_are_read() {
        let addr = serve_once(&[
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nfl:\r\n2\r\n42\r\n0\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 503 Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
        ])
        .await;
        let mut c = H1Conn::connect(&addr).await.unwrap();
        let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let r = c.exchange(req).await.unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
        let r = c.exchange(req).await.unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"fl:42"[..]));
        let r = c.exchange(req).await.unwrap();
        assert_eq!((r.status, r.body.len()), (204, 0));
        let r = c.exchange(req).await.unwrap();
        assert_eq!(r.status, 503);
        assert!(!c.reusable());
    }

    #[tokio::test]
    async fn a_connection_closed_mid_answer_is_a_reset() {
        let addr = serve_once(&[b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort"]).await;
        let mut c = H1Conn::connect(&addr).await.unwrap();
        let err = c.exchange(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.err();
        assert_eq!(err, Some(FailureClass::Reset));
    }
}
