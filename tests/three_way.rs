//! The three-way view: code, Terraform state and AWS. The seed's KMS incident (a statement
//! added by hand in AWS, code and state without it) is a change `terraform apply` would
//! revert, and `--before-apply` stops; once the code is patched but not applied it is a
//! pending code change and the gate passes. A state written by terraform 1.11 (adopting a
//! generated estate in moto, `tests/fixtures/three_way_small`) gives each injected change its
//! verdict; an object removed from the code but in the state would be destroyed; a state of
//! another format version is an error for the three-way view only.

use crate::support::{Project, copy_tree, repo, run_in, seed_copy};
use std::process::Command;

fn verdicts(j: &serde_json::Value) -> Vec<String> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["status"].as_str().unwrap(),
                f["kind"].as_str().unwrap(),
                f["id"].as_str().unwrap(),
                f["verdict"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn seed_with_state() -> Project {
    let p = seed_copy();
    std::fs::copy(
        repo().join("tests/fixtures/state/seed.tfstate"),
        p.path().join("seed.tfstate"),
    )
    .unwrap();
    p
}

#[test]
fn the_seed_incident_is_a_hand_change_apply_would_revert() {
    let p = seed_with_state();
    let out = p.run(&["check", "--state", "seed.tfstate", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let j = out.json();
    assert_eq!(
        verdicts(&j),
        vec![
            "changed kms_key_policy alias/wealist-prod-files hand_change_reverted_by_apply",
            "unmanaged route53_record cdn.wealist.co.kr/A unmanaged",
            "missing postgres_database wealist-prod/ops_db -",
            "violated rule cloudfront_kms_decrypt/cdn.wealist.co.kr -",
            "missing service_checklist ops-service/secret -",
            "missing service_checklist ops-service/helm_values -",
            "missing service_checklist ops-service/argocd_app -",
            "missing service_checklist ops-service/ci_pipeline -",
        ]
    );
    insta::assert_snapshot!("three_way_seed_json", out.stdout);
    // The state's value is in the report: without the hand-added statement.
    let state = j["findings"][0]["state"].to_string();
    assert!(
        state.contains("KeyUsage") && !state.contains("AllowCloudFrontDecrypt"),
        "{state}"
    );
    let human = p.run(&["check", "--state", "seed.tfstate", "--color", "never"]);
    assert!(
        human
            .stdout
            .contains("changed in AWS by hand: terraform apply would REVERT this change"),
        "{}",
        human.stdout
    );
    let gate = p.run(&["check", "--state", "seed.tfstate", "--before-apply"]);
    assert_eq!(gate.code, 2, "{}", gate.stdout);

    // The fix carried into the code, not applied yet: a pending code change; the gate passes
    // (the missing database is not Terraform's, the new record is adopted by its import).
    let out = p.run(&["check", "--patch", "drift.patch"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let applied = Command::new("git")
        .args(["apply", "drift.patch"])
        .current_dir(p.path())
        .output()
        .unwrap();
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let out = p.run(&["check", "--state", "seed.tfstate", "--format", "json"]);
    let j = out.json();
    // (the patch also wrote ops-service into the CI list; with the statement in the code, the
    // CloudFront rule holds)
    assert_eq!(
        verdicts(&j),
        vec![
            "missing postgres_database wealist-prod/ops_db -",
            "missing service_checklist ops-service/secret -",
            "missing service_checklist ops-service/helm_values -",
            "missing service_checklist ops-service/argocd_app -",
        ]
    );
    let pending: Vec<String> = j["pending_apply"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| format!("{} {} {}", x["kind"], x["id"], x["verdict"]))
        .collect();
    assert_eq!(
        pending,
        vec![
            "\"kms_key_policy\" \"alias/wealist-prod-files\" \"code_change_pending\"",
            "\"route53_record\" \"cdn.wealist.co.kr/A\" \"code_change_pending\"",
        ]
    );
    let gate = p.run(&["check", "--state", "seed.tfstate", "--before-apply"]);
    assert_eq!(gate.code, 0, "{}", gate.stdout);
}

#[test]
fn a_state_written_by_terraform_gives_each_change_its_verdict() {
    let dir = repo().join("tests/fixtures/three_way_small");
    // The default state: the root's terraform.tfstate is not there, so pass it.
    let out = run_in(
        &dir,
        &["check", "--state", "terraform.tfstate", "--format", "json"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        verdicts(&out.json()),
        vec![
            "changed kms_key_policy alias/bench-00000 hand_change_reverted_by_apply",
            "changed route53_record cname-000018.z00.bench.example/CNAME hand_change_reverted_by_apply",
            "changed rds_instance bench-db-0001 hand_change_reverted_by_apply",
            "missing postgres_database bench-db-0000/svc00006_db -",
        ]
    );
    // Without a state the report is as before: no verdicts, no state fields.
    let plain = run_in(&dir, &["check", "--format", "json"]);
    assert!(!plain.stdout.contains("verdict"), "{}", plain.stdout);
    assert_eq!(run_in(&dir, &["check", "--before-apply"]).code, 1);
}

#[test]
fn an_object_removed_from_the_code_but_in_the_state_would_be_destroyed() {
    let p = Project::new();
    copy_tree(&repo().join("tests/fixtures/three_way_small"), p.path());
    let path = p.path().join("tf/records_z00.tf");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find("resource \"aws_route53_record\" \"txt")
        .expect("a TXT record");
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    let removed = &text[start..end];
    let name = removed
        .lines()
        .find_map(|l| l.trim().strip_prefix("name    = "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    std::fs::write(&path, format!("{}{}", &text[..start], &text[end..])).unwrap();
    // Also the default: the root's own terraform.tfstate.
    std::fs::rename(
        p.path().join("terraform.tfstate"),
        p.path().join("tf/terraform.tfstate"),
    )
    .unwrap();
    let out = p.run(&["check", "--format", "json"]);
    let lines = verdicts(&out.json());
    let want = format!("unmanaged route53_record {name}/TXT removed_from_code");
    assert!(lines.contains(&want), "{lines:?}");
    let md = p.run(&["check", "--format", "markdown"]);
    assert!(
        md.stdout.contains(
            "removed from the code but still in the state: terraform apply would DESTROY it"
        ),
        "{}",
        md.stdout
    );

    // --patch puts it back where the state has it (its address, its name as written there):
    // no import, so terraform has nothing to replace.
    let label = removed
        .split('"')
        .nth(3)
        .expect("the resource label")
        .to_string();
    p.run(&["check", "--patch", "drift.patch"]);
    let patch = std::fs::read_to_string(p.path().join("drift.patch")).unwrap();
    assert!(
        patch.contains(&format!("+resource \"aws_route53_record\" \"{label}\" {{")),
        "{patch}"
    );
    assert!(
        patch.contains(&format!("+  name    = \"{name}\"")),
        "{patch}"
    );
    assert!(
        !patch.contains("import {") && !patch.contains("moved {"),
        "{patch}"
    );

    // Kept in the state under an address the code cannot have again (an instance of another
    // resource): put back under a new name, with a `moved` block from the state's address.
    let state_path = p.path().join("tf/terraform.tfstate");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    let resource = state["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["name"] == label.as_str())
        .expect("the record in the state");
    resource["name"] = "legacy".into();
    resource["instances"][0]["index_key"] = "a".into();
    std::fs::write(&state_path, state.to_string()).unwrap();
    p.run(&["check", "--patch", "drift.patch"]);
    let patch = std::fs::read_to_string(p.path().join("drift.patch")).unwrap();
    assert!(
        patch.contains(
            "+moved {\n+  from = aws_route53_record.legacy[\"a\"]\n+  to   = aws_route53_record."
        ),
        "{patch}"
    );
    assert!(!patch.contains("import {"), "{patch}");
}

#[test]
fn a_state_of_another_format_is_an_error_for_the_three_way_view_only() {
    let p = seed_copy();
    std::fs::copy(
        repo().join("tests/fixtures/state/version3.tfstate"),
        p.path().join("old.tfstate"),
    )
    .unwrap();
    let out = p.run(&["check", "--state", "old.tfstate", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let j = out.json();
    assert!(
        j["errors"].to_string().contains("format version 3"),
        "{}",
        j["errors"]
    );
    // The code-versus-live comparison still ran (three incidents, four checklist items, the
    // CloudFront rule).
    assert_eq!(j["findings"].as_array().unwrap().len(), 8);
}

/// By default a root's state is where its `backend "local"` block says.
#[test]
fn the_local_backend_path_is_the_default_state() {
    let p = Project::new();
    copy_tree(&repo().join("tests/fixtures/three_way_small"), p.path());
    std::fs::create_dir_all(p.path().join("tf/state")).unwrap();
    std::fs::rename(
        p.path().join("terraform.tfstate"),
        p.path().join("tf/state/prod.tfstate"),
    )
    .unwrap();
    let out = p.run(&["check", "--format", "json"]);
    assert!(
        !out.stdout.contains("verdict"),
        "no state without the backend block"
    );
    p.file(
        "tf/backend.tf",
        "terraform {\n  backend \"local\" {\n    path = \"state/prod.tfstate\"\n  }\n}\n",
    );
    let out = p.run(&["check", "--format", "json"]);
    assert!(
        out.stdout
            .contains("\"verdict\": \"hand_change_reverted_by_apply\""),
        "{}",
        out.stdout
    );
}

/// Two states, one unreadable: what the readable one records keeps its verdict; an object it
/// does not record may be in the other, so it gets none (not "pending"), and the error says
/// which state could not be read.
#[test]
fn an_unreadable_state_costs_only_the_verdicts_it_would_give() {
    let p = Project::new();
    copy_tree(&repo().join("tests/fixtures/three_way_small"), p.path());
    p.file(
        "tf/new.tf",
        "resource \"aws_route53_record\" \"new\" {\n  zone_id = aws_route53_zone.z00.zone_id\n  name    = \"new.z00.bench.example\"\n  type    = \"TXT\"\n  ttl     = 300\n  records = [\"new\"]\n}\n",
    );
    let verdict_of = |j: &serde_json::Value, id: &str| {
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| f["verdict"].as_str().unwrap_or("-").to_string())
    };
    let one = p.run(&["check", "--state", "terraform.tfstate", "--format", "json"]);
    let j = one.json();
    assert_eq!(
        verdict_of(&j, "new.z00.bench.example/TXT").as_deref(),
        Some("code_change_pending"),
        "{}",
        one.stdout
    );
    p.file("broken.tfstate", "{\"version\": 4, \"resources\": [");
    let two = p.run(&[
        "check",
        "--state",
        "terraform.tfstate",
        "--state",
        "broken.tfstate",
        "--format",
        "json",
    ]);
    assert_eq!(two.code, 1, "{}", two.stderr);
    let j = two.json();
    assert!(
        j["errors"].to_string().contains("broken.tfstate"),
        "{}",
        j["errors"]
    );
    assert_eq!(
        verdict_of(&j, "new.z00.bench.example/TXT").as_deref(),
        Some("-")
    );
    assert_eq!(
        verdict_of(&j, "alias/bench-00000").as_deref(),
        Some("hand_change_reverted_by_apply"),
        "{}",
        two.stdout
    );
}

/// Computed attributes of the types drift models itself come from the state too — a CNAME to
/// an RDS instance's `address`, an NS delegation to a zone's `name_servers` — while the ids
/// drift links its objects through stay references (every other record still finds its zone).
#[test]
fn computed_attributes_of_modelled_types_come_from_the_state() {
    let p = Project::new();
    copy_tree(&repo().join("tests/fixtures/three_way_small"), p.path());
    p.file(
        "tf/computed.tf",
        r#"resource "aws_route53_record" "db" {
  zone_id = aws_route53_zone.z00.zone_id
  name    = "db.z00.bench.example"
  type    = "CNAME"
  ttl     = 300
  records = [aws_db_instance.db0000.address]
}

resource "aws_route53_record" "delegation" {
  zone_id = aws_route53_zone.z00.zone_id
  name    = "sub.z00.bench.example"
  type    = "NS"
  ttl     = 172800
  records = aws_route53_zone.z00.name_servers
}
"#,
    );
    let without = p.run(&["check", "--format", "json"]);
    assert_eq!(
        without.json()["summary"]["not_checked"],
        2,
        "{}",
        without.stdout
    );
    let out = p.run(&["check", "--state", "terraform.tfstate", "--format", "json"]);
    let j = out.json();
    assert_eq!(j["summary"]["not_checked"], 0, "{}", out.stdout);
    let lines = verdicts(&j);
    for want in [
        "missing route53_record db.z00.bench.example/CNAME code_change_pending",
        "missing route53_record sub.z00.bench.example/NS code_change_pending",
    ] {
        assert!(lines.contains(&want.to_string()), "{lines:?}");
    }
    let used = j["values_from_state"].to_string();
    assert!(
        used.contains("aws_db_instance.db0000.address")
            && used.contains("aws_route53_zone.z00.name_servers"),
        "{used}"
    );
    // The injected drift is found as before: the zone links held.
    assert!(lines.contains(
        &"changed route53_record cname-000018.z00.bench.example/CNAME hand_change_reverted_by_apply"
            .to_string()
    ));
    // Created in AWS with the instance's address: in sync with the code (the value from the
    // state is the right one), pending in terraform's state only.
    let path = p.path().join("snapshot.json");
    let mut snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let zone = snap["route53"]["zones"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|z| z["name"] == "z00.bench.example.")
        .expect("zone z00");
    zone["records"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "Name": "db.z00.bench.example.", "Type": "CNAME", "TTL": 300,
            "ResourceRecords": [{"Value": "bench-db-0000.aaaaaaaaaa.eu-west-1.rds.amazonaws.com"}]
        }));
    std::fs::write(&path, snap.to_string()).unwrap();
    let out = p.run(&["check", "--state", "terraform.tfstate", "--format", "json"]);
    let j = out.json();
    assert!(
        !verdicts(&j)
            .iter()
            .any(|l| l.contains("db.z00.bench.example")),
        "{}",
        out.stdout
    );
    assert!(
        j["pending_apply"]
            .to_string()
            .contains("db.z00.bench.example/CNAME"),
        "{}",
        j["pending_apply"]
    );
}

/// A key declared without a policy: terraform does not manage its policy (`policy` is
/// optional and computed), so a statement added by hand is drift from AWS's default, but
/// `terraform apply` leaves it alone — no "revert" verdict, and the gate passes.
#[test]
fn a_policy_the_code_does_not_set_is_not_reverted_by_apply() {
    let default = r#"{\"Version\":\"2012-10-17\",\"Id\":\"key-default-1\",\"Statement\":[{\"Sid\":\"Enable IAM User Permissions\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}"#;
    let p = Project::new();
    p.config("")
        .file(
            "tf/main.tf",
            "resource \"aws_kms_key\" \"k\" {\n  description = \"k\"\n}\n\nresource \"aws_kms_alias\" \"k\" {\n  name          = \"alias/k\"\n  target_key_id = aws_kms_key.k.key_id\n}\n",
        )
        .snapshot(
            r#""kms": {"keys": [{"key_id": "k-1", "arn": "arn:aws:kms:eu-west-1:111122223333:key/k-1", "key_state": "Enabled",
            "aliases": ["alias/k"], "policy": {"Version": "2012-10-17", "Statement": [
              {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
              {"Sid": "HandAdded", "Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"}, "Action": "kms:Decrypt", "Resource": "*"}]}}]}"#,
        )
        .file(
            "k.tfstate",
            &format!(
                r#"{{"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "k", "outputs": {{}}, "resources": [
                {{"mode": "managed", "type": "aws_kms_key", "name": "k", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                  "instances": [{{"schema_version": 0, "attributes": {{"key_id": "k-1", "arn": "arn:aws:kms:eu-west-1:111122223333:key/k-1", "policy": "{default}"}}}}]}},
                {{"mode": "managed", "type": "aws_kms_alias", "name": "k", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                  "instances": [{{"schema_version": 0, "attributes": {{"name": "alias/k", "target_key_id": "k-1"}}}}]}}]}}"#
            ),
        );
    let out = p.run(&["check", "--state", "k.tfstate", "--format", "json"]);
    assert_eq!(out.code, 2, "drift from the default policy: {}", out.stdout);
    assert_eq!(
        verdicts(&out.json()),
        vec!["changed kms_key_policy alias/k unmanaged"],
        "{}",
        out.stdout
    );
    let human = p.run(&["check", "--state", "k.tfstate", "--color", "never"]);
    assert!(
        human
            .stdout
            .contains("not set in the code: terraform apply leaves it alone"),
        "{}",
        human.stdout
    );
    let gate = p.run(&["check", "--state", "k.tfstate", "--before-apply"]);
    assert_eq!(gate.code, 0, "{}", gate.stdout);
}

/// Another workspace's state is where terraform keeps it (`terraform.tfstate.d/<name>/` for the
/// local backend), in the workspace terraform would use: the one `terraform workspace select`
/// recorded in `.terraform/environment`, unless `[terraform] workspace` says otherwise.
#[test]
fn the_selected_workspace_picks_the_state() {
    let p = Project::new();
    copy_tree(&repo().join("tests/fixtures/three_way_small"), p.path());
    std::fs::create_dir_all(p.path().join("tf/terraform.tfstate.d/staging")).unwrap();
    std::fs::rename(
        p.path().join("terraform.tfstate"),
        p.path()
            .join("tf/terraform.tfstate.d/staging/terraform.tfstate"),
    )
    .unwrap();
    let has_verdicts = |out: &crate::support::Output| out.stdout.contains("\"verdict\"");
    // The default workspace has no state: no three-way view.
    assert!(!has_verdicts(&p.run(&["check", "--format", "json"])));
    p.file("tf/.terraform/environment", "staging");
    let out = p.run(&["check", "--format", "json"]);
    assert!(has_verdicts(&out), "{}", out.stdout);
    let config = std::fs::read_to_string(p.path().join("drift.toml")).unwrap();
    p.file(
        "drift.toml",
        &config.replace("roots = [\"tf\"]", "roots = [\"tf\"]\nworkspace = \"qa\""),
    );
    assert!(!has_verdicts(&p.run(&["check", "--format", "json"])));
}

/// A record aliased to a load balancer: its `dns_name` is known only after apply, so without a
/// state the record is not checked; with the state it is compared, and the report says which
/// values came from the state.
#[test]
fn values_aws_computed_come_from_the_state() {
    let p = Project::new();
    p.config("").file(
        "tf/main.tf",
        r#"resource "aws_lb" "web" {
  name = "web"
}
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "www.example.com"
  type    = "A"
  alias {
    name                   = aws_lb.web.dns_name
    zone_id                = aws_lb.web.zone_id
    evaluate_target_health = true
  }
}
"#,
    )
    .snapshot(
        r#""route53": {"zones": [{"id": "/hostedzone/ZEX", "name": "example.com.", "private_zone": false, "records": [
            {"Name": "www.example.com.", "Type": "A", "AliasTarget": {"HostedZoneId": "Z32O12XQLNTSW2", "DNSName": "web-1234.eu-west-1.elb.amazonaws.com.", "EvaluateTargetHealth": true}}]}]}"#,
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.json()["summary"]["not_checked"], 1, "{}", out.stdout);

    let state = serde_json::json!({
        "version": 4, "terraform_version": "1.11.4", "serial": 3, "lineage": "x", "outputs": {},
        "resources": [
            {"mode": "managed", "type": "aws_lb", "name": "web", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"schema_version": 0, "attributes": {"name": "web", "dns_name": "web-1234.eu-west-1.elb.amazonaws.com", "zone_id": "Z32O12XQLNTSW2", "arn": "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web/1"}}]},
            {"mode": "managed", "type": "aws_route53_zone", "name": "z", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"schema_version": 0, "attributes": {"name": "example.com", "zone_id": "ZEX", "vpc": []}}]}
        ]
    });
    p.file("tf/terraform.tfstate", &state.to_string());
    let out = p.run(&["check", "--format", "json"]);
    let j = out.json();
    assert_eq!(j["summary"]["not_checked"], 0, "{}", out.stdout);
    assert_eq!(j["summary"]["in_sync"], 1, "{}", out.stdout);
    assert_eq!(
        j["values_from_state"],
        serde_json::json!(["aws_lb.web.dns_name", "aws_lb.web.zone_id"])
    );
    // The record is not in the state: adopting it is a pending code change.
    assert_eq!(
        j["pending_apply"][0]["id"], "www.example.com/A",
        "{}",
        out.stdout
    );
}

