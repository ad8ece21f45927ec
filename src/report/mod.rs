//! The result of a comparison — findings, summary, errors — and its renderers. Renderers only
//! present what `diff` found; they never compare anything themselves.

pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod markdown;
pub mod read;
pub mod sarif;

use crate::model::{Change, Kind, Origin, SourceError};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Changed,
    Missing,
    Unmanaged,
    NotChecked,
    /// A cross-resource rule does not hold (`kind = rule`).
    Violated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Changed => "changed",
            Status::Missing => "missing",
            Status::Unmanaged => "unmanaged",
            Status::NotChecked => "not_checked",
            Status::Violated => "violated",
        }
    }
}

/// An object whose live differences the code's `ignore_changes` covers, or a finding an
/// `[[ignore]]` entry of drift.toml accepts (then with its status, reason and expiry).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ignored {
    pub kind: Kind,
    pub id: String,
    pub address: Option<String>,
    /// The attributes `ignore_changes` names, or the `field` of an `[[ignore]]` entry.
    pub attributes: Vec<String>,
    pub changes: Vec<Change>,
    /// The finding's status, for an `[[ignore]]` entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Why it is accepted (`[[ignore]]` entries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Until when (`YYYY-MM-DD`), if the entry says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// An `[[ignore]]` entry that needs a person: `expired` (no longer ignoring), `stale` (matched
/// nothing this run), or `todo` (its reason is still "TODO").
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IgnoreNotice {
    pub kind: String,
    pub id: String,
    pub field: Option<String>,
    pub reason: String,
    pub expires: Option<String>,
    pub problem: &'static str,
}

impl Ignored {
    /// What differs, for the reports: the change paths, or the whole value.
    pub fn differs_in(&self) -> String {
        let paths: Vec<&str> = self
            .changes
            .iter()
            .map(|c| c.path.as_str())
            .filter(|p| !p.is_empty())
            .collect();
        if paths.is_empty() {
            "its whole value".to_string()
        } else {
            paths.join(", ")
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub status: Status,
    pub kind: Kind,
    pub id: String,
    /// Where the code declares it (absent for unmanaged objects).
    pub origin: Option<Origin>,
    pub changes: Vec<Change>,
    /// For not_checked: why.
    pub reason: Option<String>,
    /// Remarks that help act on the finding (e.g. a principal whose role was deleted).
    pub hints: Vec<String>,
    /// The canonical desired value (missing) or live value (unmanaged), for display.
    pub value: Option<serde_json::Value>,
    /// What a person runs to fix it when it is not a code change (e.g. SQL).
    pub remediation: Option<String>,
    /// With `--history`: when this finding was first seen (RFC 3339), unbroken since.
    pub first_seen: Option<String>,
    /// With `--history`: not in the previous run.
    pub new: Option<bool>,
    /// With `--history`: "new since last run", "drifting for 3 days".
    pub age: Option<String>,
    /// With a Terraform state: the value it records (null when it has none).
    pub state: Option<serde_json::Value>,
    /// With a Terraform state: what `terraform apply` would do (`state/three_way.rs`).
    pub verdict: Option<&'static str>,
    /// For an object only in AWS: where the code declares what it belongs to (its zone, its
    /// instance), so a tool that needs a place in the code (SARIF) has one.
    pub near: Option<Origin>,
    /// For a rule's finding (`kind = rule`): which rule, how bad, where it does not hold, the
    /// evidence and the fix.
    pub rule: Option<RuleVerdict>,
}

impl Finding {
    /// A finding with nothing but its status, kind and id.
    pub fn new(status: Status, kind: Kind, id: impl Into<String>) -> Finding {
        Finding {
            status,
            kind,
            id: id.into(),
            origin: None,
            changes: Vec::new(),
            reason: None,
            hints: Vec::new(),
            value: None,
            remediation: None,
            first_seen: None,
            new: None,
            age: None,
            state: None,
            verdict: None,
            near: None,
            rule: None,
        }
    }
}

/// How one item stands for one service, as the checklist table shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cell {
    InSync,
    Missing,
    Differs,
    NotChecked,
    OptedOut,
    /// The manifest says nothing about where the item lives.
    NotConfigured,
    /// Its file could not be read: an error, reported.
    Error,
}

impl Cell {
    pub fn from_status(s: Status) -> Cell {
        match s {
            Status::Missing => Cell::Missing,
            Status::Changed | Status::Unmanaged | Status::Violated => Cell::Differs,
            Status::NotChecked => Cell::NotChecked,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Cell::InSync => "in sync",
            Cell::Missing => "missing",
            Cell::Differs => "differs",
            Cell::NotChecked => "not checked",
            Cell::OptedOut => "opted out",
            Cell::NotConfigured => "—",
            Cell::Error => "error",
        }
    }
}

/// One service's row of the new-service checklist table: item → how it stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChecklistRow {
    pub service: String,
    #[serde(deserialize_with = "read::checklist_items")]
    pub items: std::collections::BTreeMap<&'static str, Cell>,
}

