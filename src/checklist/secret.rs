//! The secret item: the service's secret must exist in Secrets Manager; with `[secrets]
//! check_values`, the database URL in it must point at the manifest's RDS instance (its
//! endpoint's host and port) and at the service's database. Reads the live snapshot's secrets
//! section, which holds no value: only the parsed host, port and database.

use super::{Verdict, error, fill, finding};
use crate::desired::manifest::SecretItem;
use crate::live::snapshot::Snapshot;
use crate::model::Change;
use crate::report::Status;

pub(crate) fn check(
    live: Option<&Snapshot>,
    service: &str,
    database: &str,
    instance: &str,
    item: &SecretItem,
    at: &(String, usize),
) -> Verdict {
    let name = fill(&item.name, service);
    let Some(snap) = live else {
        let mut f = finding(Status::NotChecked, service, "secret", at.0.clone(), at.1);
        f.reason = Some("Secrets Manager was not read in this run".into());
        return Verdict::Finding(Box::new(f));
    };
    let Some(section) = &snap.secrets else {
        // The read failed (an error already) or the snapshot was taken without it.
        // One error for every service (the same cause), besides the capture's own.
        if snap.errors.iter().any(|e| e.source == "secretsmanager") {
            return error(
                "Secrets Manager could not be read: the services' secrets are not checked".into(),
            );
        }
        return error(
            "the snapshot has no `secrets` section (captured without it): the services' secrets are not checked"
                .into(),
        );
    };
    let Some(entry) = section.secrets.iter().find(|s| s.name == name) else {
        let mut f = finding(Status::Missing, service, "secret", at.0.clone(), at.1);
        f.hints.push(format!(
            "create the secret `{name}` in AWS Secrets Manager with the service's DATABASE_URL (drift never creates secrets)"
        ));
        return Verdict::Finding(Box::new(f));
    };
    if let Some(problem) = &entry.value_problem {
        let mut f = finding(Status::NotChecked, service, "secret", at.0.clone(), at.1);
        f.reason = Some(format!("secret `{name}`: {problem}"));
        return Verdict::Finding(Box::new(f));
    }
    let Some(target) = &entry.database_url else {
        // Only its existence was checked (`check_values` off).
        return Verdict::InSync;
    };
    let endpoint = snap
        .rds
        .iter()
        .flat_map(|r| &r.instances)
        .find(|i| i.identifier == instance)
        .and_then(|i| i.endpoint.as_ref());
    let database = database.trim_matches('"');
    let mut changes = Vec::new();
    if let Some(ep) = endpoint {
        if !target.host.eq_ignore_ascii_case(&ep.address) {
            changes.push(Change::changed(
                "DATABASE_URL.host",
                serde_json::json!(ep.address),
                serde_json::json!(target.host),
            ));
        }
        if target.port.is_some_and(|p| p != ep.port) {
            changes.push(Change::changed(
                "DATABASE_URL.port",
                serde_json::json!(ep.port),
                serde_json::json!(target.port),
            ));
        }
    }
    if target.database.as_deref() != Some(database) {
        changes.push(Change::changed(
            "DATABASE_URL.database",
            serde_json::json!(database),
            serde_json::json!(target.database),
        ));
    }
    if changes.is_empty() {
        return Verdict::InSync;
    }
    let mut f = finding(Status::Changed, service, "secret", at.0.clone(), at.1);
    f.hints.push(format!(
        "the secret `{name}` points at another database than the manifest says (value fingerprint {}): update its DATABASE_URL (drift never writes secrets)",
        target.fingerprint
    ));
    if endpoint.is_none() {
        f.hints.push(format!(
            "the endpoint of RDS instance `{instance}` was not read: only the database name was compared"
        ));
    }
    f.changes = changes;
    Verdict::Finding(Box::new(f))
}
