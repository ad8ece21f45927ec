//! S3 buckets from Terraform: `aws_s3_bucket` (its name), and what the provider's separate
//! resources declare on it — `aws_s3_bucket_server_side_encryption_configuration` (the
//! default encryption and its KMS key), `aws_s3_bucket_policy`, and
//! `aws_s3_bucket_website_configuration` — plus the bucket's own deprecated inline blocks.
//! A KMS key named by a reference to a key the code declares is the natural id of that key's
//! policy (`alias/files`), as the live side names it.

use super::eval::ModuleInstance;
use super::value::Value;
use super::{Instances, instances_of, origin, referenced_address};
use crate::error::Result;
use crate::model::{Body, Bucket, Encryption, Item, Kind, Origin, Spec, State};
use hcl_edit::Span;
use std::collections::BTreeMap;

/// One bucket as the code declares it, built from several resources.
struct Declared {
    origin: Origin,
    bucket: Bucket,
    /// Why it cannot be known (the first reason).
    unknown: Option<String>,
}

/// The nested blocks named `name` of a resource's attributes (each an object).
pub(crate) fn blocks<'v>(
    attrs: &'v BTreeMap<String, Value>,
    name: &str,
) -> Vec<&'v BTreeMap<String, Value>> {
    let items: &[Value] = match attrs.get(name) {
        Some(Value::Tuple(l) | Value::List(_, l) | Value::Set(_, l)) => l,
        _ => &[],
    };
    items
        .iter()
        .filter_map(|v| match v {
            Value::Resource(r) => Some(&r.attrs),
            Value::Object(o) => Some(o),
            _ => None,
        })
        .collect()
}

/// The bucket name a value gives: a literal, or a reference to a declared bucket's `id` or
/// `bucket` (the name, for a bucket).
fn bucket_name(v: Option<&Value>, names: &BTreeMap<String, String>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        v @ Value::Unknown(_) => names.get(&referenced_address(v)?).cloned(),
        _ => None,
    }
}

pub fn collect(inst: &ModuleInstance, state: &mut State) -> Result<()> {
    let mut declared: BTreeMap<String, Declared> = BTreeMap::new();
    // Bucket resource address (with and without the module prefix) → name.
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for found in instances_of(inst, "resource", "aws_s3_bucket") {
        let (decl, found) = found?;
        let base = format!("{}aws_s3_bucket.{}", inst.prefix, decl.item.name);
        let list = match found {
            Instances::Known(list) => list,
            Instances::Unknown(u) => {
                let org = origin(inst, decl, decl.item.block.span(), &base);
                state.push(Item::unknown(Kind::S3Bucket, base, org, u.reason));
                continue;
            }
        };
        for r in list {
            let org = origin(inst, decl, decl.item.block.span(), &r.address);
            let name = match r.attrs.get("bucket") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Unknown(u)) => {
                    state.push(Item::unknown(
                        Kind::S3Bucket,
                        r.address,
                        org,
                        u.reason.clone(),
                    ));
                    continue;
                }
                _ => match r.state.get("bucket").and_then(Value::as_str) {
                    Some(s) => s.to_string(),
                    None => {
                        state.push(Item::unknown(
                            Kind::S3Bucket,
                            r.address.clone(),
                            org,
                            format!(
                                "`{}` sets no `bucket`: AWS names it at create time",
                                r.address
                            ),
                        ));
                        continue;
                    }
                },
            };
            let local = r
                .address
                .strip_prefix(inst.prefix.as_str())
                .unwrap_or(&r.address)
                .to_string();
            names.insert(local, name.clone());
            names.insert(r.address.clone(), name.clone());
            let mut d = Declared {
                origin: org,
                bucket: Bucket {
                    name: name.clone(),
                    ..Bucket::default()
                },
                unknown: None,
            };
            // The provider's deprecated inline forms.
            if let Some(cfg) = blocks(&r.attrs, "server_side_encryption_configuration").first() {
                encryption(inst, state, cfg, &mut d);
            }
            if !blocks(&r.attrs, "website").is_empty() {
                d.bucket.website = Some(true);
            }
            if let Some(p) = r.attrs.get("policy") {
                policy(inst, p, &mut d, &r.address);
            }
            declared.insert(name, d);
        }
    }
    let types = [
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_website_configuration",
    ];
    for rtype in types {
        for found in instances_of(inst, "resource", rtype) {
            let (decl, found) = found?;
            let Instances::Known(list) = found else {
                continue;
            };
            for r in list {
                let Some(name) = bucket_name(r.attrs.get("bucket"), &names) else {
                    continue;
                };
                let d = declared.entry(name.clone()).or_insert_with(|| Declared {
                    origin: origin(inst, decl, decl.item.block.span(), &r.address),
                    bucket: Bucket {
                        name: name.clone(),
                        ..Bucket::default()
                    },
                    unknown: None,
                });
                match rtype {
                    "aws_s3_bucket_policy" => {
                        if let Some(p) = r.attrs.get("policy") {
                            policy(inst, p, d, &r.address);
                        }
                    }
                    "aws_s3_bucket_website_configuration" => d.bucket.website = Some(true),
                    _ => encryption(inst, state, &r.attrs, d),
                }
            }
        }
    }
    for (name, d) in declared {
        state.scopes.insert((Kind::S3Bucket, name.clone()));
        state.push(Item {
            kind: Kind::S3Bucket,
            id: name.clone(),
            scope: name,
            origin: Some(d.origin),
            body: match d.unknown {
                Some(why) => Body::Unknown(why),
                None => Body::Known(Spec::Bucket(d.bucket)),
            },
        });
    }
    Ok(())
}

