//! The canonical form of an IAM policy document (KMS key policies) and its comparison.
//!
//! Owns every rule of docs/semantics.md, "Key policies": parsing JSON (never comparing text), sets for
//! actions/resources/principals/condition values, case rules, account id ≡ root ARN, `"*"` ≡
//! `{"AWS":"*"}`, statements matched by Sid. Knows nothing about where a policy came from.

use super::{Change, compare_field};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// A set of names compared case-insensitively, displayed as the user spelled them.
#[derive(Clone, Debug, Default)]
pub struct CiSet {
    items: BTreeMap<String, String>,
}

impl PartialEq for CiSet {
    fn eq(&self, other: &Self) -> bool {
        self.items.keys().eq(other.items.keys())
    }
}

impl CiSet {
    /// The names as spelled.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.items.values().map(String::as_str)
    }

    fn insert(&mut self, s: &str) {
        self.items
            .entry(s.to_lowercase())
            .or_insert_with(|| s.to_string());
    }
    fn to_json(&self) -> Value {
        Value::Array(
            self.items
                .values()
                .map(|s| Value::String(s.clone()))
                .collect(),
        )
    }
}

/// Condition values under one key; the key compares case-insensitively.
#[derive(Clone, Debug)]
pub struct CondValues {
    key: String,
    values: BTreeSet<String>,
}

impl PartialEq for CondValues {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values
    }
}

impl CondValues {
    /// The key as spelled.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(String::as_str)
    }
}

/// `operator → lowercase key → values`.
pub type Condition = BTreeMap<String, BTreeMap<String, CondValues>>;

/// `type (AWS, Service, …) → identifiers`; `None` when empty or absent.
pub type Principals = BTreeMap<String, BTreeSet<String>>;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Statement {
    pub sid: String,
    pub effect: String,
    pub action: Option<CiSet>,
    pub not_action: Option<CiSet>,
    pub resource: Option<BTreeSet<String>>,
    pub not_resource: Option<BTreeSet<String>>,
    pub principal: Option<Principals>,
    pub not_principal: Option<Principals>,
    pub condition: Condition,
    /// Keys IAM does not define for statements: kept and compared exactly.
    pub other: BTreeMap<String, Value>,
}

#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub version: Option<String>,
    /// Not significant for key policies (AWS writes `key-default-1`, the provider `default`).
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl PartialEq for Policy {
    fn eq(&self, other: &Self) -> bool {
        self.changes(other).is_empty()
    }
}

fn strings(v: &Value, what: &str) -> Result<Vec<String>, String> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        Value::Number(n) => Ok(vec![n.to_string()]),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Bool(b) => Ok(b.to_string()),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(format!("`{what}` holds {other}, expected strings")),
            })
            .collect(),
        Value::Null => Ok(Vec::new()),
        other => Err(format!("`{what}` is {other}, expected a string or a list")),
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A unique id that AWS writes in place of a principal whose role or user was deleted.
fn is_unique_id(s: &str) -> bool {
    (s.starts_with("AROA") || s.starts_with("AIDA"))
        && s.len() > 12
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn principals(v: &Value, partition: &str, what: &str) -> Result<Option<Principals>, String> {
    let mut out = Principals::new();
    match v {
        Value::Null => {}
        Value::String(s) if s == "*" => {
            out.entry("AWS".into()).or_default().insert("*".into());
        }
        Value::String(s) => {
            return Err(format!(
                "`{what}` is the string {s:?}; expected \"*\" or an object"
            ));
        }
        Value::Object(map) => {
            for (ty, ids) in map {
                let ty = if ty == "*" {
                    "AWS".to_string()
                } else {
                    ty.clone()
                };
                for id in strings(ids, what)? {
                    let id = if ty == "AWS" && is_account_id(&id) {
                        format!("arn:{partition}:iam::{id}:root")
                    } else {
                        id
                    };
                    out.entry(ty.clone()).or_default().insert(id);
                }
            }
        }
        other => return Err(format!("`{what}` is {other}, expected \"*\" or an object")),
    }
    out.retain(|_, ids| !ids.is_empty());
    Ok(if out.is_empty() { None } else { Some(out) })
}

fn condition(v: &Value) -> Result<Condition, String> {
    let mut out = Condition::new();
    let Value::Object(ops) = v else {
        return match v {
            Value::Null => Ok(out),
            other => Err(format!("`Condition` is {other}, expected an object")),
        };
    };
    for (op, keys) in ops {
        let Value::Object(keys) = keys else {
            return Err(format!("`Condition.{op}` is {keys}, expected an object"));
        };
        let entry = out.entry(op.clone()).or_default();
        for (key, values) in keys {
            let slot = entry
                .entry(key.to_lowercase())
                .or_insert_with(|| CondValues {
                    key: key.clone(),
                    values: BTreeSet::new(),
                });
            slot.values
                .extend(strings(values, &format!("Condition.{op}.{key}"))?);
        }
        if entry.is_empty() {
            out.remove(op);
        }
    }
    Ok(out)
}

fn find_partition(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let rest = s.strip_prefix("arn:")?;
            let p = rest.split(':').next()?;
            (!p.is_empty()).then(|| p.to_string())
        }
        Value::Array(a) => a.iter().find_map(find_partition),
        Value::Object(m) => m.values().find_map(find_partition),
        _ => None,
    }
}

