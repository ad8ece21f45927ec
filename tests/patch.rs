//! `drift check --patch`: the patch applies with `git apply`, and after it the covered
//! findings are gone and no new ones appear (convergence). Where `terraform` exists, every
//! patched file passes `terraform fmt -check`.

use crate::support::{Project, drift_command, seed_copy};
use std::path::Path;
use std::process::Command;

fn git_apply(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .arg("apply")
        .args(args)
        .arg("drift.patch")
        .current_dir(dir)
        .output()
        .expect("git apply")
}

/// `terraform fmt -check` on the patched files, where terraform is installed.
fn fmt_oracle(dir: &Path, patch: &str) {
    let files: Vec<&str> = patch
        .lines()
        .filter_map(|l| l.strip_prefix("+++ b/"))
        // Only Terraform files: a patch also edits YAML (the checklist's CI list).
        .filter(|f| f.ends_with(".tf"))
        .collect();
    let Ok(version) = Command::new("terraform").arg("version").output() else {
        println!("terraform is not installed here: skipped the `terraform fmt -check` oracle");
        return;
    };
    assert!(version.status.success());
    for f in files {
        let out = Command::new("terraform")
            .args(["fmt", "-check", "-diff", f])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "terraform fmt -check {f}:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// Runs check with --patch, applies the patch, checks again: returns (patch, stderr of the
/// first run, findings after).
fn converge(p: &Project) -> (String, String, Vec<String>) {
    let first = p.run(&["check", "--format", "json", "--patch", "drift.patch"]);
    assert!(
        first.code == 2,
        "stdout: {}\nstderr: {}",
        first.stdout,
        first.stderr
    );
    let patch = std::fs::read_to_string(p.path().join("drift.patch")).unwrap();
    let applied = git_apply(p.path(), &[]);
    assert!(
        applied.status.success(),
        "git apply: {}\n{patch}",
        String::from_utf8_lossy(&applied.stderr)
    );
    fmt_oracle(p.path(), &patch);
    let after = p.run(&["check", "--format", "json"]);
    (patch, first.stderr, after.finding_lines())
}

#[test]
fn seed_patch_converges_to_only_the_missing_database() {
    let p = seed_copy();
    let (patch, stderr, after) = converge(&p);
    // What no patch fixes: the database, and ops-service's secret, values file and Application
    // (its CI entry is written by the patch).
    assert_eq!(
        after,
        vec![
            "missing postgres_database wealist-prod/ops_db",
            "missing service_checklist ops-service/argocd_app",
            "missing service_checklist ops-service/helm_values",
            "missing service_checklist ops-service/secret",
        ]
    );
    assert!(stderr.contains("CREATE DATABASE \"ops_db\""), "{stderr}");
    insta::assert_snapshot!("seed_patch", patch);
}

#[test]
fn seed_patch_applies_with_patch_p1() {
    let p = seed_copy();
    p.run(&["check", "--patch", "drift.patch"]);
    let out = Command::new("patch")
        .args(["-p1", "--dry-run", "-i", "drift.patch"])
        .current_dir(p.path())
        .output();
    match out {
        Ok(o) => assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout)),
        Err(_) => println!("`patch` is not installed here: checked with git apply only"),
    }
}

#[test]
fn patch_refuses_a_target_that_changed_since_the_check() {
    let p = seed_copy();
    p.run(&["check", "--patch", "drift.patch"]);
    // Someone edits the lines the patch's context covers.
    let kms = p.path().join("desired/terraform/prod/foundation/kms.tf");
    let text = std::fs::read_to_string(&kms).unwrap();
    std::fs::write(
        &kms,
        text.replace(
            "values   = [local.account_id]",
            "values   = [\"111122223333\"]",
        ),
    )
    .unwrap();
    let out = git_apply(p.path(), &["--check"]);
    assert!(
        !out.status.success(),
        "the patch must not apply to changed lines"
    );
}

const KEY_LIVE: &str = r#""kms": {"keys": [{"key_id": "k-1", "arn": "arn:aws:kms:eu-west-1:111122223333:key/k-1",
  "key_state": "Enabled", "aliases": ["alias/app"],
  "policy": {"Version": "2012-10-17", "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
     "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"},
    {"Sid": "New", "Effect": "Allow", "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
     "Action": "kms:Encrypt*", "Resource": "*",
     "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:111122223333:*"}}}]}}]}"#;

