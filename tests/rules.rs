//! Cross-resource rules, run through the real binary: each fires on its broken estate — in
//! the code alone, in AWS, or after apply — and stays silent on its safe variants.

use crate::support::Project;

fn snapshot_with_policy(statements: &str) -> String {
    format!(
        r#""kms": {{"keys": [{{"key_id": "k-1", "arn": "arn:aws:kms:eu-west-1:111122223333:key/k-1",
  "key_state": "Enabled", "aliases": ["alias/app"],
  "policy": {{"Version": "2012-10-17", "Statement": [{statements}]}}}}]}}"#
    )
}

const ROOT: &str = r#"{"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}"#;
const USE: &str = r#"{"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}, "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"}"#;

fn code(statements: &str) -> String {
    format!(
        r#"
resource "aws_kms_key" "app" {{
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{statements}]
  }})
}}
resource "aws_kms_alias" "app" {{
  name          = "alias/app"
  target_key_id = aws_kms_key.app.key_id
}}
"#
    )
}

const ROOT_HCL: &str = r#"{ Sid = "Root", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = "kms:*", Resource = "*" }"#;
const USE_HCL: &str = r#"{ Sid = "Use", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:role/app" }, Action = ["kms:Decrypt", "kms:Encrypt"], Resource = "*" }"#;

fn rule_lines(j: &serde_json::Value) -> Vec<String> {
    j["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "rule")
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["id"].as_str().unwrap_or_default(),
                f["status"].as_str().unwrap_or_default(),
                f["severity"].as_str().unwrap_or_default(),
                f["where"]
            )
        })
        .collect()
}

/// The code drops the root statement: the key would be locked after apply, though AWS is fine
/// today; the rule says so before apply, at the key's declaration, with the fix.
#[test]
fn a_key_policy_that_locks_the_key_is_violated_in_the_code_and_after_apply() {
    let p = Project::new();
    p.config("")
        .snapshot(&snapshot_with_policy(&format!("{ROOT}, {USE}")))
        .file("tf/main.tf", &code(USE_HCL));
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(
        rule_lines(&j),
        vec![r#"key_policy_lockout/alias/app violated high ["code","after_apply"]"#]
    );
    assert_eq!(j["summary"]["violated"], 1);
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "rule")
        .unwrap();
    assert_eq!(f["source"]["file"], "tf/main.tf");
    assert_eq!(f["source"]["line"], 2);
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("arn:aws:iam::111122223333:root")
    );
    assert!(
        f["evidence"]["code"]["principals_evaluated"].is_array(),
        "{f}"
    );
    crate::scenarios::pin_rule(&p, "rule_lockout_in_code", &out);
    // Every format names the rule.
    let sarif = p.run(&["check", "--format", "sarif"]);
    let s: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("sarif");
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["ruleId"] == "key_policy_lockout"
            && r["level"] == "error"
            && r["locations"][0]["physicalLocation"]["region"]["startLine"] == 2),
        "{}",
        sarif.stdout
    );
    let md = p.run(&["check", "--format", "markdown"]);
    assert!(md.stdout.contains("key_policy_lockout"), "{}", md.stdout);
    let gh = p.run(&["check", "--format", "github"]);
    assert!(
        gh.stdout.contains("::error") && gh.stdout.contains("kms:PutKeyPolicy"),
        "{}",
        gh.stdout
    );
    // `--fail-on` without `violated` leaves the exit status to the other findings.
    let loose = p.run(&["check", "--fail-on", "missing", "--format", "json"]);
    assert_eq!(loose.code, 0, "{}", loose.stdout);
}

/// Someone removed the root statement by hand: the code is fine and apply would repair it; the
/// rule holds in the code and after apply, and is violated in AWS only (a warning here: an
/// admin role can still manage the key).
#[test]
fn a_hand_made_lockout_is_violated_in_aws_only() {
    let p = Project::new();
    let admin = r#"{"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/admin"}, "Action": "kms:*", "Resource": "*"}"#;
    p.config("")
        .snapshot(&snapshot_with_policy(&format!("{admin}, {USE}")))
        .file(
            "tf/main.tf",
            &code(&format!(
                "{ROOT_HCL}, {USE_HCL}, {}",
                r#"{ Sid = "Admin", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:role/admin" }, Action = "kms:*", Resource = "*" }"#
            )),
        );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        rule_lines(&out.json()),
        vec![r#"key_policy_lockout/alias/app violated warning ["aws"]"#]
    );
}

/// Safe variants: the default policy, and the same policy in code and AWS with an admin and
/// the root statement: no rule finding, exit 0.
#[test]
fn safe_key_policies_raise_no_rule() {
    let p = Project::new();
    p.config("")
        .snapshot(&snapshot_with_policy(&format!("{ROOT}, {USE}")))
        .file("tf/main.tf", &code(&format!("{ROOT_HCL}, {USE_HCL}")));
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(rule_lines(&out.json()).is_empty());
    assert_eq!(out.json()["summary"]["violated"], 0);
}
