//! The new-service checklist through the real binary: the services manifest against Helm
//! values, Argo CD Applications and the CI pipeline's service list, with the YAML real
//! repositories hold (anchors and merge keys, multi-document files, a value set by a
//! template, `env` as a list or a map, multi-source Applications), and what a broken file does.

use crate::support::Project;

const RDS: &str = r#""rds": {"instances": [{"identifier": "main", "engine": "postgres", "status": "available",
  "databases": [{"datname": "a_db", "datistemplate": false}, {"datname": "b_db", "datistemplate": false},
                {"datname": "d_db", "datistemplate": false}, {"datname": "e_db", "datistemplate": false}]}]}"#;

const MANIFEST: &str = r#"rds_instance: main
checklist:
  helm:
    values: ["charts/{service}/values.yaml", "charts/{service}/values-prod.yaml"]
  argocd:
    apps: "apps/*.yaml"
    path: "charts/{service}"
    values_file: values-prod.yaml
    namespace: prod
  ci:
    file: ci.yaml
    services_at: "jobs.build.strategy.matrix.service"
services:
  - name: a
  - name: b
  - name: c
  - name: d
    skip:
      ci_pipeline: "built by the data team's pipeline"
  - name: e
"#;

fn project() -> Project {
    let p = Project::new();
    p.config("[manifest]\npath = \"services.yaml\"\n")
        .snapshot(RDS)
        .file(
            "tf/main.tf",
            "resource \"aws_db_instance\" \"main\" {\n  identifier = \"main\"\n  engine     = \"postgres\"\n}\n",
        )
        .file("services.yaml", MANIFEST)
        // a: in sync, env as a map in the prod file.
        .file("charts/a/values.yaml", "env:\n  LOG: info\n")
        .file("charts/a/values-prod.yaml", "env:\n  DB_NAME: a_db\n")
        // b: the default says b_db, the prod file overrides it with another database.
        .file(
            "charts/b/values.yaml",
            "env:\n  - name: DB_NAME\n    value: b_db\n",
        )
        .file(
            "charts/b/values-prod.yaml",
            "replicas: 2\nenv:\n  - name: LOG\n    value: warn\n  - name: DB_NAME\n    value: shared_db\n",
        )
        // d: set by a template.
        .file(
            "charts/d/values-prod.yaml",
            "env:\n  DB_NAME: \"{{ .Values.global.db }}\"\n",
        )
        // e: through an anchor and a merge key.
        .file(
            "charts/e/values-prod.yaml",
            "common: &common\n  DB_NAME: e_db\nenv:\n  <<: *common\n  LOG: info\n",
        )
        .file(
            "apps/prod.yaml",
            r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: a
spec:
  source:
    path: charts/a
    helm:
      valueFiles: [values-prod.yaml]
  destination:
    namespace: prod
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: b
spec:
  source:
    path: charts/b
    helm:
      valueFiles: [values-prod.yaml]
  destination:
    namespace: staging
"#,
        )
        .file(
            "apps/more.yaml",
            r#"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: d
spec:
  sources:
    - repoURL: https://charts.example.com
      path: charts/d
      helm:
        valueFiles: ["$values/charts/d/values-prod.yaml"]
  destination:
    namespace: prod
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: e
spec:
  source:
    path: charts/e
    helm:
      valueFiles: [values-prod.yaml]
  destination:
    namespace: prod
"#,
        )
        .file(
            "ci.yaml",
            "on: push\njobs:\n  build:\n    strategy:\n      matrix:\n        service:\n          - a\n          - b\n          - e\n    steps: []\n",
        );
    p
}

