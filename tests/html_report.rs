//! `drift report --history DIR -o report.html`: one self-contained page (no scripts, no
//! network, no external fonts) from the stored runs, rendered by a real headless Chromium to a
//! PNG with no console message. `scripts/test` installs Debian's `chromium` when it is missing.

use crate::support::seed_copy;
use std::path::Path;

/// Renders `page` in headless Chromium to `png`; returns the console messages it logged.
fn chromium(page: &Path, png: &Path) -> Vec<String> {
    let args = [
        "--enable-logging=stderr".to_string(),
        "--v=0".to_string(),
        "--window-size=1280,2200".to_string(),
        format!("--screenshot={}", png.display()),
    ];
    let out = crate::support::chromium(page, &args);
    let png_bytes = std::fs::read(png).expect("chromium wrote the screenshot");
    assert!(png_bytes.starts_with(b"\x89PNG"), "not a PNG");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_html_report_is_self_contained_and_renders_without_console_errors() {
    let p = seed_copy();
    let check = ["check", "--history", "hist", "--format", "json"];
    assert_eq!(p.run_at("2026-11-25T03:00:00Z", &check).code, 2);
    let path = p.path().join("snapshots/wealist-prod.json");
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, original.replace("\"TTL\": 300", "\"TTL\": 60")).unwrap();
    assert_eq!(p.run_at("2026-11-26T03:00:00Z", &check).code, 2);
    std::fs::write(&path, &original).unwrap();
    assert_eq!(p.run_at("2026-11-27T03:00:00Z", &check).code, 2);

    let out = p.run_at(
        "2026-11-27T04:00:00Z",
        &["report", "--history", "hist", "-o", "report.html"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let html = std::fs::read_to_string(p.path().join("report.html")).unwrap();
    // Self-contained: nothing to fetch, nothing to run.
    for banned in ["<script", "src=", "href=", "@import", "url("] {
        assert!(!html.contains(banned), "the page has {banned}");
    }
    for expected in [
        "<svg",
        "alias/wealist-prod-files",
        "Statement[AllowCloudFrontDecrypt]",
        "desired/terraform/prod/foundation/kms.tf:2",
        "drifting for 2 days",
        "CREATE DATABASE &quot;ops_db&quot;;",
        "Resolved since the run before",
        // The new-service checklist: a table of services by item, and its chart.
        "<h2>New-service checklist</h2>",
        "<tr><td><code>ops-service</code></td><td>missing</td><td>missing</td><td>missing</td><td>missing</td><td>missing</td></tr>",
        "New-service checklist</figcaption>",
    ] {
        assert!(html.contains(expected), "no {expected}");
    }

    let png = p.path().join("report.png");
    let console = chromium(&p.path().join("report.html"), &png);
    assert!(console.is_empty(), "console messages: {console:?}");

    // The check can fail: a page that logs is caught.
    let bad = p.path().join("bad.html");
    std::fs::write(&bad, "<script>console.error('boom')</script>").unwrap();
    let console = chromium(&bad, &p.path().join("bad.png"));
    assert!(console.iter().any(|l| l.contains("boom")), "{console:?}");
}
