//! Small estates, one per resource family and status, each run through the real binary.

use crate::support::{Output, Project};

/// Pins the JSON report and the human report (colors off) of a scenario.
fn pin(p: &Project, name: &str, json: &Output, extra: &[&str]) {
    insta::assert_snapshot!(format!("{name}_json"), json.stdout);
    let mut args = vec!["check", "--color", "never"];
    args.extend_from_slice(extra);
    let human = p.run(&args);
    assert_eq!(human.code, json.code, "same exit status in both formats");
    insta::assert_snapshot!(format!("{name}_human"), human.stdout);
}

/// Pins a rule scenario's JSON and human reports (`tests/rules.rs`).
pub fn pin_rule(p: &Project, name: &str, json: &Output) {
    pin(p, name, json, &[]);
}

const KMS_KEY_SNAPSHOT: &str = r#""kms": {"keys": [{"key_id": "k-1", "arn": "arn:aws:kms:eu-west-1:111122223333:key/k-1",
  "key_state": "Enabled", "aliases": ["alias/app", "alias/aws/ignored"],
  "policy": {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:role/app"]},
     "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*",
     "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}]}}]}"#;

/// A key policy written with jsonencode, in a different but equivalent form: in sync.
#[test]
fn kms_jsonencode_policy_in_sync() {
    let p = Project::new();
    p.config("").snapshot(KMS_KEY_SNAPSHOT).file(
        "tf/main.tf",
        r#"
data "aws_caller_identity" "me" {}
locals {
  root = "${data.aws_caller_identity.me.account_id}"
}
resource "aws_kms_key" "app" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Use"
        Effect    = "allow"
        Principal = { AWS = "arn:aws:iam::${local.root}:role/app" }
        Action    = ["KMS:Encrypt", "kms:Decrypt", "kms:Decrypt"]
        Resource  = ["*"]
        Condition = { Bool = { "kms:grantisforawsresource" = true } }
      },
      {
        Sid       = "Root"
        Effect    = "Allow"
        Principal = { AWS = local.root }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}
resource "aws_kms_alias" "app" {
  name          = "alias/app"
  target_key_id = aws_kms_key.app.key_id
}
"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(j["summary"]["in_sync"], 1);
    assert_eq!(j["findings"].as_array().unwrap().len(), 0);
    pin(&p, "kms_in_sync", &out, &[]);
}

/// A policy document data source with a changed action: `changed`, matched by Sid.
#[test]
fn kms_policy_document_changed() {
    let p = Project::new();
    p.config("").snapshot(KMS_KEY_SNAPSHOT).file(
        "tf/main.tf",
        r#"
data "aws_iam_policy_document" "key" {
  statement {
    sid       = "Root"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["111122223333"]
    }
  }
  dynamic "statement" {
    for_each = toset(["app"])
    content {
      sid       = "Use"
      actions   = ["kms:Decrypt"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = ["arn:aws:iam::111122223333:role/${statement.value}"]
      }
      condition {
        test     = "Bool"
        variable = "kms:GrantIsForAWSResource"
        values   = ["true"]
      }
    }
  }
}
resource "aws_kms_key" "app" {}
resource "aws_kms_key_policy" "app" {
  key_id = aws_kms_key.app.id
  policy = data.aws_iam_policy_document.key.json
}
resource "aws_kms_alias" "app" {
  name          = "alias/app"
  target_key_id = aws_kms_key.app.arn
}
"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let j = out.json();
    let f = &j["findings"][0];
    assert_eq!(f["status"], "changed");
    assert_eq!(f["address"], "aws_kms_key.app");
    assert_eq!(f["changes"].as_array().unwrap().len(), 1);
    assert_eq!(f["changes"][0]["path"], "Statement[Use]");
    assert_eq!(f["changes"][0]["op"], "change");
    pin(&p, "kms_changed", &out, &[]);
}

/// A key without a policy in code has AWS's default policy.
#[test]
fn kms_default_policy_when_code_has_none() {
    let p = Project::new();
    p.config("")
        .snapshot(
            r#""kms": {"keys": [{"key_id": "k-2", "arn": "arn:aws:kms:eu-west-1:111122223333:key/k-2",
          "key_state": "Enabled", "aliases": ["alias/plain"],
          "policy": {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{"Sid": "Enable IAM User Permissions",
          "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}},
          {"key_id": "k-3", "arn": "x", "key_state": "PendingDeletion", "aliases": ["alias/gone"], "policy": {}}]}"#,
        )
        .file(
            "tf/main.tf",
            r#"
resource "aws_kms_key" "plain" {}
resource "aws_kms_alias" "plain" {
  name          = "alias/plain"
  target_key_id = aws_kms_key.plain.key_id
}
resource "aws_kms_key" "gone" {}
resource "aws_kms_alias" "gone" {
  name          = "alias/gone"
  target_key_id = aws_kms_key.gone.key_id
}
"#,
        );
    let out = p.run(&["check", "--format", "json"]);
    let j = out.json();
    assert_eq!(j["summary"]["in_sync"], 1, "{}", out.stdout);
    // A key pending deletion counts as missing.
    assert_eq!(j["findings"][0]["status"], "missing");
    assert_eq!(j["findings"][0]["id"], "alias/gone");
    assert_eq!(out.code, 2);
    pin(&p, "kms_default_and_pending_deletion", &out, &[]);
}

const ZONE: &str = r#""route53": {"zones": [{"id": "/hostedzone/ZABC", "name": "example.com.", "private_zone": false, "records": [
  {"Name": "example.com.", "Type": "NS", "TTL": 172800, "ResourceRecords": [{"Value": "ns-1.awsdns-01.org."}]},
  {"Name": "example.com.", "Type": "SOA", "TTL": 900, "ResourceRecords": [{"Value": "ns-1.awsdns-01.org. hostmaster. 1 7200 900 1209600 86400"}]},
  {"Name": "www.example.com.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}, {"Value": "192.0.2.1"}]},
  {"Name": "\\052.example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "\"hello world\""}]},
  {"Name": "old.example.com.", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": "www.example.com"}]}
]}]}"#;

/// Records: a changed TTL, a missing record, an unmanaged one; `*` vs `\052`, TXT quotes and
/// apex NS/SOA make no noise. Uses count, for_each and a local child module.
#[test]
fn route53_changed_missing_unmanaged() {
    let p = Project::new();
    p.config("")
        .snapshot(ZONE)
        .file(
            "tf/main.tf",
            r#"
variable "ips" {
  default = ["192.0.2.1", "192.0.2.2"]
}
resource "aws_route53_zone" "z" {
  name = "Example.COM."
}
resource "aws_route53_record" "www" {
  count   = 1
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  ttl     = 300
  records = var.ips
}
module "txt" {
  source  = "./modules/txt"
  zone_id = aws_route53_zone.z.zone_id
}
"#,
        )
        .file(
            "tf/modules/txt/main.tf",
            r#"
variable "zone_id" {}
resource "aws_route53_record" "txt" {
  for_each = { star = "*", api = "api" }
  zone_id  = var.zone_id
  name     = each.value
  type     = "TXT"
  ttl      = 300
  records  = [each.key == "star" ? "hello world" : "api"]
}
"#,
        );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let j = out.json();
    let got: Vec<String> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["status"].as_str().unwrap(),
                f["id"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            "missing api.example.com/TXT",
            "unmanaged old.example.com/CNAME",
            "changed www.example.com/A",
        ]
    );
    assert_eq!(j["summary"]["in_sync"], 1);
    let www = &j["findings"][2];
    assert_eq!(www["address"], "aws_route53_record.www[0]");
    assert_eq!(www["changes"][0]["path"], "ttl");
    let missing = &j["findings"][0];
    assert_eq!(
        missing["address"],
        "module.txt.aws_route53_record.txt[\"api\"]"
    );
    pin(&p, "route53", &out, &[]);
}

/// RDS: a missing instance, a changed engine, and a database missing on a live instance.
#[test]
fn rds_instances_and_databases() {
    let p = Project::new();
    p.config("[manifest]\npath = \"services.yaml\"\n")
        .snapshot(
            r#""rds": {"instances": [{"identifier": "main", "engine": "mysql", "status": "available",
              "databases": [{"datname": "app", "datistemplate": false}, {"datname": "postgres", "datistemplate": false},
                            {"datname": "template0", "datistemplate": true}, {"datname": "legacy_db", "datistemplate": false}]}]}"#,
        )
        .file(
            "tf/main.tf",
            r#"
resource "aws_db_instance" "main" {
  identifier = "main"
  engine     = "postgres"
  db_name    = "app"
}
resource "aws_db_instance" "replica" {
  identifier = "replica"
  engine     = "postgres"
}
"#,
        )
        .file("services.yaml", "rds_instance: main\nservices:\n  - name: billing-service\n  - name: app\n    database: app\n");
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.finding_lines(),
        vec![
            "changed rds_instance main",
            "missing postgres_database main/billing_db",
            "missing rds_instance replica",
            "unmanaged postgres_database main/legacy_db",
        ]
    );
    pin(&p, "rds", &out, &[]);
    let md = p.run(&["check", "--format", "markdown"]);
    insta::assert_snapshot!("rds_markdown", md.stdout);
}

