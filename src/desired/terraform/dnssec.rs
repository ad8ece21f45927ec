//! DNSSEC from Terraform: `aws_route53_key_signing_key` — the zone it signs and the KMS key it
//! signs with — and what the code declares of that key (`customer_master_key_spec`,
//! `key_usage`, `is_enabled`, its provider's region), for the `dnssec_signing_key` rule. Not
//! compared objects: the live side is `GetDNSSEC`.

use super::eval::ModuleInstance;
use super::route53::Zones;
use super::s3::declared_key;
use super::value::Value;
use super::{Instances, instances_of, referenced_address};
use crate::error::Result;
use crate::model::{KeyFacts, State, ZoneSigning};

pub fn collect(inst: &ModuleInstance, zones: &Zones, state: &mut State) -> Result<()> {
    for found in instances_of(inst, "resource", "aws_route53_key_signing_key") {
        let (_, found) = found?;
        let Instances::Known(list) = found else {
            continue;
        };
        for r in list {
            let zone = r
                .attrs
                .get("hosted_zone_id")
                .and_then(referenced_address)
                .and_then(|a| zones.get(&a));
            let Some(zone) = zone else { continue };
            let arn = r.attrs.get("key_management_service_arn");
            let key = match arn {
                Some(Value::String(s)) => super::kms::placed_key(
                    inst,
                    state,
                    s,
                    &Ok(super::eval::Placement::default()),
                    false,
                )
                .map(|(id, _)| id)
                .unwrap_or_else(|_| s.clone()),
                Some(v @ Value::Unknown(_)) => match declared_key(state, &inst.prefix, v) {
                    Some(id) => id,
                    None => continue,
                },
                _ => continue,
            };
            if let Some(facts) = arn.and_then(|v| declared_facts(inst, v)?.ok()) {
                state.keys.insert(key.clone(), facts);
            }
            state.signing.push(ZoneSigning {
                zone: zone.scope(),
                zone_id: None,
                name: r
                    .attrs
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                key,
            });
        }
    }
    Ok(())
}

/// What the code declares of the `aws_kms_key` a reference names (in this module instance).
fn declared_facts(inst: &ModuleInstance, v: &Value) -> Option<std::result::Result<KeyFacts, ()>> {
    let address = referenced_address(v)?;
    for found in instances_of(inst, "resource", "aws_kms_key") {
        let Ok((decl, Instances::Known(list))) = found else {
            continue;
        };
        for r in list {
            if r.address != address && format!("{}{address}", inst.prefix) != r.address {
                continue;
            }
            let text = |attr: &str, default: &str| match r.attrs.get(attr) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Unknown(_)) => None,
                _ => Some(default.to_string()),
            };
            let enabled = !matches!(r.attrs.get("is_enabled"), Some(Value::Bool(false)));
            let region = match inst.resource_region(&decl.item.block, &r.attrs) {
                Ok(p) => p.region.or_else(|| inst.env.region.clone()),
                Err(_) => None,
            };
            return Some(Ok(KeyFacts {
                key_id: String::new(),
                arn: String::new(),
                state: if enabled { "Enabled" } else { "Disabled" }.into(),
                deletion_date: None,
                spec: text("customer_master_key_spec", "SYMMETRIC_DEFAULT"),
                usage: text("key_usage", "ENCRYPT_DECRYPT"),
                region: region.unwrap_or_default(),
            }));
        }
    }
    None
}
