//! The Helm values item: the service's values files, merged in order as Helm merges them
//! (maps merged key by key, a later file's value winning, `null` removing a default; lists
//! replaced whole), must set the database key to the service's database.

use super::yaml_path::{get, line_of, parse};
use super::{Files, Verdict, error, fill, finding};
use crate::desired::manifest::HelmItem;
use crate::model::Change;
use crate::report::Status;
use serde_yaml_ng::Value;

/// `over` merged onto `base`, as Helm coalesces values.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(&k);
                } else if let Some(existing) = b.get_mut(&k) {
                    merge(existing, v);
                } else {
                    b.insert(k, v);
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn check(
    files: &Files,
    service: &str,
    database: &str,
    item: &HelmItem,
    at: &(String, usize),
) -> Verdict {
    let database = database.trim_matches('"');
    let paths: Vec<String> = item.values.iter().map(|p| fill(p, service)).collect();
    let mut merged = Value::Mapping(Default::default());
    // (file, text, value) of each file that exists, in merge order.
    let mut read = Vec::new();
    for rel in &paths {
        match files.read(rel) {
            Ok(Some(text)) => match parse(&text) {
                Ok(v) => {
                    merge(&mut merged, v.clone());
                    read.push((rel.clone(), text, v));
                }
                Err((line, m)) => {
                    return error(format!("{}:{line}: invalid YAML: {m}", files.show(rel)));
                }
            },
            Ok(None) => {}
            Err(e) => return error(e),
        }
    }
    let last = paths.last().cloned().unwrap_or_default();
    let set_it = format!("set `{}: {database}` in {}", item.key, files.show(&last));
    let Some((last_read, last_text, _)) = read.last() else {
        let mut f = finding(Status::Missing, service, "helm_values", at.0.clone(), at.1);
        f.value = Some(serde_json::json!({ "key": item.key, "value": database }));
        f.hints.push(format!(
            "none of the values files exists ({}): create {} with `{}: {database}`",
            paths
                .iter()
                .map(|p| files.show(p))
                .collect::<Vec<_>>()
                .join(", "),
            files.show(&last),
            item.key
        ));
        return Verdict::Finding(Box::new(f));
    };
    let found = get(&merged, &item.key);
    // The file whose value wins: the last that sets the key.
    let setter = read
        .iter()
        .rev()
        .find(|(_, _, v)| get(v, &item.key).is_ok_and(|x| !x.is_null()));
    match found.ok().filter(|v| !v.is_null()) {
        None => {
            let line = line_of(last_text, &item.key);
            let mut f = finding(
                Status::Missing,
                service,
                "helm_values",
                files.show(last_read),
                line,
            );
            f.value = Some(serde_json::json!({
                "key": item.key,
                "value": database,
                "file": files.show(last_read),
            }));
            f.hints.push(format!("`{}` is not set: {set_it}", item.key));
            Verdict::Finding(Box::new(f))
        }
        Some(v) => {
            let (file, text) = match setter {
                Some((file, text, _)) => (file.clone(), text.as_str()),
                None => (last_read.clone(), last_text.as_str()),
            };
            let line = line_of(text, &item.key);
            let Some(value) = scalar(v) else {
                let mut f = finding(
                    Status::NotChecked,
                    service,
                    "helm_values",
                    files.show(&file),
                    line,
                );
                f.reason = Some(format!("`{}` is not a single value", item.key));
                return Verdict::Finding(Box::new(f));
            };
            if value.contains("{{") {
                let mut f = finding(
                    Status::NotChecked,
                    service,
                    "helm_values",
                    files.show(&file),
                    line,
                );
                f.reason = Some(format!(
                    "`{}` is set by a template (`{value}`): drift cannot know its value",
                    item.key
                ));
                return Verdict::Finding(Box::new(f));
            }
            if value == database {
                return Verdict::InSync;
            }
            let mut f = finding(
                Status::Changed,
                service,
                "helm_values",
                files.show(&file),
                line,
            );
            f.changes.push(Change::changed(
                item.key.clone(),
                serde_json::Value::String(database.to_string()),
                serde_json::Value::String(value.clone()),
            ));
            f.hints.push(format!(
                "the manifest says the service's database is `{database}`, the values say `{value}`: {set_it}"
            ));
            Verdict::Finding(Box::new(f))
        }
    }
}
