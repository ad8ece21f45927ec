//! The `terraform-aws-modules/kms/aws` module call: the key policy the module would build from
//! its inputs (SEMANTICS.md section 1), and the aliases that identify the key.
//!
//! Statements are described in `aws_iam_policy_document` shape and built by `iam_document`.

use super::iam_document;
use super::value::Value;
use std::collections::BTreeMap;

/// Whether a module `source` is the community KMS module.
pub fn is_kms_module(source: &str) -> bool {
    let s = source.trim_start_matches("registry.terraform.io/");
    s == "terraform-aws-modules/kms/aws"
        || s.starts_with("terraform-aws-modules/kms/aws//")
        || s.contains("github.com/terraform-aws-modules/terraform-aws-kms")
}

fn list(inputs: &BTreeMap<String, Value>, key: &str) -> Vec<Value> {
    inputs
        .get(key)
        .and_then(Value::as_seq)
        .map(<[Value]>::to_vec)
        .unwrap_or_default()
}

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

fn strs(xs: &[&str]) -> Value {
    Value::Tuple(xs.iter().map(|x| s(x)).collect())
}

fn principal(ty: &str, ids: Value) -> Value {
    Value::Tuple(vec![Value::Object(BTreeMap::from([
        ("type".to_string(), s(ty)),
        ("identifiers".to_string(), ids),
    ]))])
}

fn stmt(sid: &str, actions: &[&str], principals: Value) -> Value {
    Value::Object(BTreeMap::from([
        ("sid".to_string(), s(sid)),
        ("actions".to_string(), strs(actions)),
        ("resources".to_string(), strs(&["*"])),
        ("principals".to_string(), principals),
    ]))
}

/// Renames a `key_statements` entry's `principals`/`conditions` lists into block shape.
fn key_statement(v: &Value) -> Result<Value, String> {
    let Some(m) = v.as_attrs() else {
        return Err(format!(
            "a `key_statements` entry is a {}, expected an object",
            v.type_name()
        ));
    };
    let mut out = BTreeMap::new();
    for key in [
        "sid",
        "actions",
        "not_actions",
        "effect",
        "resources",
        "not_resources",
        "principals",
        "not_principals",
    ] {
        if let Some(v) = m.get(key)
            && !v.is_null()
        {
            out.insert(key.to_string(), v.clone());
        }
    }
    // v4 spells it `condition`, v3 `conditions`: accept both.
    let mut conds = Vec::new();
    for key in ["condition", "conditions"] {
        if let Some(l) = m.get(key).and_then(Value::as_seq) {
            conds.extend(l.iter().cloned());
        }
    }
    if !conds.is_empty() {
        out.insert("condition".to_string(), Value::Tuple(conds));
    }
    Ok(Value::Object(out))
}

/// The key policy JSON (or unknown) the module builds from `inputs`.
pub fn policy(inputs: &BTreeMap<String, Value>, account_id: Option<&str>) -> Result<Value, String> {
    if let Some(p) = inputs.get("policy")
        && !p.is_null()
    {
        return Ok(p.clone());
    }
    let mut statements = Vec::new();
    let enable_default = match inputs.get("enable_default_policy") {
        Some(Value::Unknown(u)) => return Ok(Value::Unknown(u.clone())),
        Some(v @ (Value::Bool(_) | Value::String(_))) => v.truthy()?,
        _ => true,
    };
    if enable_default {
        let root = match account_id {
            Some(id) => s(&format!("arn:aws:iam::{id}:root")),
            None => Value::unknown(
                "the account id was not read, so the module's Default statement is unknown",
            ),
        };
        statements.push(stmt(
            "Default",
            &["kms:*"],
            principal("AWS", Value::Tuple(vec![root])),
        ));
    }
    let with = |key: &str, sid: &str, actions: &[&str], statements: &mut Vec<Value>| {
        let ids = list(inputs, key);
        if !ids.is_empty() {
            statements.push(stmt(sid, actions, principal("AWS", Value::Tuple(ids))));
        }
    };
    with("key_owners", "KeyOwner", &["kms:*"], &mut statements);
    with(
        "key_administrators",
        "KeyAdministration",
        &[
            "kms:Create*",
            "kms:Describe*",
            "kms:Enable*",
            "kms:List*",
            "kms:Put*",
            "kms:Update*",
            "kms:Revoke*",
            "kms:Disable*",
            "kms:Get*",
            "kms:Delete*",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:ScheduleKeyDeletion",
            "kms:CancelKeyDeletion",
            "kms:ReplicateKey",
            "kms:ImportKeyMaterial",
        ],
        &mut statements,
    );
    with(
        "key_users",
        "KeyUsage",
        &[
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:DescribeKey",
        ],
        &mut statements,
    );
    let service_users = list(inputs, "key_service_users");
    if !service_users.is_empty() {
        let Value::Object(mut m) = stmt(
            "KeyServiceUsage",
            &["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            principal("AWS", Value::Tuple(service_users)),
        ) else {
            unreachable!("stmt builds an object")
        };
        m.insert(
            "condition".into(),
            Value::Tuple(vec![Value::Object(BTreeMap::from([
                ("test".to_string(), s("Bool")),
                ("variable".to_string(), s("kms:GrantIsForAWSResource")),
                ("values".to_string(), strs(&["true"])),
            ]))]),
        );
        statements.push(Value::Object(m));
    }
    match inputs.get("key_statements") {
        Some(Value::Unknown(u)) => return Ok(Value::Unknown(u.clone())),
        Some(v) if v.as_seq().is_some() => {
            for v in v.as_seq().unwrap_or_default() {
                statements.push(key_statement(v)?);
            }
        }
        Some(v) if v.as_attrs().is_some() => {
            for v in v.as_attrs().into_iter().flat_map(|m| m.values()) {
                statements.push(key_statement(v)?);
            }
        }
        _ => {}
    }
    let mut doc = BTreeMap::from([("statement".to_string(), Value::Tuple(statements))]);
    for key in ["source_policy_documents", "override_policy_documents"] {
        if let Some(v) = inputs.get(key) {
            doc.insert(key.to_string(), v.clone());
        }
    }
    iam_document::build(&doc)
}

/// The aliases the module creates, `alias/`-prefixed.
pub fn aliases(inputs: &BTreeMap<String, Value>) -> Result<Vec<String>, Value> {
    let mut out = Vec::new();
    for key in ["aliases", "computed_aliases"] {
        match inputs.get(key) {
            Some(Value::Unknown(u)) => return Err(Value::Unknown(u.clone())),
            Some(v) if v.as_seq().is_some() => {
                for a in v.as_seq().unwrap_or_default() {
                    match a {
                        Value::String(name) => out.push(if name.starts_with("alias/") {
                            name.clone()
                        } else {
                            format!("alias/{name}")
                        }),
                        Value::Object(m) | Value::Map(_, m) => {
                            if let Some(Value::String(name)) = m.get("name") {
                                out.push(format!("alias/{}", name.trim_start_matches("alias/")));
                            }
                        }
                        Value::Unknown(u) => return Err(Value::Unknown(u.clone())),
                        _ => {}
                    }
                }
            }
            Some(v) if v.as_attrs().is_some() => {
                for a in v.as_attrs().into_iter().flat_map(|m| m.values()) {
                    if let Some(obj) = a.as_attrs()
                        && let Some(Value::String(name)) = obj.get("name")
                    {
                        out.push(format!("alias/{}", name.trim_start_matches("alias/")));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}
