//! HTTP/1.1 and HTTP/2 targets: a write request and a read-back request per key.

use std::time::Duration;

use bytes::Bytes;
use faultline_record::FailureClass;
use faultline_spec::{HttpRequest, HttpTarget, HttpVersion};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2;
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use super::classify::{chain_class, io_class};
use super::h1::H1Conn;
use super::pool::{Pool, SessionId};
use crate::error::LiveError;

enum Sender {
    /// HTTP/1.1: the small client of [`super::h1`], driven by the operation's task.
    H1(H1Conn),
    /// HTTP/2: hyper's client.
    H2(http2::SendRequest<Full<Bytes>>),
}

impl Sender {
    fn is_closed(&self) -> bool {
        match self {
            Sender::H1(c) => !c.reusable(),
            Sender::H2(s) => s.is_closed(),
        }
    }
}

/// A request template with its variables replaced on use.
#[derive(Debug, Clone)]
struct Template {
    method: hyper::Method,
    path: String,
    headers: Vec<(hyper::header::HeaderName, String)>,
    body: String,
    expect_status: Vec<u16>,
    expect_body: Option<String>,
}

impl Template {
    fn new(req: &HttpRequest, what: &str) -> Result<Self, LiveError> {
        let method = req.method.to_ascii_uppercase().parse().map_err(|_| {
            LiveError::config(format!(
                "{what}.method: `{}` is not an HTTP method (e.g. GET, PUT, POST)",
                req.method
            ))
        })?;
        if !req.path.starts_with('/') {
            return Err(LiveError::config(format!(
                "{what}.path: `{}` must start with `/`",
                req.path
            )));
        }
        let mut headers = Vec::new();
        for (name, value) in &req.headers {
            let name = name.parse().map_err(|_| {
                LiveError::config(format!("{what}.headers: `{name}` is not a header name"))
            })?;
            headers.push((name, value.clone()));
        }
        Ok(Self {
            method,
            path: req.path.clone(),
            headers,
            body: req.body.clone().unwrap_or_default(),
            expect_status: req.expect_status.clone(),
            expect_body: req.expect_body.clone(),
        })
    }
}

fn fill(text: &str, key: &str, id: u64, value: &str) -> String {
    if !text.contains('{') {
        return text.to_string();
    }
    text.replace("{key}", key)
        .replace("{id}", &id.to_string())
        .replace("{value}", value)
}

/// An HTTP target.
pub struct HttpClient {
    authority: String,
    version: HttpVersion,
    write: Template,
    read: Template,
    pool: Pool<Sender>,
}

/// `host:port` of an `http://` base URL.
pub fn authority_of(base: &str) -> Result<String, LiveError> {
    let rest = base.strip_prefix("http://").ok_or_else(|| {
        LiveError::config(format!(
            "base: `{base}` must start with `http://` (TLS is not supported yet)"
        ))
    })?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(LiveError::config(format!("base: `{base}` has no host")));
    }
    Ok(if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    })
}

impl HttpClient {
    /// A client for `target` (no connection is opened yet).
    pub fn new(target: &HttpTarget) -> Result<Self, LiveError> {
        let write = target.write.clone().unwrap_or(HttpRequest {
            method: "PUT".into(),
            path: "/kv/{key}".into(),
            headers: Default::default(),
            body: Some("{value}".into()),
            expect_status: Vec::new(),
            expect_body: None,
        });
        let read = target.read.clone().unwrap_or(HttpRequest {
            method: "GET".into(),
            path: "/kv/{key}".into(),
            headers: Default::default(),
            body: None,
            expect_status: Vec::new(),
            expect_body: None,
        });
        Ok(Self {
            authority: authority_of(&target.base)?,
            version: target.version,
            write: Template::new(&write, "write")?,
            read: Template::new(&read, "read")?,
            pool: Pool::new(target.connections.unwrap_or(64)),
        })
    }

    /// Where requests go, for the record.
    pub fn describe(&self) -> String {
        format!("http://{}", self.authority)
    }

