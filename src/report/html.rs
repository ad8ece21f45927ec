//! The HTML report (`drift report --history DIR -o report.html`): one self-contained page — no
//! network, no scripts, no external fonts — drawn from the stored runs: a chart per family of
//! findings by status over the runs (inline SVG drawn here), then the latest run's findings
//! with their changes, Terraform address, `file:line`, age and remediation, the new-service
//! checklist table, the ignores in
//! force and the entries that need a person. Reads stored JSON reports only.

use time::OffsetDateTime;

const STATUSES: [(&str, &str); 5] = [
    ("changed", "#d97706"),
    ("missing", "#dc2626"),
    ("unmanaged", "#7c3aed"),
    ("not_checked", "#6b7280"),
    ("violated", "#b91c1c"),
];

/// The family a finding's kind belongs to, for the charts.
fn family(kind: &str) -> &'static str {
    match kind {
        "kms_key_policy" => "KMS",
        "route53_record" => "Route 53",
        "terraform_module" => "Terraform",
        "rule" => "Rules",
        "service_checklist" => "New-service checklist",
        "cloudfront_distribution" => "CloudFront",
        "s3_bucket" => "S3",
        _ => "RDS and databases",
    }
}

/// Text made safe inside HTML elements and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

fn text(v: &serde_json::Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// A stacked bar chart of one family's findings by status, one bar per run.
fn chart(title: &str, runs: &[(OffsetDateTime, serde_json::Value)]) -> String {
    let counts: Vec<[usize; STATUSES.len()]> = runs
        .iter()
        .map(|(_, j)| {
            let mut c = [0usize; STATUSES.len()];
            for f in j["findings"].as_array().into_iter().flatten() {
                if family(f["kind"].as_str().unwrap_or_default()) != title {
                    continue;
                }
                if let Some(i) = STATUSES.iter().position(|(s, _)| f["status"] == *s) {
                    c[i] += 1;
                }
            }
            c
        })
        .collect();
    let max = counts
        .iter()
        .map(|c| c.iter().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, h, left, bottom) = (560.0_f64, 180.0_f64, 36.0_f64, 28.0_f64);
    let plot_h = h - bottom - 10.0;
    let n = runs.len().max(1) as f64;
    let slot = (w - left - 10.0) / n;
    let bar = (slot * 0.7).clamp(2.0, 40.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{} findings per run\">",
        esc(title)
    );
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#9ca3af\"/>",
        h - bottom,
        w - 10.0,
        h - bottom
    ));
    svg.push_str(&format!(
        "<text x=\"{}\" y=\"14\" font-size=\"11\" text-anchor=\"end\" fill=\"#374151\">{max}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"#374151\">0</text>",
        left - 4.0,
        left - 4.0,
        h - bottom
    ));
    for (i, c) in counts.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = h - bottom;
        for (k, count) in c.iter().enumerate() {
            if *count == 0 {
                continue;
            }
            let bh = plot_h * *count as f64 / max as f64;
            y -= bh;
            svg.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{}: {count}</title></rect>",
                STATUSES[k].1,
                STATUSES[k].0.replace('_', " ")
            ));
        }
        // Label the first and the last run.
        if i == 0 || i + 1 == counts.len() {
            let (at, _) = &runs[i];
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#374151\">{:04}-{:02}-{:02}</text>",
                x + bar / 2.0,
                h - bottom + 16.0,
                at.year(),
                u8::from(at.month()),
                at.day()
            ));
        }
    }
    svg.push_str("</svg>");
    format!(
        "<figure><figcaption>{}</figcaption>{svg}</figure>",
        esc(title)
    )
}

fn change_block(c: &serde_json::Value) -> String {
    let path = c["path"]
        .as_str()
        .filter(|p| !p.is_empty())
        .unwrap_or("(whole value)");
    let mut out = format!(
        "<div class=\"change\"><div class=\"path\">{}</div>",
        esc(path)
    );
    for (side, class, label) in [
        ("live", "live", "in AWS"),
        ("desired", "desired", "in code"),
    ] {
        if !c[side].is_null() {
            out.push_str(&format!(
                "<pre class=\"{class}\"><span class=\"label\">{label}</span>\n{}</pre>",
                esc(&serde_json::to_string_pretty(&c[side]).unwrap_or_default())
            ));
        }
    }
    out.push_str("</div>");
    out
}

