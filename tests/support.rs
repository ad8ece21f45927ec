//! Test harness: a throwaway project folder and a way to run the real binary in it with a
//! clean environment (no AWS_*, TF_VAR_*, NO_COLOR from the developer's shell).

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Project {
    pub dir: tempfile::TempDir,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The findings of a JSON report as sorted `status kind id` lines.
    pub fn finding_lines(&self) -> Vec<String> {
        finding_lines(&self.json())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl From<std::process::Output> for Output {
    /// The binary's output; its error messages (stderr, and the report's `error:` lines)
    /// must be sentences, never Rust's Debug form.
    fn from(out: std::process::Output) -> Output {
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_no_debug_formatting(&stderr);
        assert_no_debug_formatting(&error_lines(&stdout));
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout,
            stderr,
        }
    }
}

/// The lines of a human report that carry an error.
pub fn error_lines(stdout: &str) -> String {
    stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("error:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fails when an error message shows a Rust value's Debug form (`Error { source: … }`,
/// `Some("…")`, `DispatchFailure(…)`) instead of words: every test that runs the binary
/// checks its stderr with this, so every error path it reaches is covered.
pub fn assert_no_debug_formatting(stderr: &str) {
    for pattern in [
        "{ source:",
        "{ kind:",
        " }) }",
        "Some(\"",
        "Some(Some",
        ": None }",
        "DispatchFailure(",
        "ConnectorError {",
        "CredentialsNotLoaded(",
    ] {
        assert!(
            !stderr.contains(pattern),
            "an error message shows Rust's debug formatting ({pattern:?}):\n{stderr}"
        );
    }
}

/// The findings of a JSON report as sorted `status kind id` lines.
pub fn finding_lines(j: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = j["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f["status"].as_str().unwrap_or("?"),
                f["kind"].as_str().unwrap_or("?"),
                f["id"].as_str().unwrap_or("?")
            )
        })
        .collect();
    v.sort();
    v
}

/// The repository root (where the bundled example lives).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn drift_command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_drift"));
    cmd.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("TF_VAR_") || k == "NO_COLOR" || k == "PGPASSWORD"
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost");
    cmd
}

pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    drift_command(dir)
        .args(args)
        .output()
        .expect("run drift")
        .into()
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, rel: &str, text: &str) -> &Project {
        let p = self.dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
        self
    }

    /// A drift.toml for one root `tf/` and a snapshot `live.json`.
    pub fn config(&self, extra: &str) -> &Project {
        self.file(
            "drift.toml",
            &format!("live = \"live.json\"\n[terraform]\nroots = [\"tf\"]\n{extra}"),
        )
    }

    /// A drift.toml for one root `tf/` read from live AWS in `region`.
    pub fn aws_config(&self, region: &str) -> &Project {
        self.file(
            "drift.toml",
            &format!(
                "live = \"aws\"\n[terraform]\nroots = [\"tf\"]\n[aws]\nregion = \"{region}\"\n"
            ),
        )
    }

    /// A snapshot with the given sections (JSON object members, without braces).
    pub fn snapshot(&self, sections: &str) -> &Project {
        let sep = if sections.trim().is_empty() { "" } else { "," };
        self.file(
            "live.json",
            &format!(
                r#"{{"schema": "drift.snapshot/v1", "account_id": "111122223333", "region": "eu-west-1",
                   "captured_at": "2026-01-01T00:00:00Z"{sep} {sections}}}"#
            ),
        )
    }

    pub fn run(&self, args: &[&str]) -> Output {
        run_in(self.path(), args)
    }

    /// Runs drift with its clock fixed at `now` (RFC 3339, `DRIFT_NOW`).
    pub fn run_at(&self, now: &str, args: &[&str]) -> Output {
        let out = drift_command(self.path())
            .env("DRIFT_NOW", now)
            .args(args)
            .output()
            .expect("run drift");
        out.into()
    }
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A copy of the bundled example (code, snapshot, drift.toml) in a temp dir.
pub fn seed_copy() -> Project {
    let p = Project::new();
    copy_tree(&repo().join("desired"), &p.path().join("desired"));
    copy_tree(&repo().join("snapshots"), &p.path().join("snapshots"));
    std::fs::copy(repo().join("drift.toml"), p.path().join("drift.toml")).unwrap();
    p
}

/// Runs headless Chromium (`CHROMIUM`, else `chromium`; `scripts/test` installs Debian's)
/// on the local page `page` with `args`, within two minutes; panics unless it succeeds.
pub fn chromium(page: &Path, args: &[String]) -> std::process::Output {
    let browser = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let out = Command::new("timeout")
        .arg("120")
        .arg(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| {
            panic!("{browser} does not run ({e}): install Debian's chromium (scripts/test does)")
        });
    assert!(
        out.status.success(),
        "{browser}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
