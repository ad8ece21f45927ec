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

/// A directory with stand-ins on PATH for the fleet scripts: `drift` is the real binary reading
/// the bundled example's snapshot instead of AWS (and crashing, exit 101, as the shard
/// `FAIL_SHARD` names), `curl` records what it posts.
struct Stand {
    dir: tempfile::TempDir,
    work: crate::support::Project,
}

impl Stand {
    fn new() -> Stand {
        use std::os::unix::fs::PermissionsExt;
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
            &format!(
                r#"if [ "$1" = check ] && [ -n "$FAIL_SHARD" ]; then
  case " $* " in *" $FAIL_SHARD/"*) echo "stand-in crash" >&2; exit 101 ;; esac
fi
set -- $(echo "$@" | sed 's/--live aws/--live snapshots\/wealist-prod.json/')
exec "{}" "$@""#,
                env!("CARGO_BIN_EXE_drift")
            ),
        );
        stub(
            "curl",
            r#"cat >/dev/null; echo posted >> "$POSTED"; exit 0"#,
        );
        Stand {
            dir,
            work: crate::support::seed_copy(),
        }
    }

    /// Runs `script` with `sh -c` in the example's copy.
    fn run(&self, script: &str, env: &[(&str, String)]) -> std::process::Output {
        self.command(script, env).output().unwrap()
    }

    /// `sh -c script` in the example's copy, with the stand-ins first on PATH.
    fn command(&self, script: &str, env: &[(&str, String)]) -> std::process::Command {
        let mut cmd = std::process::Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(script)
            .current_dir(self.work.path())
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.dir.path().join("bin").display()),
            )
            .env("TMPDIR", self.dir.path())
            .env("POSTED", self.dir.path().join("posted"))
            .env("REPORT_WEBHOOK_URL", "http://127.0.0.1:9/hook")
            .env_remove("FAIL_SHARD");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }
}

