//! `--format sarif`: SARIF 2.1.0 for the bundled example, pinned, and valid against the OASIS
//! schema (`SARIF_SCHEMA`, fetched by `scripts/test`) with Python's `jsonschema`.

use crate::support::{repo, run_in};
use std::process::Command;

fn schema() -> std::path::PathBuf {
    let path = std::env::var_os("SARIF_SCHEMA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/sarif/sarif-2.1.0.json"));
    assert!(
        path.is_file(),
        "no SARIF schema at {}: run scripts/test (it fetches it) or set SARIF_SCHEMA",
        path.display()
    );
    path
}

fn valid(doc: &str) -> (bool, String) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), doc).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import json,sys,jsonschema\n\
             s=json.load(open(sys.argv[1]))\n\
             v=jsonschema.validators.validator_for(s)(s)\n\
             errs=list(v.iter_errors(json.load(open(sys.argv[2]))))\n\
             [print(list(e.absolute_path), e.message) for e in errs[:5]]\n\
             sys.exit(1 if errs else 0)",
        )
        .arg(schema())
        .arg(file.path())
        .output()
        .expect("python3 runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn sarif_of_the_example_is_valid_and_pinned() {
    let out = run_in(&repo(), &["check", "--format", "sarif"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let (ok, said) = valid(&out.stdout);
    assert!(ok, "{said}");
    let j: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    // The three incidents, the four checklist items ops-service lacks, and the CloudFront rule.
    assert_eq!(j["runs"][0]["results"].as_array().unwrap().len(), 8);
    // Every result has a place in a file (GitHub code scanning drops those without): the
    // hand-made CloudFront alias, only in AWS, is placed where its zone is declared.
    for r in j["runs"][0]["results"].as_array().unwrap() {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str();
        assert!(
            uri.is_some_and(|u| u.ends_with(".tf") || u.ends_with(".yaml")),
            "{r}"
        );
    }
    insta::assert_snapshot!("example_sarif", out.stdout);

    // The schema can say no: a result whose level is not one SARIF knows.
    let broken = out
        .stdout
        .replacen("\"level\": \"error\"", "\"level\": \"severe\"", 1);
    let (ok, _) = valid(&broken);
    assert!(!ok, "an invalid level passed the schema");
}
