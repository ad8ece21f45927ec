//! Accountable ignores: the `[[ignore]]` entries of drift.toml, applied to a finished report.
//! A matching finding (or, with `field`, the changes at that path) moves from `findings` to
//! `ignored` with its reason — counted and listed, never dropped. An expired entry stops
//! ignoring and says so; an entry that matched nothing is reported stale; an entry whose
//! reason is "TODO" (what `--write-ignores` writes) ignores nothing — its findings still count
//! for the report and the exit status — and is reported until someone writes a reason.
//! Knows nothing of how findings are made.

use crate::config::IgnoreRule;
use crate::model::glob::glob;
use crate::report::{IgnoreNotice, Ignored, Report, Status};

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
    let expired: Vec<bool> = rules
        .iter()
        .map(|r| r.expires.is_some_and(|e| today > e))
        .collect();
    // An entry whose reason is still TODO (what `--write-ignores` writes) ignores nothing: its
    // findings stay findings, for the report and the exit status, until someone says why.
    let todo: Vec<bool> = rules.iter().map(|r| r.reason.trim() == "TODO").collect();
    let active: Vec<bool> = (0..rules.len()).map(|i| !expired[i] && !todo[i]).collect();
    let matches = |r: &IgnoreRule, f: &crate::report::Finding| {
        r.kind == f.kind.as_str()
            && glob(&r.id, &f.id)
            && r.field
                .as_deref()
                .is_none_or(|field| f.changes.iter().any(|c| inside(&c.path, field)))
    };
    let mut matched = vec![0usize; rules.len()];
    let mut kept = Vec::new();
    for mut f in std::mem::take(&mut report.findings) {
        let rule = rules
            .iter()
            .enumerate()
            .find(|(i, r)| active[*i] && matches(r, &f));
        let Some((i, r)) = rule else {
            for (i, r) in rules.iter().enumerate() {
                if todo[i] && !expired[i] && matches(r, &f) {
                    matched[i] += 1;
                }
            }
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
                Status::Violated => s.violated -= 1,
            }
        } else {
            f.changes = rest;
            kept.push(f);
        }
    }
    report.findings = kept;
    for (i, r) in rules.iter().enumerate() {
        let problem = if expired[i] {
            "expired"
        } else if matched[i] == 0 {
            "stale"
        } else if todo[i] {
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

/// Adds an `ignore` entry with reason "TODO" for each finding of the run to the config text,
/// in the style the file already uses: appended to an inline `ignore = [ … ]` array when it has
/// one, else as `[[ignore]]` tables. Everything else in the file is kept as written. Findings an
/// entry of `existing` already names (a TODO one from an earlier run) get none. Returns the new
/// text and how many entries it added.
pub fn add_entries(
    config_text: &str,
    report: &Report,
    existing: &[IgnoreRule],
) -> std::result::Result<(String, usize), String> {
    let mut doc: toml_edit::DocumentMut = config_text.parse().map_err(|e| format!("{e}"))?;
    let new: Vec<&crate::report::Finding> = report
        .findings
        .iter()
        .filter(|f| {
            !existing
                .iter()
                .any(|r| r.kind == f.kind.as_str() && glob(&r.id, &f.id))
        })
        .collect();
    let entry = |f: &crate::report::Finding| {
        let mut t = toml_edit::InlineTable::new();
        t.insert("kind", f.kind.as_str().into());
        t.insert("id", f.id.as_str().into());
        t.insert("reason", "TODO".into());
        t
    };
    match doc.get_mut("ignore") {
        None => {
            let mut tables = toml_edit::ArrayOfTables::new();
            for f in &new {
                tables.push(todo_table(entry(f), f.status));
            }
            doc.insert("ignore", toml_edit::Item::ArrayOfTables(tables));
        }
        Some(toml_edit::Item::ArrayOfTables(tables)) => {
            for f in &new {
                tables.push(todo_table(entry(f), f.status));
            }
        }
        Some(toml_edit::Item::Value(toml_edit::Value::Array(array))) => {
            for f in &new {
                array.push(entry(f));
            }
            array.fmt();
        }
        Some(_) => return Err("`ignore` is neither a list of tables nor an array".into()),
    }
    Ok((doc.to_string(), new.len()))
}

/// An `[[ignore]]` table for a finding, with a comment that asks for its reason.
fn todo_table(entry: toml_edit::InlineTable, status: Status) -> toml_edit::Table {
    let mut t = entry.into_table();
    t.decor_mut().set_prefix(format!(
        "\n# {}: say why this is accepted; until then it ignores nothing\n",
        status.as_str()
    ));
    t
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
    fn entries_are_added_in_the_style_of_the_file() {
        let report = Report {
            findings: vec![crate::report::Finding::new(
                Status::Missing,
                crate::model::Kind::PostgresDatabase,
                "db/\"x\"\n",
            )],
            ..Report::default()
        };
        // Inline array: the entry joins it (a `[[ignore]]` would be a duplicate key).
        let inline = "live = \"x.json\"\nignore = [ { kind = \"kms_key_policy\", id = \"a\", reason = \"r\" } ]\n";
        let (out, n) = add_entries(inline, &report, &[]).unwrap();
        assert_eq!(n, 1);
        assert!(!out.contains("[[ignore]]"), "{out}");
        let t: toml::Table = out.parse().unwrap();
        let list = t["ignore"].as_array().unwrap();
        assert_eq!(list.len(), 2, "{out}");
        assert_eq!(list[1]["id"].as_str(), Some("db/\"x\"\n"));
        // Tables, or none yet: `[[ignore]]` tables, the rest of the file kept as written.
        for text in [
            "# mine\nlive = \"x.json\" # keep\n",
            "live = \"x.json\"\n[[ignore]]\nkind = \"kms_key_policy\"\nid = \"a\"\nreason = \"r\"\n",
        ] {
            let (out, _) = add_entries(text, &report, &[]).unwrap();
            assert!(out.starts_with(text), "{out}");
            let t: toml::Table = out.parse().unwrap();
            let list = t["ignore"].as_array().unwrap();
            assert_eq!(
                list.last().unwrap()["reason"].as_str(),
                Some("TODO"),
                "{out}"
            );
        }
    }

    #[test]
    fn fields_cover_what_is_below_them() {
        assert!(inside("Statement[A]", "Statement[A]"));
        assert!(inside("Statement[A].Action", "Statement[A]"));
        assert!(!inside("Statement[AB]", "Statement[A]"));
    }
}
