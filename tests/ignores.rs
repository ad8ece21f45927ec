//! Accountable ignores (`[[ignore]]` in drift.toml) on the bundled example: an accepted finding
//! is counted and listed with its reason, never dropped; an expired entry stops ignoring and
//! says so; an entry that matched nothing is stale; `--write-ignores` appends "TODO" entries
//! that are reported until filled. Dates are fixed with `DRIFT_NOW`.

use crate::support::{Project, seed_copy};

fn with_ignores(p: &Project, entries: &str) {
    let cfg = std::fs::read_to_string(p.path().join("drift.toml")).unwrap();
    p.file("drift.toml", &format!("{cfg}\n{entries}"));
}

const ENTRIES: &str = r#"
[[ignore]]
kind = "route53_record"
id = "cdn.*"
reason = "CloudFront alias owned by the CDN team's stack"

[[ignore]]
kind = "kms_key_policy"
id = "alias/wealist-prod-*"
field = "Statement[AllowCloudFrontDecrypt]"
reason = "INC-2291: hand fix, moving into code"
expires = 2026-12-31

[[ignore]]
kind = "postgres_database"
id = "legacy-*/*"
reason = "the legacy instance is gone"
"#;

#[test]
fn accepted_findings_are_counted_listed_and_leave_the_exit_status() {
    let p = seed_copy();
    with_ignores(&p, ENTRIES);
    let out = p.run_at("2026-11-27T03:00:00Z", &["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let j = out.json();
    assert_eq!(
        crate::support::finding_lines(&j),
        vec![
            "missing postgres_database wealist-prod/ops_db",
            "missing service_checklist ops-service/argocd_app",
            "missing service_checklist ops-service/ci_pipeline",
            "missing service_checklist ops-service/helm_values",
            "missing service_checklist ops-service/secret",
            // Accepting the key's drift does not make apply safe: the rule still says so.
            "violated rule cloudfront_kms_decrypt/cdn.wealist.co.kr",
        ]
    );
    assert_eq!(j["summary"]["ignored"], 2, "{}", out.stdout);
    assert_eq!(j["summary"]["changed"], 0);
    assert_eq!(j["summary"]["unmanaged"], 0);
    let ignored = j["ignored"].as_array().unwrap();
    let kms = ignored
        .iter()
        .find(|i| i["kind"] == "kms_key_policy")
        .unwrap();
    assert_eq!(kms["status"], "changed");
    assert_eq!(kms["reason"], "INC-2291: hand fix, moving into code");
    assert_eq!(kms["expires"], "2026-12-31");
    assert_eq!(
        kms["changes"][0]["path"],
        "Statement[AllowCloudFrontDecrypt]"
    );
    // The third entry matched nothing: stale.
    assert_eq!(j["ignore_notices"][0]["problem"], "stale", "{}", out.stdout);
    assert_eq!(j["ignore_notices"][0]["id"], "legacy-*/*");

    let human = p.run_at("2026-11-27T03:00:00Z", &["check", "--color", "never"]);
    assert!(
        human.stdout.contains(
            "ignored: route53_record \"cdn.wealist.co.kr/A\" unmanaged — CloudFront alias owned by the CDN team's stack"
        ),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("2 ignored (listed below)"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("matched nothing in this run (stale)"));
    let md = p.run_at("2026-11-27T03:00:00Z", &["check", "--format", "markdown"]);
    assert!(
        md.stdout.contains("## Ignored (accepted in drift.toml)"),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("| kms_key_policy | `alias/wealist-prod-files` | changed | `Statement[AllowCloudFrontDecrypt]` | `INC-2291: hand fix, moving into code` | `2026-12-31` |"), "{}", md.stdout);

    // With the database, ops-service's checklist and the rule ignored too, nothing is left:
    // exit 0.
    with_ignores(
        &p,
        "[[ignore]]\nkind = \"postgres_database\"\nid = \"wealist-prod/ops_db\"\nreason = \"created by the service's migration job\"\n[[ignore]]\nkind = \"service_checklist\"\nid = \"ops-service/*\"\nreason = \"ops-service ships from its own repository\"\n[[ignore]]\nkind = \"rule\"\nid = \"cloudfront_kms_decrypt/*\"\nreason = \"INC-2291: the statement moves into code this week\"\n",
    );
    let out = p.run_at("2026-11-27T03:00:00Z", &["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["summary"]["ignored"], 8);
}

#[test]
fn an_expired_entry_stops_ignoring_and_says_so() {
    let p = seed_copy();
    with_ignores(&p, ENTRIES);
    let out = p.run_at("2027-01-01T00:00:00Z", &["check", "--format", "json"]);
    assert_eq!(out.code, 2);
    let j = out.json();
    assert!(
        crate::support::finding_lines(&j)
            .contains(&"changed kms_key_policy alias/wealist-prod-files".to_string())
    );
    let notices = j["ignore_notices"].to_string();
    assert!(notices.contains("\"problem\":\"expired\""), "{notices}");
    // The last day still ignores.
    let out = p.run_at("2026-12-31T23:59:00Z", &["check", "--format", "json"]);
    assert!(
        !out.stdout.contains("\"problem\": \"expired\""),
        "{}",
        out.stdout
    );
}

#[test]
fn write_ignores_appends_todo_entries_that_are_reported_until_filled() {
    let p = seed_copy();
    let out = p.run_at("2026-11-27T03:00:00Z", &["check", "--write-ignores"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("added 8 ignore entries"),
        "{}",
        out.stderr
    );
    let cfg = std::fs::read_to_string(p.path().join("drift.toml")).unwrap();
    assert_eq!(cfg.matches("[[ignore]]").count(), 8, "{cfg}");
    assert!(cfg.contains("id = \"cdn.wealist.co.kr/A\""), "{cfg}");

    // A TODO entry ignores nothing: the gate still fails (a missing database included) and
    // the entries are listed until someone writes a reason.
    let out = p.run_at("2026-11-27T03:00:00Z", &["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let j = out.json();
    assert_eq!(j["summary"]["ignored"], 0);
    assert_eq!(j["summary"]["missing"], 5);
    let todo = j["ignore_notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["problem"] == "todo")
        .count();
    assert_eq!(todo, 8, "{}", out.stdout);

    // With the reasons written, they are accepted: exit 0.
    std::fs::write(
        p.path().join("drift.toml"),
        cfg.replace("reason = \"TODO\"", "reason = \"accepted in review INC-7\""),
    )
    .unwrap();
    let out = p.run_at("2026-11-27T03:00:00Z", &["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.json()["summary"]["ignored"], 8);
}

#[test]
fn an_entry_without_a_reason_is_a_config_error() {
    let p = seed_copy();
    with_ignores(&p, "[[ignore]]\nkind = \"route53_record\"\nid = \"*\"\n");
    let out = p.run_at("2026-11-27T03:00:00Z", &["check"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("`reason` is required"),
        "{}",
        out.stderr
    );
    let p = seed_copy();
    with_ignores(
        &p,
        "[[ignore]]\nkind = \"route53\"\nid = \"*\"\nreason = \"x\"\n",
    );
    let out = p.run_at("2026-11-27T03:00:00Z", &["check"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("unknown kind `route53`"),
        "{}",
        out.stderr
    );
}

#[test]
fn write_ignores_edits_the_users_file_as_it_is() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // An inline `ignore = [ … ]` array grows in place (a `[[ignore]]` table would make the
    // next run fail with a duplicate key).
    let p = seed_copy();
    let cfg = std::fs::read_to_string(p.path().join("drift.toml")).unwrap();
    p.file(
        "drift.toml",
        &format!(
            "ignore = [ {{ kind = \"route53_record\", id = \"old.*\", reason = \"retired\" }} ]\n{cfg}"
        ),
    );
    let out = p.run_at("2026-11-27T03:00:00Z", &["check", "--write-ignores"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let text = std::fs::read_to_string(p.path().join("drift.toml")).unwrap();
    assert!(!text.contains("[[ignore]]"), "{text}");
    let out = p.run_at("2026-11-27T03:00:00Z", &["check", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.json()["ignore_notices"].as_array().unwrap().len(), 9);
    // A second --write-ignores adds nothing for findings that already have an entry.
    let out = p.run_at("2026-11-27T03:00:00Z", &["check", "--write-ignores"]);
    assert!(
        out.stderr.contains("added 0 ignore entries"),
        "{}",
        out.stderr
    );

    // Through a symlink: the shared target is edited, the link stays a link.
    let p = seed_copy();
    let shared = p.path().join("shared-drift.toml");
    std::fs::rename(p.path().join("drift.toml"), &shared).unwrap();
    std::os::unix::fs::symlink(&shared, p.path().join("drift.toml")).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        std::os::unix::fs::chown(&shared, Some(65534), Some(65534)).unwrap();
    }
    let out = p.run_at("2026-11-27T03:00:00Z", &["check", "--write-ignores"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let link = std::fs::symlink_metadata(p.path().join("drift.toml")).unwrap();
    assert!(link.file_type().is_symlink());
    let text = std::fs::read_to_string(&shared).unwrap();
    assert_eq!(text.matches("[[ignore]]").count(), 8, "{text}");
    let meta = std::fs::metadata(&shared).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o640);
    if root {
        assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
    }

    // A read-only file is refused with a clear error, and left as it was.
    let p = seed_copy();
    let path = p.path().join("drift.toml");
    let before = std::fs::read_to_string(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = p.run_at("2026-11-27T03:00:00Z", &["check", "--write-ignores"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("read-only"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o444);
}
