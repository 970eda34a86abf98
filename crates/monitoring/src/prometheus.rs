//! A client of Prometheus' HTTP API (`/api/v1/query_range`, `/api/v1/query`,
//! `/api/v1/status/buildinfo`), for anything that answers it: Prometheus,
//! Thanos, Mimir, VictoriaMetrics.
//!
//! Errors keep Prometheus' own message for a bad query (what a person wrote
//! wrong is best said by the server that parsed it) and say per kind whether
//! trying again may help ([`PromError::is_retryable`]). Answers are read up
//! to [`MAX_BODY`], so a runaway query cannot take the workstation's memory.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

/// Prometheus refuses a range query with more points than this per series.
pub const MAX_POINTS: i64 = 11_000;

/// The largest answer read, in bytes (a 10-series, 11,000-point range is
/// about 4 MB).
pub const MAX_BODY: usize = 128 * 1024 * 1024;

/// How long to wait for an answer unless the source says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// One sample: milliseconds since the epoch and a value (`NaN` and
/// infinities are kept as Prometheus sent them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Unix time in milliseconds.
    pub t: i64,
    /// The value.
    pub v: f64,
}

/// A labelled series of points in time order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Its labels, `__name__` included when Prometheus kept it.
    pub labels: BTreeMap<String, String>,
    /// Its points, oldest first.
    pub points: Vec<Point>,
}

impl Series {
    /// How the series is named in legends and CSV: `name{a="b", ...}`,
    /// leaving out `omit` (labels every series of a chart shares).
    pub fn display_name(&self, omit: &[&str]) -> String {
        let name = self.labels.get("__name__").cloned().unwrap_or_default();
        let rest: Vec<String> = self
            .labels
            .iter()
            .filter(|(k, _)| k.as_str() != "__name__" && !omit.contains(&k.as_str()))
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        match (name.is_empty(), rest.is_empty()) {
            (true, true) => "{}".to_string(),
            (false, true) => name,
            (_, false) => format!("{name}{{{}}}", rest.join(", ")),
        }
    }
}

/// How a source proves who is asking.
#[derive(Clone)]
pub enum Credential {
    /// No credential.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(SecretString),
    /// HTTP basic auth.
    Basic {
        /// The user.
        username: String,
        /// The password.
        password: SecretString,
    },
}

/// How to reach a source.
#[derive(Clone)]
pub struct Endpoint {
    /// The source's name, for messages.
    pub name: String,
    /// The base URL (a path prefix such as `/prometheus` is kept).
    pub url: Url,
    /// Its credential.
    pub credential: Credential,
    /// A PEM file of CA certificates to trust instead of the system's.
    pub ca_file: Option<std::path::PathBuf>,
    /// Accept any certificate.
    pub insecure_skip_tls_verify: bool,
    /// How long to wait for an answer.
    pub timeout: Duration,
}

/// What went wrong talking to a source.
#[derive(Debug, thiserror::Error)]
pub enum PromError {
    /// Nothing answered (refused, reset, DNS): the source may be down.
    #[error(
        "cannot reach Prometheus source `{source_name}` at {url}: {reason}; check that it runs and the URL is right (`switchyard sources check`)"
    )]
    Unreachable {
        /// The source.
        source_name: String,
        /// Where.
        url: String,
        /// Why.
        reason: String,
    },
    /// No answer in time.
    #[error(
        "Prometheus source `{source_name}` did not answer within {secs} s; try a shorter range or a larger step, or raise `timeout_secs` in [sources.{source_name}]"
    )]
    TimedOut {
        /// The source.
        source_name: String,
        /// The limit.
        secs: u64,
    },
    /// The TLS handshake failed (an unknown CA, a wrong host name).
    #[error(
        "TLS with Prometheus source `{source_name}` failed: {reason}; give its CA with `ca_file` in [sources.{source_name}]"
    )]
    Tls {
        /// The source.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// 401 or 403.
    #[error(
        "Prometheus source `{source_name}` refused the request (HTTP {status}): {message}; set its credential again with `switchyard sources add {source_name} --url ... --bearer-token-stdin` (or `--basic-user`)"
    )]
    Unauthorized {
        /// The source.
        source_name: String,
        /// 401 or 403.
        status: u16,
        /// The server's words.
        message: String,
    },
    /// Prometheus refused the query; `message` is its own.
    #[error("Prometheus ({error_type}): {message}")]
    Query {
        /// `bad_data`, `execution`, `timeout`, `canceled`, ...
        error_type: String,
        /// Prometheus' message, as it gave it.
        message: String,
    },
    /// The answer was not Prometheus' API.
    #[error(
        "Prometheus source `{source_name}` answered {what}; is {url} a Prometheus API (try the server's base URL, without /api/v1)?"
    )]
    NotPrometheus {
        /// The source.
        source_name: String,
        /// Where.
        url: String,
        /// What came back.
        what: String,
    },
    /// The answer was larger than [`MAX_BODY`].
    #[error("Prometheus source `{source_name}` answered more than {} MB; narrow the query (fewer series) or raise the step", MAX_BODY / 1024 / 1024)]
    TooLarge {
        /// The source.
        source_name: String,
    },
    /// The client could not be set up (a CA file that cannot be read).
    #[error("{0}")]
    Setup(String),
}

