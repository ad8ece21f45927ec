//! S3: the Terraform state object an `s3` backend names (one `GetObject`; read-only, never
//! locks). Path-style addressing when the backend asks for it (`use_path_style`), as S3-
//! compatible endpoints such as moto or LocalStack need.
//!
//! Bounded like a local file: at most `input_file::MAX_BYTES` (checked from `Content-Length`
//! and again while reading), the whole read — answer and body — within the operation
//! timeout, and every error names the object (`s3://bucket/key`) and its region.

use super::{Session, aws_error};
use crate::error::Error;
use crate::input_file::MAX_BYTES;

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
    let fail = |message: String| Error::Aws {
        service: "s3",
        operation: "GetObject",
        message,
    };
    let sdk = s.in_region(region);
    let config = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(path_style)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);
    s.count();
    let mut out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| aws_error("s3", "GetObject", e))?;
    if let Some(len) = out.content_length()
        && len as u64 > MAX_BYTES
    {
        return Err(fail(format!(
            "{object} has {len} bytes; drift reads at most {MAX_BYTES}"
        )));
    }
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(chunk) = out
        .body
        .try_next()
        .await
        .map_err(|e| fail(format!("{object}: the body could not be read: {e}")))?
    {
        if (bytes.len() + chunk.len()) as u64 > MAX_BYTES {
            return Err(fail(format!(
                "{object} grew past {MAX_BYTES} bytes while being read"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| {
        fail(format!(
            "{object} is not UTF-8 text, so not a Terraform state"
        ))
    })
}