/// A state that records none of the code's resources is another root's: it is not used (it
/// would make everything it holds "removed from the code"), and drift says so.
#[test]
fn a_state_of_another_root_is_not_used() {
    let p = seed_copy();
    std::fs::copy(
        repo().join("tests/fixtures/three_way_small/terraform.tfstate"),
        p.path().join("other.tfstate"),
    )
    .unwrap();
    let out = p.run(&["check", "--state", "other.tfstate", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("records none of this code's resources"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("verdict"), "{}", out.stdout);
    // Given with the right one, only the right one counts.
    std::fs::copy(
        repo().join("tests/fixtures/state/seed.tfstate"),
        p.path().join("seed.tfstate"),
    )
    .unwrap();
    let out = p.run(&[
        "check",
        "--state",
        "other.tfstate",
        "--state",
        "seed.tfstate",
        "--format",
        "json",
    ]);
    assert_eq!(
        verdicts(&out.json()),
        vec![
            "changed kms_key_policy alias/wealist-prod-files hand_change_reverted_by_apply",
            "unmanaged route53_record cdn.wealist.co.kr/A unmanaged",
            "missing postgres_database wealist-prod/ops_db -",
            "violated rule cloudfront_kms_decrypt/cdn.wealist.co.kr -",
            "missing service_checklist ops-service/secret -",
            "missing service_checklist ops-service/helm_values -",
            "missing service_checklist ops-service/argocd_app -",
            "missing service_checklist ops-service/ci_pipeline -",
        ]
    );
}

/// `data "terraform_remote_state"` with the local backend: another stack's outputs come from its
/// state, so a record keyed by that stack's zone id and pointing at its load balancer is
/// checked; without the file it is not checked, never drift.
#[test]
fn remote_state_outputs_come_from_the_other_stack_state() {
    let p = Project::new();
    p.config("")
        .file(
            "tf/main.tf",
            r#"data "terraform_remote_state" "network" {
  backend = "local"
  config = {
    path = "../network/terraform.tfstate"
  }
}
resource "aws_route53_record" "api" {
  zone_id = data.terraform_remote_state.network.outputs.zone_id
  name    = "api.example.com"
  type    = "CNAME"
  ttl     = 60
  records = [data.terraform_remote_state.network.outputs.lb_dns]
}
"#,
        )
        .snapshot(
            r#""route53": {"zones": [{"id": "/hostedzone/ZEX", "name": "example.com.", "private_zone": false, "records": [
            {"Name": "api.example.com.", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "web-1.eu-west-1.elb.amazonaws.com"}]}]}]}"#,
        );
    let out = p.run(&["check", "--format", "json"]);
    let j = out.json();
    assert_eq!(j["summary"]["not_checked"], 1, "{}", out.stdout);
    assert_eq!(out.code, 0, "not checked is not drift: {}", out.stdout);
    p.file(
        "network/terraform.tfstate",
        &serde_json::json!({
            "version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "n",
            "outputs": {
                "zone_id": {"value": "ZEX", "type": "string"},
                "lb_dns": {"value": "web-1.eu-west-1.elb.amazonaws.com", "type": "string"}
            },
            "resources": []
        })
        .to_string(),
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["summary"]["in_sync"], 1, "{}", out.stdout);

    // Another workspace of that stack: its state under `terraform.tfstate.d/<workspace>/`
    // (none there yet: not checked, never drift).
    let code = std::fs::read_to_string(p.path().join("tf/main.tf")).unwrap();
    p.file(
        "tf/main.tf",
        &code.replace(
            "backend = \"local\"",
            "backend   = \"local\"\n  workspace = \"staging\"",
        ),
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.json()["summary"]["not_checked"], 1, "{}", out.stdout);
    let network = std::fs::read_to_string(p.path().join("network/terraform.tfstate")).unwrap();
    p.file("tf/terraform.tfstate.d/staging/terraform.tfstate", &network);
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.json()["summary"]["in_sync"], 1, "{}", out.stdout);
}