impl PromError {
    /// Whether trying again later may help: the source down or slow, or a
    /// server-side timeout or overload. A bad query or a refused credential
    /// will not get better.
    pub fn is_retryable(&self) -> bool {
        match self {
            PromError::Unreachable { .. } | PromError::TimedOut { .. } => true,
            PromError::Query { error_type, .. } => {
                matches!(
                    error_type.as_str(),
                    "timeout" | "canceled" | "unavailable" | "internal"
                )
            }
            _ => false,
        }
    }

    /// Whether the source could not be read at all (as opposed to a query it
    /// refused): alerts go `unknown`, analysis is inconclusive.
    pub fn is_unavailable(&self) -> bool {
        !matches!(self, PromError::Query { error_type, .. } if error_type == "bad_data")
    }
}

/// The answer of `/api/v1/status/buildinfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildInfo {
    /// `2.42.0`.
    pub version: String,
}

/// A client of one source. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: Arc<Endpoint>,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct ResultData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct MatrixEntry {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

#[derive(Deserialize)]
struct VectorEntry {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

/// Makes rustls use ring (kube's choice) when nothing chose a provider yet;
/// every HTTP client of this crate is built after it.
pub(crate) fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Client {
    /// A client for `endpoint`.
    pub fn new(endpoint: Endpoint) -> Result<Client, PromError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(endpoint.timeout)
            .connect_timeout(endpoint.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("switchyard/", env!("CARGO_PKG_VERSION")));
        if let Some(config) = tls_config(&endpoint)? {
            builder = builder.tls_backend_preconfigured(config);
        }
        let http = builder.build().map_err(|e| {
            PromError::Setup(format!(
                "cannot set up an HTTP client for `{}`: {e}",
                endpoint.name
            ))
        })?;
        let mut endpoint = endpoint;
        if !endpoint.url.path().ends_with('/') {
            let path = format!("{}/", endpoint.url.path());
            endpoint.url.set_path(&path);
        }
        Ok(Client {
            http,
            endpoint: Arc::new(endpoint),
        })
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.endpoint.name
    }

    /// The server's version (`/api/v1/status/buildinfo`).
    pub async fn build_info(&self) -> Result<BuildInfo, PromError> {
        let data = self.call("api/v1/status/buildinfo", &[]).await?;
        let version = data
            .get("version")
            .and_then(|v| v.as_str())
            .unwrap_or("unknown")
            .to_string();
        Ok(BuildInfo { version })
    }

