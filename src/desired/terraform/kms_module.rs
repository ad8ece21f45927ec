//! The `terraform-aws-modules/kms/aws` module call when the module is not installed: the key
//! policy and aliases the module would make from its inputs, following its 3.x and 4.x
//! releases (the call's `version` constraint chooses; none: the newest). When the module is
//! installed, its real code is read instead (see `kms.rs`).
//!
//! The rules, learned from the module's `main.tf` and `variables.tf` at v3.0.0–v3.1.1 and
//! v4.0.0–v4.2.0: inputs are converted to the module's variable types (so 4.x, whose
//! `key_statements` is a typed object list, drops a 3.x-style `conditions` attribute, and 3.x,
//! which reads `try(statement.value.conditions, [])`, ignores `condition`); the policy is `policy`
//! when set, else an `aws_iam_policy_document` with, in order, each statement below whose input
//! is set, then `key_statements`, merged with `source_policy_documents` and
//! `override_policy_documents`; aliases are `alias/NAME` for each of `aliases` (the module adds
//! the prefix, whatever the name already has) and each `computed_aliases` value's `name`.
//! Statements are described in `aws_iam_policy_document` block shape and built by
//! `iam_document`.

use super::iam_document;
use super::value::constraint::Constraint;
use super::value::convert::convert;
use super::value::{Unknown, Value};
use std::collections::BTreeMap;

/// Whether a module `source` is the community KMS module.
pub fn is_kms_module(source: &str) -> bool {
    let s = source.trim_start_matches("registry.terraform.io/");
    s == "terraform-aws-modules/kms/aws"
        || s.starts_with("terraform-aws-modules/kms/aws//")
        || s.contains("github.com/terraform-aws-modules/terraform-aws-kms")
}

/// The module releases whose policy rules differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    V3,
    V4,
}

impl Release {
    /// The release a `version` constraint selects: the newest unless it pins 3.x (`3.1.1`,
    /// `~> 3.0`, `< 4.0`, `= 3.1`).
    pub fn from_constraint(constraint: Option<&str>) -> Release {
        let Some(c) = constraint else {
            return Release::V4;
        };
        let pins_3 = c.split(',').any(|part| {
            let p = part.trim();
            let op_len = p.find(|ch: char| ch.is_ascii_digit()).unwrap_or(p.len());
            let (op, ver) = (p[..op_len].trim(), &p[op_len..]);
            let major: u32 = ver
                .split('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(u32::MAX);
            match op {
                "" | "=" | "~>" => major <= 3,
                "<" => major <= 4,
                "<=" => major <= 3,
                _ => false,
            }
        });
        if pins_3 { Release::V3 } else { Release::V4 }
    }
}

/// What the module makes of one call.
pub struct ModuleKey {
    /// The key policy JSON, or unknown.
    pub policy: Value,
    /// `alias/…` names; unknown when they cannot be known (a name prefix, an unknown input).
    pub aliases: Result<Vec<String>, Unknown>,
}

/// The AWS partition and its DNS suffix, from the region.
fn partition(region: Option<&str>) -> (&'static str, &'static str) {
    match region {
        Some(r) if r.starts_with("cn-") => ("aws-cn", "amazonaws.com.cn"),
        Some(r) if r.starts_with("us-gov-") => ("aws-us-gov", "amazonaws.com"),
        _ => ("aws", "amazonaws.com"),
    }
}

/// The module's variables that shape the policy and aliases: (name, type, default), per
/// release, as its `variables.tf` declares them.
fn variables(release: Release) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut v = vec![
        ("create", "bool", "true"),
        ("policy", "string", "null"),
        ("enable_default_policy", "bool", "true"),
        ("key_owners", "list(string)", "[]"),
        ("key_administrators", "list(string)", "[]"),
        ("key_users", "list(string)", "[]"),
        ("key_service_users", "list(string)", "[]"),
        ("key_service_roles_for_autoscaling", "list(string)", "[]"),
        ("key_symmetric_encryption_users", "list(string)", "[]"),
        ("key_hmac_users", "list(string)", "[]"),
        (
            "key_asymmetric_public_encryption_users",
            "list(string)",
            "[]",
        ),
        ("key_asymmetric_sign_verify_users", "list(string)", "[]"),
        ("source_policy_documents", "list(string)", "[]"),
        ("override_policy_documents", "list(string)", "[]"),
        ("enable_route53_dnssec", "bool", "false"),
        ("aliases", "list(string)", "[]"),
        ("aliases_use_name_prefix", "bool", "false"),
    ];
    match release {
        Release::V3 => v.extend([
            ("key_statements", "any", "{}"),
            ("route53_dnssec_sources", "list(any)", "[]"),
            ("computed_aliases", "any", "{}"),
        ]),
        Release::V4 => v.extend([
            (
                "key_statements",
                "list(object({ sid = optional(string), actions = optional(list(string)), not_actions = optional(list(string)), effect = optional(string), resources = optional(list(string)), not_resources = optional(list(string)), principals = optional(list(object({ type = string, identifiers = list(string) }))), not_principals = optional(list(object({ type = string, identifiers = list(string) }))), condition = optional(list(object({ test = string, values = list(string), variable = string }))) }))",
                "null",
            ),
            (
                "route53_dnssec_sources",
                "list(object({ account_ids = optional(list(string)), hosted_zone_arn = optional(string) }))",
                "null",
            ),
            ("computed_aliases", "map(object({ name = string }))", "{}"),
        ]),
    }
    v
}

