//! The command line around `check`: `--fail-on` chooses which statuses fail the run, and
//! `completions` / `man` are generated from the clap definitions.

use crate::support::{Project, repo, run_in};
use std::process::Command;

/// The bundled example has one changed, one missing and one unmanaged finding.
#[test]
fn fail_on_chooses_the_statuses_that_exit_2() {
    for (fail_on, code) in [
        (None, 2),
        (Some("missing"), 2),
        (Some("unmanaged"), 2),
        (Some("not_checked"), 0),
        (Some("not_checked,changed"), 2),
    ] {
        let mut args = vec!["check", "--format", "json"];
        if let Some(f) = fail_on {
            args.extend(["--fail-on", f]);
        }
        let out = run_in(&repo(), &args);
        assert_eq!(out.code, code, "--fail-on {fail_on:?}: {}", out.stderr);
        // The report itself does not change.
        // (the missing database and the four checklist items ops-service lacks)
        assert_eq!(out.json()["summary"]["missing"], 5);
    }
    let out = run_in(&repo(), &["check", "--fail-on", "drifted"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("drifted"), "{}", out.stderr);
}

/// A not-checked finding fails the run only when asked; an error exits 1 whatever is chosen.
#[test]
fn not_checked_fails_only_when_asked_and_errors_always_exit_1() {
    let p = Project::new();
    p.config("").snapshot("").file(
        "tf/main.tf",
        "variable \"zone\" {}\nresource \"aws_route53_record\" \"r\" {\n  zone_id = var.zone\n  name    = \"a.example.com\"\n  type    = \"A\"\n  ttl     = 60\n  records = [\"192.0.2.1\"]\n}\n",
    );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.json()["summary"]["not_checked"], 1, "{}", out.stdout);
    let out = p.run(&["check", "--fail-on", "not_checked"]);
    assert_eq!(out.code, 2, "{}", out.stdout);

    p.file("tf/broken.tf", "locals {\n  x = \n}\n");
    let out = p.run(&["check", "--fail-on", "changed"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
}

#[test]
fn bash_completion_loads_in_bash() {
    let out = run_in(&repo(), &["completions", "bash"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("--fail-on"), "{}", out.stdout);
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(script.path(), &out.stdout).unwrap();
    let bash = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && complete -p drift",
            script.path().display()
        ))
        .output()
        .expect("bash runs");
    let said = String::from_utf8_lossy(&bash.stdout);
    assert!(
        bash.status.success(),
        "{}",
        String::from_utf8_lossy(&bash.stderr)
    );
    assert!(said.contains("drift"), "{said}");
}

#[test]
fn the_manual_page_is_roff_and_names_the_commands() {
    let out = run_in(&repo(), &["man"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with(".ie") || out.stdout.contains(".TH drift"),
        "{}",
        &out.stdout[..200.min(out.stdout.len())]
    );
    for word in ["check", "snapshot", "completions"] {
        assert!(out.stdout.contains(word), "{word}");
    }
}

/// `drift man --dir DIR`: a page for drift and one per command; every page the main page's
/// SEE ALSO names exists, and each command's page lists every option its `--help` lists.
#[test]
fn man_pages_for_every_command_list_every_option() {
    let p = crate::support::Project::new();
    let out = p.run(&["man", "--dir", "man"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dir = p.path().join("man");
    let main = std::fs::read_to_string(dir.join("drift.1")).unwrap();
    let named: Vec<&str> = main
        .split("drift\\-")
        .skip(1)
        .filter_map(|rest| rest.split_once("(1)").map(|(name, _)| name))
        .filter(|name| name.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    assert!(named.contains(&"check"), "{main}");
    for name in &named {
        assert!(
            dir.join(format!("drift-{name}.1")).exists(),
            "SEE ALSO names drift-{name}(1), which was not written"
        );
    }
    for command in ["check", "snapshot", "report"] {
        let page = std::fs::read_to_string(dir.join(format!("drift-{command}.1"))).unwrap();
        let help = p.run(&[command, "--help"]).stdout;
        let options: Vec<&str> = help
            .split_whitespace()
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(|w| w.trim_end_matches([',', '.']))
            .map(|w| w.split(['=', '[', '<']).next().unwrap_or(w))
            .collect();
        assert!(!options.is_empty(), "{help}");
        for option in options {
            let roff = option.replace('-', "\\-");
            assert!(page.contains(&roff), "drift-{command}.1 lacks {option}");
        }
    }
}
