//! Reads a `drift.report/v1` JSON report back into a `Report` (for `drift merge`): the inverse
//! of `json.rs` for the fields a shard report carries. Anything that is not a drift report of
//! a known schema is refused with what is wrong and where; nothing here compares or decides.

use super::{Finding, Report, RuleVerdict, Status};
use crate::model::{Change, Kind, Origin};
use serde::Deserialize;
use serde_json::Value;

/// A string kept for the rest of the process: the few names a report reads back into fields
/// that hold drift's own constants (a verdict, a rule, a checklist column). `merge` runs once.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The notices, as `IgnoreNotice` has a `&'static str`.
fn notices(v: &Value) -> Result<Vec<super::IgnoreNotice>, String> {
    #[derive(Deserialize)]
    struct N {
        kind: String,
        id: String,
        field: Option<String>,
        reason: String,
        expires: Option<String>,
        problem: String,
    }
    let list: Vec<N> = field(v, "ignore_notices")?;
    Ok(list
        .into_iter()
        .map(|n| super::IgnoreNotice {
            kind: n.kind,
            id: n.id,
            field: n.field,
            reason: n.reason,
            expires: n.expires,
            problem: leak(n.problem),
        })
        .collect())
}

/// What waits for `terraform apply`, as `Pending` has a `&'static str`.
fn pending(v: &Value) -> Result<Vec<super::Pending>, String> {
    #[derive(Deserialize)]
    struct P {
        kind: Kind,
        id: String,
        verdict: String,
        state: Option<Value>,
    }
    let list: Vec<P> = field(v, "pending_apply")?;
    Ok(list
        .into_iter()
        .map(|p| super::Pending {
            kind: p.kind,
            id: p.id,
            verdict: leak(p.verdict),
            state: p.state,
        })
        .collect())
}

pub fn checklist_items<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<&'static str, super::Cell>, D::Error> {
    let m = std::collections::BTreeMap::<String, super::Cell>::deserialize(d)?;
    Ok(m.into_iter().map(|(k, v)| (leak(k), v)).collect())
}

/// `field` of `v` as `T`; absent or null is `T::default()`.
fn field<T: serde::de::DeserializeOwned + Default>(v: &Value, name: &str) -> Result<T, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(x) => serde_json::from_value(x.clone()).map_err(|e| format!("`{name}`: {e}")),
    }
}

fn text(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_string)
}

fn origin(v: Option<&Value>, address: Option<String>) -> Result<Option<Origin>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(o) => Ok(Some(Origin {
            file: text(o, "file").ok_or("a source without `file`")?,
            line: o
                .get("line")
                .and_then(Value::as_u64)
                .ok_or("a source without `line`")? as usize,
            address: address.or_else(|| text(o, "address")),
        })),
    }
}

fn finding(v: &Value) -> Result<Finding, String> {
    let status: Status = serde_json::from_value(v.get("status").cloned().unwrap_or_default())
        .map_err(|e| format!("`status`: {e}"))?;
    let kind: Kind = serde_json::from_value(v.get("kind").cloned().unwrap_or_default())
        .map_err(|e| format!("`kind`: {e}"))?;
    let id = text(v, "id").ok_or("a finding without `id`")?;
    let mut f = Finding::new(status, kind, id);
    f.origin = origin(v.get("source"), text(v, "address"))?;
    f.changes = field::<Vec<Change>>(v, "changes")?;
    f.reason = text(v, "reason");
    f.hints = field(v, "hints")?;
    f.remediation = text(v, "remediation");
    f.value = v.get("value").filter(|x| !x.is_null()).cloned();
    f.near = origin(v.get("near"), None)?;
    f.state = v.get("state").cloned();
    f.verdict = text(v, "verdict").map(leak);
    if let Some(rule) = text(v, "rule") {
        f.rule = Some(RuleVerdict {
            rule: leak(rule),
            severity: leak(text(v, "severity").unwrap_or_default()),
            places: field::<Vec<String>>(v, "where")?
                .into_iter()
                .map(leak)
                .collect(),
            message: text(v, "message").unwrap_or_default(),
            evidence: v.get("evidence").cloned().unwrap_or_default(),
            fix: text(v, "fix"),
        });
    }
    Ok(f)
}

/// The report in `text` (read from `display`).
pub fn report(text: &str, display: &str) -> Result<Report, String> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| format!("{display}:{}:{}: not JSON: {e}", e.line(), e.column()))?;
    let at = |m: String| format!("{display}: {m}");
    match v.get("schema").and_then(Value::as_str) {
        Some(super::json::SCHEMA) => {}
        Some(other) => {
            return Err(at(format!(
                "schema `{}` is not {}",
                super::safe_line(other),
                super::json::SCHEMA
            )));
        }
        None => return Err(at("not a drift report (no `schema`)".into())),
    }
    let findings = v
        .get("findings")
        .and_then(Value::as_array)
        .ok_or_else(|| at("no `findings` list".into()))?
        .iter()
        .enumerate()
        .map(|(i, f)| finding(f).map_err(|m| at(format!("finding {}: {m}", i + 1))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Report {
        findings,
        ignored: field(&v, "ignored").map_err(at)?,
        ignore_notices: notices(&v).map_err(at)?,
        history: v.get("resolved").is_some(),
        resolved: field(&v, "resolved").map_err(at)?,
        not_rechecked: field(&v, "not_rechecked").map_err(at)?,
        three_way: v.get("pending_apply").is_some(),
        pending: pending(&v).map_err(at)?,
        values_from_state: field(&v, "values_from_state").map_err(at)?,
        summary: field(&v, "summary").map_err(at)?,
        errors: field(&v, "errors").map_err(at)?,
        warnings: field(&v, "warnings").map_err(at)?,
        checklist: field(&v, "checklist").map_err(at)?,
        live: field(&v, "live").map_err(at)?,
        shard: field(&v, "shard").map_err(at)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_report_is_refused_with_where() {
        let e = report("{\"schema\": 1", "r.json").unwrap_err();
        assert!(e.starts_with("r.json:1:"), "{e}");
        let e = report("{\"schema\": \"other/v9\"}", "r.json").unwrap_err();
        assert!(e.contains("schema `other/v9`"), "{e}");
        let e = report("{\"schema\": \"drift.report/v1\"}", "r.json").unwrap_err();
        assert!(e.contains("no `findings`"), "{e}");
        let e = report(
            "{\"schema\": \"drift.report/v1\", \"findings\": [{\"status\": \"gone\", \"kind\": \"rds_instance\", \"id\": \"x\"}]}",
            "r.json",
        )
        .unwrap_err();
        assert!(e.contains("finding 1: `status`"), "{e}");
    }
}
