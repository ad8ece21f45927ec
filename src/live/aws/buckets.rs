//! S3 buckets: of the names the code declares and the distributions' origins use, the
//! account's own (`ListBuckets`) are read in their region (`GetBucketLocation`) — default
//! encryption (`GetBucketEncryption`), policy (`GetBucketPolicy`), website
//! (`GetBucketWebsite`); a name that is not the account's is looked up (`HeadBucket`): it
//! exists in another account, or nobody has it. A bucket that cannot be read costs that
//! bucket (an error naming it), not the family. Path-style addressing against an endpoint
//! override (moto, LocalStack), where virtual-hosted names do not resolve.

use super::{Session, aws_error};
use crate::error::Error;
use crate::live::snapshot::{S3Bucket, S3Encryption, S3Section};
use aws_sdk_s3::error::ProvideErrorMetadata;
use futures::StreamExt;
use std::collections::BTreeSet;

/// A bucket that could not be read, and why.
pub struct BucketError {
    pub bucket: String,
    pub error: Error,
}

fn client(s: &Session, region: Option<&str>) -> aws_sdk_s3::Client {
    let sdk = s.in_region(region);
    let overridden = sdk.endpoint_url().is_some()
        || std::env::var("AWS_ENDPOINT_URL_S3").is_ok_and(|v| !v.is_empty());
    let config = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(overridden)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

pub async fn read(
    s: &Session,
    wanted: &BTreeSet<String>,
) -> Result<(S3Section, Vec<BucketError>), Error> {
    let home = client(s, None);
    let mut owned = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let out = {
            let _slot = s.call(None, "s3", "ListBuckets").await;
            home.list_buckets()
                .set_continuation_token(token.clone())
                .send()
                .await
                .map_err(|e| aws_error("s3", "ListBuckets", e))?
        };
        owned.extend(
            out.buckets()
                .iter()
                .filter_map(|b| b.name().map(str::to_string)),
        );
        match out.continuation_token() {
            Some(t) if !t.is_empty() && token.as_deref() != Some(t) => token = Some(t.to_string()),
            _ => break,
        }
    }
    let reads = futures::stream::iter(wanted.iter().cloned())
        .map(|name| {
            let home = home.clone();
            let own = owned.contains(&name);
            async move {
                if own {
                    (name.clone(), bucket(s, &home, &name).await.map(Ok))
                } else {
                    (name.clone(), exists(s, &home, &name).await.map(Err))
                }
            }
        })
        .buffer_unordered(s.concurrency)
        .collect::<Vec<_>>()
        .await;
    let mut section = S3Section {
        buckets: Vec::new(),
        elsewhere: Default::default(),
    };
    let mut errors = Vec::new();
    for (name, read) in reads {
        match read {
            Ok(Ok(b)) => section.buckets.push(b),
            Ok(Err(exists)) => {
                section.elsewhere.insert(name, exists);
            }
            Err(error) => errors.push(BucketError {
                bucket: name,
                error,
            }),
        }
    }
    section.buckets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((section, errors))
}

/// Whether a bucket the account does not own exists (in another account).
async fn exists(s: &Session, home: &aws_sdk_s3::Client, name: &str) -> Result<bool, Error> {
    let _slot = s.call(None, "s3", "HeadBucket").await;
    match home.head_bucket().bucket(name).send().await {
        Ok(_) => Ok(true),
        Err(e) => match e.raw_response().map(|r| r.status().as_u16()) {
            Some(404) => Ok(false),
            Some(403 | 301 | 400) => Ok(true),
            _ => Err(aws_error("s3", "HeadBucket", e).at(&format!("bucket {name}"))),
        },
    }
}

async fn bucket(s: &Session, home: &aws_sdk_s3::Client, name: &str) -> Result<S3Bucket, Error> {
    let at = format!("bucket {name}");
    let location = {
        let _slot = s.call(None, "s3", "GetBucketLocation").await;
        home.get_bucket_location()
            .bucket(name)
            .send()
            .await
            .map_err(|e| aws_error("s3", "GetBucketLocation", e).at(&at))?
    };
    let region = match location.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(r) => r.to_string(),
    };
    let here = if s.region().as_deref() == Some(region.as_str()) {
        home.clone()
    } else {
        client(s, Some(&region))
    };
    let encryption = {
        let _slot = s.call(None, "s3", "GetBucketEncryption").await;
        match here.get_bucket_encryption().bucket(name).send().await {
            Ok(out) => out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default())
                .map(|d| S3Encryption {
                    sse_algorithm: d.sse_algorithm().as_str().to_string(),
                    kms_master_key_id: d.kms_master_key_id().map(str::to_string),
                }),
            Err(e) if e.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => None,
            Err(e) => return Err(aws_error("s3", "GetBucketEncryption", e).at(&at)),
        }
    };
    let policy = {
        let _slot = s.call(None, "s3", "GetBucketPolicy").await;
        match here.get_bucket_policy().bucket(name).send().await {
            Ok(out) => {
                let text = out.policy().unwrap_or_default();
                Some(serde_json::from_str(text).map_err(|e| Error::Aws {
                    service: "s3",
                    operation: "GetBucketPolicy",
                    message: format!("[{at}] the policy is not a JSON document: {e}"),
                })?)
            }
            Err(e) if e.code() == Some("NoSuchBucketPolicy") => None,
            Err(e) => return Err(aws_error("s3", "GetBucketPolicy", e).at(&at)),
        }
    };
    let website = {
        let _slot = s.call(None, "s3", "GetBucketWebsite").await;
        match here.get_bucket_website().bucket(name).send().await {
            Ok(_) => true,
            Err(e) if e.code() == Some("NoSuchWebsiteConfiguration") => false,
            Err(e) => return Err(aws_error("s3", "GetBucketWebsite", e).at(&at)),
        }
    };
    Ok(S3Bucket {
        name: name.to_string(),
        encryption,
        policy,
        website,
    })
}
