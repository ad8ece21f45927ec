//! `data "aws_iam_policy_document"`: builds the policy JSON the AWS provider would, from the
//! evaluated block (statements, principals, conditions, source and override documents).
//!
//! Also used by the `terraform-aws-modules/kms/aws` module builder, which describes its
//! statements in the same shape. Returns a `Value::String` of JSON, or unknown.

use super::value::Value;
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

fn strings(v: Option<&Value>, what: &str) -> Result<Option<Vec<String>>, String> {
    match v {
        None | Some(Value::Null(_)) => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.replace("&{", "${")])),
        Some(v) if v.as_seq().is_some() => v
            .as_seq()
            .unwrap_or_default()
            .iter()
            .map(|i| {
                i.to_text()
                    .map(|s| s.replace("&{", "${"))
                    .map_err(|m| format!("`{what}`: {m}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(format!(
            "`{what}` must be a list of strings, got a {}",
            other.type_name()
        )),
    }
}

fn one_or_many(list: Vec<String>) -> Json {
    if list.len() == 1 {
        json!(list[0])
    } else {
        json!(list)
    }
}

fn principals(v: Option<&Value>, what: &str) -> Result<Option<Json>, String> {
    let Some(blocks) = v.and_then(Value::as_seq) else {
        return Ok(None);
    };
    if blocks.is_empty() {
        return Ok(None);
    }
    let mut by_type: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in blocks {
        let Some(m) = b.as_attrs() else {
            return Err(format!("`{what}` must be blocks"));
        };
        let ty = m
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("`{what}` needs `type`"))?
            .to_string();
        let ids = strings(m.get("identifiers"), "identifiers")?.unwrap_or_default();
        by_type.entry(ty).or_default().extend(ids);
    }
    if by_type.len() == 1
        && let Some(ids) = by_type.get("*")
        && ids.iter().all(|i| i == "*")
    {
        return Ok(Some(json!("*")));
    }
    Ok(Some(Json::Object(
        by_type
            .into_iter()
            .map(|(k, v)| (k, one_or_many(v)))
            .collect(),
    )))
}

fn conditions(v: Option<&Value>) -> Result<Option<Json>, String> {
    let Some(blocks) = v.and_then(Value::as_seq) else {
        return Ok(None);
    };
    let mut out: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for b in blocks {
        let Some(m) = b.as_attrs() else {
            return Err("`condition` must be blocks".into());
        };
        let test = m
            .get("test")
            .and_then(Value::as_str)
            .ok_or("`condition` needs `test`")?;
        let var = m
            .get("variable")
            .and_then(Value::as_str)
            .ok_or("`condition` needs `variable`")?;
        let values = strings(m.get("values"), "values")?.unwrap_or_default();
        out.entry(test.to_string())
            .or_default()
            .entry(var.to_string())
            .or_default()
            .extend(values);
    }
    if out.is_empty() {
        return Ok(None);
    }
    let mut ops = Map::new();
    for (t, vars) in out {
        let inner: Map<String, Json> = vars.into_iter().map(|(k, v)| (k, one_or_many(v))).collect();
        ops.insert(t, Json::Object(inner));
    }
    Ok(Some(Json::Object(ops)))
}

/// One `statement` block (evaluated) as policy JSON.
pub fn statement(m: &BTreeMap<String, Value>) -> Result<Json, String> {
    let mut st = Map::new();
    if let Some(sid) = m.get("sid").and_then(Value::as_str)
        && !sid.is_empty()
    {
        st.insert("Sid".into(), json!(sid));
    }
    // The provider accepts exactly these two spellings (terraform: `expected
    // statement.N.effect to be one of ["Allow" "Deny"], got allow`).
    let effect = match m.get("effect") {
        Some(Value::String(e)) if e == "Allow" || e == "Deny" => e.clone(),
        Some(Value::String(e)) => {
            return Err(format!(
                "statement `effect` must be \"Allow\" or \"Deny\" (case-sensitive), got {e:?}"
            ));
        }
        _ => "Allow".into(),
    };
    st.insert("Effect".into(), json!(effect));
    for (key, out) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        // An empty list is left out, as the provider does.
        if let Some(list) = strings(m.get(key), key)?.filter(|l| !l.is_empty()) {
            st.insert(out.into(), one_or_many(list));
        }
    }
    if let Some(p) = principals(m.get("principals"), "principals")? {
        st.insert("Principal".into(), p);
    }
    if let Some(p) = principals(m.get("not_principals"), "not_principals")? {
        st.insert("NotPrincipal".into(), p);
    }
    if let Some(c) = conditions(m.get("condition"))? {
        st.insert("Condition".into(), c);
    }
    Ok(Json::Object(st))
}

