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

/// The bundled estate's snapshot as it was before anyone fixed the CloudFront incident by
/// hand: the key policy without `AllowCloudFrontDecrypt`.
fn before_the_hand_fix(p: &Project) {
    let path = p.path().join("snapshots/wealist-prod.json");
    let mut snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let statements = snap["kms"]["keys"][0]["policy"]["Statement"]
        .as_array_mut()
        .unwrap();
    statements.retain(|s| s["Sid"] != "AllowCloudFrontDecrypt");
    std::fs::write(&path, serde_json::to_string_pretty(&snap).unwrap()).unwrap();
}

fn rule_of<'j>(j: &'j serde_json::Value, id: &str) -> Option<&'j serde_json::Value> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "rule" && f["id"] == id)
}

/// The incident before it happened: code and AWS agree (no drift on the key), both wrong.
/// The rule says so in the code, after apply and in AWS, and `--patch` writes the statement
/// the team wrote by hand at night into the KMS module's `key_statements`.
#[test]
fn the_cloudfront_incident_is_violated_in_the_code_before_any_hand_fix() {
    let p = crate::support::seed_copy();
    before_the_hand_fix(&p);
    let out = p.run(&["check", "--format", "json", "--patch", "fix.diff"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert!(
        !j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "kms_key_policy"),
        "code and AWS agree on the key: {}",
        out.stdout
    );
    let rule = rule_of(&j, "cloudfront_kms_decrypt/cdn.wealist.co.kr").expect("the rule fires");
    assert_eq!(
        rule["where"],
        serde_json::json!(["code", "after_apply", "aws"])
    );
    let message = rule["message"].as_str().unwrap();
    assert!(
        message.contains("kms:Decrypt") && message.contains("403"),
        "{message}"
    );
    assert!(!message.contains("works today"), "{message}");
    let evidence = &rule["evidence"]["aws"]["origins"][0];
    assert_eq!(evidence["decision"], "ImplicitlyDenied");
    assert_eq!(evidence["key"], "alias/wealist-prod-files");
    let patch = std::fs::read_to_string(p.path().join("fix.diff")).unwrap();
    assert!(
        patch.contains("+      sid    = \"AllowCloudFrontDecrypt\"")
            && patch.contains("distribution/${var.cloudfront_distribution_id}")
            && patch.contains("desired/terraform/prod/foundation/kms.tf"),
        "{patch}"
    );
    // With the patch applied, the code carries the fix: the rule holds everywhere but in AWS,
    // where nobody has applied it yet.
    let applied = std::process::Command::new("patch")
        .args(["-p1", "-i", "fix.diff"])
        .current_dir(p.path())
        .output()
        .unwrap();
    assert!(applied.status.success(), "{applied:?}");
    let after = p.run(&["check", "--format", "json"]);
    let j = after.json();
    let rule = rule_of(&j, "cloudfront_kms_decrypt/cdn.wealist.co.kr").expect("AWS still lacks it");
    assert_eq!(
        rule["where"],
        serde_json::json!(["aws"]),
        "{}",
        after.stdout
    );
}

/// The bundled snapshot: AWS works only through the hand-made statement; the rule says that
/// apply would revert it, and `--patch` writes the statement once (the key policy's change
/// and the rule's fix are one edit).
#[test]
fn the_hand_fix_is_what_keeps_cloudfront_working_and_the_patch_writes_it_once() {
    let p = crate::support::seed_copy();
    let out = p.run(&["check", "--format", "json", "--patch", "fix.diff"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let j = out.json();
    let rule = rule_of(&j, "cloudfront_kms_decrypt/cdn.wealist.co.kr").expect("the rule fires");
    assert_eq!(rule["where"], serde_json::json!(["code", "after_apply"]));
    assert!(
        !out.stderr.contains("not in the patch: rule"),
        "the rule's fix is in the patch: {}",
        out.stderr
    );
    let patch = std::fs::read_to_string(p.path().join("fix.diff")).unwrap();
    assert_eq!(
        patch.matches("AllowCloudFrontDecrypt").count(),
        1,
        "{patch}"
    );
}

fn edge_project(origin: &str, sse: &str, key_statements: &str) -> Project {
    let p = Project::new();
    p.config("").snapshot(&format!(
        r#""kms": {{"keys": [{{"key_id": "k-1", "arn": "arn:aws:kms:eu-west-1:111122223333:key/k-1",
  "key_state": "Enabled", "aliases": ["alias/files"],
  "policy": {{"Version": "2012-10-17", "Statement": [{ROOT}{key_statements}]}}}}]}},
"cloudfront": {{"distributions": []}}, "s3": {{"buckets": []}}"#
    ))
    .file(
        "tf/main.tf",
        &format!(
            r#"
resource "aws_kms_key" "files" {{
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{ROOT_HCL}{}]
  }})
}}
resource "aws_kms_alias" "files" {{
  name          = "alias/files"
  target_key_id = aws_kms_key.files.key_id
}}
resource "aws_s3_bucket" "files" {{
  bucket = "files-111122223333"
}}
resource "aws_s3_bucket_server_side_encryption_configuration" "files" {{
  bucket = aws_s3_bucket.files.id
  rule {{
    apply_server_side_encryption_by_default {{
      {sse}
    }}
  }}
}}
resource "aws_cloudfront_origin_access_identity" "files" {{}}
resource "aws_cloudfront_origin_access_control" "files" {{
  name                              = "files"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}}