/// A value that cannot be known from code is "not checked" with the reason, never drift.
#[test]
fn unknown_values_are_not_checked() {
    let p = Project::new();
    p.config("").snapshot(ZONE).file(
        "tf/main.tf",
        r#"
variable "target" {}
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_cloudfront_distribution" "cdn" {}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  ttl     = 60
  records = [var.target]
}
resource "aws_route53_record" "cdn" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "cdn"
  type    = "A"
  alias {
    name                   = aws_cloudfront_distribution.cdn.domain_name
    zone_id                = aws_cloudfront_distribution.cdn.hosted_zone_id
    evaluate_target_health = false
  }
}
"#,
    );
    let out = p.run(&["check", "--format", "json", "--only", "route53"]);
    pin(&p, "not_checked", &out, &["--only", "route53"]);
    let j = out.json();
    let nc: Vec<&serde_json::Value> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "not_checked")
        .collect();
    assert_eq!(nc.len(), 2, "{}", out.stdout);
    assert!(nc.iter().any(|f| {
        f["reason"]
            .as_str()
            .unwrap()
            .contains("variable `target` has no value")
    }));
    assert!(nc.iter().any(|f| {
        f["reason"]
            .as_str()
            .unwrap()
            .contains("aws_cloudfront_distribution.cdn.domain_name")
    }));
    // The not-checked www record is not reported missing or changed, nor its live twin unmanaged.
    assert!(
        !j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "www.example.com/A" && f["status"] != "not_checked")
    );

    // Giving the variable a value through TF_VAR_ makes the record checkable.
    let mut cmd = crate::support::drift_command(p.path());
    let o = cmd
        .args(["check", "--format", "json", "--only", "route53"])
        .env("TF_VAR_target", "192.0.2.9")
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let www = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "www.example.com/A")
        .unwrap();
    assert_eq!(www["status"], "changed");
}

/// A snapshot captured without a family is an error for that family, never "missing".
#[test]
fn absent_family_is_an_error_not_missing() {
    let p = Project::new();
    p.config("").snapshot(KMS_KEY_SNAPSHOT).file(
        "tf/main.tf",
        r#"
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "a" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "a"
  type    = "A"
  ttl     = 60
  records = ["192.0.2.1"]
}
"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 1);
    let j = out.json();
    assert_eq!(j["findings"].as_array().unwrap().len(), 0);
    assert_eq!(j["errors"][0]["source"], "route53");
    pin(&p, "absent_family", &out, &[]);
}

/// A local module called with `for_each`: one instance per key, each with its own inputs and
/// address; its outputs are readable per key.
#[test]
fn module_instances_from_for_each() {
    let p = Project::new();
    p.config("")
        .snapshot(ZONE)
        .file(
            "tf/main.tf",
            r#"
resource "aws_route53_zone" "z" {
  name = "example.com"
}
module "host" {
  for_each = { www = ["192.0.2.1", "192.0.2.2"], old = ["192.0.2.9"] }
  source   = "./modules/host"
  zone_id  = aws_route53_zone.z.zone_id
  name     = each.key
  ips      = each.value
}
resource "aws_route53_record" "txt" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "*"
  type    = "TXT"
  ttl     = 300
  records = [module.host["www"].greeting]
}
"#,
        )
        .file(
            "tf/modules/host/main.tf",
            r#"
variable "zone_id" {}
variable "name" {}
variable "ips" {}
resource "aws_route53_record" "a" {
  zone_id = var.zone_id
  name    = var.name
  type    = var.name == "old" ? "CNAME" : "A"
  ttl     = var.name == "old" ? 300 : 60
  records = var.name == "old" ? ["www.example.com"] : var.ips
}
output "greeting" {
  value = "hello world"
}
"#,
        );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(j["summary"]["in_sync"], 3, "{}", out.stdout);
}

/// A role deleted after the policy named it: AWS shows its unique id instead of the ARN. That
/// is drift, reported with a hint saying why.
#[test]
fn deleted_role_principal_is_drift_with_a_hint() {
    let p = Project::new();
    p.config("")
        .snapshot(
            r#""kms": {"keys": [{"key_id": "k-9", "arn": "arn:aws:kms:eu-west-1:111122223333:key/k-9",
          "key_state": "Enabled", "aliases": ["alias/orphan"],
          "policy": {"Version": "2012-10-17", "Statement": [{"Sid": "Use", "Effect": "Allow",
            "Principal": {"AWS": "AROAEXAMPLEUNIQUEID01"}, "Action": "kms:Decrypt", "Resource": "*"}]}}]}"#,
        )
        .file(
            "tf/main.tf",
            r#"
resource "aws_kms_key" "k" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Use"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:role/gone" }
      Action    = "kms:Decrypt"
      Resource  = "*"
    }]
  })
}
resource "aws_kms_alias" "k" {
  name          = "alias/orphan"
  target_key_id = aws_kms_key.k.id
}
"#,
        );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2);
    let j = out.json();
    assert_eq!(j["findings"][0]["status"], "changed");
    let hint = j["findings"][0]["hints"][0].as_str().unwrap_or_default();
    assert!(
        hint.contains("AROAEXAMPLEUNIQUEID01") && hint.contains("deleted"),
        "{hint}"
    );
    let human = p.run(&["check", "--color", "never"]);
    assert!(
        human
            .stdout
            .contains("hint: principal `AROAEXAMPLEUNIQUEID01` is a unique id"),
        "{}",
        human.stdout
    );
}

/// One broken expression in one record among valid ones: that record is not checked with the
/// error as its reason, the others are compared as usual, the error is in `errors[]`, exit 1.
#[test]
fn one_broken_expression_costs_one_record() {
    let p = Project::new();
    p.config("").snapshot(ZONE).file(
        "tf/main.tf",
        r#"
locals {
  ttls = { www = 60 }
}
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  ttl     = local.ttls["www"]
  records = ["192.0.2.1", "192.0.2.2"]
}
resource "aws_route53_record" "old" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "old"
  type    = "CNAME"
  ttl     = local.ttls["old"]
  records = ["www.example.com"]
}
resource "aws_route53_record" "star" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "*"
  type    = "TXT"
  ttl     = 300
  records = ["hello world"]
}
"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(
        out.finding_lines(),
        vec!["not_checked route53_record old.example.com/CNAME"]
    );
    assert_eq!(j["summary"]["in_sync"], 2, "{}", out.stdout);
    let reason = j["findings"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("tf/main.tf:19:13"), "{reason}");
    assert!(reason.contains("\"old\""), "{reason}");
    assert_eq!(j["errors"][0]["source"], "terraform");
    assert!(
        j["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("tf/main.tf:19:13: "),
        "{}",
        j["errors"]
    );
    pin(&p, "broken_expression", &out, &[]);
}

/// Resources drift does not model never stop the run: what only AWS knows of them, nested
/// blocks included, is unknown, so the records built from it are not checked, not errors.
#[test]
fn unmodelled_resources_and_their_nested_blocks_are_unknown() {
    let p = Project::new();
    p.config("").snapshot(ZONE).file(
        "tf/main.tf",
        r#"
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_eks_cluster" "main" {
  name = "main"
  vpc_config {
    subnet_ids = ["subnet-1"]
  }
}
resource "aws_lb" "web" {
  name            = "web"
  security_groups = [aws_eks_cluster.main.vpc_config[0].cluster_security_group_id]
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  ttl     = 60
  records = ["192.0.2.1", "192.0.2.2"]
}
resource "aws_route53_record" "old" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "old"
  type    = "CNAME"
  ttl     = 300
  records = [aws_lb.web.dns_name]
}
"#,
    );
    let out = p.run(&["check", "--format", "json", "--only", "route53"]);
    let j = out.json();
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(j["errors"].as_array().unwrap().len(), 0, "{}", out.stdout);
    assert_eq!(
        out.finding_lines(),
        vec![
            "not_checked route53_record old.example.com/CNAME",
            "unmanaged route53_record *.example.com/TXT",
        ]
    );
    let nc = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "not_checked")
        .unwrap();
    assert!(
        nc["reason"]
            .as_str()
            .unwrap()
            .contains("aws_lb.web.dns_name"),
        "{}",
        out.stdout
    );
}

