//! Compares two canonical states and produces the report's findings. Generic over resource
//! families: it matches items by (kind, natural id) and asks the model how two values differ.
//! Depends only on `model` and the report types.

use crate::model::{Body, Claim, Family, Item, Kind, State};
use crate::report::{Finding, Ignored, Report, Status, Summary};
use std::collections::HashMap;

/// The claims made in one scope, each with its place in the code's order.
type ClaimsInScope<'a> = Vec<(usize, &'a Claim)>;

fn finding(status: Status, item: &Item) -> Finding {
    let mut f = Finding::new(status, item.kind, item.id.clone());
    f.origin = item.origin.clone();
    f
}

/// Where the code declares each scope: a zone's declaration for records, else the first
/// declared object of that kind in the scope, and for databases their instance.
fn scope_origins(desired: &State) -> HashMap<(Kind, &str), &crate::model::Origin> {
    let mut out: HashMap<(Kind, &str), &crate::model::Origin> = HashMap::new();
    for (scope, origin) in &desired.zones {
        out.insert((Kind::Route53Record, scope.as_str()), origin);
    }
    for i in &desired.items {
        let Some(origin) = &i.origin else { continue };
        if matches!(i.kind, Kind::RdsInstance | Kind::RdsCluster) {
            for db in [Kind::PostgresDatabase, Kind::MysqlDatabase] {
                out.entry((db, i.id.as_str())).or_insert(origin);
            }
        }
        out.entry((i.kind, i.scope.as_str())).or_insert(origin);
    }
    out
}

/// Compares `desired` with `live` for the families in `only`.
pub fn compare(desired: &State, live: &State, only: &[Family]) -> Report {
    let wanted = |k: Kind| k.family().is_none_or(|f| only.contains(&f));
    let mut report = Report {
        errors: desired.errors.iter().chain(&live.errors).cloned().collect(),
        warnings: desired.warnings.clone(),
        ..Report::default()
    };
    let mut summary = Summary::default();
    let live_index: HashMap<(Kind, &str), &Item> = live
        .items
        .iter()
        .map(|i| ((i.kind, i.id.as_str()), i))
        .collect();
    let mut matched: std::collections::HashSet<(Kind, &str)> = Default::default();
    // Indexes, so that the run stays linear in the number of objects.
    let ignores: HashMap<(Kind, &str), &crate::model::Ignore> = desired
        .ignores
        .iter()
        .rev()
        .map(|i| ((i.kind, i.id.as_str()), i))
        .collect();
    let mut claims: HashMap<(Kind, Option<&str>), ClaimsInScope> = HashMap::new();
    for (i, c) in desired.claims.iter().enumerate() {
        claims
            .entry((c.kind, c.scope.as_deref()))
            .or_default()
            .push((i, c));
    }

    for d in desired.items.iter().filter(|i| wanted(i.kind)) {
        if d.kind.family().is_some_and(|f| live.failed.contains(&f))
            || live.failed_scopes.contains(&(d.kind, d.scope.clone()))
        {
            // The source could not be read: that is an error, already reported, never "missing".
            continue;
        }
        if let Some(reason) = live.unchecked_scopes.get(&(d.kind, d.scope.clone())) {
            let mut f = finding(Status::NotChecked, d);
            f.reason = Some(reason.clone());
            report.findings.push(f);
            continue;
        }
        let l = live_index.get(&(d.kind, d.id.as_str()));
        if l.is_some() {
            matched.insert((d.kind, d.id.as_str()));
        }
        match (&d.body, l) {
            (Body::Unknown(reason), _) => {
                let mut f = finding(Status::NotChecked, d);
                f.reason = Some(reason.clone());
                report.findings.push(f);
            }
            (Body::Known(spec), None) => {
                let mut f = finding(Status::Missing, d);
                f.value = Some(spec.to_json());
                f.remediation = spec.remediation();
                if let Some(why) = desired.not_created_by_apply.get(&(d.kind, d.id.clone())) {
                    f.hints.push(why.clone());
                }
                report.findings.push(f);
            }
            (Body::Known(_), Some(l)) if matches!(l.body, Body::Unknown(_)) => {
                let mut f = finding(Status::NotChecked, d);
                if let Body::Unknown(r) = &l.body {
                    f.reason = Some(r.clone());
                }
                report.findings.push(f);
            }
            (Body::Known(ds), Some(l)) => {
                let Body::Known(ls) = &l.body else { continue };
                let mut changes = ds.changes(ls);
                if let Some(ig) = ignores.get(&(d.kind, d.id.as_str())) {
                    let (left, kept): (Vec<_>, Vec<_>) =
                        changes.into_iter().partition(|c| ig.covers(&c.path));
                    changes = kept;
                    if !left.is_empty() {
                        summary.ignored += 1;
                        report.ignored.push(Ignored {
                            kind: d.kind,
                            id: d.id.clone(),
                            address: d.origin.as_ref().and_then(|o| o.address.clone()),
                            attributes: ig.attributes.clone(),
                            changes: left,
                            status: None,
                            reason: None,
                            expires: None,
                        });
                        if changes.is_empty() {
                            continue;
                        }
                    }
                }
                if changes.is_empty() {
                    summary.in_sync += 1;
                } else {
                    let mut f = finding(Status::Changed, d);
                    f.changes = changes;
                    f.hints = ls.hints();
                    report.findings.push(f);
                }
            }
        }
    }

    let near = scope_origins(desired);
    let mut claimed: Vec<(Kind, String, String)> = Vec::new();
    for l in live.items.iter().filter(|i| wanted(i.kind)) {
        if matched.contains(&(l.kind, l.id.as_str()))
            || !desired.scopes.contains(&(l.kind, l.scope.clone()))
        {
            continue;
        }
        let Body::Known(spec) = &l.body else { continue };
        if spec.is_implicit() {
            continue;
        }
        // A declaration that could not be checked may be this object: not unmanaged.
        // The first claim (in the code's order) that covers it, scoped or not.
        let claim = [Some(l.scope.as_str()), None]
            .into_iter()
            .filter_map(|scope| {
                claims
                    .get(&(l.kind, scope))?
                    .iter()
                    .find(|(_, c)| c.covers(l))
            })
            .min_by_key(|(i, _)| *i);
        if let Some((_, c)) = claim {
            claimed.push((l.kind, c.by.clone(), l.id.clone()));
            continue;
        }
        let mut f = finding(Status::Unmanaged, l);
        f.near = near.get(&(l.kind, l.scope.as_str())).map(|o| (*o).clone());
        f.value = Some(spec.to_json());
        f.hints = spec.hints();
        report.findings.push(f);
    }

    let mut not_checked: HashMap<String, usize> = HashMap::new();
    for (i, f) in report.findings.iter().enumerate() {
        if f.status == Status::NotChecked {
            not_checked.entry(f.id.clone()).or_insert(i);
        }
    }
    for (kind, by, live_id) in claimed {
        if let Some(f) = not_checked.get(&by).map(|&i| &mut report.findings[i]) {
            f.hints.push(format!(
                "may be the live {} `{live_id}`, which is therefore not reported as unmanaged",
                kind.as_str()
            ));
        }
    }
    report
        .findings
        .sort_by(|a, b| (a.kind, &a.id, a.status).cmp(&(b.kind, &b.id, b.status)));
    report
        .ignored
        .sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
    for f in &report.findings {
        summary.count(f.status);
    }
    summary.errors = report.errors.len();
    report.summary = summary;
    report
}
