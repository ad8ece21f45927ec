//! Data from outside (live names, policy Sids, database names, record values) that tries to
//! become commands or markup: every output format is run over it. The human report and stderr
//! never let data start a line (GitHub Actions runs any line that starts with `::`, after
//! leading spaces); the GitHub format emits only drift's own commands; the Markdown report,
//! read by a CommonMark parser, has no HTML, link, image or heading from data and keeps its
//! tables' columns, and rendered to HTML in a real headless Chromium its DOM has no script,
//! image or link; the HTML page of a history full of such data has none either; SARIF URIs are
//! percent-encoded.

use crate::support::Project;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Words of the payloads: none may appear outside a code span or block in Markdown.
const MARKERS: [&str; 8] = [
    "set-output",
    "add-mask",
    "stop-commands",
    "set-env",
    "onerror",
    "script",
    "evil.example",
    "pwned",
];

fn hostile_project() -> Project {
    let p = Project::new();
    p.file(
        "drift.toml",
        "live = \"live.json\"\n[terraform]\nroots = [\"prod stack#1\"]\n[manifest]\npath = \"services.yaml\"\n",
    )
    .file(
        "services.yaml",
        "rds_instance: main\nservices:\n  - name: app\n    database: app\n",
    )
    .file(
        "prod stack#1/main.tf",
        r#"
resource "aws_kms_key" "app" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "Root", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = "kms:*", Resource = "*" }]
  })
}
resource "aws_kms_alias" "app" {
  name          = "alias/app"
  target_key_id = aws_kms_key.app.key_id
}
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_db_instance" "main" {
  identifier = "main"
  engine     = "postgres"
}
"#,
    )
    .snapshot(
        r###""kms": {"keys": [{"key_id": "k-1", "arn": "arn:aws:kms:eu-west-1:111122223333:key/k-1",
  "key_state": "Enabled", "aliases": ["alias/app"],
  "policy": {"Version": "2012-10-17", "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "X\n::stop-commands::tok", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:Decrypt", "Resource": "*"}]}}]},
"route53": {"zones": [{"id": "/hostedzone/ZABC", "name": "example.com.", "private_zone": false, "records": [
  {"Name": "example.com.", "Type": "NS", "TTL": 172800, "ResourceRecords": [{"Value": "ns-1.awsdns-01.org."}]},
  {"Name": "x\\012::set-output name=a::b.example.com.", "Type": "TXT", "TTL": 300,
   "ResourceRecords": [{"Value": "\"```\n## pwned <script>alert(1)</script> [l](http://evil.example/) ![i](http://evil.example/i.png)\""}]},
  {"Name": "\\074img src=x onerror=alert(1)\\076|`.example.com.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]},
  {"Name": "y\\015::add-mask::pw.example.com.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]},
  {"Name": "cdn.example.com.", "Type": "A", "AliasTarget": {"HostedZoneId": "Z2FDTNDATAQYW2",
   "DNSName": "pwned\n::set-output name=c::d<script>alert(3)</script>[l](http://evil.example/).cloudfront.net.", "EvaluateTargetHealth": false}}
]}]},
"cloudfront": {"distributions": [{"Id": "E1", "ARN": "arn:aws:cloudfront::111122223333:distribution/E1",
  "DomainName": "d1.cloudfront.net", "Enabled": true,
  "Aliases": ["\n::stop-commands::t|`<img src=x onerror=alert(4)>.example.com"],
  "Origins": [{"Id": "o\n::add-mask::x", "DomainName": "## pwned.s3.amazonaws.com"}]}]},
"rds": {"instances": [{"identifier": "main", "engine": "postgres", "status": "available",
  "databases": [{"datname": "app", "datistemplate": false},
                {"datname": "a|b`c<script>alert(2)</script>", "datistemplate": false},
                {"datname": "d\n::set-env name=X::1", "datistemplate": false},
                {"datname": "## pwned [l](http://evil.example/)", "datistemplate": false}]}]}"###,
    );
    p
}

/// No line of `text` lets data start it: GitHub runs a line that starts with `::` after any
/// leading whitespace, and a lone CR ends a line for it too.
fn no_line_starts_with_data(what: &str, text: &str) {
    assert!(!text.contains('\r'), "{what} has a raw CR:\n{text}");
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "{what}: a line starts with `::`: {line:?}\n{text}"
        );
    }
}

/// Reads `md` as CommonMark (with tables) and checks that data stays data.
fn markdown_is_inert(md: &str) {
    let mut in_block = false;
    let mut heading: Option<String> = None;
    let mut cells = 0;
    for event in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match &event {
            Event::Html(h) | Event::InlineHtml(h) => panic!("raw HTML {h:?} in:\n{md}"),
            Event::Start(Tag::Link { dest_url, .. }) => panic!("a link to {dest_url} in:\n{md}"),
            Event::Start(Tag::Image { dest_url, .. }) => {
                panic!("an image from {dest_url} in:\n{md}")
            }
            Event::Start(Tag::CodeBlock(_)) => in_block = true,
            Event::End(TagEnd::CodeBlock) => in_block = false,
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                let h = heading.take().unwrap_or_default();
                assert!(
                    !MARKERS.iter().any(|m| h.contains(m)) || h.contains('`'),
                    "heading from data: {h:?}"
                );
            }
            Event::Start(Tag::TableRow) | Event::Start(Tag::TableHead) => cells = 0,
            Event::Start(Tag::TableCell) => cells += 1,
            Event::End(TagEnd::TableRow) | Event::End(TagEnd::TableHead) => {
                assert_eq!(cells, 6, "a table row with {cells} cells in:\n{md}")
            }
            Event::Text(t) if !in_block => {
                for m in MARKERS {
                    assert!(!t.contains(m), "`{m}` outside code: {t:?} in:\n{md}");
                }
                if let Some(h) = &mut heading {
                    h.push_str(t);
                }
            }
            Event::Code(c) => {
                if let Some(h) = &mut heading {
                    h.push('`');
                    h.push_str(c);
                }
            }
            _ => {}
        }
    }
}

