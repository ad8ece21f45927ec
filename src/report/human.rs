//! The human report, shaped like `terraform plan`: one block per finding with its symbol
//! (`+` declared but missing in AWS, `-` in AWS but not in code, `~` changed), the Terraform
//! address and `file:line`, a line diff of canonical JSON, and a summary line.

use super::{Finding, Report, Status};
use crate::model::Op;
use similar::{ChangeTag, TextDiff};

/// ANSI styling, or none.
#[derive(Clone, Copy)]
pub struct Painter {
    pub color: bool,
}

impl Painter {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    fn line(&self, tag: char, indent: &str, s: &str) -> String {
        let text = format!("{indent}{tag} {s}");
        match tag {
            '+' => self.green(&text),
            '-' => self.red(&text),
            '~' => self.yellow(&text),
            _ => text,
        }
    }
}

fn pretty(v: &serde_json::Value) -> String {
    super::safe_json(v)
}

/// Every line of `v`, each marked with `tag`.
fn whole(p: Painter, out: &mut String, tag: char, indent: &str, v: &serde_json::Value) {
    for l in pretty(v).lines() {
        out.push_str(&p.line(tag, indent, l));
        out.push('\n');
    }
}

/// A line diff from live (old) to desired (new): what `terraform apply` would do.
fn diff(
    p: Painter,
    out: &mut String,
    indent: &str,
    live: &serde_json::Value,
    desired: &serde_json::Value,
) {
    let (old, new) = (pretty(live), pretty(desired));
    let d = TextDiff::from_lines(&old, &new);
    for change in d.iter_all_changes() {
        let text = change.value().trim_end_matches('\n');
        let tag = match change.tag() {
            ChangeTag::Delete => '-',
            ChangeTag::Insert => '+',
            ChangeTag::Equal => ' ',
        };
        out.push_str(&p.line(tag, indent, text));
        out.push('\n');
    }
}

fn header(p: Painter, out: &mut String, f: &Finding) {
    let what = format!("{} \"{}\"", f.kind, f.id);
    let checklist = f.kind == crate::model::Kind::ServiceChecklist;
    let text = match f.status {
        Status::Changed if checklist => {
            format!("# {what} differs between the manifest and the repository")
        }
        Status::Missing if checklist => {
            format!("# {what} is in the services manifest but not done")
        }
        Status::Changed => format!("# {what} differs between the code and AWS"),
        Status::Missing => format!("# {what} is declared but does not exist in AWS"),
        Status::Unmanaged => format!("# {what} exists in AWS but is not in the code"),
        Status::NotChecked => format!("# {what} was not checked"),
        Status::Violated => match &f.rule {
            Some(v) => format!(
                "# rule {} does not hold ({}, in {})",
                v.rule,
                v.severity,
                v.places.join(", ")
            ),
            None => format!("# {what} is violated"),
        },
    };
    out.push_str(&format!("  {}\n", p.bold(&text)));
    if let Some(age) = &f.age {
        out.push_str(&format!("  {}\n", p.dim(&format!("# {age}"))));
    }
    if let Some(v) = f.verdict {
        out.push_str(&format!(
            "  {}\n",
            p.bold(&format!(
                "# {}",
                crate::state::three_way::words(v, f.status)
            ))
        ));
    }
    if let Some(o) = &f.origin {
        let at = format!("{}:{}", o.file, o.line);
        let line = match &o.address {
            Some(a) => format!("# declared as {a} at {at}"),
            None if checklist => format!("# at {at}"),
            None => format!("# declared at {at}"),
        };
        out.push_str(&format!("  {}\n", p.dim(&line)));
    }
}

