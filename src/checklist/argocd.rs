//! The Argo CD item: an `Application` (`argoproj.io`, in any document of the manifests the
//! pattern names) named after the service must exist, and point at the service's chart path,
//! the environment's values file and the namespace the manifest says — on its `source` or on
//! one of its `sources`.

use super::yaml_path::{documents, get, line_of, parse};
use super::{Files, Verdict, error, fill, finding};
use crate::desired::manifest::ArgoItem;
use crate::model::Change;
use crate::report::Status;
use serde_yaml_ng::Value;

/// One Application found: its file, the line of its name, and the document.
struct App {
    file: String,
    line: usize,
    doc: Value,
}

/// The Applications of each pattern, read once for every service.
#[derive(Default)]
pub(crate) struct Apps {
    read: std::collections::HashMap<String, std::result::Result<Vec<App>, String>>,
}

fn read_apps(files: &Files, pattern: &str) -> std::result::Result<Vec<App>, String> {
    let mut out = Vec::new();
    for rel in files.matching(pattern)? {
        let Some(text) = files.read(&rel)? else {
            return Err(format!("{} does not exist", files.show(&rel)));
        };
        for (start, doc_text) in documents(&text) {
            let doc = parse(doc_text).map_err(|(line, m)| {
                format!(
                    "{}:{}: invalid YAML: {m}",
                    files.show(&rel),
                    start + line - 1
                )
            })?;
            if doc.get("kind").and_then(Value::as_str) != Some("Application") {
                continue;
            }
            let line = start + line_of(doc_text, "metadata.name") - 1;
            out.push(App {
                file: files.show(&rel),
                line,
                doc,
            });
        }
    }
    Ok(out)
}

impl Apps {
    pub(crate) fn check(
        &mut self,
        files: &Files,
        service: &str,
        item: &ArgoItem,
        at: &(String, usize),
    ) -> Verdict {
        let apps = self
            .read
            .entry(item.apps.clone())
            .or_insert_with(|| read_apps(files, &item.apps));
        let apps = match apps {
            Ok(a) => a,
            Err(e) => return error(e.clone()),
        };
        let name = fill(&item.name, service);
        let path = item.path.as_deref().map(|p| fill(p, service));
        let values = item.values_file.as_deref().map(|p| fill(p, service));
        let namespace = item.namespace.as_deref().map(|p| fill(p, service));
        let Some(app) = apps
            .iter()
            .find(|a| get(&a.doc, "metadata.name").ok().and_then(Value::as_str) == Some(&name))
        else {
            let mut f = finding(Status::Missing, service, "argocd_app", at.0.clone(), at.1);
            let mut wanted = vec![format!("name `{name}`")];
            wanted.extend(path.as_ref().map(|p| format!("path `{p}`")));
            wanted.extend(values.as_ref().map(|v| format!("values file `{v}`")));
            wanted.extend(namespace.as_ref().map(|n| format!("namespace `{n}`")));
            f.hints.push(format!(
                "no Argo CD Application `{name}` in {}: add one ({})",
                files.show(&item.apps),
                wanted.join(", ")
            ));
            return Verdict::Finding(Box::new(f));
        };
        let sources: Vec<&Value> = match (
            app.doc.get("spec").and_then(|s| s.get("source")),
            app.doc.get("spec").and_then(|s| s.get("sources")),
        ) {
            (Some(s), _) => vec![s],
            (None, Some(Value::Sequence(list))) => list.iter().collect(),
            _ => Vec::new(),
        };
        let mut changes = Vec::new();
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        if let Some(p) = &path {
            let found: Vec<String> = sources.iter().filter_map(|s| text(s.get("path"))).collect();
            if !found
                .iter()
                .any(|x| x.trim_end_matches('/') == p.trim_end_matches('/'))
            {
                changes.push(Change::changed(
                    "spec.source.path",
                    serde_json::json!(p),
                    serde_json::json!(found.first()),
                ));
            }
        }
        if let Some(v) = &values {
            let found: Vec<String> = sources
                .iter()
                .filter_map(|s| s.get("helm")?.get("valueFiles")?.as_sequence())
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect();
            let file_name = v.rsplit('/').next().unwrap_or(v);
            if !found
                .iter()
                .any(|x| x == v || x.rsplit('/').next() == Some(file_name))
            {
                changes.push(Change::changed(
                    "spec.source.helm.valueFiles",
                    serde_json::json!([v]),
                    serde_json::json!(found),
                ));
            }
        }
        if let Some(n) = &namespace {
            let found = get(&app.doc, "spec.destination.namespace")
                .ok()
                .and_then(Value::as_str)
                .map(str::to_string);
            if found.as_deref() != Some(n.as_str()) {
                changes.push(Change::changed(
                    "spec.destination.namespace",
                    serde_json::json!(n),
                    serde_json::json!(found),
                ));
            }
        }
        if changes.is_empty() {
            return Verdict::InSync;
        }
        let mut f = finding(
            Status::Changed,
            service,
            "argocd_app",
            app.file.clone(),
            app.line,
        );
        f.hints.push(format!(
            "the Application `{name}` at {}:{} points elsewhere than the manifest says: fix {}",
            app.file,
            app.line,
            changes
                .iter()
                .map(|c| c.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        f.changes = changes;
        Verdict::Finding(Box::new(f))
    }
}
