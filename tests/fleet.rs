//! Many accounts and roots through the real binary against moto: roots found by a glob, each
//! account read through the role its providers assume (Route 53 included: a zone of the same
//! name in two accounts is two zones), one process and N shards merged giving the same
//! findings, and a snapshot of the fleet giving them offline.

use crate::harness::Moto;
use crate::support::{Project, drift_command, finding_lines};
use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, RrType};

const CALLER: &str = "123456789012";
const ACCOUNTS: [&str; 2] = ["111111111111", "222222222222"];

fn role(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/drift-read-only")
}

/// The SDK configuration acting as `account` (moto: credentials of a role assumed there).
async fn as_account(base: &aws_config::SdkConfig, account: &str) -> aws_config::SdkConfig {
    if account == CALLER {
        return base.clone();
    }
    let creds = aws_sdk_sts::Client::new(base)
        .assume_role()
        .role_arn(role(account))
        .role_session_name("setup")
        .send()
        .await
        .expect("assume role")
        .credentials()
        .cloned()
        .expect("credentials");
    base.to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    creds.access_key_id(),
                    creds.secret_access_key(),
                    Some(creds.session_token().to_string()),
                    None,
                    "test",
                ),
            ),
        )
        .build()
}

/// In `account`: zone `example.com` with `www` (its address ends in `last`) and `api`, more
/// records as given, and a KMS key behind `alias/app`.
async fn provision(base: &aws_config::SdkConfig, account: &str, last: u8, extra: &[&str]) {
    let sdk = as_account(base, account).await;
    let r53 = aws_sdk_route53::Client::new(&sdk);
    let zone = r53
        .create_hosted_zone()
        .name("example.com")
        .caller_reference(format!("fleet-{account}"))
        .send()
        .await
        .expect("zone");
    let id = zone.hosted_zone().unwrap().id().to_string();
    let mut batch = ChangeBatch::builder();
    let www = format!("192.0.2.{last}");
    let mut records = vec![
        crate::harness::record("www.example.com", RrType::A, 300, &[www.as_str()]),
        crate::harness::record("api.example.com", RrType::A, 300, &["192.0.2.99"]),
    ];
    for name in extra {
        records.push(crate::harness::record(
            name,
            RrType::A,
            300,
            &["192.0.2.50"],
        ));
    }
    for r in records {
        batch = batch.changes(
            Change::builder()
                .action(ChangeAction::Create)
                .resource_record_set(r)
                .build()
                .unwrap(),
        );
    }
    r53.change_resource_record_sets()
        .hosted_zone_id(&id)
        .change_batch(batch.build().unwrap())
        .send()
        .await
        .expect("records");
    let kms = aws_sdk_kms::Client::new(&sdk);
    let key = kms.create_key().send().await.expect("key");
    kms.create_alias()
        .alias_name("alias/app")
        .target_key_id(key.key_metadata().unwrap().key_id())
        .send()
        .await
        .expect("alias");
}

fn provider(account: &str) -> String {
    if account == CALLER {
        return "provider \"aws\" {\n  region = \"ap-northeast-2\"\n}\n".into();
    }
    format!(
        "provider \"aws\" {{\n  region = \"ap-northeast-2\"\n  assume_role {{\n    role_arn = \"{}\"\n  }}\n}}\n",
        role(account)
    )
}

/// Two roots per account: its DNS and its keys.
fn fleet() -> Project {
    let p = Project::new();
    p.file(
        "drift.toml",
        "live = \"aws\"\n[terraform]\nroots = [\"terraform/**\"]\n[aws]\nregion = \"ap-northeast-2\"\n",
    );
    for account in [CALLER, ACCOUNTS[0], ACCOUNTS[1]] {
        p.file(
            &format!("terraform/{account}/dns/main.tf"),
            &format!(
                r#"{}
resource "aws_route53_zone" "main" {{
  name = "example.com"
}}
resource "aws_route53_record" "www" {{
  zone_id = aws_route53_zone.main.zone_id
  name    = "www"
  type    = "A"
  ttl     = 300
  records = ["192.0.2.1"]
}}
resource "aws_route53_record" "api" {{
  zone_id = aws_route53_zone.main.zone_id
  name    = "api"
  type    = "A"
  ttl     = 300
  records = ["192.0.2.99"]
}}
"#,
                provider(account)
            ),
        )
        .file(
            &format!("terraform/{account}/keys/main.tf"),
            &format!(
                r#"{}
resource "aws_kms_key" "app" {{}}
resource "aws_kms_alias" "app" {{
  name          = "alias/app"
  target_key_id = aws_kms_key.app.key_id
}}
"#,
                provider(account)
            ),
        );
    }
    p
}

