//! A signed request to an AWS API drift reads without an SDK crate: SigV4 with the
//! session's credentials (the same chain and roles as every SDK call), sent over rustls, to
//! the endpoint the SDK would use (`AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL` or
//! the profile's `endpoint_url`, else AWS's). Retries what AWS says to retry (throttling and
//! 5xx) with backoff, within the configured attempts and timeouts; the answer is bounded.
//! Only reads: a GET, or for the JSON protocols (which POST every call) one of the read
//! operations in `READ_TARGETS` — any other target is refused before anything is sent.

use super::Session;
use crate::error::Error;
use aws_credential_types::provider::ProvideCredentials;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use std::time::Duration;

/// An answer larger than this is refused (a listing page is a few hundred kilobytes).
const MAX_ANSWER: u64 = 16 * 1024 * 1024;

type Https = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

/// The HTTPS client, built once per session.
#[derive(Clone)]
pub struct Client(hyper_util::client::legacy::Client<Https, Full<Bytes>>);

impl Client {
    pub fn new() -> Result<Client, Error> {
        let tls = crate::live::postgres::tls_config(&None).map_err(|m| Error::Aws {
            service: "https",
            operation: "connect",
            message: m,
        })?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(connector);
        Ok(Client(client))
    }
}

/// Percent-encodes a path segment or query value (RFC 3986 unreserved characters kept).
pub fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where `service`'s requests go: its own endpoint override, the shared one, else AWS's.
fn endpoint(sdk: &aws_config::SdkConfig, env_name: &str, default: &str) -> String {
    std::env::var(format!("AWS_ENDPOINT_URL_{env_name}"))
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| sdk.endpoint_url().map(str::to_string))
        .unwrap_or_else(|| default.to_string())
        .trim_end_matches('/')
        .to_string()
}

/// One API: how it is signed and where it is.
pub struct Api {
    pub service: &'static str,
    /// The SigV4 signing name (`cloudfront`, `elasticloadbalancing`).
    pub signing_name: &'static str,
    /// A global API's signing region (CloudFront: `us-east-1`); `None`: a regional API, signed
    /// for and sent to the session's region.
    pub global_region: Option<&'static str>,
    /// `AWS_ENDPOINT_URL_<THIS>` overrides the endpoint.
    pub env_name: &'static str,
    /// AWS's endpoint; `{region}` stands for the region.
    pub default_endpoint: &'static str,
}

/// An answer AWS gave with a status other than 2xx, once retrying is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    /// AWS's error `Code` (`DBInstanceNotFound`), empty when the answer has none.
    pub code: String,
    pub message: String,
}

impl Refusal {
    /// The refusal as the error of `service`'s `operation` (one line, bounded).
    pub fn into_error(self, service: &'static str, operation: &'static str) -> Error {
        Error::Aws {
            service,
            operation,
            message: crate::report::safe_line(&crate::report::bounded(&self.render())),
        }
    }

    fn render(&self) -> String {
        let mut out = format!("HTTP {}", self.status);
        if !self.code.is_empty() {
            out.push(' ');
            out.push_str(&self.code);
        }
        if !self.message.is_empty() {
            out.push_str(": ");
            out.push_str(&self.message);
        }
        out
    }
}

/// GETs `path_and_query` (already encoded) and returns the answer's text when its status is
/// 2xx; any other status is an error carrying AWS's `Code` and `Message`.
pub async fn get(
    s: &Session,
    sdk: &aws_config::SdkConfig,
    api: &Api,
    operation: &'static str,
    path_and_query: &str,
) -> Result<String, Error> {
    match answer(s, sdk, api, operation, path_and_query).await? {
        Ok(text) => Ok(text),
        Err(r) => Err(r.into_error(api.service, operation)),
    }
}

