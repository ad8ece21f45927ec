//! The services manifest (`services.yaml`): which RDS instance the services live on, the
//! database each one needs (`board-service` → `board_db` unless it says otherwise), and where
//! the rest of the new-service checklist lives (`checklist:` defaults at the top, overridden
//! per service; `skip:` opts a service out of an item with a reason). Databases become
//! desired objects here; the checklist's files are read by `crate::checklist`.

use crate::error::{Error, Location, Result};
use crate::model::{Body, Database, Item, Kind, Origin, Spec, State};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub rds_instance: String,
    /// Where each checklist item lives, for every service (`{service}` stands for its name).
    #[serde(default)]
    pub checklist: Checklist,
    #[serde(default)]
    pub services: Vec<Service>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// `None` when written empty or `null`: an error at load.
    pub name: Option<String>,
    pub database: Option<String>,
    /// This service's own settings, item by item in place of the defaults.
    #[serde(default)]
    pub checklist: Checklist,
    /// Items this service opts out of (`ci_pipeline: "built elsewhere"`), with the reason.
    #[serde(default)]
    pub skip: std::collections::BTreeMap<String, String>,
}

/// Where the checklist's items live. An item without settings is not checked.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    pub secret: Option<SecretItem>,
    pub helm: Option<HelmItem>,
    pub argocd: Option<ArgoItem>,
    pub ci: Option<CiItem>,
}

/// The service's secret in AWS Secrets Manager, by name (`wealist/prod/{service}`).
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SecretItem {
    pub name: String,
}

/// The service's Helm values files, merged in order as Helm merges them (the chart's
/// `values.yaml` first, the environment's file last), and the key that holds the database name.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct HelmItem {
    pub values: Vec<String>,
    /// Dotted key path (`env.DB_NAME`); through a list of `{name, value}` entries (a
    /// container's `env`) by the entry's name.
    #[serde(default = "default_db_key")]
    pub key: String,
}

fn default_db_key() -> String {
    "env.DB_NAME".into()
}

/// The service's Argo CD Application: the manifests (a file or `DIR/*.yaml`; multi-document
/// YAML), its name (default `{service}`), and what it must point at.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ArgoItem {
    pub apps: String,
    #[serde(default = "default_app_name")]
    pub name: String,
    pub path: Option<String>,
    pub values_file: Option<String>,
    pub namespace: Option<String>,
}

fn default_app_name() -> String {
    "{service}".into()
}

/// The CI pipeline's list of services: a workflow file and the dotted key path of the list in
/// it — a YAML list, a mapping (its keys: a `paths-filter` filter set), or a string holding
/// YAML or JSON of either (`with.filters: |`); without `services_at`, the whole file is the
/// list (a JSON list of services the workflow reads).
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct CiItem {
    pub file: String,
    #[serde(default)]
    pub services_at: String,
}

/// The checklist items, as findings and the table name them.
pub const ITEMS: [&str; 5] = [
    "database",
    "secret",
    "helm_values",
    "argocd_app",
    "ci_pipeline",
];

impl Checklist {
    /// `self` (a service's settings) over `defaults`, item by item.
    pub fn over(&self, defaults: &Checklist) -> Checklist {
        Checklist {
            secret: self.secret.clone().or_else(|| defaults.secret.clone()),
            helm: self.helm.clone().or_else(|| defaults.helm.clone()),
            argocd: self.argocd.clone().or_else(|| defaults.argocd.clone()),
            ci: self.ci.clone().or_else(|| defaults.ci.clone()),
        }
    }
}

impl Service {
    /// The database the service needs: as written, else `{name without -service}_db`.
    pub fn database(&self) -> String {
        let name = self.name.as_deref().unwrap_or_default();
        match &self.database {
            Some(d) => d.clone(),
            None => format!(
                "{}_db",
                name.strip_suffix("-service")
                    .unwrap_or(name)
                    .replace('-', "_")
            ),
        }
    }
}

/// Why `name` is not a database name PostgreSQL takes unquoted (letters, digits, `_` and
/// `$`, not starting with a digit or `$`, at most 63 bytes), or `None` when it is. A name
/// written in double quotes (`"\"My-DB\""`) is a quoted identifier and taken as it is.
fn invalid_identifier(name: &str) -> Option<String> {
    if name.len() >= 2 && name.starts_with('"') && name.ends_with('"') {
        let inner = &name[1..name.len() - 1];
        return (inner.is_empty() || inner.len() > 63 || inner.contains('\0'))
            .then(|| "a quoted database name must be 1 to 63 bytes".to_string());
    }
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if name.is_empty() {
        Some("the database name is empty".into())
    } else if name.len() > 63 {
        Some(format!("`{name}` is longer than PostgreSQL's 63 bytes"))
    } else if !first_ok || !rest_ok {
        Some(format!(
            "`{name}` is not a PostgreSQL identifier (letters, digits, `_` and `$`, not starting with a digit); quote it to use it as it is"
        ))
    } else {
        None
    }
}

/// Why `id` is not an RDS instance or cluster identifier (1 to 63 letters, digits or hyphens,
/// starting with a letter), or `None` when it is.
fn invalid_rds_identifier(id: &str) -> Option<String> {
    let ok = !id.is_empty()
        && id.len() <= 63
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    (!ok).then(|| {
        format!("`{id}` is not an RDS identifier (1 to 63 letters, digits or hyphens, starting with a letter)")
    })
}

