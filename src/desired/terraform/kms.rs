//! KMS key policies from Terraform: `aws_kms_key.policy`, `aws_kms_key_policy`,
//! `aws_kms_alias` for identity, and calls of the `terraform-aws-modules/kms/aws` module.
//! A key with no policy in code has AWS's default policy.

use super::eval::{ModuleInstance, Placement, ProviderRegion};
use super::kms_module;
use super::value::Value;
use super::{Instances, eval_error, ignore_changes, instances_of, origin, referenced_address};
use crate::error::Result;
use crate::model::{
    Body, Ignore, Item, Kind, Origin, Place, Policy, Spec, State, partition_of, placed_id,
};
use hcl_edit::Span;

struct Key {
    address: String,
    origin: Origin,
    policy: Option<Value>,
    aliases: Vec<String>,
    unknown: Option<String>,
    /// What `ignore_changes` on the key (or its `aws_kms_key_policy`) lists.
    ignore: Vec<String>,
    /// The region the key lives in (`None`: drift's default region).
    region: ProviderRegion,
}

/// AWS's default key policy for `account` in `partition`.
pub fn default_policy(account: &str, partition: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
            "Action": "kms:*",
            "Resource": "*"
        }]
    })
    .to_string()
}

pub fn collect(inst: &ModuleInstance, state: &mut State) -> Result<()> {
    let mut keys: Vec<Key> = Vec::new();
    for found in instances_of(inst, "resource", "aws_kms_key") {
        let (decl, found) = found?;
        let base = format!("{}aws_kms_key.{}", inst.prefix, decl.item.name);
        match found {
            Instances::Known(list) => {
                for r in list {
                    keys.push(Key {
                        origin: origin(inst, decl, decl.item.block.span(), &r.address),
                        address: r.address.clone(),
                        policy: r.attrs.get("policy").cloned().filter(|p| !p.is_null()),
                        aliases: Vec::new(),
                        unknown: None,
                        ignore: ignore_changes(&decl.item.block),
                        region: inst.resource_region(&decl.item.block, &r.attrs),
                    });
                }
            }
            Instances::Unknown(u) => keys.push(Key {
                origin: origin(inst, decl, decl.item.block.span(), &base),
                address: base.clone(),
                policy: None,
                aliases: Vec::new(),
                unknown: Some(u.reason),
                ignore: Vec::new(),
                region: Ok(Placement::default()),
            }),
        }
    }
    // Calls of the community KMS module.
    for (name, decl) in &inst.module.module_calls {
        let Some(source) = super::module::call_source(&decl.item) else {
            continue;
        };
        // Installed, its real code is read like any module's; the emulation is for when not.
        if !kms_module::is_kms_module(source) || inst.module_dir_of(name, source).is_some() {
            continue;
        }
        let address = format!("{}module.{name}", inst.prefix);
        let org = origin(inst, decl, decl.item.span(), &address);
        let expanded = match inst.expand(&decl.item, decl.file) {
            Err(e) if !e.fatal => Ok(Err(inst.note(&e))),
            other => other,
        };
        let instances = match expanded.map_err(|e| eval_error(inst, e))? {
            Ok(list) => list,
            Err(u) => {
                keys.push(Key {
                    address,
                    origin: org,
                    policy: None,
                    aliases: Vec::new(),
                    unknown: Some(u.reason),
                    ignore: Vec::new(),
                    region: Ok(Placement::default()),
                });
                continue;
            }
        };
        for one in instances {
            let inputs = inst
                .eval_module_inputs(&decl.item.body, &one.scope, decl.file)
                .map_err(|e| eval_error(inst, e))?;
            let address = format!("{address}{}", one.key);
            let release = kms_module::Release::from_constraint(
                decl.item
                    .body
                    .get_attribute("version")
                    .and_then(|a| a.value.as_str()),
            );
            let region = inst.call_region(&decl.item, &inputs);
            let (account, partition_region) = match &region {
                Ok(p) => (
                    p.account().or(inst.env.account_id.as_deref()),
                    p.region.as_deref().or(inst.env.region.as_deref()),
                ),
                Err(_) => (inst.env.account_id.as_deref(), inst.env.region.as_deref()),
            };
            let made = kms_module::key(&inputs, release, account, partition_region);
            let (policy, aliases, unknown) = match made {
                // `create = false`: the call makes no key.
                Ok(None) => continue,
                Ok(Some(k)) => match k.aliases {
                    Ok(a) => (k.policy, a, None),
                    Err(u) => (k.policy, Vec::new(), Some(u.reason)),
                },
                Err(m) => {
                    let at = format!("{}:{}:1", org.file, org.line);
                    let reason = inst.object_error(&at, &format!("`{address}`: {m}"));
                    (Value::unknown(reason.clone()), Vec::new(), Some(reason))
                }
            };
            keys.push(Key {
                address,
                origin: org.clone(),
                policy: Some(policy),
                aliases,
                unknown,
                ignore: ignore_changes(&decl.item),
                region,
            });
        }
    }

    // A separate aws_kms_key_policy replaces the key's own policy (a module's key's too). One
    // whose key is not a key declared here is not checked, with why — never left out.
    for found in instances_of(inst, "resource", "aws_kms_key_policy") {
        let (decl, found) = found?;
        let base = format!("{}aws_kms_key_policy.{}", inst.prefix, decl.item.name);
        match found {
            Instances::Known(list) => {
                for r in list {
                    let target = r.attrs.get("key_id").and_then(referenced_address);
                    if let Some(key) = keys
                        .iter_mut()
                        .find(|k| Some(&k.address) == target.as_ref())
                    {
                        key.policy = r.attrs.get("policy").cloned();
                        key.ignore.extend(ignore_changes(&decl.item.block));
                        continue;
                    }
                    let org = origin(inst, decl, decl.item.block.span(), &r.address);
                    let (id, reason) = undeclared_key(r.attrs.get("key_id"), &r.address, "key_id");
                    state.push(Item::unknown(Kind::KmsKeyPolicy, id, org, reason));
                }
            }
            Instances::Unknown(u) => {
                let org = origin(inst, decl, decl.item.block.span(), &base);
                state.push(Item::unknown(Kind::KmsKeyPolicy, base, org, u.reason));
            }
        }
    }
    for found in instances_of(inst, "resource", "aws_kms_alias") {
        let (decl, found) = found?;
        let base = format!("{}aws_kms_alias.{}", inst.prefix, decl.item.name);
        match found {
            Instances::Known(list) => {
                for r in list {
                    let target = r.attrs.get("target_key_id").and_then(referenced_address);
                    let name = match r.attrs.get("name") {
                        Some(Value::String(name)) => Some(name.clone()),
                        _ => None,
                    };
                    let key = keys
                        .iter_mut()
                        .find(|k| Some(&k.address) == target.as_ref());
                    match (key, name) {
                        (Some(key), Some(name)) => key.aliases.push(name),
                        // The key's own finding says its alias is not known.
                        (Some(_), None) => {}
                        (None, name) => {
                            let org = origin(inst, decl, decl.item.block.span(), &r.address);
                            let (_, reason) = undeclared_key(
                                r.attrs.get("target_key_id"),
                                &r.address,
                                "target_key_id",
                            );
                            let id = name.unwrap_or_else(|| r.address.clone());
                            state.push(Item::unknown(Kind::KmsKeyPolicy, id, org, reason));
                        }
                    }
                }
            }
            Instances::Unknown(u) => {
                let org = origin(inst, decl, decl.item.block.span(), &base);
                state.push(Item::unknown(Kind::KmsKeyPolicy, base, org, u.reason));
            }
        }
    }
    let default = Place {
        account: inst.env.account_id.as_deref(),
        region: inst.env.region.as_deref(),
    };
    for mut key in keys {
        let placement = match &key.region {
            Ok(p) => p.clone(),
            Err(reason) => {
                key.unknown = Some(format!(
                    "the region of `{}` is not known: {reason}",
                    key.address
                ));
                Placement::default()
            }
        };
        let place = Place {
            account: placement.account(),
            region: placement.region.as_deref(),
        };
        if let (Some(account), Some(role)) = (place.account, &placement.role_arn) {
            state.roles.insert(account.to_string(), role.clone());
        }
        key.aliases = key
            .aliases
            .iter()
            .map(|a| placed_id(a, place, default))
            .collect();
        let partition = partition_of(place.region.or(default.region));
        let key_account = place.account.or(default.account);
        // The first of its aliases in order: the live side picks the same one.
        let id = key
            .aliases
            .iter()
            .min()
            .cloned()
            .unwrap_or_else(|| key.address.clone());
        for a in &key.aliases {
            state.scopes.insert((Kind::KmsKeyPolicy, a.clone()));
        }
        let body = if let Some(reason) = key.unknown {
            Body::Unknown(reason)
        } else if key.aliases.is_empty() {
            Body::Unknown(format!(
                "`{}` has no alias in code: drift identifies keys by their aliases",
                key.address
            ))
        } else {
            if key.policy.is_none() {
                state.not_in_code.insert((Kind::KmsKeyPolicy, id.clone()));
            }
            let text = match key.policy {
                None => match key_account {
                    Some(acct) => Value::String(default_policy(acct, partition)),
                    None => Value::unknown(
                        "the account id was not read, so AWS's default key policy is unknown",
                    ),
                },
                Some(v) => v,
            };
            let text_was_unknown = text.is_unknown();
            let parsed = match text {
                Value::String(t) => Policy::parse_str_in(&t, Some(partition)),
                Value::Unknown(u) => Err(u.reason),
                other => {
                    Policy::from_json_in(&other.to_json().unwrap_or_default(), Some(partition))
                }
            };
            match (parsed, text_was_unknown) {
                (Ok(p), _) => Body::Known(Spec::KeyPolicy(p)),
                (Err(reason), true) => Body::Unknown(reason),
                // A policy that is not a policy document costs this key, not the run.
                (Err(m), false) => {
                    let at = format!("{}:{}:1", key.origin.file, key.origin.line);
                    let msg = format!("the policy of `{}`: {m}", key.address);
                    Body::Unknown(inst.object_error(&at, &msg))
                }
            }
        };
        if key.ignore.iter().any(|a| a == "policy" || a == "all") {
            state.ignores.push(Ignore {
                kind: Kind::KmsKeyPolicy,
                id: id.clone(),
                attributes: key.ignore.clone(),
                paths: Vec::new(),
            });
        }
        state.push(Item {
            kind: Kind::KmsKeyPolicy,
            scope: id.clone(),
            id,
            origin: Some(key.origin),
            body,
        });
    }
    Ok(())
}

/// For a key policy or alias whose key is not a key declared in this module: the id its
/// finding has (the key id or ARN as written, else the resource's address) and why it is not
/// checked.
fn undeclared_key(key: Option<&Value>, address: &str, attr: &str) -> (String, String) {
    match key {
        Some(Value::String(k)) => (
            k.clone(),
            format!(
                "`{address}` names key `{k}`, which the code does not declare: drift identifies keys by the aliases of the keys it declares"
            ),
        ),
        Some(Value::Unknown(u)) => match &u.reference {
            Some(r) => (
                address.to_string(),
                format!(
                    "`{address}`: its `{attr}` is `{r}`, not a key declared in this module: drift identifies keys by the aliases of the keys it declares"
                ),
            ),
            None => (address.to_string(), u.reason.clone()),
        },
        _ => (
            address.to_string(),
            format!("`{address}` has no `{attr}` drift can read"),
        ),
    }
}