const ALIAS: &str = r#"
resource "aws_kms_alias" "app" {
  name          = "alias/app"
  target_key_id = aws_kms_key.app.key_id
}
"#;

#[test]
fn jsonencode_policy_statements_added_changed_removed() {
    let p = Project::new();
    p.config("").snapshot(KEY_LIVE).file(
        "tf/main.tf",
        &format!(
            r#"data "aws_caller_identity" "current" {{}}

# The application key.
resource "aws_kms_key" "app" {{
  description = "app"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid       = "Root"
        Effect    = "Allow"
        Principal = {{ AWS = "arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:root" }}
        Action    = "kms:*"
        Resource  = "*"
      }},
      {{
        Sid       = "Old"
        Effect    = "Allow"
        Principal = {{ AWS = "*" }}
        Action    = "kms:DescribeKey"
        Resource  = "*"
      }},
      {{
        Sid       = "Use"
        Effect    = "Allow"
        Principal = {{ AWS = "arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:role/app" }}
        Action    = ["kms:Decrypt"]
        Resource  = "*"
      }},
    ]
  }})
}}
{ALIAS}"#
        ),
    );
    let (patch, _, after) = converge(&p);
    assert_eq!(after, Vec::<String>::new(), "{patch}");
    // Untouched statements keep their interpolations.
    assert!(!patch.contains("-        Principal = { AWS = \"arn:aws:iam::${data.aws_caller_identity.current.account_id}:root\" }"));
    let text = std::fs::read_to_string(p.path().join("tf/main.tf")).unwrap();
    assert!(text.contains("# The application key."));
    assert!(
        text.contains("${data.aws_caller_identity.current.account_id}:role/app"),
        "{text}"
    );
    insta::assert_snapshot!("jsonencode_patch", patch);
}

#[test]
fn json_heredoc_policy_statement_added_and_changed() {
    let p = Project::new();
    p.config("").snapshot(KEY_LIVE).file(
        "tf/main.tf",
        &format!(
            r#"resource "aws_kms_key" "app" {{
  policy = <<-EOF
    {{
      "Version": "2012-10-17",
      "Statement": [
        {{"Sid": "Root", "Effect": "Allow", "Principal": {{"AWS": "111122223333"}}, "Action": "kms:*", "Resource": "*"}},
        {{
          "Sid": "Use",
          "Effect": "Allow",
          "Principal": {{"AWS": "arn:aws:iam::111122223333:role/app"}},
          "Action": "kms:Decrypt",
          "Resource": "*"
        }}
      ]
    }}
  EOF
}}
{ALIAS}"#
        ),
    );
    let (patch, _, after) = converge(&p);
    assert_eq!(after, Vec::<String>::new(), "{patch}");
    // The untouched statement keeps its form (a bare account id).
    let text = std::fs::read_to_string(p.path().join("tf/main.tf")).unwrap();
    assert!(
        text.contains(r#"{"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "111122223333"}"#),
        "{text}"
    );
    insta::assert_snapshot!("heredoc_patch", patch);
}

#[test]
fn policy_document_statement_blocks() {
    let p = Project::new();
    p.config("").snapshot(KEY_LIVE).file(
        "tf/main.tf",
        &format!(
            r#"variable "app_role" {{
  default = "arn:aws:iam::111122223333:role/app"
}}

data "aws_iam_policy_document" "key" {{
  statement {{
    sid       = "Root"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {{
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:root"]
    }}
  }}

  statement {{
    sid       = "Gone"
    actions   = ["kms:Get*"]
    resources = ["*"]

    principals {{
      type        = "AWS"
      identifiers = ["*"]
    }}
  }}

  statement {{
    sid       = "Use"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    principals {{
      type        = "AWS"
      identifiers = [var.app_role]
    }}
  }}
}}

resource "aws_kms_key" "app" {{}}

resource "aws_kms_key_policy" "app" {{
  key_id = aws_kms_key.app.id
  policy = data.aws_iam_policy_document.key.json
}}
{ALIAS}"#
        ),
    );
    let (patch, _, after) = converge(&p);
    assert_eq!(after, Vec::<String>::new(), "{patch}");
    // The changed statement names the role by the variable that holds it.
    assert!(patch.contains("identifiers = [var.app_role]"), "{patch}");
    insta::assert_snapshot!("policy_document_patch", patch);
}

