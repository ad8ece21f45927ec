//! The resource-policy evaluator against an independent implementation of AWS's evaluation
//! logic: `tests/fixtures/policy_eval/corpus.json` holds a few hundred (policy, request) pairs
//! around the CloudFront/KMS incident and its near misses, with the decision the npm package
//! `@cloud-copilot/iam-simulate` gives (`scripts/policy-eval-record`). drift must give the same
//! decision for every one; where Node and the package are installed (`.cache/iam-simulate`),
//! the package is also run on the corpus now, so the recorded answers cannot go stale.

use crate::support::repo;
use drift::model::Policy;
use drift::model::policy_eval::{Principal, Request, evaluate};

fn corpus() -> serde_json::Value {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/policy_eval/corpus.json"))
        .expect("read the corpus");
    serde_json::from_str(&text).expect("the corpus is JSON")
}

fn request(r: &serde_json::Value) -> Request {
    let who = r["principal"].as_str().expect("principal");
    let principal = if who.starts_with("arn:") {
        Principal::Aws(who.to_string())
    } else {
        Principal::Service(who.to_string())
    };
    let mut req = Request::new(
        principal,
        r["action"].as_str().expect("action"),
        r["resource"].as_str().expect("resource"),
    );
    for (k, v) in r["context"].as_object().expect("context") {
        req = match v {
            serde_json::Value::Array(vs) => {
                let vs: Vec<&str> = vs.iter().filter_map(|x| x.as_str()).collect();
                req.with_all(k, &vs)
            }
            other => req.with(k, other.as_str().expect("a string value")),
        };
    }
    req
}

#[test]
fn the_evaluator_agrees_with_iam_simulate_on_the_whole_corpus() {
    let corpus = corpus();
    let cases = corpus["cases"].as_array().expect("cases");
    assert!(
        cases.len() >= 300,
        "a few hundred cases, got {}",
        cases.len()
    );
    let mut disagree = Vec::new();
    for c in cases {
        let name = c["name"].as_str().unwrap_or_default();
        let expected = c["expected"].as_str().expect("expected");
        let policy = Policy::from_json_in(&c["policy"], Some("aws")).expect("the policy parses");
        let got = match evaluate(&policy, &request(&c["request"])) {
            Ok(e) => e.decision.as_str().to_string(),
            Err(why) => format!("refused: {why}"),
        };
        if got != expected {
            disagree.push(format!("{name}: iam-simulate {expected}, drift {got}"));
        }
    }
    crate::conformance::show(&format!(
        "policy evaluator: agrees with iam-simulate {} on {} of {} cases",
        corpus["oracle"].as_str().unwrap_or("?"),
        cases.len() - disagree.len(),
        cases.len()
    ));
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
    // The corpus covers every decision, so agreement is not agreement on "deny".
    for d in [
        "Allowed",
        "AllowedForAccount",
        "ExplicitlyDenied",
        "ImplicitlyDenied",
    ] {
        assert!(
            cases.iter().any(|c| c["expected"] == d),
            "no case decides {d}"
        );
    }
}

/// Where Node and the pinned package are installed, the package answers the corpus again now:
/// its answers must be the recorded ones.
#[test]
fn the_recorded_answers_are_what_iam_simulate_says_where_it_is_installed() {
    let dir = repo().join(".cache/iam-simulate");
    let node = std::process::Command::new("node").arg("--version").output();
    if !dir
        .join("node_modules/@cloud-copilot/iam-simulate")
        .is_dir()
        || node.is_err()
    {
        eprintln!(
            "iam-simulate is not installed ({}): the recorded answers are used (scripts/policy-eval-record installs it)",
            dir.display()
        );
        return;
    }
    let corpus = corpus();
    let cases: Vec<serde_json::Value> = corpus["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c.as_object_mut().expect("object").remove("expected");
            c
        })
        .collect();
    let mut child = std::process::Command::new("node")
        .arg(repo().join("scripts/policy-eval-corpus.mjs"))
        .arg("answer")
        .env("IAM_SIMULATE_DIR", &dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run node");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(serde_json::to_string(&cases).expect("json").as_bytes())
            .expect("write the cases");
    }
    let out = child.wait_with_output().expect("node answers");
    assert!(out.status.success());
    let now: serde_json::Value = serde_json::from_slice(&out.stdout).expect("answers are JSON");
    assert_eq!(
        now["cases"], corpus["cases"],
        "re-record: scripts/policy-eval-record"
    );
}