impl Statement {
    fn parse(v: &Value, partition: &str) -> Result<Statement, String> {
        let Value::Object(map) = v else {
            return Err(format!("a statement is {v}, expected an object"));
        };
        let mut st = Statement {
            effect: "Allow".into(),
            ..Statement::default()
        };
        let ci = |v: &Value, what: &str| -> Result<Option<CiSet>, String> {
            let mut set = CiSet::default();
            for s in strings(v, what)? {
                set.insert(&s);
            }
            Ok(Some(set))
        };
        let set = |v: &Value, what: &str| -> Result<Option<BTreeSet<String>>, String> {
            Ok(Some(strings(v, what)?.into_iter().collect()))
        };
        let mut effect_seen = false;
        for (k, v) in map {
            match k.as_str() {
                "Sid" => {
                    st.sid = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => return Err(format!("`Sid` is {other}, expected a string")),
                    }
                }
                "Effect" => {
                    effect_seen = true;
                    let e = v.as_str().ok_or_else(|| format!("`Effect` is {v}"))?;
                    st.effect = match e.to_ascii_lowercase().as_str() {
                        "allow" => "Allow".into(),
                        "deny" => "Deny".into(),
                        _ => e.to_string(),
                    };
                }
                "Action" => st.action = ci(v, k)?,
                "NotAction" => st.not_action = ci(v, k)?,
                "Resource" => st.resource = set(v, k)?,
                "NotResource" => st.not_resource = set(v, k)?,
                "Principal" => st.principal = principals(v, partition, k)?,
                "NotPrincipal" => st.not_principal = principals(v, partition, k)?,
                "Condition" => st.condition = condition(v)?,
                _ => {
                    st.other.insert(k.clone(), v.clone());
                }
            }
        }
        if !effect_seen {
            // IAM requires Effect; keep the absence visible instead of inventing one.
            st.effect = String::new();
        }
        Ok(st)
    }

    /// The statement as canonical JSON (lists sorted, keys in IAM's usual order).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if !self.sid.is_empty() {
            m.insert("Sid".into(), json!(self.sid));
        }
        if !self.effect.is_empty() {
            m.insert("Effect".into(), json!(self.effect));
        }
        let principals = |p: &Principals| {
            Value::Object(
                p.iter()
                    .map(|(k, v)| (k.clone(), json!(v.iter().collect::<Vec<_>>())))
                    .collect(),
            )
        };
        if let Some(p) = &self.principal {
            m.insert("Principal".into(), principals(p));
        }
        if let Some(p) = &self.not_principal {
            m.insert("NotPrincipal".into(), principals(p));
        }
        if let Some(a) = &self.action {
            m.insert("Action".into(), a.to_json());
        }
        if let Some(a) = &self.not_action {
            m.insert("NotAction".into(), a.to_json());
        }
        if let Some(r) = &self.resource {
            m.insert("Resource".into(), json!(r.iter().collect::<Vec<_>>()));
        }
        if let Some(r) = &self.not_resource {
            m.insert("NotResource".into(), json!(r.iter().collect::<Vec<_>>()));
        }
        if !self.condition.is_empty() {
            let c: Map<String, Value> = self
                .condition
                .iter()
                .map(|(op, keys)| {
                    let inner: Map<String, Value> = keys
                        .values()
                        .map(|cv| (cv.key.clone(), json!(cv.values.iter().collect::<Vec<_>>())))
                        .collect();
                    (op.clone(), Value::Object(inner))
                })
                .collect();
            m.insert("Condition".into(), Value::Object(c));
        }
        for (k, v) in &self.other {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }

    fn label(&self, index: usize) -> String {
        if self.sid.is_empty() {
            format!("Statement[#{index}]")
        } else {
            format!("Statement[{}]", self.sid)
        }
    }
}

