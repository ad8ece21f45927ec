//! The bundled seed estate: exactly the three findings of the incidents, and the rule that
//! says the hand fix of the CloudFront incident is all that keeps CloudFront working.

use crate::support::{repo, run_in};

#[test]
fn example_human_report() {
    let out = run_in(&repo(), &["check", "--color", "never"]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(!out.stdout.contains('\x1b'), "no ANSI when colors are off");
    insta::assert_snapshot!("example_human", out.stdout);
}

#[test]
fn example_human_report_forced_color() {
    let out = run_in(&repo(), &["check", "--color", "always"]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.contains("\x1b[31m"), "colored output");
    insta::assert_snapshot!("example_human_color", out.stdout);
}

#[test]
fn example_auto_color_is_off_when_not_a_terminal() {
    let out = run_in(&repo(), &["check"]);
    assert!(!out.stdout.contains('\x1b'));
}

#[test]
fn example_json_has_exactly_the_three_incidents() {
    let out = run_in(&repo(), &["check", "--format", "json"]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    let j = out.json();
    assert_eq!(j["schema"], "drift.report/v1");
    let mut got: Vec<(String, String, String)> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["status"].as_str().unwrap().to_string(),
                f["kind"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "changed".into(),
                "kms_key_policy".into(),
                "alias/wealist-prod-files".into()
            ),
            (
                "missing".into(),
                "postgres_database".into(),
                "wealist-prod/ops_db".into()
            ),
            (
                "missing".into(),
                "service_checklist".into(),
                "ops-service/argocd_app".into()
            ),
            (
                "missing".into(),
                "service_checklist".into(),
                "ops-service/ci_pipeline".into()
            ),
            (
                "missing".into(),
                "service_checklist".into(),
                "ops-service/helm_values".into()
            ),
            (
                "missing".into(),
                "service_checklist".into(),
                "ops-service/secret".into()
            ),
            (
                "unmanaged".into(),
                "route53_record".into(),
                "cdn.wealist.co.kr/A".into()
            ),
            (
                "violated".into(),
                "rule".into(),
                "cloudfront_kms_decrypt/cdn.wealist.co.kr".into()
            ),
        ]
    );
    // The incident, told before apply: AWS works through the hand-made statement, which the
    // code lacks, so apply would bring the 403s back.
    let rule = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "rule")
        .unwrap();
    assert_eq!(rule["where"], serde_json::json!(["code", "after_apply"]));
    assert_eq!(rule["severity"], "high");
    let message = rule["message"].as_str().unwrap();
    assert!(
        message.contains("`AllowCloudFrontDecrypt`")
            && message.contains("`terraform apply` would remove it"),
        "{message}"
    );
    assert_eq!(
        rule["source"]["file"],
        "desired/terraform/prod/foundation/cdn.tf"
    );
    let kms = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "kms_key_policy")
        .unwrap();
    assert_eq!(
        kms["changes"][0]["path"],
        "Statement[AllowCloudFrontDecrypt]"
    );
    assert_eq!(kms["changes"][0]["op"], "add");
    assert_eq!(j["summary"]["not_checked"], 0);
    assert_eq!(j["errors"].as_array().unwrap().len(), 0);
    insta::assert_snapshot!("example_json", out.stdout);
}

#[test]
fn example_markdown_report() {
    let out = run_in(&repo(), &["check", "--format", "markdown"]);
    assert_eq!(out.code, 2);
    insta::assert_snapshot!("example_markdown", out.stdout);
}

/// `--format github`: workflow commands at each finding's line, and the Markdown report
/// appended to the job summary when GitHub names one.
#[test]
fn example_github_report() {
    let summary = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(summary.path(), "earlier step\n").unwrap();
    let out = crate::support::drift_command(&repo())
        .args(["check", "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", summary.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains("::error file=desired/terraform/prod/foundation/kms.tf,line="),
        "{stdout}"
    );
    insta::assert_snapshot!("example_github", stdout);
    let markdown = run_in(&repo(), &["check", "--format", "markdown"]).stdout;
    assert_eq!(
        std::fs::read_to_string(summary.path()).unwrap(),
        format!("earlier step\n{markdown}")
    );
}

#[test]
fn example_only_kms() {
    let out = run_in(&repo(), &["check", "--format", "json", "--only", "kms"]);
    assert_eq!(out.code, 2);
    let j = out.json();
    let f = j["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["kind"], "kms_key_policy");
}

#[test]
fn example_only_rds() {
    let out = run_in(&repo(), &["check", "--format", "json", "--only", "rds"]);
    let j = out.json();
    let f = j["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["id"], "wealist-prod/ops_db");
    assert_eq!(f[0]["remediation"], "CREATE DATABASE \"ops_db\";");
}

/// Runs `drift check` in the repository under util-linux `script`, which gives it a terminal;
/// `None` where `script` is missing.
fn check_on_a_terminal(no_color: bool) -> Option<String> {
    let mut cmd = std::process::Command::new("script");
    cmd.args([
        "-qec",
        &format!("{} check", env!("CARGO_BIN_EXE_drift")),
        "/dev/null",
    ])
    .current_dir(repo())
    .env_clear()
    .env("PATH", std::env::var("PATH").unwrap_or_default())
    .env("TERM", "xterm");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `--color auto` colors a terminal, unless `NO_COLOR` is set.
#[test]
fn auto_color_on_a_terminal_honours_no_color() {
    let Some(colored) = check_on_a_terminal(false) else {
        println!("util-linux `script` is not installed: skipped the terminal test");
        return;
    };
    assert!(
        colored.contains("\x1b["),
        "a terminal gets colors: {colored}"
    );
    let plain = check_on_a_terminal(true).unwrap_or_default();
    assert!(plain.contains("Drift:"), "{plain}");
    assert!(!plain.contains("\x1b["), "NO_COLOR turns colors off");
}
