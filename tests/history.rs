//! `check --history DIR` with fixed clocks (`DRIFT_NOW`): the first run's findings are all new;
//! a day later one is fixed (resolved since last run), one appears (new) and one drifts on
//! (first seen the first day); later still, an expired ignore gives its finding back with its
//! whole age, a stale ignore is reported, and the directory keeps only `[history] keep` runs.

use crate::support::{Project, seed_copy};

fn finding<'a>(j: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id}: {j}"))
}

/// The times of the stored runs (`2026-11-27T03-00-00.000000000Z`), oldest first; the rest of
/// a run file's name is the process and a counter.
fn stored(p: &Project) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(p.path().join("hist"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .map(|n| n[..n.find('Z').map_or(n.len(), |z| z + 1)].to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn history_tells_new_resolved_and_age() {
    let p = seed_copy();
    let check = ["check", "--history", "hist", "--format", "json"];

    // Day 1: everything is new.
    let out = p.run_at("2026-11-27T03:00:00Z", &check);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let j = out.json();
    for f in j["findings"].as_array().unwrap() {
        assert_eq!(f["new"], true, "{f}");
        assert_eq!(f["first_seen"], "2026-11-27T03:00:00Z", "{f}");
    }
    assert_eq!(j["resolved"], serde_json::json!([]));
    assert_eq!(stored(&p), vec!["2026-11-27T03-00-00.000000000Z"]);

    // Day 2: the hand-made `cdn` alias is gone, `www` has a new TTL.
    let path = p.path().join("snapshots/wealist-prod.json");
    let mut snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let records = snap["route53"]["zones"][0]["records"]
        .as_array_mut()
        .unwrap();
    records.retain(|r| r["Name"] != "cdn.wealist.co.kr.");
    for r in records.iter_mut() {
        if r["Name"] == "www.wealist.co.kr." {
            r["TTL"] = serde_json::json!(60);
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&snap).unwrap()).unwrap();
    let out = p.run_at("2026-11-28T03:00:00Z", &check);
    let j = out.json();
    let kms = finding(&j, "alias/wealist-prod-files");
    assert_eq!(kms["new"], false);
    assert_eq!(kms["first_seen"], "2026-11-27T03:00:00Z");
    let www = finding(&j, "www.wealist.co.kr/CNAME");
    assert_eq!(www["new"], true);
    assert_eq!(www["first_seen"], "2026-11-28T03:00:00Z");
    assert_eq!(
        j["resolved"],
        serde_json::json!([{"kind": "route53_record", "id": "cdn.wealist.co.kr/A", "status": "unmanaged"}])
    );
    let human = p.run_at(
        "2026-11-28T03:00:00Z",
        &["check", "--history", "hist", "--color", "never"],
    );
    assert!(
        human.stdout.contains("# drifting for 1 day"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("# new since last run"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains(
            "resolved since last run: route53_record \"cdn.wealist.co.kr/A\" (was unmanaged)"
        ),
        "{}",
        human.stdout
    );

    // Day 6: an ignore that expired on day 4 no longer hides the key policy, which has
    // drifted since day 1; a stale ignore is reported; only the newest two runs are kept.
    let cfg = std::fs::read_to_string(p.path().join("drift.toml")).unwrap();
    p.file(
        "drift.toml",
        &format!(
            "{cfg}\n[history]\nkeep = 2\n\n[[ignore]]\nkind = \"kms_key_policy\"\nid = \"alias/*\"\nreason = \"until the patch lands\"\nexpires = 2026-11-30\n\n[[ignore]]\nkind = \"route53_record\"\nid = \"old.*\"\nreason = \"retired\"\n"
        ),
    );
    let out = p.run_at("2026-12-03T03:00:00Z", &check);
    let j = out.json();
    let kms = finding(&j, "alias/wealist-prod-files");
    assert_eq!(kms["first_seen"], "2026-11-27T03:00:00Z", "{j}");
    let problems: Vec<&str> = j["ignore_notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["problem"].as_str().unwrap())
        .collect();
    assert_eq!(problems, vec!["expired", "stale"]);
    let md = p.run_at(
        "2026-12-03T04:00:00Z",
        &["check", "--history", "hist", "--format", "markdown"],
    );
    assert!(
        md.stdout.contains("Age: `drifting for 6 days`"),
        "{}",
        md.stdout
    );
    assert_eq!(
        stored(&p),
        vec![
            "2026-12-03T03-00-00.000000000Z",
            "2026-12-03T04-00-00.000000000Z"
        ]
    );
}

const CHECK: [&str; 5] = ["check", "--history", "hist", "--format", "json"];

/// Takes a section out of the bundled snapshot (as if that family's read had failed).
fn drop_section(p: &Project, section: &str) -> String {
    let path = p.path().join("snapshots/wealist-prod.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut snap: serde_json::Value = serde_json::from_str(&text).unwrap();
    snap.as_object_mut().unwrap().remove(section);
    std::fs::write(&path, serde_json::to_string_pretty(&snap).unwrap()).unwrap();
    text
}

fn ids(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_family_that_could_not_be_read_is_carried_forward_never_resolved() {
    let p = seed_copy();
    assert_eq!(p.run_at("2026-11-27T03:00:00Z", &CHECK).code, 2);

    // Night 2: the KMS read fails. The key policy finding is not resolved: it is carried
    // forward, with its first_seen, as not re-checked.
    let original = drop_section(&p, "kms");
    let out = p.run_at("2026-11-28T03:00:00Z", &CHECK);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let j = out.json();
    assert!(
        !ids(&j["resolved"]).contains(&"alias/wealist-prod-files".to_string()),
        "{j}"
    );
    let carried = &j["not_rechecked"][0];
    assert_eq!(carried["id"], "alias/wealist-prod-files", "{j}");
    assert_eq!(carried["first_seen"], "2026-11-27T03:00:00Z");
    assert_eq!(carried["why"], "the kms read failed");
    let human = p.run_at(
        "2026-11-28T03:00:00Z",
        &["check", "--history", "hist", "--color", "never"],
    );
    assert!(
        human.stdout.contains("not re-checked this run (the kms read failed): kms_key_policy \"alias/wealist-prod-files\" was changed (first seen 2026-11-27T03:00:00Z)"),
        "{}",
        human.stdout
    );

    // Night 3: KMS reads again; the finding goes on from night 1, not new.
    std::fs::write(p.path().join("snapshots/wealist-prod.json"), original).unwrap();
    let j = p.run_at("2026-11-29T03:00:00Z", &CHECK).json();
    let kms = finding(&j, "alias/wealist-prod-files");
    assert_eq!(kms["new"], false, "{j}");
    assert_eq!(kms["first_seen"], "2026-11-27T03:00:00Z", "{j}");
    assert_eq!(j["resolved"], serde_json::json!([]), "{j}");
}

#[test]
fn a_run_narrowed_by_only_resolves_nothing_it_did_not_look_at() {
    let p = seed_copy();
    assert_eq!(p.run_at("2026-11-27T03:00:00Z", &CHECK).code, 2);
    let out = p.run_at(
        "2026-11-28T03:00:00Z",
        &[
            "check",
            "--history",
            "hist",
            "--format",
            "json",
            "--only",
            "route53",
        ],
    );
    let j = out.json();
    assert_eq!(j["resolved"], serde_json::json!([]), "{j}");
    let mut carried = ids(&j["not_rechecked"]);
    carried.sort();
    assert_eq!(
        carried,
        vec![
            "alias/wealist-prod-files",
            "cloudfront_kms_decrypt/cdn.wealist.co.kr",
            "ops-service/argocd_app",
            "ops-service/ci_pipeline",
            "ops-service/helm_values",
            "ops-service/secret",
            "wealist-prod/ops_db"
        ],
        "{j}"
    );
    // The next full run: all still drifting since night 1.
    let j = p.run_at("2026-11-29T03:00:00Z", &CHECK).json();
    for id in [
        "alias/wealist-prod-files",
        "wealist-prod/ops_db",
        "ops-service/ci_pipeline",
    ] {
        assert_eq!(finding(&j, id)["first_seen"], "2026-11-27T03:00:00Z", "{j}");
        assert_eq!(finding(&j, id)["new"], false, "{j}");
    }
}

#[test]
fn run_files_that_are_not_reports_are_skipped_with_a_warning() {
    let p = seed_copy();
    assert_eq!(p.run_at("2026-11-27T03:00:00Z", &CHECK).code, 2);
    let bad = [
        ("2026-11-27T04-00-00Z-1-0.json", "[]"),
        ("2026-11-27T05-00-00Z-1-0.json", "{}"),
        ("2026-11-27T06-00-00Z-1-0.json", "42"),
        (
            "2026-11-27T07-00-00Z-1-0.json",
            r#"{"schema": "drift.report/v9", "findings": []}"#,
        ),
        ("2026-11-27T08-00-00Z-1-0.json", "{ not json"),
        ("2026-11-27T09-00-00Z-1-0.json", "\u{0}\u{1}binary"),
    ];
    for (name, text) in bad {
        p.file(&format!("hist/{name}"), text);
    }
    let out = p.run_at("2026-11-28T03:00:00Z", &CHECK);
    assert_eq!(out.code, 2, "{}", out.stderr);
    for (name, _) in bad {
        assert!(
            out.stderr
                .contains(&format!("history run hist/{name} skipped")),
            "{name}: {}",
            out.stderr
        );
    }
    // The last real run is night 1: nothing is new, nothing resolved.
    let j = out.json();
    for f in j["findings"].as_array().unwrap() {
        assert_eq!(f["new"], false, "{f}");
        assert_eq!(f["first_seen"], "2026-11-27T03:00:00Z", "{f}");
    }
    // The HTML page is still made from the good runs.
    let out = p.run(&["report", "--history", "hist", "-o", "r.html"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn concurrent_runs_each_keep_their_own_file_and_prune_without_failing() {
    let p = seed_copy();
    let cfg = std::fs::read_to_string(p.path().join("drift.toml")).unwrap();
    let run_together = |n: usize| -> Vec<crate::support::Output> {
        let children: Vec<std::process::Child> = (0..n)
            .map(|_| {
                crate::support::drift_command(p.path())
                    .env("DRIFT_NOW", "2026-11-27T03:00:00Z")
                    .args(CHECK)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        children
            .into_iter()
            .map(|c| crate::support::Output::from(c.wait_with_output().unwrap()))
            .collect()
    };
    // Four runs in the same instant: four files.
    for out in run_together(4) {
        assert_eq!(out.code, 2, "{}", out.stderr);
    }
    assert_eq!(stored(&p).len(), 4, "{:?}", stored(&p));
    // Eight more with keep = 2, pruning at the same time: none fails.
    p.file("drift.toml", &format!("{cfg}\n[history]\nkeep = 2\n"));
    for out in run_together(8) {
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(!out.stderr.contains("error"), "{}", out.stderr);
    }
    assert_eq!(p.run_at("2026-11-27T03:00:01Z", &CHECK).code, 2);
    assert_eq!(stored(&p).len(), 2, "{:?}", stored(&p));
}

#[test]
fn a_clock_behind_the_newest_run_warns_and_keeps_the_run() {
    let p = seed_copy();
    let cfg = std::fs::read_to_string(p.path().join("drift.toml")).unwrap();
    p.file("drift.toml", &format!("{cfg}\n[history]\nkeep = 1\n"));
    assert_eq!(p.run_at("2026-11-28T03:00:00Z", &CHECK).code, 2);
    let out = p.run_at("2026-11-27T03:00:00Z", &CHECK);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("is the clock behind?"),
        "{}",
        out.stderr
    );
    assert_eq!(stored(&p), vec!["2026-11-27T03-00-00.000000000Z"]);
}

/// A history directory that cannot be read or written (here: a file where the directory
/// should be) costs the report its ages, not the report: it still prints, the error says
/// why, and the run exits 1.
#[test]
fn a_history_that_cannot_be_used_still_gives_the_report() {
    let p = seed_copy();
    p.file("hist", "not a directory");
    let out = p.run_at("2026-11-27T03:00:00Z", &CHECK);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let j = out.json();
    // The three incidents, the four checklist items ops-service lacks, and the CloudFront rule.
    assert_eq!(j["findings"].as_array().unwrap().len(), 8, "{j}");
    assert_eq!(j["errors"][0]["source"], "history", "{j}");
    assert!(out.stderr.contains("hist"), "{}", out.stderr);
}
