//! `docs/report.schema.json` describes the JSON report: every JSON report pinned in
//! `tests/snapshots/` (real outputs of the binary: the example, not-checked objects, errors,
//! ignores, modules…) validates against it, and a report with a field taken away does not.
//! Validated with Python's `jsonschema` (installed by `scripts/test`).

use crate::support::repo;
use std::process::Command;

const VALIDATE: &str = r#"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    errors = list(validator.iter_errors(json.load(open(path))))
    for e in errors[:3]:
        print(f"{path}: {list(e.absolute_path)}: {e.message}")
    bad += bool(errors)
sys.exit(1 if bad else 0)
"#;

fn validate(files: &[std::path::PathBuf]) -> (bool, String) {
    let out = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE)
        .arg(repo().join("docs/report.schema.json"))
        .args(files)
        .output()
        .expect("python3 runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !said.contains("No module named 'jsonschema'"),
        "the schema test needs Python's jsonschema: python3 -m pip install jsonschema (scripts/test installs it)"
    );
    (out.status.success(), said)
}

#[test]
fn every_pinned_json_report_matches_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for e in std::fs::read_dir(repo().join("tests/snapshots")).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // An insta snapshot: a `---` header, then the value.
        let body = text.splitn(3, "---\n").nth(2).unwrap_or_default();
        if !body.contains("\"schema\": \"drift.report/v1\"") {
            continue;
        }
        let file = dir.path().join(path.file_name().unwrap());
        std::fs::write(&file, body).unwrap();
        files.push(file);
    }
    assert!(
        files.len() >= 10,
        "only {} JSON reports pinned",
        files.len()
    );
    let (ok, said) = validate(&files);
    assert!(ok, "{said}");

    // The schema can say no: the example's report without a finding's `status`.
    let example = std::fs::read_to_string(&files[0]).unwrap();
    let mut j: serde_json::Value = serde_json::from_str(&example).unwrap();
    j["summary"].as_object_mut().unwrap().remove("in_sync");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, j.to_string()).unwrap();
    let (ok, said) = validate(&[broken]);
    assert!(!ok, "a report without summary.in_sync passed: {said}");
}

/// A shard report (`check --shard K/N`, with `shard`, `live`, and each finding's `value` and
/// `near`) and the merged report of the example's shards match the schema too.
#[test]
fn shard_and_merged_reports_match_the_schema() {
    let p = crate::support::seed_copy();
    let mut files = Vec::new();
    for k in 1..=2 {
        let out = crate::support::run_in(
            p.path(),
            &["check", "--shard", &format!("{k}/2"), "--format", "json"],
        );
        let j = out.json();
        assert_eq!(j["shard"]["index"], k);
        let file = p.path().join(format!("s{k}.json"));
        std::fs::write(&file, &out.stdout).unwrap();
        files.push(file);
    }
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert!(
        first["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["value"].is_object()),
        "a missing or unmanaged finding carries its value: {first}"
    );
    let merged = crate::support::run_in(
        p.path(),
        &["merge", "s1.json", "s2.json", "--format", "json"],
    );
    let file = p.path().join("merged.json");
    std::fs::write(&file, &merged.stdout).unwrap();
    files.push(file);
    let (ok, said) = validate(&files);
    assert!(ok, "{said}");
}
