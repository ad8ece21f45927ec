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

fn stored(p: &Project) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(p.path().join("hist"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
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
    assert_eq!(stored(&p), vec!["2026-11-27T03-00-00Z.json"]);

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
    assert!(md.stdout.contains("*drifting for 6 days*"), "{}", md.stdout);
    assert_eq!(
        stored(&p),
        vec!["2026-12-03T03-00-00Z.json", "2026-12-03T04-00-00Z.json"]
    );
}
