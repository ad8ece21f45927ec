//! The CI item: the service must be in the pipeline's list of services — a YAML list at the
//! path the manifest gives, a mapping's keys (a `paths-filter` filter set), or a string
//! holding YAML or JSON of either (`with.filters: |`, a JSON list a step echoes).

use super::yaml_path::{get, line_of, parse};
use super::{Files, Verdict, error, finding};
use crate::desired::manifest::CiItem;
use crate::report::Status;
use serde_yaml_ng::Value;

/// A pipeline's service list: the names, and where the list is (file, line).
struct List {
    names: Vec<String>,
    file: String,
    line: usize,
}

/// The lists read so far, by (file, path).
#[derive(Default)]
pub(crate) struct Lists {
    read: std::collections::HashMap<(String, String), std::result::Result<List, String>>,
}

fn names(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Sequence(items) => Some(
            items
                .iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some(s.clone()),
                    // `- name: x` entries of a matrix `include`.
                    other => other
                        .get("service")
                        .or_else(|| other.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_string),
                })
                .collect(),
        ),
        Value::Mapping(m) => Some(
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect(),
        ),
        Value::String(s) => {
            let inner: Value = serde_yaml_ng::from_str(s).ok()?;
            match inner {
                Value::String(_) => None,
                other => names(&other),
            }
        }
        _ => None,
    }
}

fn read_list(files: &Files, item: &CiItem) -> std::result::Result<List, String> {
    let Some(text) = files.read(&item.file)? else {
        return Err(format!(
            "the CI workflow {} does not exist",
            files.show(&item.file)
        ));
    };
    let doc = parse(&text)
        .map_err(|(line, m)| format!("{}:{line}: invalid YAML: {m}", files.show(&item.file)))?;
    let v = get(&doc, &item.services_at).map_err(|found| {
        format!(
            "{}: `{}` is not in the workflow (found up to `{found}`)",
            files.show(&item.file),
            item.services_at
        )
    })?;
    let names = names(v).ok_or_else(|| {
        format!(
            "{}:{}: `{}` is not a list of services (a list, a mapping, or YAML/JSON text of one)",
            files.show(&item.file),
            line_of(&text, &item.services_at),
            item.services_at
        )
    })?;
    Ok(List {
        names,
        file: files.show(&item.file),
        line: line_of(&text, &item.services_at),
    })
}

impl Lists {
    pub(crate) fn check(&mut self, files: &Files, service: &str, item: &CiItem) -> Verdict {
        let list = self
            .read
            .entry((item.file.clone(), item.services_at.clone()))
            .or_insert_with(|| read_list(files, item));
        let list = match list {
            Ok(l) => l,
            Err(e) => return error(e.clone()),
        };
        if list.names.iter().any(|n| n == service) {
            return Verdict::InSync;
        }
        let mut f = finding(
            Status::Missing,
            service,
            "ci_pipeline",
            list.file.clone(),
            list.line,
        );
        f.hints.push(format!(
            "`{service}` is not in the pipeline's service list `{}` at {}:{}: add it (images of it are never built)",
            item.services_at, list.file, list.line
        ));
        Verdict::Finding(Box::new(f))
    }
}
