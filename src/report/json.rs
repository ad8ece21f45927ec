//! The `drift.report/v1` JSON report (schema: docs/report.schema.json). Field names and meanings are a contract.
//! Fields added after the first version: `hints` (list) and `remediation` (string or null) on
//! findings; `summary.ignored` and `ignored` (differences `lifecycle { ignore_changes }`
//! covers: kind, id, address, attributes, changes; findings `[[ignore]]` accepts, with
//! status, reason, expires), `ignore_notices` (expired, stale or TODO entries);
//! `not_rechecked` with `--history` (the previous run's findings this run did not look at
//! again); `summary.violated` and, on findings of kind `rule` (status `violated`), `rule`,
//! `severity`, `where`, `message`, `evidence` and `fix`; with `check --shard K/N`, `shard`
//! (`index`, `count`, `roots`, `accounts`), `live` (the run's source, account, region and
//! capture time) and, on findings, `value` and `near` — what `drift merge` needs to render the
//! merged report in every format (`read.rs` reads it back). Values marked sensitive are
//! `(sensitive value)` here as everywhere.

use super::Report;
use serde_json::{Value, json};

pub const SCHEMA: &str = "drift.report/v1";

pub fn render(report: &Report) -> String {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut v = json!({
                "status": f.status,
                "kind": f.kind,
                "id": f.id,
                "address": f.origin.as_ref().and_then(|o| o.address.clone()),
                "source": f.origin.as_ref().map(|o| json!({"file": o.file, "line": o.line})),
                "changes": f.changes,
                "reason": f.reason,
                "hints": f.hints,
                "remediation": f.remediation,
            });
            if let Some(r) = &f.rule {
                v["rule"] = json!(r.rule);
                v["severity"] = json!(r.severity);
                v["where"] = json!(r.places);
                v["message"] = json!(r.message);
                v["evidence"] = r.evidence.clone();
                v["fix"] = json!(r.fix);
            }
            if report.shard.is_some() {
                v["value"] = json!(f.value);
                v["near"] = json!(f.near.as_ref().map(|o| json!({
                    "file": o.file, "line": o.line, "address": o.address
                })));
            }
            if report.history {
                v["first_seen"] = json!(f.first_seen);
                v["new"] = json!(f.new);
            }
            if report.three_way {
                v["state"] = json!(f.state);
                v["verdict"] = json!(f.verdict);
            }
            v
        })
        .collect();
    let mut doc = json!({
        "schema": SCHEMA,
        "summary": report.summary,
        "findings": findings,
        "ignored": report.ignored,
        "ignore_notices": report.ignore_notices,
        "errors": report.errors,
    });
    if !report.warnings.is_empty() {
        doc["warnings"] = json!(report.warnings);
    }
    if let Some(shard) = &report.shard {
        doc["shard"] = json!(shard);
        doc["live"] = json!(report.live);
    }
    if !report.checklist.is_empty() {
        doc["checklist"] = json!(report.checklist);
    }
    if report.history {
        doc["resolved"] = json!(report.resolved);
        doc["not_rechecked"] = json!(report.not_rechecked);
    }
    if report.three_way {
        doc["pending_apply"] = json!(report.pending);
    }
    if report.three_way || !report.values_from_state.is_empty() {
        doc["values_from_state"] = json!(report.values_from_state);
    }
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    out.push('\n');
    out
}
