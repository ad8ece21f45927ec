//! The three-way view: each finding compared with what the Terraform state records, to say
//! what `terraform apply` would do with it — revert a change made in AWS, apply a code change,
//! overwrite both, destroy an object removed from the code, or leave an unmanaged one alone.
//! Objects in sync whose state differs (a code change made, not applied) are listed as pending.
//! Works on canonical states only; knows nothing of files or AWS.

use crate::model::{Body, Kind, State};
use crate::report::{Pending, Report, Status};
use std::collections::HashMap;

pub const HAND_CHANGE_REVERTED: &str = "hand_change_reverted_by_apply";
pub const CODE_CHANGE_PENDING: &str = "code_change_pending";
pub const BOTH_CHANGED: &str = "both_changed";
pub const REMOVED_FROM_CODE: &str = "removed_from_code";
pub const UNMANAGED: &str = "unmanaged";

/// The verdicts `check --before-apply` fails on: what `terraform apply` would destroy or revert.
pub fn destructive(verdict: &str) -> bool {
    matches!(
        verdict,
        HAND_CHANGE_REVERTED | BOTH_CHANGED | REMOVED_FROM_CODE
    )
}

/// Kinds Terraform manages (databases inside PostgreSQL are not in any state).
fn in_terraform(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::KmsKeyPolicy | Kind::Route53Record | Kind::RdsInstance | Kind::RdsCluster
    )
}

fn index(s: &State) -> HashMap<(Kind, &str), &crate::model::Spec> {
    s.items
        .iter()
        .filter_map(|i| match &i.body {
            Body::Known(spec) => Some(((i.kind, i.id.as_str()), spec)),
            Body::Unknown(_) => None,
        })
        .collect()
}

/// Gives each finding its verdict from `state`. `complete` is false when some state could not
/// be read: an object the states read do not record may be in that one, so what is missing
/// from them says nothing (no verdict), while what they record is judged as usual.
pub fn annotate(report: &mut Report, desired: &State, live: &State, state: &State, complete: bool) {
    let (d, l, s) = (index(desired), index(live), index(state));
    report.three_way = true;
    for f in &mut report.findings {
        if !in_terraform(f.kind) {
            continue;
        }
        let key = (f.kind, f.id.as_str());
        let st = s.get(&key);
        if st.is_none() && !complete {
            continue;
        }
        // What the code does not set (a key's default policy), terraform does not manage:
        // apply leaves a change to it alone, whatever the state says.
        if f.status == Status::Changed && desired.not_in_code.contains(&(f.kind, f.id.clone())) {
            f.state = Some(st.map_or(serde_json::Value::Null, |x| x.to_json()));
            f.verdict = Some(UNMANAGED);
            continue;
        }
        f.state = Some(st.map_or(serde_json::Value::Null, |x| x.to_json()));
        f.verdict = match (f.status, st) {
            (Status::Changed, Some(st)) => {
                let code = d.get(&key);
                let aws = l.get(&key);
                Some(if code.is_some_and(|c| c.changes(st).is_empty()) {
                    HAND_CHANGE_REVERTED
                } else if aws.is_some_and(|a| st.changes(a).is_empty()) {
                    CODE_CHANGE_PENDING
                } else {
                    BOTH_CHANGED
                })
            }
            // Not in the state yet: the code is new (apply creates or imports it).
            (Status::Changed | Status::Missing, None) => Some(CODE_CHANGE_PENDING),
            // In the state, gone from AWS: deleted by hand; apply creates it again.
            (Status::Missing, Some(_)) => Some(HAND_CHANGE_REVERTED),
            (Status::Unmanaged, Some(_)) => Some(REMOVED_FROM_CODE),
            (Status::Unmanaged, None) => Some(UNMANAGED),
            (Status::NotChecked | Status::Violated, _) => None,
        };
    }
    // In sync between code and AWS, but the state says otherwise (or nothing): a code change
    // waiting for `terraform apply`, which will only bring its state up to date.
    let flagged: std::collections::HashSet<(Kind, &str)> = report
        .findings
        .iter()
        .map(|f| (f.kind, f.id.as_str()))
        .collect();
    let mut pending = Vec::new();
    for item in &desired.items {
        let key = (item.kind, item.id.as_str());
        if !in_terraform(item.kind)
            || flagged.contains(&key)
            || desired.not_in_code.contains(&(item.kind, item.id.clone()))
        {
            continue;
        }
        let (Some(code), Some(aws)) = (d.get(&key), l.get(&key)) else {
            continue;
        };
        if !code.changes(aws).is_empty() {
            continue;
        }
        let differs = match s.get(&key) {
            Some(st) => !code.changes(st).is_empty(),
            None => complete,
        };
        if differs {
            pending.push(Pending {
                kind: item.kind,
                id: item.id.clone(),
                verdict: CODE_CHANGE_PENDING,
                state: s.get(&key).map(|x| x.to_json()),
            });
        }
    }
    report.pending = pending;
}

/// What the verdict means, in the words a person reads before `terraform apply`.
pub fn words(verdict: &str, status: Status) -> &'static str {
    match (verdict, status) {
        (HAND_CHANGE_REVERTED, Status::Missing) => {
            "deleted in AWS by hand: terraform apply would CREATE it again"
        }
        (HAND_CHANGE_REVERTED, _) => {
            "changed in AWS by hand: terraform apply would REVERT this change"
        }
        (CODE_CHANGE_PENDING, _) => {
            "the code changed and is not applied yet: terraform apply applies it"
        }
        (BOTH_CHANGED, _) => {
            "changed in AWS and in the code: terraform apply would OVERWRITE the change made in AWS"
        }
        (REMOVED_FROM_CODE, _) => {
            "removed from the code but still in the state: terraform apply would DESTROY it"
        }
        (UNMANAGED, Status::Changed) => "not set in the code: terraform apply leaves it alone",
        _ => "in no Terraform state: terraform apply leaves it alone",
    }
}