/// Unknown stays narrow: in a `for_each` map where one record's alias target is an `aws_lb`'s
/// `dns_name`, only that instance is not checked; the others are compared. A record whose
/// name is unknown could be any live record of its type in its zone: none of those is
/// reported unmanaged, and the not-checked finding says which it may be.
#[test]
fn unknown_values_stay_narrow() {
    let p = Project::new();
    p.config("").snapshot(ZONE).file(
        "tf/main.tf",
        r#"
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_lb" "web" {
  name = "web"
}
locals {
  records = {
    www = { type = "A", ttl = 60, records = ["192.0.2.1", "192.0.2.2"], alias = null }
    old = { type = "CNAME", ttl = 300, records = ["www.example.com"], alias = null }
    app = { type = "A", ttl = null, records = null, alias = aws_lb.web.dns_name }
  }
}
resource "aws_route53_record" "r" {
  for_each = local.records
  zone_id  = aws_route53_zone.z.zone_id
  name     = each.key
  type     = each.value.type
  ttl      = each.value.ttl
  records  = each.value.records
  dynamic "alias" {
    for_each = each.value.alias == null ? [] : [each.value.alias]
    content {
      name                   = alias.value
      zone_id                = "Z35SXDOTRQ7X7K"
      evaluate_target_health = true
    }
  }
}
resource "aws_route53_record" "verify" {
  zone_id = aws_route53_zone.z.zone_id
  name    = aws_lb.web.id
  type    = "TXT"
  ttl     = 300
  records = ["hello world"]
}
"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(
        out.finding_lines(),
        vec![
            "not_checked route53_record app.example.com/A",
            "not_checked route53_record aws_route53_record.verify",
        ]
    );
    assert_eq!(j["summary"]["in_sync"], 2, "{}", out.stdout);
    let verify = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "aws_route53_record.verify")
        .unwrap();
    assert!(
        verify["hints"][0]
            .as_str()
            .unwrap()
            .contains("*.example.com/TXT"),
        "{}",
        out.stdout
    );
    pin(&p, "narrow_unknowns", &out, &[]);
}

/// `lifecycle { ignore_changes }`: a record whose TTL differs but is ignored is not drift; it
/// is counted as `ignored` and listed. A difference in an attribute not listed still is drift.
#[test]
fn ignore_changes_is_honoured_and_listed() {
    let p = Project::new();
    p.config("").snapshot(ZONE).file(
        "tf/main.tf",
        r#"
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  ttl     = 300
  records = ["192.0.2.1", "192.0.2.2"]
  lifecycle {
    ignore_changes = [ttl]
  }
}
resource "aws_route53_record" "old" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "old"
  type    = "CNAME"
  ttl     = 60
  records = ["changed.example.com"]
  lifecycle {
    ignore_changes = [records]
  }
}
resource "aws_route53_record" "star" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "*"
  type    = "TXT"
  ttl     = 300
  records = ["something else"]
  lifecycle {
    ignore_changes = all
  }
}
"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(
        out.finding_lines(),
        vec!["changed route53_record old.example.com/CNAME"]
    );
    let old = &j["findings"][0];
    assert_eq!(
        old["changes"].as_array().unwrap().len(),
        1,
        "{}",
        out.stdout
    );
    assert_eq!(old["changes"][0]["path"], "ttl");
    assert_eq!(j["summary"]["ignored"], 3, "{}", out.stdout);
    assert_eq!(j["summary"]["in_sync"], 0, "{}", out.stdout);
    let ignored: Vec<String> = j["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{} {}", i["id"].as_str().unwrap(), i["attributes"]))
        .collect();
    assert_eq!(
        ignored,
        vec![
            r#"*.example.com/TXT ["all"]"#,
            r#"old.example.com/CNAME ["records"]"#,
            r#"www.example.com/A ["ttl"]"#,
        ]
    );
    pin(&p, "ignore_changes", &out, &[]);
}

/// `ignore_changes = [policy]` on a key: its hand-edited policy is listed as ignored, not drift.
#[test]
fn ignore_changes_on_a_key_policy() {
    let p = Project::new();
    p.config("").snapshot(KMS_KEY_SNAPSHOT).file(
        "tf/main.tf",
        r#"
resource "aws_kms_key" "app" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "Root", Effect = "Allow", Principal = { AWS = "111122223333" }, Action = "kms:*", Resource = "*" }]
  })
  lifecycle {
    ignore_changes = [policy]
  }
}
resource "aws_kms_alias" "app" {
  name          = "alias/app"
  target_key_id = aws_kms_key.app.key_id
}
"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(j["findings"].as_array().unwrap().len(), 0, "{}", out.stdout);
    assert_eq!(j["summary"]["ignored"], 1);
    assert_eq!(j["ignored"][0]["id"], "alias/app");
    assert_eq!(j["ignored"][0]["changes"][0]["path"], "Statement[Use]");
    let human = p.run(&["check", "--color", "never"]);
    assert!(
        human.stdout.contains("1 ignored (listed below).")
            && human
                .stdout
                .contains("ignored: kms_key_policy \"alias/app\" differs in Statement[Use]"),
        "{}",
        human.stdout
    );
}

/// A local module in the shape registry modules have: a `map(object({...}))` variable with
/// `optional()` attributes and defaults, and `for_each` over it. The defaults fill in (`ttl`
/// 300 where the caller gave none), so every record is compared and in sync.
#[test]
fn module_with_optional_object_variables() {
    let p = Project::new();
    p.config("")
        .snapshot(ZONE)
        .file(
            "tf/main.tf",
            r#"
resource "aws_route53_zone" "z" {
  name = "example.com"
}
module "records" {
  source  = "./modules/records"
  zone_id = aws_route53_zone.z.zone_id
  records = {
    www   = { type = "A", ttl = 60, records = ["192.0.2.1", "192.0.2.2"] }
    old   = { type = "CNAME", records = ["www.example.com"] }
    "*"   = { type = "TXT", records = ["hello world"] }
  }
}
"#,
        )
        .file(
            "tf/modules/records/main.tf",
            r#"
variable "zone_id" {
  type = string
}
variable "records" {
  type = map(object({
    type    = string
    ttl     = optional(number, 300)
    records = optional(list(string), [])
  }))
}
resource "aws_route53_record" "this" {
  for_each = var.records
  zone_id  = var.zone_id
  name     = each.key
  type     = each.value.type
  ttl      = each.value.ttl
  records  = each.value.records
}
"#,
        );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(j["findings"].as_array().unwrap().len(), 0, "{}", out.stdout);
    assert_eq!(j["summary"]["in_sync"], 3, "{}", out.stdout);
}

/// `file("${path.module}/policy.json")` in a child module reads the module's file whatever
/// directory drift runs from (here a sibling folder, with `-c ../drift.toml`).
#[test]
fn path_module_files_are_found_from_another_directory() {
    let p = Project::new();
    p.config("")
        .snapshot(KMS_KEY_SNAPSHOT)
        .file(
            "tf/main.tf",
            "module \"key\" {\n  source = \"./modules/key\"\n}\n",
        )
        .file(
            "tf/modules/key/main.tf",
            r#"
resource "aws_kms_key" "k" {
  policy = file("${path.module}/policy.json")
}
resource "aws_kms_alias" "a" {
  name          = "alias/app"
  target_key_id = aws_kms_key.k.key_id
}
"#,
        )
        .file(
            "tf/modules/key/policy.json",
            r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
  {"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
   "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*",
   "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}]}"#,
        )
        .file("elsewhere/.keep", "");
    let out = crate::support::run_in(
        &p.path().join("elsewhere"),
        &["check", "-c", "../drift.toml", "--format", "json"],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(j["summary"]["in_sync"], 1, "{}", out.stdout);
    assert_eq!(j["findings"].as_array().unwrap().len(), 0, "{}", out.stdout);
}

/// The records module of a registry-style package, as `terraform init` installs it.
const RECORDS_MODULE: &str = r#"
variable "zone_name" {
  type = string
}
variable "records" {
  type = list(object({
    name    = string
    type    = string
    ttl     = optional(number)
    records = optional(list(string))
  }))
  default = []
}
data "aws_route53_zone" "this" {
  count = var.zone_name != null ? 1 : 0
  name  = var.zone_name
}
locals {
  recordsets = { for rs in var.records : join(" ", compact([rs.name, rs.type])) => rs }
}
resource "aws_route53_record" "this" {
  for_each = local.recordsets
  zone_id  = data.aws_route53_zone.this[0].zone_id
  name     = each.value.name != "" ? "${each.value.name}.${data.aws_route53_zone.this[0].name}" : data.aws_route53_zone.this[0].name
  type     = each.value.type
  ttl      = each.value.ttl
  records  = each.value.records
}
"#;

/// Installed modules: `.terraform/modules/modules.json` locates registry modules, nested calls
/// included (`dns.records`), and they are read like local ones. A module that is declared but
/// not installed is one not-checked finding, never silence; since it could declare anything,
/// the live record no code declares is not reported unmanaged but named on that finding.
#[test]
fn installed_modules_are_read_and_missing_ones_reported() {
    let p = Project::new();
    p.config("")
        .snapshot(ZONE)
        .file(
            "tf/main.tf",
            r#"
module "dns" {
  source  = "acme/dns/aws"
  version = "1.0.0"
  domain  = "example.com"
}
module "cdn" {
  source  = "terraform-aws-modules/cloudfront/aws"
  version = "3.4.0"
}
"#,
        )
        .file(
            "tf/.terraform/modules/modules.json",
            r#"{"Modules":[{"Key":"","Source":"","Dir":"."},
{"Key":"dns","Source":"registry.terraform.io/acme/dns/aws","Version":"1.0.0","Dir":".terraform/modules/dns"},
{"Key":"dns.records","Source":"registry.terraform.io/terraform-aws-modules/route53/aws//modules/records","Version":"2.10.2","Dir":".terraform/modules/dns.records/modules/records"}]}"#,
        )
        .file(
            "tf/.terraform/modules/dns/main.tf",
            r#"
variable "domain" {
  type = string
}
module "records" {
  source    = "terraform-aws-modules/route53/aws//modules/records"
  version   = "2.10.2"
  zone_name = var.domain
  records = [
    { name = "www", type = "A", ttl = 60, records = ["192.0.2.1", "192.0.2.2"] },
    { name = "old", type = "CNAME", ttl = 300, records = ["www.example.com"] },
  ]
}
"#,
        )
        .file(
            "tf/.terraform/modules/dns.records/modules/records/main.tf",
            RECORDS_MODULE,
        );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(
        out.finding_lines(),
        vec!["not_checked terraform_module module.cdn"]
    );
    assert_eq!(j["summary"]["in_sync"], 2, "{}", out.stdout);
    assert_eq!(
        j["findings"][0]["reason"],
        "module `module.cdn` (terraform-aws-modules/cloudfront/aws) is not installed; run `terraform init`"
    );
    assert_eq!(
        j["findings"][0]["hints"][0],
        "may be the live route53_record `*.example.com/TXT`, which is therefore not reported as unmanaged"
    );
    pin(&p, "installed_modules", &out, &[]);
}

