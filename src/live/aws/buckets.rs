//! S3 buckets: of the names the code declares and the distributions' origins use, the
//! account's own (`ListBuckets`) are read in their region (`GetBucketLocation`) — default
//! encryption (`GetBucketEncryption`), policy (`GetBucketPolicy`), website
//! (`GetBucketWebsite`); a name that is not the account's is looked up (`HeadBucket`): it
//! exists in another account, or nobody has it. A bucket that cannot be read costs that
//! bucket (an error naming it), not the family. Read through drift's own client, addressed as
//! `s3::url` says (path-style against an endpoint override such as moto or LocalStack).

use super::Session;
use super::rest::{self, Call, Refusal};
use super::s3::{API, url};
use super::xml;
use crate::error::Error;
use crate::live::snapshot::{S3Bucket, S3Encryption, S3Section};
use futures::StreamExt;
use std::collections::BTreeSet;

/// A bucket that could not be read, and why.
pub struct BucketError {
    pub bucket: String,
    pub error: Error,
}

/// A bucket-level answer is a few kilobytes; a listing page at most a few megabytes.
const MAX_ANSWER: u64 = 16 * 1024 * 1024;

/// Where the bucket reads go: a region's configuration, and whether bucket names go in the
/// path (an endpoint override).
struct Place {
    sdk: aws_config::SdkConfig,
    region: String,
    path_style: bool,
}

impl Place {
    fn new(s: &Session, region: Option<&str>) -> Result<Place, Error> {
        let sdk = s.in_region(region);
        let region = super::s3::region_of(&sdk, "ListBuckets")?;
        let path_style = super::s3::overridden(&sdk).is_some();
        Ok(Place {
            sdk,
            region,
            path_style,
        })
    }

    /// One read (GET, or HEAD): the answer, or AWS's refusal for the caller to judge. The
    /// caller takes the request's pacing slot (`s.call`), naming the operation.
    async fn send(
        &self,
        s: &Session,
        operation: &'static str,
        method: http::Method,
        bucket: Option<&str>,
        query: &str,
    ) -> Result<Result<String, Refusal>, Error> {
        let call = Call {
            method,
            url: url(
                &self.sdk,
                &self.region,
                bucket,
                None,
                query,
                self.path_style,
            ),
            region: &self.region,
            limit: MAX_ANSWER,
            what: "the answer",
            streamed: false,
        };
        Ok(
            match rest::call(s, &self.sdk, &API, operation, call).await? {
                Ok(bytes) => Ok(String::from_utf8(bytes.to_vec()).map_err(|_| Error::Aws {
                    service: "s3",
                    operation,
                    message: "the answer is not UTF-8 text".into(),
                })?),
                Err(r) => Err(r),
            },
        )
    }

    /// A GET whose answer is XML; `absent`: the error code that means "not configured" (the
    /// answer is then `None`).
    async fn xml(
        &self,
        s: &Session,
        operation: &'static str,
        bucket: &str,
        query: &str,
        absent: Option<&str>,
    ) -> Result<Option<xml::Node>, Error> {
        match self
            .send(s, operation, http::Method::GET, Some(bucket), query)
            .await?
        {
            Ok(text) => xml::parse(&text).map(Some).map_err(|m| Error::Aws {
                service: "s3",
                operation,
                message: m,
            }),
            Err(r) if absent == Some(r.code.as_str()) => Ok(None),
            Err(r) => Err(r.into_error("s3", operation)),
        }
    }
}

