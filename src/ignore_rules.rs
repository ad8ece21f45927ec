//! Accountable ignores: the `[[ignore]]` entries of drift.toml, applied to a finished report.
//! A matching finding (or, with `field`, the changes at that path) moves from `findings` to
//! `ignored` with its reason — counted and listed, never dropped. An expired entry stops
//! ignoring and says so; an entry that matched nothing is reported stale; a reason of "TODO"
//! (what `--write-ignores` writes) is reported until someone fills it. Knows nothing of how
//! findings are made.

use crate::config::IgnoreRule;
use crate::report::{IgnoreNotice, Ignored, Report, Status};

/// `*` any run of characters, `?` one; everything else literal.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether a change at `path` is inside `field` (the field itself or below it).
fn inside(path: &str, field: &str) -> bool {
    path == field
        || path
            .strip_prefix(field)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

pub fn apply(report: &mut Report, rules: &[IgnoreRule], today: time::Date) {
    if rules.is_empty() {
        return;
    }
    let active: Vec<bool> = rules
        .iter()
        .map(|r| r.expires.is_none_or(|e| today <= e))
        .collect();
    let mut matched = vec![0usize; rules.len()];
    let mut kept = Vec::new();
    for mut f in std::mem::take(&mut report.findings) {
        let rule = rules.iter().enumerate().find(|(i, r)| {
            active[*i]
                && r.kind == f.kind.as_str()
                && glob(&r.id, &f.id)
                && r.field
                    .as_deref()
                    .is_none_or(|field| f.changes.iter().any(|c| inside(&c.path, field)))
        });
        let Some((i, r)) = rule else {
            kept.push(f);
            continue;
        };
        matched[i] += 1;
        let (ignored_changes, rest): (Vec<_>, Vec<_>) = match &r.field {
            Some(field) => f.changes.into_iter().partition(|c| inside(&c.path, field)),
            None => (std::mem::take(&mut f.changes), Vec::new()),
        };
        let whole = r.field.is_none() || rest.is_empty();
        report.ignored.push(Ignored {
            kind: f.kind,
            id: f.id.clone(),
            address: f.origin.as_ref().and_then(|o| o.address.clone()),
            attributes: r.field.iter().cloned().collect(),
            changes: ignored_changes,
            status: Some(f.status),
            reason: Some(r.reason.clone()),
            expires: r.expires.map(|d| d.to_string()),
        });
        report.summary.ignored += 1;
        if whole {
            let s = &mut report.summary;
            match f.status {
                Status::Changed => s.changed -= 1,
                Status::Missing => s.missing -= 1,
                Status::Unmanaged => s.unmanaged -= 1,
                Status::NotChecked => s.not_checked -= 1,
            }
        } else {
            f.changes = rest;
            kept.push(f);
        }
    }
    report.findings = kept;
    for (i, r) in rules.iter().enumerate() {
        let problem = if !active[i] {
            "expired"
        } else if matched[i] == 0 {
            "stale"
        } else if r.reason.trim() == "TODO" {
            "todo"
        } else {
            continue;
        };
        report.ignore_notices.push(IgnoreNotice {
            kind: r.kind.clone(),
            id: r.id.clone(),
            field: r.field.clone(),
            reason: r.reason.clone(),
            expires: r.expires.map(|d| d.to_string()),
            problem,
        });
    }
}

/// The `[[ignore]]` entries `--write-ignores` appends for the findings of a run.
pub fn entries_for(report: &Report) -> String {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&format!(
            "\n[[ignore]]\nkind = {}\nid = {}\nreason = \"TODO\"  # {}: say why this is accepted\n",
            quote(f.kind.as_str()),
            quote(&f.id),
            f.status.as_str()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("*", "anything"));
        assert!(glob("cdn.*", "cdn.wealist.co.kr/A"));
        assert!(glob("*/A", "cdn.wealist.co.kr/A"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "abbc"));
        assert!(!glob("cdn.*", "www.cdn.x"));
        assert!(glob("*.co.kr/*", "x.co.kr/CNAME"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
    }

    #[test]
    fn fields_cover_what_is_below_them() {
        assert!(inside("Statement[A]", "Statement[A]"));
        assert!(inside("Statement[A].Action", "Statement[A]"));
        assert!(!inside("Statement[AB]", "Statement[A]"));
    }
}