fn sid_of(j: &Json) -> Option<&str> {
    j.get("Sid")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
}

fn doc_statements(text: &str) -> Result<Vec<Json>, String> {
    let j: Json =
        serde_json::from_str(text).map_err(|e| format!("a policy document is not JSON: {e}"))?;
    // The provider reads `Statement` as a list only (a single object, which IAM itself
    // accepts, fails with "writing IAM Policy Document").
    match j.get("Statement") {
        Some(Json::Array(a)) => Ok(a.clone()),
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(_) => Err("a policy document's `Statement` must be a list".into()),
    }
}

/// Adds `st` to `list`, replacing a statement with the same Sid.
fn merge_by_sid(list: &mut Vec<Json>, st: Json) {
    if let Some(sid) = sid_of(&st).map(str::to_string)
        && let Some(pos) = list.iter().position(|x| sid_of(x) == Some(sid.as_str()))
    {
        list[pos] = st;
        return;
    }
    list.push(st);
}

/// The document's JSON, as the provider's `json` attribute; unknown when any input is.
pub fn build(attrs: &BTreeMap<String, Value>) -> Result<Value, String> {
    if let Some(u) = attrs.values().find_map(Value::find_unknown) {
        return Ok(Value::Unknown(u.clone()));
    }
    let version = attrs
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or("2012-10-17");
    if version != "2012-10-17" && version != "2008-10-17" {
        return Err(format!(
            "`version` must be \"2012-10-17\" or \"2008-10-17\", got {version:?}"
        ));
    }
    // The source documents' Sids must be unique among them, and the statement blocks' among
    // themselves; a statement block replaces the source statement with its Sid.
    let duplicate = |sid: &str, what: &str| format!("duplicate Sid {sid:?} in the {what}");
    let mut statements: Vec<Json> = Vec::new();
    for doc in strings(
        attrs.get("source_policy_documents"),
        "source_policy_documents",
    )?
    .unwrap_or_default()
    {
        for st in doc_statements(&doc)? {
            if let Some(sid) = sid_of(&st)
                && statements.iter().any(|x| sid_of(x) == Some(sid))
            {
                return Err(duplicate(sid, "source_policy_documents"));
            }
            statements.push(st);
        }
    }
    if let Some(blocks) = attrs.get("statement").and_then(Value::as_seq) {
        let mut seen = std::collections::HashSet::new();
        for b in blocks {
            let Some(m) = b.as_attrs() else {
                return Err("`statement` must be blocks".into());
            };
            let st = statement(m)?;
            if let Some(sid) = sid_of(&st)
                && !seen.insert(sid.to_string())
            {
                return Err(duplicate(sid, "statement blocks"));
            }
            merge_by_sid(&mut statements, st);
        }
    }
    for doc in strings(
        attrs.get("override_policy_documents"),
        "override_policy_documents",
    )?
    .unwrap_or_default()
    {
        for st in doc_statements(&doc)? {
            merge_by_sid(&mut statements, st);
        }
    }
    let mut doc = Map::new();
    doc.insert("Version".into(), json!(version));
    if let Some(id) = attrs.get("policy_id").and_then(Value::as_str) {
        doc.insert("Id".into(), json!(id));
    }
    doc.insert("Statement".into(), Json::Array(statements));
    Ok(Value::String(Json::Object(doc).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::String(x.into())
    }
    fn l(xs: &[&str]) -> Value {
        Value::Tuple(xs.iter().map(|x| s(x)).collect())
    }
    fn m(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn built(attrs: Vec<(&str, Value)>) -> Json {
        let Value::Object(a) = m(attrs) else {
            unreachable!()
        };
        let Value::String(text) = build(&a).unwrap() else {
            panic!("unknown")
        };
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn defaults_merged_principals_and_appended_conditions() {
        let doc = built(vec![(
            "statement",
            Value::Tuple(vec![m(vec![
                ("actions", l(&["kms:Decrypt"])),
                ("resources", l(&["*"])),
                (
                    "principals",
                    Value::Tuple(vec![
                        m(vec![("type", s("AWS")), ("identifiers", l(&["arn:a"]))]),
                        m(vec![("type", s("AWS")), ("identifiers", l(&["arn:b"]))]),
                    ]),
                ),
                (
                    "condition",
                    Value::Tuple(vec![
                        m(vec![
                            ("test", s("StringEquals")),
                            ("variable", s("k")),
                            ("values", l(&["1"])),
                        ]),
                        m(vec![
                            ("test", s("StringEquals")),
                            ("variable", s("k")),
                            ("values", l(&["2"])),
                        ]),
                    ]),
                ),
            ])]),
        )]);
        assert_eq!(doc["Version"], "2012-10-17");
        let st = &doc["Statement"][0];
        assert_eq!(st["Effect"], "Allow");
        assert_eq!(st["Principal"]["AWS"], json!(["arn:a", "arn:b"]));
        assert_eq!(st["Condition"]["StringEquals"]["k"], json!(["1", "2"]));
    }

    /// terraform 1.11 with the AWS provider 5.100 refuses `effect = "allow"`: `expected
    /// statement.4.effect to be one of ["Allow" "Deny"], got allow`.
    #[test]
    fn effect_is_allow_or_deny_exactly() {
        for (effect, ok) in [
            ("Allow", true),
            ("Deny", true),
            ("allow", false),
            ("DENY", false),
        ] {
            let Value::Object(a) = m(vec![(
                "statement",
                Value::Tuple(vec![m(vec![
                    ("effect", s(effect)),
                    ("actions", l(&["x:1"])),
                ])]),
            )]) else {
                unreachable!()
            };
            let got = build(&a);
            assert_eq!(got.is_ok(), ok, "{effect}: {got:?}");
            if let Err(e) = got {
                assert!(e.contains(&format!("got {effect:?}")), "{e}");
            }
        }
    }

    #[test]
    fn source_and_override_documents_merge_by_sid() {
        let source = r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"x:1"},{"Sid":"B","Effect":"Allow","Action":"x:2"}]}"#;
        let over = r#"{"Statement":[{"Sid":"B","Effect":"Deny","Action":"x:3"},{"Sid":"C","Effect":"Allow","Action":"x:4"}]}"#;
        let doc = built(vec![
            ("source_policy_documents", l(&[source])),
            ("override_policy_documents", l(&[over])),
            (
                "statement",
                Value::Tuple(vec![m(vec![("sid", s("A")), ("actions", l(&["own:1"]))])]),
            ),
        ]);
        let sts = doc["Statement"].as_array().unwrap();
        assert_eq!(sts.len(), 3);
        assert_eq!(sts[0]["Action"], "own:1");
        assert_eq!(sts[1]["Effect"], "Deny");
        assert_eq!(sts[2]["Sid"], "C");
    }

    #[test]
    fn ampersand_interpolation_becomes_dollar() {
        let doc = built(vec![(
            "statement",
            Value::Tuple(vec![m(vec![(
                "resources",
                l(&["arn:aws:s3:::b/&{aws:username}"]),
            )])]),
        )]);
        assert_eq!(
            doc["Statement"][0]["Resource"],
            "arn:aws:s3:::b/${aws:username}"
        );
    }

    #[test]
    fn star_principal() {
        let doc = built(vec![(
            "statement",
            Value::Tuple(vec![m(vec![(
                "principals",
                Value::Tuple(vec![m(vec![("type", s("*")), ("identifiers", l(&["*"]))])]),
            )])]),
        )]);
        assert_eq!(doc["Statement"][0]["Principal"], "*");
    }
}