/// The page, from the stored runs (oldest first); the last one is "now".
pub fn render(runs: &[(OffsetDateTime, serde_json::Value)]) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>drift report</title><style>\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:72rem;color:#111827;padding:0 1rem}\
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #e5e7eb}\
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;border:1px solid #e5e7eb;border-radius:6px;padding:.5rem}\
figcaption{font-weight:600;margin-bottom:.25rem}.legend span{display:inline-block;margin-right:1rem}\
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}\
.finding{border:1px solid #e5e7eb;border-left-width:6px;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}\
.finding.changed{border-left-color:#d97706}.finding.missing{border-left-color:#dc2626}.finding.unmanaged{border-left-color:#7c3aed}.finding.not_checked{border-left-color:#6b7280}.finding.violated{border-left-color:#b91c1c}\
.meta{color:#4b5563;font-size:.9rem}.age{font-weight:600}.new{color:#dc2626}\
pre{background:#f9fafb;border-radius:4px;padding:.5rem;overflow-x:auto;font-size:.8rem}pre.live{border-left:3px solid #dc2626}pre.desired{border-left:3px solid #16a34a}\
.label{color:#6b7280;font-style:italic}.path{font-family:ui-monospace,monospace;font-weight:600;margin-top:.4rem}\
table{border-collapse:collapse}td,th{border:1px solid #e5e7eb;padding:.3rem .6rem;text-align:left}code{font-family:ui-monospace,monospace}\
</style></head><body>\n",
    );
    out.push_str("<h1>drift report</h1>\n");
    let Some((now, latest)) = runs.last() else {
        out.push_str("<p>No runs are stored in this history yet.</p></body></html>\n");
        return out;
    };
    let s = &latest["summary"];
    let n = |k: &str| s[k].as_u64().unwrap_or(0);
    out.push_str(&format!(
        "<p class=\"meta\">Latest run {} of {} stored. {} in sync, <strong>{} changed, {} missing, {} unmanaged</strong>, {} not checked, {} ignored, {} errors.</p>\n",
        esc(&now.date().to_string()),
        runs.len(),
        n("in_sync"),
        n("changed"),
        n("missing"),
        n("unmanaged"),
        n("not_checked"),
        n("ignored"),
        n("errors")
    ));
    out.push_str("<h2>Findings over time</h2>\n<p class=\"legend\">");
    for (status, color) in STATUSES {
        out.push_str(&format!(
            "<span><span class=\"swatch\" style=\"background:{color}\"></span>{}</span>",
            status.replace('_', " ")
        ));
    }
    out.push_str("</p>\n<div class=\"charts\">");
    for title in ["KMS", "Route 53", "RDS and databases"] {
        out.push_str(&chart(title, runs));
    }
    // The newer families, rules and the checklist get a chart once some run has findings of
    // theirs.
    for title in ["CloudFront", "S3", "Rules", "New-service checklist"] {
        let seen = runs.iter().any(|(_, r)| {
            r["findings"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| family(&text(f, "kind")) == title))
        });
        if seen {
            out.push_str(&chart(title, runs));
        }
    }
    out.push_str("</div>\n");
    let rows = latest["checklist"].as_array().cloned().unwrap_or_default();
    if !rows.is_empty() {
        out.push_str("<h2>New-service checklist</h2>\n<table><tr><th>service</th>");
        for (_, title) in super::CHECKLIST_COLUMNS {
            out.push_str(&format!("<th>{}</th>", esc(title)));
        }
        out.push_str("</tr>");
        for row in &rows {
            out.push_str(&format!(
                "<tr><td><code>{}</code></td>",
                esc(&text(row, "service"))
            ));
            for (item, _) in super::CHECKLIST_COLUMNS {
                let cell = row["items"][item].as_str().unwrap_or("not_configured");
                let shown = if cell == "not_configured" {
                    "—".to_string()
                } else {
                    cell.replace('_', " ")
                };
                out.push_str(&format!("<td>{}</td>", esc(&shown)));
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>\n");
    }
    out.push_str("<h2>Current findings</h2>\n");
    let findings = latest["findings"].as_array().cloned().unwrap_or_default();
    if findings.is_empty() {
        out.push_str("<p>No drift.</p>\n");
    }
    for f in &findings {
        let status = text(f, "status");
        out.push_str(&format!(
            "<section class=\"finding {}\"><div><strong>{}</strong> <code>{}</code> — {}",
            esc(&status),
            esc(&text(f, "kind")),
            esc(&text(f, "id")),
            esc(&status.replace('_', " "))
        ));
        if f["new"] == true {
            out.push_str(" <span class=\"age new\">new since last run</span>");
        } else if let Some(first) = f["first_seen"].as_str() {
            out.push_str(&format!(
                " <span class=\"age\">{}</span>",
                esc(&crate::history::age(first, false, *now))
            ));
        }
        out.push_str("</div>");
        let mut meta = Vec::new();
        if let Some(a) = f["address"].as_str() {
            meta.push(format!("<code>{}</code>", esc(a)));
        }
        if let Some(file) = f["source"]["file"].as_str() {
            meta.push(format!(
                "<code>{}:{}</code>",
                esc(file),
                f["source"]["line"].as_u64().unwrap_or(0)
            ));
        }
        if !meta.is_empty() {
            out.push_str(&format!(
                "<div class=\"meta\">declared as {}</div>",
                meta.join(" at ")
            ));
        }
        if let Some(r) = f["reason"].as_str() {
            out.push_str(&format!(
                "<div class=\"meta\">not checked: {}</div>",
                esc(r)
            ));
        }
        for c in f["changes"].as_array().into_iter().flatten() {
            out.push_str(&change_block(c));
        }
        if let Some(r) = f["remediation"].as_str() {
            out.push_str(&format!("<div>To fix: <code>{}</code></div>", esc(r)));
        }
        for h in f["hints"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "<div class=\"meta\">hint: {}</div>",
                esc(h.as_str().unwrap_or_default())
            ));
        }
        out.push_str("</section>\n");
    }
    let resolved = latest["resolved"].as_array().cloned().unwrap_or_default();
    if !resolved.is_empty() {
        out.push_str("<h2>Resolved since the run before</h2>\n<ul>");
        for r in &resolved {
            out.push_str(&format!(
                "<li>{} <code>{}</code> (was {})</li>",
                esc(&text(r, "kind")),
                esc(&text(r, "id")),
                esc(&text(r, "status").replace('_', " "))
            ));
        }
        out.push_str("</ul>\n");
    }
    let ignored = latest["ignored"].as_array().cloned().unwrap_or_default();
    let notices = latest["ignore_notices"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !ignored.is_empty() || !notices.is_empty() {
        out.push_str("<h2>Ignores in force</h2>\n<table><tr><th>kind</th><th>id</th><th>status</th><th>field</th><th>reason</th><th>until</th></tr>");
        for i in &ignored {
            let reason = i["reason"].as_str().map(str::to_string).unwrap_or_else(|| {
                format!(
                    "lifecycle ignore_changes = [{}]",
                    i["attributes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
            out.push_str(&format!(
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&text(i, "kind")),
                esc(&text(i, "id")),
                esc(&text(i, "status").replace('_', " ")),
                esc(&i["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")),
                esc(&reason),
                esc(i["expires"].as_str().unwrap_or("—"))
            ));
        }
        out.push_str("</table>\n");
        for n in &notices {
            out.push_str(&format!(
                "<p class=\"meta\">ignore entry {} <code>{}</code>: {}</p>\n",
                esc(&text(n, "kind")),
                esc(&text(n, "id")),
                esc(&text(n, "problem"))
            ));
        }
    }
    let errors = latest["errors"].as_array().cloned().unwrap_or_default();
    if !errors.is_empty() {
        out.push_str("<h2>Errors</h2>\n<ul>");
        for e in &errors {
            out.push_str(&format!(
                "<li><strong>{}</strong>: {}</li>",
                esc(&text(e, "source")),
                esc(&text(e, "message"))
            ));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(esc("\u{1b}]0;"), "\\u{1b}]0;");
    }
}