fn drift(p: &Project, moto: &Moto, args: &[&str]) -> std::process::Output {
    let mut cmd = drift_command(p.path());
    for (k, v) in moto.env() {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().expect("run drift");
    crate::support::assert_no_debug_formatting(&String::from_utf8_lossy(&out.stderr));
    out
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn every_account_is_read_through_its_role_and_shards_merge_to_the_same_report() {
    let moto = Moto::start();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let base = moto.sdk().await;
        // The caller's account as the code says; 111… with a record the code lacks; 222…
        // with `www` changed by hand.
        provision(&base, CALLER, 1, &[]).await;
        provision(&base, ACCOUNTS[0], 1, &["extra.example.com"]).await;
        provision(&base, ACCOUNTS[1], 7, &[]).await;
    });
    let p = fleet();

    let roots = drift(&p, &moto, &["roots"]);
    let listed = String::from_utf8_lossy(&roots.stdout);
    assert_eq!(listed.lines().count(), 6, "{listed}");
    assert!(
        listed.contains(
            "terraform/222222222222/dns\taccounts: 222222222222\tregions: ap-northeast-2"
        ),
        "{listed}"
    );

    let one = drift(&p, &moto, &["check", "--format", "json"]);
    let whole = json(&one);
    assert_eq!(one.status.code(), Some(2), "{whole}");
    assert_eq!(
        finding_lines(&whole),
        vec![
            "changed route53_record www.example.com/A@222222222222",
            "unmanaged route53_record extra.example.com/A@111111111111",
        ],
        "each account's zone is its own: the same name in three accounts, three zones"
    );
    // 3 zones × 2 records, less the changed one, and 3 keys.
    assert_eq!(whole["summary"]["in_sync"], 8, "{whole}");

    // One request in flight at a time, one call per account: the same report (a request
    // never holds its slot while it waits for another).
    let cfg = std::fs::read_to_string(p.path().join("drift.toml")).unwrap();
    p.file(
        "drift.toml",
        &format!("{cfg}max_in_flight = 1\nconcurrency = 1\n"),
    );
    let narrow = drift(&p, &moto, &["check", "--format", "json"]);
    assert_eq!(finding_lines(&json(&narrow)), finding_lines(&whole));
    p.file("drift.toml", &cfg);

    // Three shards: each account's two roots in one shard, the accounts spread.
    let mut files = Vec::new();
    let mut accounts_seen = Vec::new();
    for k in 1..=3 {
        let out = drift(
            &p,
            &moto,
            &["check", "--shard", &format!("{k}/3"), "--format", "json"],
        );
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = json(&out);
        let shard = &report["shard"];
        assert_eq!(shard["index"], k);
        let roots: Vec<&str> = shard["roots"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r.as_str())
            .collect();
        assert_eq!(roots.len(), 2, "{shard}");
        let account = roots[0].split('/').nth(1).unwrap().to_string();
        assert!(roots.iter().all(|r| r.contains(&account)), "{shard}");
        accounts_seen.push(account);
        let file = p.path().join(format!("shard-{k}.json"));
        std::fs::write(&file, &out.stdout).unwrap();
        files.push(file.display().to_string());
    }
    accounts_seen.sort();
    assert_eq!(
        accounts_seen,
        vec!["111111111111", "123456789012", "222222222222"]
    );
    let mut args = vec!["merge", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let merged = drift(&p, &moto, &args);
    assert_eq!(merged.status.code(), Some(2), "the worst of the shards'");
    let m = json(&merged);
    assert_eq!(finding_lines(&m), finding_lines(&whole));
    assert_eq!(m["summary"], whole["summary"]);

    // Every format renders the merged report; the human one shows the record's change.
    let mut args = vec!["merge", "--color", "never"];
    args.extend(files.iter().map(String::as_str));
    let human = String::from_utf8_lossy(&drift(&p, &moto, &args).stdout).to_string();
    assert!(human.contains("www.example.com/A@222222222222"), "{human}");
    assert!(human.contains("192.0.2.7"), "{human}");
    for format in ["markdown", "sarif", "github"] {
        let mut args = vec!["merge", "--format", format];
        args.extend(files.iter().map(String::as_str));
        let out = drift(&p, &moto, &args);
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("extra.example.com"),
            "{format}"
        );
    }

    // A snapshot of the fleet records each zone's account and gives the same report offline.
    let snap = drift(&p, &moto, &["snapshot", "-o", "fleet.json"]);
    assert_eq!(
        snap.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&snap.stderr)
    );
    let offline = drift(
        &p,
        &moto,
        &["check", "--live", "fleet.json", "--format", "json"],
    );
    assert_eq!(finding_lines(&json(&offline)), finding_lines(&whole));
}

