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

/// Records pointing at CloudFront and S3 website endpoints, in the code and in AWS alike (no
/// drift): `cdn` at a distribution that is none of the account's, `img` at one that does not
/// list it, `old` at a website bucket nobody has (a takeover candidate); their safe variants
/// `ok` (a wildcard alias lists it), `site` (the account's website bucket) and `www` (a bucket
/// that exists in another account: not judged) stay silent; `gone` points at a load balancer
/// the region does not have, `api` at one it has, `far` at another region (not read: silent);
/// `olddb` at an RDS endpoint that is none of the region's, `db` at one that is. The code alone cannot know the
/// account's distributions and buckets: violated after apply and in AWS.
#[test]
fn dangling_records_are_violated_and_their_safe_variants_are_not() {
    let records: &[(&str, &str, &str)] = &[
        ("cdn", "alias", "d111111abcdef8.cloudfront.net"),
        ("img", "alias", "d222222abcdef8.cloudfront.net"),
        ("ok", "alias", "d333333abcdef8.cloudfront.net"),
        (
            "old",
            "CNAME",
            "old.example.com.s3-website-us-east-1.amazonaws.com",
        ),
        (
            "site",
            "CNAME",
            "site.example.com.s3-website-eu-west-1.amazonaws.com",
        ),
        ("www", "alias", "s3-website.eu-west-1.amazonaws.com"),
        (
            "api",
            "alias",
            "dualstack.web-1234567890.eu-west-1.elb.amazonaws.com",
        ),
        (
            "gone",
            "CNAME",
            "gone-999999999.eu-west-1.elb.amazonaws.com",
        ),
        ("far", "CNAME", "far-1.us-east-1.elb.amazonaws.com"),
        ("db", "CNAME", "db.c9abcdefghij.eu-west-1.rds.amazonaws.com"),
        (
            "olddb",
            "CNAME",
            "old.c9abcdefghij.eu-west-1.rds.amazonaws.com",
        ),
    ];
    let mut hcl =
        String::from("resource \"aws_route53_zone\" \"main\" {\n  name = \"example.com\"\n}\n");
    let mut live = Vec::new();
    for (name, how, target) in records {
        if *how == "alias" {
            let zone = if target.ends_with("cloudfront.net") {
                "Z2FDTNDATAQYW2"
            } else if target.contains(".elb.") {
                "Z32O12XQLNTSW2"
            } else {
                "Z1BKCTXD74EZPE"
            };
            hcl.push_str(&format!(
                "resource \"aws_route53_record\" \"{name}\" {{\n  zone_id = aws_route53_zone.main.zone_id\n  name    = \"{name}\"\n  type    = \"A\"\n  alias {{\n    name                   = \"{target}\"\n    zone_id                = \"{zone}\"\n    evaluate_target_health = false\n  }}\n}}\n"
            ));
            live.push(format!(
                r#"{{"Name": "{name}.example.com.", "Type": "A", "AliasTarget": {{"HostedZoneId": "{zone}", "DNSName": "{target}.", "EvaluateTargetHealth": false}}}}"#
            ));
        } else {
            hcl.push_str(&format!(
                "resource \"aws_route53_record\" \"{name}\" {{\n  zone_id = aws_route53_zone.main.zone_id\n  name    = \"{name}\"\n  type    = \"CNAME\"\n  ttl     = 300\n  records = [\"{target}\"]\n}}\n"
            ));
            live.push(format!(
                r#"{{"Name": "{name}.example.com.", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{{"Value": "{target}"}}]}}"#
            ));
        }
    }
    let distribution = |id: &str, domain: &str, alias: &str| {
        format!(
            r#"{{"Id": "{id}", "ARN": "arn:aws:cloudfront::111122223333:distribution/{id}", "DomainName": "{domain}", "Enabled": true, "Aliases": ["{alias}"], "Origins": []}}"#
        )
    };
    let p = Project::new();
    p.config("")
        .snapshot(&format!(
            r#""route53": {{"zones": [{{"id": "Z1", "name": "example.com.", "private_zone": false, "records": [{}]}}]}},
"cloudfront": {{"distributions": [{}, {}]}},
"s3": {{"buckets": [{{"name": "site.example.com", "website": true}}], "elsewhere": {{"old.example.com": false, "www.example.com": true}}}},
"elb": {{"region": "eu-west-1", "load_balancers": [{{"LoadBalancerName": "web", "DNSName": "web-1234567890.eu-west-1.elb.amazonaws.com", "Type": "application"}}]}},
"rds_endpoints": {{"region": "eu-west-1", "addresses": ["db.c9abcdefghij.eu-west-1.rds.amazonaws.com"]}}"#,
            live.join(", "),
            distribution("E2", "d222222abcdef8.cloudfront.net", "other.example.com"),
            distribution("E3", "d333333abcdef8.cloudfront.net", "*.example.com"),
        ))
        .file("tf/main.tf", &hcl);
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(
        rule_lines(&j),
        vec![
            r#"dangling_dns/cdn.example.com/A violated medium ["after_apply","aws"]"#,
            r#"dangling_dns/gone.example.com/CNAME violated medium ["after_apply","aws"]"#,
            r#"dangling_dns/img.example.com/A violated medium ["after_apply","aws"]"#,
            r#"dangling_dns/old.example.com/CNAME violated high ["after_apply","aws"]"#,
            r#"dangling_dns/olddb.example.com/CNAME violated medium ["after_apply","aws"]"#,
        ],
        "{}",
        out.stdout
    );
    let old = rule_of(&j, "dangling_dns/old.example.com/CNAME").unwrap();
    assert!(
        old["message"].as_str().unwrap().contains("takeover"),
        "{old}"
    );
    assert_eq!(
        old["source"]["file"], "tf/main.tf",
        "placed at the record: {old}"
    );
    // The same code with only the records: nothing else was read, nothing is judged.
    let quiet = Project::new();
    quiet
        .config("")
        .snapshot(&format!(
            r#""route53": {{"zones": [{{"id": "Z1", "name": "example.com.", "private_zone": false, "records": [{}]}}]}}"#,
            live.join(", ")
        ))
        .file("tf/main.tf", &hcl);
    let out = quiet.run(&["check", "--format", "json", "--only", "route53"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

/// A key pending deletion still encrypts a bucket and an RDS instance: violated in AWS, with
/// the users and the date. The same key enabled, or pending deletion with no user, is silent.
#[test]
fn a_key_pending_deletion_that_still_encrypts_data_is_violated() {
    let project = |state: &str, users: bool| {
        let p = Project::new();
        let key_arn = "arn:aws:kms:eu-west-1:111122223333:key/k-1";
        let bucket = if users {
            format!(
                r#"{{"name": "files", "encryption": {{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "{key_arn}"}}}}"#
            )
        } else {
            r#"{"name": "files"}"#.to_string()
        };
        let rds_key = if users {
            format!(r#", "kms_key_id": "{key_arn}""#)
        } else {
            String::new()
        };
        p.config("")
            .snapshot(&format!(
                r#""kms": {{"keys": [{{"key_id": "k-1", "arn": "{key_arn}",
  "key_state": "{state}", "deletion_date": "2026-12-20T00:00:00Z", "aliases": ["alias/files"],
  "policy": {{"Version": "2012-10-17", "Statement": [{ROOT}]}}}}]}},
"s3": {{"buckets": [{bucket}]}},
"rds": {{"instances": [{{"identifier": "db", "engine": "postgres", "status": "available"{rds_key}}}]}}"#
            ))
            .file(
                "tf/main.tf",
                &format!(
                    r#"
resource "aws_kms_key" "files" {{
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{ROOT_HCL}] }})
}}
resource "aws_kms_alias" "files" {{
  name          = "alias/files"
  target_key_id = aws_kms_key.files.key_id
}}
resource "aws_s3_bucket" "files" {{
  bucket = "files"
}}
resource "aws_db_instance" "db" {{
  identifier = "db"
  engine     = "postgres"
}}
"#
                ),
            );
        p.run(&["check", "--format", "json"])
    };
    let out = project("PendingDeletion", true);
    let j = out.json();
    assert_eq!(
        rule_lines(&j),
        vec![r#"key_not_usable/alias/files violated high ["aws"]"#],
        "{}",
        out.stdout
    );
    let message = rule_of(&j, "key_not_usable/alias/files").unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("bucket files")
            && message.contains("RDS instance db")
            && message.contains("2026-12-20"),
        "{message}"
    );
    let disabled = project("Disabled", true);
    assert_eq!(
        rule_lines(&disabled.json()),
        vec![r#"key_not_usable/alias/files violated high ["aws"]"#]
    );
    assert!(rule_lines(&project("Enabled", true).json()).is_empty());
    assert!(rule_lines(&project("PendingDeletion", false).json()).is_empty());
}