fn render_finding(p: Painter, out: &mut String, f: &Finding) {
    header(p, out, f);
    let what = format!("{} \"{}\"", f.kind, f.id);
    match f.status {
        Status::Changed => {
            out.push_str(&format!("  {} {{\n", p.yellow(&format!("~ {what}"))));
            for c in &f.changes {
                let path = c.shown_path();
                match c.op {
                    Op::Add => {
                        out.push_str(&format!(
                            "      {}\n",
                            p.red(&format!("- {path}  (only in AWS)"))
                        ));
                        if let Some(v) = &c.live {
                            whole(p, out, '-', "          ", v);
                        }
                    }
                    Op::Remove => {
                        out.push_str(&format!(
                            "      {}\n",
                            p.green(&format!("+ {path}  (only in code)"))
                        ));
                        if let Some(v) = &c.desired {
                            whole(p, out, '+', "          ", v);
                        }
                    }
                    Op::Change => {
                        out.push_str(&format!("      {}\n", p.yellow(&format!("~ {path}"))));
                        let null = serde_json::Value::Null;
                        diff(
                            p,
                            out,
                            "          ",
                            c.live.as_ref().unwrap_or(&null),
                            c.desired.as_ref().unwrap_or(&null),
                        );
                    }
                }
            }
            out.push_str("    }\n");
        }
        Status::Missing => {
            out.push_str(&format!("  {}", p.green(&format!("+ {what}"))));
            match &f.remediation {
                Some(sql) => {
                    out.push_str(&format!(
                        "\n      {}\n",
                        p.dim("fix (drift never runs it):")
                    ));
                    out.push_str(&format!("        {sql}\n"));
                }
                // A hint says why apply would not create it.
                None if !f.hints.is_empty() => out.push('\n'),
                None => out.push_str(&format!(
                    "\n      {}\n",
                    p.dim("terraform apply will create it")
                )),
            }
        }
        Status::Unmanaged => {
            out.push_str(&format!("  {} {{\n", p.red(&format!("- {what}"))));
            if let Some(v) = &f.value {
                whole(p, out, '-', "      ", v);
            }
            out.push_str("    }\n");
        }
        Status::NotChecked => {
            out.push_str(&format!(
                "  ? {what}\n      reason: {}\n",
                f.reason.as_deref().unwrap_or("unknown")
            ));
        }
        Status::Violated => {
            out.push_str(&format!("  {}\n", p.red(&format!("! {what}"))));
            if let Some(v) = &f.rule {
                out.push_str(&format!("      {}\n", v.message));
                if let Some(fix) = &v.fix {
                    out.push_str(&format!("      {}\n", p.green(&format!("fix: {fix}"))));
                }
            }
        }
    }
    for h in &f.hints {
        out.push_str(&format!("      {}\n", p.yellow(&format!("hint: {h}"))));
    }
    out.push('\n');
}

