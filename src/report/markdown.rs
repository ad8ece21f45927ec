//! The Markdown report for the nightly job and the GitHub job summary: a summary table, then
//! one section per finding with a `diff` code block.
//!
//! Every value from outside drift (ids, paths, reasons, server messages, values) goes through
//! one escaping layer: an inline code span whose backtick fence is longer than any backtick run
//! in the value ([`code`]), `|` escaped inside table cells ([`cell`]), or a fenced block whose
//! fence is longer than any backtick run ([`block`]). Inside code spans and blocks CommonMark
//! reads no HTML, link, image, emphasis or heading, so data can never become markup; values
//! are already on one line (`Report::terminal_safe`).

use super::{Report, Status};
use crate::model::Op;

fn pretty(v: &serde_json::Value) -> String {
    super::safe_json(v)
}

/// The longest run of backticks in `s`.
fn longest_backtick_run(s: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        if c == '`' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// `s` as an inline code span no content can close early. The padding spaces (which
/// CommonMark strips) keep a leading or trailing backtick or space inside the span.
pub fn code(s: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(s) + 1);
    if s.is_empty() {
        return "` `".to_string();
    }
    let pad = s.starts_with(['`', ' ']) || s.ends_with(['`', ' ']);
    if pad {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// `s` as a code span in a table cell: a `|` cannot end the cell.
fn cell(s: &str) -> String {
    code(s).replace('|', "\\|")
}

/// `s` as a fenced code block (with `lang`) no line of it can close.
fn block(lang: &str, s: &str) -> String {
    let fence = "`".repeat((longest_backtick_run(s) + 1).max(3));
    let body = s.trim_end_matches('\n');
    format!("{fence}{lang}\n{body}\n{fence}\n")
}

fn prefixed(out: &mut String, tag: char, v: &serde_json::Value) {
    for l in pretty(v).lines() {
        out.push_str(&format!("{tag} {l}\n"));
    }
}

pub fn render(report: &Report) -> String {
    let report = &report.terminal_safe();
    let s = &report.summary;
    let mut out = String::from("# drift report\n\n");
    out.push_str(&format!("Live state: {}", code(&report.live.source)));
    if let Some(a) = &report.live.account_id {
        out.push_str(&format!(", account {}", code(a)));
    }
    if let Some(r) = &report.live.region {
        out.push_str(&format!(", {}", code(r)));
    }
    if let Some(c) = &report.live.captured_at {
        out.push_str(&format!(", captured {}", code(c)));
    }
    out.push_str("\n\n| in sync | changed | missing | unmanaged | not checked | errors |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|\n");
    out.push_str(&format!(
        "| {} | {} | {} | {} | {} | {} |\n\n",
        s.in_sync, s.changed, s.missing, s.unmanaged, s.not_checked, s.errors
    ));
    if !report.checklist.is_empty() {
        out.push_str("## New-service checklist\n\n| service |");
        for (_, title) in super::CHECKLIST_COLUMNS {
            out.push_str(&format!(" {title} |"));
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(super::CHECKLIST_COLUMNS.len()));
        out.push('\n');
        for row in &report.checklist {
            out.push_str(&format!("| {} |", code(&row.service)));
            for c in row.cells() {
                out.push_str(&format!(" {c} |"));
            }
            out.push('\n');
        }
        out.push('\n');
    }
    if report.findings.is_empty()
        && report.errors.is_empty()
        && report.ignored.is_empty()
        && report.ignore_notices.is_empty()
        && report.resolved.is_empty()
        && report.not_rechecked.is_empty()
        && report.pending.is_empty()
    {
        out.push_str("No drift.\n");
        return out;
    }
    for f in &report.findings {
        out.push_str(&format!(
            "## {} {} — {}\n\n",
            f.kind,
            code(&f.id),
            f.status.as_str().replace('_', " ")
        ));
        if let Some(age) = &f.age {
            out.push_str(&format!("Age: {}\n\n", code(age)));
        }
        if let Some(v) = f.verdict {
            out.push_str(&format!(
                "**{}**\n\n",
                crate::state::three_way::words(v, f.status)
            ));
        }
        if let Some(o) = &f.origin {
            let at = code(&format!("{}:{}", o.file, o.line));
            match &o.address {
                Some(a) => out.push_str(&format!("Declared as {} at {at}.\n\n", code(a))),
                None if f.kind == crate::model::Kind::ServiceChecklist => {
                    out.push_str(&format!("At {at}.\n\n"))
                }
                None => out.push_str(&format!("Declared at {at}.\n\n")),
            }
        }
        match f.status {
            Status::Changed => {
                let mut diff = String::new();
                for c in &f.changes {
                    diff.push_str(&format!("# {}\n", c.shown_path()));
                    match c.op {
                        Op::Add => c.live.iter().for_each(|v| prefixed(&mut diff, '-', v)),
                        Op::Remove => c.desired.iter().for_each(|v| prefixed(&mut diff, '+', v)),
                        Op::Change => {
                            c.live.iter().for_each(|v| prefixed(&mut diff, '-', v));
                            c.desired.iter().for_each(|v| prefixed(&mut diff, '+', v));
                        }
                    }
                }
                out.push_str(&block("diff", &diff));
                if f.kind == crate::model::Kind::ServiceChecklist {
                    out.push_str("\n`-` is in the repository, `+` in the services manifest.\n\n");
                } else {
                    out.push_str("\n`-` is in AWS only, `+` in code only.\n\n");
                }
            }
            Status::Missing => match &f.remediation {
                Some(sql) => {
                    out.push_str("Create it (drift never runs this):\n\n");
                    out.push_str(&block("sql", sql));
                    out.push('\n');
                }
                None if !f.hints.is_empty() => {}
                None => out.push_str("`terraform apply` will create it.\n\n"),
            },
            Status::Unmanaged => {
                out.push_str("In AWS, not in code:\n\n");
                let value = f.value.as_ref().map(pretty).unwrap_or_default();
                out.push_str(&block("json", &value));
                out.push('\n');
            }
            Status::NotChecked => {
                out.push_str(&format!(
                    "Not checked: {}\n\n",
                    code(f.reason.as_deref().unwrap_or("unknown"))
                ));
            }
            Status::Violated => {
                if let Some(v) = &f.rule {
                    out.push_str(&format!(
                        "Rule {} ({}) does not hold in {}: {}\n\n",
                        code(v.rule),
                        v.severity,
                        v.places.join(", "),
                        code(&v.message)
                    ));
                    if let Some(fix) = &v.fix {
                        out.push_str(&format!("Fix: {}\n\n", code(fix)));
                    }
                }
            }
        }
        for h in &f.hints {
            out.push_str(&format!("Hint: {}\n\n", code(h)));
        }
    }
    if report.ignored.iter().any(|i| i.reason.is_some()) {
        out.push_str("## Ignored (accepted in drift.toml)\n\n");
        out.push_str(
            "| kind | id | status | field | reason | until |\n|---|---|---|---|---|---|\n",
        );
        for i in report.ignored.iter().filter(|i| i.reason.is_some()) {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                i.kind,
                cell(&i.id),
                i.status
                    .map(|s| s.as_str().replace('_', " "))
                    .unwrap_or_default(),
                if i.attributes.is_empty() {
                    String::new()
                } else {
                    cell(&i.attributes.join(", "))
                },
                cell(i.reason.as_deref().unwrap_or_default()),
                i.expires.as_deref().map(cell).unwrap_or_else(|| "—".into()),
            ));
        }
        out.push('\n');
    }
    if !report.values_from_state.is_empty() {
        out.push_str(&format!(
            "Values AWS computed, taken from the Terraform state: {}.\n\n",
            report
                .values_from_state
                .iter()
                .map(|v| code(v))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !report.pending.is_empty() {
        out.push_str("## Pending terraform apply\n\n");
        for x in &report.pending {
            out.push_str(&format!(
                "- {} {}: the code changed; AWS already matches it\n",
                x.kind,
                code(&x.id)
            ));
        }
        out.push('\n');
    }
    if !report.resolved.is_empty() {
        out.push_str("## Resolved since last run\n\n");
        for r in &report.resolved {
            out.push_str(&format!(
                "- {} {} (was {})\n",
                code(&r.kind),
                code(&r.id),
                code(&r.status.replace('_', " "))
            ));
        }
        out.push('\n');
    }
    if !report.not_rechecked.is_empty() {
        out.push_str("## Not re-checked this run (carried from the last run)\n\n");
        for x in &report.not_rechecked {
            out.push_str(&format!(
                "- {} {} (was {}, first seen {}): {}\n",
                code(&x.kind),
                code(&x.id),
                code(&x.status.replace('_', " ")),
                code(x.first_seen.as_deref().unwrap_or("?")),
                code(&x.why)
            ));
        }
        out.push('\n');
    }
    if !report.ignore_notices.is_empty() {
        out.push_str("## Ignore entries to look at\n\n");
        for n in &report.ignore_notices {
            let what = match n.problem {
                "expired" => format!(
                    "expired on {}; no longer ignored",
                    code(n.expires.as_deref().unwrap_or("?"))
                ),
                "stale" => "matched nothing in this run (stale)".to_string(),
                _ => "reason is still TODO: not ignored until it says why".to_string(),
            };
            out.push_str(&format!("- {} {}: {what}\n", code(&n.kind), code(&n.id)));
        }
        out.push('\n');
    }
    if report.ignored.iter().any(|i| i.reason.is_none()) {
        out.push_str("## Ignored (lifecycle `ignore_changes`)\n\n");
        for i in report.ignored.iter().filter(|i| i.reason.is_none()) {
            out.push_str(&format!(
                "- {} {}{}: differs in {}; {}\n",
                i.kind,
                code(&i.id),
                i.address
                    .as_ref()
                    .map(|a| format!(" ({})", code(a)))
                    .unwrap_or_default(),
                code(&i.differs_in()),
                code(&format!("ignore_changes = [{}]", i.attributes.join(", ")))
            ));
        }
        out.push('\n');
    }
    if !report.warnings.is_empty() {
        out.push_str("## Warnings\n\n");
        for w in &report.warnings {
            out.push_str(&format!("**{}**:\n\n", code(&w.source)));
            out.push_str(&block("text", &w.message));
            out.push('\n');
        }
    }
    if !report.errors.is_empty() {
        out.push_str("## Errors\n\n");
        for e in &report.errors {
            out.push_str(&format!("**{}**:\n\n", code(&e.source)));
            out.push_str(&block("text", &e.message));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_and_blocks_cannot_be_closed_by_their_content() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(cell("a|b"), "`a\\|b`");
        assert_eq!(block("", "```\nx"), "````\n```\nx\n````\n");
    }
}
