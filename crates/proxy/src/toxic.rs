//! Toxic configuration: the kinds of toxics, their attributes, and their Toxiproxy JSON form.
//!
//! A toxic is `{name, type, stream, toxicity, attributes{...}}` exactly as in Toxiproxy v2.
//! Attribute names and units are Toxiproxy's for its seven toxics; the extra toxics
//! (`blackhole`, `loss`, `flap`, `http_status`) follow the same style.

use serde_json::{Map, Value};

use crate::error::ProxyError;

/// Direction of traffic a toxic acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Client to upstream server (requests).
    Upstream,
    /// Upstream server to client (responses). Toxiproxy's default.
    Downstream,
}

impl Stream {
    /// The Toxiproxy spelling: `upstream` or `downstream`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Upstream => "upstream",
            Stream::Downstream => "downstream",
        }
    }

    /// Parses Toxiproxy's spelling.
    pub fn parse(text: &str) -> Result<Self, ProxyError> {
        match text {
            "upstream" => Ok(Stream::Upstream),
            "downstream" => Ok(Stream::Downstream),
            other => Err(ProxyError::bad_request(format!(
                "stream was invalid, can be either upstream or downstream (got {other:?})"
            ))),
        }
    }
}

/// The kind of a toxic with its attributes. Units are in the field names.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ToxicKind {
    /// `latency`: delays every chunk by `latency` ms, plus or minus up to `jitter` ms.
    Latency {
        /// Added delay (attribute `latency`, ms).
        latency_ms: u64,
        /// Random variation of the delay (attribute `jitter`, ms).
        jitter_ms: u64,
    },
    /// `bandwidth`: limits the rate to `rate` KB/s (1 KB = 1000 bytes); 0 means unlimited.
    Bandwidth {
        /// Rate (attribute `rate`, KB/s).
        rate_kb_per_s: u64,
    },
    /// `slow_close`: delays the close (FIN) of the stream by `delay` ms.
    SlowClose {
        /// Close delay (attribute `delay`, ms).
        delay_ms: u64,
    },
    /// `timeout`: stops all data and closes the connection after `timeout` ms; with 0 the
    /// connection stays open and data is held until the toxic is removed.
    Timeout {
        /// Time before the close (attribute `timeout`, ms).
        timeout_ms: u64,
    },
    /// `reset_peer`: resets the connection (TCP RST) after `timeout` ms (0: at once).
    ResetPeer {
        /// Time before the reset (attribute `timeout`, ms).
        timeout_ms: u64,
    },
    /// `slicer`: slices data into pieces of `average_size` ± `size_variation` bytes, with
    /// `delay` µs between pieces.
    Slicer {
        /// Mean piece size (attribute `average_size`, bytes).
        average_size_bytes: u64,
        /// Variation of the piece size (attribute `size_variation`, bytes).
        size_variation_bytes: u64,
        /// Delay between pieces (attribute `delay`, µs).
        delay_us: u64,
    },
    /// `limit_data`: closes the connection once `bytes` bytes have passed.
    LimitData {
        /// Byte budget of the stream (attribute `bytes`).
        bytes: u64,
    },
    /// `blackhole` (faultline): accepts and reads everything, forwards nothing. One toxic per
    /// direction; both directions make a full partition.
    Blackhole,
    /// `loss` (faultline): segment loss as a TCP user sees it. Data is cut into segments of
    /// `segment_size` bytes; each transmission is lost with `probability`, and a lost segment
    /// stalls the stream for a retransmission timeout that doubles per retry (starting at
    /// `retransmit`). After `max_retries` consecutive losses of one segment the connection is
    /// reset (0: never).
    Loss {
        /// Probability that one transmission of a segment is lost (attribute `probability`, 0..=1).
        probability: f64,
        /// First retransmission timeout (attribute `retransmit`, ms; default 200, Linux's minimum RTO).
        retransmit_ms: u64,
        /// Consecutive losses of one segment before the connection is reset
        /// (attribute `max_retries`; default 0 = never reset).
        max_retries: u32,
        /// Segment size (attribute `segment_size`, bytes; default 1460).
        segment_size_bytes: u64,
    },
    /// `flap` (faultline): cycles down for `down` ms then up for `up` ms, starting down when
    /// the toxic is added. Going down resets affected connections; connections opened while
    /// down are reset at once.
    Flap {
        /// Length of a down phase (attribute `down`, ms).
        down_ms: u64,
        /// Length of an up phase (attribute `up`, ms).
        up_ms: u64,
    },
    /// `http_status` (faultline, upstream stream): answers HTTP/1.x requests with `status`
    /// instead of forwarding them — the first `first_n` requests after the toxic was added
    /// (counted over all connections), or, when `first_n` is 0, each request with
    /// `probability`.
    HttpStatus {
        /// Status code of the answer (attribute `status`; default 503).
        status: u16,
        /// Share of requests answered (attribute `probability`, 0..=1; default 1).
        probability: f64,
        /// Answer only the first N requests (attribute `first_n`; default 0 = use `probability`).
        first_n: u64,
        /// Response body (attribute `body`; default `faultline: injected <status>\n`).
        body: String,
    },
}