/// The fleet's Indexed Job: each index below SHARDS runs its shard (index 0 is shard 1/N),
/// the last index waits for every shard's end and then merges; one shard that crashes fails
/// the merge, which names it and still posts the report of the others.
#[test]
fn the_fleet_job_runs_a_shard_per_index_and_merges_after_all_of_them() {
    let docs = yaml_docs("deploy/kubernetes/fleet.yaml");
    let cron = docs.iter().find(|d| d["kind"] == "CronJob").unwrap();
    let job = &cron["spec"]["jobTemplate"]["spec"];
    assert_eq!(job["completionMode"], "Indexed");
    let pod = &job["template"]["spec"];
    let env = &pod["containers"][0]["env"];
    let shards: u64 = env
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "SHARDS")
        .and_then(|e| e["value"].as_str())
        .and_then(|v| v.parse().ok())
        .expect("SHARDS");
    assert_eq!(
        job["completions"].as_u64(),
        Some(shards + 1),
        "one more index merges"
    );
    assert_eq!(job["parallelism"].as_u64(), Some(shards + 1));
    let job_name = env
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "JOB_NAME")
        .expect("JOB_NAME");
    assert_eq!(
        job_name["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.labels['batch.kubernetes.io/job-name']"
    );
    let script = pod["containers"][0]["args"][0].as_str().unwrap();
    let stand = Stand::new();
    let reports = stand.dir.path().join("reports");
    let base = |index: u64, night: &str| {
        vec![
            ("SHARDS", shards.to_string()),
            ("REPORTS", reports.display().to_string()),
            ("JOB_NAME", night.to_string()),
            ("JOB_COMPLETION_INDEX", index.to_string()),
            ("MERGE_POLL_SECS", "1".to_string()),
        ]
    };
    // Night 1: the merging index starts first and waits; the shards run; it merges them all.
    let night = "drift-fleet-1";
    let mut env = base(shards, night);
    env.push(("MERGE_WAIT_SECS", "120".to_string()));
    let merger = stand
        .command(script, &env)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    for i in 0..shards {
        let out = stand.run(script, &base(i, night));
        assert!(
            out.status.success(),
            "index {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(
            &std::fs::read(reports.join(night).join(format!("shard-{}.json", i + 1))).unwrap(),
        )
        .unwrap();
        assert_eq!(
            report["shard"]["index"],
            i + 1,
            "index {i} is shard {}/{shards}",
            i + 1
        );
        assert_eq!(report["shard"]["count"], shards);
    }
    let merged = merger.wait_with_output().unwrap();
    assert!(
        merged.status.success(),
        "drift found is a successful night: {}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert!(stand.dir.path().join("posted").exists());
    let history: Vec<_> = std::fs::read_dir(reports.join("history"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .collect();
    assert_eq!(history.len(), 1, "the merged report is kept");
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(history[0].path()).unwrap()).unwrap();
    let single = crate::support::run_in(stand.work.path(), &["check", "--format", "json"]).json();
    assert_eq!(
        crate::support::finding_lines(&kept),
        crate::support::finding_lines(&single),
        "the merged report has what one process finds"
    );

    // Night 2: shard 1 crashes. Its index fails, the merge fails and names it.
    let night = "drift-fleet-2";
    let _ = std::fs::remove_file(stand.dir.path().join("posted"));
    for i in 0..shards {
        let mut env = base(i, night);
        env.push(("FAIL_SHARD", "1".to_string()));
        let out = stand.run(script, &env);
        assert_eq!(out.status.success(), i != 0, "index {i}");
    }
    let mut env = base(shards, night);
    env.push(("MERGE_WAIT_SECS", "5".to_string()));
    let out = stand.run(script, &env);
    assert!(!out.status.success(), "a crashed shard fails the night");
    assert!(
        stand.dir.path().join("posted").exists(),
        "the report is posted all the same"
    );
    let report = std::fs::read_to_string(stand.dir.path().join("report.md")).unwrap();
    assert!(report.contains(&format!("shard 1/{shards}")), "{report}");

    // Night 3: a shard never ends (its pod was lost): the merge waits out its deadline only.
    let night = "drift-fleet-3";
    for i in 1..shards {
        assert!(stand.run(script, &base(i, night)).status.success());
    }
    let mut env = base(shards, night);
    env.push(("MERGE_WAIT_SECS", "2".to_string()));
    let out = stand.run(script, &env);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not every shard finished in time"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The GitHub matrix: one job per shard 1..N (`--shard K/N`), each uploading its report even
/// when it fails; the merge job needs them all, runs even after a failure, and fails naming a
/// shard that did not report. The shard and merge scripts run for real with the stand-ins.
#[test]
fn the_github_matrix_shards_and_merges_after_every_shard() {
    let docs = yaml_docs("docs/examples/github-fleet.yml");
    let wf = &docs[0];
    let shards = wf["env"]["SHARDS"].as_u64().expect("SHARDS");
    let job = &wf["jobs"]["shard"];
    assert_eq!(job["strategy"]["fail-fast"], false);
    let matrix: Vec<u64> = job["strategy"]["matrix"]["shard"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_u64())
        .collect();
    assert_eq!(matrix, (1..=shards).collect::<Vec<_>>());
    let steps = job["steps"].as_sequence().unwrap();
    let check = steps
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("drift check")))
        .unwrap();
    let check_script = check["run"].as_str().unwrap();
    assert!(
        check_script.contains("--shard \"$k/$SHARDS\""),
        "{check_script}"
    );
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact"))
        })
        .unwrap();
    assert_eq!(
        upload["if"], "always()",
        "a failed shard still uploads what it wrote"
    );
    let merge = &wf["jobs"]["merge"];
    assert_eq!(merge["needs"], "shard");
    assert_eq!(merge["if"], "always()");
    let download = merge["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/download-artifact"))
        })
        .unwrap();
    assert_eq!(download["with"]["pattern"], "drift-shard-*");
    assert!(
        upload["with"]["name"]
            .as_str()
            .unwrap()
            .starts_with("drift-shard-")
    );
    let merge_script = merge["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find_map(|s| s["run"].as_str().filter(|r| r.contains("drift merge")))
        .unwrap();

    let stand = Stand::new();
    let summary = stand.dir.path().join("summary.md");
    let run_shards = |fail: Option<u64>| {
        let _ = std::fs::remove_dir_all(stand.work.path().join("reports"));
        std::fs::create_dir_all(stand.work.path().join("reports")).unwrap();
        for k in 1..=shards {
            let script = check_script.replace("${{ matrix.shard }}", &k.to_string());
            let mut env = vec![("SHARDS", shards.to_string())];
            if let Some(f) = fail {
                env.push(("FAIL_SHARD", f.to_string()));
            }
            let out = stand.run(&script, &env);
            assert_eq!(out.status.success(), fail != Some(k), "shard {k}");
            // The artifact step: what the shard wrote goes to the merge job.
            let written = stand.work.path().join(format!("shard-{k}.json"));
            if written.exists() {
                std::fs::rename(
                    &written,
                    stand
                        .work
                        .path()
                        .join("reports")
                        .join(format!("shard-{k}.json")),
                )
                .unwrap();
            }
        }
    };
    run_shards(None);
    let out = stand.run(
        merge_script,
        &[("GITHUB_STEP_SUMMARY", summary.display().to_string())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.contains("ops_db"), "{text}");

    run_shards(Some(1));
    let out = stand.run(
        merge_script,
        &[("GITHUB_STEP_SUMMARY", summary.display().to_string())],
    );
    assert!(
        !out.status.success(),
        "a shard without a report fails the merge"
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.contains(&format!("shard 1/{shards}")), "{text}");
}