/// `[terraform] data_dir` names Terraform's data directory when it is not `.terraform`.
#[test]
fn module_manifest_in_another_data_dir() {
    let p = Project::new();
    p.config("data_dir = \".tfdata\"\n")
        .snapshot(ZONE)
        .file(
            "tf/main.tf",
            "module \"records\" {\n  source    = \"terraform-aws-modules/route53/aws//modules/records\"\n  zone_name = \"example.com\"\n  records   = [{ name = \"www\", type = \"A\", ttl = 300, records = [\"192.0.2.1\", \"192.0.2.2\"] }]\n}\n",
        )
        .file(
            "tf/.tfdata/modules/modules.json",
            r#"{"Modules":[{"Key":"records","Source":"x","Dir":".tfdata/modules/records/modules/records"}]}"#,
        )
        .file("tf/.tfdata/modules/records/modules/records/main.tf", RECORDS_MODULE);
    let out = p.run(&["check", "--format", "json", "--only", "route53"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.finding_lines(),
        vec![
            "changed route53_record www.example.com/A",
            "unmanaged route53_record *.example.com/TXT",
            "unmanaged route53_record old.example.com/CNAME",
        ]
    );
}

const KEY_POLICY_JSON: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
  {"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
   "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*",
   "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}]}"#;

/// One key, many aliases: the key is one object, never an unmanaged second key — whether the
/// aliases are several `aws_kms_alias` or a module's `aliases`, and whether the code names all
/// of them. An `aws_kms_key_policy` on the module's key output replaces the module's policy.
#[test]
fn one_key_many_aliases() {
    let two_aliases = KMS_KEY_SNAPSHOT.replace(
        r#""aliases": ["alias/app", "alias/aws/ignored"]"#,
        r#""aliases": ["alias/app-old", "alias/app", "alias/aws/ignored"]"#,
    );
    let resources = r#"
resource "aws_kms_key" "app" {
  policy = file("policy.json")
}
resource "aws_kms_alias" "app" {
  name          = "alias/app"
  target_key_id = aws_kms_key.app.key_id
}
resource "aws_kms_alias" "old" {
  name          = "alias/app-old"
  target_key_id = aws_kms_key.app.key_id
}
"#;
    let module = r#"
module "kms" {
  source  = "terraform-aws-modules/kms/aws"
  aliases = ["app", "app-old"]
}
resource "aws_kms_key_policy" "app" {
  key_id = module.kms.key_id
  policy = file("policy.json")
}
"#;
    let only_old = r#"
resource "aws_kms_key" "app" {
  policy = file("policy.json")
}
resource "aws_kms_alias" "old" {
  name          = "alias/app-old"
  target_key_id = aws_kms_key.app.key_id
}
"#;
    for (what, code) in [
        ("resources", resources),
        ("module", module),
        ("one alias", only_old),
    ] {
        let p = Project::new();
        p.config("")
            .snapshot(&two_aliases)
            .file("tf/main.tf", code)
            .file("tf/policy.json", KEY_POLICY_JSON);
        let out = p.run(&["check", "--format", "json"]);
        assert_eq!(out.code, 0, "{what}: {}\n{}", out.stdout, out.stderr);
        let j = out.json();
        assert_eq!(j["summary"]["in_sync"], 1, "{what}: {}", out.stdout);
        assert_eq!(
            j["findings"].as_array().unwrap().len(),
            0,
            "{what}: {}",
            out.stdout
        );
    }
}

/// Outside the default region a key's natural id carries its region: the same alias in two
/// regions is two objects, and a difference in the west one names it `alias/app@us-west-2`.
#[test]
fn regional_ids_for_objects_outside_the_default_region() {
    let key = |id: &str, region: &str, policy: &str| {
        format!(
            r#"{{"key_id": "{id}", "arn": "arn:aws:kms:x:111122223333:key/{id}", "key_state": "Enabled",
                "aliases": ["alias/app"], "policy": {policy}{region}}}"#
        )
    };
    let changed = KEY_POLICY_JSON.replace(r#""Sid": "Use""#, r#""Sid": "UseWest""#);
    let both = format!(
        r#""kms": {{"keys": [{}, {}]}}"#,
        key("k-1", "", KEY_POLICY_JSON),
        key("k-2", r#", "region": "us-west-2""#, &changed)
    );
    let p = Project::new();
    p.config("")
        .snapshot(&both)
        .file("tf/policy.json", KEY_POLICY_JSON)
        .file(
            "tf/main.tf",
            r#"
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
resource "aws_kms_key" "home" {
  policy = file("policy.json")
}
resource "aws_kms_alias" "home" {
  name          = "alias/app"
  target_key_id = aws_kms_key.home.key_id
}
resource "aws_kms_key" "west" {
  provider = aws.west
  policy   = file("policy.json")
}
resource "aws_kms_alias" "west" {
  provider      = aws.west
  name          = "alias/app"
  target_key_id = aws_kms_key.west.key_id
}
"#,
        );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.finding_lines(),
        vec!["changed kms_key_policy alias/app@us-west-2"]
    );
    assert_eq!(out.json()["summary"]["in_sync"], 1);
}

/// Partitions follow the region: in `cn-north-1` AWS's default key policy names
/// `arn:aws-cn:iam::…:root`, and a bare account id in code means that same root.
#[test]
fn partitions_follow_the_region() {
    let root = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions",
        "Effect": "Allow", "Principal": {"AWS": "arn:aws-cn:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}"#;
    let p = Project::new();
    p.config("")
        .snapshot(&format!(
            r#""kms": {{"keys": [
              {{"key_id": "k-1", "arn": "arn:aws-cn:kms:cn-north-1:111122223333:key/k-1", "key_state": "Enabled",
                "aliases": ["alias/default"], "policy": {root}, "region": "cn-north-1"}},
              {{"key_id": "k-2", "arn": "arn:aws-cn:kms:cn-north-1:111122223333:key/k-2", "key_state": "Enabled",
                "aliases": ["alias/bare"], "policy": {root}, "region": "cn-north-1"}}]}}"#
        ))
        .file(
            "tf/main.tf",
            r#"
provider "aws" {
  alias  = "china"
  region = "cn-north-1"
}
resource "aws_kms_key" "default" {
  provider = aws.china
}
resource "aws_kms_alias" "default" {
  provider      = aws.china
  name          = "alias/default"
  target_key_id = aws_kms_key.default.key_id
}
resource "aws_kms_key" "bare" {
  provider = aws.china
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "Enable IAM User Permissions", Effect = "Allow", Principal = { AWS = "111122223333" }, Action = "kms:*", Resource = "*" }]
  })
}
resource "aws_kms_alias" "bare" {
  provider      = aws.china
  name          = "alias/bare"
  target_key_id = aws_kms_key.bare.key_id
}
"#,
        );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json()["summary"]["in_sync"], 2, "{}", out.stdout);
}