    async fn connect_h2(&self) -> Result<Sender, FailureClass> {
        let stream = TcpStream::connect(&self.authority)
            .await
            .map_err(|e| io_class(&e))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .map_err(|e| chain_class(&e, FailureClass::Reset))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Sender::H2(sender))
    }

    /// The bytes of an HTTP/1.1 request.
    fn h1_request(&self, template: &Template, key: &str, id: u64, value: &str) -> Vec<u8> {
        let body = fill(&template.body, key, id, value);
        let mut out = Vec::with_capacity(128 + body.len());
        out.extend_from_slice(template.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(fill(&template.path, key, id, value).as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        out.extend_from_slice(self.authority.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, text) in &template.headers {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(fill(text, key, id, value).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !body.is_empty() || !matches!(template.method, hyper::Method::GET | hyper::Method::HEAD)
        {
            out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body.as_bytes());
        out
    }

    async fn send(
        &self,
        template: &Template,
        key: &str,
        id: u64,
        value: &str,
        timeout: Duration,
        session: Option<SessionId>,
    ) -> Result<(StatusCode, Bytes), FailureClass> {
        if matches!(self.version, HttpVersion::Http1) {
            let request = self.h1_request(template, key, id, value);
            let response = self
                .pool
                .run(session, timeout, async |reused: Option<Sender>| {
                    let mut conn = match reused.filter(|s| !s.is_closed()) {
                        Some(Sender::H1(c)) => c,
                        _ => H1Conn::connect(&self.authority).await?,
                    };
                    let response = conn.exchange(&request).await?;
                    let kept = conn.reusable().then_some(Sender::H1(conn));
                    Ok((kept, Ok(response)))
                })
                .await?;
            let status = StatusCode::from_u16(response.status).map_err(|_| FailureClass::Other)?;
            return Ok((status, Bytes::from(response.body)));
        }
        let mut builder = Request::builder().method(template.method.clone()).uri(fill(
            &template.path,
            key,
            id,
            value,
        ));
        for (name, text) in &template.headers {
            builder = builder.header(name, fill(text, key, id, value));
        }
        let body = Bytes::from(fill(&template.body, key, id, value));
        let request = builder
            .body(Full::new(body))
            .map_err(|_| FailureClass::Other)?;
        self.pool
            .run(session, timeout, async |reused: Option<Sender>| {
                let mut sender = match reused.filter(|s| !s.is_closed()) {
                    Some(Sender::H2(s)) => s,
                    _ => match self.connect_h2().await? {
                        Sender::H2(s) => s,
                        Sender::H1(_) => return Err(FailureClass::Other),
                    },
                };
                sender
                    .ready()
                    .await
                    .map_err(|e| chain_class(&e, FailureClass::Reset))?;
                let response = sender
                    .send_request(request)
                    .await
                    .map_err(|e| chain_class(&e, FailureClass::Reset))?;
                let status = response.status();
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| chain_class(&e, FailureClass::Reset))?
                    .to_bytes();
                Ok((Some(Sender::H2(sender)), Ok((status, body))))
            })
            .await
    }

    fn check(template: &Template, status: StatusCode, body: &[u8]) -> Result<(), FailureClass> {
        let status_ok = if template.expect_status.is_empty() {
            status.is_success()
        } else {
            template.expect_status.contains(&status.as_u16())
        };
        if !status_ok {
            return Err(if status.is_server_error() || status.is_success() {
                FailureClass::ServerError
            } else {
                FailureClass::Other
            });
        }
        if let Some(expect) = &template.expect_body {
            if !String::from_utf8_lossy(body).contains(expect.as_str()) {
                return Err(FailureClass::ServerError);
            }
        }
        Ok(())
    }

    /// Sends the write request.
    pub async fn write(
        &self,
        key: &str,
        id: u64,
        value: &str,
        timeout: Duration,
        session: Option<SessionId>,
    ) -> Result<(), FailureClass> {
        let (status, body) = self
            .send(&self.write, key, id, value, timeout, session)
            .await?;
        Self::check(&self.write, status, &body)
    }

    /// Sends the read request and checks the answer, without keeping the body.
    pub async fn read_check(
        &self,
        key: &str,
        timeout: Duration,
        session: Option<SessionId>,
    ) -> Result<(), FailureClass> {
        let (status, body) = self.send(&self.read, key, 0, "", timeout, session).await?;
        if status == StatusCode::NOT_FOUND && !self.read.expect_status.contains(&404) {
            return Ok(());
        }
        Self::check(&self.read, status, &body)
    }

    /// Sends the read request; `None` when the service answers 404.
    pub async fn read(&self, key: &str, timeout: Duration) -> Result<Option<String>, FailureClass> {
        let (status, body) = self.send(&self.read, key, 0, "", timeout, None).await?;
        if status == StatusCode::NOT_FOUND && !self.read.expect_status.contains(&404) {
            return Ok(None);
        }
        Self::check(&self.read, status, &body)?;
        Ok(Some(String::from_utf8_lossy(&body).into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_every_variable() {
        assert_eq!(fill("/kv/{key}?id={id}", "k1", 7, "v"), "/kv/k1?id=7");
        assert_eq!(fill("{value}", "k1", 7, "fl:7:k1"), "fl:7:k1");
    }

    #[test]
    fn base_urls_need_http_and_a_host() {
        assert_eq!(
            authority_of("http://127.0.0.1:8080").unwrap(),
            "127.0.0.1:8080"
        );
        assert_eq!(authority_of("http://svc/api").unwrap(), "svc:80");
        assert!(authority_of("https://svc").is_err());
        assert!(authority_of("http://").is_err());
    }
}