/// Merge refuses to call anything resolved or complete when a shard is missing, a file is not
/// a shard report, or two reports claim one shard: each is an error (exit 1) naming it, and
/// the history carries the last run's findings forward instead of resolving them.
#[test]
fn a_missing_or_broken_shard_is_an_error_that_names_it() {
    let p = crate::support::seed_copy();
    let run = |args: &[&str]| crate::support::run_in(p.path(), args);
    for k in 1..=3 {
        let out = run(&["check", "--shard", &format!("{k}/3"), "--format", "json"]);
        std::fs::write(p.path().join(format!("s{k}.json")), &out.stdout).unwrap();
    }
    // The whole run, kept in the history.
    let out = run(&[
        "merge",
        "s1.json",
        "s2.json",
        "s3.json",
        "--history",
        "h",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 2);
    let before = out.json();
    assert!(!finding_lines(&before).is_empty());

    // Shard 1 (which holds the root and the manifest) is missing: an error naming it, and the
    // last run's findings are carried, never resolved.
    let out = run(&[
        "merge",
        "s2.json",
        "s3.json",
        "--history",
        "h",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1);
    let j = out.json();
    assert!(
        j["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["source"] == "shard 1/3"),
        "{j}"
    );
    assert_eq!(j["resolved"].as_array().map(Vec::len), Some(0), "{j}");
    assert_eq!(
        j["not_rechecked"].as_array().map(Vec::len),
        before["findings"].as_array().map(Vec::len),
        "{j}"
    );

    // Not a report, a plain report, two reports for one shard, shards of another run.
    p.file(
        "junk.json",
        "{\"schema\": \"drift.report/v1\", \"findings\": [",
    );
    let plain = run(&["check", "--format", "json"]);
    std::fs::write(p.path().join("plain.json"), &plain.stdout).unwrap();
    let other = run(&["check", "--shard", "1/2", "--format", "json"]);
    std::fs::write(p.path().join("other.json"), &other.stdout).unwrap();
    let out = run(&[
        "merge",
        "s1.json",
        "s2.json",
        "s3.json",
        "junk.json",
        "plain.json",
        "s2.json",
        "other.json",
        "absent.json",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1);
    let j = out.json();
    let messages: Vec<String> = j["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect();
    let has = |s: &str| messages.iter().any(|m| m.contains(s));
    assert!(has("junk.json:1:"), "{messages:?}");
    assert!(has("plain.json: not a shard report"), "{messages:?}");
    assert!(has("two reports for shard 2/3"), "{messages:?}");
    assert!(
        has("other.json: shard 1/2 is of another run"),
        "{messages:?}"
    );
    assert!(has("absent.json: cannot read it"), "{messages:?}");
    // The good shards' findings are all there.
    assert_eq!(finding_lines(&j), finding_lines(&before));

    // Nothing that is a shard report: an error, no report.
    let out = run(&["merge", "junk.json"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("none of the files given is a shard report"),
        "{}",
        out.stderr
    );
}

/// `[aws.limits]` takes a bucket per service; a bucket that cannot work, or a service drift
/// does not know, is an error saying where.
#[test]
fn bad_limits_are_refused_with_where() {
    let p = Project::new();
    p.file("tf/main.tf", "");
    for (limits, says) in [
        (
            "route53 = { burst = 0, per_second = 10 }",
            "[aws.limits] route53: `burst` must be at least 1",
        ),
        (
            "kms = { burst = 5, per_second = -1 }",
            "[aws.limits] kms: `burst` must be at least 1 and `per_second` at least 0",
        ),
        ("sqs = { burst = 5, per_second = 1 }", "drift.toml:6:"),
        ("rds = { burst = 5 }", "missing field `per_second`"),
    ] {
        p.file(
            "drift.toml",
            &format!(
                "live = \"aws\"\n[terraform]\nroots = [\"tf\"]\n[aws]\n[aws.limits]\n{limits}\n"
            ),
        );
        let out = crate::support::run_in(p.path(), &["check"]);
        assert_eq!(out.code, 1, "{limits}");
        assert!(out.stderr.contains(says), "{limits}: {}", out.stderr);
    }
}