/// The checklist's columns, in the checklist's order, and how the tables title them.
pub const CHECKLIST_COLUMNS: [(&str, &str); 5] = [
    ("database", "database"),
    ("secret", "secret"),
    ("helm_values", "Helm values"),
    ("argocd_app", "Argo CD app"),
    ("ci_pipeline", "CI pipeline"),
];

impl ChecklistRow {
    /// The row's cells in column order (`—` for an item the manifest says nothing about).
    pub fn cells(&self) -> Vec<&'static str> {
        CHECKLIST_COLUMNS
            .iter()
            .map(|(item, _)| {
                self.items
                    .get(item)
                    .copied()
                    .unwrap_or(Cell::NotConfigured)
                    .as_str()
            })
            .collect()
    }
}

/// A cross-resource rule that does not hold for one subject (`rules/`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleVerdict {
    /// The rule's name (`key_policy_lockout`): SARIF's rule id.
    pub rule: &'static str,
    /// `high` (an outage or a lockout), `warning` (something that silently stops working).
    pub severity: &'static str,
    /// Where it does not hold: `code` (the code alone), `aws` (what runs now), `after_apply`
    /// (what `terraform apply` would leave: the code over what runs).
    #[serde(rename = "where")]
    pub places: Vec<&'static str>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The objects and statements evaluated.
    pub evidence: serde_json::Value,
    /// What to change.
    pub fix: Option<String>,
}

/// With a Terraform state: an object in sync between code and AWS whose state differs — a code
/// change not applied yet (apply only updates the state, or imports it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pending {
    pub kind: Kind,
    pub id: String,
    pub verdict: &'static str,
    pub state: Option<serde_json::Value>,
}

/// With `--history`: a finding of the previous run that this run no longer has.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resolved {
    pub kind: String,
    pub id: String,
    pub status: String,
}

/// With `--history`: a finding of the previous run that this run could not look at again (its
/// family's read failed, or `--only` left the family out). Carried forward with its
/// `first_seen`, never called resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Carried {
    pub kind: String,
    pub id: String,
    pub status: String,
    pub first_seen: Option<String>,
    /// Why it was not looked at again ("the kms read failed", "left out by --only").
    pub why: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    pub in_sync: usize,
    pub changed: usize,
    pub missing: usize,
    pub unmanaged: usize,
    pub not_checked: usize,
    /// Cross-resource rules that do not hold (additive field).
    pub violated: usize,
    /// Objects whose differences `lifecycle { ignore_changes }` covers (additive field).
    pub ignored: usize,
    pub errors: usize,
}

impl Summary {
    /// Counts one finding of `status`.
    pub fn count(&mut self, status: Status) {
        match status {
            Status::Changed => self.changed += 1,
            Status::Missing => self.missing += 1,
            Status::Unmanaged => self.unmanaged += 1,
            Status::NotChecked => self.not_checked += 1,
            Status::Violated => self.violated += 1,
        }
    }
}