/// `data "aws_caller_identity"` gives `arn` and `user_id` as STS reported them (kept in the
/// snapshot); a snapshot without them leaves what depends on them not checked.
#[test]
fn caller_identity_arn_and_user_id_are_known() {
    let code = r#"
data "aws_caller_identity" "me" {}
resource "aws_kms_key" "app" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Root", Effect = "Allow", Principal = { AWS = data.aws_caller_identity.me.account_id }, Action = "kms:*", Resource = "*" },
      { Sid = "Use", Effect = "Allow", Principal = { AWS = data.aws_caller_identity.me.arn },
        Action = ["kms:Decrypt", "kms:Encrypt"], Resource = "*",
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } } },
    ]
  })
}
resource "aws_kms_alias" "app" {
  name          = "alias/app"
  target_key_id = aws_kms_key.app.key_id
}
"#;
    for (caller, status) in [
        (
            r#""caller_arn": "arn:aws:iam::111122223333:role/app", "caller_user_id": "AROAEXAMPLE:drift", "#,
            "in_sync",
        ),
        ("", "not_checked"),
    ] {
        let p = Project::new();
        p.config("")
            .snapshot(&format!("{caller}{KMS_KEY_SNAPSHOT}"))
            .file("tf/main.tf", code);
        let out = p.run(&["check", "--format", "json"]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        assert_eq!(out.json()["summary"][status], 1, "{status}: {}", out.stdout);
    }
}

/// Control bytes in live names and values (`ESC ] 0 ; … BEL`, a C1 CSI) never reach the
/// terminal raw: the human and Markdown reports show them escaped; JSON escapes on its own.
#[test]
fn control_bytes_from_aws_are_escaped_in_human_and_markdown() {
    let hostile = r#""route53": {"zones": [{"id": "/hostedzone/ZABC", "name": "example.com.", "private_zone": false, "records": [
      {"Name": "evil\u001b]0;pwned\u0007.example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "\"a\u009b2Jb\u001b[31m\""}]}
    ]}]}"#;
    let p = Project::new();
    p.config("").snapshot(hostile).file(
        "tf/main.tf",
        "resource \"aws_route53_zone\" \"z\" {\n  name = \"example.com\"\n}\n",
    );
    for format in ["human", "markdown"] {
        let out = p.run(&["check", "--format", format, "--color", "never"]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            !out.stdout.chars().any(|c| c.is_control() && c != '\n'),
            "{format}: {:?}",
            out.stdout
        );
        assert!(
            out.stdout.contains("\\u{1b}]0;pwned"),
            "{format}: {}",
            out.stdout
        );
        assert!(out.stdout.contains("\\u009b"), "{format}: {}", out.stdout);
    }
    let json = p.run(&["check", "--format", "json"]);
    assert!(!json.stdout.contains('\u{1b}'), "{}", json.stdout);
    assert!(
        json.json()["findings"][0]["id"]
            .as_str()
            .unwrap()
            .contains('\u{1b}')
    );
}

/// One record declared twice with different values is a conflict named with both places, and
/// a snapshot that gives one record two values disagrees with itself: neither silently
/// resolves to one of them.
#[test]
fn two_values_for_one_object_are_errors() {
    let p = Project::new();
    p.config("").snapshot(ZONE).file(
        "tf/main.tf",
        r#"
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "a" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  ttl     = 60
  records = ["192.0.2.1", "192.0.2.2"]
}
resource "aws_route53_record" "b" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  ttl     = 300
  records = ["192.0.2.1", "192.0.2.2"]
}
"#,
    );
    let out = p.run(&["check", "--format", "json", "--only", "route53"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let j = out.json();
    assert!(
        j["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("declared twice with different values: at tf/main.tf:5 and at tf/main.tf:12"),
        "{}",
        out.stdout
    );
    assert!(
        out.finding_lines()
            .contains(&"not_checked route53_record www.example.com/A".to_string())
    );

    let doubled = ZONE.replace(
        r#"{"Name": "old.example.com.""#,
        r#"{"Name": "www.example.com.", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.9"}]},
  {"Name": "old.example.com.""#,
    );
    let p = Project::new();
    p.config("").snapshot(&doubled).file(
        "tf/main.tf",
        "resource \"aws_route53_zone\" \"z\" {\n  name = \"example.com\"\n}\nresource \"aws_route53_record\" \"a\" {\n  zone_id = aws_route53_zone.z.zone_id\n  name    = \"www\"\n  type    = \"A\"\n  ttl     = 60\n  records = [\"192.0.2.1\", \"192.0.2.2\"]\n}\n",
    );
    let out = p.run(&["check", "--format", "json", "--only", "route53"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "the live state has two different values for route53_record `www.example.com/A`"
        ),
        "{}",
        out.stdout
    );
}

/// `data "aws_region"` follows its provider configuration.
#[test]
fn region_data_source_follows_its_provider() {
    let p = Project::new();
    p.config("").snapshot(ZONE).file(
        "tf/main.tf",
        r#"
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
data "aws_region" "home" {}
data "aws_region" "west" {
  provider = aws.west
}
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "old" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "old"
  type    = "CNAME"
  ttl     = 300
  records = ["${data.aws_region.home.name}-${data.aws_region.west.name}.example.com"]
}
"#,
    );
    let out = p.run(&["check", "--format", "json", "--only", "route53"]);
    let j = out.json();
    let old = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "old.example.com/CNAME")
        .unwrap();
    assert_eq!(
        old["changes"][0]["desired"],
        serde_json::json!(["eu-west-1-us-west-2.example.com"]),
        "{}",
        out.stdout
    );
}

/// terraform's graph has a node per module input and output: a module whose input reads one
/// of its own outputs (as the official acm, s3-bucket and rds-aurora examples do), and two
/// modules reading each other's outputs, evaluate — the outputs used do not depend on those
/// inputs. A real cycle is an error naming it, never a stack overflow.
#[test]
fn modules_reading_their_own_and_each_others_outputs() {
    let p = Project::new();
    p.config("")
        .snapshot(
            r#""route53": {"zones": [{"id": "/hostedzone/ZABC", "name": "example.com.", "private_zone": false, "records": [
  {"Name": "example.com.", "Type": "NS", "TTL": 172800, "ResourceRecords": [{"Value": "ns-1.awsdns-01.org."}]},
  {"Name": "api.example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "\"sg-api\""}]},
  {"Name": "a.example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "\"from-b\""}]},
  {"Name": "b.example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "\"from-a\""}]}
]}]}"#,
        )
        .file(
            "tf/main.tf",
            r#"
module "sr" {
  source              = "./sr"
  name                = "api"
  rds_security_groups = [module.sr.bosh_security_group]
}
module "a" {
  source = "./pair"
  name   = "a"
  peer   = module.b.own
}
module "b" {
  source = "./pair"
  name   = "b"
  peer   = module.a.own
}
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "sr" {
  zone_id = aws_route53_zone.z.zone_id
  name    = module.sr.record_name
  type    = "TXT"
  ttl     = 300
  records = module.sr.groups
}
resource "aws_route53_record" "pair" {
  for_each = { a = module.a, b = module.b }
  zone_id  = aws_route53_zone.z.zone_id
  name     = each.value.name
  type     = "TXT"
  ttl      = 300
  records  = [each.value.peer_value]
}
"#,
        )
        .file(
            "tf/sr/main.tf",
            r#"
variable "name" {}
variable "rds_security_groups" {
  type = list(string)
}
output "bosh_security_group" {
  value = "sg-${var.name}"
}
output "record_name" {
  value = var.name
}
output "groups" {
  value = var.rds_security_groups
}
"#,
        )
        .file(
            "tf/pair/main.tf",
            r#"
variable "name" {}
variable "peer" {}
output "name" {
  value = var.name
}
output "own" {
  value = "from-${var.name}"
}
output "peer_value" {
  value = var.peer
}
"#,
        );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json()["summary"]["in_sync"], 3, "{}", out.stdout);

    // A value that really depends on itself: terraform's cycle, drift's error — no crash.
    p.file(
        "tf/loop.tf",
        r#"
module "loop" {
  source = "./pair"
  name   = module.loop.own
  peer   = "x"
}
resource "aws_route53_record" "loop" {
  zone_id = aws_route53_zone.z.zone_id
  name    = module.loop.name
  type    = "TXT"
  ttl     = 300
  records = ["x"]
}
"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(all.contains("refers to itself"), "{all}");
    assert!(
        all.contains("Cycle: module.loop.var.name → module.loop.name → module.loop.output.own → module.loop.var.name"),
        "{all}"
    );
    assert!(!all.contains("overflow"), "{all}");
}

