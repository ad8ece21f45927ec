//! Route 53 from Terraform: zones (`aws_route53_zone`, `data "aws_route53_zone"`) and records
//! (`aws_route53_record` with `records`/`ttl` or an `alias` block). A record's zone is found
//! through the reference its `zone_id` makes; its name is qualified within that zone.

use super::eval::ModuleInstance;
use super::value::{ResourceValue, Value};
use super::{Instances, ignore_changes, instances_of, origin, referenced_address};
use crate::error::Result;
use crate::model::dns::{
    AliasTarget, Routing, canonical_code_value, canonical_name, canonical_zone_id, in_account,
    qualify, zone_scope,
};
use crate::model::{Body, Claim, Ignore, Item, Kind, Record, Spec, State};
use hcl_edit::Span;
use std::collections::BTreeMap;

#[derive(Clone)]
pub struct Zone {
    name: String,
    private: bool,
    /// A literal zone id given in code (data sources), for records that write it out.
    literal_id: Option<String>,
    /// The account its provider configuration assumes a role in, when that is not drift's
    /// default account: its scope and its records' ids carry it (`@ACCOUNT`).
    account: Option<String>,
}

impl Zone {
    pub(crate) fn scope(&self) -> String {
        in_account(
            &zone_scope(&self.name, self.private),
            self.account.as_deref(),
        )
    }
}

/// A zone's name and privacy as AWS reports them, by zone id (what `GetHostedZone` says).
pub type ZonesById = BTreeMap<String, (String, bool)>;

fn zone_of(
    r: &ResourceValue,
    is_data: bool,
    by_id: &ZonesById,
    wanted: &mut Vec<String>,
) -> Option<Zone> {
    let literal_id = r
        .attrs
        .get("zone_id")
        .and_then(Value::as_str)
        .map(canonical_zone_id);
    let Some(name) = r
        .attrs
        .get("name")
        .and_then(Value::as_str)
        .map(canonical_name)
    else {
        // `data "aws_route53_zone"` by `zone_id` alone: AWS knows its name.
        let id = literal_id?;
        return match by_id.get(&id) {
            Some((name, private)) => Some(Zone {
                name: canonical_name(name),
                private: *private,
                literal_id: Some(id),
                account: None,
            }),
            None => {
                wanted.push(id);
                None
            }
        };
    };
    let private = if is_data {
        r.attrs
            .get("private_zone")
            .and_then(|v| v.truthy().ok())
            .unwrap_or(false)
    } else {
        r.attrs
            .get("vpc")
            .and_then(Value::as_seq)
            .is_some_and(|l| !l.is_empty())
    };
    Some(Zone {
        name,
        private,
        literal_id,
        account: None,
    })
}

fn strings(v: Option<&Value>) -> std::result::Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null(_)) => Ok(Vec::new()),
        Some(Value::Unknown(u)) => Err(u.reason.clone()),
        Some(v) if v.as_seq().is_some() => v
            .as_seq()
            .unwrap_or_default()
            .iter()
            .map(|x| match x {
                Value::Unknown(u) => Err(u.reason.clone()),
                other => other.to_text(),
            })
            .collect(),
        Some(other) => Err(format!("`records` is a {}", other.type_name())),
    }
}

