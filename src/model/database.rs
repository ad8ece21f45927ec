//! RDS instances and the PostgreSQL databases inside them (SEMANTICS.md section 3).
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
            )
    }

    pub fn to_json(&self) -> Value {
        json!({"instance": self.instance, "name": self.name})
    }

    /// The SQL that creates the database; drift shows it and never runs it.
    pub fn create_sql(&self) -> String {
        format!("CREATE DATABASE \"{}\";", self.name.replace('"', "\"\""))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    pub identifier: String,
    /// `None` when the code leaves it to a default: then it is not compared.
    pub engine: Option<String>,
}

impl Instance {
    pub fn to_json(&self) -> Value {
        json!({"identifier": self.identifier, "engine": self.engine})
    }

    pub fn changes(&self, live: &Instance) -> Vec<Change> {
        let mut out = Vec::new();
        if self.engine.is_some() {
            compare_field(&mut out, "engine", &self.engine, &live.engine);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(name: &str, is_template: bool) -> Database {
        Database {
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
    }

    #[test]
    fn engine_compared_only_when_declared() {
        let live = Instance {
            identifier: "i".into(),
            engine: Some("postgres".into()),
        };
        let none = Instance {
            identifier: "i".into(),
            engine: None,
        };
        assert!(none.changes(&live).is_empty());
        let mysql = Instance {
            identifier: "i".into(),
            engine: Some("mysql".into()),
        };
        assert_eq!(mysql.changes(&live).len(), 1);
    }
}
