//! `docs/iam-policy.json`, the least-privilege policy for drift, is exactly the AWS operations
//! the code calls: every SDK call in `src/live/aws/` is allowed, nothing else is. Reading a
//! secret's value (`[secrets] check_values`) has a statement of its own, limited to the
//! services' secrets.

use crate::support::repo;
use std::collections::BTreeSet;

/// `Client::list_aliases()` in `kms.rs` → `kms:ListAliases`.
fn operations_in_source() -> BTreeSet<String> {
    let dir = repo().join("src/live/aws");
    let mut ops = BTreeSet::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, _) in text.match_indices("()") {
            let head = &text[..i];
            let start = head
                .rfind(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .map_or(0, |p| p + 1);
            let method = &head[start..];
            if start == 0 || &head[start - 1..start] != "." {
                continue;
            }
            if !["get_", "list_", "describe_"]
                .iter()
                .any(|v| method.starts_with(v))
            {
                continue;
            }
            // Accessors on answers (`.get_key_policy()` is a call; `page.aliases()` is not) are
            // told apart by the client type each file uses.
            let service = match (method, path.file_stem().unwrap().to_str().unwrap()) {
                ("get_caller_identity", _) => "sts",
                (_, "secrets") => "secretsmanager",
                (_, "buckets") => "s3",
                (_, stem) => stem,
            };
            if !["kms", "route53", "rds", "sts", "s3", "secretsmanager"].contains(&service) {
                continue;
            }
            let pascal: String = method
                .split('_')
                .map(|w| match w {
                    "db" => "DB".to_string(),
                    "dnssec" => "DNSSEC".to_string(),
                    _ => {
                        let mut c = w.chars();
                        c.next()
                            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                            .unwrap_or_default()
                    }
                })
                .collect();
            ops.insert(iam_action(service, &pascal));
        }
        // Every request is paced as `.call(ACCOUNT, "service", "Operation")`: the operations
        // read without an SDK client (CloudFront) and those that are no `get_`/`list_` call
        // (`HeadBucket`) are named there.
        for (i, _) in text.match_indices(".call(") {
            let args: Vec<&str> = text[i..]
                .split(')')
                .next()
                .unwrap_or_default()
                .split('"')
                .collect();
            if let [_, service, _, op, ..] = args.as_slice() {
                ops.insert(iam_action(service, op));
            }
        }
    }
    ops
}

/// The IAM action that allows an API operation: the same name, but for S3's operations whose
/// action is named otherwise (the S3 user guide's table of actions for API operations).
fn iam_action(service: &str, op: &str) -> String {
    let action = match (service, op) {
        ("s3", "ListBuckets") => "ListAllMyBuckets",
        ("s3", "GetBucketEncryption") => "GetEncryptionConfiguration",
        ("s3", "HeadBucket") => "ListBucket",
        _ => op,
    };
    format!("{service}:{action}")
}

pub fn policy_actions() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo().join("docs/iam-policy.json")).unwrap();
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    j["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            [
                "DriftReadOnly",
                "DriftReadTerraformState",
                "DriftReadServiceSecretValues",
            ]
            .contains(&s["Sid"].as_str().unwrap_or_default())
        })
        .flat_map(|s| s["Action"].as_array().unwrap().clone())
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_iam_policy_allows_exactly_the_operations_drift_calls() {
    let source = operations_in_source();
    assert!(source.contains("kms:GetKeyPolicy"), "{source:?}");
    assert!(source.contains("rds:DescribeDBClusters"), "{source:?}");
    assert_eq!(policy_actions(), source);
    for a in &source {
        let op = a.split(':').nth(1).unwrap();
        assert!(
            op.starts_with("Get") || op.starts_with("List") || op.starts_with("Describe"),
            "{a} is not a read"
        );
    }
}