/// The canonical record, or why it cannot be known.
fn record(r: &ResourceValue, zone: &Zone) -> std::result::Result<Record, String> {
    // `zone_id` is a reference to the zone (resolved by the caller), unknown by nature.
    if let Some(u) = r
        .attrs
        .iter()
        .filter(|(k, _)| k.as_str() != "zone_id")
        .find_map(|(_, v)| v.find_unknown())
    {
        return Err(u.reason.clone());
    }
    let name = r
        .attrs
        .get("name")
        .and_then(Value::as_str)
        .ok_or("`name` is not set")?;
    let rtype = r
        .attrs
        .get("type")
        .and_then(Value::as_str)
        .ok_or("`type` is not set")?
        .to_uppercase();
    let alias = match r.attrs.get("alias") {
        Some(v) if v.as_seq().is_some_and(|l| !l.is_empty()) => {
            let Some(a) = v.as_seq().and_then(|l| l[0].as_attrs()) else {
                return Err("`alias` is not a block".into());
            };
            let get = |k: &str| {
                a.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let eth = a
                .get("evaluate_target_health")
                .and_then(|v| v.truthy().ok())
                .unwrap_or(false);
            Some(AliasTarget::new(&get("name"), &get("zone_id"), eth))
        }
        _ => None,
    };
    // The first (only) block of a nested block type, as attributes.
    let block = |name: &str| {
        r.attrs
            .get(name)
            .and_then(Value::as_seq)
            .and_then(|l| l.first().and_then(|b| b.as_attrs().cloned()))
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let routing = Routing {
        weight: match block("weighted_routing_policy").and_then(|b| b.get("weight").cloned()) {
            Some(w) => Some(
                w.as_number()?
                    .to_i64()
                    .ok_or("`weight` is not a whole number")?,
            ),
            None => None,
        },
        failover: block("failover_routing_policy").and_then(|b| text(b.get("type"))),
        region: block("latency_routing_policy").and_then(|b| text(b.get("region"))),
        multivalue_answer: r
            .attrs
            .get("multivalue_answer_routing_policy")
            .and_then(|v| v.truthy().ok())
            .filter(|m| *m),
        health_check_id: text(r.attrs.get("health_check_id")).filter(|h| !h.is_empty()),
    };
    let ttl = match r.attrs.get("ttl") {
        None | Some(Value::Null(_)) => None,
        Some(v) => Some(
            v.as_number()?
                .to_i64()
                .ok_or("`ttl` is not a whole number")?,
        ),
    };
    Ok(Record {
        zone: zone.name.clone(),
        name: qualify(name, &zone.name),
        set_identifier: r
            .attrs
            .get("set_identifier")
            .and_then(Value::as_str)
            .map(str::to_string),
        ttl: if alias.is_some() { None } else { ttl },
        records: strings(r.attrs.get("records"))?
            .iter()
            .map(|v| canonical_code_value(&rtype, v))
            .collect(),
        rtype,
        alias,
        routing: Box::new(routing),
    })
}

/// Zones by Terraform address (`module.x.aws_route53_zone.z`), across all module instances.
pub type Zones = BTreeMap<String, Zone>;

/// First pass: the zones a module instance declares (a record may refer to a zone of another
/// module through a variable).
pub fn zones(inst: &ModuleInstance, zones: &mut Zones, state: &mut State) -> Result<()> {
    for (kind, rtype) in [
        ("resource", "aws_route53_zone"),
        ("data", "aws_route53_zone"),
    ] {
        for found in instances_of(inst, kind, rtype) {
            let (decl, found) = found?;
            if let Instances::Known(list) = found {
                for r in list {
                    let by_id = &inst.env.zones_by_id;
                    if let Some(mut z) =
                        zone_of(&r, kind == "data", by_id, &mut state.zone_ids_wanted)
                    {
                        // A zone in another account (its provider assumes a role there) is
                        // read there.
                        if let Ok(p) = inst.resource_region(&decl.item.block, &r.attrs)
                            && let Some(a) = p.account()
                            && Some(a) != inst.env.account_id.as_deref()
                        {
                            z.account = Some(a.to_string());
                            if let Some(role) = &p.role_arn {
                                state.roles.insert(a.to_string(), role.clone());
                            }
                        }
                        let scope = z.scope();
                        state.scopes.insert((Kind::Route53Record, scope.clone()));
                        state.zones.entry(scope).or_insert_with(|| {
                            origin(inst, decl, decl.item.block.span(), &r.address)
                        });
                        zones.insert(r.address.clone(), z);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Second pass: the records of a module instance.
pub fn collect(inst: &ModuleInstance, zones: &Zones, state: &mut State) -> Result<()> {
    for found in instances_of(inst, "resource", "aws_route53_record") {
        let (decl, found) = found?;
        let base = format!("{}aws_route53_record.{}", inst.prefix, decl.item.name);
        let list = match found {
            Instances::Known(list) => list,
            Instances::Unknown(u) => {
                // Which records it makes is unknown: it could be any in any declared zone.
                state.claims.push(Claim {
                    kind: Kind::Route53Record,
                    scope: None,
                    id_suffix: None,
                    by: base.clone(),
                });
                state.push(Item::unknown(
                    Kind::Route53Record,
                    base.clone(),
                    origin(inst, decl, decl.item.block.span(), &base),
                    u.reason,
                ));
                continue;
            }
        };
        for r in list {
            let org = origin(inst, decl, decl.item.block.span(), &r.address);
            let zone_id = r.attrs.get("zone_id");
            let zone = match zone_id {
                Some(Value::String(id)) => {
                    let id = canonical_zone_id(id);
                    let declared = zones
                        .values()
                        .find(|z| z.literal_id.as_deref() == Some(id.as_str()))
                        .cloned();
                    // A zone id written out (or passed in a variable): AWS knows its name.
                    declared.or_else(|| match inst.env.zones_by_id.get(&id) {
                        Some((name, private)) => {
                            let z = Zone {
                                name: canonical_name(name),
                                private: *private,
                                literal_id: Some(id.clone()),
                                account: None,
                            };
                            let scope = z.scope();
                            state.scopes.insert((Kind::Route53Record, scope.clone()));
                            state.zones.entry(scope).or_insert_with(|| org.clone());
                            Some(z)
                        }
                        None => {
                            state.zone_ids_wanted.push(id.clone());
                            None
                        }
                    })
                }
                Some(v) => referenced_address(v).and_then(|a| zones.get(&a).cloned()),
                None => None,
            };
            let rtype = r
                .attrs
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_uppercase);
            let Some(zone) = zone else {
                state.claims.push(Claim {
                    kind: Kind::Route53Record,
                    scope: None,
                    id_suffix: rtype.as_ref().map(|t| format!("/{t}")),
                    by: r.address.clone(),
                });
                state.push(Item::unknown(Kind::Route53Record, r.address.clone(), org, "its `zone_id` does not refer to a zone declared in code (aws_route53_zone or data \"aws_route53_zone\")"));
                continue;
            };
            let scope = zone.scope();
            let account = zone.account.as_deref();
            // The provider allows one `alias` block: terraform refuses the plan with two.
            let aliases = r
                .attrs
                .get("alias")
                .and_then(Value::as_seq)
                .map_or(0, |l| l.len());
            let checked = if aliases > 1 {
                let at = format!("{}:{}:1", org.file, org.line);
                Err(inst.object_error(
                    &at,
                    &format!(
                        "`{}`: too many `alias` blocks ({aliases}): no more than 1 is allowed",
                        r.address
                    ),
                ))
            } else {
                record(&r, &zone)
            };
            let (id, body) = match checked {
                Ok(rec) => (
                    in_account(&rec.id(), account),
                    Body::Known(Spec::Record(rec)),
                ),
                Err(reason) => {
                    // Keep the natural id when the name and type are known.
                    let id = match (
                        r.attrs.get("name").and_then(Value::as_str),
                        r.attrs.get("type").and_then(Value::as_str),
                    ) {
                        (Some(n), Some(t)) => in_account(
                            &format!("{}/{}", qualify(n, &zone.name), t.to_uppercase()),
                            account,
                        ),
                        _ => {
                            // Its name is unknown: it could be any record of its type here.
                            state.claims.push(Claim {
                                kind: Kind::Route53Record,
                                scope: Some(scope.clone()),
                                id_suffix: rtype.as_ref().map(|t| format!("/{t}")),
                                by: r.address.clone(),
                            });
                            r.address.clone()
                        }
                    };
                    (id, Body::Unknown(reason))
                }
            };
            // What `ignore_changes` covers, as the paths record changes carry.
            let attributes = ignore_changes(&decl.item.block);
            let all = attributes.iter().any(|a| a == "all");
            let paths: Vec<String> = attributes
                .iter()
                .filter(|a| matches!(a.as_str(), "records" | "ttl" | "alias"))
                .cloned()
                .collect();
            if all || !paths.is_empty() {
                state.ignores.push(Ignore {
                    kind: Kind::Route53Record,
                    id: id.clone(),
                    attributes,
                    paths: if all { Vec::new() } else { paths },
                });
            }
            state.push(Item {
                kind: Kind::Route53Record,
                id,
                scope,
                origin: Some(org),
                body,
            });
        }
    }
    Ok(())
}
