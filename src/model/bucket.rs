//! An S3 bucket (docs/semantics.md, "S3 buckets"): its default encryption and the key it
//! names, its bucket policy (compared as key policies are), and whether it serves a website.
//! Identified by its name. What the code does not declare (no encryption configuration, no
//! bucket policy resource) is not compared: AWS's defaults apply and terraform leaves them.

use super::{Change, Policy};
use serde_json::{Value, json};

/// A bucket's default encryption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encryption {
    /// `AES256` (SSE-S3), `aws:kms`, `aws:kms:dsse`.
    pub algorithm: String,
    /// The customer key, as the natural id of its key policy (`alias/files`, `key/ID`) when
    /// that is known, else as configured (an ARN). `None` with `aws:kms`: AWS's `aws/s3` key.
    pub key: Option<String>,
}

impl Encryption {
    pub fn uses_kms(&self) -> bool {
        self.algorithm.starts_with("aws:kms")
    }
}

/// The bucket an S3 website endpoint (`BUCKET.s3-website-REGION.amazonaws.com`) names; for an
/// alias target (the region's endpoint, `s3-website.REGION.amazonaws.com`) the bucket is the
/// record's own name, as S3 requires. Both names lower case, without the trailing dot.
pub fn website_bucket(target: &str, record: &str) -> Option<String> {
    let (head, rest) = match target.find("s3-website") {
        Some(0) => ("", target),
        Some(at) if target[..at].ends_with('.') => (&target[..at - 1], &target[at..]),
        _ => return None,
    };
    if !rest.ends_with(".amazonaws.com") {
        return None;
    }
    Some(if head.is_empty() {
        record.to_string()
    } else {
        head.to_string()
    })
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Bucket {
    pub name: String,
    /// `None`: the code declares none (not compared; AWS encrypts with SSE-S3).
    pub encryption: Option<Encryption>,
    /// `None` in code: no `aws_s3_bucket_policy` (not compared); live: the bucket has none.
    pub policy: Option<Policy>,
    /// Whether a website configuration exists; `None` in code: not declared.
    pub website: Option<bool>,
}

impl Bucket {
    pub fn to_json(&self) -> Value {
        let mut v = json!({ "bucket": self.name });
        if let Some(e) = &self.encryption {
            v["server_side_encryption"] =
                json!({"sse_algorithm": e.algorithm, "kms_master_key_id": e.key});
        }
        if let Some(p) = &self.policy {
            v["policy"] = p.to_json();
        }
        if let Some(w) = self.website {
            v["website"] = json!(w);
        }
        v
    }

    /// The effective encryption: AWS encrypts every new object with SSE-S3 by default.
    pub fn effective_encryption(&self) -> Encryption {
        self.encryption.clone().unwrap_or(Encryption {
            algorithm: "AES256".into(),
            key: None,
        })
    }

    /// Values the code does not declare, taken from what runs (terraform leaves them).
    pub fn fill_from(&mut self, live: &Bucket) {
        if self.encryption.is_none() {
            self.encryption = live.encryption.clone();
        }
        if self.policy.is_none() {
            self.policy = live.policy.clone();
        }
        if self.website.is_none() {
            self.website = live.website;
        }
    }

    pub fn changes(&self, live: &Bucket) -> Vec<Change> {
        let mut out = Vec::new();
        if let Some(d) = &self.encryption {
            let l = live.effective_encryption();
            if d.algorithm != l.algorithm {
                out.push(Change::changed(
                    "server_side_encryption.sse_algorithm",
                    json!(d.algorithm),
                    json!(l.algorithm),
                ));
            }
            if d.uses_kms() && l.uses_kms() && differ(d.key.as_deref(), l.key.as_deref()) {
                out.push(Change::changed(
                    "server_side_encryption.kms_master_key_id",
                    json!(d.key),
                    json!(l.key),
                ));
            }
        }
        match (&self.policy, &live.policy) {
            (Some(d), Some(l)) => out.extend(d.changes(l).into_iter().map(|mut c| {
                c.path = if c.path.is_empty() {
                    "policy".into()
                } else {
                    format!("policy.{}", c.path)
                };
                c
            })),
            (Some(d), None) => out.push(Change::remove("policy", d.to_json())),
            _ => {}
        }
        if let (Some(d), Some(l)) = (self.website, live.website)
            && d != l
        {
            out.push(Change::changed("website", json!(d), json!(l)));
        }
        out
    }
}

/// Whether two key references certainly name different keys. A reference left as an ARN was
/// not matched to a key read (its family not read, or failed): against an alias it cannot be
/// compared, so it is not a difference; against `key/ID` its id is compared.
fn differ(d: Option<&str>, l: Option<&str>) -> bool {
    let (Some(d), Some(l)) = (d, l) else {
        return d != l;
    };
    if d == l {
        return false;
    }
    let id = |k: &str| -> Option<String> {
        let k = crate::model::split_placed(k).0;
        k.strip_prefix("key/")
            .map(str::to_string)
            .or_else(|| k.split_once(":key/").map(|(_, id)| id.to_string()))
    };
    let unresolved = |k: &str| k.starts_with("arn:") && k.contains(":key/");
    match (id(d), id(l)) {
        (Some(a), Some(b)) => a != b,
        _ => !(unresolved(d) || unresolved(l)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undeclared_parts_are_not_compared_and_declared_ones_are() {
        let code = Bucket {
            name: "files".into(),
            ..Bucket::default()
        };
        let live = Bucket {
            name: "files".into(),
            encryption: Some(Encryption {
                algorithm: "aws:kms".into(),
                key: Some("alias/files".into()),
            }),
            policy: None,
            website: Some(true),
        };
        assert!(code.changes(&live).is_empty());
        let mut code = code;
        code.encryption = Some(Encryption {
            algorithm: "aws:kms".into(),
            key: Some("alias/other".into()),
        });
        code.website = Some(false);
        let paths: Vec<String> = code.changes(&live).into_iter().map(|c| c.path).collect();
        assert_eq!(
            paths,
            vec!["server_side_encryption.kms_master_key_id", "website"]
        );
        // The code asks for KMS, AWS has its default SSE-S3.
        let plain = Bucket {
            name: "files".into(),
            ..Bucket::default()
        };
        assert_eq!(
            code.changes(&plain)[0].path,
            "server_side_encryption.sse_algorithm"
        );
    }
}