/// The 1-based line of the `index`-th entry of `services:`.
fn line_of_entry(text: &str, index: usize) -> usize {
    text.lines()
        .enumerate()
        .skip_while(|(_, l)| !l.trim_start().starts_with("services:"))
        .filter(|(_, l)| l.trim_start().starts_with("- "))
        .nth(index)
        .map_or(1, |(i, _)| i + 1)
}

/// The 1-based line where each `- name: NAME` (or `name: NAME`) first appears, in one pass.
pub(crate) fn name_lines(text: &str) -> std::collections::HashMap<&str, usize> {
    let mut lines = std::collections::HashMap::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start().trim_start_matches("- ").trim();
        if let Some(v) = t.strip_prefix("name:") {
            lines
                .entry(v.trim().trim_matches(|c| c == '"' || c == '\''))
                .or_insert(i + 1);
        }
    }
    lines
}

pub fn parse(text: &str, display: &str) -> Result<Manifest> {
    serde_yaml_ng::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        let mut loc = Location::new(display, line, column);
        loc.source_line = text.lines().nth(line.saturating_sub(1)).map(str::to_string);
        // serde_yaml_ng appends " at line L column C": the location is shown already.
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Error::input(loc, format!("invalid services manifest: {msg}"))
    })
}

pub fn load(path: &Path, display: &str, state: &mut State) -> Result<()> {
    let text = crate::input_file::read("services manifest", path)?;
    let manifest = parse(&text, display)?;
    let instance = manifest.rds_instance.clone();
    // The instance's engine (when the code declares it) says which databases it holds.
    let engine = state.items.iter().find_map(|i| match (&i.kind, &i.body) {
        (Kind::RdsInstance | Kind::RdsCluster, Body::Known(Spec::Instance(inst)))
            if i.id == instance =>
        {
            inst.engine.clone()
        }
        _ => None,
    });
    let db_kind = crate::model::database_kind(engine.as_deref());
    state.scopes.insert((db_kind, instance.clone()));
    if let Some(why) = invalid_rds_identifier(&instance) {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with("rds_instance:"))
            .map_or(1, |i| i + 1);
        return Err(Error::input(
            Location::new(display, line, 1),
            format!("invalid `rds_instance`: {why}"),
        ));
    }
    let lines = name_lines(&text);
    for (i, svc) in manifest.services.iter().enumerate() {
        let at = |why: String| {
            let line = line_of_entry(&text, i);
            let mut loc = Location::new(display, line, 1);
            loc.source_line = text.lines().nth(line - 1).map(str::to_string);
            Error::input(loc, format!("service {}: {why}", i + 1))
        };
        let Some(name) = svc.name.as_deref().filter(|n| !n.trim().is_empty()) else {
            return Err(at("`name` is empty or null".into()));
        };
        let database = svc.database();
        if let Some(why) = invalid_identifier(&database) {
            return Err(at(format!("`{name}` needs database {database:?}: {why}")));
        }
        if let Some(item) = svc.skip.keys().find(|k| !ITEMS.contains(&k.as_str())) {
            return Err(at(format!(
                "`skip` names `{item}`, which is none of the checklist's items ({})",
                ITEMS.join(", ")
            )));
        }
        // The secret the service's checklist names is read live (its existence only, unless
        // `[secrets] check_values`).
        if !svc.skip.contains_key("secret")
            && let Some(secret) = svc.checklist.over(&manifest.checklist).secret
        {
            state.secrets.insert(secret.name.replace("{service}", name));
        }
        // Opted out of the database item: no database is expected.
        if svc.skip.contains_key("database") {
            continue;
        }
        let db = Database {
            mysql: db_kind == Kind::MysqlDatabase,
            instance: instance.clone(),
            name: database.trim_matches('"').to_string(),
            is_template: false,
        };
        state.push(Item {
            kind: db_kind,
            id: db.id(),
            scope: instance.clone(),
            origin: Some(Origin {
                file: display.to_string(),
                line: lines.get(name).copied().unwrap_or(1),
                address: None,
            }),
            body: Body::Known(Spec::Database(db)),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_database_names() {
        let s = |name: &str, database: Option<&str>| Service {
            name: Some(name.into()),
            database: database.map(str::to_string),
            checklist: Checklist::default(),
            skip: Default::default(),
        };
        assert_eq!(s("board-service", None).database(), "board_db");
        assert_eq!(s("ops-service", Some("ops")).database(), "ops");
        assert_eq!(s("worker", None).database(), "worker_db");
    }

    #[test]
    fn database_names_follow_postgresql_identifier_rules() {
        for ok in ["board_db", "_x", "a$1", "\"My-DB\""] {
            assert_eq!(invalid_identifier(ok), None, "{ok}");
        }
        for bad in ["", "1db", "my-db", "a b", "\"\""] {
            assert!(invalid_identifier(bad).is_some(), "{bad}");
        }
        assert!(invalid_identifier(&"a".repeat(64)).is_some());
        assert_eq!(invalid_rds_identifier("wealist-prod"), None);
        assert!(invalid_rds_identifier("").is_some() && invalid_rds_identifier("1x").is_some());
    }

    #[test]
    fn unknown_field_has_a_position() {
        let err = parse(
            "rds_instance: x\nservices:\n  - name: a\n    databse: b\n",
            "s.yaml",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("s.yaml:4:"), "{text}");
        assert!(text.contains("databse"), "{text}");
    }

    #[test]
    fn lines_of_services() {
        let text = "rds_instance: x\nservices:\n  - name: a\n  - name: \"b\"\n";
        assert_eq!(name_lines(text).get("b"), Some(&4));
    }
}
