//! `drift merge`: the shard reports of one run (`check --shard K/N --format json`) combined
//! into one report, as one process over every root would have written it. Findings are
//! deduplicated by identity (kind and id; the first shard's wins); counts are recomputed;
//! the checklist comes from the shard that holds it. What cannot be merged costs only itself
//! and is an error in the merged report, never a quiet gap: a shard with no report (failed,
//! never ran), a file that is not a shard report, two reports for one shard, shards of
//! different runs (K/N with different N).
//!
//! Works on reports only (`report::read`); knows nothing of AWS or Terraform.

use crate::model::{Kind, SourceError};
use crate::report::{Report, ShardInfo, Summary};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// One report given to merge: its name as shown, and its text or why it could not be read.
pub struct Input {
    pub display: String,
    pub text: Result<String, String>,
}

/// The merged report, and whether every shard reported.
pub struct Merged {
    pub report: Report,
    /// The shards no report was given for.
    pub missing: Vec<String>,
}

fn error(source: impl Into<String>, message: impl Into<String>) -> SourceError {
    SourceError {
        source: source.into(),
        message: message.into(),
    }
}

/// Merges `inputs`; `None` when not one of them is a shard report.
pub fn merge(inputs: Vec<Input>) -> Option<Merged> {
    let mut problems = Vec::new();
    let mut shards: BTreeMap<usize, (String, Report, ShardInfo)> = BTreeMap::new();
    let mut count = None;
    for input in inputs {
        let parsed = input
            .text
            .and_then(|t| crate::report::read::report(&t, &input.display));
        let report = match parsed {
            Ok(r) => r,
            Err(m) => {
                problems.push(error("merge", m));
                continue;
            }
        };
        let Some(info) = report.shard.clone() else {
            problems.push(error(
                "merge",
                format!(
                    "{}: not a shard report (written without `check --shard K/N`)",
                    input.display
                ),
            ));
            continue;
        };
        match count {
            None => count = Some(info.count),
            Some(n) if n != info.count => {
                problems.push(error(
                    "merge",
                    format!(
                        "{}: shard {}/{} is of another run than shards of {n}",
                        input.display, info.index, info.count
                    ),
                ));
                continue;
            }
            Some(_) => {}
        }
        if let Some((first, _, _)) = shards.get(&info.index) {
            problems.push(error(
                "merge",
                format!(
                    "two reports for shard {}/{}: {first} and {} (the first is used)",
                    info.index, info.count, input.display
                ),
            ));
            continue;
        }
        shards.insert(info.index, (input.display, report, info));
    }
    let count = count?;
    let missing: Vec<String> = (1..=count)
        .filter(|k| !shards.contains_key(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    let mut out = Report::default();
    let mut seen: HashSet<(Kind, String)> = HashSet::new();
    let mut in_sync = 0;
    let mut stale: BTreeMap<(String, String, Option<String>), usize> = BTreeMap::new();
    let mut values = BTreeSet::new();
    for (display, r, info) in shards.values() {
        for f in &r.findings {
            if seen.insert((f.kind, f.id.clone())) {
                out.findings.push(f.clone());
            }
        }
        in_sync += r.summary.in_sync;
        for i in &r.ignored {
            if !out.ignored.contains(i) {
                out.ignored.push(i.clone());
            }
        }
        for n in &r.ignore_notices {
            if n.problem == "stale" {
                // Stale only if no shard matched it.
                *stale
                    .entry((n.kind.clone(), n.id.clone(), n.field.clone()))
                    .or_default() += 1;
            } else if !out.ignore_notices.contains(n) {
                out.ignore_notices.push(n.clone());
            }
        }
        for e in &r.errors {
            out.errors.push(error(
                e.source.clone(),
                format!(
                    "{} (shard {}/{}, {display})",
                    e.message, info.index, info.count
                ),
            ));
        }
        for w in &r.warnings {
            if !out.warnings.contains(w) {
                out.warnings.push(w.clone());
            }
        }
        out.checklist.extend(r.checklist.iter().cloned());
        out.three_way |= r.three_way;
        for p in &r.pending {
            if !out.pending.iter().any(|q| q.kind == p.kind && q.id == p.id) {
                out.pending.push(p.clone());
            }
        }
        values.extend(r.values_from_state.iter().cloned());
        if out.live.source.is_empty() {
            out.live = r.live.clone();
        }
    }
    let every_shard = missing.is_empty() && problems.is_empty();
    for (_, r, _) in shards.values() {
        for n in &r.ignore_notices {
            let key = (n.kind.clone(), n.id.clone(), n.field.clone());
            if n.problem == "stale"
                && every_shard
                && stale.get(&key) == Some(&count)
                && !out.ignore_notices.contains(n)
            {
                out.ignore_notices.push(n.clone());
            }
        }
    }
    out.values_from_state = values.into_iter().collect();
    for k in &missing {
        out.errors.push(error(
            format!("shard {k}"),
            "no report: the shard failed or never ran, so the roots it holds were not checked",
        ));
    }
    out.errors.extend(problems);
    let mut summary = Summary {
        in_sync,
        ignored: out.ignored.len(),
        errors: out.errors.len(),
        ..Summary::default()
    };
    for f in &out.findings {
        summary.count(f.status);
    }
    out.summary = summary;
    Some(Merged {
        report: out,
        missing,
    })
}
