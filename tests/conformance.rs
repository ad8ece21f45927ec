//! The conformance corpus: every case in `tests/conformance/cases.txt` evaluated by drift and
//! compared, value and type, with what terraform made of it (`outcomes.json`, recorded by
//! `scripts/conformance-record`). Cases drift deliberately does not evaluate, and differences
//! not fixed yet, are listed by key in `expectations.json` with a reason; a listed case that
//! starts agreeing fails the test too, so the lists only shrink.

use drift::desired::terraform::root_output;
use drift::model::policy::Policy;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;

struct Case {
    key: String,
    expr: String,
    files: BTreeMap<String, String>,
}

fn parse_cases(text: &str) -> Vec<Case> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("@case ") {
            let mut files: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            let mut expr = String::new();
            let mut current: Option<String> = None;
            while i < lines.len() && lines[i] != "@end" {
                let l = lines[i];
                i += 1;
                if let Some(f) = l.strip_prefix("@file ") {
                    current = Some(f.trim().to_string());
                    files.insert(f.trim().to_string(), Vec::new());
                } else if let Some(e) = l.strip_prefix("@expr ") {
                    expr = e.to_string();
                    current = None;
                } else if let Some(f) = &current {
                    files.entry(f.clone()).or_default().push(l);
                }
            }
            i += 1;
            out.push(Case {
                key: format!("@{}", name.trim()),
                expr,
                files: files
                    .into_iter()
                    .map(|(k, v)| (k, v.join("\n") + "\n"))
                    .collect(),
            });
        } else {
            out.push(Case {
                key: line.to_string(),
                expr: line.to_string(),
                files: BTreeMap::new(),
            });
        }
    }
    out
}

enum Outcome {
    Agree,
    NotEvaluated(String),
    Differ(String),
}

/// What drift makes of a case: its files and an output `out` holding its expression, in a
/// temporary root module.
fn evaluate(case: &Case) -> drift::error::Result<drift::desired::terraform::value::Value> {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in &case.files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("case folder");
        }
        std::fs::write(path, text).expect("write case file");
    }
    std::fs::write(
        dir.path().join("zz_out.tf"),
        format!("output \"out\" {{\n  value = {}\n}}\n", case.expr),
    )
    .expect("write output");
    root_output(Path::new(dir.path()), "out")
}

fn run_case(case: &Case, expected: &Json) -> Outcome {
    let got = evaluate(case);
    match (got, expected.get("error")) {
        (Err(_), Some(_)) => Outcome::Agree,
        // An error contained to the object that needed the value (drift reports it, exit 1):
        // drift rejects it as well.
        (Ok(v), Some(_)) if v.find_unknown().is_some_and(|u| u.error.is_some()) => Outcome::Agree,
        (Err(e), None) => Outcome::Differ(format!("drift rejects it: {}", e.render())),
        (Ok(v), _) if v.find_unknown().is_some() => Outcome::NotEvaluated(
            v.find_unknown()
                .map(|u| u.reason.clone())
                .unwrap_or_default(),
        ),
        (Ok(v), Some(e)) => Outcome::Differ(format!("terraform rejects it ({e}), drift gives {v}")),
        (Ok(v), None) => {
            let value = v.to_json().unwrap_or(Json::Null);
            let want_value = &expected["value"];
            let want_type = &expected["type"];
            let type_ok = want_type.is_null() && v.is_null() || *want_type == v.ty().to_json();
            if type_ok && value == *want_value {
                Outcome::Agree
            } else {
                Outcome::Differ(format!(
                    "terraform: {want_value} : {want_type}\n      drift:     {value} : {}",
                    v.ty().to_json()
                ))
            }
        }
    }
}