#[test]
fn route53_changed_and_unmanaged_records() {
    let p = Project::new();
    p.config("")
        .snapshot(
            r#""route53": {"zones": [{"id": "/hostedzone/ZONE1", "name": "example.com.", "private_zone": false, "records": [
  {"Name": "example.com.", "Type": "NS", "TTL": 172800, "ResourceRecords": [{"Value": "ns-1.awsdns-01.org."}]},
  {"Name": "www.example.com.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}, {"Value": "192.0.2.3"}]},
  {"Name": "api.example.com.", "Type": "A", "AliasTarget": {"HostedZoneId": "Z32O12XQLNTSW2", "DNSName": "new-lb.eu-west-1.elb.amazonaws.com.", "EvaluateTargetHealth": true}},
  {"Name": "\\052.example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "\"v=spf1 -all\""}]}
]}]}"#,
        )
        .file(
            "tf/main.tf",
            r#"variable "domain" {
  default = "example.com"
}

resource "aws_route53_zone" "main" {
  name = var.domain
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "www"
  type    = "A"
  ttl     = 300 # five minutes
  records = ["192.0.2.1", "192.0.2.2"]
}

resource "aws_route53_record" "api" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "api"
  type    = "A"

  alias {
    name                   = "old-lb.eu-west-1.elb.amazonaws.com"
    zone_id                = "Z32O12XQLNTSW2"
    evaluate_target_health = false
  }
}
"#,
        );
    let (patch, _, after) = converge(&p);
    assert_eq!(after, Vec::<String>::new(), "{patch}");
    assert!(
        patch.contains("id = \"ZONE1_*.example.com_TXT\""),
        "{patch}"
    );
    let text = std::fs::read_to_string(p.path().join("tf/main.tf")).unwrap();
    assert!(
        text.contains("ttl     = 60 # five minutes"),
        "comments stay: {text}"
    );
    insta::assert_snapshot!("route53_patch", patch);
}

#[test]
fn a_policy_form_drift_cannot_edit_is_named_with_its_place() {
    let p = Project::new();
    p.config("").snapshot(KEY_LIVE).file(
        "tf/main.tf",
        &format!(
            r#"locals {{
  policy = jsonencode({{ Version = "2012-10-17", Statement = [] }})
}}

resource "aws_kms_key" "app" {{
  policy = local.policy
}}
{ALIAS}"#
        ),
    );
    let out = p.run(&["check", "--patch", "drift.patch"]);
    assert_eq!(out.code, 2, "the exit status is the check's");
    assert!(
        out.stderr.contains("not in the patch: kms_key_policy \"alias/app\": the policy at tf/main.tf:6 is written as `local.policy`"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(p.path().join("drift.patch")).unwrap(),
        ""
    );
}

