//! `key_not_usable`: a KMS key that is disabled or pending deletion (`DescribeKey`'s
//! `KeyState`) while something stores data with it — a bucket encrypting with it by default,
//! an RDS instance or Aurora cluster, a CloudFront origin reading such a bucket. Disabled, every
//! read of that data fails now; pending deletion, the data becomes unreadable for good on the
//! deletion date. Judged on what AWS says (the code does not know a key's state): the `aws`
//! view. Reads the key facts, buckets, distributions and key users of the model.

use super::{Context, View, Violation};
use crate::model::{Body, Kind, Spec, State};
use serde_json::json;

pub const NAME: &str = "key_not_usable";

/// Whether a key reference (natural id or ARN) names the key `id` with `facts`.
fn names(reference: &str, id: &str, facts: &crate::model::KeyFacts) -> bool {
    reference == id
        || reference == facts.arn
        || reference == facts.key_id
        || reference.ends_with(&format!(":key/{}", facts.key_id))
}

pub fn check(view: &State, ctx: &Context) -> Vec<Violation> {
    if ctx.view != View::Aws {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (id, facts) in &view.keys {
        let state = facts.state.as_str();
        if !matches!(
            state,
            "Disabled" | "PendingDeletion" | "PendingReplicaDeletion" | "Unavailable"
        ) {
            continue;
        }
        let mut users: Vec<String> = Vec::new();
        let mut buckets = Vec::new();
        for item in &view.items {
            if let Body::Known(Spec::Bucket(b)) = &item.body
                && let Some(key) = b.encryption.as_ref().and_then(|e| e.key.as_deref())
                && names(key, id, facts)
            {
                users.push(format!("bucket {}", b.name));
                buckets.push(b.name.clone());
            }
        }
        for (kind, user, key) in &view.key_users {
            if names(key, id, facts) {
                let what = if *kind == Kind::RdsCluster {
                    "Aurora cluster"
                } else {
                    "RDS instance"
                };
                users.push(format!("{what} {user}"));
            }
        }
        for item in &view.items {
            if let Body::Known(Spec::Distribution(d)) = &item.body
                && d.origins
                    .iter()
                    .any(|o| o.bucket().is_some_and(|b| buckets.iter().any(|x| x == b)))
            {
                users.push(format!("CloudFront distribution {}", item.id));
            }
        }
        if users.is_empty() {
            continue;
        }
        let when = match (&facts.deletion_date, state) {
            (Some(d), _) => {
                format!(": it is deleted on {d}, and after that their data can never be decrypted")
            }
            (None, "Disabled") => ": every read of their data fails until it is enabled".into(),
            _ => String::new(),
        };
        out.push(Violation {
            subject: id.clone(),
            kind: Kind::KmsKeyPolicy,
            severity: "high",
            message: format!(
                "key {id} is {state} while {} store data with it{when}",
                users.join(", ")
            ),
            evidence: json!({
                "key_id": facts.key_id,
                "key_state": state,
                "deletion_date": facts.deletion_date,
                "users": users,
            }),
            fix: Some(match state {
                "Disabled" => format!("enable key {id} (kms:EnableKey), or move its users to another key"),
                _ => format!(
                    "cancel the deletion of key {id} (kms:CancelKeyDeletion) unless its users' data is no longer needed"
                ),
            }),
        });
    }
    out
}