#[test]
fn each_item_left_undone_is_a_finding_at_its_file_and_line() {
    let p = project();
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    let lines: Vec<String> = crate::support::finding_lines(&j)
        .into_iter()
        .filter(|l| l.contains("service_checklist"))
        .collect();
    assert_eq!(
        lines,
        vec![
            "changed service_checklist b/argocd_app",
            "changed service_checklist b/helm_values",
            "missing service_checklist c/argocd_app",
            "missing service_checklist c/ci_pipeline",
            "missing service_checklist c/helm_values",
            "not_checked service_checklist d/helm_values",
        ],
        "{}",
        out.stdout
    );
    let get = |id: &str| {
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    };
    // The prod file's value wins over the chart's default, at the line it is set.
    let b = get("b/helm_values");
    assert_eq!(b["source"]["file"], "charts/b/values-prod.yaml");
    assert_eq!(b["source"]["line"], 5, "{b}");
    assert_eq!(b["changes"][0]["desired"], "b_db");
    assert_eq!(b["changes"][0]["live"], "shared_db");
    let app = get("b/argocd_app");
    assert_eq!(app["source"]["file"], "apps/prod.yaml");
    assert_eq!(app["source"]["line"], 21, "{app}");
    assert_eq!(app["changes"][0]["path"], "spec.destination.namespace");
    let c = get("c/ci_pipeline");
    assert_eq!(c["source"]["file"], "ci.yaml");
    assert_eq!(c["source"]["line"], 6, "{c}");
    assert!(c["hints"][0].as_str().unwrap().contains("add it"));
    let c = get("c/helm_values");
    assert_eq!(c["source"]["file"], "services.yaml");
    assert_eq!(c["source"]["line"], 16, "{c}");
    assert!(
        get("d/helm_values")["reason"]
            .as_str()
            .unwrap()
            .contains("template")
    );
    // The table: d opted out of CI, c's database is missing live too.
    let rows = j["checklist"].as_array().expect("checklist table");
    let row = |s: &str| rows.iter().find(|r| r["service"] == s).unwrap()["items"].clone();
    assert_eq!(
        row("a"),
        serde_json::json!({"database": "in_sync", "secret": "not_configured", "helm_values": "in_sync", "argocd_app": "in_sync", "ci_pipeline": "in_sync"})
    );
    assert_eq!(row("c")["database"], "missing");
    assert_eq!(row("d")["ci_pipeline"], "opted_out");
    assert_eq!(row("e")["helm_values"], "in_sync");
    assert_eq!(row("e")["argocd_app"], "in_sync");
    crate::scenarios::pin_rule(&p, "checklist", &out);
    let md = p.run(&["check", "--format", "markdown"]);
    assert!(
        md.stdout
            .contains("| `c` | missing | — | missing | missing | missing |"),
        "{}",
        md.stdout
    );
}

/// A broken file is an error that names it and where, costs its item, and never turns into
/// "missing"; the other items are still checked.
#[test]
fn a_broken_or_absent_file_is_an_error_not_a_missing_item() {
    let p = project();
    p.file("charts/a/values-prod.yaml", "env:\n  DB_NAME: [unclosed\n");
    std::fs::remove_file(p.path().join("ci.yaml")).unwrap();
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    let errors = j["errors"].to_string();
    assert!(errors.contains("charts/a/values-prod.yaml:"), "{errors}");
    assert!(errors.contains("ci.yaml does not exist"), "{errors}");
    let lines = crate::support::finding_lines(&j);
    assert!(
        !lines.iter().any(|l| l.contains("ci_pipeline")),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("a/helm_values")),
        "{lines:?}"
    );
    assert!(lines.contains(&"missing service_checklist c/argocd_app".to_string()));
    let rows = j["checklist"].as_array().unwrap();
    assert_eq!(rows[0]["items"]["helm_values"], "error");
    assert_eq!(rows[0]["items"]["ci_pipeline"], "error");
}