/// The call's inputs as the module sees them: converted to its variable types, defaults
/// filled in. An input that does not convert is an error, as in terraform.
fn typed_inputs(
    raw: &BTreeMap<String, Value>,
    release: Release,
) -> Result<BTreeMap<String, Value>, String> {
    let no_eval = |_: &hcl_edit::expr::Expression| -> Result<Value, String> {
        Err("the module's types have no defaults to evaluate".into())
    };
    let mut out = BTreeMap::new();
    for (name, ty, default) in variables(release) {
        let parsed = hcl_edit::parser::parse_expr(ty).map_err(|e| e.to_string())?;
        let constraint = Constraint::parse(&parsed, &no_eval)?;
        let value = match raw.get(name) {
            Some(v) if !v.is_null() => v.clone(),
            _ => match default {
                "null" => Value::null(),
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "[]" => Value::Tuple(Vec::new()),
                _ => Value::Object(BTreeMap::new()),
            },
        };
        let v = convert(value, &constraint)
            .map_err(|m| format!("invalid value for the module's variable `{name}`: {m}"))?;
        out.insert(name.to_string(), v);
    }
    Ok(out)
}

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

fn strs(xs: &[&str]) -> Value {
    Value::Tuple(xs.iter().map(|x| s(x)).collect())
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn principal(ty: &str, ids: Value) -> Value {
    Value::Tuple(vec![obj(vec![("type", s(ty)), ("identifiers", ids)])])
}

fn condition(test: &str, variable: &str, values: Value) -> Value {
    obj(vec![
        ("test", s(test)),
        ("variable", s(variable)),
        ("values", values),
    ])
}

fn stmt(sid: &str, actions: &[&str], principals: Value, conditions: Vec<Value>) -> Value {
    let mut pairs = vec![
        ("sid", s(sid)),
        ("actions", strs(actions)),
        ("resources", strs(&["*"])),
        ("principals", principals),
    ];
    if !conditions.is_empty() {
        pairs.push(("condition", Value::Tuple(conditions)));
    }
    obj(pairs)
}

/// The statements granted to a list of AWS principals: (input, Sid, actions, with the
/// `kms:GrantIsForAWSResource` condition), in the module's order.
const GRANTS: &[(&str, &str, &[&str], bool)] = &[
    ("key_owners", "KeyOwner", &["kms:*"], false),
    (
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
        false,
    ),
    (
        "key_users",
        "KeyUsage",
        &[
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:DescribeKey",
        ],
        false,
    ),
    (
        "key_service_users",
        "KeyServiceUsage",
        &["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        true,
    ),
    (
        "key_service_roles_for_autoscaling",
        "KeyServiceRolesASG",
        &[
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:DescribeKey",
        ],
        false,
    ),
    (
        "key_service_roles_for_autoscaling",
        "KeyServiceRolesASGPersistentVol",
        &["kms:CreateGrant"],
        true,
    ),
    (
        "key_symmetric_encryption_users",
        "KeySymmetricEncryption",
        &[
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:Encrypt",
            "kms:GenerateDataKey*",
            "kms:ReEncrypt*",
        ],
        false,
    ),
    (
        "key_hmac_users",
        "KeyHMAC",
        &["kms:DescribeKey", "kms:GenerateMac", "kms:VerifyMac"],
        false,
    ),
    (
        "key_asymmetric_public_encryption_users",
        "KeyAsymmetricPublicEncryption",
        &[
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:DescribeKey",
            "kms:GetPublicKey",
        ],
        false,
    ),
    (
        "key_asymmetric_sign_verify_users",
        "KeyAsymmetricSignVerify",
        &[
            "kms:DescribeKey",
            "kms:GetPublicKey",
            "kms:Sign",
            "kms:Verify",
        ],
        false,
    ),
];

/// The statements the module makes from its inputs (never from `key_statements`), each with
/// the input that makes it.
pub fn generated_statements() -> Vec<(&'static str, &'static str)> {
    let mut out = vec![("Default", "enable_default_policy")];
    out.extend(GRANTS.iter().map(|g| (g.1, g.0)));
    out.extend([
        ("Route53DnssecService", "enable_route53_dnssec"),
        ("Route53DnssecGrant", "enable_route53_dnssec"),
    ]);
    out
}

fn is_true(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

fn seq(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_seq)
        .map(<[Value]>::to_vec)
        .unwrap_or_default()
}

/// What the module makes of a call: `None` when `create = false` (no key at all).
pub fn key(
    raw: &BTreeMap<String, Value>,
    release: Release,
    account_id: Option<&str>,
    region: Option<&str>,
) -> Result<Option<ModuleKey>, String> {
    let inputs = typed_inputs(raw, release)?;
    if let Some(Value::Unknown(u)) = inputs.get("create") {
        return Err(format!("`create` is unknown: {}", u.reason));
    }
    if matches!(inputs.get("create"), Some(Value::Bool(false))) {
        return Ok(None);
    }
    let (partition, dns_suffix) = partition(region);
    let policy = match inputs.get("policy") {
        Some(p) if !p.is_null() => p.clone(),
        _ => document(&inputs, release, account_id, partition, dns_suffix)?,
    };
    Ok(Some(ModuleKey {
        policy,
        aliases: aliases(&inputs),
    }))
}

/// The `aws_iam_policy_document` the module builds.
fn document(
    inputs: &BTreeMap<String, Value>,
    release: Release,
    account_id: Option<&str>,
    partition: &str,
    dns_suffix: &str,
) -> Result<Value, String> {
    let account = match account_id {
        Some(id) => s(id),
        None => Value::unknown("the account id was not read, so the module's policy is unknown"),
    };
    let root = match &account {
        Value::String(id) => s(&format!("arn:{partition}:iam::{id}:root")),
        other => other.clone(),
    };
    let grant_for_aws = || condition("Bool", "kms:GrantIsForAWSResource", strs(&["true"]));
    let mut statements = Vec::new();
    if is_true(inputs.get("enable_default_policy")) {
        statements.push(stmt(
            "Default",
            &["kms:*"],
            principal("AWS", Value::Tuple(vec![root])),
            Vec::new(),
        ));
    }
    for (input, sid, actions, grant_condition) in GRANTS {
        let ids = seq(inputs.get(*input));
        if !ids.is_empty() {
            let conditions = if *grant_condition {
                vec![grant_for_aws()]
            } else {
                Vec::new()
            };
            statements.push(stmt(
                sid,
                actions,
                principal("AWS", Value::Tuple(ids)),
                conditions,
            ));
        }
    }
    if is_true(inputs.get("enable_route53_dnssec")) {
        let service = || principal("Service", strs(&[&format!("dnssec-route53.{dns_suffix}")]));
        statements.push(stmt(
            "Route53DnssecService",
            &["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
            service(),
            Vec::new(),
        ));
        let mut conditions = vec![grant_for_aws()];
        let sources = seq(inputs.get("route53_dnssec_sources"));
        let attr = |src: &Value, name: &str| src.as_attrs().and_then(|m| m.get(name)).cloned();
        for src in &sources {
            let ids = match attr(src, "account_ids") {
                Some(v) if v.as_seq().is_some_and(|l| !l.is_empty()) => v,
                _ => Value::Tuple(vec![account.clone()]),
            };
            conditions.push(condition("StringEquals", "aws:SourceAccount", ids));
        }
        for src in &sources {
            let arn = match attr(src, "hosted_zone_arn") {
                Some(v) if !v.is_null() && v.as_str() != Some("") => v,
                _ => s(&format!("arn:{partition}:route53:::hostedzone/*")),
            };
            conditions.push(condition(
                "ArnLike",
                "aws:SourceArn",
                Value::Tuple(vec![arn]),
            ));
        }
        statements.push(stmt(
            "Route53DnssecGrant",
            &["kms:CreateGrant"],
            service(),
            conditions,
        ));
    }
    let listed = inputs.get("key_statements");
    let entries: Vec<Value> = match listed {
        Some(v) if v.as_seq().is_some() => seq(Some(v)),
        Some(v) if v.as_attrs().is_some() => v
            .as_attrs()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default(),
        Some(Value::Unknown(u)) => return Ok(Value::Unknown(u.clone())),
        _ => Vec::new(),
    };
    for entry in &entries {
        statements.push(key_statement(entry, release)?);
    }
    let mut doc = BTreeMap::from([("statement".to_string(), Value::Tuple(statements))]);
    for key in ["source_policy_documents", "override_policy_documents"] {
        if let Some(v) = inputs.get(key) {
            doc.insert(key.to_string(), v.clone());
        }
    }
    iam_document::build(&doc)
}

/// A `key_statements` entry in block shape: 4.x reads `condition`, 3.x `conditions`.
fn key_statement(v: &Value, release: Release) -> Result<Value, String> {
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
        if let Some(v) = m.get(key).filter(|v| !v.is_null()) {
            out.insert(key.to_string(), v.clone());
        }
    }
    let spelling = match release {
        Release::V3 => "conditions",
        Release::V4 => "condition",
    };
    if let Some(c) = m.get(spelling).filter(|v| !v.is_null()) {
        out.insert("condition".to_string(), c.clone());
    }
    Ok(Value::Object(out))
}

/// The aliases the module creates: `alias/` + each name. With `aliases_use_name_prefix`, AWS
/// completes the names, so they are unknown.
fn aliases(inputs: &BTreeMap<String, Value>) -> Result<Vec<String>, Unknown> {
    let unknown = |reason: String| Unknown {
        reason,
        reference: None,
        error: None,
    };
    if let Some(Value::Unknown(u)) = inputs.get("aliases_use_name_prefix") {
        return Err(u.clone());
    }
    let mut names: Vec<Value> = seq(inputs.get("aliases"));
    if let Some(Value::Unknown(u)) = inputs.get("aliases") {
        return Err(u.clone());
    }
    match inputs.get("computed_aliases") {
        Some(Value::Unknown(u)) => return Err(u.clone()),
        Some(v) => {
            for entry in v.as_attrs().into_iter().flat_map(|m| m.values()) {
                match entry.as_attrs().and_then(|o| o.get("name")) {
                    Some(n) => names.push(n.clone()),
                    None => return Err(unknown("a `computed_aliases` entry has no `name`".into())),
                }
            }
        }
        None => {}
    }
    let mut out = Vec::new();
    for n in names {
        match n {
            Value::String(name) => {
                let alias = format!("alias/{name}");
                if !out.contains(&alias) {
                    out.push(alias);
                }
            }
            Value::Unknown(u) => return Err(u),
            other => {
                return Err(unknown(format!(
                    "an alias name is a {}, not a string",
                    other.type_name()
                )));
            }
        }
    }
    if is_true(inputs.get("aliases_use_name_prefix")) && !out.is_empty() {
        return Err(unknown(format!(
            "the module names its aliases with `name_prefix` ({}…): AWS completes the names, so which live alias is this key cannot be known",
            out.iter()
                .map(|a| format!("{a}-"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "kms_module_tests.rs"]
mod tests;