/// Longest duration any toxic attribute may hold: 7 days, in ms. Keeps every computed
/// release time far from overflowing.
pub const DURATION_MS_MAX: u64 = 7 * 24 * 3600 * 1000;

/// The names of all toxic types, as accepted in the `type` field.
pub const TOXIC_TYPES: &[&str] = &[
    "latency",
    "bandwidth",
    "slow_close",
    "timeout",
    "reset_peer",
    "slicer",
    "limit_data",
    "blackhole",
    "loss",
    "flap",
    "http_status",
];

impl ToxicKind {
    /// The Toxiproxy `type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            ToxicKind::Latency { .. } => "latency",
            ToxicKind::Bandwidth { .. } => "bandwidth",
            ToxicKind::SlowClose { .. } => "slow_close",
            ToxicKind::Timeout { .. } => "timeout",
            ToxicKind::ResetPeer { .. } => "reset_peer",
            ToxicKind::Slicer { .. } => "slicer",
            ToxicKind::LimitData { .. } => "limit_data",
            ToxicKind::Blackhole => "blackhole",
            ToxicKind::Loss { .. } => "loss",
            ToxicKind::Flap { .. } => "flap",
            ToxicKind::HttpStatus { .. } => "http_status",
        }
    }

    /// The attributes object as Toxiproxy serialises it.
    pub fn attributes_json(&self) -> Map<String, Value> {
        let value = match self {
            ToxicKind::Latency {
                latency_ms,
                jitter_ms,
            } => serde_json::json!({ "latency": latency_ms, "jitter": jitter_ms }),
            ToxicKind::Bandwidth { rate_kb_per_s } => serde_json::json!({ "rate": rate_kb_per_s }),
            ToxicKind::SlowClose { delay_ms } => serde_json::json!({ "delay": delay_ms }),
            ToxicKind::Timeout { timeout_ms } | ToxicKind::ResetPeer { timeout_ms } => {
                serde_json::json!({ "timeout": timeout_ms })
            }
            ToxicKind::Slicer {
                average_size_bytes,
                size_variation_bytes,
                delay_us,
            } => serde_json::json!({
                "average_size": average_size_bytes,
                "size_variation": size_variation_bytes,
                "delay": delay_us,
            }),
            ToxicKind::LimitData { bytes } => serde_json::json!({ "bytes": bytes }),
            ToxicKind::Blackhole => serde_json::json!({}),
            ToxicKind::Loss {
                probability,
                retransmit_ms,
                max_retries,
                segment_size_bytes,
            } => serde_json::json!({
                "probability": probability,
                "retransmit": retransmit_ms,
                "max_retries": max_retries,
                "segment_size": segment_size_bytes,
            }),
            ToxicKind::Flap { down_ms, up_ms } => {
                serde_json::json!({ "down": down_ms, "up": up_ms })
            }
            ToxicKind::HttpStatus {
                status,
                probability,
                first_n,
                body,
            } => serde_json::json!({
                "status": status,
                "probability": probability,
                "first_n": first_n,
                "body": body,
            }),
        };
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// Builds a kind from a `type` name and an attributes object. Missing attributes take
    /// their defaults (0 for Toxiproxy's toxics, like Toxiproxy); unknown attributes and
    /// values of the wrong type are errors naming the valid ones.
    pub fn from_json(type_name: &str, attributes: &Map<String, Value>) -> Result<Self, ProxyError> {
        let attrs = Attrs {
            type_name,
            map: attributes,
        };
        let kind = match type_name {
            "latency" => {
                attrs.only(&["latency", "jitter"])?;
                ToxicKind::Latency {
                    latency_ms: attrs.millis("latency", 0)?,
                    jitter_ms: attrs.millis("jitter", 0)?,
                }
            }
            "bandwidth" => {
                attrs.only(&["rate"])?;
                ToxicKind::Bandwidth {
                    rate_kb_per_s: attrs.uint("rate", 0)?,
                }
            }
            "slow_close" => {
                attrs.only(&["delay"])?;
                ToxicKind::SlowClose {
                    delay_ms: attrs.millis("delay", 0)?,
                }
            }
            "timeout" => {
                attrs.only(&["timeout"])?;
                ToxicKind::Timeout {
                    timeout_ms: attrs.millis("timeout", 0)?,
                }
            }
            "reset_peer" => {
                attrs.only(&["timeout"])?;
                ToxicKind::ResetPeer {
                    timeout_ms: attrs.millis("timeout", 0)?,
                }
            }
            "slicer" => {
                attrs.only(&["average_size", "size_variation", "delay"])?;
                ToxicKind::Slicer {
                    average_size_bytes: attrs.uint("average_size", 0)?,
                    size_variation_bytes: attrs.uint("size_variation", 0)?,
                    delay_us: attrs.micros("delay", 0)?,
                }
            }
            "limit_data" => {
                attrs.only(&["bytes"])?;
                ToxicKind::LimitData {
                    bytes: attrs.uint("bytes", 0)?,
                }
            }
            "blackhole" => {
                attrs.only(&[])?;
                ToxicKind::Blackhole
            }
            "loss" => {
                attrs.only(&["probability", "retransmit", "max_retries", "segment_size"])?;
                let segment_size_bytes = attrs.uint("segment_size", 1460)?;
                if segment_size_bytes == 0 {
                    return Err(attrs.invalid("segment_size", "must be at least 1 byte"));
                }
                let max_retries = attrs.uint("max_retries", 0)?;
                ToxicKind::Loss {
                    probability: attrs.fraction("probability", 0.0)?,
                    retransmit_ms: attrs.millis("retransmit", 200)?,
                    max_retries: u32::try_from(max_retries)
                        .map_err(|_| attrs.invalid("max_retries", "must be at most 4294967295"))?,
                    segment_size_bytes,
                }
            }
            "flap" => {
                attrs.only(&["down", "up"])?;
                ToxicKind::Flap {
                    down_ms: attrs.millis("down", 0)?,
                    up_ms: attrs.millis("up", 0)?,
                }
            }
            "http_status" => {
                attrs.only(&["status", "probability", "first_n", "body"])?;
                let status = attrs.uint("status", 503)?;
                if !(100..=999).contains(&status) {
                    return Err(attrs.invalid("status", "must be an HTTP status code, 100..=999"));
                }
                let status = status as u16;
                let body = match attributes.get("body") {
                    None | Some(Value::Null) => format!("faultline: injected {status}\n"),
                    Some(Value::String(text)) => text.clone(),
                    Some(_) => return Err(attrs.invalid("body", "must be a string")),
                };
                ToxicKind::HttpStatus {
                    status,
                    probability: attrs.fraction("probability", 1.0)?,
                    first_n: attrs.uint("first_n", 0)?,
                    body,
                }
            }
            other => {
                return Err(ProxyError::bad_request(format!(
                    "invalid toxic type: {other:?}; valid types: {}",
                    TOXIC_TYPES.join(", ")
                )))
            }
        };
        Ok(kind)
    }
}

