//! An incremental HTTP/1.x request framer for the `http_status` toxic.
//!
//! It splits a client's byte stream into request heads and bodies (by `Content-Length` or
//! chunked transfer encoding) without copying bodies, so the toxic can answer a request
//! itself and drop exactly that request's bytes. Traffic that does not look like HTTP/1.x
//! is passed through untouched ("opaque") from then on.

use bytes::{Bytes, BytesMut};

/// Longest request head the framer buffers before giving up and passing traffic through.
const HEAD_BYTES_MAX: usize = 64 * 1024;
/// Longest method token accepted as HTTP.
const METHOD_BYTES_MAX: usize = 16;

/// A piece of the client's stream.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A complete request head (request line and headers, through the blank line).
    Head(Bytes),
    /// Bytes of the body of the request whose head came last (including chunk framing).
    Body(Bytes),
    /// Bytes that are not HTTP/1.x as far as the framer can tell.
    Opaque(Bytes),
}

#[derive(Debug)]
enum State {
    Head,
    Body { remaining: u64 },
    ChunkSize { line: Vec<u8> },
    ChunkData { remaining: u64 },
    Trailer { line: Vec<u8> },
    Opaque,
}

/// Frames requests out of a byte stream; feed it with [`RequestFramer::push`].
#[derive(Debug)]
pub(crate) struct RequestFramer {
    state: State,
    head: BytesMut,
}

impl Default for RequestFramer {
    fn default() -> Self {
        Self {
            state: State::Head,
            head: BytesMut::new(),
        }
    }
}

impl RequestFramer {
    /// Consumes `data` and returns the segments it completes, in order.
    pub(crate) fn push(&mut self, mut data: Bytes) -> Vec<Segment> {
        let mut out = Vec::new();
        while !data.is_empty() {
            match &mut self.state {
                State::Opaque => {
                    out.push(Segment::Opaque(data));
                    break;
                }
                State::Head => {
                    let search_from = self.head.len().saturating_sub(3);
                    self.head.extend_from_slice(&data);
                    data = Bytes::new();
                    match find(&self.head[search_from..], b"\r\n\r\n") {
                        Some(pos) => {
                            let end = search_from + pos + 4;
                            let head = self.head.split_to(end).freeze();
                            data = self.head.split().freeze();
                            self.state = body_state(&head);
                            out.push(Segment::Head(head));
                        }
                        None => {
                            if self.head.len() > HEAD_BYTES_MAX || !looks_like_request(&self.head) {
                                self.state = State::Opaque;
                                out.push(Segment::Opaque(self.head.split().freeze()));
                            }
                        }
                    }
                }
                State::Body { remaining } | State::ChunkData { remaining } => {
                    let n = (*remaining).min(data.len() as u64) as usize;
                    *remaining -= n as u64;
                    out.push(Segment::Body(data.split_to(n)));
                    if *remaining == 0 {
                        self.state = match self.state {
                            State::ChunkData { .. } => State::ChunkSize { line: Vec::new() },
                            _ => State::Head,
                        };
                    }
                }
                State::ChunkSize { line } | State::Trailer { line } => {
                    let (taken, complete) = match data.iter().position(|&b| b == b'\n') {
                        Some(i) => (data.split_to(i + 1), true),
                        None => (std::mem::take(&mut data), false),
                    };
                    line.extend_from_slice(&taken);
                    out.push(Segment::Body(taken));
                    if line.len() > HEAD_BYTES_MAX {
                        self.state = State::Opaque;
                        continue;
                    }
                    if !complete {
                        continue;
                    }
                    let text = String::from_utf8_lossy(line).trim().to_string();
                    self.state = match self.state {
                        State::ChunkSize { .. } => {
                            let size_text = text.split(';').next().unwrap_or("").trim();
                            match u64::from_str_radix(size_text, 16) {
                                Ok(0) => State::Trailer { line: Vec::new() },
                                // Chunk data is followed by CRLF.
                                Ok(size) => State::ChunkData {
                                    remaining: size.saturating_add(2),
                                },
                                Err(_) => State::Opaque,
                            }
                        }
                        _ if text.is_empty() => State::Head,
                        _ => State::Trailer { line: Vec::new() },
                    };
                }
            }
        }
        out
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether the buffered start of a request can still be HTTP/1.x: an upper-case method
/// token followed by a space.
fn looks_like_request(buf: &[u8]) -> bool {
    let token_len = buf.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if token_len == buf.len() {
        return token_len <= METHOD_BYTES_MAX;
    }
    token_len > 0 && token_len <= METHOD_BYTES_MAX && buf[token_len] == b' '
}

/// How the body after this head is delimited.
fn body_state(head: &[u8]) -> State {
    let text = String::from_utf8_lossy(head);
    let mut content_length = 0u64;
    for line in text.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            return State::ChunkSize { line: Vec::new() };
        }
        if name.eq_ignore_ascii_case("content-length") {
            match value.parse() {
                Ok(n) => content_length = n,
                Err(_) => return State::Opaque,
            }
        }
    }
    if content_length == 0 {
        State::Head
    } else {
        State::Body {
            remaining: content_length,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(chunks: &[&'static [u8]]) -> Vec<Segment> {
        let mut framer = RequestFramer::default();
        chunks
            .iter()
            .flat_map(|c| framer.push(Bytes::from_static(c)))
            .collect()
    }

    fn kinds(segments: &[Segment]) -> String {
        segments
            .iter()
            .map(|s| match s {
                Segment::Head(b) => format!("H{}", b.len()),
                Segment::Body(b) => format!("B{}", b.len()),
                Segment::Opaque(b) => format!("O{}", b.len()),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn frames_keep_alive_requests_split_anywhere() {
        let req = b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n\r\n";
        let segments = frame(&[&req[..10], &req[10..41], &req[41..]]);
        assert_eq!(kinds(&segments), "H39 B2 B1 H19");
    }

    #[test]
    fn frames_chunked_bodies() {
        let req: &'static [u8] =
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n";
        let segments = frame(&[req]);
        let body: usize = segments
            .iter()
            .map(|s| match s {
                Segment::Body(b) => b.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(body, b"3\r\nabc\r\n0\r\n\r\n".len());
        assert!(matches!(segments.last(), Some(Segment::Head(h)) if h.starts_with(b"GET")));
    }

    #[test]
    fn non_http_passes_through() {
        let segments = frame(&[b"\x16\x03\x01binary", b"more"]);
        assert_eq!(kinds(&segments), "O9 O4");
    }
}
