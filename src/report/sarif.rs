//! The report as SARIF 2.1.0 (`--format sarif`), for code-scanning tools: one rule per kind
//! and status that occurs, one result per finding, located at the `file:line` that declares
//! it — for an object only in AWS, where its zone or instance is declared — with the natural
//! id as a logical location; source errors are tool notifications of a failed invocation.
//! URIs are percent-encoded (RFC 3986). Knows nothing of how findings are made.

use super::{Report, Status};
use serde_json::{Value, json};

/// A relative path as a SARIF `uri` (RFC 3986): each segment percent-encoded but for the
/// unreserved characters, so `prod stack#1/main.tf` is `prod%20stack%231/main.tf` and a `#`
/// or `?` in a file name can never be read as a fragment or a query.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn level(status: Status, severity: Option<&str>) -> &'static str {
    match (status, severity) {
        (Status::Violated, Some("warning")) | (Status::NotChecked, _) => "warning",
        _ => "error",
    }
}

fn describe(kind: &str, status: Status) -> String {
    match status {
        Status::Changed => format!("A {kind} differs between the code and AWS."),
        Status::Missing => format!("A {kind} is declared but does not exist in AWS."),
        Status::Unmanaged => format!("A {kind} exists in AWS but is not in the code."),
        Status::NotChecked => format!("A {kind} could not be checked."),
        Status::Violated => format!("The cross-resource rule {kind} does not hold."),
    }
}

pub fn render(report: &Report) -> String {
    let mut rules: Vec<(String, Status, String)> = Vec::new();
    let mut results = Vec::new();
    for f in &report.findings {
        // A cross-resource rule is its own SARIF rule; other findings one per kind and status.
        let (rule_id, subject) = match &f.rule {
            Some(v) => (v.rule.to_string(), v.rule.to_string()),
            None => (
                format!("{}/{}", f.kind.as_str(), f.status.as_str()),
                f.kind.as_str().to_string(),
            ),
        };
        let index = match rules.iter().position(|(id, _, _)| *id == rule_id) {
            Some(i) => i,
            None => {
                rules.push((rule_id.clone(), f.status, subject));
                rules.len() - 1
            }
        };
        let mut text = format!(
            "{} {}: {}",
            f.kind,
            f.id,
            f.status.as_str().replace('_', " ")
        );
        if !f.changes.is_empty() {
            let paths: Vec<&str> = f.changes.iter().map(|c| c.shown_path()).collect();
            text.push_str(&format!(" (differs in {})", paths.join(", ")));
        }
        if let Some(r) = &f.reason {
            text.push_str(&format!(": {r}"));
        }
        if let Some(v) = &f.rule {
            text.push_str(&format!(" in {}: {}", v.places.join(", "), v.message));
            if let Some(fix) = &v.fix {
                text.push_str(&format!(". Fix: {fix}"));
            }
        }
        if let Some(r) = &f.remediation {
            text.push_str(&format!(". To fix: {r}"));
        }
        // GitHub code scanning takes only results with a place in a file: an object only in
        // AWS is placed where the code declares what it belongs to (its zone, its instance).
        let location = match f.origin.as_ref().or(f.near.as_ref()) {
            Some(o) => json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(&o.file)},
                    "region": {"startLine": o.line.max(1)}
                },
                "logicalLocations": [{"name": f.id, "kind": "resource"}]
            }),
            None => json!({"logicalLocations": [{"name": f.id, "kind": "resource"}]}),
        };
        results.push(json!({
            "ruleId": rule_id,
            "ruleIndex": index,
            "level": level(f.status, f.rule.as_ref().map(|v| v.severity)),
            "message": {"text": text},
            "locations": [location],
            "partialFingerprints": {"driftFinding/v1": format!("{}|{}|{}", f.kind.as_str(), f.id, f.status.as_str())}
        }));
    }
    let rules: Vec<Value> = rules
        .iter()
        .map(|(id, status, kind)| {
            json!({
                "id": id,
                "name": id.replace(['/', '_'], "-"),
                "shortDescription": {"text": describe(kind, *status)},
                "defaultConfiguration": {"level": level(*status, None)}
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({"level": "error", "message": {"text": format!("{}: {}", e.source, e.message)}}))
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "drift",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications
            }],
            "results": results
        }]
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("prod stack#1/main.tf"), "prod%20stack%231/main.tf");
        assert_eq!(uri("a?b/%/中.tf"), "a%3Fb/%25/%E4%B8%AD.tf");
        assert_eq!(uri("desired/terraform/kms.tf"), "desired/terraform/kms.tf");
    }
}
