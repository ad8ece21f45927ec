//! Root discovery through the real binary: `[terraform] roots` globs reach the directories
//! terraform would treat as roots — a backend or a provider, and not called as a module by
//! another root — with the accounts and regions their providers name; skipped roots say why.

use crate::support::Project;

fn provider(account: &str, region: &str) -> String {
    format!(
        "provider \"aws\" {{\n  region = \"{region}\"\n  assume_role {{\n    role_arn = \"arn:aws:iam::{account}:role/drift-read-only\"\n  }}\n}}\n"
    )
}

fn fleet() -> Project {
    let p = Project::new();
    p.file(
        "terraform/accounts/111111111111/prod/main.tf",
        &format!(
            "terraform {{\n  backend \"s3\" {{\n    bucket = \"state\"\n    key    = \"prod\"\n    region = \"eu-west-1\"\n  }}\n}}\n{}module \"net\" {{\n  source = \"../../../modules/net\"\n}}\n",
            provider("111111111111", "eu-west-1")
        ),
    )
    .file(
        "terraform/accounts/222222222222/prod/main.tf",
        &format!(
            "{}{}",
            provider("222222222222", "us-east-1"),
            "provider \"aws\" {\n  alias  = \"west\"\n  region = var.west\n}\nvariable \"west\" {\n  default = \"us-west-2\"\n}\n"
        ),
    )
    .file(
        "terraform/accounts/222222222222/legacy/main.tf",
        &provider("222222222222", "us-east-1"),
    )
    // A module with a provider block of its own (older style): the root that calls it owns it.
    .file(
        "terraform/modules/net/main.tf",
        "provider \"aws\" {\n  region = \"eu-west-1\"\n}\nresource \"aws_route53_zone\" \"z\" {\n  name = \"example.com\"\n}\n",
    )
    // Neither backend nor provider: a module nobody here calls, not a root.
    .file(
        "terraform/modules/dns/main.tf",
        "variable \"zone\" {}\n",
    )
    // terraform's own data directory is never searched.
    .file(
        "terraform/accounts/111111111111/prod/.terraform/modules/x/main.tf",
        &provider("999999999999", "eu-west-1"),
    )
    .file(
        "drift.toml",
        "live = \"live.json\"\n[terraform]\nroots = [\"terraform/**\"]\nstate = false\n[[terraform.skip]]\npath = \"terraform/accounts/222222222222/legacy\"\nreason = \"decommissioned, kept for the audit\"\n",
    )
    .snapshot(r#""route53": {"zones": []}"#);
    p
}

#[test]
fn a_glob_reaches_the_roots_terraform_would_plan() {
    let p = fleet();
    let out = p.run(&["roots"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        vec![
            "terraform/accounts/111111111111/prod\taccounts: 111111111111\tregions: eu-west-1",
            "terraform/accounts/222222222222/prod\taccounts: 222222222222\tregions: ?,us-east-1",
            "skipped terraform/accounts/222222222222/legacy: decommissioned, kept for the audit",
        ],
        "{}",
        out.stdout
    );
    // `check` reads those roots (the module's zone through the root that calls it): no error.
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json()["errors"], serde_json::json!([]));
}

#[test]
fn a_glob_that_reaches_no_root_is_an_error() {
    let p = fleet();
    p.file(
        "drift.toml",
        "live = \"live.json\"\n[terraform]\nroots = [\"stacks/**\"]\n",
    );
    let out = p.run(&["roots"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("stacks/**") && out.stderr.contains("reaches no Terraform root"),
        "{}",
        out.stderr
    );
    p.file(
        "drift.toml",
        "live = \"live.json\"\n[terraform]\nroots = [\"terraform/**\"]\n[[terraform.skip]]\npath = \"x\"\nreason = \" \"\n",
    );
    let out = p.run(&["roots"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("has no reason"), "{}", out.stderr);
}

#[test]
fn the_bundled_example_has_one_root() {
    let p = crate::support::seed_copy();
    let cfg = std::fs::read_to_string(p.path().join("drift.toml")).unwrap();
    p.file(
        "drift.toml",
        &cfg.replace(
            "roots = [\"desired/terraform/prod/foundation\"]",
            "roots = [\"desired/**\"]",
        ),
    );
    let out = p.run(&["roots"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        vec!["desired/terraform/prod/foundation\taccounts: -\tregions: ?"]
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.json()["summary"]["changed"], 1);
}
