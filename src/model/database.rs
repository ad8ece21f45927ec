//! RDS instances and the PostgreSQL databases inside them (docs/semantics.md, "RDS instances and databases").
//!
//! A database has no attributes beyond its existence; an instance compares its engine. The
//! system databases (`template0`, `template1`, any template, `postgres`, `rdsadmin`) exist on
//! every instance and are never unmanaged.

use super::{Change, compare_field};
use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Database {
    pub instance: String,
    pub name: String,
    /// `pg_database.datistemplate` on the live side.
    pub is_template: bool,
    /// A MySQL or MariaDB database (its SQL quotes names with backticks).
    pub mysql: bool,
}

impl Database {
    pub fn id(&self) -> String {
        format!("{}/{}", self.instance, self.name)
    }

    pub fn is_implicit(&self) -> bool {
        self.is_template
            || matches!(
                self.name.as_str(),
                "template0" | "template1" | "postgres" | "rdsadmin"
                // MySQL's and MariaDB's system schemas (RDS adds `innodb` and `tmp`).
                | "information_schema" | "mysql" | "performance_schema" | "sys" | "innodb" | "tmp"
            )
    }

    pub fn to_json(&self) -> Value {
        json!({"instance": self.instance, "name": self.name})
    }

    /// The SQL that creates the database; drift shows it and never runs it.
    pub fn create_sql(&self) -> String {
        if self.mysql {
            format!("CREATE DATABASE `{}`;", self.name.replace('`', "``"))
        } else {
            format!("CREATE DATABASE \"{}\";", self.name.replace('"', "\"\""))
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Instance {
    pub identifier: String,
    /// `None` when the code leaves it to a default: then it is not compared.
    pub engine: Option<String>,
    /// As written in code (`15`, `15.4`) or as AWS reports it (`15.4.2`); `None`: not compared.
    pub engine_version: Option<String>,
}

impl Instance {
    pub fn to_json(&self) -> Value {
        let mut v = json!({"identifier": self.identifier, "engine": self.engine});
        if let Some(ver) = &self.engine_version {
            v["engine_version"] = json!(ver);
        }
        v
    }

    /// Engines compare case-insensitively; a version in code matches the live version it is a
    /// prefix of at a dot (`15` and `15.4` match `15.4.2`), as the AWS provider compares it.
    pub fn changes(&self, live: &Instance) -> Vec<Change> {
        let mut out = Vec::new();
        let lower = |e: &Option<String>| e.as_ref().map(|s| s.to_lowercase());
        if self.engine.is_some() && lower(&self.engine) != lower(&live.engine) {
            compare_field(&mut out, "engine", &self.engine, &live.engine);
        }
        if let (Some(want), Some(have)) = (&self.engine_version, &live.engine_version) {
            let matches = have == want
                || have
                    .strip_prefix(want.as_str())
                    .is_some_and(|rest| rest.starts_with('.'));
            if !matches {
                compare_field(
                    &mut out,
                    "engine_version",
                    &self.engine_version,
                    &live.engine_version,
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(name: &str, is_template: bool) -> Database {
        Database {
            mysql: false,
            instance: "i".into(),
            name: name.into(),
            is_template,
        }
    }

    #[test]
    fn system_databases_are_implicit() {
        for n in ["template0", "template1", "postgres", "rdsadmin"] {
            assert!(db(n, false).is_implicit(), "{n}");
        }
        assert!(db("my_template", true).is_implicit());
        assert!(!db("ops_db", false).is_implicit());
    }

    #[test]
    fn create_sql_quotes_the_name() {
        assert_eq!(
            db("ops_db", false).create_sql(),
            "CREATE DATABASE \"ops_db\";"
        );
        assert_eq!(
            db("we\"ird", false).create_sql(),
            "CREATE DATABASE \"we\"\"ird\";"
        );
        let mut m = db("we`ird", false);
        m.mysql = true;
        assert_eq!(m.create_sql(), "CREATE DATABASE `we``ird`;");
    }

    fn inst(engine: Option<&str>, version: Option<&str>) -> Instance {
        Instance {
            identifier: "i".into(),
            engine: engine.map(str::to_string),
            engine_version: version.map(str::to_string),
        }
    }

    #[test]
    fn engine_compared_only_when_declared_and_case_insensitively() {
        let live = inst(Some("postgres"), Some("15.4.2"));
        assert!(inst(None, None).changes(&live).is_empty());
        assert!(inst(Some("Postgres"), None).changes(&live).is_empty());
        assert_eq!(inst(Some("mysql"), None).changes(&live).len(), 1);
    }

    #[test]
    fn engine_version_matches_as_a_prefix_at_a_dot() {
        let live = inst(Some("postgres"), Some("15.4.2"));
        for v in ["15", "15.4", "15.4.2"] {
            assert!(inst(None, Some(v)).changes(&live).is_empty(), "{v}");
        }
        for v in ["1", "15.40", "16", "15.4.2.1"] {
            let c = inst(None, Some(v)).changes(&live);
            assert_eq!(c.len(), 1, "{v}");
            assert_eq!(c[0].path, "engine_version");
        }
    }
}