/// terraform never writes one address twice: such a state is an error naming the address,
/// never a verdict silently taken from one of the copies.
#[test]
fn a_state_listing_one_address_twice_is_an_error() {
    let p = seed_with_state();
    let path = p.path().join("seed.tfstate");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let resources = state["resources"].as_array_mut().unwrap();
    let key = resources
        .iter()
        .find(|r| r["type"] == "aws_kms_key")
        .cloned()
        .unwrap();
    resources.push(key.clone());
    std::fs::write(&path, serde_json::to_string(&state).unwrap()).unwrap();
    let out = p.run(&["check", "--state", "seed.tfstate", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let j = out.json();
    let message = j["errors"][0]["message"].as_str().unwrap();
    let index = match &key["instances"][0]["index_key"] {
        serde_json::Value::Null => String::new(),
        k => format!("[{k}]"),
    };
    let address = format!(
        "{}{}.{}{index}",
        key["module"]
            .as_str()
            .map(|m| format!("{m}."))
            .unwrap_or_default(),
        key["type"].as_str().unwrap(),
        key["name"].as_str().unwrap()
    );
    assert!(
        message.contains(&format!("lists `{address}` twice")),
        "{message}"
    );
    // No verdict from a state drift does not trust.
    assert!(
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["verdict"].is_null())
    );
}

/// `[terraform] state = false`: no state is read (a root's `backend "s3"` block included, for a
/// role without access to the state bucket), so there is no three-way view and no error.
#[test]
fn state_false_turns_the_three_way_view_off() {
    let p = seed_copy();
    p.file(
        "desired/terraform/prod/foundation/backend.tf",
        "terraform {\n  backend \"s3\" {\n    bucket = \"state-bucket-drift-cannot-read\"\n    key    = \"prod/terraform.tfstate\"\n    region = \"ap-northeast-2\"\n  }\n}\n",
    );
    // The backend's object cannot be read (no AWS here): an error for the three-way view.
    let unreachable = format!("http://127.0.0.1:{}", crate::harness::free_port());
    let run = |p: &Project| {
        let out = crate::support::drift_command(p.path())
            .env("AWS_ENDPOINT_URL", &unreachable)
            .env("AWS_ACCESS_KEY_ID", "x")
            .env("AWS_SECRET_ACCESS_KEY", "x")
            .env("AWS_MAX_ATTEMPTS", "1")
            .args(["check", "--format", "json"])
            .output()
            .unwrap();
        (
            out.status.code(),
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        )
    };
    let (code, j) = run(&p);
    assert_eq!(code, Some(1), "{j}");
    assert!(j["errors"].to_string().contains("GetObject"), "{j}");

    let cfg = std::fs::read_to_string(p.path().join("drift.toml")).unwrap();
    p.file(
        "drift.toml",
        &cfg.replace("[terraform]\n", "[terraform]\nstate = false\n"),
    );
    let (code, j) = run(&p);
    assert_eq!(code, Some(2), "{j}");
    assert_eq!(j["errors"], serde_json::json!([]), "{j}");
    assert!(j.get("pending_apply").is_none(), "no three-way view: {j}");
    // `--state` still names a state explicitly.
    std::fs::copy(
        repo().join("tests/fixtures/state/seed.tfstate"),
        p.path().join("seed.tfstate"),
    )
    .unwrap();
    let out = p.run(&["check", "--state", "seed.tfstate", "--format", "json"]);
    assert_eq!(
        out.json()["findings"][0]["verdict"],
        "hand_change_reverted_by_apply"
    );
}
