//! The services manifest (`services.yaml`): which RDS instance the services live on and the
//! database each one needs (`board-service` → `board_db` unless it says otherwise).

use crate::error::{Error, Location, Result};
use crate::model::{Body, Database, Item, Kind, Origin, Spec, State};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub rds_instance: String,
    #[serde(default)]
    pub services: Vec<Service>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: String,
    pub database: Option<String>,
}

impl Service {
    /// The database the service needs: as written, else `{name without -service}_db`.
    pub fn database(&self) -> String {
        match &self.database {
            Some(d) => d.clone(),
            None => format!(
                "{}_db",
                self.name
                    .strip_suffix("-service")
                    .unwrap_or(&self.name)
                    .replace('-', "_")
            ),
        }
    }
}

/// The 1-based line where `- name: NAME` (or `name: NAME`) appears.
fn line_of(text: &str, name: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim();
            t.strip_prefix("name:")
                .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\'') == name)
                .unwrap_or(false)
        })
        .map_or(1, |i| i + 1)
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
    state
        .scopes
        .insert((Kind::PostgresDatabase, instance.clone()));
    for svc in &manifest.services {
        let db = Database {
            instance: instance.clone(),
            name: svc.database(),
            is_template: false,
        };
        state.push(Item {
            kind: Kind::PostgresDatabase,
            id: db.id(),
            scope: instance.clone(),
            origin: Some(Origin {
                file: display.to_string(),
                line: line_of(&text, &svc.name),
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
        let s = Service {
            name: "board-service".into(),
            database: None,
        };
        assert_eq!(s.database(), "board_db");
        let s = Service {
            name: "ops-service".into(),
            database: Some("ops".into()),
        };
        assert_eq!(s.database(), "ops");
        let s = Service {
            name: "worker".into(),
            database: None,
        };
        assert_eq!(s.database(), "worker_db");
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
        assert_eq!(line_of(text, "b"), 4);
    }
}