/// The new-service checklist as a table: a row per service, a column per item.
fn checklist_table(p: Painter, out: &mut String, rows: &[super::ChecklistRow]) {
    let names: Vec<String> = rows.iter().map(|r| super::safe_line(&r.service)).collect();
    let first = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let widths: Vec<usize> = super::CHECKLIST_COLUMNS
        .iter()
        .map(|(_, t)| t.len().max(11))
        .collect();
    out.push_str(&p.bold("New-service checklist:"));
    out.push('\n');
    let mut head = format!("  {:first$}", "service");
    for ((_, t), w) in super::CHECKLIST_COLUMNS.iter().zip(&widths) {
        head.push_str(&format!("  {t:w$}"));
    }
    out.push_str(&p.dim(head.trim_end()));
    out.push('\n');
    for (row, name) in rows.iter().zip(&names) {
        let mut line = format!("  {name:first$}");
        for (c, w) in row.cells().into_iter().zip(&widths) {
            let cell = format!("{c:w$}");
            let painted = match c {
                "in sync" => p.green(&cell),
                "missing" | "differs" | "error" => p.red(&cell),
                "not checked" => p.yellow(&cell),
                _ => cell,
            };
            line.push_str(&format!("  {painted}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
}

pub fn render(report: &Report, color: bool) -> String {
    let report = &report.terminal_safe();
    let p = Painter { color };
    let mut out = String::new();
    let live = &report.live;
    let mut about = Vec::new();
    if let Some(a) = &live.account_id {
        about.push(format!("account {a}"));
    }
    if let Some(r) = &live.region {
        about.push(r.clone());
    }
    if let Some(c) = &live.captured_at {
        about.push(format!("captured {c}"));
    }
    let source = if live.source == "aws" {
        "live AWS".to_string()
    } else {
        format!("snapshot {}", live.source)
    };
    out.push_str(&format!(
        "drift: code compared with {source}{}\n",
        if about.is_empty() {
            String::new()
        } else {
            format!(" ({})", about.join(", "))
        }
    ));
    if report
        .findings
        .iter()
        .any(|f| f.status != Status::NotChecked)
    {
        out.push_str(&p.dim("symbols: + in code, not in AWS   - in AWS, not in code   ~ differs"));
        out.push('\n');
    }
    out.push('\n');
    for f in &report.findings {
        render_finding(p, &mut out, f);
    }
    if !report.checklist.is_empty() {
        checklist_table(p, &mut out, &report.checklist);
    }
    let labelled = [
        (p.red(&p.bold("error:")), &report.errors),
        (p.yellow(&p.bold("warning:")), &report.warnings),
    ];
    for (label, list) in labelled {
        for e in list {
            out.push_str(&format!("{label} {}: {}\n", e.source, e.message));
        }
    }
    if !report.errors.is_empty() || !report.warnings.is_empty() {
        out.push('\n');
    }
    let s = &report.summary;
    let line = if report.has_drift() {
        format!(
            "Drift: {} changed, {} missing, {} unmanaged, {} not checked; {} in sync.",
            s.changed, s.missing, s.unmanaged, s.not_checked, s.in_sync
        )
    } else if s.errors > 0 {
        format!(
            "No drift in what could be read: {} in sync, {} not checked.",
            s.in_sync, s.not_checked
        )
    } else {
        format!(
            "No drift: {} in sync, {} not checked.",
            s.in_sync, s.not_checked
        )
    };
    let line = if s.ignored > 0 {
        format!("{line} {} ignored (listed below).", s.ignored)
    } else {
        line
    };
    let line = if s.violated > 0 {
        format!("{line} Rules: {} violated.", s.violated)
    } else {
        line
    };
    out.push_str(&p.bold(&line));
    out.push('\n');
    if s.errors > 0 {
        out.push_str(&p.red(&format!(
            "{} source error(s): what they cover was not compared (exit status 1).",
            s.errors
        )));
        out.push('\n');
    }
    for i in report.ignored.iter().filter(|i| i.reason.is_some()) {
        out.push_str(&format!(
            "ignored: {} \"{}\" {}{} — {}{}\n",
            i.kind.as_str(),
            i.id,
            i.status
                .map(|s| s.as_str().replace('_', " "))
                .unwrap_or_default(),
            if i.attributes.is_empty() {
                String::new()
            } else {
                format!(" in {}", i.attributes.join(", "))
            },
            i.reason.as_deref().unwrap_or_default(),
            i.expires
                .as_ref()
                .map(|e| format!(" (until {e})"))
                .unwrap_or_default(),
        ));
    }
    if !report.values_from_state.is_empty() {
        out.push_str(&format!(
            "values from the Terraform state: {}\n",
            report.values_from_state.join(", ")
        ));
    }
    for x in &report.pending {
        out.push_str(&format!(
            "pending terraform apply: {} \"{}\" (the code changed; AWS already matches it)\n",
            x.kind, x.id
        ));
    }
    for r in &report.resolved {
        out.push_str(&p.green(&format!(
            "resolved since last run: {} \"{}\" (was {})\n",
            r.kind,
            r.id,
            r.status.replace('_', " ")
        )));
    }
    for x in &report.not_rechecked {
        out.push_str(&p.yellow(&format!(
            "not re-checked this run ({}): {} \"{}\" was {} (first seen {})\n",
            x.why,
            x.kind,
            x.id,
            x.status.replace('_', " "),
            x.first_seen.as_deref().unwrap_or("?")
        )));
    }
    for n in &report.ignore_notices {
        let what = match n.problem {
            "expired" => format!(
                "expired on {}: no longer ignored",
                n.expires.as_deref().unwrap_or("?")
            ),
            "stale" => "matched nothing in this run (stale): remove it".to_string(),
            _ => "its reason is TODO: not ignored until it says why this is accepted".to_string(),
        };
        out.push_str(&p.yellow(&format!("ignore entry {} \"{}\": {what}\n", n.kind, n.id)));
    }
    for i in report.ignored.iter().filter(|i| i.reason.is_none()) {
        out.push_str(&format!(
            "ignored: {} \"{}\" differs in {} (lifecycle ignore_changes = [{}]{})\n",
            i.kind.as_str(),
            i.id,
            i.differs_in(),
            i.attributes.join(", "),
            i.address
                .as_ref()
                .map(|a| format!(" on {a}"))
                .unwrap_or_default(),
        ));
    }
    out
}