/// The strongest oracle where Terraform and the AWS provider are on the machine: after the
/// patch, `terraform plan` against the same (moto) account imports the hand-made records and
/// neither creates, changes nor replaces any of them.
#[test]
fn terraform_plan_adopts_the_written_records() {
    let mirror = Path::new("/opt/tf-plugins");
    let has_terraform = Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_terraform || !mirror.is_dir() {
        println!(
            "terraform or its provider mirror (/opt/tf-plugins) is missing: skipped the plan oracle"
        );
        return;
    }
    let moto = crate::harness::Moto::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let zone_id = rt.block_on(async {
        use aws_sdk_route53::types::*;
        let r53 = aws_sdk_route53::Client::new(&moto.sdk().await);
        let zone = r53
            .create_hosted_zone()
            .name("adopt.example")
            .caller_reference("adopt")
            .hosted_zone_config(
                HostedZoneConfig::builder()
                    .comment("Managed by Terraform")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let id = zone
            .hosted_zone()
            .unwrap()
            .id()
            .trim_start_matches("/hostedzone/")
            .to_string();
        let www = crate::harness::record("www.adopt.example", RrType::A, 300, &["192.0.2.1"]);
        let cdn = ResourceRecordSet::builder()
            .name("cdn.adopt.example")
            .r#type(RrType::A)
            .alias_target(
                AliasTarget::builder()
                    .hosted_zone_id("Z2FDTNDATAQYW2")
                    .dns_name("d111.cloudfront.net")
                    .evaluate_target_health(false)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        crate::harness::create_records(&r53, &id, vec![www, cdn]).await;
        id
    });
    let p = Project::new();
    p.aws_config("us-east-1").file(
        "tf/main.tf",
        &format!(
            r#"provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true

  endpoints {{
    route53 = "{endpoint}"
    sts     = "{endpoint}"
  }}
}}

resource "aws_route53_zone" "main" {{
  name = "adopt.example"
}}

import {{
  to = aws_route53_zone.main
  id = "{zone_id}"
}}
"#,
            endpoint = moto.endpoint
        ),
    )
    .file(
        "tfrc",
        "provider_installation {\n  filesystem_mirror {\n    path = \"/opt/tf-plugins\"\n  }\n}\n",
    );
    let mut cmd = crate::support::drift_command(p.path());
    for (k, v) in moto.env() {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["check", "--patch", "drift.patch"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(git_apply(p.path(), &[]).status.success());
    let tf = |args: &[&str]| {
        Command::new("terraform")
            .args(args)
            .current_dir(p.path().join("tf"))
            .env("TF_CLI_CONFIG_FILE", p.path().join("tfrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .output()
            .unwrap()
    };
    let init = tf(&["init", "-input=false", "-no-color"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let plan = tf(&["plan", "-input=false", "-no-color"]);
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(
        plan.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    for r in ["www", "cdn"] {
        assert!(
            text.contains(&format!("# aws_route53_record.{r} will be imported")),
            "{text}"
        );
        for bad in [
            "will be created",
            "will be updated",
            "must be replaced",
            "will be destroyed",
        ] {
            assert!(
                !text.contains(&format!("aws_route53_record.{r} {bad}")),
                "{text}"
            );
        }
    }
    assert!(text.contains("Plan: 3 to import, 0 to add,"), "{text}");
}

#[test]
fn a_patch_that_cannot_be_written_is_an_error_after_the_report() {
    let p = seed_copy();
    let out = p.run(&[
        "check",
        "--format",
        "json",
        "--patch",
        "no/such/dir/drift.patch",
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(out.finding_lines().len(), 8, "the report is still printed");
    assert!(
        out.stderr
            .contains("cannot write `no/such/dir/drift.patch`"),
        "{}",
        out.stderr
    );
}

/// A KMS module call with `key_service_roles_for_autoscaling`: the module makes the two
/// `KeyServiceRolesASG…` statements itself, so only the statement added by hand in AWS goes
/// into `key_statements`, and the patched code converges.
#[test]
fn module_patch_writes_nothing_the_module_makes() {
    let role = "arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling";
    let live_policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Default", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
         "Principal": {"AWS": "arn:aws:iam::111122223333:root"}},
        {"Sid": "KeyServiceRolesASG", "Effect": "Allow", "Resource": "*", "Principal": {"AWS": role},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]},
        {"Sid": "KeyServiceRolesASGPersistentVol", "Effect": "Allow", "Resource": "*",
         "Principal": {"AWS": role}, "Action": "kms:CreateGrant",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        {"Sid": "AllowLogs", "Effect": "Allow", "Resource": "*",
         "Principal": {"Service": "logs.amazonaws.com"}, "Action": "kms:Decrypt"}
    ]});
    let p = Project::new();
    p.config("")
        .snapshot(&format!(
            r#""kms": {{"keys": [{{"key_id": "k-1", "arn": "arn:aws:kms:eu-west-1:111122223333:key/k-1",
              "key_state": "Enabled", "aliases": ["alias/ebs"], "policy": {live_policy}}}]}}"#
        ))
        .file(
            "tf/main.tf",
            &format!(
                "module \"ebs\" {{\n  source  = \"terraform-aws-modules/kms/aws\"\n  version = \"~> 4.0\"\n  aliases = [\"ebs\"]\n\n  key_service_roles_for_autoscaling = [\"{role}\"]\n}}\n"
            ),
        );
    let first = p.run(&["check", "--format", "json"]);
    let j = first.json();
    assert_eq!(
        j["findings"][0]["changes"].as_array().unwrap().len(),
        1,
        "{}",
        first.stdout
    );
    assert_eq!(
        j["findings"][0]["changes"][0]["path"],
        "Statement[AllowLogs]"
    );
    let (patch, _, after) = converge(&p);
    assert!(!patch.contains("KeyServiceRolesASG"), "{patch}");
    assert!(patch.contains("AllowLogs"), "{patch}");
    assert!(after.is_empty(), "{after:?}\n{patch}");
}

