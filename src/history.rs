//! The run history (`check --history DIR`): each run's JSON report stored in DIR as one file
//! named by its UTC time (`2026-11-27T03-00-00Z.json`), written atomically and pruned to the
//! newest `[history] keep` runs. From the last stored run every finding learns when it was
//! first seen (the start of its unbroken series of runs with the same kind, id and status,
//! carried from run to run so that pruning never shortens it) and whether it is new; what the last run found and this one does not is listed as
//! resolved. Reads and writes only DIR; knows nothing of how findings are made.

use crate::error::{Error, Result};
use crate::report::{Report, Resolved};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

type Key = (String, String, String);

/// A stored run: when, and its findings as (kind, id, status) with the `first_seen` it
/// recorded.
struct Run {
    at: OffsetDateTime,
    findings: HashMap<Key, Option<String>>,
}

const SUFFIX: &str = ".json";

/// `2026-11-27T03-00-00Z`: the run's time in a file name (no `:`).
fn file_name(at: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}-{:02}-{:02}Z{SUFFIX}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn parse_name(name: &str) -> Option<OffsetDateTime> {
    let stem = name.strip_suffix(SUFFIX)?;
    let (date, time) = stem.split_once('T')?;
    let time = time.strip_suffix('Z')?.replace('-', ":");
    OffsetDateTime::parse(&format!("{date}T{time}Z"), &Rfc3339).ok()
}

/// Every stored report in DIR with its time, oldest first. Files that are not runs are left
/// alone; a run file drift cannot read is an error naming it (history is never silently
/// rewritten).
pub fn stored_reports(dir: &Path) -> Result<Vec<(PathBuf, OffsetDateTime, serde_json::Value)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::read("history directory", dir, e)),
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(at) = parse_name(&name) else {
            continue;
        };
        let path = e.path();
        let text = crate::input_file::read_text(&path)
            .map_err(|err| Error::read("history run", &path, err))?;
        let j: serde_json::Value = serde_json::from_str(&text).map_err(|err| Error::Invalid {
            path: path.display().to_string(),
            message: format!("not a drift report: {err}"),
        })?;
        out.push((path, at, j));
    }
    out.sort_by_key(|(_, at, _)| *at);
    Ok(out)
}

/// The stored runs in DIR, oldest first.
fn runs(dir: &Path) -> Result<Vec<(PathBuf, Run)>> {
    Ok(stored_reports(dir)?
        .into_iter()
        .map(|(path, at, j)| {
            let findings = j["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
                    let first = f["first_seen"].as_str().map(str::to_string);
                    ((s("kind"), s("id"), s("status")), first)
                })
                .collect();
            (path, Run { at, findings })
        })
        .collect())
}

/// Sets `first_seen`/`new` on every finding and `resolved` on the report, from the runs
/// stored in `dir` before `now`.
pub fn annotate(report: &mut Report, dir: &Path, now: OffsetDateTime) -> Result<()> {
    let past: Vec<Run> = runs(dir)?
        .into_iter()
        .map(|(_, r)| r)
        .filter(|r| r.at < now)
        .collect();
    report.history = true;
    for f in &mut report.findings {
        let key = (
            f.kind.as_str().to_string(),
            f.id.clone(),
            f.status.as_str().to_string(),
        );
        // In the previous run: the series goes on, from where that run said it began (so
        // pruning old runs never shortens an age). Else it begins now.
        let first = match past
            .last()
            .and_then(|r| r.findings.get(&key).map(|x| (r, x)))
        {
            Some((_, Some(first))) => first.clone(),
            Some((run, None)) => run.at.format(&Rfc3339).unwrap_or_default(),
            None => now.format(&Rfc3339).unwrap_or_default(),
        };
        f.new = Some(past.last().is_none_or(|r| !r.findings.contains_key(&key)));
        f.first_seen = Some(first);
    }
    if let Some(last) = past.last() {
        let now_keys: HashSet<Key> = report
            .findings
            .iter()
            .map(|f| {
                (
                    f.kind.as_str().to_string(),
                    f.id.clone(),
                    f.status.as_str().to_string(),
                )
            })
            .collect();
        let mut gone: Vec<&Key> = last
            .findings
            .keys()
            .filter(|k| !now_keys.contains(*k))
            .collect();
        gone.sort();
        report.resolved = gone
            .into_iter()
            .map(|(kind, id, status)| Resolved {
                kind: kind.clone(),
                id: id.clone(),
                status: status.clone(),
            })
            .collect();
    }
    Ok(())
}

/// Stores this run's JSON report in `dir` and keeps only the newest `keep` runs.
pub fn store(dir: &Path, json: &str, now: OffsetDateTime, keep: usize) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Write {
        path: dir.display().to_string(),
        source: e,
    })?;
    crate::atomic_file::write(&dir.join(file_name(now)), json.as_bytes(), &[])?;
    let all = runs(dir)?;
    let excess = all.len().saturating_sub(keep.max(1));
    for (path, _) in all.into_iter().take(excess) {
        std::fs::remove_file(&path).map_err(|e| Error::Write {
            path: path.display().to_string(),
            source: e,
        })?;
    }
    Ok(())
}

/// "drifting for 3 days" / "new since last run", for the human and Markdown reports.
pub fn age(first_seen: &str, new: bool, now: OffsetDateTime) -> String {
    if new {
        return "new since last run".to_string();
    }
    let Ok(first) = OffsetDateTime::parse(first_seen, &Rfc3339) else {
        return String::new();
    };
    let days = (now - first).whole_days();
    match days {
        0 => format!("drifting since {}", &first_seen[..first_seen.len().min(16)]),
        1 => "drifting for 1 day".to_string(),
        d => format!("drifting for {d} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_files_are_named_by_their_time_and_read_back() {
        let at = OffsetDateTime::parse("2026-11-27T03:04:05Z", &Rfc3339).unwrap();
        assert_eq!(file_name(at), "2026-11-27T03-04-05Z.json");
        assert_eq!(parse_name(&file_name(at)), Some(at));
        assert_eq!(parse_name("notes.json"), None);
    }

    #[test]
    fn ages_read_as_a_person_says_them() {
        let now = OffsetDateTime::parse("2026-11-30T03:00:00Z", &Rfc3339).unwrap();
        assert_eq!(
            age("2026-11-27T03:00:00Z", false, now),
            "drifting for 3 days"
        );
        assert_eq!(
            age("2026-11-29T03:00:00Z", false, now),
            "drifting for 1 day"
        );
        assert_eq!(age("2026-11-30T03:00:00Z", true, now), "new since last run");
    }
}
