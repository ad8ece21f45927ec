//! The deployment files, checked as far as this machine allows (it has no Docker daemon, no
//! cluster and no Actions runner): the Dockerfile is multi-stage, cross-compiles on the
//! builder's platform for the TARGETARCH it passes and names no architecture; the Kubernetes
//! CronJob and the GitHub workflow parse and wire what the README says they do.

use crate::support::repo;

fn yaml_docs(rel: &str) -> Vec<serde_yaml_ng::Value> {
    let text = std::fs::read_to_string(repo().join(rel)).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{rel}: {e}")))
        .collect()
}

/// The image cross-compiles: the build stage runs on the builder's platform and builds for
/// the TARGETARCH buildx passes (through `deploy/docker/cross-build`); the runtime stage is the
/// target's. No architecture is named in the Dockerfile.
#[test]
fn the_dockerfile_cross_compiles_from_the_build_platform() {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "multi-stage: {froms:?}");
    assert!(
        froms[0].starts_with("FROM --platform=$BUILDPLATFORM ") && froms[0].ends_with(" AS build"),
        "the build stage runs on the builder's platform: {}",
        froms[0]
    );
    assert!(
        !froms[1].contains("rust"),
        "the runtime image has no toolchain"
    );
    assert!(
        !froms[1].contains("--platform"),
        "the runtime stage is the target's platform"
    );
    assert!(text.contains("ARG TARGETARCH"));
    assert!(text.contains("deploy/docker/cross-build \"$TARGETARCH\" /usr/local/bin/drift"));
    for arch in ["amd64", "arm64", "x86_64", "aarch64"] {
        let hard = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .any(|l| l.contains(arch));
        assert!(!hard, "the Dockerfile names {arch}");
    }
    assert!(text.contains("USER 65532"), "runs as non-root");
}