/// Typed access to a toxic's attributes object, with errors naming the toxic type.
struct Attrs<'a> {
    type_name: &'a str,
    map: &'a Map<String, Value>,
}

impl Attrs<'_> {
    fn invalid(&self, field: &str, what: &str) -> ProxyError {
        ProxyError::bad_request(format!(
            "invalid attribute {field:?} of toxic type {:?}: {what}",
            self.type_name
        ))
    }

    fn only(&self, allowed: &[&str]) -> Result<(), ProxyError> {
        for key in self.map.keys() {
            if !allowed.contains(&key.as_str()) {
                let valid = if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                };
                return Err(ProxyError::bad_request(format!(
                    "unknown attribute {key:?} for toxic type {:?}; valid attributes: {valid}",
                    self.type_name
                )));
            }
        }
        Ok(())
    }

    /// A non-negative integer; integral floats such as `200.0` are accepted too.
    fn uint(&self, field: &str, default: u64) -> Result<u64, ProxyError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Number(n)) => {
                if let Some(v) = n.as_u64() {
                    return Ok(v);
                }
                match n.as_f64() {
                    Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e15 => Ok(f as u64),
                    _ => {
                        Err(self
                            .invalid(field, &format!("must be a non-negative integer, got {n}")))
                    }
                }
            }
            Some(other) => Err(self.invalid(
                field,
                &format!("must be a non-negative integer, got {other}"),
            )),
        }
    }

    /// A duration in ms, at most [`DURATION_MS_MAX`].
    fn millis(&self, field: &str, default: u64) -> Result<u64, ProxyError> {
        let value = self.uint(field, default)?;
        if value > DURATION_MS_MAX {
            return Err(self.invalid(
                field,
                &format!("must be at most {DURATION_MS_MAX} ms (7 days), got {value}"),
            ));
        }
        Ok(value)
    }

    /// A duration in µs, at most [`DURATION_MS_MAX`] × 1000.
    fn micros(&self, field: &str, default: u64) -> Result<u64, ProxyError> {
        let value = self.uint(field, default)?;
        if value > DURATION_MS_MAX * 1000 {
            return Err(self.invalid(
                field,
                &format!(
                    "must be at most {} µs (7 days), got {value}",
                    DURATION_MS_MAX * 1000
                ),
            ));
        }
        Ok(value)
    }

    /// A number in 0..=1.
    fn fraction(&self, field: &str, default: f64) -> Result<f64, ProxyError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(f) if (0.0..=1.0).contains(&f) => Ok(f),
                _ => Err(self.invalid(field, &format!("must be a number in 0..=1, got {n}"))),
            },
            Some(other) => {
                Err(self.invalid(field, &format!("must be a number in 0..=1, got {other}")))
            }
        }
    }
}

