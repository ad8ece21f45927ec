//! The deployment files, checked as far as this machine allows (it has no Docker daemon, no
//! cluster and no Actions runner): the Dockerfile is multi-stage, builds for the TARGETARCH the
//! builder passes and names no architecture; the Kubernetes CronJob and the GitHub workflow
//! parse and wire what the README says they do.

use crate::support::repo;

fn yaml_docs(rel: &str) -> Vec<serde_yaml_ng::Value> {
    let text = std::fs::read_to_string(repo().join(rel)).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{rel}: {e}")))
        .collect()
}

#[test]
fn the_dockerfile_builds_for_the_target_architecture_only() {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "multi-stage: {froms:?}");
    assert!(froms[0].contains(" AS build"));
    assert!(
        !froms[1].contains("rust"),
        "the runtime image has no toolchain"
    );
    assert!(text.contains("ARG TARGETARCH"));
    assert!(text.contains("cargo build --release --locked"));
    for arch in ["amd64", "arm64", "x86_64", "aarch64", "--platform="] {
        let hard = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .any(|l| l.contains(arch));
        assert!(!hard, "the Dockerfile names {arch}");
    }
    assert!(text.contains("USER 65532"), "runs as non-root");
}

#[test]
fn the_cronjob_runs_the_nightly_report_with_history_and_irsa() {
    let docs = yaml_docs("deploy/kubernetes/cronjob.yaml");
    let kind = |k: &str| docs.iter().find(|d| d["kind"] == k).cloned();
    let sa = kind("ServiceAccount").expect("a ServiceAccount");
    assert!(sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].is_string());
    let cron = kind("CronJob").expect("a CronJob");
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "drift");
    let script = pod["containers"][0]["args"][0].as_str().unwrap();
    assert!(script.contains("drift check --live aws --history /history --format markdown"));
    assert!(script.contains("drift report --history /history"));
    let mounts = serde_yaml_ng::to_string(&pod["containers"][0]["volumeMounts"]).unwrap();
    assert!(mounts.contains("/history"), "{mounts}");
    assert!(kind("PersistentVolumeClaim").is_some());
}

#[test]
fn the_workflow_gates_terraform_apply_on_drift() {
    let docs = yaml_docs("docs/examples/github-workflow.yml");
    let steps = docs[0]["jobs"]["apply"]["steps"].as_sequence().unwrap();
    let run = |s: &serde_yaml_ng::Value| s["run"].as_str().unwrap_or_default().to_string();
    let gate = steps
        .iter()
        .position(|s| run(s).contains("drift check") && run(s).contains("--fail-on"))
        .expect("a drift check step with --fail-on");
    let apply = steps
        .iter()
        .position(|s| run(s).contains("terraform apply"))
        .expect("a terraform apply step");
    assert!(gate < apply, "drift runs before terraform apply");
    assert!(run(&steps[gate]).contains("--format github"));
}
