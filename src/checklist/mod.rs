//! The new-service checklist: the services manifest is the desired state of everything a
//! service needs, and each item left undone is an outage waiting (a crash loop, a deployment
//! that never happens, an image never built). The database item is compared with the live
//! instance like any object (`desired::manifest`); this module checks the items that live in
//! the repository, offline: the Helm values (`helm.rs`), the Argo CD Application
//! (`argocd.rs`) and the CI pipeline's service list (`ci.rs`). Each mismatch is a finding of
//! kind `service_checklist`, id `SERVICE/ITEM`, placed at the `file:line` concerned, with
//! what the manifest says, what the file says, and the fix as a hint.
//!
//! Reads only the manifest and the files it names (relative to the manifest's folder); never
//! AWS, never the Terraform code.

mod argocd;
mod ci;
mod helm;
mod secret;
pub mod yaml_path;

use crate::desired::manifest::{self, Manifest};
use crate::error::Result;
use crate::live::snapshot::Snapshot;
use crate::model::{Kind, Origin, SourceError};
use crate::report::{Cell, ChecklistRow as Row, Finding, Status};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the checklist found.
#[derive(Debug, Default)]
pub struct Checked {
    pub findings: Vec<Finding>,
    pub in_sync: usize,
    pub rows: Vec<Row>,
    pub errors: Vec<SourceError>,
    /// The instance and database of each service, for the table's database column.
    pub databases: BTreeMap<String, String>,
}

/// What one item's check of one service gives.
pub(crate) enum Verdict {
    InSync,
    Finding(Box<Finding>),
    Error(SourceError),
}

/// The repository's files, relative to the manifest's folder, and how to show their paths.
pub(crate) struct Files {
    base: PathBuf,
    shown: String,
}

impl Files {
    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.base.join(rel)
    }

    pub(crate) fn show(&self, rel: &str) -> String {
        if self.shown.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.shown)
        }
    }

    /// The file's text; `Ok(None)` when it does not exist.
    pub(crate) fn read(&self, rel: &str) -> std::result::Result<Option<String>, String> {
        let path = self.path(rel);
        if !path.exists() {
            return Ok(None);
        }
        crate::input_file::read_text(&path)
            .map(Some)
            .map_err(|e| format!("cannot read {}: {e}", self.show(rel)))
    }

    /// The files a pattern names: a path, or `DIR/*.yaml` (a wildcard in the file name).
    pub(crate) fn matching(&self, pattern: &str) -> std::result::Result<Vec<String>, String> {
        let (dir, name) = match pattern.rsplit_once('/') {
            Some((d, n)) => (d, n),
            None => ("", pattern),
        };
        if !name.contains(['*', '?']) {
            return Ok(vec![pattern.to_string()]);
        }
        let full = self.path(dir);
        let entries =
            std::fs::read_dir(&full).map_err(|e| format!("cannot list {}: {e}", self.show(dir)))?;
        let mut out: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|f| crate::model::glob::glob(name, f))
            .map(|f| {
                if dir.is_empty() {
                    f
                } else {
                    format!("{dir}/{f}")
                }
            })
            .collect();
        out.sort();
        Ok(out)
    }
}

/// A finding of this module: `SERVICE/ITEM`, placed at `file:line`.
pub(crate) fn finding(
    status: Status,
    service: &str,
    item: &str,
    file: String,
    line: usize,
) -> Finding {
    let mut f = Finding::new(status, Kind::ServiceChecklist, format!("{service}/{item}"));
    f.origin = Some(Origin {
        file,
        line: line.max(1),
        address: None,
    });
    f
}

/// `{service}` in a pattern, replaced.
pub(crate) fn fill(pattern: &str, service: &str) -> String {
    pattern.replace("{service}", service)
}

/// Checks the manifest at `path` (shown as `display`) against the files it names, and the
/// services' secrets against what the live read found (`live`: `None` when the secret family
/// was not read).
pub fn check(path: &Path, display: &str, live: Option<&Snapshot>) -> Result<Checked> {
    let text = crate::input_file::read("services manifest", path)?;
    let manifest: Manifest = manifest::parse(&text, display)?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let shown = display
        .rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default();
    let files = Files { base, shown };
    let lines = manifest::name_lines(&text);
    let mut out = Checked::default();
    // A manifest that says nothing of the checklist's files has no checklist table.
    let configured = |c: &manifest::Checklist| {
        c.secret.is_some() || c.helm.is_some() || c.argocd.is_some() || c.ci.is_some()
    };
    if !configured(&manifest.checklist)
        && manifest
            .services
            .iter()
            .all(|s| !configured(&s.checklist) && s.skip.is_empty())
    {
        return Ok(out);
    }
    let mut ci_lists = ci::Lists::default();
    let mut apps = argocd::Apps::default();
    for svc in &manifest.services {
        let Some(name) = svc.name.as_deref() else {
            continue;
        };
        let at = (display.to_string(), lines.get(name).copied().unwrap_or(1));
        out.databases.insert(
            name.to_string(),
            format!(
                "{}/{}",
                manifest.rds_instance,
                svc.database().trim_matches('"')
            ),
        );
        let settings = svc.checklist.over(&manifest.checklist);
        let mut row = Row {
            service: name.to_string(),
            items: BTreeMap::new(),
        };
        for item in manifest::ITEMS.iter().skip(1) {
            if svc.skip.contains_key(*item) {
                row.items.insert(item, Cell::OptedOut);
                continue;
            }
            let verdict = match *item {
                "secret" => settings.secret.as_ref().map(|s| {
                    secret::check(live, name, &svc.database(), &manifest.rds_instance, s, &at)
                }),
                "helm_values" => settings
                    .helm
                    .as_ref()
                    .map(|h| helm::check(&files, name, &svc.database(), h, &at)),
                "argocd_app" => settings
                    .argocd
                    .as_ref()
                    .map(|a| apps.check(&files, name, a, &at)),
                "ci_pipeline" => settings
                    .ci
                    .as_ref()
                    .map(|c| ci_lists.check(&files, name, c)),
                _ => None,
            };
            let cell = match verdict {
                None => Cell::NotConfigured,
                Some(Verdict::InSync) => {
                    out.in_sync += 1;
                    Cell::InSync
                }
                Some(Verdict::Finding(f)) => {
                    let c = Cell::from_status(f.status);
                    out.findings.push(*f);
                    c
                }
                Some(Verdict::Error(e)) => {
                    if !out.errors.contains(&e) {
                        out.errors.push(e);
                    }
                    Cell::Error
                }
            };
            row.items.insert(item, cell);
        }
        if svc.skip.contains_key("database") {
            row.items.insert("database", Cell::OptedOut);
        }
        out.rows.push(row);
    }
    Ok(out)
}

/// The source name of this module's errors.
pub(crate) fn error(message: String) -> Verdict {
    Verdict::Error(SourceError {
        source: "service checklist".into(),
        message,
    })
}
