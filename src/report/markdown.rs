//! The Markdown report for the nightly job: a summary table, then one section per finding
//! with a `diff` code block.

use super::{Report, Status};
use crate::model::Op;

fn pretty(v: &serde_json::Value) -> String {
    super::safe_json(v)
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
    out.push_str(&format!("Live state: `{}`", report.live.source));
    if let Some(a) = &report.live.account_id {
        out.push_str(&format!(", account `{a}`"));
    }
    if let Some(r) = &report.live.region {
        out.push_str(&format!(", `{r}`"));
    }
    if let Some(c) = &report.live.captured_at {
        out.push_str(&format!(", captured {c}"));
    }
    out.push_str("\n\n| in sync | changed | missing | unmanaged | not checked | errors |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|\n");
    out.push_str(&format!(
        "| {} | {} | {} | {} | {} | {} |\n\n",
        s.in_sync, s.changed, s.missing, s.unmanaged, s.not_checked, s.errors
    ));
    if report.findings.is_empty()
        && report.errors.is_empty()
        && report.ignored.is_empty()
        && report.ignore_notices.is_empty()
        && report.resolved.is_empty()
        && report.pending.is_empty()
    {
        out.push_str("No drift.\n");
        return out;
    }
    for f in &report.findings {
        out.push_str(&format!(
            "## {} `{}` — {}\n\n",
            f.kind,
            f.id,
            f.status.as_str().replace('_', " ")
        ));
        if let Some(age) = &f.age {
            out.push_str(&format!("*{age}*\n\n"));
        }
        if let Some(v) = f.verdict {
            out.push_str(&format!("**{}**\n\n", crate::three_way::words(v, f.status)));
        }
        if let Some(o) = &f.origin {
            match &o.address {
                Some(a) => out.push_str(&format!(
                    "Declared as `{a}` at `{}:{}`.\n\n",
                    o.file, o.line
                )),
                None => out.push_str(&format!("Declared at `{}:{}`.\n\n", o.file, o.line)),
            }
        }
        match f.status {
            Status::Changed => {
                out.push_str("```diff\n");
                for c in &f.changes {
                    out.push_str(&format!("# {}\n", c.shown_path()));
                    match c.op {
                        Op::Add => c.live.iter().for_each(|v| prefixed(&mut out, '-', v)),
                        Op::Remove => c.desired.iter().for_each(|v| prefixed(&mut out, '+', v)),
                        Op::Change => {
                            c.live.iter().for_each(|v| prefixed(&mut out, '-', v));
                            c.desired.iter().for_each(|v| prefixed(&mut out, '+', v));
                        }
                    }
                }
                out.push_str("```\n\n`-` is in AWS only, `+` in code only.\n\n");
            }
            Status::Missing => match &f.remediation {
                Some(sql) => out.push_str(&format!(
                    "Create it (drift never runs this):\n\n```sql\n{sql}\n```\n\n"
                )),
                None => out.push_str("`terraform apply` will create it.\n\n"),
            },
            Status::Unmanaged => {
                out.push_str("In AWS, not in code:\n\n```json\n");
                if let Some(v) = &f.value {
                    out.push_str(&pretty(v));
                }
                out.push_str("\n```\n\n");
            }
            Status::NotChecked => {
                out.push_str(&format!(
                    "Not checked: {}\n\n",
                    f.reason.as_deref().unwrap_or("unknown")
                ));
            }
        }
        for h in &f.hints {
            out.push_str(&format!("> hint: {h}\n\n"));
        }
    }
    if report.ignored.iter().any(|i| i.reason.is_some()) {
        out.push_str("## Ignored (accepted in drift.toml)\n\n");
        out.push_str(
            "| kind | id | status | field | reason | until |\n|---|---|---|---|---|---|\n",
        );
        for i in report.ignored.iter().filter(|i| i.reason.is_some()) {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} | {} | {} |\n",
                i.kind,
                i.id,
                i.status
                    .map(|s| s.as_str().replace('_', " "))
                    .unwrap_or_default(),
                i.attributes.join(", "),
                i.reason.as_deref().unwrap_or_default().replace('|', "\\|"),
                i.expires.as_deref().unwrap_or("—"),
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
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !report.pending.is_empty() {
        out.push_str("## Pending terraform apply\n\n");
        for x in &report.pending {
            out.push_str(&format!(
                "- {} `{}`: the code changed; AWS already matches it\n",
                x.kind, x.id
            ));
        }
        out.push('\n');
    }
    if !report.resolved.is_empty() {
        out.push_str("## Resolved since last run\n\n");
        for r in &report.resolved {
            out.push_str(&format!(
                "- {} `{}` (was {})\n",
                r.kind,
                r.id,
                r.status.replace('_', " ")
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
                    n.expires.as_deref().unwrap_or("?")
                ),
                "stale" => "matched nothing in this run (stale)".to_string(),
                _ => "reason is still TODO".to_string(),
            };
            out.push_str(&format!("- {} `{}`: {what}\n", n.kind, n.id));
        }
        out.push('\n');
    }
    if report.ignored.iter().any(|i| i.reason.is_none()) {
        out.push_str("## Ignored (lifecycle `ignore_changes`)\n\n");
        for i in report.ignored.iter().filter(|i| i.reason.is_none()) {
            out.push_str(&format!(
                "- {} `{}`{}: differs in {}; `ignore_changes = [{}]`\n",
                i.kind,
                i.id,
                i.address
                    .as_ref()
                    .map(|a| format!(" (`{a}`)"))
                    .unwrap_or_default(),
                i.differs_in(),
                i.attributes.join(", ")
            ));
        }
        out.push('\n');
    }
    if !report.errors.is_empty() {
        out.push_str("## Errors\n\n");
        for e in &report.errors {
            out.push_str(&format!("- **{}**: {}\n", e.source, e.message));
        }
        out.push('\n');
    }
    out
}