/// `*.tf.json` files are read as terraform reads them: a zone, records and a local declared in
/// JSON configuration are compared like any other (a record in JSON is not "unmanaged"),
/// reports point at the JSON file's lines, `--patch` says why it does not write into JSON,
/// and a JSON error names the file, line and column.
#[test]
fn json_configuration_files_are_read() {
    let p = Project::new();
    p.config("")
        .snapshot(ZONE)
        .file(
            "tf/main.tf",
            r#"
resource "aws_route53_zone" "z" {
  name = "example.com"
}
"#,
        )
        .file(
            "tf/records.tf.json",
            r#"{
  "//": "records kept in JSON by a generator",
  "locals": {"ips": ["192.0.2.1", "192.0.2.2"]},
  "resource": {
    "aws_route53_record": {
      "www": {
        "zone_id": "${aws_route53_zone.z.zone_id}",
        "name": "www",
        "type": "A",
        "ttl": 60,
        "records": "${local.ips}"
      },
      "old": {
        "zone_id": "${aws_route53_zone.z.zone_id}",
        "name": "old",
        "type": "CNAME",
        "ttl": 3600,
        "records": ["www.example.com"]
      },
      "star": {
        "zone_id": "${aws_route53_zone.z.zone_id}",
        "name": "*",
        "type": "TXT",
        "ttl": 300,
        "records": ["hello world"]
      }
    }
  }
}
"#,
        );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(
        crate::support::finding_lines(&j),
        vec!["changed route53_record old.example.com/CNAME"],
        "{}",
        out.stdout
    );
    assert_eq!(j["summary"]["in_sync"], 2, "{}", out.stdout);
    let f = &j["findings"][0];
    assert_eq!(f["source"]["file"], "tf/records.tf.json");
    assert_eq!(f["source"]["line"], 13, "{f}");

    let out = p.run(&["check", "--patch", "fix.patch"]);
    assert!(
        out.stderr.contains("JSON configuration") && out.stderr.contains("by hand"),
        "{}",
        out.stderr
    );

    p.file(
        "tf/records.tf.json",
        "{\n  \"resource\": {\n    \"aws_route53_record\": {\"x\": {\"depends_on\": [\"${nope}\"]}}\n  }\n}\n",
    );
    let out = p.run(&["check"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("tf/records.tf.json:3:1"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("must be a reference"), "{}", out.stderr);
    p.file("tf/records.tf.json", "{\n  \"locals\": {\n    \"a\": \n}\n");
    let out = p.run(&["check"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("tf/records.tf.json:4:1"),
        "{}",
        out.stderr
    );
}

/// Keys the code does not declare, for the tests below: one with an alias, one without, one
/// with two aliases.
const UNDECLARED_KEYS: &str = r#""kms": {"keys": [
  {"key_id": "1111aaaa-12ab-34cd-56ef-1234567890ab", "arn": "arn:aws:kms:eu-west-1:111122223333:key/1111aaaa-12ab-34cd-56ef-1234567890ab",
   "key_state": "Enabled", "aliases": ["alias/shared"],
   "policy": {"Version": "2012-10-17", "Statement": [
     {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}},
  {"key_id": "2222bbbb-12ab-34cd-56ef-1234567890ab", "arn": "arn:aws:kms:eu-west-1:111122223333:key/2222bbbb-12ab-34cd-56ef-1234567890ab",
   "key_state": "Enabled", "aliases": [],
   "policy": {"Version": "2012-10-17", "Statement": [
     {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
     {"Sid": "HandMade", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "kms:Decrypt", "Resource": "*"}]}},
  {"key_id": "3333cccc-12ab-34cd-56ef-1234567890ab", "arn": "arn:aws:kms:eu-west-1:111122223333:key/3333cccc-12ab-34cd-56ef-1234567890ab",
   "key_state": "Enabled", "aliases": ["alias/by-arn", "alias/moved"],
   "policy": {"Version": "2012-10-17", "Statement": [
     {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}}]}"#;

/// A key policy or alias whose key is not a key this code declares is checked against that
/// live key, found as AWS finds it: by key id, key ARN, or the alias a data source looks it up
/// by. An alias is checked for naming its key. What cannot be known is not checked, with why —
/// never left out.
#[test]
fn key_policies_and_aliases_on_undeclared_keys_are_checked_against_the_live_key() {
    let p = Project::new();
    p.config("").snapshot(UNDECLARED_KEYS).file(
        "tf/main.tf",
        r#"
resource "aws_kms_external_key" "imported" {
  description = "key material from elsewhere"
}
data "aws_kms_key" "shared" {
  key_id = "alias/shared"
}
locals {
  root = { Sid = "Root", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = "kms:*", Resource = "*" }
}
# By key id: the hand-made statement is in AWS only.
resource "aws_kms_key_policy" "literal" {
  key_id = "2222bbbb-12ab-34cd-56ef-1234567890ab"
  policy = jsonencode({ Version = "2012-10-17", Statement = [local.root] })
}
# Through a data source's alias: in sync.
resource "aws_kms_key_policy" "from_data" {
  key_id = data.aws_kms_key.shared.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [local.root] })
}
# By ARN, of a key that does not exist: missing.
resource "aws_kms_key_policy" "gone" {
  key_id = "arn:aws:kms:eu-west-1:111122223333:key/9999ffff-12ab-34cd-56ef-1234567890ab"
  policy = jsonencode({ Version = "2012-10-17", Statement = [local.root] })
}
# In an account no provider reaches, and a key not known: not checked, with why.
resource "aws_kms_key_policy" "elsewhere" {
  key_id = "arn:aws:kms:eu-west-1:444455556666:key/4444dddd-12ab-34cd-56ef-1234567890ab"
  policy = jsonencode({ Version = "2012-10-17", Statement = [local.root] })
}
resource "aws_kms_key_policy" "unknown" {
  key_id = aws_kms_external_key.imported.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [local.root] })
}
# Aliases: in sync, naming another key than AWS says, absent, and named by an alias.
resource "aws_kms_alias" "arn" {
  name          = "alias/by-arn"
  target_key_id = "arn:aws:kms:eu-west-1:111122223333:key/3333cccc-12ab-34cd-56ef-1234567890ab"
}
resource "aws_kms_alias" "moved" {
  name          = "alias/moved"
  target_key_id = "1111aaaa-12ab-34cd-56ef-1234567890ab"
}
resource "aws_kms_alias" "absent" {
  name          = "alias/absent"
  target_key_id = "1111aaaa-12ab-34cd-56ef-1234567890ab"
}
resource "aws_kms_alias" "by_alias" {
  name          = "alias/second"
  target_key_id = "alias/shared"
}
"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(
        crate::support::finding_lines(&j),
        vec![
            "changed kms_key_policy alias/moved",
            "changed kms_key_policy key/2222bbbb-12ab-34cd-56ef-1234567890ab",
            "missing kms_key_policy alias/absent",
            "missing kms_key_policy key/9999ffff-12ab-34cd-56ef-1234567890ab",
            "not_checked kms_key_policy alias/second",
            "not_checked kms_key_policy arn:aws:kms:eu-west-1:444455556666:key/4444dddd-12ab-34cd-56ef-1234567890ab",
            "not_checked kms_key_policy aws_kms_key_policy.unknown",
        ],
        "{}",
        out.stdout
    );
    // In sync: the policy found through the data source's alias, the alias by ARN.
    assert_eq!(j["summary"]["in_sync"], 2, "{}", out.stdout);
    let by_id = |id: &str| {
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("no finding {id}"))
            .clone()
    };
    let moved = by_id("alias/moved");
    assert_eq!(moved["changes"][0]["path"], "target_key_id", "{moved}");
    assert_eq!(
        moved["changes"][0]["live"],
        "key/3333cccc-12ab-34cd-56ef-1234567890ab"
    );
    let gone = by_id("key/9999ffff-12ab-34cd-56ef-1234567890ab");
    assert!(
        gone["hints"].to_string().contains("cannot create it"),
        "{gone}"
    );
    let absent = by_id("alias/absent");
    assert_eq!(absent["hints"], serde_json::json!([]), "{absent}");
    let hand = by_id("key/2222bbbb-12ab-34cd-56ef-1234567890ab");
    assert!(hand["changes"].to_string().contains("HandMade"), "{hand}");
    let reason = |id: &str| by_id(id)["reason"].as_str().unwrap_or_default().to_string();
    assert!(reason("alias/second").contains("AWS CreateAlias"));
    assert!(
        reason("arn:aws:kms:eu-west-1:444455556666:key/4444dddd-12ab-34cd-56ef-1234567890ab")
            .contains("no provider configuration")
    );
    assert!(
        reason("aws_kms_key_policy.unknown").contains("aws_kms_external_key.imported.id"),
        "{}",
        reason("aws_kms_key_policy.unknown")
    );
    for f in j["findings"].as_array().unwrap() {
        assert_eq!(f["source"]["file"], "tf/main.tf", "{f}");
    }

    // The hand-made statement goes into the `aws_kms_key_policy` that names the key by id; an
    // alias naming another key is a decision, not a copy.
    let out = p.run(&["check", "--patch", "fix.patch"]);
    assert!(
        out.stderr.contains("alias/moved") && out.stderr.contains("does not write it back"),
        "{}",
        out.stderr
    );
    let patch = std::fs::read_to_string(p.path().join("fix.patch")).unwrap_or_default();
    assert!(
        patch.contains("HandMade") && patch.contains("tf/main.tf"),
        "{patch}\n{}",
        out.stderr
    );

    // A policy that is not JSON costs that object, with where; the others are still compared.
    p.file(
        "tf/bad.tf",
        "resource \"aws_kms_key_policy\" \"bad\" {\n  key_id = \"1111aaaa-12ab-34cd-56ef-1234567890ab\"\n  policy = \"{ not json\"\n}\n",
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    let lines = crate::support::finding_lines(&j);
    assert!(
        lines.contains(
            &"not_checked kms_key_policy key/1111aaaa-12ab-34cd-56ef-1234567890ab".to_string()
        ),
        "{lines:?}"
    );
    assert!(
        j["errors"].to_string().contains("tf/bad.tf:1"),
        "{}",
        j["errors"]
    );
    assert_eq!(lines.len(), 8, "{lines:?}");
}

/// A key without an alias in code, and an alias named with `name_prefix`, are identified
/// through what the Terraform state records (the key id, the name AWS chose); without a state
/// they are not checked, with why.
#[test]
fn keys_without_aliases_are_identified_through_the_state() {
    let p = Project::new();
    p.config("").snapshot(UNDECLARED_KEYS).file(
        "tf/main.tf",
        r#"
resource "aws_kms_key" "noalias" {
  description = "no alias"
}
resource "aws_kms_key" "prefixed" {
  description = "named by prefix"
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Sid = "Root", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = "kms:*", Resource = "*" }
  ] })
}
resource "aws_kms_alias" "prefixed" {
  name_prefix   = "alias/by-"
  target_key_id = aws_kms_key.prefixed.key_id
}
"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(
        crate::support::finding_lines(&j),
        vec![
            "not_checked kms_key_policy aws_kms_key.noalias",
            "not_checked kms_key_policy aws_kms_key.prefixed",
        ],
        "{}",
        out.stdout
    );
    for f in j["findings"].as_array().unwrap() {
        assert!(
            f["reason"]
                .as_str()
                .unwrap()
                .contains("no Terraform state records its key id"),
            "{f}"
        );
    }
    let state = serde_json::json!({
        "version": 4, "terraform_version": "1.11.4", "serial": 3, "lineage": "l",
        "outputs": {},
        "resources": [
            {"mode": "managed", "type": "aws_kms_key", "name": "noalias", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"schema_version": 0, "attributes": {
                "key_id": "2222bbbb-12ab-34cd-56ef-1234567890ab",
                "arn": "arn:aws:kms:eu-west-1:111122223333:key/2222bbbb-12ab-34cd-56ef-1234567890ab",
                "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Root\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}"}}]},
            {"mode": "managed", "type": "aws_kms_key", "name": "prefixed", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"schema_version": 0, "attributes": {
                "key_id": "3333cccc-12ab-34cd-56ef-1234567890ab",
                "arn": "arn:aws:kms:eu-west-1:111122223333:key/3333cccc-12ab-34cd-56ef-1234567890ab"}}]},
            {"mode": "managed", "type": "aws_kms_alias", "name": "prefixed", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"schema_version": 0, "attributes": {
                "name": "alias/by-arn", "name_prefix": "alias/by-",
                "target_key_id": "3333cccc-12ab-34cd-56ef-1234567890ab"}}]}
        ]
    });
    p.file("terraform.tfstate", &state.to_string());
    let out = p.run(&["check", "--state", "terraform.tfstate", "--format", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    // The key without an alias has AWS's default policy in code; AWS has a hand-made
    // statement more. The prefixed alias's key is in sync.
    assert_eq!(
        crate::support::finding_lines(&j),
        vec!["changed kms_key_policy key/2222bbbb-12ab-34cd-56ef-1234567890ab"],
        "{}",
        out.stdout
    );
    assert_eq!(j["summary"]["in_sync"], 1, "{}", out.stdout);
    assert!(j["findings"][0]["changes"].to_string().contains("HandMade"));
}

/// A variable whose `validation` fails is what terraform refuses to plan with: the objects
/// that use it are not checked, with the rule's message, and the run is an error; the others
/// are compared as usual.
#[test]
fn a_failing_variable_validation_costs_the_objects_that_use_it() {
    let p = Project::new();
    p.config("[terraform.vars]\nttl = 5\n").snapshot(ZONE).file(
        "tf/main.tf",
        r#"
variable "ttl" {
  type = number
  validation {
    condition     = var.ttl >= 60
    error_message = "ttl must be at least 60 seconds."
  }
}
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  ttl     = var.ttl
  records = ["192.0.2.1", "192.0.2.2"]
}
resource "aws_route53_record" "old" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "old"
  type    = "CNAME"
  ttl     = 300
  records = ["www.example.com"]
}
"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let j = out.json();
    let www = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "not_checked")
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(
        www["reason"]
            .as_str()
            .unwrap()
            .contains("invalid value for variable `ttl`: ttl must be at least 60 seconds."),
        "{www}"
    );
    assert_eq!(j["summary"]["in_sync"], 1, "{}", out.stdout);
}

