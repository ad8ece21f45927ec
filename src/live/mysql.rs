//! Lists the databases of a MySQL or MariaDB server (`SHOW DATABASES`, minus the system
//! schemas) over TLS, read-only, with the same connection settings, verification, timeouts
//! and password discipline as `postgres.rs`. The settings come from `[mysql.ID]`.
//!
//! `SHOW DATABASES` lists only what the user may see unless it holds the global `SHOW
//! DATABASES` privilege: without it, every other database would look missing. So the user's
//! own grants are read first, and without that privilege the listing is an error naming the
//! grant it needs, never a list of "missing" databases.

use crate::live::postgres::{Target, scrub};
use crate::live::snapshot::PgDatabase;
use mysql_async::prelude::Queryable;

/// The schemas every MySQL and MariaDB server (and RDS) has.
pub const SYSTEM_SCHEMAS: &[&str] = &[
    "information_schema",
    "mysql",
    "performance_schema",
    "sys",
    "innodb",
    "tmp",
];

/// The databases on `t`, or a message saying why they could not be listed.
pub async fn list(t: &Target) -> Result<Vec<PgDatabase>, String> {
    let mut opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(t.host.clone())
        .tcp_port(t.port)
        .user(Some(t.user.clone()))
        .pass(t.password.clone())
        .prefer_socket(false)
        // drift only reads: the session refuses writes.
        .init(vec!["SET SESSION TRANSACTION READ ONLY"]);
    if t.tls {
        let mut ssl = mysql_async::SslOpts::default();
        if let Some(ca) = &t.ca_file {
            ssl = ssl
                .with_root_certs(vec![ca.clone().into()])
                .with_disable_built_in_roots(true);
        }
        opts = opts.ssl_opts(ssl);
    }
    let work = async {
        let mut conn = mysql_async::Conn::new(opts)
            .await
            .map_err(|e| format!("cannot connect to {}:{}: {e}", t.host, t.port))?;
        let grants: Vec<String> = tokio::time::timeout(
            t.query_timeout,
            conn.query("SHOW GRANTS FOR CURRENT_USER()"),
        )
        .await
        .map_err(|_| {
            format!(
                "reading the user's grants on {}:{} timed out after {}s",
                t.host,
                t.port,
                t.query_timeout.as_secs()
            )
        })?
        .map_err(|e| format!("reading the user's grants failed: {e}"))?;
        if !may_list_every_database(&grants) {
            return Err(format!(
                "the user `{}` may not list every database, so drift cannot tell a missing one: \
                 grant it the global privilege (GRANT SHOW DATABASES ON *.* TO '{}'@'%')",
                t.user, t.user
            ));
        }
        let names: Vec<String> =
            tokio::time::timeout(t.query_timeout, conn.query("SHOW DATABASES"))
                .await
                .map_err(|_| {
                    format!(
                        "listing databases on {}:{} timed out after {}s",
                        t.host,
                        t.port,
                        t.query_timeout.as_secs()
                    )
                })?
                .map_err(|e| format!("listing databases failed: {e}"))?;
        let _ = conn.disconnect().await;
        Ok::<_, String>(names)
    };
    let names = match tokio::time::timeout(t.connect_timeout + t.query_timeout, work).await {
        Ok(r) => r.map_err(|m| scrub(m, &t.password))?,
        Err(_) => {
            return Err(format!(
                "cannot connect to {}:{}: timed out after {}s",
                t.host,
                t.port,
                t.connect_timeout.as_secs()
            ));
        }
    };
    Ok(names
        .into_iter()
        .filter(|n| !SYSTEM_SCHEMAS.contains(&n.as_str()))
        .map(|datname| PgDatabase {
            datname,
            datistemplate: false,
        })
        .collect())
}

/// Whether `SHOW GRANTS` lines give the global `SHOW DATABASES` privilege (or all of them).
fn may_list_every_database(grants: &[String]) -> bool {
    grants.iter().any(|g| {
        let upper = g.to_ascii_uppercase();
        let Some(rest) = upper.strip_prefix("GRANT ") else {
            return false;
        };
        let Some((privileges, _)) = rest.split_once(" ON *.* TO ") else {
            return false;
        };
        privileges
            .split(',')
            .map(str::trim)
            .any(|p| p == "SHOW DATABASES" || p == "ALL" || p == "ALL PRIVILEGES")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_global_show_databases_or_all_lets_every_database_be_listed() {
        let g = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        assert!(may_list_every_database(&g(&[
            "GRANT SELECT, SHOW DATABASES ON *.* TO `drift`@`%`"
        ])));
        assert!(may_list_every_database(&g(&[
            "GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION"
        ])));
        assert!(!may_list_every_database(&g(&[
            "GRANT USAGE ON *.* TO `drift`@`%`",
            "GRANT SELECT ON `shop`.* TO `drift`@`%`"
        ])));
        assert!(!may_list_every_database(&g(&[
            "GRANT SHOW DATABASES ON `shop`.* TO `drift`@`%`"
        ])));
    }
}