pub async fn read(
    s: &Session,
    wanted: &BTreeSet<String>,
) -> Result<(S3Section, Vec<BucketError>), Error> {
    let home = Place::new(s, None)?;
    let mut owned = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = "?max-buckets=1000".to_string();
        if let Some(t) = &token {
            query.push_str(&format!("&continuation-token={}", rest::encode(t)));
        }
        let text = {
            let _slot = s.call(None, "s3", "ListBuckets").await;
            home.send(s, "ListBuckets", http::Method::GET, None, &query)
                .await
        }?
        .map_err(|r| r.into_error("s3", "ListBuckets"))?;
        let root = xml::parse(&text).map_err(|m| Error::Aws {
            service: "s3",
            operation: "ListBuckets",
            message: m,
        })?;
        if root.name != "ListAllMyBucketsResult" {
            return Err(Error::Aws {
                service: "s3",
                operation: "ListBuckets",
                message: format!("the answer is a <{}>, not a bucket list", root.name),
            });
        }
        if let Some(buckets) = root.child("Buckets") {
            owned.extend(buckets.all("Bucket").filter_map(|b| b.text_at("Name")));
        }
        match root.text_at("ContinuationToken") {
            Some(t) if !t.is_empty() && token.as_deref() != Some(t.as_str()) => token = Some(t),
            _ => break,
        }
    }
    let reads = futures::stream::iter(wanted.iter().cloned())
        .map(|name| {
            let own = owned.contains(&name);
            let home = &home;
            async move {
                if own {
                    (name.clone(), bucket(s, home, &name).await.map(Ok))
                } else {
                    (name.clone(), exists(s, home, &name).await.map(Err))
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

/// Whether a bucket the account does not own exists (in another account): `HeadBucket`
/// answers 404 for a name nobody has; 403 (not ours), 301 and 400 (another region) mean it
/// exists.
async fn exists(s: &Session, home: &Place, name: &str) -> Result<bool, Error> {
    let _slot = s.call(None, "s3", "HeadBucket").await;
    match home
        .send(s, "HeadBucket", http::Method::HEAD, Some(name), "")
        .await
    {
        Ok(Ok(_)) => Ok(true),
        Ok(Err(r)) => match r.status {
            404 => Ok(false),
            403 | 301 | 400 => Ok(true),
            _ => Err(r
                .into_error("s3", "HeadBucket")
                .at(&format!("bucket {name}"))),
        },
        Err(e) => Err(e.at(&format!("bucket {name}"))),
    }
}

async fn bucket(s: &Session, home: &Place, name: &str) -> Result<S3Bucket, Error> {
    let at = format!("bucket {name}");
    let location = {
        let _slot = s.call(None, "s3", "GetBucketLocation").await;
        home.xml(s, "GetBucketLocation", name, "?location", None)
            .await
    }
    .map_err(|e| e.at(&at))?
    .map(|n| n.text.trim().to_string())
    .unwrap_or_default();
    let region = match location.as_str() {
        "" => "us-east-1".to_string(),
        "EU" => "eu-west-1".to_string(),
        r => r.to_string(),
    };
    let there;
    let here = if home.region == region {
        home
    } else {
        there = Place::new(s, Some(&region)).map_err(|e| e.at(&at))?;
        &there
    };
    let encryption = {
        let _slot = s.call(None, "s3", "GetBucketEncryption").await;
        here.xml(
            s,
            "GetBucketEncryption",
            name,
            "?encryption",
            Some("ServerSideEncryptionConfigurationNotFoundError"),
        )
        .await
    }
    .map_err(|e| e.at(&at))?
    .and_then(|c| {
        let d = c.at("Rule/ApplyServerSideEncryptionByDefault")?;
        Some(S3Encryption {
            sse_algorithm: d.text_at("SSEAlgorithm")?,
            kms_master_key_id: d.text_at("KMSMasterKeyID").filter(|k| !k.is_empty()),
        })
    });
    let policy = {
        let _slot = s.call(None, "s3", "GetBucketPolicy").await;
        here.send(
            s,
            "GetBucketPolicy",
            http::Method::GET,
            Some(name),
            "?policy",
        )
        .await
    }
    .map_err(|e| e.at(&at))?;
    let policy = match policy {
        Ok(text) => Some(serde_json::from_str(&text).map_err(|e| Error::Aws {
            service: "s3",
            operation: "GetBucketPolicy",
            message: format!("[{at}] the policy is not a JSON document: {e}"),
        })?),
        Err(r) if r.code == "NoSuchBucketPolicy" => None,
        Err(r) => return Err(r.into_error("s3", "GetBucketPolicy").at(&at)),
    };
    let website = {
        let _slot = s.call(None, "s3", "GetBucketWebsite").await;
        here.xml(
            s,
            "GetBucketWebsite",
            name,
            "?website",
            Some("NoSuchWebsiteConfiguration"),
        )
        .await
    }
    .map_err(|e| e.at(&at))?
    .is_some();
    Ok(S3Bucket {
        name: name.to_string(),
        encryption,
        policy,
        website,
    })
}
