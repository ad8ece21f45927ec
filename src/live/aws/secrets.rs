//! Secrets Manager: whether each secret the services manifest names exists (`DescribeSecret`,
//! which never returns a value), and — only with `[secrets] check_values` — where the database
//! URL in its value points (`GetSecretValue`). The value is parsed here and dropped at once:
//! only the host, port and database name leave this module, with a fingerprint of the value;
//! never the value, a user, a password, or any part of the text in an error. Read without an
//! SDK crate (`rest`: the JSON protocol's read operations).

use super::Session;
use super::rest::{self, Api, Refusal};
use crate::error::Error;
use crate::live::snapshot::{DatabaseTarget, SecretEntry, SecretsSection};
use futures::StreamExt;
use std::collections::BTreeSet;

const API: Api = Api {
    service: "secretsmanager",
    signing_name: "secretsmanager",
    global_region: None,
    env_name: "SECRETS_MANAGER",
    default_endpoint: "https://secretsmanager.{region}.amazonaws.com",
};

fn refused(operation: &'static str, r: Refusal) -> Error {
    // AWS's refusal names the secret at most, never its value.
    r.into_error("secretsmanager", operation)
}

/// The secrets of `names` that exist, with their database target when `values` is set.
pub async fn read(
    s: &Session,
    names: &BTreeSet<String>,
    values: bool,
) -> Result<SecretsSection, Error> {
    let sdk = s.in_place(None, None).await;
    let sdk = &sdk;
    let results: Vec<Result<Option<SecretEntry>, Error>> = futures::stream::iter(names.clone())
        .map(|name| async move {
            let described = {
                let _slot = s.call(None, "secretsmanager", "DescribeSecret").await;
                let body = serde_json::json!({"SecretId": name});
                rest::json(
                    s,
                    sdk,
                    &API,
                    "DescribeSecret",
                    "secretsmanager.DescribeSecret",
                    &body,
                )
                .await?
            };
            let described = match described {
                Ok(d) => d,
                Err(r) if r.code == "ResourceNotFoundException" => return Ok(None),
                Err(r) => return Err(refused("DescribeSecret", r)),
            };
            // A secret scheduled for deletion is as good as gone.
            if described.get("DeletedDate").is_some_and(|d| !d.is_null()) {
                return Ok(None);
            }
            let mut entry = SecretEntry {
                name: name.clone(),
                arn: described
                    .get("ARN")
                    .and_then(|a| a.as_str())
                    .map(str::to_string),
                database_url: None,
                value_problem: None,
            };
            if values {
                let got = {
                    let _slot = s.call(None, "secretsmanager", "GetSecretValue").await;
                    let body = serde_json::json!({"SecretId": name});
                    rest::json(
                        s,
                        sdk,
                        &API,
                        "GetSecretValue",
                        "secretsmanager.GetSecretValue",
                        &body,
                    )
                    .await?
                    .map_err(|r| refused("GetSecretValue", r))?
                };
                match got
                    .get("SecretString")
                    .and_then(|v| v.as_str())
                    .map(database_target)
                {
                    Some(Ok(t)) => entry.database_url = Some(t),
                    Some(Err(why)) => entry.value_problem = Some(why.into()),
                    None => {
                        entry.value_problem =
                            Some("the secret holds binary data, not a database URL".into())
                    }
                }
            }
            Ok(Some(entry))
        })
        .buffer_unordered(s.concurrency)
        .collect()
        .await;
    let mut secrets: Vec<SecretEntry> = results
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    secrets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(SecretsSection { secrets })
}

/// A short fingerprint of a secret's value: the first 8 bytes of its SHA-256, in hex.
fn fingerprint(value: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, value.as_bytes());
    d.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a secret's value points: a database URL (`postgres://user:pass@host:port/db`,
/// `postgresql://`, `mysql://`), a JSON object with `DATABASE_URL`, or the JSON RDS writes for
/// a managed secret (`host`, `port`, `dbname`). The error says what the value is not, never
/// what it is.
pub fn database_target(value: &str) -> Result<DatabaseTarget, &'static str> {
    let fp = fingerprint(value);
    let trimmed = value.trim();
    if trimmed.starts_with('{') {
        let j: serde_json::Value = serde_json::from_str(trimmed)
            .map_err(|_| "the secret's value is neither a database URL nor a JSON object")?;
        if let Some(url) = j.get("DATABASE_URL").and_then(|v| v.as_str()) {
            return url_target(url, fp);
        }
        let host = j.get("host").and_then(|v| v.as_str());
        let Some(host) = host else {
            return Err("the secret's JSON has neither `DATABASE_URL` nor `host`");
        };
        let port = match j.get("port") {
            Some(serde_json::Value::Number(n)) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        };
        let database = j
            .get("dbname")
            .or_else(|| j.get("database"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        return Ok(DatabaseTarget {
            host: host.to_string(),
            port,
            database,
            fingerprint: fp,
        });
    }
    url_target(trimmed, fp)
}

fn url_target(url: &str, fingerprint: String) -> Result<DatabaseTarget, &'static str> {
    let rest = ["postgres://", "postgresql://", "mysql://", "mariadb://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))
        .ok_or(
            "the secret's database URL does not start with postgres://, postgresql:// or mysql://",
        )?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    // The user and password end at the last `@` of the authority.
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || p.chars().all(|c| c.is_ascii_digit()) => (
            h,
            Some(
                p.parse::<u16>()
                    .map_err(|_| "the database URL's port is not a number")?,
            ),
        ),
        _ => (host_port, None),
    };
    if host.is_empty() {
        return Err("the database URL has no host");
    }
    let database = path.split(['?', '#']).next().filter(|d| !d.is_empty());
    Ok(DatabaseTarget {
        host: host.to_string(),
        port,
        database: database.map(str::to_string),
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_rds_json_give_host_port_and_database_only() {
        let t =
            database_target("postgres://svc:s3cr%40t@db.example.com:5432/ops_db?sslmode=require")
                .unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.database.as_deref()),
            ("db.example.com", Some(5432), Some("ops_db"))
        );
        let t = database_target(r#"{"username":"u","password":"p@ss:w/rd","engine":"postgres","host":"h.rds.amazonaws.com","port":5432,"dbname":"board_db"}"#).unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.database.as_deref()),
            ("h.rds.amazonaws.com", Some(5432), Some("board_db"))
        );
        let t = database_target(r#"{"DATABASE_URL": "mysql://u:p@m:3306/app"}"#).unwrap();
        assert_eq!((t.host.as_str(), t.database.as_deref()), ("m", Some("app")));
        // Nothing of the value in a problem.
        for bad in [
            "hunter2",
            "{\"password\": \"hunter2\"}",
            "postgres://u:hunter2@:x/db",
        ] {
            let e = database_target(bad).unwrap_err();
            assert!(!e.contains("hunter2"), "{e}");
        }
        // The fingerprint follows the value, and is not the value.
        let a = database_target("postgres://u:one@h/db")
            .unwrap()
            .fingerprint;
        let b = database_target("postgres://u:two@h/db")
            .unwrap()
            .fingerprint;
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
    }
}