/// What the run compared against, for the report's header.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveInfo {
    /// `aws` or the snapshot path.
    pub source: String,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub captured_at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Differences left alone by `ignore_changes`: counted and listed, never dropped.
    pub ignored: Vec<Ignored>,
    /// `[[ignore]]` entries that are expired, stale or without a reason.
    pub ignore_notices: Vec<IgnoreNotice>,
    /// Whether the run history was read (`--history`).
    pub history: bool,
    /// With `--history`: what the previous run found that this one does not.
    pub resolved: Vec<Resolved>,
    /// With `--history`: the previous run's findings this run did not look at again.
    pub not_rechecked: Vec<Carried>,
    /// Whether a Terraform state was read (the three-way view).
    pub three_way: bool,
    /// With a Terraform state: code changes waiting for `terraform apply`.
    pub pending: Vec<Pending>,
    /// Values AWS computed that the code uses, taken from the Terraform state
    /// (`aws_lb.web.dns_name`).
    pub values_from_state: Vec<String>,
    pub summary: Summary,
    pub errors: Vec<SourceError>,
    /// What terraform would warn about (a `check` block's failed assertion): shown, never
    /// counted as drift or as an error.
    pub warnings: Vec<SourceError>,
    /// With a services manifest that says where the checklist's items live: one row per
    /// service, item by item.
    pub checklist: Vec<ChecklistRow>,
    pub live: LiveInfo,
    /// With `check --shard K/N`: which part of the roots this report covers.
    pub shard: Option<ShardInfo>,
}

/// A shard report's part (`check --shard K/N`), so that `drift merge` knows what it holds and
/// what is missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    pub index: usize,
    pub count: usize,
    /// The roots it checked, as displayed.
    pub roots: Vec<String>,
    /// The accounts their providers name (none: the caller's).
    pub accounts: Vec<String>,
}

impl Report {
    /// Drift means something to act on: a change, a missing or an unmanaged object.
    pub fn has_drift(&self) -> bool {
        self.summary.changed + self.summary.missing + self.summary.unmanaged > 0
    }
}

/// Text from outside drift (names, values, policy strings, server messages) made safe for a
/// terminal and for CI logs, on one line: every control character — line breaks and tabs
/// included — and the Unicode line and paragraph separators are shown escaped (`\n`,
/// `\u{1b}`), so a live name can never move the cursor, retitle the window, or start a line
/// of its own (GitHub Actions runs any output line that starts with `::`).
pub fn safe_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// The same for a message that may carry drift's own source excerpt (`Error::render`: lines
/// that begin with the ` | ` gutter): those line breaks are kept, every other one is shown
/// escaped, so each line still begins with drift's text, never with data.
pub fn safe_message(s: &str) -> String {
    let s = bounded(s);
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            if is_gutter(line) {
                out.push('\n');
            } else {
                out.push_str("\\n");
            }
        }
        out.push_str(&safe_line(line));
    }
    out
}

/// `  |`, `12 | …`: the gutter of a source excerpt drift renders under an input error.
fn is_gutter(line: &str) -> bool {
    let rest = line.trim_start_matches(' ');
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    rest.starts_with(" |") || rest.starts_with('|')
}

/// The most characters of one message drift shows: a value from outside (a 10 MB service
/// name) is quoted as an excerpt, never whole.
pub const MAX_MESSAGE: usize = 2000;

/// `s` cut to `MAX_MESSAGE` characters, saying how many were left out.
pub fn bounded(s: &str) -> String {
    match s.char_indices().nth(MAX_MESSAGE) {
        None => s.to_string(),
        Some((at, _)) => format!(
            "{}… ({} more characters not shown)",
            &s[..at],
            s[at..].chars().count()
        ),
    }
}