resource "aws_cloudfront_distribution" "cdn" {{
  enabled = true
  aliases = ["cdn.example.com"]
  origin {{
    origin_id   = "files"
    domain_name = aws_s3_bucket.files.bucket_regional_domain_name
    {origin}
  }}
}}
"#,
            if key_statements.is_empty() {
                String::new()
            } else {
                format!(", {}", CLOUDFRONT_HCL)
            }
        ),
    );
    p
}

const OAC: &str = "origin_access_control_id = aws_cloudfront_origin_access_control.files.id";
const OAI: &str = "s3_origin_config {\n      origin_access_identity = aws_cloudfront_origin_access_identity.files.cloudfront_access_identity_path\n    }";
const KMS: &str = "sse_algorithm = \"aws:kms\"\n      kms_master_key_id = aws_kms_key.files.arn";
const CLOUDFRONT: &str = r#", {"Sid": "CloudFront", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringLike": {"AWS:SourceArn": "arn:aws:cloudfront::111122223333:distribution/*"}}}"#;
const CLOUDFRONT_HCL: &str = r#"{ Sid = "CloudFront", Effect = "Allow", Principal = { Service = "cloudfront.amazonaws.com" }, Action = "kms:Decrypt", Resource = "*", Condition = { StringLike = { "AWS:SourceArn" = "arn:aws:cloudfront::111122223333:distribution/*" } } }"#;

/// From the code alone (nothing of it exists in AWS yet): OAC on an SSE-KMS bucket whose key
/// lets CloudFront decrypt is safe; without the statement, or through a legacy identity, or
/// with AWS's own `aws/s3` key, every request would be a 403. SSE-S3 is never this rule's.
#[test]
fn cloudfront_decrypt_is_judged_on_the_code_before_anything_exists() {
    let lines = |p: &Project| rule_lines(&p.run(&["check", "--format", "json"]).json());
    let id = "cloudfront_kms_decrypt/cdn.example.com";
    let fired = |p: &Project| lines(p).iter().any(|l| l.starts_with(id));
    assert!(
        fired(&edge_project(OAC, KMS, "")),
        "no statement for CloudFront"
    );
    assert!(
        !fired(&edge_project(OAC, KMS, CLOUDFRONT)),
        "StringLike on the account's distributions"
    );
    assert!(
        fired(&edge_project(OAI, KMS, CLOUDFRONT)),
        "an identity cannot use SSE-KMS"
    );
    assert!(
        fired(&edge_project(
            OAC,
            "sse_algorithm = \"aws:kms\"",
            CLOUDFRONT
        )),
        "the aws/s3 key"
    );
    assert!(
        !fired(&edge_project(OAC, "sse_algorithm = \"AES256\"", "")),
        "SSE-S3"
    );
    assert!(
        !fired(&edge_project(OAI, "sse_algorithm = \"AES256\"", "")),
        "SSE-S3 with an identity"
    );
    let v = lines(&edge_project(OAC, KMS, ""));
    // Apply would create it so: violated in the code and after apply, not (yet) in AWS.
    assert_eq!(
        v,
        vec![format!(r#"{id} violated high ["code","after_apply"]"#)]
    );
}
