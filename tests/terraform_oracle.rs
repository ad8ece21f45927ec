//! terraform itself as the oracle for the three-way view. Where terraform and the AWS
//! provider mirror exist (`TF_PLUGIN_MIRROR`, default `/opt/tf-plugins`), terraform applies a
//! small estate to moto and drift reads the state terraform wrote (the root's own
//! `terraform.tfstate`, the default). After changes made by hand in AWS, a code change and a
//! resource removed from the code, the resources drift says `apply` would update or destroy
//! are exactly those `terraform plan` updates or destroys; and once `--patch` has carried AWS
//! into the code (a `jsonencode` policy, a policy document, records, a record still in the
//! state), `terraform plan` changes nothing. Without terraform the test says so
//! and checks nothing else; the checked-in states (`tests/fixtures/state/seed.tfstate`,
//! `tests/fixtures/three_way_small`) were written the same way and run everywhere.

use crate::harness::Moto;
use crate::support::Project;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The provider mirror, when terraform and it are both here.
fn terraform_with_mirror() -> Option<PathBuf> {
    let mirror = PathBuf::from(
        std::env::var_os("TF_PLUGIN_MIRROR").unwrap_or_else(|| "/opt/tf-plugins".into()),
    );
    let runs = Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    (runs && mirror.is_dir()).then_some(mirror)
}

const ESTATE: &str = r#"terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

provider "aws" {
  region = "ap-northeast-2"
}

data "aws_caller_identity" "current" {}

resource "aws_kms_key" "app" {
  description = "app data"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Default"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
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

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "Default"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "logs" {
  description = "logs"
  policy      = data.aws_iam_policy_document.logs.json
}

resource "aws_kms_alias" "logs" {
  name          = "alias/logs"
  target_key_id = aws_kms_key.logs.key_id
}

resource "aws_route53_zone" "main" {
  name = "example.test"
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "www"
  type    = "CNAME"
  ttl     = 300
  records = ["api.example.test"]
}

resource "aws_route53_record" "txt" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "example.test"
  type    = "TXT"
  ttl     = 300
  records = ["v=spf1 -all"]
}

resource "aws_route53_record" "old" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "old"
  type    = "A"
  ttl     = 300
  records = ["192.0.2.10"]
}

# A value over 255 characters is written as strings joined by `\"\"` (the provider's
# documented idiom); AWS keeps `"…""…"`, which is the same value.
resource "aws_route53_record" "dkim" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "sel._domainkey"
  type    = "TXT"
  ttl     = 300
  records = ["v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\"\"MIIBCgKCAQEAwQ7"]
}

# Weighted: the same name and type twice, told apart by their set identifiers.
resource "aws_route53_record" "blue" {
  zone_id        = aws_route53_zone.main.zone_id
  name           = "app"
  type           = "A"
  ttl            = 60
  set_identifier = "blue"
  records        = ["192.0.2.20"]
  weighted_routing_policy {
    weight = 90
  }
}

resource "aws_route53_record" "green" {
  zone_id        = aws_route53_zone.main.zone_id
  name           = "app"
  type           = "A"
  ttl            = 60
  set_identifier = "green"
  records        = ["192.0.2.21"]
  weighted_routing_policy {
    weight = 10
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.1.0/24"
  availability_zone = "ap-northeast-2a"
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.2.0/24"
  availability_zone = "ap-northeast-2b"
}

resource "aws_lb" "web" {
  name               = "web"
  load_balancer_type = "application"
  subnets            = [aws_subnet.a.id, aws_subnet.b.id]
}

# Aliased to what AWS computed: known only from the state.
resource "aws_route53_record" "api" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "api"
  type    = "A"

  alias {
    name                   = aws_lb.web.dns_name
    zone_id                = aws_lb.web.zone_id
    evaluate_target_health = true
  }
}
"#;