/// A toxic: name, kind with attributes, stream and toxicity.
#[derive(Clone, Debug, PartialEq)]
pub struct ToxicConfig {
    /// Unique name within its proxy; Toxiproxy's default is `<type>_<stream>`.
    pub name: String,
    /// What the toxic does, with its attributes.
    pub kind: ToxicKind,
    /// The direction it acts on.
    pub stream: Stream,
    /// Share of connections affected, 0..=1 (rolled once per connection).
    pub toxicity: f64,
}

impl ToxicConfig {
    /// A toxic affecting every connection, named `<type>_<stream>`.
    pub fn new(kind: ToxicKind, stream: Stream) -> Self {
        let name = format!("{}_{}", kind.type_name(), stream.as_str());
        Self {
            name,
            kind,
            stream,
            toxicity: 1.0,
        }
    }

    /// The same toxic with another name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The same toxic with another toxicity (share of connections affected, 0..=1).
    pub fn with_toxicity(mut self, toxicity: f64) -> Self {
        self.toxicity = toxicity;
        self
    }

    /// Checks what the constructors cannot: attribute ranges (the same checks as the JSON
    /// API), toxicity in 0..=1, a non-empty name, and the stream `http_status` needs.
    pub fn validate(&self) -> Result<(), ProxyError> {
        ToxicKind::from_json(self.kind.type_name(), &self.kind.attributes_json())?;
        if !(0.0..=1.0).contains(&self.toxicity) {
            return Err(ProxyError::bad_request(format!(
                "toxicity must be a number in 0..=1, got {}",
                self.toxicity
            )));
        }
        if self.name.is_empty() {
            return Err(ProxyError::missing_field("name"));
        }
        if matches!(self.kind, ToxicKind::HttpStatus { .. }) && self.stream != Stream::Upstream {
            return Err(ProxyError::bad_request(
                "toxic type \"http_status\" acts on requests: its stream must be \"upstream\"",
            ));
        }
        Ok(())
    }