/// A root that resolves outside the working directory (`sub/../../ext/tf`) makes `--patch`
/// refuse with a clear error: a patch never names a file elsewhere.
#[test]
fn patch_refuses_paths_outside_the_working_directory() {
    let p = Project::new();
    let ext = tempfile::tempdir().unwrap();
    let ext_name = ext
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    std::fs::create_dir_all(ext.path().join("tf")).unwrap();
    std::fs::write(
        ext.path().join("tf/main.tf"),
        "resource \"aws_kms_key\" \"k\" {\n  policy = jsonencode({\n    Version   = \"2012-10-17\"\n    Statement = [{ Sid = \"A\", Effect = \"Allow\", Principal = { AWS = \"111122223333\" }, Action = \"kms:*\", Resource = \"*\" }]\n  })\n}\nresource \"aws_kms_alias\" \"k\" {\n  name          = \"alias/k\"\n  target_key_id = aws_kms_key.k.key_id\n}\n",
    )
    .unwrap();
    p.file(
        "drift.toml",
        &format!("live = \"live.json\"\n[terraform]\nroots = [\"sub/../../{ext_name}/tf\"]\n"),
    )
    .file("sub/.keep", "")
    .snapshot(
        r#""kms": {"keys": [{"key_id": "k-1", "arn": "arn:aws:kms:eu-west-1:111122223333:key/k-1", "key_state": "Enabled",
            "aliases": ["alias/k"], "policy": {"Version": "2012-10-17", "Statement": [
              {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
              {"Sid": "B", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:Decrypt", "Resource": "*"}]}}]}"#,
    );
    let out = p.run(&["check", "--patch", "drift.patch"]);
    let patch = std::fs::read_to_string(p.path().join("drift.patch")).unwrap_or_default();
    assert!(!patch.contains(&ext_name), "{patch}");
    assert!(
        out.stderr.contains("outside the working directory"),
        "{}\n{patch}",
        out.stderr
    );
}

/// A write that fails half way (here the file-size limit, as a full disk would) leaves the old
/// file whole, names the path, exits 1 and leaves no temporary file behind.
#[test]
fn a_failed_write_leaves_the_old_file_intact() {
    use std::os::unix::process::CommandExt;
    let p = seed_copy();
    std::fs::write(p.path().join("drift.patch"), "yesterday's patch\n").unwrap();
    let mut cmd = drift_command(p.path());
    cmd.args(["check", "--patch", "drift.patch"]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // EFBIG instead of SIGXFSZ, and no file may grow past 64 bytes.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 64,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("drift.patch"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(p.path().join("drift.patch")).unwrap(),
        "yesterday's patch\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(p.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Several drift runs writing one patch while a reader reads it: the reader only ever sees the
/// whole patch (or the file not there yet), never a part.
#[test]
fn concurrent_writers_never_show_a_partial_file() {
    let p = seed_copy();
    p.run(&["check", "--patch", "whole.patch"]);
    let whole = std::fs::read_to_string(p.path().join("whole.patch")).unwrap();
    assert!(whole.len() > 500, "{whole}");
    let target = p.path().join("drift.patch");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (done, target, whole) = (done.clone(), target.clone(), whole.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(text) = std::fs::read_to_string(&target) {
                    assert_eq!(text, whole, "a reader saw a partial patch");
                    reads += 1;
                }
            }
            reads
        })
    };
    for _ in 0..3 {
        let writers: Vec<_> = (0..4)
            .map(|_| {
                drift_command(p.path())
                    .args(["check", "--patch", "drift.patch"])
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut w in writers {
            assert_eq!(w.wait().unwrap().code(), Some(2));
        }
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let reads = reader.join().expect("reader saw only whole patches");
    assert!(reads > 0);
}