/// AWS's error code and message in a refusal: JSON (`__type`, `message`) or XML (`Code`,
/// `Message`, under `Error` or not).
fn refusal_of(text: &str) -> (String, String) {
    if let Ok(j) = serde_json::from_str::<serde_json::Value>(text)
        && let Some(t) = j.get("__type").and_then(|t| t.as_str())
    {
        let code = t.rsplit('#').next().unwrap_or(t).to_string();
        let message = ["message", "Message"]
            .iter()
            .find_map(|k| j.get(*k).and_then(|m| m.as_str()))
            .unwrap_or_default()
            .to_string();
        return (code, message);
    }
    match super::xml::parse(text) {
        Ok(root) => {
            let e = root.at("Error").unwrap_or(&root);
            (
                e.text_at("Code").unwrap_or_default(),
                e.text_at("Message").unwrap_or_default(),
            )
        }
        Err(_) => (String::new(), String::new()),
    }
}

/// The JSON protocols' operations drift calls (`X-Amz-Target`): reads, every one.
const READ_TARGETS: &[&str] = &[
    "TrentService.ListAliases",
    "TrentService.DescribeKey",
    "TrentService.GetKeyPolicy",
    "secretsmanager.DescribeSecret",
    "secretsmanager.GetSecretValue",
];

/// A JSON-protocol call (`application/x-amz-json-1.1`, POST to `/` with `X-Amz-Target`):
/// the answer's JSON, or the refusal (`__type`, `message`) for the caller to judge. Only the
/// targets in `READ_TARGETS` are sent.
pub async fn json(
    s: &Session,
    sdk: &aws_config::SdkConfig,
    api: &Api,
    operation: &'static str,
    target: &'static str,
    body: &serde_json::Value,
) -> Result<Result<serde_json::Value, Refusal>, Error> {
    let fail = |message: String| Error::Aws {
        service: api.service,
        operation,
        message,
    };
    if !READ_TARGETS.contains(&target) {
        return Err(fail(format!(
            "{target} is not a read: drift does not send it"
        )));
    }
    let (region, url) = locate(sdk, api, "/").map_err(fail)?;
    let request = Request {
        method: http::Method::POST,
        url,
        region,
        headers: vec![
            ("content-type", "application/x-amz-json-1.1".to_string()),
            ("x-amz-target", target.to_string()),
        ],
        body: Bytes::from(body.to_string()),
        limit: MAX_ANSWER,
        what: "the answer",
        streamed: false,
    };
    match send(s, sdk, api, operation, request).await? {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Ok)
            .map_err(|e| fail(format!("the answer is not JSON: {e}"))),
        Err(r) => Ok(Err(r)),
    }
}

/// A read whose URL the caller builds (S3, where the bucket is in the host or the path).
pub struct Call<'a> {
    /// GET or HEAD: any other method is refused before anything is sent.
    pub method: http::Method,
    /// The whole URL, path and query already encoded.
    pub url: String,
    /// The region the request is signed for.
    pub region: &'a str,
    /// The most bytes the answer may have, and what it is called in the error.
    pub limit: u64,
    pub what: &'a str,
    /// The body is read after the attempt, within the caller's deadline, and never retried
    /// (a large object, as the SDK streams it): the attempt timeout covers the answer's head.
    pub streamed: bool,
}

/// Sends a `Call`: the answer's bytes when its status is 2xx, else the refusal (after
/// retries) for the caller to judge.
pub async fn call(
    s: &Session,
    sdk: &aws_config::SdkConfig,
    api: &Api,
    operation: &'static str,
    call: Call<'_>,
) -> Result<Result<Bytes, Refusal>, Error> {
    if call.method != http::Method::GET && call.method != http::Method::HEAD {
        return Err(Error::Aws {
            service: api.service,
            operation,
            message: format!("{} is not a read: drift does not send it", call.method),
        });
    }
    let request = Request {
        method: call.method,
        url: call.url,
        region: call.region.to_string(),
        headers: Vec::new(),
        body: Bytes::new(),
        limit: call.limit,
        what: call.what,
        streamed: call.streamed,
    };
    send(s, sdk, api, operation, request).await
}