/// Against moto: records pointing at a distribution that does not exist, at one that does not
/// list them, and at a website bucket nobody has; a key pending deletion that still encrypts a
/// bucket. Read through the real SDK and drift's CloudFront client; the snapshot of the same
/// account gives the same rules offline. Safe variants (`ok`, listed by its distribution;
/// `site`, the account's website bucket; `api`, at a load balancer of the account; `db`, at an
/// instance's endpoint) stay silent; `gone` and `olddb` point at a load balancer and an RDS
/// endpoint that do not exist.
#[test]
fn dangling_records_and_an_unusable_key_are_found_in_aws() {
    use crate::harness::{Moto, bucket, cloudfront_distribution, create_records, record};
    use aws_sdk_route53::types::{AliasTarget, ResourceRecordSet, RrType};
    let moto = Moto::start();
    let rt = crate::harness::rt();
    rt.block_on(async {
        let sdk = moto.sdk().await;
        let (_, img) =
            cloudfront_distribution(&moto, "other.example.com", "files.s3.amazonaws.com").await;
        let (_, ok) =
            cloudfront_distribution(&moto, "ok.example.com", "files.s3.amazonaws.com").await;
        let lb = crate::harness::load_balancer(&moto, "web").await;
        let db = aws_sdk_rds::Client::new(&sdk)
            .create_db_instance()
            .db_instance_identifier("files-db")
            .engine("postgres")
            .db_instance_class("db.t4g.micro")
            .master_username("files")
            .master_user_password("not-a-real-one")
            .allocated_storage(20)
            .send()
            .await
            .expect("rds")
            .db_instance
            .and_then(|i| i.endpoint)
            .and_then(|e| e.address)
            .expect("endpoint");
        let site = bucket(&sdk, "site.example.com").await;
        site.put_bucket_website()
            .bucket("site.example.com")
            .website_configuration(
                aws_sdk_s3::types::WebsiteConfiguration::builder()
                    .index_document(
                        aws_sdk_s3::types::IndexDocument::builder()
                            .suffix("index.html")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("website");
        let kms = aws_sdk_kms::Client::new(&sdk);
        let key = kms.create_key().send().await.expect("key");
        let key = key.key_metadata().unwrap();
        kms.create_alias()
            .alias_name("alias/files")
            .target_key_id(key.key_id())
            .send()
            .await
            .expect("alias");
        let files = bucket(&sdk, "files-bucket").await;
        crate::harness::encrypt_with_kms(&files, "files-bucket", key.arn().unwrap()).await;
        kms.schedule_key_deletion()
            .key_id(key.key_id())
            .pending_window_in_days(7)
            .send()
            .await
            .expect("schedule deletion");
        let r53 = aws_sdk_route53::Client::new(&sdk);
        let zone = r53
            .create_hosted_zone()
            .name("example.com")
            .caller_reference("dangling")
            .send()
            .await
            .expect("zone");
        let zone_id = zone.hosted_zone().unwrap().id().to_string();
        let alias = ResourceRecordSet::builder()
            .name("cdn.example.com")
            .r#type(RrType::A)
            .alias_target(
                AliasTarget::builder()
                    .hosted_zone_id("Z2FDTNDATAQYW2")
                    .dns_name("d999999abcdef8.cloudfront.net")
                    .evaluate_target_health(false)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        create_records(
            &r53,
            &zone_id,
            vec![
                alias,
                record("img.example.com", RrType::Cname, 300, &[&img]),
                record("ok.example.com", RrType::Cname, 300, &[&ok]),
                record("api.example.com", RrType::Cname, 300, &[&lb]),
                record("db.example.com", RrType::Cname, 300, &[&db]),
                record(
                    "olddb.example.com",
                    RrType::Cname,
                    300,
                    &["gone.c9abcdefghij.ap-northeast-2.rds.amazonaws.com"],
                ),
                record(
                    "gone.example.com",
                    RrType::Cname,
                    300,
                    &["gone-999999999.ap-northeast-2.elb.amazonaws.com"],
                ),
                record(
                    "old.example.com",
                    RrType::Cname,
                    300,
                    &["old.example.com.s3-website-us-east-1.amazonaws.com"],
                ),
                record(
                    "site.example.com",
                    RrType::Cname,
                    300,
                    &["site.example.com.s3-website-ap-northeast-2.amazonaws.com"],
                ),
            ],
        )
        .await;
    });
    let p = Project::new();
    p.aws_config("ap-northeast-2").file(
        "tf/main.tf",
        r#"
provider "aws" {
  region = "ap-northeast-2"
}
resource "aws_kms_key" "files" {}
resource "aws_kms_alias" "files" {
  name          = "alias/files"
  target_key_id = aws_kms_key.files.key_id
}
resource "aws_s3_bucket" "files" {
  bucket = "files-bucket"
}
resource "aws_route53_zone" "main" {
  name = "example.com"
}
"#,
    );
    let run = |args: &[&str]| -> crate::support::Output {
        crate::support::drift_command(p.path())
            .envs(moto.env())
            .args(args)
            .output()
            .unwrap()
            .into()
    };
    let out = run(&["check", "--format", "json"]);
    let j = out.json();
    assert_eq!(
        rule_lines(&j),
        vec![
            r#"dangling_dns/cdn.example.com/A violated medium ["after_apply","aws"]"#,
            r#"dangling_dns/gone.example.com/CNAME violated medium ["after_apply","aws"]"#,
            r#"dangling_dns/img.example.com/CNAME violated medium ["after_apply","aws"]"#,
            r#"dangling_dns/old.example.com/CNAME violated high ["after_apply","aws"]"#,
            r#"dangling_dns/olddb.example.com/CNAME violated medium ["after_apply","aws"]"#,
            r#"key_not_usable/alias/files violated high ["aws"]"#,
        ],
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let key = rule_of(&j, "key_not_usable/alias/files").unwrap();
    assert!(
        key["message"]
            .as_str()
            .unwrap()
            .contains("bucket files-bucket")
            && key["message"].as_str().unwrap().contains("deleted on"),
        "{key}"
    );
    // Offline, from the snapshot of the same account: the same rules.
    let snap = run(&["snapshot", "-o", "captured.json"]);
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    let offline = run(&["check", "--live", "captured.json", "--format", "json"]);
    assert_eq!(rule_lines(&offline.json()), rule_lines(&j));
}

const DNSSEC_STATEMENT: &str = r#"{"Sid": "Route53DNSSEC", "Effect": "Allow", "Principal": {"Service": "dnssec-route53.amazonaws.com"}, "Action": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"], "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}, "ArnLike": {"aws:SourceArn": "arn:aws:route53:::hostedzone/*"}}}"#;
const DNSSEC_STATEMENT_HCL: &str = r#"{ Sid = "Route53DNSSEC", Effect = "Allow", Principal = { Service = "dnssec-route53.amazonaws.com" }, Action = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"], Resource = "*", Condition = { StringEquals = { "aws:SourceAccount" = "111122223333" }, ArnLike = { "aws:SourceArn" = "arn:aws:route53:::hostedzone/*" } } }"#;

/// A zone signed with a key: safe as AWS documents it (us-east-1, ECC_NIST_P256, SIGN_VERIFY,
/// a policy for `dnssec-route53.amazonaws.com`); each way to break it in the code is violated
/// in the code and after apply; a key disabled in AWS, in AWS only.
#[test]
fn a_dnssec_signing_key_must_be_usable_by_route53() {
    let project = |key_args: &str, statement: bool, live_state: &str| {
        let p = Project::new();
        p.config("")
            .snapshot(&format!(
                r#""kms": {{"keys": [{{"key_id": "k-d", "arn": "arn:aws:kms:us-east-1:111122223333:key/k-d",
  "key_state": "{live_state}", "aliases": ["alias/dnssec"], "region": "us-east-1",
  "key_spec": "ECC_NIST_P256", "key_usage": "SIGN_VERIFY",
  "policy": {{"Version": "2012-10-17", "Statement": [{ROOT}, {DNSSEC_STATEMENT}]}}}}]}},
"route53": {{"zones": [{{"id": "/hostedzone/Z1", "name": "example.com.", "private_zone": false, "records": [],
  "key_signing_keys": [{{"Name": "ksk", "KmsArn": "arn:aws:kms:us-east-1:111122223333:key/k-d", "Status": "ACTIVE"}}]}}]}}"#
            ))
            .file(
                "tf/main.tf",
                &format!(
                    r#"
provider "aws" {{
  region = "eu-west-1"
}}
provider "aws" {{
  alias  = "use1"
  region = "us-east-1"
}}
resource "aws_route53_zone" "main" {{
  name = "example.com"
}}
resource "aws_kms_key" "dnssec" {{
  {key_args}
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{ROOT_HCL}{}] }})
}}
resource "aws_kms_alias" "dnssec" {{
  provider      = aws.use1
  name          = "alias/dnssec"
  target_key_id = aws_kms_key.dnssec.key_id
}}
resource "aws_route53_key_signing_key" "main" {{
  hosted_zone_id             = aws_route53_zone.main.id
  key_management_service_arn = aws_kms_key.dnssec.arn
  name                       = "ksk"
}}
"#,
                    if statement {
                        format!(", {DNSSEC_STATEMENT_HCL}")
                    } else {
                        String::new()
                    }
                ),
            );
        let out = p.run(&["check", "--format", "json"]);
        rule_lines(&out.json())
    };
    let good = "provider = aws.use1\n  customer_master_key_spec = \"ECC_NIST_P256\"\n  key_usage = \"SIGN_VERIFY\"";
    let id = "dnssec_signing_key/alias/dnssec@us-east-1";
    assert!(
        project(good, true, "Enabled").is_empty(),
        "the documented setup"
    );
    let in_code = vec![format!(r#"{id} violated high ["code","after_apply"]"#)];
    assert_eq!(
        project(good, false, "Enabled"),
        in_code,
        "no statement for Route 53"
    );
    assert_eq!(
        project(
            "provider = aws.use1\n  key_usage = \"SIGN_VERIFY\"",
            true,
            "Enabled"
        ),
        in_code,
        "a symmetric key"
    );
    assert_eq!(
        project(
            "customer_master_key_spec = \"ECC_NIST_P256\"\n  key_usage = \"SIGN_VERIFY\"",
            true,
            "Enabled"
        )[0]
        .split(' ')
        .next(),
        Some("dnssec_signing_key/alias/dnssec"),
        "a key outside us-east-1 is another key (another place)"
    );
    assert_eq!(
        project(good, true, "Disabled"),
        vec![format!(r#"{id} violated high ["aws"]"#)],
        "disabled in AWS"
    );
}

/// Against moto: the zone the code signs has its key-signing keys read (`GetDNSSEC`, which
/// moto answers with none: it does not sign zones), allowed by the IAM policy in docs/; with
/// nothing signing in AWS, the rule is judged on the code only.
#[test]
fn the_signing_keys_of_a_signed_zone_are_read_from_route53() {
    use crate::harness::Moto;
    let moto = Moto::start();
    let rt = crate::harness::rt();
    rt.block_on(async {
        aws_sdk_route53::Client::new(&moto.sdk().await)
            .create_hosted_zone()
            .name("example.com")
            .caller_reference("dnssec")
            .send()
            .await
            .expect("zone");
    });
    let p = Project::new();
    p.aws_config("ap-northeast-2").file(
        "tf/main.tf",
        r#"
provider "aws" {
  region = "ap-northeast-2"
}
resource "aws_route53_zone" "main" {
  name = "example.com"
}
resource "aws_kms_key" "dnssec" {
  key_usage = "SIGN_VERIFY"
}
resource "aws_kms_alias" "dnssec" {
  name          = "alias/dnssec"
  target_key_id = aws_kms_key.dnssec.key_id
}
resource "aws_route53_key_signing_key" "main" {
  hosted_zone_id             = aws_route53_zone.main.id
  key_management_service_arn = aws_kms_key.dnssec.arn
  name                       = "ksk"
}
"#,
    );
    let before = moto.requests_so_far();
    let out: crate::support::Output = crate::support::drift_command(p.path())
        .envs(moto.env())
        .args(["check", "--format", "json"])
        .output()
        .unwrap()
        .into();
    let lines = rule_lines(&out.json());
    assert_eq!(lines.len(), 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        lines[0].starts_with("dnssec_signing_key/alias/dnssec violated high [\"code\"")
            && !lines[0].contains("aws"),
        "{lines:?}"
    );
    let message = out.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "rule")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("us-east-1") && message.contains("SYMMETRIC_DEFAULT"),
        "{message}"
    );
    let sent = &moto.requests()[before..];
    assert!(
        sent.iter()
            .any(|r| r.starts_with("route53 GET") && r.contains("/dnssec")),
        "{sent:?}"
    );
    assert!(
        crate::iam_policy::policy_actions().contains("route53:GetDNSSEC"),
        "docs/iam-policy.json allows it"
    );
}