    /// `query_range` from `start` to `end` (ms, inclusive) every `step` ms.
    pub async fn query_range(
        &self,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Vec<Series>, PromError> {
        let step = step.max(1);
        let data = self
            .call(
                "api/v1/query_range",
                &[
                    ("query", query.to_string()),
                    ("start", seconds(start)),
                    ("end", seconds(end)),
                    ("step", seconds(step)),
                ],
            )
            .await?;
        self.matrix(data)
    }

    /// An instant query at `at` (ms).
    pub async fn query(&self, query: &str, at: i64) -> Result<Vec<Series>, PromError> {
        let data = self
            .call(
                "api/v1/query",
                &[("query", query.to_string()), ("time", seconds(at))],
            )
            .await?;
        let parsed: ResultData = serde_json::from_value(data)
            .map_err(|e| self.not_prometheus(format!("data it could not read ({e})")))?;
        match parsed.result_type.as_str() {
            "vector" => {
                let entries: Vec<VectorEntry> = serde_json::from_value(parsed.result)
                    .map_err(|e| self.not_prometheus(format!("a vector it could not read ({e})")))?;
                Ok(entries
                    .into_iter()
                    .map(|e| Series {
                        labels: e.metric,
                        points: vec![Point {
                            t: millis(e.value.0),
                            v: parse_value(&e.value.1),
                        }],
                    })
                    .collect())
            }
            "scalar" => {
                let (t, v): (f64, String) = serde_json::from_value(parsed.result)
                    .map_err(|e| self.not_prometheus(format!("a scalar it could not read ({e})")))?;
                Ok(vec![Series {
                    labels: BTreeMap::new(),
                    points: vec![Point {
                        t: millis(t),
                        v: parse_value(&v),
                    }],
                }])
            }
            "matrix" => self.matrix_entries(parsed.result),
            other => Err(self.not_prometheus(format!("a result of type `{other}`"))),
        }
    }

    fn matrix(&self, data: serde_json::Value) -> Result<Vec<Series>, PromError> {
        let parsed: ResultData = serde_json::from_value(data)
            .map_err(|e| self.not_prometheus(format!("data it could not read ({e})")))?;
        if parsed.result_type != "matrix" {
            return Err(self.not_prometheus(format!("a `{}` to a range query", parsed.result_type)));
        }
        self.matrix_entries(parsed.result)
    }

    fn matrix_entries(&self, result: serde_json::Value) -> Result<Vec<Series>, PromError> {
        let entries: Vec<MatrixEntry> = serde_json::from_value(result)
            .map_err(|e| self.not_prometheus(format!("a matrix it could not read ({e})")))?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let mut points: Vec<Point> = e
                    .values
                    .into_iter()
                    .map(|(t, v)| Point {
                        t: millis(t),
                        v: parse_value(&v),
                    })
                    .collect();
                points.sort_by_key(|p| p.t);
                Series {
                    labels: e.metric,
                    points,
                }
            })
            .collect())
    }

    fn not_prometheus(&self, what: String) -> PromError {
        PromError::NotPrometheus {
            source_name: self.endpoint.name.clone(),
            url: self.endpoint.url.to_string(),
            what,
        }
    }

    /// POSTs a form to `path` and returns the envelope's `data`.
    async fn call(&self, path: &str, form: &[(&str, String)]) -> Result<serde_json::Value, PromError> {
        let url = self
            .endpoint
            .url
            .join(path)
            .map_err(|e| PromError::Setup(format!("bad URL for `{}`: {e}", self.endpoint.name)))?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let mut request = if form.is_empty() {
            self.http.get(url.clone())
        } else {
            self.http
                .post(url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
        };
        request = match &self.endpoint.credential {
            Credential::None => request,
            Credential::Bearer(token) => request.bearer_auth(token.expose_secret()),
            Credential::Basic { username, password } => {
                request.basic_auth(username, Some(password.expose_secret()))
            }
        };
        let mut response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > MAX_BODY {
                        return Err(PromError::TooLarge {
                            source_name: self.endpoint.name.clone(),
                        });
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.transport_error(&e)),
            }
        }
        if status.as_u16() == 401 || status.as_u16() == 403 {
            return Err(PromError::Unauthorized {
                source_name: self.endpoint.name.clone(),
                status: status.as_u16(),
                message: snippet(&bytes),
            });
        }
        let envelope: Envelope = match serde_json::from_slice(&bytes) {
            Ok(e) => e,
            Err(_) => {
                return Err(self.not_prometheus(format!("HTTP {status} with {}", describe_body(&bytes))));
            }
        };
        if envelope.status != "success" {
            return Err(PromError::Query {
                error_type: envelope.error_type.unwrap_or_else(|| "error".into()),
                message: envelope
                    .error
                    .unwrap_or_else(|| format!("HTTP {status} without a message")),
            });
        }
        envelope
            .data
            .ok_or_else(|| self.not_prometheus(format!("HTTP {status} with no `data`")))
    }

    fn transport_error(&self, e: &reqwest::Error) -> PromError {
        let name = self.endpoint.name.clone();
        if e.is_timeout() {
            return PromError::TimedOut {
                source_name: name,
                secs: self.endpoint.timeout.as_secs(),
            };
        }
        let reason = error_chain(e);
        if reason.contains("certificate") || reason.contains("tls") || reason.contains("TLS") {
            return PromError::Tls {
                source_name: name,
                reason,
            };
        }
        PromError::Unreachable {
            source_name: name,
            url: self.endpoint.url.to_string(),
            reason,
        }
    }
}

