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
    // on a key not declared here is checked against that key as AWS finds it (by id, ARN or
    // alias); one whose key cannot be known is not checked, with why — never left out.
    let data_keys = data_key_ids(inst);
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
                    let region = inst.resource_region(&decl.item.block, &r.attrs);
                    let named = written_key(inst, &data_keys, r.attrs.get("key_id"))
                        .and_then(|text| placed_key(inst, state, &text, &region, true));
                    let id = match named {
                        Ok((id, _)) => id,
                        Err(_) => {
                            let (id, reason) =
                                undeclared_key(r.attrs.get("key_id"), &r.address, "key_id");
                            let reason = match named {
                                Err(Some(why)) => why,
                                _ => reason,
                            };
                            state.push(Item::unknown(Kind::KmsKeyPolicy, id, org, reason));
                            continue;
                        }
                    };
                    let partition = partition_of(
                        region
                            .as_ref()
                            .ok()
                            .and_then(|p| p.region.as_deref())
                            .or(inst.env.region.as_deref()),
                    );
                    let text = r
                        .attrs
                        .get("policy")
                        .cloned()
                        .unwrap_or(Value::unknown(format!("`{}` has no policy", r.address)));
                    let body = policy_body(inst, text, partition, &org, &r.address);
                    let ignore = ignore_changes(&decl.item.block);
                    if ignore.iter().any(|a| a == "policy" || a == "all") {
                        state.ignores.push(Ignore {
                            kind: Kind::KmsKeyPolicy,
                            id: id.clone(),
                            attributes: ignore,
                            paths: Vec::new(),
                        });
                    }
                    state.scopes.insert((Kind::KmsKeyPolicy, id.clone()));
                    state.not_created_by_apply.insert(
                        (Kind::KmsKeyPolicy, id.clone()),
                        "the key does not exist: the code declares only its policy, so `terraform apply` cannot create it and fails".into(),
                    );
                    state.push(Item {
                        kind: Kind::KmsKeyPolicy,
                        scope: id.clone(),
                        id,
                        origin: Some(org),
                        body,
                    });
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
                    // A `name_prefix` alias is named by AWS: the state says what it chose.
                    let name = match r.attrs.get("name") {
                        Some(Value::String(name)) => Some(name.clone()),
                        _ => recorded(inst, &r.address, "name"),
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
                            let region = inst.resource_region(&decl.item.block, &r.attrs);
                            let named = written_key(inst, &data_keys, r.attrs.get("target_key_id"))
                                .and_then(|t| placed_key(inst, state, &t, &region, false));
                            let (placed_name, reason) = match (&name, named) {
                                (Some(name), Ok((_, key))) => {
                                    match placed_key(inst, state, name, &region, true) {
                                        Ok((id, _)) => {
                                            state.scopes.insert((Kind::KmsKeyPolicy, id.clone()));
                                            state.push(Item {
                                                kind: Kind::KmsKeyPolicy,
                                                scope: id.clone(),
                                                id,
                                                origin: Some(org),
                                                body: Body::Known(Spec::KeyAlias(
                                                    crate::model::KeyAlias { key },
                                                )),
                                            });
                                            continue;
                                        }
                                        Err(why) => (None, why),
                                    }
                                }
                                (None, _) => (
                                    None,
                                    Some(format!(
                                        "`{}`: its name is not known (a `name_prefix` alias is identified through the Terraform state)",
                                        r.address
                                    )),
                                ),
                                (Some(_), Err(why)) => (None::<String>, why),
                            };
                            let (_, fallback) = undeclared_key(
                                r.attrs.get("target_key_id"),
                                &r.address,
                                "target_key_id",
                            );
                            let id = placed_name.or(name).unwrap_or_else(|| r.address.clone());
                            let reason = reason.unwrap_or(fallback);
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
        // A key without an alias in code is named by the key id the state records for it.
        let by_id = if key.aliases.is_empty() {
            recorded(inst, &key.address, "key_id")
                .map(|k| placed_id(&format!("key/{k}"), place, default))
        } else {
            None
        };
        // The first of its aliases in order: the live side picks the same one.
        let id = key
            .aliases
            .iter()
            .min()
            .cloned()
            .or(by_id.clone())
            .unwrap_or_else(|| key.address.clone());
        if let Some(k) = &by_id {
            state.scopes.insert((Kind::KmsKeyPolicy, k.clone()));
        }
        for a in &key.aliases {
            state.scopes.insert((Kind::KmsKeyPolicy, a.clone()));
        }
        let body = if let Some(reason) = key.unknown {
            Body::Unknown(reason)
        } else if key.aliases.is_empty() && by_id.is_none() {
            Body::Unknown(format!(
                "`{}` has no alias in code and no Terraform state records its key id: drift identifies keys by their aliases, or by the key id in the state",
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
            policy_body(inst, text, partition, &key.origin, &key.address)
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
            format!("`{address}` names key `{k}`, which drift cannot look up"),
        ),
        Some(Value::Unknown(u)) => match &u.reference {
            Some(r) => (
                address.to_string(),
                format!(
                    "`{address}`: its `{attr}` is `{r}`, not a key declared in this module, and its value is not known (no Terraform state records it)"
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

/// The canonical policy of `address` from the value its code gives (a JSON string, an
/// object, or unknown); a policy that is not a policy document costs this key, not the run.
fn policy_body(
    inst: &ModuleInstance,
    text: Value,
    partition: &str,
    origin: &Origin,
    address: &str,
) -> Body {
    let text_was_unknown = text.is_unknown();
    let parsed = match text {
        Value::String(t) => Policy::parse_str_in(&t, Some(partition)),
        Value::Unknown(u) => Err(u.reason),
        other => Policy::from_json_in(&other.to_json().unwrap_or_default(), Some(partition)),
    };
    match (parsed, text_was_unknown) {
        (Ok(p), _) => Body::Known(Spec::KeyPolicy(p)),
        (Err(reason), true) => Body::Unknown(reason),
        (Err(m), false) => {
            let at = format!("{}:{}:1", origin.file, origin.line);
            let msg = format!("the policy of `{address}`: {m}");
            Body::Unknown(inst.object_error(&at, &msg))
        }
    }
}

/// What the Terraform state records for `attr` of the resource instance at `address`.
fn recorded(inst: &ModuleInstance, address: &str, attr: &str) -> Option<String> {
    inst.env
        .state_attrs
        .get(address)?
        .get(attr)?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The `key_id` each `data "aws_kms_key"` instance of this module looks its key up by.
fn data_key_ids(inst: &ModuleInstance) -> std::collections::HashMap<String, Value> {
    let mut out = std::collections::HashMap::new();
    for (_, found) in instances_of(inst, "data", "aws_kms_key").flatten() {
        if let Instances::Known(list) = found {
            for r in list {
                if let Some(k) = r.attrs.get("key_id") {
                    out.insert(r.address.clone(), k.clone());
                }
            }
        }
    }
    out
}

/// The key a key policy or alias names, as written or as it can be learnt: a literal, the
/// `key_id` a `data "aws_kms_key"` looks up, or what the state records for the attribute a
/// reference names (a key of another module, `module.kms.key_arn`). `Err(None)`: not known
/// (the caller says why).
fn written_key(
    inst: &ModuleInstance,
    data_keys: &std::collections::HashMap<String, Value>,
    v: Option<&Value>,
) -> std::result::Result<String, Option<String>> {
    match v {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(u @ Value::Unknown(unknown)) => {
            let address = referenced_address(u).ok_or(None)?;
            if let Some(Value::String(s)) = data_keys.get(&address) {
                return Ok(s.clone());
            }
            let attr = unknown
                .reference
                .as_deref()
                .and_then(|r| r.rsplit_once('.'))
                .map(|(_, a)| a)
                .ok_or(None)?;
            recorded(inst, &address, attr).ok_or(None)
        }
        _ => Err(None),
    }
}

/// A key written as a key id, key ARN, alias name or alias ARN, as the natural reference the
/// live side reads (`key/ID` or `alias/NAME`, placed as `placed_id` places), and the key's
/// `key/ID` when written as one. An alias is accepted only where AWS accepts one.
pub(crate) fn placed_key(
    inst: &ModuleInstance,
    state: &State,
    text: &str,
    region: &super::eval::ProviderRegion,
    alias_allowed: bool,
) -> std::result::Result<(String, String), Option<String>> {
    let place = region.as_ref().map_err(|r| Some(r.clone()))?;
    let here = Place {
        account: place.account().or(inst.env.account_id.as_deref()),
        region: place.region.as_deref().or(inst.env.region.as_deref()),
    };
    let default = Place {
        account: inst.env.account_id.as_deref(),
        region: inst.env.region.as_deref(),
    };
    let (name, account, region) = match text.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            match parts.as_slice() {
                [_, "kms", region, account, resource]
                    if resource.starts_with("key/") || resource.starts_with("alias/") =>
                {
                    (resource.to_string(), Some(*account), Some(*region))
                }
                _ => return Err(Some(format!("`{text}` is not a KMS key or alias ARN"))),
            }
        }
        None if text.starts_with("alias/") => (text.to_string(), None, None),
        None if is_key_id(text) => (format!("key/{text}"), None, None),
        None => {
            return Err(Some(format!(
                "`{text}` is not a KMS key id, key ARN or alias"
            )));
        }
    };
    if !alias_allowed && name.starts_with("alias/") {
        return Err(Some(format!(
            "`{text}` is an alias: an alias names its key by key id or key ARN (AWS CreateAlias)"
        )));
    }
    if let (Some(a), Some(h)) = (account, here.account)
        && a != h
        && !state.roles.contains_key(a)
    {
        return Err(Some(format!(
            "`{text}` is in account {a}, which no provider configuration of this code reaches"
        )));
    }
    let at = Place {
        account: account.or(here.account),
        region: region.or(here.region),
    };
    let key = if name.starts_with("key/") {
        name.clone()
    } else {
        String::new()
    };
    Ok((placed_id(&name, at, default), key))
}

/// A KMS key id: a UUID, or `mrk-` and 32 hex digits for a multi-Region key.
fn is_key_id(s: &str) -> bool {
    let hex = |t: &str| t.chars().all(|c| c.is_ascii_hexdigit());
    match s.strip_prefix("mrk-") {
        Some(rest) => rest.len() == 32 && hex(rest),
        None => {
            let parts: Vec<&str> = s.split('-').collect();
            parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| hex(p))
        }
    }
}
