//! The run history (`check --history DIR`): each run's JSON report stored in DIR as one file
//! named by its UTC time to the nanosecond, the process id and a counter
//! (`2026-11-27T03-00-00.000000000Z-4242-0.json`), created exclusively (never over another
//! run) and pruned to the newest `[history] keep` runs, tolerating other drift processes
//! pruning the same directory at the same time.
//!
//! From the last stored run every finding learns when it was first seen (the start of its
//! unbroken series of runs with the same kind, id and status, carried from run to run so that
//! pruning never shortens it) and whether it is new; what the last run found and this one
//! looked at again and did not find is listed as resolved. What this run could not look at
//! again (its family's read failed, or `--only` left it out) is carried forward with its
//! `first_seen`, never resolved. A file in DIR that is not a drift report of a known schema is
//! skipped with a warning naming it.
//!
//! Reads and writes only DIR; knows nothing of how findings are made.

use crate::error::{Error, Result};
use crate::report::{Carried, Report, Resolved};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

type Key = (String, String, String);

/// A stored run: when, and its findings as (kind, id, status) with the `first_seen` it
/// recorded — those it found and those it carried forward without looking again.
struct Run {
    at: OffsetDateTime,
    findings: HashMap<Key, Option<String>>,
}

const SUFFIX: &str = ".json";

/// `2026-11-27T03-00-00.000000000Z-4242-0`: the run's time in a file name (no `:`), then the
/// process and a counter, so that two runs in the same instant never share a name.
fn file_name(at: OffsetDateTime, pid: u32, n: u32) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}-{:02}-{:02}.{:09}Z-{pid}-{n}{SUFFIX}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.nanosecond()
    )
}

/// The time a run file's name gives: this version's names, and the older
/// `2026-11-27T03-00-00Z.json`.
fn parse_name(name: &str) -> Option<OffsetDateTime> {
    let stem = name.strip_suffix(SUFFIX)?;
    let (stamp, rest) = stem.split_once('Z')?;
    if !(rest.is_empty() || rest.starts_with('-')) {
        return None;
    }
    let (date, time) = stamp.split_once('T')?;
    let time = time.replace('-', ":");
    OffsetDateTime::parse(&format!("{date}T{time}Z"), &Rfc3339).ok()
}

/// The run files in DIR (by name), oldest first; ties in time ordered by name.
fn run_files(dir: &Path) -> Result<Vec<(PathBuf, OffsetDateTime)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::read("history directory", dir, e)),
    };
    let mut out: Vec<(PathBuf, OffsetDateTime)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            parse_name(&name).map(|at| (e.path(), at))
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// Why a run file's content is not a report drift can use, if it is not.
fn not_a_report(j: &serde_json::Value) -> Option<String> {
    match j.get("schema").and_then(|s| s.as_str()) {
        Some(crate::report::json::SCHEMA) => {}
        Some(other) => return Some(format!("schema `{other}` is not one this drift reads")),
        None => return Some("no `schema` field: not a drift report".into()),
    }
    if !j["findings"].is_array() {
        return Some("no `findings` list".into());
    }
    None
}

/// Every stored report in DIR with its time, oldest first. Files that are not named as runs
/// are left alone; a run file that cannot be read or is not a drift report of a known schema
/// is skipped with a warning naming it (the night's report still comes out), and one removed
/// by a concurrent pruner while being read is skipped silently.
pub fn stored_reports(dir: &Path) -> Result<Vec<(PathBuf, OffsetDateTime, serde_json::Value)>> {
    let mut out = Vec::new();
    for (path, at) in run_files(dir)? {
        let text = match crate::input_file::read_text(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                warn_skipped(&path, &e.to_string());
                continue;
            }
        };
        let j: serde_json::Value = match serde_json::from_str(&text) {
            Ok(j) => j,
            Err(e) => {
                warn_skipped(&path, &format!("not JSON: {e}"));
                continue;
            }
        };
        if let Some(why) = not_a_report(&j) {
            warn_skipped(&path, &why);
            continue;
        }
        out.push((path, at, j));
    }
    Ok(out)
}

fn warn_skipped(path: &Path, why: &str) {
    eprintln!(
        "drift: warning: history run {} skipped: {}",
        path.display(),
        crate::report::safe_line(why)
    );
}