/// What went wrong at the bottom of an error's chain ("Connection refused
/// (os error 111)", "invalid peer certificate: UnknownIssuer"): the layers
/// above it only repeat the URL and the client's wording.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
    let text = text.trim();
    if text.is_empty() {
        "no message".into()
    } else {
        text.replace(['\n', '\r'], " ")
    }
}

fn describe_body(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "an empty body".into()
    } else {
        format!("a body that is not JSON: {:?}", snippet(bytes))
    }
}

/// Prometheus' timestamps: seconds with up to millisecond decimals.
fn seconds(ms: i64) -> String {
    if ms % 1000 == 0 {
        (ms / 1000).to_string()
    } else {
        format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
    }
}

fn millis(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

/// A sample value as Prometheus writes it (`"1.5"`, `"NaN"`, `"+Inf"`).
pub fn parse_value(text: &str) -> f64 {
    text.parse::<f64>().unwrap_or(f64::NAN)
}

fn tls_config(endpoint: &Endpoint) -> Result<Option<rustls::ClientConfig>, PromError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| PromError::Setup(format!("TLS set-up failed: {e}")))?;
    if endpoint.insecure_skip_tls_verify {
        return Ok(Some(
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
                .with_no_client_auth(),
        ));
    }
    let Some(ca_file) = &endpoint.ca_file else {
        return Ok(None);
    };
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let cannot = |why: String| {
        PromError::Setup(format!(
            "cannot use the CA file {} of source `{}`: {why}",
            ca_file.display(),
            endpoint.name
        ))
    };
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca_file).map_err(|e| cannot(e.to_string()))?;
    for cert in certs {
        let cert = cert.map_err(|e| cannot(e.to_string()))?;
        roots.add(cert).map_err(|e| cannot(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(cannot("it holds no PEM certificate".into()));
    }
    Ok(Some(builder.with_root_certificates(roots).with_no_client_auth()))
}

/// `insecure_skip_tls_verify`: any certificate, signatures still checked.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_milliseconds() {
        assert_eq!(seconds(1_700_000_000_000), "1700000000");
        assert_eq!(seconds(1_700_000_000_250), "1700000000.250");
        assert_eq!(millis(1_700_000_000.25), 1_700_000_000_250);
    }

    #[test]
    fn values_as_prometheus_writes_them() {
        assert_eq!(parse_value("1.5"), 1.5);
        assert!(parse_value("NaN").is_nan());
        assert_eq!(parse_value("+Inf"), f64::INFINITY);
        assert_eq!(parse_value("-Inf"), f64::NEG_INFINITY);
        assert!(parse_value("garbage").is_nan());
    }

    #[test]
    fn names_leave_out_shared_labels() {
        let s = Series {
            labels: BTreeMap::from([
                ("__name__".into(), "up".into()),
                ("job".into(), "api".into()),
                ("instance".into(), "a:9100".into()),
            ]),
            points: vec![],
        };
        assert_eq!(s.display_name(&[]), "up{instance=\"a:9100\", job=\"api\"}");
        assert_eq!(s.display_name(&["job"]), "up{instance=\"a:9100\"}");
        assert_eq!(s.display_name(&["job", "instance"]), "up");
    }

    #[test]
    fn bad_queries_are_not_worth_retrying() {
        let bad = PromError::Query {
            error_type: "bad_data".into(),
            message: "parse error".into(),
        };
        assert!(!bad.is_retryable());
        assert!(!bad.is_unavailable());
        let down = PromError::Unreachable {
            source_name: "p".into(),
            url: "http://x".into(),
            reason: "refused".into(),
        };
        assert!(down.is_retryable());
        assert!(down.is_unavailable());
    }
}