/// What to send.
struct Request<'a> {
    method: http::Method,
    url: String,
    region: String,
    /// Signed along with `host`.
    headers: Vec<(&'static str, String)>,
    body: Bytes,
    limit: u64,
    what: &'a str,
    streamed: bool,
}

/// The region an API call is signed for, and its URL.
fn locate(
    sdk: &aws_config::SdkConfig,
    api: &Api,
    path_and_query: &str,
) -> Result<(String, String), String> {
    let region = api
        .global_region
        .map(str::to_string)
        .or_else(|| sdk.region().map(|r| r.to_string()))
        .ok_or_else(|| "no region set".to_string())?;
    let default = api.default_endpoint.replace("{region}", &region);
    let url = format!("{}{path_and_query}", endpoint(sdk, api.env_name, &default));
    Ok((region, url))
}

/// As `get`, but a refusal (after retries) is returned for the caller to judge (a "not found"
/// that means absent); `Err` is a request that got no answer or could not be made.
pub async fn answer(
    s: &Session,
    sdk: &aws_config::SdkConfig,
    api: &Api,
    operation: &'static str,
    path_and_query: &str,
) -> Result<Result<String, Refusal>, Error> {
    let fail = |message: String| Error::Aws {
        service: api.service,
        operation,
        message,
    };
    let (region, url) = locate(sdk, api, path_and_query).map_err(fail)?;
    let request = Request {
        method: http::Method::GET,
        url,
        region,
        headers: Vec::new(),
        body: Bytes::new(),
        limit: MAX_ANSWER,
        what: "the answer",
        streamed: false,
    };
    match send(s, sdk, api, operation, request).await? {
        Ok(bytes) => String::from_utf8(bytes.to_vec())
            .map(Ok)
            .map_err(|_| fail("the answer is not UTF-8 text".into())),
        Err(r) => Ok(Err(r)),
    }
}

/// How an attempt ended short of an answer.
enum Failed {
    /// Worth another attempt (no answer, a broken connection).
    Again(String),
    /// Final: the answer is larger than the request allows.
    Final(String),
}

/// The signing rules: S3 signs the payload's hash into `x-amz-content-sha256` and its paths
/// as they are sent (encoded once, never normalized); every other API the defaults.
fn signing_settings(api: &Api) -> aws_sigv4::http_request::SigningSettings {
    let mut settings = aws_sigv4::http_request::SigningSettings::default();
    if api.signing_name == "s3" {
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
        settings.uri_path_normalization_mode =
            aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
    }
    settings
}

/// An answer's body: read within the attempt, or (a streamed 2xx) left to read after it.
enum Body {
    Read(Bytes),
    Stream(hyper::body::Incoming),
}

/// Reads a body of at most `limit` bytes.
async fn collect(body: hyper::body::Incoming, limit: u64, what: &str) -> Result<Bytes, Failed> {
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    match Limited::new(body, cap).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(Failed::Final(format!(
                "{what} grew past {limit} bytes while being read"
            )))
        }
        Err(e) => Err(Failed::Again(format!(
            "{what} could not be read: {}",
            crate::error::chain(e.as_ref())
        ))),
    }
}

