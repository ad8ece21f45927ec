//! No declared object disappears: every instance of a modelled resource type that terraform
//! manages for a root (the instances of the state terraform wrote after applying it — what its
//! plan creates) appears in drift's report exactly once. Against a live side with nothing in
//! it, each such instance must be a finding (missing, or not checked with a reason) or be
//! named by an error; an instance drift skipped without a word fails the test.

use crate::support::{Project, repo};
use std::collections::BTreeMap;
use std::path::Path;

/// The finding kind drift reports a terraform resource type as, for the types it models.
fn kind_of(rtype: &str) -> Option<&'static str> {
    match rtype {
        "aws_kms_key" => Some("kms_key_policy"),
        "aws_route53_record" => Some("route53_record"),
        "aws_db_instance" => Some("rds_instance"),
        _ => None,
    }
}

/// `module.kms.aws_kms_key.this[0]`, `aws_route53_record.hosts["a"]`: each managed instance
/// of a modelled type in a v4 state, with its kind.
pub fn state_instances(state: &serde_json::Value) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for r in state["resources"].as_array().into_iter().flatten() {
        if r["mode"] != "managed" {
            continue;
        }
        let Some(kind) = r["type"].as_str().and_then(kind_of) else {
            continue;
        };
        let module = r["module"]
            .as_str()
            .map(|m| format!("{m}."))
            .unwrap_or_default();
        let base = format!(
            "{module}{}.{}",
            r["type"].as_str().unwrap_or("?"),
            r["name"].as_str().unwrap_or("?")
        );
        for i in r["instances"].as_array().into_iter().flatten() {
            let key = match &i["index_key"] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => format!("[{s:?}]"),
                other => format!("[{other}]"),
            };
            out.push((format!("{base}{key}"), kind));
        }
    }
    out
}

/// Checks the accounting of one report against the instances of one state: each instance is
/// covered by exactly one finding of its kind (whose address is the instance's, or the module
/// call drift models as a whole, such as `module.kms` for terraform-aws-modules/kms) or named
/// by an error.
pub fn assert_accounted(report: &serde_json::Value, state: &serde_json::Value) {
    let findings: Vec<(String, String)> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some((
                f["kind"].as_str()?.to_string(),
                f["address"].as_str()?.to_string(),
            ))
        })
        .collect();
    let errors = report["errors"].to_string();
    let instances = state_instances(state);
    assert!(!instances.is_empty(), "the state has no modelled instance");
    let mut used: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (address, kind) in &instances {
        let covering: Vec<usize> = findings
            .iter()
            .enumerate()
            .filter(|(_, (k, a))| {
                k == kind && (a == address || address.starts_with(&format!("{a}.")))
            })
            .map(|(i, _)| i)
            .collect();
        match covering.as_slice() {
            [i] => used.entry(*i).or_default().push(address.clone()),
            [] => assert!(
                errors.contains(address.as_str()),
                "{address} ({kind}) is in terraform's state but nowhere in drift's report:\n{report:#}"
            ),
            many => panic!(
                "{address} ({kind}) appears {} times in drift's report:\n{report:#}",
                many.len()
            ),
        }
    }
    // A finding stands for one object: two instances on one finding would hide one.
    for (i, addresses) in &used {
        let (kind, address) = &findings[*i];
        let same_kind = instances
            .iter()
            .filter(|(a, k)| k == kind && (a == address || a.starts_with(&format!("{address}."))))
            .count();
        assert_eq!(
            addresses.len(),
            same_kind,
            "finding {address} ({kind}) covers {addresses:?}"
        );
    }
}

/// A snapshot with every family and nothing in it.
pub fn empty_live(dir: &Path, account: &str, region: &str) -> std::path::PathBuf {
    let path = dir.join("empty-live.json");
    std::fs::write(
        &path,
        format!(
            r#"{{"schema": "drift.snapshot/v1", "account_id": "{account}", "region": "{region}",
               "captured_at": "2026-12-05T00:00:00Z", "kms": {{"keys": []}},
               "route53": {{"zones": []}}, "rds": {{"instances": []}}}}"#
        ),
    )
    .expect("write snapshot");
    path
}

/// The bundled example estate against the state terraform wrote when it applied that root
/// (`tests/fixtures/state/seed.tfstate`): its key (through the kms module), five records and
/// the instance each appear once.
#[test]
fn every_instance_terraform_manages_in_the_example_appears_exactly_once() {
    let p = Project::new();
    let live = empty_live(p.path(), "290008131187", "ap-northeast-2");
    let out = crate::support::run_in(
        &repo(),
        &[
            "check",
            "--live",
            live.to_str().expect("utf-8 path"),
            "--only",
            "kms,route53,rds",
            "--format",
            "json",
        ],
    );
    let report = out.json();
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/state/seed.tfstate")).expect("state"),
    )
    .expect("state JSON");
    assert_eq!(state_instances(&state).len(), 7);
    assert_accounted(&report, &state);
}

/// The accounting can fail: a report that drops an instance, or names one twice, is refused.
#[test]
fn the_accounting_refuses_a_dropped_or_doubled_instance() {
    let state = serde_json::json!({"resources": [
        {"mode": "managed", "type": "aws_route53_record", "name": "r",
         "instances": [{"index_key": 0}, {"index_key": 1}]}
    ]});
    let finding = |a: &str| serde_json::json!({"kind": "route53_record", "address": a});
    let ok = serde_json::json!({"findings": [finding("aws_route53_record.r[0]"), finding("aws_route53_record.r[1]")], "errors": []});
    assert_accounted(&ok, &state);
    let dropped =
        serde_json::json!({"findings": [finding("aws_route53_record.r[0]")], "errors": []});
    assert!(std::panic::catch_unwind(|| assert_accounted(&dropped, &state)).is_err());
    let doubled = serde_json::json!({"findings": [finding("aws_route53_record.r[0]"), finding("aws_route53_record.r[0]"), finding("aws_route53_record.r[1]")], "errors": []});
    assert!(std::panic::catch_unwind(|| assert_accounted(&doubled, &state)).is_err());
    let merged = serde_json::json!({"findings": [finding("aws_route53_record.r")], "errors": []});
    assert!(std::panic::catch_unwind(|| assert_accounted(&merged, &state)).is_err());
}