#[test]
fn drift_evaluates_as_terraform_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let cases = parse_cases(&std::fs::read_to_string(root.join("cases.txt")).expect("cases"));
    let recorded: Json = serde_json::from_str(
        &std::fs::read_to_string(root.join("outcomes.json")).expect("outcomes"),
    )
    .expect("outcomes.json is JSON");
    let expectations: Json = serde_json::from_str(
        &std::fs::read_to_string(root.join("expectations.json")).expect("expectations"),
    )
    .expect("expectations.json is JSON");
    let listed = |section: &str, key: &str| expectations[section].get(key).is_some();

    let mut agree = 0;
    let mut not_evaluated = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let Some(expected) = recorded["outcomes"].get(&case.key) else {
            failures.push(format!(
                "{}: no recorded outcome; run scripts/conformance-record",
                case.key
            ));
            continue;
        };
        match run_case(case, expected) {
            Outcome::Agree => {
                agree += 1;
                if listed("known_differences", &case.key) || listed("not_evaluated", &case.key) {
                    failures.push(format!(
                        "{}: agrees now; take it off expectations.json",
                        case.key
                    ));
                }
            }
            Outcome::NotEvaluated(reason) => {
                not_evaluated += 1;
                if !listed("not_evaluated", &case.key) && !listed("known_differences", &case.key) {
                    failures.push(format!("{}: not evaluated ({reason})", case.key));
                }
            }
            Outcome::Differ(how) => {
                if !listed("known_differences", &case.key) {
                    failures.push(format!("{}:\n      {how}", case.key));
                }
            }
        }
    }
    let total = cases.len();
    let figure = format!(
        "conformance: drift agrees with terraform {} on {agree} of {total} cases ({:.1}%); {not_evaluated} not evaluated; {} known differences",
        recorded["terraform"].as_str().unwrap_or("?"),
        100.0 * agree as f64 / total as f64,
        expectations["known_differences"]
            .as_object()
            .map_or(0, |m| m.len()),
    );
    show(&figure);
    let limit = total * 2 / 100;
    assert!(
        not_evaluated <= limit,
        "{figure}\n{not_evaluated} cases not evaluated; at most 2% ({limit}) may be"
    );
    assert!(
        failures.is_empty(),
        "{figure}\n{} conformance failures:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// What drift made of one policy-document case, against what terraform and the provider did.
fn policy_case(case: &Case, expected: &Json) -> Result<(), String> {
    let got = evaluate(case);
    // An error contained to the data source leaves its `json` unknown, with the error.
    let rejected = match &got {
        Err(_) => true,
        Ok(v) => v.find_unknown().is_some_and(|u| u.error.is_some()),
    };
    if let Some(e) = expected.get("error") {
        return if rejected {
            Ok(())
        } else {
            Err(format!("terraform rejects it ({e}); drift accepts it"))
        };
    }
    let text = match got {
        Ok(drift::desired::terraform::value::Value::String(s)) => s,
        Ok(v) => return Err(format!("drift gives {v}, not the document")),
        Err(e) => return Err(format!("drift rejects it: {}", e.render())),
    };
    let want_text = expected["value"].as_str().expect("a recorded JSON string");
    let want = Policy::parse_str(want_text).map_err(|e| format!("terraform's JSON: {e}"))?;
    let have = Policy::parse_str(&text).map_err(|e| format!("drift's JSON {text}: {e}"))?;
    if want.to_json() == have.to_json() {
        Ok(())
    } else {
        Err(format!("terraform: {want_text}\n      drift:     {text}"))
    }
}

/// `data "aws_iam_policy_document"` as terraform 1.11 and the AWS provider build it
/// (`policy_documents.txt`, recorded by `scripts/conformance-record --corpus
/// policy_documents`): the same policy once canonicalized, and the same documents rejected.
#[test]
fn policy_documents_build_as_the_provider_builds_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let cases = parse_cases(
        &std::fs::read_to_string(root.join("policy_documents.txt")).expect("policy cases"),
    );
    let recorded: Json = serde_json::from_str(
        &std::fs::read_to_string(root.join("policy_documents.outcomes.json")).expect("outcomes"),
    )
    .expect("policy_documents.outcomes.json is JSON");
    let mut failures = Vec::new();
    for case in &cases {
        let Some(expected) = recorded["outcomes"].get(&case.key) else {
            failures.push(format!(
                "{}: no recorded outcome; run scripts/conformance-record --corpus policy_documents",
                case.key
            ));
            continue;
        };
        if let Err(how) = policy_case(case, expected) {
            failures.push(format!("{}:\n      {how}", case.key));
        }
    }
    let figure = format!(
        "policy documents: drift agrees with terraform {} on {} of {} cases",
        recorded["terraform"].as_str().unwrap_or("?"),
        cases.len() - failures.len(),
        cases.len()
    );
    show(&figure);
    assert!(
        failures.is_empty(),
        "{figure}\n{} policy document failures:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// Prints an agreement figure where the test command's output shows it: the test harness
/// captures `println!` of a passing test, not a direct write to the process's stderr.
pub(crate) fn show(figure: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{figure}");
}
