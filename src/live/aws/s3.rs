//! S3 through drift's own client (`rest`): where a bucket's requests go, and the Terraform
//! state object an `s3` backend names (one `GetObject`; read-only, never locks).
//!
//! Addressing as the SDK does it: virtual-hosted (`BUCKET.s3.REGION.amazonaws.com`) for a
//! name that is a DNS label, path-style (`s3.REGION.amazonaws.com/BUCKET`) for one that is not
//! (dots break the certificate's wildcard) and when asked (`use_path_style`, or an endpoint
//! override such as moto or LocalStack, where bucket host names do not resolve).
//!
//! The state object is bounded like a local file: at most `input_file::MAX_BYTES` (checked
//! from `Content-Length` and again while reading), the whole read — answer and body — within
//! the operation timeout, and every error names the object (`s3://bucket/key`) and its
//! region.

use super::Session;
use super::rest::{self, Api, Call};
use crate::error::Error;
use crate::input_file::MAX_BYTES;

pub const API: Api = Api {
    service: "s3",
    signing_name: "s3",
    global_region: None,
    env_name: "S3",
    default_endpoint: "https://s3.{region}.amazonaws.com",
};

/// The endpoint override for S3 (`AWS_ENDPOINT_URL_S3`, else the shared one), if any.
pub fn overridden(sdk: &aws_config::SdkConfig) -> Option<String> {
    std::env::var("AWS_ENDPOINT_URL_S3")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| sdk.endpoint_url().map(str::to_string))
        .map(|v| v.trim_end_matches('/').to_string())
}

/// The region `sdk` sends to and signs for; none set is an error of `operation`.
pub fn region_of(sdk: &aws_config::SdkConfig, operation: &'static str) -> Result<String, Error> {
    sdk.region()
        .map(|r| r.to_string())
        .ok_or_else(|| Error::Aws {
            service: "s3",
            operation,
            message: "no region set".into(),
        })
}

/// Whether a bucket name can be a host name label under TLS: 3 to 63 lowercase letters,
/// digits and hyphens, starting and ending with a letter or digit.
fn virtual_hostable(bucket: &str) -> bool {
    let b = bucket.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// An object key as a URL path: each segment encoded, the slashes kept.
fn encode_key(key: &str) -> String {
    key.split('/')
        .map(rest::encode)
        .collect::<Vec<_>>()
        .join("/")
}

/// The URL of a request: to `bucket` (or the service, for `ListBuckets`), its object `key`
/// (or the bucket itself), and `query` (`?location`, or empty).
pub fn url(
    sdk: &aws_config::SdkConfig,
    region: &str,
    bucket: Option<&str>,
    key: Option<&str>,
    query: &str,
    path_style: bool,
) -> String {
    let forced = overridden(sdk);
    let base = forced.clone().unwrap_or_else(|| {
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        format!("https://s3.{region}.{suffix}")
    });
    let key = key
        .map(|k| format!("/{}", encode_key(k)))
        .unwrap_or_default();
    match bucket {
        None => format!("{base}/{query}"),
        Some(b) if path_style || forced.is_some() || !virtual_hostable(b) => {
            format!("{base}/{}{key}{query}", rest::encode(b))
        }
        Some(b) => {
            let (scheme, host) = base.split_once("://").unwrap_or(("https", base.as_str()));
            let key = if key.is_empty() { "/".to_string() } else { key };
            format!("{scheme}://{b}.{host}{key}{query}")
        }
    }
}

/// The object's text.
pub async fn get_text(
    s: &Session,
    bucket: &str,
    key: &str,
    region: Option<&str>,
    path_style: bool,
) -> Result<String, Error> {
    let object = format!("s3://{bucket}/{key}");
    let place = format!("{object}, {}", s.place(None, region, None));
    let fail = |message: String| Error::Aws {
        service: "s3",
        operation: "GetObject",
        message: format!("[{place}] {message}"),
    };
    match tokio::time::timeout(
        s.operation_timeout,
        read(s, bucket, key, region, path_style, &object),
    )
    .await
    {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(e.at(&place)),
        Err(_) => Err(fail(format!(
            "the object was not read within {} s (operation_timeout_secs)",
            s.operation_timeout.as_secs()
        ))),
    }
}

async fn read(
    s: &Session,
    bucket: &str,
    key: &str,
    region: Option<&str>,
    path_style: bool,
    object: &str,
) -> Result<String, Error> {
    let sdk = s.in_region(region);
    let region = region_of(&sdk, "GetObject")?;
    let _slot = s.call(None, "s3", "GetObject").await;
    let call = Call {
        method: http::Method::GET,
        url: url(&sdk, &region, Some(bucket), Some(key), "", path_style),
        region: &region,
        limit: MAX_BYTES,
        what: object,
        streamed: true,
    };
    let bytes = rest::call(s, &sdk, &API, "GetObject", call)
        .await?
        .map_err(|r| r.into_error("s3", "GetObject"))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| Error::Aws {
        service: "s3",
        operation: "GetObject",
        message: format!("{object} is not UTF-8 text, so not a Terraform state"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdk(endpoint: Option<&str>) -> aws_config::SdkConfig {
        let mut b = aws_config::SdkConfig::builder();
        if let Some(e) = endpoint {
            b = b.endpoint_url(e);
        }
        b.build()
    }

    #[test]
    fn buckets_are_addressed_as_the_sdk_does() {
        let aws = sdk(None);
        assert_eq!(
            url(
                &aws,
                "eu-west-1",
                Some("logs"),
                Some("a b/c.tfstate"),
                "",
                false
            ),
            "https://logs.s3.eu-west-1.amazonaws.com/a%20b/c.tfstate"
        );
        assert_eq!(
            url(&aws, "eu-west-1", Some("logs"), None, "?location", false),
            "https://logs.s3.eu-west-1.amazonaws.com/?location"
        );
        // Dots (and capitals, from old buckets) cannot be a TLS host label: path-style.
        assert_eq!(
            url(
                &aws,
                "us-east-1",
                Some("www.example.com"),
                None,
                "?website",
                false
            ),
            "https://s3.us-east-1.amazonaws.com/www.example.com?website"
        );
        assert_eq!(
            url(&aws, "us-east-1", Some("logs"), Some("k"), "", true),
            "https://s3.us-east-1.amazonaws.com/logs/k"
        );
        assert_eq!(
            url(&aws, "cn-north-1", None, None, "?max-buckets=1000", false),
            "https://s3.cn-north-1.amazonaws.com.cn/?max-buckets=1000"
        );
        // A name from the code that is no bucket name never reaches the host or the query.
        assert_eq!(
            url(
                &aws,
                "us-east-1",
                Some("x@evil.test/?a=b#"),
                None,
                "?policy",
                false
            ),
            "https://s3.us-east-1.amazonaws.com/x%40evil.test%2F%3Fa%3Db%23?policy"
        );
        // An override (moto, LocalStack) is path-style.
        let moto = sdk(Some("http://127.0.0.1:5000/"));
        assert_eq!(
            url(
                &moto,
                "eu-west-1",
                Some("logs"),
                Some("env:/prod/x"),
                "",
                false
            ),
            "http://127.0.0.1:5000/logs/env%3A/prod/x"
        );
    }
}
