//! S3: the Terraform state object an `s3` backend names (one `GetObject`; read-only, never
//! locks). Path-style addressing when the backend asks for it (`use_path_style`), as S3-
//! compatible endpoints such as moto or LocalStack need.

use super::{Session, aws_error};
use crate::error::Error;

/// The object's text.
pub async fn get_text(
    s: &Session,
    bucket: &str,
    key: &str,
    region: Option<&str>,
    path_style: bool,
) -> Result<String, Error> {
    let sdk = s.in_region(region);
    let config = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(path_style)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);
    s.count();
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| aws_error("s3", "GetObject", e))?;
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| Error::Aws {
            service: "s3",
            operation: "GetObject",
            message: format!("s3://{bucket}/{key}: the body could not be read: {e}"),
        })?
        .into_bytes();
    String::from_utf8(bytes.to_vec()).map_err(|_| Error::Aws {
        service: "s3",
        operation: "GetObject",
        message: format!("s3://{bucket}/{key} is not UTF-8 text, so not a Terraform state"),
    })
}