/// Runs terraform in `dir` against moto, with the provider from `mirror`.
fn terraform(dir: &Path, moto: &Moto, mirror: &Path, args: &[&str]) -> std::process::Output {
    let rc = dir.join("../terraform.rc");
    std::fs::write(
        &rc,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("write the CLI configuration");
    let mut cmd = Command::new("terraform");
    for (k, v) in moto.env() {
        cmd.env(k, v);
    }
    let out = cmd
        .env("TF_CLI_CONFIG_FILE", &rc)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run terraform");
    assert!(
        out.status.success(),
        "terraform {args:?}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// What `terraform plan` would do, by resource address: its actions (`update`,
/// `delete,create`), no-ops left out.
fn plan(dir: &Path, moto: &Moto, mirror: &Path) -> BTreeMap<String, String> {
    terraform(
        dir,
        moto,
        mirror,
        &[
            "plan",
            "-input=false",
            "-lock=false",
            "-no-color",
            "-out=plan",
        ],
    );
    let shown = terraform(dir, moto, mirror, &["show", "-json", "plan"]);
    let plan: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("plan JSON");
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let actions: Vec<&str> = c["change"]["actions"]
                .as_array()?
                .iter()
                .filter_map(|a| a.as_str())
                .collect();
            let address = c["address"].as_str()?.to_string();
            (actions != ["no-op"]).then(|| (address, actions.join(",")))
        })
        .collect()
}

fn drift(p: &Project, moto: &Moto, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut cmd = crate::support::drift_command(p.path());
    for (k, v) in moto.env() {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().expect("run drift");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let j = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap_or(-1),
        j,
        format!("{stdout}\n{stderr}"),
    )
}

#[test]
fn drift_says_what_terraform_plan_would_do_on_a_state_terraform_wrote() {
    let Some(mirror) = terraform_with_mirror() else {
        eprintln!(
            "terraform or the AWS provider mirror (TF_PLUGIN_MIRROR, default /opt/tf-plugins) is \
             absent: the three-way view is checked against the checked-in states only"
        );
        return;
    };
    let moto = Moto::start();
    let p = Project::new();
    p.file("tf/main.tf", ESTATE).file(
        "drift.toml",
        "live = \"aws\"\n[terraform]\nroots = [\"tf\"]\n[aws]\nregion = \"ap-northeast-2\"\n",
    );
    let tf = p.path().join("tf");
    terraform(&tf, &moto, &mirror, &["init", "-input=false", "-no-color"]);
    terraform(
        &tf,
        &moto,
        &mirror,
        &["apply", "-input=false", "-auto-approve", "-no-color"],
    );

    // Every instance terraform just created is in drift's report exactly once (against an
    // empty live side, each is a finding).
    {
        let live = crate::accounting::empty_live(p.path(), "123456789012", "ap-northeast-2");
        let (_, report, out) = drift(
            &p,
            &moto,
            &[
                "check",
                "--live",
                live.to_str().expect("utf-8"),
                "--format",
                "json",
            ],
        );
        let state: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(tf.join("terraform.tfstate")).expect("state"),
        )
        .expect("state JSON");
        assert!(report.is_object(), "{out}");
        crate::accounting::assert_accounted(&report, &state);
    }

    // Just applied: nothing differs; the alias to the load balancer is checked with the
    // dns_name and zone_id terraform recorded.
    let (code, j, out) = drift(&p, &moto, &["check", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(j["summary"]["in_sync"], 9, "{out}");
    assert_eq!(j["summary"]["not_checked"], 0, "{out}");
    let from_state = j["values_from_state"].to_string();
    assert!(from_state.contains("aws_lb.web.dns_name"), "{from_state}");

    // By hand in AWS: a statement added to each key policy, the www record repointed.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let sdk = moto.sdk().await;
        let kms = aws_sdk_kms::Client::new(&sdk);
        let account = aws_sdk_sts::Client::new(&sdk)
            .get_caller_identity()
            .send()
            .await
            .expect("caller identity")
            .account
            .expect("account");
        let added = [
            serde_json::json!({"Sid": "HandAdded", "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "kms:Decrypt", "Resource": "*"}),
            serde_json::json!({"Sid": "LogsDelivery", "Effect": "Allow",
                "Principal": {"Service": "logs.ap-northeast-2.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*"], "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                    format!("arn:aws:logs:ap-northeast-2:{account}:*")}}}),
        ];
        for (alias, statement) in ["alias/app", "alias/logs"].into_iter().zip(added) {
            let key = kms
                .describe_key()
                .key_id(alias)
                .send()
                .await
                .expect("describe the key")
                .key_metadata
                .expect("key metadata")
                .key_id;
            let policy = serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "Default", "Effect": "Allow",
                     "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                     "Action": "kms:*", "Resource": "*"},
                    statement,
                ]
            });
            kms.put_key_policy()
                .key_id(key)
                .policy_name("default")
                .policy(policy.to_string())
                .send()
                .await
                .expect("put the key policy");
        }
        let r53 = aws_sdk_route53::Client::new(&sdk);
        let zone = r53
            .list_hosted_zones()
            .send()
            .await
            .expect("zones")
            .hosted_zones
            .into_iter()
            .next()
            .expect("the zone")
            .id;
        crate::harness::change_records(
            &r53,
            &zone,
            aws_sdk_route53::types::ChangeAction::Upsert,
            vec![crate::harness::record(
                "www.example.test.",
                aws_sdk_route53::types::RrType::Cname,
                60,
                &["old.example.test"],
            )],
        )
        .await;
        // Traffic shifted by hand: blue's weight 90 → 50.
        let mut blue = crate::harness::record(
            "app.example.test.",
            aws_sdk_route53::types::RrType::A,
            60,
            &["192.0.2.20"],
        );
        blue.set_identifier = Some("blue".into());
        blue.weight = Some(50);
        crate::harness::change_records(
            &r53,
            &zone,
            aws_sdk_route53::types::ChangeAction::Upsert,
            vec![blue],
        )
        .await;
    });
    // In the code: the TXT record changed, the `old` record removed.
    let text = ESTATE.replace("v=spf1 -all", "v=spf1 include:_spf.example.test -all");
    let start = text
        .find("resource \"aws_route53_record\" \"old\"")
        .expect("the old record");
    let end = start + text[start..].find("\n}\n").expect("its end") + 3;
    std::fs::write(
        tf.join("main.tf"),
        format!("{}{}", &text[..start], &text[end..]),
    )
    .expect("write the code");

    let (code, j, out) = drift(&p, &moto, &["check", "--format", "json"]);
    assert_eq!(code, 2, "{out}");
    let verdict_of = |id: &str| {
        j["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["id"] == id)
            .map(|f| f["verdict"].as_str().unwrap_or("-").to_string())
    };
    assert_eq!(
        verdict_of("alias/app").as_deref(),
        Some("hand_change_reverted_by_apply"),
        "{out}"
    );
    assert_eq!(
        verdict_of("app.example.test/A/blue").as_deref(),
        Some("hand_change_reverted_by_apply"),
        "{out}"
    );
    assert_eq!(
        verdict_of("alias/logs").as_deref(),
        Some("hand_change_reverted_by_apply"),
        "{out}"
    );
    assert_eq!(
        verdict_of("www.example.test/CNAME").as_deref(),
        Some("hand_change_reverted_by_apply"),
        "{out}"
    );
    assert_eq!(
        verdict_of("example.test/TXT").as_deref(),
        Some("code_change_pending"),
        "{out}"
    );
    assert_eq!(
        verdict_of("old.example.test/A").as_deref(),
        Some("removed_from_code"),
        "{out}"
    );

    // terraform's own plan: the resources it would update, and those it would destroy.
    let planned = plan(&tf, &moto, &mirror);
    let with_action = |action: &str| -> BTreeSet<String> {
        planned
            .iter()
            .filter(|(_, a)| a.as_str() == action)
            .map(|(address, _)| address.clone())
            .collect()
    };
    let drift_updates: BTreeSet<String> = j["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            matches!(
                f["verdict"].as_str(),
                Some("hand_change_reverted_by_apply" | "code_change_pending" | "both_changed")
            )
        })
        .filter_map(|f| f["address"].as_str().map(str::to_string))
        .collect();
    assert_eq!(with_action("update"), drift_updates, "{out}");
    assert_eq!(
        with_action("delete"),
        BTreeSet::from(["aws_route53_record.old".to_string()])
    );

    // The gate: apply would revert hand changes and destroy a record.
    let (code, _, out) = drift(&p, &moto, &["check", "--before-apply"]);
    assert_eq!(code, 2, "{out}");

    // The live state carried into the code with --patch (the hand changes, the TXT record as
    // AWS has it, the removed record put back): terraform then plans to change nothing.
    let (code, _, out) = drift(&p, &moto, &["check", "--patch", "drift.patch"]);
    assert_eq!(code, 2, "{out}");
    let applied = Command::new("git")
        .args(["apply", "drift.patch"])
        .current_dir(p.path())
        .output()
        .expect("run git apply");
    assert!(
        applied.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&applied.stderr),
        std::fs::read_to_string(p.path().join("drift.patch")).unwrap_or_default()
    );
    let planned = plan(&tf, &moto, &mirror);
    let patch = std::fs::read_to_string(p.path().join("drift.patch")).unwrap_or_default();
    assert!(
        planned.is_empty(),
        "terraform plans {planned:?} after\n{patch}"
    );
    // The record removed from the code is put back where the state has it: no import.
    assert!(!patch.contains("import {"), "{patch}");
}
