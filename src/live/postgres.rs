//! Lists the databases of a PostgreSQL server (`SELECT datname, datistemplate FROM
//! pg_database`) over TLS, read-only. The server is verified against the configured CA bundle
//! (every certificate in it is a trust anchor: RDS sends only its leaf) and its host name; the
//! whole connect is bounded by a timeout. The password is never put into any message.

use crate::live::snapshot::PgDatabase;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Resolved connection settings for one instance.
#[derive(Clone)]
pub struct Target {
    pub instance: String,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub database: String,
    pub tls: bool,
    pub ca_file: Option<PathBuf>,
    pub connect_timeout: Duration,
    pub query_timeout: Duration,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("instance", &self.instance)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "[hidden]"))
            .finish()
    }
}

/// The error with what the server said or the chain of causes (tokio-postgres's Display says
/// only "db error").
fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({}): {}", db.severity(), db.code().code(), db.message());
    }
    crate::error::chain(e)
}

pub(crate) fn scrub(message: String, password: &Option<String>) -> String {
    match password {
        Some(p) if !p.is_empty() => message.replace(p.as_str(), "[hidden]"),
        _ => message,
    }
}

pub(crate) fn tls_config(ca_file: &Option<PathBuf>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("cannot read CA file `{}`: {e}", path.display()))?
                .collect::<Result<_, _>>()
                .map_err(|e| format!("CA file `{}`: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!("CA file `{}` holds no certificate", path.display()));
            }
            for c in certs {
                roots
                    .add(c)
                    .map_err(|e| format!("CA file `{}`: {e}", path.display()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                let _ = roots.add(c);
            }
            if roots.is_empty() {
                return Err("no CA certificates: set `ca_file` (the RDS CA bundle)".into());
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The databases on `t`, or a message saying why they could not be listed.
pub async fn list(t: &Target) -> Result<Vec<PgDatabase>, String> {
    let mut cfg = tokio_postgres::Config::new();
    cfg.host(&t.host)
        .port(t.port)
        .user(&t.user)
        .dbname(&t.database)
        .connect_timeout(t.connect_timeout)
        .application_name("drift")
        // drift only reads: the session refuses writes, and no query runs unbounded.
        .options(format!(
            "-c default_transaction_read_only=on -c statement_timeout={}",
            t.query_timeout.as_millis()
        ));
    if let Some(p) = &t.password {
        cfg.password(p.as_str());
    }
    let connect = async {
        if t.tls {
            cfg.ssl_mode(tokio_postgres::config::SslMode::Require);
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(&t.ca_file)?);
            let (client, conn) = cfg.connect(tls).await.map_err(|e| {
                format!("cannot connect to {}:{}: {}", t.host, t.port, describe(&e))
            })?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            Ok::<_, String>(client)
        } else {
            cfg.ssl_mode(tokio_postgres::config::SslMode::Disable);
            let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.map_err(|e| {
                format!("cannot connect to {}:{}: {}", t.host, t.port, describe(&e))
            })?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            Ok(client)
        }
    };
    let client = match tokio::time::timeout(t.connect_timeout, connect).await {
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
    let query = client.query(
        "SELECT datname, datistemplate FROM pg_database ORDER BY datname",
        &[],
    );
    let rows = match tokio::time::timeout(t.query_timeout, query).await {
        Ok(r) => r.map_err(|e| {
            scrub(
                format!("listing databases failed: {}", describe(&e)),
                &t.password,
            )
        })?,
        Err(_) => {
            return Err(format!(
                "listing databases on {}:{} timed out after {}s",
                t.host,
                t.port,
                t.query_timeout.as_secs()
            ));
        }
    };
    Ok(rows
        .iter()
        .map(|r| PgDatabase {
            datname: r.get(0),
            datistemplate: r.get(1),
        })
        .collect())
}
