//! CloudFront distributions from Terraform: `aws_cloudfront_distribution` — its aliases,
//! `enabled`, and each `origin` with how CloudFront reaches it (an
//! `origin_access_control_id` set: OAC; an `s3_origin_config` with an identity: OAI). An
//! origin's `domain_name` that references a declared bucket's `bucket_regional_domain_name`
//! (or `bucket_domain_name`) is that bucket's S3 endpoint, known before apply.

use super::eval::ModuleInstance;
use super::s3::blocks;
use super::value::Value;
use super::{Instances, instances_of, origin, referenced_address};
use crate::error::Result;
use crate::model::{Body, Distribution, DistributionOrigin, Item, Kind, OriginAccess, Spec, State};
use hcl_edit::Span;
use std::collections::BTreeSet;

pub fn collect(inst: &ModuleInstance, state: &mut State) -> Result<()> {
    for found in instances_of(inst, "resource", "aws_cloudfront_distribution") {
        let (decl, found) = found?;
        let base = format!(
            "{}aws_cloudfront_distribution.{}",
            inst.prefix, decl.item.name
        );
        let list = match found {
            Instances::Known(list) => list,
            Instances::Unknown(u) => {
                let org = origin(inst, decl, decl.item.block.span(), &base);
                state.push(Item::unknown(
                    Kind::CloudfrontDistribution,
                    base,
                    org,
                    u.reason,
                ));
                continue;
            }
        };
        for r in list {
            let org = origin(inst, decl, decl.item.block.span(), &r.address);
            match distribution(inst, state, &r) {
                Ok(d) => {
                    let Some(id) = d.natural_id() else {
                        state.push(Item::unknown(
                            Kind::CloudfrontDistribution,
                            r.address.clone(),
                            org,
                            format!(
                                "`{}` has no aliases: a distribution without one is identified by its id, which AWS assigns at create time (give drift the Terraform state)",
                                r.address
                            ),
                        ));
                        continue;
                    };
                    state
                        .scopes
                        .insert((Kind::CloudfrontDistribution, id.clone()));
                    state.push(Item {
                        kind: Kind::CloudfrontDistribution,
                        id: id.clone(),
                        scope: id,
                        origin: Some(org),
                        body: Body::Known(Spec::Distribution(d)),
                    });
                }
                Err(why) => state.push(Item::unknown(
                    Kind::CloudfrontDistribution,
                    r.address,
                    org,
                    why,
                )),
            }
        }
    }
    Ok(())
}

fn distribution(
    inst: &ModuleInstance,
    state: &State,
    r: &super::value::ResourceValue,
) -> std::result::Result<Distribution, String> {
    let mut aliases = BTreeSet::new();
    match r.attrs.get("aliases") {
        None | Some(Value::Null(_)) => {}
        Some(Value::Unknown(u)) => return Err(u.reason.clone()),
        Some(Value::List(_, l) | Value::Set(_, l) | Value::Tuple(l)) => {
            for a in l {
                match a {
                    Value::String(s) => {
                        aliases.insert(crate::model::dns::canonical_name(s));
                    }
                    Value::Unknown(u) => return Err(u.reason.clone()),
                    _ => return Err(format!("`{}`: an alias is not a string", r.address)),
                }
            }
        }
        Some(_) => return Err(format!("`{}`: `aliases` is not a list", r.address)),
    }
    let enabled = match r.attrs.get("enabled") {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    };
    let mut origins = Vec::new();
    for o in blocks(&r.attrs, "origin") {
        let id = match o.get("origin_id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Unknown(u)) => return Err(u.reason.clone()),
            _ => return Err(format!("`{}`: an origin has no `origin_id`", r.address)),
        };
        let domain_name = match o.get("domain_name") {
            Some(Value::String(s)) => crate::model::dns::canonical_name(s),
            Some(v @ Value::Unknown(u)) => {
                bucket_endpoint(inst, state, v).ok_or_else(|| u.reason.clone())?
            }
            _ => {
                return Err(format!(
                    "`{}`: origin `{id}` has no `domain_name`",
                    r.address
                ));
            }
        };
        let oac = o
            .get("origin_access_control_id")
            .is_some_and(|v| !matches!(v, Value::Null(_)) && v.as_str() != Some(""));
        let oai = blocks(o, "s3_origin_config").iter().any(|c| {
            c.get("origin_access_identity")
                .is_some_and(|v| !matches!(v, Value::Null(_)) && v.as_str() != Some(""))
        });
        origins.push(DistributionOrigin {
            id,
            domain_name,
            access: if oac {
                OriginAccess::Oac
            } else if oai {
                OriginAccess::Oai
            } else {
                OriginAccess::None
            },
        });
    }
    origins.sort();
    let recorded = |attr: &str| {
        r.state
            .get(attr)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(Distribution {
        id: recorded("id"),
        domain_name: recorded("domain_name"),
        aliases,
        enabled,
        origins,
    })
}

/// The S3 endpoint of a declared bucket that `v` references (`bucket_regional_domain_name`:
/// `NAME.s3.REGION.amazonaws.com`; `bucket_domain_name`: `NAME.s3.amazonaws.com`).
fn bucket_endpoint(inst: &ModuleInstance, state: &State, v: &Value) -> Option<String> {
    let Value::Unknown(u) = v else { return None };
    let attr = u.reference.as_deref()?.rsplit('.').next()?;
    let address = referenced_address(v)?;
    let bucket = state
        .items
        .iter()
        .filter(|i| i.kind == Kind::S3Bucket)
        .find(|i| {
            i.origin
                .as_ref()
                .and_then(|o| o.address.as_deref())
                .is_some_and(|a| a == address || *a == format!("{}{address}", inst.prefix))
        })?;
    let name = &bucket.id;
    match attr {
        "bucket_regional_domain_name" => Some(match inst.env.region.as_deref() {
            Some(region) => format!("{name}.s3.{region}.amazonaws.com"),
            None => format!("{name}.s3.amazonaws.com"),
        }),
        "bucket_domain_name" => Some(format!("{name}.s3.amazonaws.com")),
        _ => None,
    }
}