/// Pretty JSON made safe for a terminal: serde escapes the C0 controls; DEL and the C1
/// controls (which some terminals obey) are escaped here, as JSON escapes.
pub fn safe_json(v: &serde_json::Value) -> String {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

impl Report {
    /// Hides every value the run learnt is sensitive (`crate::secrets`) in every field a
    /// renderer, the history or the patch reads, before any of them runs; the comparison is
    /// already done with the real values. Returns the findings that had one, by (kind, id).
    pub fn redact_secrets(&mut self) -> std::collections::BTreeSet<(crate::model::Kind, String)> {
        use crate::secrets::{redact_in_place as text, redact_json as json};
        let mut touched = std::collections::BTreeSet::new();
        if !crate::secrets::any() {
            return touched;
        }
        let opt = |o: &mut Option<String>| o.as_mut().is_some_and(text);
        let opt_json = |o: &mut Option<serde_json::Value>| o.as_mut().is_some_and(json);
        for f in &mut self.findings {
            let mut hit = text(&mut f.id);
            hit |= opt(&mut f.reason);
            hit |= opt(&mut f.remediation);
            hit |= opt_json(&mut f.value);
            hit |= opt_json(&mut f.state);
            for h in &mut f.hints {
                hit |= text(h);
            }
            for c in &mut f.changes {
                hit |= text(&mut c.path);
                hit |= opt_json(&mut c.desired);
                hit |= opt_json(&mut c.live);
            }
            if hit {
                touched.insert((f.kind, f.id.clone()));
            }
        }
        for i in &mut self.ignored {
            text(&mut i.id);
            opt(&mut i.reason);
            for c in &mut i.changes {
                text(&mut c.path);
                opt_json(&mut c.desired);
                opt_json(&mut c.live);
            }
        }
        for p in &mut self.pending {
            text(&mut p.id);
            opt_json(&mut p.state);
        }
        for r in &mut self.resolved {
            text(&mut r.id);
        }
        for r in &mut self.not_rechecked {
            text(&mut r.id);
        }
        for n in &mut self.ignore_notices {
            text(&mut n.id);
        }
        for e in self.errors.iter_mut().chain(self.warnings.iter_mut()) {
            text(&mut e.message);
        }
        touched
    }

    /// A copy whose every string from outside is `safe` for a terminal (for the human and
    /// Markdown reports; JSON escapes on its own).
    pub fn terminal_safe(&self) -> Report {
        let mut r = self.clone();
        let opt = |o: &mut Option<String>| {
            if let Some(s) = o {
                *s = safe_line(s);
            }
        };
        for f in &mut r.findings {
            f.id = safe_line(&f.id);
            opt(&mut f.reason);
            opt(&mut f.remediation);
            f.hints = f.hints.iter().map(|h| safe_line(h)).collect();
            for c in &mut f.changes {
                c.path = safe_line(&c.path);
            }
            if let Some(o) = &mut f.origin {
                o.file = safe_line(&o.file);
                opt(&mut o.address);
            }
            // A rule's sentence quotes live names (a record's target, a distribution's alias).
            if let Some(v) = &mut f.rule {
                v.message = safe_line(&bounded(&v.message));
                if let Some(fix) = &mut v.fix {
                    *fix = safe_line(&bounded(fix));
                }
            }
        }
        for i in &mut r.ignored {
            i.id = safe_line(&i.id);
            opt(&mut i.address);
            i.attributes = i.attributes.iter().map(|a| safe_line(a)).collect();
            for c in &mut i.changes {
                c.path = safe_line(&c.path);
            }
        }
        for i in &mut r.ignored {
            opt(&mut i.reason);
        }
        for x in &mut r.resolved {
            x.kind = safe_line(&x.kind);
            x.id = safe_line(&x.id);
            x.status = safe_line(&x.status);
        }
        for x in &mut r.not_rechecked {
            x.kind = safe_line(&x.kind);
            x.id = safe_line(&x.id);
            x.status = safe_line(&x.status);
            x.why = safe_line(&x.why);
            opt(&mut x.first_seen);
        }
        for x in &mut r.pending {
            x.id = safe_line(&x.id);
        }
        r.values_from_state = r.values_from_state.iter().map(|v| safe_line(v)).collect();
        for f in &mut r.findings {
            opt(&mut f.age);
            opt(&mut f.first_seen);
        }
        for n in &mut r.ignore_notices {
            n.id = safe_line(&n.id);
            n.reason = safe_line(&n.reason);
            opt(&mut n.field);
        }
        for e in r.errors.iter_mut().chain(r.warnings.iter_mut()) {
            e.source = safe_line(&e.source);
            e.message = safe_message(&e.message);
        }
        r.live.source = safe_line(&r.live.source);
        opt(&mut r.live.account_id);
        opt(&mut r.live.region);
        opt(&mut r.live.captured_at);
        r
    }
}