/// Override files are merged as terraform merges them: an argument in `override.tf` replaces
/// the base's, so the record is compared with the overridden value; `--patch` leaves a
/// declaration an override changes to the override (and says so).
#[test]
fn override_files_are_merged_as_terraform_merges_them() {
    let p = Project::new();
    p.config("")
        .snapshot(ZONE)
        .file(
            "tf/main.tf",
            r#"
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "old" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "old"
  type    = "CNAME"
  ttl     = 3600
  records = ["www.example.com"]
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  ttl     = 30
  records = ["192.0.2.1", "192.0.2.2"]
}
"#,
        )
        .file(
            "tf/override.tf",
            "resource \"aws_route53_record\" \"old\" {\n  ttl = 300\n}\n",
        )
        .file(
            "tf/www_override.tf",
            "resource \"aws_route53_record\" \"www\" {\n  ttl = 90\n}\n",
        );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(
        crate::support::finding_lines(&j),
        vec![
            "changed route53_record www.example.com/A",
            "unmanaged route53_record *.example.com/TXT"
        ],
        "{}",
        out.stdout
    );
    let www = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "changed")
        .unwrap();
    assert_eq!(www["changes"][0]["desired"], 90, "{}", out.stdout);
    let out = p.run(&["check", "--patch", "fix.patch"]);
    assert!(
        out.stderr
            .contains("an override file changes its declaration at tf/main.tf:12"),
        "{}",
        out.stderr
    );

    // An override of nothing: terraform's error, at the override.
    p.file(
        "tf/override.tf",
        "resource \"aws_route53_record\" \"nope\" {\n  ttl = 300\n}\n",
    );
    let out = p.run(&["check"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("tf/override.tf:1:1: missing base resource `aws_route53_record.nope`"),
        "{}",
        out.stderr
    );
}

/// A record with two `alias` blocks is one terraform refuses to plan: it is not checked, with
/// why, and the run is an error; never compared through its first block alone.
#[test]
fn a_record_with_two_alias_blocks_is_an_error_for_that_record() {
    let p = Project::new();
    p.config("").snapshot(ZONE).file(
        "tf/main.tf",
        r#"
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  alias {
    name                   = "a.example.net"
    zone_id                = "Z1"
    evaluate_target_health = false
  }
  alias {
    name                   = "b.example.net"
    zone_id                = "Z2"
    evaluate_target_health = false
  }
}
"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let j = out.json();
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "www.example.com/A")
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert_eq!(f["status"], "not_checked");
    assert!(
        f["reason"]
            .as_str()
            .unwrap()
            .contains("too many `alias` blocks (2)"),
        "{f}"
    );
}