/// The mapping from Docker's TARGETARCH to the Rust target, the cross linker and its Debian
/// packages, run for real; on this machine amd64 is the native path and arm64 the cross one.
#[test]
fn cross_build_maps_each_docker_architecture_to_its_rust_target_and_linker() {
    let script = repo().join("deploy/docker/cross-build");
    let run = |arch: &str| {
        let o = std::process::Command::new(&script)
            .args([arch, "--print"])
            .output()
            .expect("run cross-build");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).trim().to_string(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let host = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .expect("rustc");
    for (arch, target, linker, packages) in [
        (
            "amd64",
            "x86_64-unknown-linux-gnu",
            "x86_64-linux-gnu-gcc",
            "gcc-x86-64-linux-gnu libc6-dev-amd64-cross",
        ),
        (
            "arm64",
            "aarch64-unknown-linux-gnu",
            "aarch64-linux-gnu-gcc",
            "gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
        ),
    ] {
        let native = if host.contains(&format!("host: {target}")) {
            "yes"
        } else {
            "no"
        };
        let (code, out, err) = run(arch);
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(
            out,
            format!("target={target} linker={linker} packages={packages} native={native}")
        );
    }
    let (code, _, err) = run("riscv64");
    assert_eq!(code, Some(1));
    assert!(
        err.contains("TARGETARCH 'riscv64' is not supported"),
        "{err}"
    );
    // The script is POSIX sh (the rust image's /bin/sh is dash).
    let syntax = std::process::Command::new("sh")
        .arg("-n")
        .arg(&script)
        .status()
        .expect("sh");
    assert!(syntax.success());
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

/// The CronJob's script run for real with `drift` and `curl` stand-ins on PATH (this machine
/// has no cluster): exit 0 and 2 are a successful night, exit 1 fails the job — and the report
/// is posted every time.
#[test]
fn the_cronjob_fails_the_job_when_drift_fails_and_posts_the_report_each_time() {
    use std::os::unix::fs::PermissionsExt;
    let docs = yaml_docs("deploy/kubernetes/cronjob.yaml");
    let cron = docs.iter().find(|d| d["kind"] == "CronJob").unwrap();
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["containers"][0]["command"][0], "/bin/sh");
    let script = pod["containers"][0]["args"][0].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let stub = |name: &str, body: &str| {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    stub(
        "drift",
        r##"if [ "$1" = check ]; then echo "# drift report"; exit "$DRIFT_EXIT"; fi; exit 0"##,
    );
    stub(
        "curl",
        r#"cat >/dev/null; echo posted >> "$POSTED"; exit 0"#,
    );
    let posted = dir.path().join("posted");
    for (drift_exit, job_ok) in [(0, true), (2, true), (1, false), (3, false)] {
        let _ = std::fs::remove_file(&posted);
        let status = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("TMPDIR", dir.path())
            .env("DRIFT_EXIT", drift_exit.to_string())
            .env("POSTED", &posted)
            .env("REPORT_WEBHOOK_URL", "http://127.0.0.1:9/hook")
            .status()
            .unwrap();
        assert_eq!(status.success(), job_ok, "drift exit {drift_exit}");
        assert!(
            posted.exists(),
            "drift exit {drift_exit}: report not posted"
        );
    }
}

/// The workflow runs where its annotations can appear (pull requests), gates with the state
/// and `--before-apply` (a resource the pull request adds is not a reason to stop its own
/// apply), reads the state with a role of its own, uses the read-only role for drift only,
/// and applies with a separate role, only after the gate, only on main.
#[test]
fn the_workflow_gates_terraform_apply_on_drift() {
    let docs = yaml_docs("docs/examples/github-workflow.yml");
    let wf = &docs[0];
    assert!(
        wf["on"]["pull_request"].is_mapping(),
        "runs on pull requests"
    );
    let run = |s: &serde_yaml_ng::Value| s["run"].as_str().unwrap_or_default().to_string();
    let role = |s: &serde_yaml_ng::Value| {
        s["with"]["role-to-assume"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    // The role in force at step i: the last credentials step before it.
    let role_at = |steps: &[serde_yaml_ng::Value], i: usize| {
        steps[..i]
            .iter()
            .rev()
            .map(role)
            .find(|r| !r.is_empty())
            .unwrap_or_default()
    };

    let gate_steps = wf["jobs"]["drift"]["steps"].as_sequence().unwrap();
    let pull = gate_steps
        .iter()
        .position(|s| run(s).contains("terraform state pull"))
        .expect("the state is pulled");
    let checks: Vec<usize> = (0..gate_steps.len())
        .filter(|&i| run(&gate_steps[i]).contains("drift check"))
        .collect();
    assert!(!checks.is_empty());
    let drift_role = role_at(gate_steps, checks[0]);
    assert!(drift_role.ends_with("role/drift-read-only"), "{drift_role}");
    let state_role = role_at(gate_steps, pull);
    assert_ne!(state_role, drift_role, "the state is read by its own role");
    for &i in &checks {
        let step = &gate_steps[i];
        let cmd = run(step);
        assert!(pull < i, "the state is pulled before drift runs");
        assert!(cmd.contains("--before-apply"), "{cmd}");
        assert!(cmd.contains("--state"), "{cmd}");
        assert!(!cmd.contains("--fail-on"), "{cmd}");
        assert_eq!(role_at(gate_steps, i), drift_role);
        // Annotations only where a pull request can show them.
        if cmd.contains("--format github") {
            assert_eq!(
                step["if"].as_str(),
                Some("github.event_name == 'pull_request'"),
                "{cmd}"
            );
        }
    }

    let apply_job = &wf["jobs"]["apply"];
    assert_eq!(apply_job["needs"], "drift", "apply waits for the gate");
    let cond = apply_job["if"].as_str().unwrap_or_default();
    assert!(cond.contains("github.event_name == 'push'"), "{cond}");
    let steps = apply_job["steps"].as_sequence().unwrap();
    let apply = steps
        .iter()
        .position(|s| run(s).contains("terraform apply"))
        .expect("a terraform apply step");
    let apply_role = role_at(steps, apply);
    assert!(!apply_role.is_empty());
    assert_ne!(
        apply_role, drift_role,
        "never applies with drift's read-only role"
    );
    assert!(
        !steps.iter().any(|s| run(s).contains("drift check")),
        "drift never runs with the apply role"
    );
}