/// `skip` names only the checklist's items; a typo is an error at its line.
#[test]
fn skip_names_only_checklist_items() {
    let p = project();
    p.file(
        "services.yaml",
        &MANIFEST.replace("ci_pipeline: \"built", "ci_pipline: \"built"),
    );
    let out = p.run(&["check"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("services.yaml:17") && out.stderr.contains("ci_pipline"),
        "{}",
        out.stderr
    );
}

/// `--patch` writes what is pure text: the service into the CI list (from the entry above
/// it), the database name where the values file has another one, the entry where the file's
/// `env` lacks it; it never creates files, secrets or Applications, and says why. Applied,
/// those items are in sync.
#[test]
fn the_patch_writes_the_ci_list_and_the_database_key_and_converges() {
    let p = project();
    // f: a prod values file whose env list lacks DB_NAME.
    p.file(
        "services.yaml",
        &MANIFEST.replace("  - name: e\n", "  - name: e\n  - name: f\n    skip: {database: \"new\", argocd_app: \"new\", ci_pipeline: \"new\"}\n"),
    )
    .file(
        "charts/f/values-prod.yaml",
        "env:\n  - name: LOG\n    value: warn\nreplicas: 1\n",
    );
    let out = p.run(&["check", "--patch", "fix.patch"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let patch = std::fs::read_to_string(p.path().join("fix.patch")).unwrap();
    assert!(
        patch.contains("+          - c\n"),
        "{patch}\n{}",
        out.stderr
    );
    assert!(
        patch.contains("-    value: shared_db\n+    value: b_db\n"),
        "{patch}"
    );
    assert!(
        patch.contains("+  - name: DB_NAME\n+    value: f_db\n"),
        "{patch}"
    );
    assert!(
        out.stderr.contains("c/helm_values") && out.stderr.contains("create one by hand"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("c/argocd_app") && out.stderr.contains("never creates or edits"),
        "{}",
        out.stderr
    );
    let applied = std::process::Command::new("git")
        .args(["apply", "fix.patch"])
        .current_dir(p.path())
        .output()
        .expect("git apply");
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let j = p.run(&["check", "--format", "json"]).json();
    let lines: Vec<String> = crate::support::finding_lines(&j)
        .into_iter()
        .filter(|l| l.contains("service_checklist"))
        .collect();
    assert_eq!(
        lines,
        vec![
            "changed service_checklist b/argocd_app",
            "missing service_checklist c/argocd_app",
            "missing service_checklist c/helm_values",
            "not_checked service_checklist d/helm_values",
        ]
    );
}

/// The bundled example: ops-service, the service the log's team forgot, is missing on all five
/// items, each at its file:line with its fix; a service whose secret names another database
/// is one finding more; a CI list kept as a JSON file the workflow reads works as well.
#[test]
fn the_bundled_example_reports_the_forgotten_service_on_every_item() {
    let p = crate::support::seed_copy();
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let j = out.json();
    let ops: Vec<(String, String, String)> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"].as_str().unwrap().contains("ops"))
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                format!(
                    "{}:{}",
                    f["source"]["file"].as_str().unwrap(),
                    f["source"]["line"]
                ),
                format!(
                    "{}{}",
                    f["remediation"].as_str().unwrap_or_default(),
                    f["hints"]
                ),
            )
        })
        .collect();
    let ids: Vec<&str> = ops.iter().map(|o| o.0.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "wealist-prod/ops_db",
            "ops-service/secret",
            "ops-service/helm_values",
            "ops-service/argocd_app",
            "ops-service/ci_pipeline",
        ]
    );
    for (id, at, fix) in &ops {
        assert!(at.contains(".yaml:"), "{id} has no file:line: {at}");
        assert!(fix.len() > 10, "{id} has no fix: {fix}");
    }
    let row = &j["checklist"].as_array().unwrap()[6];
    assert_eq!(row["service"], "ops-service");
    for item in [
        "database",
        "secret",
        "helm_values",
        "argocd_app",
        "ci_pipeline",
    ] {
        assert_eq!(row["items"][item], "missing", "{item}");
    }
    // `--only secret`: the checklist alone; `--only kms`: no checklist.
    let only = p
        .run(&["check", "--only", "secret", "--format", "json"])
        .json();
    let kinds: std::collections::BTreeSet<&str> = only["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["service_checklist"].into_iter().collect());
    assert_eq!(only["checklist"][6]["items"]["database"], "not_checked");
    assert_eq!(only["checklist"][6]["items"]["secret"], "missing");
    let kms = p
        .run(&["check", "--only", "kms", "--format", "json"])
        .json();
    assert!(kms.get("checklist").is_none(), "{kms}");

    // board-service's secret now names chat_db: one finding more, on the database.
    let snap = std::fs::read_to_string(p.path().join("snapshots/wealist-prod.json")).unwrap();
    let snap = snap.replacen("\"database\": \"board_db\"", "\"database\": \"chat_db\"", 1);
    p.file("snapshots/wealist-prod.json", &snap);
    let j = p.run(&["check", "--format", "json"]).json();
    let board: Vec<&serde_json::Value> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"].as_str().unwrap().starts_with("board-service/"))
        .collect();
    assert_eq!(board.len(), 1, "{board:?}");
    assert_eq!(board[0]["id"], "board-service/secret");
    assert_eq!(board[0]["changes"][0]["path"], "DATABASE_URL.database");
    assert_eq!(board[0]["changes"][0]["live"], "chat_db");

    // The CI list as a JSON file of services: ops-service is still the one missing.
    p.file(
        "desired/ci/services.json",
        r#"["board-service", "chat-service", "noti-service", "storage-service", "user-service", "video-service"]"#,
    );
    let manifest = std::fs::read_to_string(p.path().join("desired/services.yaml")).unwrap();
    let manifest = manifest
        .replace("file: ci/ci-build-images.yaml", "file: ci/services.json")
        .replace(
            "    services_at: \"jobs.detect-changes.steps[1].with.filters\"\n",
            "",
        );
    p.file("desired/services.yaml", &manifest);
    let j = p.run(&["check", "--format", "json"]).json();
    let ci: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"].as_str().unwrap().ends_with("/ci_pipeline"))
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ci, vec!["ops-service/ci_pipeline"], "{j}");
}