    /// The Toxiproxy JSON form: `{name, type, stream, toxicity, attributes}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "name": self.name,
            "type": self.kind.type_name(),
            "stream": self.stream.as_str(),
            "toxicity": self.toxicity,
            "attributes": self.kind.attributes_json(),
        })
    }

    /// Parses a toxic create request. Like Toxiproxy: `type` is required, `stream` defaults
    /// to `downstream` (`upstream` for `http_status`, which only works there), `toxicity` to
    /// 1 and `name` to `<type>_<stream>`.
    pub fn from_json(value: &Value) -> Result<Self, ProxyError> {
        let obj = value
            .as_object()
            .ok_or_else(|| ProxyError::bad_request("bad request body: expected a JSON object"))?;
        const FIELDS: &[&str] = &["name", "type", "stream", "toxicity", "attributes"];
        if let Some(key) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(ProxyError::bad_request(format!(
                "unknown field {key:?} in toxic; valid fields: {}",
                FIELDS.join(", ")
            )));
        }
        let type_name = match obj.get("type") {
            Some(Value::String(t)) if !t.is_empty() => t.as_str(),
            None | Some(Value::Null) => return Err(ProxyError::missing_field("type")),
            Some(other) => {
                return Err(ProxyError::bad_request(format!(
                    "field \"type\" must be a string, got {other}"
                )))
            }
        };
        let stream = match obj.get("stream") {
            None | Some(Value::Null) if type_name == "http_status" => Stream::Upstream,
            None | Some(Value::Null) => Stream::Downstream,
            Some(Value::String(s)) if s.is_empty() => Stream::Downstream,
            Some(Value::String(s)) => Stream::parse(s)?,
            Some(other) => Stream::parse(&other.to_string())?,
        };
        let empty = Map::new();
        let attributes = match obj.get("attributes") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(map)) => map,
            Some(other) => {
                return Err(ProxyError::bad_request(format!(
                    "field \"attributes\" must be an object, got {other}"
                )))
            }
        };
        let kind = ToxicKind::from_json(type_name, attributes)?;
        let mut config = ToxicConfig::new(kind, stream);
        match obj.get("name") {
            None | Some(Value::Null) => {}
            Some(Value::String(n)) if n.is_empty() => {}
            Some(Value::String(n)) => config.name = n.clone(),
            Some(other) => {
                return Err(ProxyError::bad_request(format!(
                    "field \"name\" must be a string, got {other}"
                )))
            }
        }
        match obj.get("toxicity") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) => config.toxicity = n.as_f64().unwrap_or(-1.0),
            Some(other) => {
                return Err(ProxyError::bad_request(format!(
                    "field \"toxicity\" must be a number in 0..=1, got {other}"
                )))
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Applies a Toxiproxy toxic update (`{"toxicity": .., "attributes": {..}}`): given
    /// attributes replace the current ones, the others keep their values. Name, type and
    /// stream cannot change; if given they must match.
    pub fn updated(&self, value: &Value) -> Result<Self, ProxyError> {
        let obj = value
            .as_object()
            .ok_or_else(|| ProxyError::bad_request("bad request body: expected a JSON object"))?;
        let mut merged = self.to_json();
        if let Some(attrs) = obj.get("attributes") {
            let Some(attrs) = attrs.as_object() else {
                return Err(ProxyError::bad_request(format!(
                    "field \"attributes\" must be an object, got {attrs}"
                )));
            };
            if let Some(Value::Object(current)) = merged.get_mut("attributes") {
                for (k, v) in attrs {
                    current.insert(k.clone(), v.clone());
                }
            }
        }
        for key in ["toxicity", "name", "type", "stream"] {
            if let Some(v) = obj.get(key) {
                if key != "toxicity" && merged.get(key) != Some(v) {
                    return Err(ProxyError::bad_request(format!(
                        "field {key:?} of a toxic cannot be changed (is {}, got {v}); delete and re-create it",
                        merged[key]
                    )));
                }
                merged[key] = v.clone();
            }
        }
        Self::from_json(&merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_match_toxiproxy() {
        let t = ToxicConfig::from_json(&json!({"type": "latency", "attributes": {"latency": 100}}))
            .expect("valid");
        assert_eq!(t.name, "latency_downstream");
        assert_eq!(t.stream, Stream::Downstream);
        assert_eq!(t.toxicity, 1.0);
        assert_eq!(
            t.kind,
            ToxicKind::Latency {
                latency_ms: 100,
                jitter_ms: 0
            }
        );
        let j = t.to_json();
        assert_eq!(j["attributes"], json!({"latency": 100, "jitter": 0}));
        assert_eq!(j["type"], "latency");
    }

    #[test]
    fn http_status_defaults_to_upstream_and_rejects_downstream() {
        let t = ToxicConfig::from_json(&json!({"type": "http_status"})).expect("valid");
        assert_eq!(t.stream, Stream::Upstream);
        assert_eq!(t.name, "http_status_upstream");
        let err = ToxicConfig::from_json(&json!({"type": "http_status", "stream": "downstream"}))
            .expect_err("downstream is invalid");
        assert_eq!(err.status_code(), 400);
    }

    #[test]
    fn bad_input_is_a_400_naming_what_is_valid() {
        let cases = [
            json!({"type": "nope"}),
            json!({"type": "latency", "stream": "sideways"}),
            json!({"type": "latency", "attributes": {"latencyy": 1}}),
            json!({"type": "latency", "attributes": {"latency": -5}}),
            json!({"type": "latency", "toxicity": 1.5}),
            json!({"type": "loss", "attributes": {"probability": 2}}),
            json!({"type": "latency", "attributes": {"latency": u64::MAX}}),
            json!({"type": "slicer", "attributes": {"delay": u64::MAX}}),
            json!({"attributes": {}}),
            json!([1, 2]),
        ];
        for case in cases {
            let err = ToxicConfig::from_json(&case).expect_err("must be rejected");
            assert_eq!(err.status_code(), 400, "{case}: {err}");
        }
        let err = ToxicConfig::from_json(&json!({"type": "latency", "attributes": {"x": 1}}))
            .expect_err("unknown attribute");
        assert!(err.message().contains("latency, jitter"), "{err}");
    }

    #[test]
    fn update_merges_attributes_and_keeps_identity() {
        let t = ToxicConfig::from_json(
            &json!({"type": "latency", "attributes": {"latency": 100, "jitter": 5}}),
        )
        .expect("valid");
        let u = t
            .updated(&json!({"attributes": {"latency": 300}, "toxicity": 0.5}))
            .expect("valid update");
        assert_eq!(
            u.kind,
            ToxicKind::Latency {
                latency_ms: 300,
                jitter_ms: 5
            }
        );
        assert_eq!(u.toxicity, 0.5);
        assert_eq!(u.name, t.name);
        assert!(t.updated(&json!({"type": "bandwidth"})).is_err());
    }

    #[test]
    fn rust_api_configs_get_the_same_range_checks() {
        let too_long = ToxicConfig::new(
            ToxicKind::Latency {
                latency_ms: u64::MAX,
                jitter_ms: 0,
            },
            Stream::Downstream,
        );
        assert_eq!(
            too_long.validate().expect_err("out of range").status_code(),
            400
        );
        let no_segment = ToxicConfig::new(
            ToxicKind::Loss {
                probability: 0.1,
                retransmit_ms: 200,
                max_retries: 0,
                segment_size_bytes: 0,
            },
            Stream::Upstream,
        );
        assert!(no_segment.validate().is_err());
    }

    #[test]
    fn integral_floats_are_accepted_like_integers() {
        let t =
            ToxicConfig::from_json(&json!({"type": "bandwidth", "attributes": {"rate": 100.0}}))
                .expect("valid");
        assert_eq!(t.kind, ToxicKind::Bandwidth { rate_kb_per_s: 100 });
    }
}