/// A resource `precondition` that is known and false: terraform refuses to plan, so drift
/// cannot say what that declaration wants. It costs that declaration (reported with the
/// precondition's message and place), never the run; a true precondition changes nothing.
#[test]
fn a_failed_precondition_costs_its_declaration_only() {
    let p = Project::new();
    p.config("").snapshot(ZONE).file(
        "tf/main.tf",
        r#"
variable "ttl" {
  default = 30
}
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  ttl     = var.ttl
  records = ["192.0.2.1", "192.0.2.2"]
  lifecycle {
    precondition {
      condition     = var.ttl >= 60
      error_message = "TTL below 60 s is not allowed here."
    }
  }
}
resource "aws_route53_record" "old" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "old"
  type    = "CNAME"
  ttl     = 300
  records = ["www.example.com"]
  lifecycle {
    precondition {
      condition     = var.ttl > 0
      error_message = "positive."
    }
    # On what AWS computes: unknown at plan, so it cannot fail here.
    postcondition {
      condition     = self.fqdn == "nothing"
      error_message = "computed: never known at plan."
    }
  }
}
"#,
    );
    let out = p.run(&["check", "--format", "json", "--only", "route53"]);
    // The failed precondition is an error of the code: exit 1, with what could be read.
    assert_eq!(out.code, 1, "{}", out.stdout);
    let j = out.json();
    let text = serde_json::to_string(&j).unwrap();
    assert!(
        text.contains(
            "precondition of `aws_route53_record.www` failed: TTL below 60 s is not allowed here."
        ),
        "{}",
        out.stdout
    );
    assert!(text.contains("tf/main.tf:15:5"), "{}", out.stdout);
    let lines = crate::support::finding_lines(&j);
    // The record whose precondition holds is checked (in sync); the other is not compared.
    assert!(
        !lines.iter().any(|l| l.contains("old.example.com")),
        "{lines:?}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("www.example.com/A") && !l.starts_with("not_checked")),
        "{lines:?}"
    );
    assert_eq!(j["summary"]["in_sync"], 1, "{}", out.stdout);
}

/// A root given as `.` (drift run inside a module's `examples/complete`, as every official
/// module lays out its examples) whose module call goes two levels up (`../../`): the path
/// keeps both `..` (it lost one before, so the module "could not be read").
#[test]
fn a_root_of_dot_reads_a_module_two_levels_up() {
    let p = Project::new();
    p.file(
        "main.tf",
        r#"
variable "zone_id" {}
resource "aws_route53_record" "www" {
  zone_id = var.zone_id
  name    = "www"
  type    = "A"
  ttl     = 60
  records = ["192.0.2.1", "192.0.2.2"]
}
"#,
    )
    .file(
        "examples/complete/main.tf",
        r#"
resource "aws_route53_zone" "z" {
  name = "example.com"
}
module "records" {
  source  = "../../"
  zone_id = aws_route53_zone.z.zone_id
}
"#,
    )
    .file(
        "examples/complete/drift.toml",
        "live = \"live.json\"\n[terraform]\nroots = [\".\"]\n",
    );
    p.snapshot(ZONE);
    std::fs::rename(
        p.path().join("live.json"),
        p.path().join("examples/complete/live.json"),
    )
    .expect("move snapshot");
    let out = crate::support::run_in(
        &p.path().join("examples/complete"),
        &["check", "--format", "json", "--only", "route53"],
    );
    let j = out.json();
    assert_eq!(j["summary"]["in_sync"], 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        crate::support::finding_lines(&j)
            .iter()
            .all(|l| !l.contains("www.example.com")),
        "{}",
        out.stdout
    );
}

/// What real modules do, in small (found by `scripts/module-sweep`): a resource chosen by a
/// conditional keeps what AWS computes (cloudposse/cloudfront-s3-cdn reads
/// `local.origin_bucket.website_endpoint` of `cond ? aws_s3_bucket.origin[0] : null`); an
/// attribute the code leaves null is computed (an `aws_db_subnet_group`'s `name`, joined by
/// cloudposse/rds-cluster): both are unknown, so what uses them is not checked — never an
/// error.
#[test]
fn computed_attributes_through_conditionals_and_nulls_are_unknown_not_errors() {
    let p = Project::new();
    p.config("").snapshot(ZONE).file(
        "tf/main.tf",
        r#"
variable "on" {
  default = true
}
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_s3_bucket" "origin" {
  count  = var.on ? 1 : 0
  bucket = "site"
}
resource "aws_db_subnet_group" "g" {
  name       = null
  subnet_ids = ["a"]
}
locals {
  options = {
    new      = var.on ? aws_s3_bucket.origin[0] : null
    disabled = { website_endpoint = "" }
  }
  bucket = local.options[var.on ? "new" : "disabled"]
}
resource "aws_route53_record" "site" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "site"
  type    = "CNAME"
  ttl     = 300
  records = [local.bucket.website_endpoint]
}
resource "aws_route53_record" "db" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "db"
  type    = "TXT"
  ttl     = 300
  records = [join("", aws_db_subnet_group.g[*].name)]
}
"#,
    );
    let out = p.run(&["check", "--format", "json", "--only", "route53"]);
    let j = out.json();
    assert!(
        j["errors"].as_array().is_none_or(|e| e.is_empty()),
        "{}",
        out.stdout
    );
    let lines = crate::support::finding_lines(&j);
    assert!(
        lines.contains(&"not_checked route53_record site.example.com/CNAME".to_string())
            && lines.contains(&"not_checked route53_record db.example.com/TXT".to_string()),
        "{lines:?}"
    );
}

/// A `check` block's failed assertion is a warning, as in terraform: in every format, with
/// its place, never drift and never an error (the exit status stays 0). One that reads a data
/// source scoped to the check, which drift does not read, says nothing. The message is the
/// code's text: it cannot start a CI command or carry a sensitive value out.
#[test]
fn failed_check_assertions_are_warnings_in_every_format() {
    let p = Project::new();
    p.config("").snapshot(ZONE).file(
        "tf/main.tf",
        r#"
variable "token" {
  default   = "s3cr3t-t0ken-value"
  sensitive = true
}
locals {
  n = 3
}
check "enough" {
  assert {
    condition     = local.n > 5
    error_message = "n is ${local.n}, below 6.\n::stop-commands::pwned <script>x</script>"
  }
  assert {
    condition     = local.n > 1
    error_message = "never shown"
  }
}
check "secret" {
  assert {
    condition     = length(var.token) > 100
    error_message = "token ${var.token} is short"
  }
}
check "scoped" {
  data "http" "site" {
    url = "https://example.com"
  }
  assert {
    condition     = data.http.site.status_code == 200
    error_message = "site down"
  }
}
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www"
  type    = "A"
  ttl     = 60
  records = ["192.0.2.1", "192.0.2.2"]
}
"#,
    );
    let args = ["check", "--only", "route53", "--fail-on", "changed,missing"];
    let json = p.run(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(json.code, 0, "{}\n{}", json.stdout, json.stderr);
    let j = json.json();
    let warnings = j["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 2, "{}", json.stdout);
    assert_eq!(warnings[0]["source"], "terraform check");
    let first = warnings[0]["message"].as_str().unwrap();
    assert!(
        first.starts_with("tf/main.tf:10:3: check `enough` failed: n is 3, below 6."),
        "{first}"
    );
    let second = warnings[1]["message"].as_str().unwrap();
    assert!(second.contains("check `secret` failed"), "{second}");
    assert!(
        !json.stdout.contains("s3cr3t-t0ken-value"),
        "{}",
        json.stdout
    );
    assert!(!json.stdout.contains("never shown") && !json.stdout.contains("site down"));
    assert_eq!(j["summary"]["errors"], 0);
    // Pinned (and so validated against docs/report.schema.json by the schema test).
    pin(
        &p,
        "check_warnings",
        &json,
        &["--only", "route53", "--fail-on", "changed,missing"],
    );

    let human = p.run(&args);
    assert_eq!(human.code, 0, "{}", human.stdout);
    assert!(
        human
            .stdout
            .contains("warning: terraform check: tf/main.tf:10:3: check `enough` failed"),
        "{}",
        human.stdout
    );
    for out in [&human.stdout, &human.stderr] {
        assert!(!out.lines().any(|l| l.starts_with("::")), "{out}");
        assert!(!out.contains("s3cr3t-t0ken-value"), "{out}");
    }

    let gh = p.run(&[&args[..], &["--format", "github"]].concat());
    assert!(
        gh.stdout
            .lines()
            .any(|l| l.starts_with("::warning title=drift%3A terraform check::")),
        "{}",
        gh.stdout
    );
    assert!(
        gh.stdout
            .lines()
            .filter(|l| l.starts_with("::"))
            .all(|l| l.starts_with("::warning")
                || l.starts_with("::notice")
                || l.starts_with("::error")),
        "{}",
        gh.stdout
    );
    assert!(!gh.stdout.contains("s3cr3t-t0ken-value"));

    let md = p.run(&[&args[..], &["--format", "markdown"]].concat());
    assert!(md.stdout.contains("## Warnings"), "{}", md.stdout);
    assert!(!md.stdout.contains("s3cr3t-t0ken-value"));
    let html = {
        let mut s = String::new();
        pulldown_cmark::html::push_html(&mut s, pulldown_cmark::Parser::new(&md.stdout));
        s
    };
    assert!(!html.contains("<script>"), "{html}");
}