/// The stored runs in DIR, oldest first.
fn runs(dir: &Path) -> Result<Vec<Run>> {
    Ok(stored_reports(dir)?
        .into_iter()
        .map(|(_, at, j)| {
            let entries = j["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(j["not_rechecked"].as_array().into_iter().flatten());
            let findings = entries
                .map(|f| {
                    let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
                    let first = f["first_seen"].as_str().map(str::to_string);
                    ((s("kind"), s("id"), s("status")), first)
                })
                .collect();
            Run { at, findings }
        })
        .collect())
}

fn key_of(f: &crate::report::Finding) -> Key {
    (
        f.kind.as_str().to_string(),
        f.id.clone(),
        f.status.as_str().to_string(),
    )
}

/// Sets `first_seen`/`new` on every finding, `resolved` and `not_rechecked` on the report,
/// from the runs stored in `dir` before `now`. `unchecked(kind, id)` says why this run did not
/// look at an object again (a failed read, `--only`), or `None` when it did.
pub fn annotate(
    report: &mut Report,
    dir: &Path,
    now: OffsetDateTime,
    unchecked: &dyn Fn(&str, &str) -> Option<String>,
) -> Result<()> {
    let all = runs(dir)?;
    if let Some(latest) = all.last().filter(|r| r.at > now) {
        eprintln!(
            "drift: warning: the newest stored run ({}) is later than this run ({}): is the clock behind? This run is kept.",
            latest.at.format(&Rfc3339).unwrap_or_default(),
            now.format(&Rfc3339).unwrap_or_default()
        );
    }
    let last = all.into_iter().rfind(|r| r.at < now);
    report.history = true;
    for f in &mut report.findings {
        let key = key_of(f);
        // In the previous run: the series goes on, from where that run said it began (so
        // pruning old runs never shortens an age). Else it begins now.
        let first = match last
            .as_ref()
            .and_then(|r| r.findings.get(&key).map(|x| (r, x)))
        {
            Some((_, Some(first))) => first.clone(),
            Some((run, None)) => run.at.format(&Rfc3339).unwrap_or_default(),
            None => now.format(&Rfc3339).unwrap_or_default(),
        };
        f.new = Some(last.as_ref().is_none_or(|r| !r.findings.contains_key(&key)));
        f.first_seen = Some(first);
    }
    let Some(last) = last else {
        return Ok(());
    };
    let now_keys: HashSet<Key> = report.findings.iter().map(key_of).collect();
    let mut gone: Vec<(&Key, &Option<String>)> = last
        .findings
        .iter()
        .filter(|(k, _)| !now_keys.contains(*k))
        .collect();
    gone.sort();
    for ((kind, id, status), first) in gone {
        match unchecked(kind, id) {
            Some(why) => report.not_rechecked.push(Carried {
                kind: kind.clone(),
                id: id.clone(),
                status: status.clone(),
                first_seen: Some(
                    first
                        .clone()
                        .unwrap_or_else(|| last.at.format(&Rfc3339).unwrap_or_default()),
                ),
                why,
            }),
            None => report.resolved.push(Resolved {
                kind: kind.clone(),
                id: id.clone(),
                status: status.clone(),
            }),
        }
    }
    Ok(())
}

/// Stores this run's JSON report in `dir` as a new file (never over another run's) and keeps
/// only the newest `keep` runs, this one always among them. Returns the file written.
pub fn store(dir: &Path, json: &str, now: OffsetDateTime, keep: usize) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Write {
        path: dir.display().to_string(),
        source: e,
    })?;
    let pid = std::process::id();
    let mut n = 0u32;
    let own = loop {
        let path = dir.join(file_name(now, pid, n));
        match crate::atomic_file::create_new(&path, json.as_bytes()) {
            Ok(()) => break path,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
            Err(e) => {
                return Err(Error::Write {
                    path: path.display().to_string(),
                    source: e,
                });
            }
        }
    };
    prune(dir, &own, keep)?;
    Ok(own)
}

/// Removes the oldest runs beyond `keep`, never `own`. Another process pruning at the same
/// time may remove a file first: that is no error.
fn prune(dir: &Path, own: &Path, keep: usize) -> Result<()> {
    let others: Vec<PathBuf> = run_files(dir)?
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p != own)
        .collect();
    let excess = (others.len() + 1).saturating_sub(keep.max(1));
    for path in others.into_iter().take(excess) {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::Write {
                    path: path.display().to_string(),
                    source: e,
                });
            }
        }
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
        let at = OffsetDateTime::parse("2026-11-27T03:04:05.25Z", &Rfc3339).unwrap();
        assert_eq!(
            file_name(at, 42, 3),
            "2026-11-27T03-04-05.250000000Z-42-3.json"
        );
        assert_eq!(parse_name(&file_name(at, 42, 3)), Some(at));
        // The names of earlier versions still read.
        let old = OffsetDateTime::parse("2026-11-27T03:04:05Z", &Rfc3339).unwrap();
        assert_eq!(parse_name("2026-11-27T03-04-05Z.json"), Some(old));
        assert_eq!(parse_name("notes.json"), None);
        assert_eq!(parse_name("2026-11-27T03-04-05Zjunk.json"), None);
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