async fn send(
    s: &Session,
    sdk: &aws_config::SdkConfig,
    api: &Api,
    operation: &'static str,
    request: Request<'_>,
) -> Result<Result<Bytes, Refusal>, Error> {
    let fail = |message: String| Error::Aws {
        service: api.service,
        operation,
        message,
    };
    let url = request.url.as_str();
    let uri: http::Uri = url
        .parse()
        .map_err(|e| fail(format!("`{url}` is not a URL: {e}")))?;
    let host = match (uri.host(), uri.port_u16()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => return Err(fail(format!("`{url}` names no host"))),
    };
    let provider = sdk
        .credentials_provider()
        .ok_or_else(|| fail("no credentials provider".into()))?;
    let attempts = sdk
        .retry_config()
        .map(|r| r.max_attempts())
        .unwrap_or(3)
        .max(1);
    let attempt_timeout = sdk
        .timeout_config()
        .and_then(|t| t.operation_attempt_timeout())
        .unwrap_or(Duration::from_secs(10));
    let mut last = String::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            // Full jitter would need a random source; a doubling delay is enough here.
            tokio::time::sleep(Duration::from_millis(200 << attempt.min(5))).await;
        }
        let creds = provider
            .provide_credentials()
            .await
            .map_err(|e| fail(format!("no credentials: {}", crate::error::chain(&e))))?;
        let identity = creds.into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&request.region)
            .name(api.signing_name)
            .time(std::time::SystemTime::now())
            .settings(signing_settings(api))
            .build()
            .map_err(|e| fail(format!("cannot sign the request: {e}")))?
            .into();
        let headers: Vec<(&str, &str)> = std::iter::once(("host", host.as_str()))
            .chain(request.headers.iter().map(|(k, v)| (*k, v.as_str())))
            .collect();
        let signable = aws_sigv4::http_request::SignableRequest::new(
            request.method.as_str(),
            url,
            headers.iter().copied(),
            aws_sigv4::http_request::SignableBody::Bytes(&request.body),
        )
        .map_err(|e| fail(format!("cannot sign the request: {e}")))?;
        let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
            .map_err(|e| fail(format!("cannot sign the request: {e}")))?
            .into_parts();
        let mut req = http::Request::builder()
            .method(request.method.clone())
            .uri(uri.clone())
            .header("host", &host)
            .header("user-agent", concat!("drift/", env!("CARGO_PKG_VERSION")));
        for (name, value) in request.headers.iter().map(|(k, v)| (*k, v.as_str())) {
            req = req.header(name, value);
        }
        for (name, value) in instructions.headers() {
            req = req.header(name, value);
        }
        let req = req
            .body(Full::new(request.body.clone()))
            .map_err(|e| fail(format!("cannot build the request: {e}")))?;
        let (what, limit) = (request.what, request.limit);
        let sent = tokio::time::timeout(attempt_timeout, async {
            let resp = s.rest.0.request(req).await.map_err(|e| {
                Failed::Again(format!("the request failed: {}", crate::error::chain(&e)))
            })?;
            let status = resp.status().as_u16();
            let length = resp
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if let Some(len) = length
                && len > limit
            {
                return Err(Failed::Final(format!(
                    "{what} has {len} bytes; drift reads at most {limit}"
                )));
            }
            if request.streamed && (200..300).contains(&status) {
                return Ok((status, Body::Stream(resp.into_body())));
            }
            Ok((
                status,
                Body::Read(collect(resp.into_body(), limit, what).await?),
            ))
        })
        .await;
        let (status, body) = match sent {
            Err(_) => {
                last = format!("no answer within {} s", attempt_timeout.as_secs());
                continue;
            }
            Ok(Err(Failed::Again(m))) => {
                last = m;
                continue;
            }
            Ok(Err(Failed::Final(m))) => return Err(fail(m)),
            Ok(Ok(x)) => x,
        };
        let body = match body {
            Body::Read(bytes) => bytes,
            // Streamed: read once, within the caller's deadline.
            Body::Stream(stream) => {
                return match collect(stream, limit, what).await {
                    Ok(bytes) => Ok(Ok(bytes)),
                    Err(Failed::Again(m) | Failed::Final(m)) => Err(fail(m)),
                };
            }
        };
        if (200..300).contains(&status) {
            return Ok(Ok(body));
        }
        let (code, message) = refusal_of(&String::from_utf8_lossy(&body));
        let refusal = Refusal {
            status,
            code,
            message,
        };
        let retry = status >= 500
            || status == 429
            || refusal.code.contains("Throttl")
            || refusal.code == "RequestLimitExceeded";
        if !retry || attempt + 1 == attempts {
            return Ok(Err(refusal));
        }
        last = refusal.render();
    }
    Err(fail(crate::report::safe_line(&crate::report::bounded(
        &last,
    ))))
}
