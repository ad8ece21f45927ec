//! Bad input: one clear message that says what and where, exit 1, never a panic.

use crate::support::Project;

fn assert_clean_error(out: &crate::support::Output) {
    assert_eq!(
        out.code, 1,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn hcl_syntax_error_has_file_line_column() {
    let p = Project::new();
    p.config("").snapshot("").file(
        "tf/main.tf",
        "resource \"aws_kms_key\" \"k\" {\n  policy = \n}\n",
    );
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(out.stderr.contains("tf/main.tf:2:12"), "{}", out.stderr);
    insta::assert_snapshot!("hcl_syntax_error", out.stderr);
}

#[test]
fn undeclared_reference_has_a_position() {
    let p = Project::new();
    p.config("").snapshot("").file(
        "tf/main.tf",
        "resource \"aws_kms_key\" \"k\" {\n  policy = var.nope\n}\nresource \"aws_kms_alias\" \"a\" {\n  name = \"alias/a\"\n  target_key_id = aws_kms_key.k.id\n}\n",
    );
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(
        out.stderr
            .contains("tf/main.tf:2:12: reference to undeclared input variable `var.nope`"),
        "{}",
        out.stderr
    );
}

#[test]
fn wrong_schema_snapshot() {
    let p = Project::new();
    p.config("")
        .file("tf/main.tf", "")
        .file("live.json", r#"{"schema": "drift.snapshot/v9"}"#);
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(
        out.stderr
            .contains("unsupported snapshot schema `drift.snapshot/v9`"),
        "{}",
        out.stderr
    );
}

#[test]
fn unreadable_snapshot() {
    let p = Project::new();
    p.config("").file("tf/main.tf", "");
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(
        out.stderr.contains("cannot read snapshot `"),
        "{}",
        out.stderr
    );
}

#[test]
fn malformed_snapshot_json_has_a_position() {
    let p = Project::new();
    p.config("").file("tf/main.tf", "").file(
        "live.json",
        "{\n  \"schema\": \"drift.snapshot/v1\",\n  oops\n}\n",
    );
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(out.stderr.contains("live.json:3:3"), "{}", out.stderr);
}

#[test]
fn snapshot_with_a_wrong_field() {
    let p = Project::new();
    p.config("")
        .file("tf/main.tf", "")
        .snapshot(r#""kms": {"keyz": []}"#);
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(
        out.stderr.contains("unknown field `keyz`"),
        "{}",
        out.stderr
    );
}

#[test]
fn missing_config() {
    let p = Project::new();
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    insta::assert_snapshot!("missing_config", out.stderr);
}

#[test]
fn config_with_a_wrong_key() {
    let p = Project::new();
    p.file(
        "drift.toml",
        "live = \"x\"\n[terraform]\nrootz = [\"tf\"]\n",
    );
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(out.stderr.contains("drift.toml:3:1"), "{}", out.stderr);
    assert!(out.stderr.contains("rootz"), "{}", out.stderr);
}

#[test]
fn manifest_with_a_wrong_field() {
    let p = Project::new();
    p.config("[manifest]\npath = \"services.yaml\"\n")
        .snapshot("")
        .file("tf/main.tf", "")
        .file(
            "services.yaml",
            "rds_instance: db\nservices:\n  - name: a-service\n    datbase: x\n",
        );
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(out.stderr.contains("services.yaml:4:5"), "{}", out.stderr);
    insta::assert_snapshot!("manifest_wrong_field", out.stderr);
}

#[test]
fn unknown_family_in_only() {
    let p = Project::new();
    p.config("").snapshot("").file("tf/main.tf", "");
    let out = p.run(&["check", "--only", "ec2"]);
    assert_clean_error(&out);
    assert!(
        out.stderr.contains("unknown family `ec2`"),
        "{}",
        out.stderr
    );
}

#[test]
fn reference_cycle_is_an_error() {
    let p = Project::new();
    p.config("").snapshot("").file(
        "tf/main.tf",
        "locals {\n  a = local.b\n  b = local.a\n}\nresource \"aws_route53_zone\" \"z\" {\n  name = local.a\n}\n",
    );
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(out.stderr.contains("reference cycle"), "{}", out.stderr);
    // Named as terraform's `Cycle:` names it: the nodes, back to the first.
    assert!(
        out.stderr.contains("Cycle: local.a → local.b → local.a"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_module_that_calls_itself_is_an_error() {
    let p = Project::new();
    p.config("")
        .snapshot("")
        .file("tf/main.tf", "module \"again\" {\n  source = \"./\"\n}\n");
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(
        out.stderr.contains("nests more than 16 levels"),
        "{}",
        out.stderr
    );
}

/// A variable value that does not convert to its type is an error naming the variable and
/// where the value was set, as terraform reports it.
#[test]
fn variable_value_that_does_not_convert() {
    let p = Project::new();
    p.config("")
        .snapshot("")
        .file(
            "tf/main.tf",
            "variable \"ttl\" {\n  type = number\n}\nvariable \"zones\" {\n  type = map(object({ name = string }))\n  default = {}\n}\n",
        )
        .file("tf/terraform.tfvars", "ttl = \"soon\"\n");
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(
        out.stderr.contains("tf/main.tf:1:1")
            && out
                .stderr
                .contains("invalid value for variable `ttl` (set in tf/terraform.tfvars)"),
        "{}",
        out.stderr
    );
}

/// A report that cannot be written to standard output (a full disk) is an error, never a
/// silent exit.
#[test]
fn a_full_stdout_is_an_error() {
    let p = Project::new();
    p.config("").snapshot("").file("tf/main.tf", "");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        println!("no /dev/full here: skipped");
        return;
    };
    let out = crate::support::drift_command(p.path())
        .arg("check")
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("standard output"), "{stderr}");
}

/// `--patch` and `snapshot -o` never write over a file drift read in that run, and write
/// through a temporary file: the target is either the old file or the new one, whole.
#[test]
fn outputs_never_replace_an_input() {
    let p = Project::new();
    p.config("")
        .snapshot("")
        .file("tf/main.tf", "resource \"aws_kms_key\" \"k\" {}\n");
    for target in ["tf/main.tf", "live.json", "drift.toml"] {
        let before = std::fs::read(p.path().join(target)).unwrap();
        let out = p.run(&["check", "--patch", target]);
        assert_eq!(out.code, 1, "{target}: {}", out.stderr);
        assert!(
            out.stderr.contains("refusing to write over it"),
            "{}",
            out.stderr
        );
        assert_eq!(
            std::fs::read(p.path().join(target)).unwrap(),
            before,
            "{target}"
        );
    }
    let out = p.run(&["check", "--patch", "new.patch"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(p.path().join("new.patch").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(p.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A chain of references deeper than drift evaluates is an error at the place it stops, never
/// a stack overflow; 10,000 links evaluate.
#[test]
fn long_reference_chains_evaluate_or_stop_with_an_error() {
    let chain = |n: usize| {
        let mut text = String::from("locals {\n");
        for i in 0..n - 1 {
            text.push_str(&format!("  a{i:05} = local.a{:05} + 1\n", i + 1));
        }
        text.push_str(&format!("  a{:05} = 1\n}}\n", n - 1));
        text
    };
    let p = Project::new();
    p.config("").snapshot("").file("tf/main.tf", &chain(10_000));
    let out = p.run(&["check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    p.file("tf/main.tf", &chain(25_000));
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(
        out.stderr.contains("chain of more than 12000 references"),
        "{}",
        out.stderr
    );
}

/// Inputs drift cannot read are errors naming the path, never skipped (a skipped `.tf` would
/// turn its records into "unmanaged") and never a hang (a FIFO).
#[cfg(unix)]
#[test]
fn unreadable_inputs_are_errors_naming_the_path() {
    use std::os::unix::fs::symlink;
    let p = Project::new();
    p.config("").snapshot("").file("tf/main.tf", "");
    symlink(
        p.path().join("tf/nowhere.tf"),
        p.path().join("tf/dangling.tf"),
    )
    .unwrap();
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(out.stderr.contains("dangling.tf"), "{}", out.stderr);

    std::fs::remove_file(p.path().join("tf/dangling.tf")).unwrap();
    symlink(p.path().join("tf/loop.tf"), p.path().join("tf/loop.tf")).unwrap();
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(out.stderr.contains("loop.tf"), "{}", out.stderr);

    std::fs::remove_file(p.path().join("tf/loop.tf")).unwrap();
    let fifo = p.path().join("tf/x.auto.tfvars");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let out = p.run(&["check"]);
        assert_clean_error(&out);
        assert!(
            out.stderr.contains("x.auto.tfvars") && out.stderr.contains("not a regular file"),
            "{}",
            out.stderr
        );
        std::fs::remove_file(&fifo).unwrap();
    }

    // A FIFO named like Terraform code: an error naming it, never a run that blocks on it.
    let fifo = p.path().join("tf/evil.tf");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let mut child = crate::support::drift_command(p.path())
            .arg("check")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut waited = 0;
        while child.try_wait().unwrap().is_none() && waited < 300 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            waited += 1;
        }
        if child.try_wait().unwrap().is_none() {
            // Opening the FIFO for writing unblocks a reader stuck on it; then fail.
            let _ = std::fs::OpenOptions::new().write(true).open(&fifo);
            let _ = child.kill();
            panic!("drift blocked on a FIFO named evil.tf");
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("evil.tf") && stderr.contains("not a regular file"),
            "{stderr}"
        );
        std::fs::remove_file(&fifo).unwrap();
    }

    // A byte-order mark is accepted, as terraform accepts it.
    p.file("tf/main.tf", "\u{feff}locals {\n  a = 1\n}\n");
    let out = p.run(&["check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// Empty or null service names, and database names PostgreSQL would not take, are errors
/// with `services.yaml:line:col`, never databases named `null_db` or `""`.
#[test]
fn manifest_names_are_checked() {
    for (yaml, expect) in [
        (
            "rds_instance: db\nservices:\n  - name: ok\n  - name: null\n",
            "services.yaml:4:1: service 2: `name` is empty or null",
        ),
        (
            "rds_instance: db\nservices:\n  - name:\n",
            "services.yaml:3:1: service 1: `name` is empty or null",
        ),
        (
            "rds_instance: db\nservices:\n  - name: web\n    database: my-db\n",
            "services.yaml:3:1: service 1: `web` needs database \"my-db\"",
        ),
        (
            "rds_instance: \"\"\nservices: []\n",
            "services.yaml:1:1: invalid `rds_instance`",
        ),
    ] {
        let p = Project::new();
        p.config("[manifest]\npath = \"services.yaml\"\n")
            .snapshot("")
            .file("tf/main.tf", "")
            .file("services.yaml", yaml);
        let out = p.run(&["check"]);
        assert_clean_error(&out);
        assert!(out.stderr.contains(expect), "{yaml}\n{}", out.stderr);
    }
}

/// A value from outside quoted in an error is an excerpt: a 10 MB service name gives an error
/// of a few kilobytes, not 30 MB.
#[test]
fn errors_quote_a_bounded_excerpt_of_any_value() {
    let p = Project::new();
    let name = format!("Bad-{}", "x".repeat(10 * 1024 * 1024));
    p.config("[manifest]\npath = \"services.yaml\"\n")
        .snapshot("")
        .file("tf/main.tf", "")
        .file(
            "services.yaml",
            &format!("rds_instance: db\nservices:\n  - name: web\n    database: \"{name}\"\n"),
        );
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(out.stderr.len() < 10_000, "{} bytes", out.stderr.len());
    assert!(
        out.stderr.contains("services.yaml:3:1"),
        "{}",
        &out.stderr[..500.min(out.stderr.len())]
    );
    assert!(out.stderr.contains("more characters not shown"));
}

/// Huge `count`/`for_each` results are an error at the place, never an allocation abort or a
/// panic.
#[test]
fn huge_counts_are_errors() {
    for count in ["1e9", "1e19", "-1", "1.5"] {
        let p = Project::new();
        p.config("").snapshot("").file(
            "tf/main.tf",
            &format!("resource \"aws_route53_record\" \"r\" {{\n  count = {count}\n}}\n"),
        );
        let out = p.run(&["check", "--format", "json"]);
        assert_eq!(out.code, 1, "{count}: {}\n{}", out.stdout, out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert!(
            out.stdout.contains("`count`") || out.stderr.contains("`count`"),
            "{count}: {}{}",
            out.stdout,
            out.stderr
        );
    }
    let p = Project::new();
    p.config("").snapshot("").file(
        "tf/main.tf",
        "resource \"aws_route53_record\" \"r\" {\n  for_each = toset([for i in range(1000) : tostring(i)])\n}\n",
    );
    assert_eq!(p.run(&["check"]).code, 0);
}

/// A syntax error after a `for` expression that spans lines is still placed on its own line
/// (drift reads line breaks inside `for` expressions as terraform does).
#[test]
fn syntax_errors_after_multiline_for_expressions_keep_their_line() {
    let p = Project::new();
    p.config("").snapshot("").file(
        "tf/main.tf",
        "locals {\n  t = { for k, v in { a = 1 } : k => v > 0 ? \"pos\" :\n    \"neg\" }\n}\nresource \"aws_kms_key\" \"k\" {\n  policy = \n}\n",
    );
    let out = p.run(&["check"]);
    assert_clean_error(&out);
    assert!(out.stderr.contains("tf/main.tf:6:12"), "{}", out.stderr);
    assert!(out.stderr.contains("6 |   policy = "), "{}", out.stderr);
}

/// Runs `drift check --live aws` on a one-record root with no credentials anywhere (an empty
/// home, no AWS_* variables, instance metadata off) and `env` added.
fn check_without_credentials(p: &Project, env: &[(&str, &str)]) -> crate::support::Output {
    p.aws_config("eu-west-1");
    run_without_credentials(p, env)
}

/// As `check_without_credentials`, with the project's drift.toml as it is.
fn run_without_credentials(p: &Project, env: &[(&str, &str)]) -> crate::support::Output {
    p.file(
        "tf/main.tf",
        "resource \"aws_route53_zone\" \"z\" {\n  name = \"example.com\"\n}\n",
    );
    let home = p.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let mut cmd = crate::support::drift_command(p.path());
    cmd.env("HOME", &home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["check", "--live", "aws"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run drift").into()
}

/// No credentials: one error line saying what was tried, before any request (not one Rust
/// debug dump per API call, as before).
#[test]
fn no_credentials_is_one_line_naming_every_source_tried() {
    let p = Project::new();
    let out = check_without_credentials(&p, &[]);
    assert_clean_error(&out);
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", out.stderr);
    let home = p.path().join("home");
    for part in [
        "error: no AWS credentials found",
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
        &format!(
            "profile `default` in {}/.aws/config (no such file)",
            home.display()
        ),
        "SSO, credential_process",
        "web identity",
        "container credentials",
        "instance metadata (disabled by AWS_EC2_METADATA_DISABLED)",
    ] {
        assert!(
            out.stderr.contains(part),
            "missing {part:?}:\n{}",
            out.stderr
        );
    }
}

/// A profile named in AWS_PROFILE or drift.toml that no shared file defines is named, with
/// the files looked in and the profiles they do define.
#[test]
fn a_profile_that_does_not_exist_is_named() {
    let p = Project::new();
    p.file(
        "home/.aws/config",
        "[default]\nregion = eu-west-1\n\n[profile staging]\nregion = eu-west-1\n",
    )
    .file(
        "home/.aws/credentials",
        "[ci]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\naws_secret_access_key = do-not-print-me\n",
    );
    let out = check_without_credentials(&p, &[("AWS_PROFILE", "prod")]);
    assert_clean_error(&out);
    assert!(
        out.stderr
            .contains("error: AWS profile `prod` (from AWS_PROFILE) does not exist"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("`ci`, `default`, `staging`"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("do-not-print-me"), "{}", out.stderr);
    assert!(!out.stderr.contains("AKIAEXAMPLE"), "{}", out.stderr);
    // From drift.toml: said so.
    let p2 = Project::new();
    p2.file("home/.aws/config", "[profile staging]\n");
    p2.aws_config("eu-west-1");
    let toml = std::fs::read_to_string(p2.path().join("drift.toml")).expect("toml");
    p2.file("drift.toml", &format!("{toml}profile = \"prod\"\n"));
    let out = run_without_credentials(&p2, &[]);
    assert_clean_error(&out);
    assert!(
        out.stderr
            .contains("AWS profile `prod` (from `[aws] profile` in drift.toml) does not exist"),
        "{}",
        out.stderr
    );
}

/// An endpoint nobody answers: the error is the chain of causes in words (the SDK's own
/// context printer appended its Debug form in parentheses before).
#[test]
fn an_unreachable_endpoint_is_an_error_in_words() {
    let p = Project::new();
    let port = crate::harness::free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = check_without_credentials(
        &p,
        &[
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    // Source errors are part of the report (stdout); each names the call and the cause.
    let errors = crate::support::error_lines(&out.stdout);
    assert!(
        errors.contains("sts: GetCallerIdentity failed")
            && errors.contains("tcp connect error: Connection refused"),
        "{}",
        out.stdout
    );
    assert!(!errors.contains("(DispatchFailure"), "{errors}");
}
