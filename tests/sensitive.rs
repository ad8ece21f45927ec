//! Values a Terraform state or the code marks sensitive — a `random_password`'s `result`
//! (`sensitive_attributes`), a remote state's sensitive output, a `sensitive = true` variable —
//! are still compared, but no output shows them: every report format, the GitHub job
//! summary, the stored history, the HTML page and the patch say `(sensitive value)`.

use crate::support::Project;

const SECRETS: [&str; 4] = [
    "S3cr3t-from-state-41",
    "remote-api-key-9000",
    "whsec-variable-value-77",
    "marked-by-function-55",
];

fn project() -> Project {
    let p = Project::new();
    p.config("")
        .file(
            "tf/main.tf",
            r#"
resource "random_password" "db" {
  length = 20
}
variable "webhook_secret" {
  type      = string
  sensitive = true
  default   = "whsec-variable-value-77"
}
data "terraform_remote_state" "shared" {
  backend = "local"
  config = {
    path = "shared.tfstate"
  }
}
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "token" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "token"
  type    = "TXT"
  ttl     = 300
  records = [random_password.db.result]
}
resource "aws_route53_record" "api" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "api"
  type    = "TXT"
  ttl     = 300
  records = ["key=${data.terraform_remote_state.shared.outputs.api_key}"]
}
resource "aws_route53_record" "marked" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "marked"
  type    = "TXT"
  ttl     = 300
  records = [sensitive("marked-by-function-55")]
}
resource "aws_route53_record" "hook" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "hook"
  type    = "TXT"
  ttl     = 300
  records = [var.webhook_secret]
}
"#,
        )
        .file(
            "tf/terraform.tfstate",
            r#"{"version": 4, "terraform_version": "1.11.4", "serial": 3, "lineage": "l-1", "outputs": {},
  "resources": [{"mode": "managed", "type": "random_password", "name": "db",
    "provider": "provider[\"registry.terraform.io/hashicorp/random\"]",
    "instances": [{"schema_version": 3,
      "attributes": {"id": "none", "length": 20, "result": "S3cr3t-from-state-41"},
      "sensitive_attributes": [[{"type": "get_attr", "value": "result"}]]}]}]}"#,
        )
        .file(
            "tf/shared.tfstate",
            r#"{"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l-2",
  "outputs": {"api_key": {"value": "remote-api-key-9000", "type": "string", "sensitive": true}},
  "resources": []}"#,
        )
        .snapshot(
            r#""route53": {"zones": [{"id": "/hostedzone/ZABC", "name": "example.com.", "private_zone": false, "records": [
  {"Name": "example.com.", "Type": "NS", "TTL": 172800, "ResourceRecords": [{"Value": "ns-1.awsdns-01.org."}]},
  {"Name": "token.example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "\"old-token\""}]},
  {"Name": "api.example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "\"key=old\""}]},
  {"Name": "hook.example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "\"old-hook\""}]},
  {"Name": "marked.example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "\"old-marked\""}]}
]}]}"#,
        );
    p
}

fn no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows the secret {s}:\n{text}");
    }
}

#[test]
fn sensitive_values_are_compared_but_never_shown() {
    let p = project();
    let json = p.run(&["check", "--format", "json"]);
    assert_eq!(json.code, 2, "{}{}", json.stdout, json.stderr);
    // Compared with the real values: the four records differ.
    let changed: Vec<String> = json
        .finding_lines()
        .into_iter()
        .filter(|l| l.starts_with("changed"))
        .collect();
    assert_eq!(changed.len(), 4, "{}", json.stdout);
    assert!(json.stdout.contains("(sensitive value)"), "{}", json.stdout);
    no_secret("json", &json.stdout);
    no_secret("json stderr", &json.stderr);

    let mut outputs = vec![json.stdout];
    for format in ["human", "markdown", "sarif"] {
        let out = p.run(&["check", "--format", format, "--color", "never"]);
        assert_eq!(out.code, 2, "{format}: {}", out.stderr);
        no_secret(format, &out.stdout);
        no_secret(format, &out.stderr);
        outputs.push(out.stdout);
    }
    assert!(outputs[1].contains("(sensitive value)"), "{}", outputs[1]);

    let summary = p.path().join("summary.md");
    let gh = crate::support::drift_command(p.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["check", "--format", "github"])
        .output()
        .unwrap();
    no_secret("github", &String::from_utf8_lossy(&gh.stdout));
    no_secret("step summary", &std::fs::read_to_string(&summary).unwrap());

    // Every file drift writes: the history run, the HTML page, the patch.
    let out = p.run(&["check", "--history", "hist", "--patch", "fix.patch"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    no_secret("stderr with --patch", &out.stderr);
    assert!(
        out.stderr.contains("it carries a sensitive value"),
        "{}",
        out.stderr
    );
    let out = p.run(&["report", "--history", "hist", "-o", "report.html"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut written = 0;
    for dir in [p.path().to_path_buf(), p.path().join("hist")] {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_file() && !path.ends_with("live.json") {
                no_secret(
                    &path.display().to_string(),
                    &String::from_utf8_lossy(&std::fs::read(&path).unwrap()),
                );
                written += 1;
            }
        }
    }
    // drift.toml, summary.md, fix.patch, report.html and the history run.
    assert!(written >= 5, "{written}");
}