impl Policy {
    /// Parses a policy document given as JSON text. `""` is the empty policy.
    pub fn parse_str(text: &str) -> Result<Policy, String> {
        Policy::parse_str_in(text, None)
    }

    /// As `parse_str`, for an object in `partition`: a bare account id in a principal is
    /// that partition's root ARN.
    pub fn parse_str_in(text: &str, partition: Option<&str>) -> Result<Policy, String> {
        if text.trim().is_empty() {
            return Ok(Policy::default());
        }
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("the policy is not valid JSON: {e}"))?;
        Policy::from_json_in(&v, partition)
    }

    /// Builds the canonical form of a parsed policy document.
    pub fn from_json(v: &Value) -> Result<Policy, String> {
        Policy::from_json_in(v, None)
    }

    /// Builds the canonical form of a policy of an object in `partition` (else the partition
    /// of the first ARN in the document, else `aws`).
    pub fn from_json_in(v: &Value, partition: Option<&str>) -> Result<Policy, String> {
        let v = match v {
            Value::Array(items) if items.len() == 1 => &items[0],
            Value::String(s) if s.is_empty() => return Ok(Policy::default()),
            v => v,
        };
        let Value::Object(map) = v else {
            return Err(format!("the policy is {v}, expected a JSON object"));
        };
        let partition = partition
            .map(str::to_string)
            .or_else(|| find_partition(v))
            .unwrap_or_else(|| "aws".into());
        let mut p = Policy::default();
        for (k, val) in map {
            match k.as_str() {
                "Version" => p.version = val.as_str().map(str::to_string),
                "Id" => p.id = val.as_str().map(str::to_string),
                "Statement" => {
                    let list: Vec<&Value> = match val {
                        Value::Array(a) => a.iter().collect(),
                        Value::Null => Vec::new(),
                        one => vec![one],
                    };
                    for s in list {
                        p.statements.push(Statement::parse(s, &partition)?);
                    }
                }
                other => return Err(format!("unexpected top-level key `{other}` in a policy")),
            }
        }
        p.statements
            .sort_by_key(|s| (s.sid.clone(), s.to_json().to_string()));
        Ok(p)
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(v) = &self.version {
            m.insert("Version".into(), json!(v));
        }
        if let Some(id) = &self.id {
            m.insert("Id".into(), json!(id));
        }
        m.insert(
            "Statement".into(),
            Value::Array(self.statements.iter().map(Statement::to_json).collect()),
        );
        Value::Object(m)
    }

    /// Differences, from the code's point of view (`add` = only live has it).
    pub fn changes(&self, live: &Policy) -> Vec<Change> {
        let mut out = Vec::new();
        compare_field(&mut out, "Version", &self.version, &live.version);

        let mut live_left: Vec<Option<&Statement>> = live.statements.iter().map(Some).collect();
        let mut desired_left: Vec<(usize, &Statement)> = Vec::new();
        // 1. statements with a Sid on both sides are matched by it.
        for (i, d) in self.statements.iter().enumerate() {
            let partner = (!d.sid.is_empty())
                .then(|| {
                    live_left
                        .iter()
                        .position(|l| l.is_some_and(|l| l.sid == d.sid))
                })
                .flatten();
            match partner {
                Some(j) => {
                    let l = live_left[j].take().unwrap_or(d);
                    if d != l {
                        out.push(Change::changed(d.label(i), d.to_json(), l.to_json()));
                    }
                }
                None => desired_left.push((i, d)),
            }
        }
        // 2. the rest by canonical equality.
        let mut unmatched = Vec::new();
        for (i, d) in desired_left {
            match live_left.iter().position(|l| l.is_some_and(|l| l == d)) {
                Some(j) => {
                    live_left[j] = None;
                }
                None => unmatched.push((i, d)),
            }
        }
        for (i, d) in unmatched {
            out.push(Change::remove(d.label(i), d.to_json()));
        }
        for (j, l) in live_left.iter().enumerate() {
            if let Some(l) = l {
                out.push(Change::add(l.label(j), l.to_json()));
            }
        }
        out
    }

    /// Principals that AWS replaced with a unique id because the role or user was deleted.
    pub fn hints(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.statements {
            for p in [&s.principal, &s.not_principal].into_iter().flatten() {
                for id in p.values().flatten() {
                    if is_unique_id(id) {
                        out.push(format!(
                            "principal `{id}` is a unique id: AWS writes one in place of an ARN when the role or user it named was deleted"
                        ));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "policy_props.rs"]
mod props;