/// The DOM headless Chromium builds from the HTML file `page`.
fn dom(page: &std::path::Path) -> String {
    let args = ["--disable-background-networking", "--dump-dom"].map(String::from);
    let out = crate::support::chromium(page, &args);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// No element from data in a DOM Chromium built: no script, image, link, iframe or handler.
fn dom_is_inert(what: &str, dom: &str) {
    assert!(dom.contains("<body"), "{what}: no DOM:\n{dom}");
    for banned in ["<script", "<img", "<a ", "<iframe", "onerror=\""] {
        assert!(
            !dom.contains(banned),
            "{what}: the DOM has {banned}:\n{dom}"
        );
    }
}

#[test]
fn data_never_becomes_a_command_or_markup_in_any_format() {
    let p = hostile_project();
    // With an ignore whose reason carries a pipe and markup, so the ignored table has data.
    let cfg = std::fs::read_to_string(p.path().join("drift.toml")).unwrap();
    p.file(
        "drift.toml",
        &format!(
            "{cfg}\n[[ignore]]\nkind = \"postgres_database\"\nid = \"main/a*\"\nreason = \"x | y <script>z</script>\"\n"
        ),
    );
    let json = p.run(&["check", "--format", "json"]);
    assert_eq!(json.code, 2, "{}", json.stderr);
    let j = json.json();
    let ids: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    // JSON keeps the data exact (its own escaping makes it inert).
    assert!(ids.contains(&"main/d\n::set-env name=X::1"), "{ids:?}");
    assert!(
        ids.contains(&"x\n::set-output name=a::b.example.com/TXT"),
        "{ids:?}"
    );
    // A rule's finding carries live data too: an alias at a CloudFront domain no distribution
    // has, the domain hostile.
    let rules: Vec<&serde_json::Value> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "rule")
        .collect();
    assert!(
        rules.iter().any(|f| f["id"] == "dangling_dns/cdn.example.com/A"
            && f["message"].as_str().unwrap().contains(
                "pwned\n::set-output name=c::d<script>alert(3)</script>[l](http://evil.example/).cloudfront.net"
            )),
        "{rules:#?}"
    );

    let human = p.run(&["check", "--color", "never"]);
    assert_eq!(human.code, 2);
    no_line_starts_with_data("human stdout", &human.stdout);
    no_line_starts_with_data("human stderr", &human.stderr);
    assert!(
        human
            .stdout
            .contains(r"x\n::set-output name=a::b.example.com/TXT"),
        "{}",
        human.stdout
    );

    let md = p.run(&["check", "--format", "markdown"]);
    markdown_is_inert(&md.stdout);
    // As a Markdown viewer shows it: rendered to HTML, then built into a DOM by Chromium.
    let mut html = String::from("<!doctype html><html><body>");
    pulldown_cmark::html::push_html(
        &mut html,
        Parser::new_ext(&md.stdout, Options::ENABLE_TABLES),
    );
    html.push_str("</body></html>");
    let page = p.path().join("markdown.html");
    std::fs::write(&page, html).unwrap();
    dom_is_inert("the Markdown report", &dom(&page));

    // The stored history and its HTML page.
    let out = p.run(&["check", "--history", "hist", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let out = p.run(&["report", "--history", "hist", "-o", "report.html"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    dom_is_inert("report.html", &dom(&p.path().join("report.html")));

    let summary = p.path().join("summary.md");
    let gh = crate::support::drift_command(p.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["check", "--format", "github"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&gh.stdout);
    assert!(!stdout.contains('\r'));
    for line in stdout.lines() {
        assert!(
            ["::error ", "::warning ", "::notice "]
                .iter()
                .any(|c| line.starts_with(c)),
            "a line that is not drift's own command: {line:?}"
        );
    }
    markdown_is_inert(&std::fs::read_to_string(&summary).unwrap());

    let sarif = p.run(&["check", "--format", "sarif"]);
    let s: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let mut uris = Vec::new();
    for r in s["runs"][0]["results"].as_array().unwrap() {
        for l in r["locations"].as_array().unwrap() {
            if let Some(u) = l["physicalLocation"]["artifactLocation"]["uri"].as_str() {
                uris.push(u.to_string());
            }
        }
    }
    assert!(!uris.is_empty());
    for u in &uris {
        assert_eq!(u, "prod%20stack%231/main.tf", "{uris:?}");
    }
}

#[test]
fn non_ascii_route53_names_are_utf8_octets() {
    let p = Project::new();
    p.config("")
        .file(
            "tf/main.tf",
            r#"
resource "aws_route53_zone" "z" {
  name = "example.com"
}
resource "aws_route53_record" "han" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "中.example.com"
  type    = "A"
  ttl     = 60
  records = ["192.0.2.1"]
}
"#,
        )
        .snapshot(
            r#""route53": {"zones": [{"id": "/hostedzone/ZABC", "name": "example.com.", "private_zone": false, "records": [
  {"Name": "\\344\\270\\255.example.com.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}]}]}"#,
        );
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["summary"]["in_sync"], 1);
}