/// Secrets configured, but the snapshot was captured without them: an error (one for all the
/// services, beside the snapshot's own), never five "missing" secrets; the files are still
/// checked.
#[test]
fn secrets_not_read_are_an_error_not_missing() {
    let p = project();
    p.file(
        "services.yaml",
        &MANIFEST.replace(
            "checklist:\n",
            "checklist:\n  secret:\n    name: \"prod/{service}\"\n",
        ),
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let j = out.json();
    let errors: Vec<String> = j["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .filter(|m| m.contains("secret"))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let lines = crate::support::finding_lines(&j);
    assert!(!lines.iter().any(|l| l.ends_with("/secret")), "{lines:?}");
    assert!(lines.contains(&"missing service_checklist c/ci_pipeline".to_string()));
    assert_eq!(j["checklist"][0]["items"]["secret"], "error");
}

/// The repository's files are input nobody here wrote: an alias bomb, a FIFO and a value
/// carrying terminal escapes and GitHub workflow commands cost their item, never the run, and
/// never reach a terminal or a CI log as commands.
#[test]
fn hostile_checklist_files_cost_their_item_and_inject_nothing() {
    let p = project();
    // a: a billion-laughs alias bomb.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            std::iter::repeat_n(prev.as_str(), 10)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    bomb.push_str("env:\n  DB_NAME: a_db\n");
    p.file("charts/a/values-prod.yaml", &bomb);
    // b: a value with an escape sequence and a workflow command after a line break.
    p.file(
        "charts/b/values-prod.yaml",
        "env:\n  DB_NAME: \"evil\\e[31m\\n::error file=x::pwned\\n::add-mask::x\"\n",
    );
    // e: a FIFO where the values file should be.
    let fifo = p.path().join("charts/e/values-prod.yaml");
    std::fs::remove_file(&fifo).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let started = std::time::Instant::now();
    let out = p.run(&["check", "--format", "github"]);
    assert!(
        started.elapsed().as_secs() < 60,
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    for line in out.stdout.lines() {
        assert!(!line.starts_with("::add-mask"), "{line}");
        assert!(!line.starts_with("::error file=x"), "{line}");
        assert!(!line.contains('\u{1b}'), "{line:?}");
    }
    assert!(
        out.stdout.contains("pwned"),
        "the value is shown, escaped: {}",
        out.stdout
    );
    let j = p.run(&["check", "--format", "json"]).json();
    let errors = j["errors"].to_string();
    assert!(errors.contains("charts/e/values-prod.yaml"), "{errors}");
    assert!(errors.contains("charts/a/values-prod.yaml"), "{errors}");
    let rows = j["checklist"].as_array().unwrap();
    assert_eq!(rows[0]["items"]["helm_values"], "error");
    assert_eq!(rows[1]["items"]["helm_values"], "differs");
    assert_eq!(rows[4]["items"]["helm_values"], "error");
    let human = p.run(&["check", "--color", "never"]);
    assert!(!human.stdout.contains('\u{1b}'), "{:?}", human.stdout);
}

/// A service name that is not a plain YAML value is never written into a workflow: the patch
/// refuses it, so nothing from the manifest can add a step or a key to the pipeline.
#[test]
fn the_patch_writes_only_plain_names() {
    let p = project();
    p.file(
        "services.yaml",
        &MANIFEST.replace(
            "  - name: c\n",
            "  - name: \"c\\n    steps: [{run: curl evil}]\"\n    database: c_db\n    skip: {database: \"x\", helm_values: \"x\", argocd_app: \"x\"}\n",
        ),
    );
    let out = p.run(&["check", "--patch", "fix.patch"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("not a plain YAML value"),
        "{}",
        out.stderr
    );
    let patch = std::fs::read_to_string(p.path().join("fix.patch")).unwrap_or_default();
    assert!(!patch.contains("curl"), "{patch}");
}