/// The default encryption of a `rule { apply_server_side_encryption_by_default {…} }`.
fn encryption(
    inst: &ModuleInstance,
    state: &State,
    attrs: &BTreeMap<String, Value>,
    d: &mut Declared,
) {
    let Some(default) = blocks(attrs, "rule")
        .into_iter()
        .flat_map(|r| blocks(r, "apply_server_side_encryption_by_default"))
        .next()
    else {
        return;
    };
    let algorithm = match default.get("sse_algorithm") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Unknown(u)) => {
            d.unknown.get_or_insert(u.reason.clone());
            return;
        }
        _ => return,
    };
    let key = match default.get("kms_master_key_id") {
        None | Some(Value::Null(_)) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => {
            let region = Ok(super::eval::Placement::default());
            Some(
                super::kms::placed_key(inst, state, s, &region, true)
                    .map(|(id, _)| id)
                    .unwrap_or_else(|_| s.clone()),
            )
        }
        Some(v @ Value::Unknown(u)) => match declared_key(state, &inst.prefix, v) {
            Some(id) => Some(id),
            None => {
                d.unknown
                    .get_or_insert(format!("the bucket's KMS key is not known: {}", u.reason));
                return;
            }
        },
        Some(_) => None,
    };
    d.bucket.encryption = Some(Encryption { algorithm, key });
}

/// The natural id of the key a reference names, when the code declares that key: a key
/// resource (`aws_kms_key.files.arn`) or a KMS module call (`module.kms.key_arn`).
pub(crate) fn declared_key(state: &State, prefix: &str, v: &Value) -> Option<String> {
    let Value::Unknown(u) = v else { return None };
    // References carry the module prefix; accept one without it too.
    let raw = u.reference.as_deref()?;
    let references = [raw.to_string(), format!("{prefix}{raw}")];
    state
        .items
        .iter()
        .filter(|i| i.kind == Kind::KmsKeyPolicy)
        .find(|i| {
            i.origin
                .as_ref()
                .and_then(|o| o.address.as_deref())
                .is_some_and(|a| references.iter().any(|r| r.starts_with(&format!("{a}."))))
        })
        .map(|i| i.id.clone())
}

fn policy(inst: &ModuleInstance, v: &Value, d: &mut Declared, address: &str) {
    let partition = crate::model::partition_of(inst.env.region.as_deref());
    let parsed = match v {
        Value::String(t) => crate::model::Policy::parse_str_in(t, Some(partition)),
        Value::Unknown(u) => {
            d.unknown.get_or_insert(u.reason.clone());
            return;
        }
        Value::Null(_) => return,
        other => match other.to_json() {
            Ok(j) => crate::model::Policy::from_json_in(&j, Some(partition)),
            Err(u) => Err(u.reason),
        },
    };
    match parsed {
        Ok(p) => d.bucket.policy = Some(p),
        Err(m) => {
            let at = format!("{}:{}:1", d.origin.file, d.origin.line);
            let reason = inst.object_error(&at, &format!("the policy of `{address}`: {m}"));
            d.unknown.get_or_insert(reason);
        }
    }
}
