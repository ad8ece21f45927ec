//! `key_policy_lockout`: a KMS key policy under which no principal of the key's account can
//! call `kms:PutKeyPolicy` can never be changed again (AWS support must step in; in the code
//! it is also a failed apply, as `PutKeyPolicy` refuses such a policy without the bypass
//! flag) — severity high. A policy without a statement for the account's root cannot be
//! extended by IAM policies: grants made there silently do nothing — a warning.
//!
//! Decided with the policy evaluator, never by matching text; a conditional grant or deny
//! counts in the key's favour, so the rule fires only when the lockout is certain. Reads
//! only key policies of the model.

use super::{Context, Violation};
use crate::model::policy_eval::{Decision, Principal, Request, evaluate};
use crate::model::{Body, Kind, Policy, Spec, State, partition_of, split_placed};

pub const NAME: &str = "key_policy_lockout";

/// What no real principal is called: a role in the key's account the policy does not name,
/// standing for "any principal IAM policies could grant to".
const ANY_ROLE: &str = "drift-any-principal-of-the-account";

pub fn check(view: &State, ctx: &Context) -> Vec<Violation> {
    let mut out = Vec::new();
    for item in &view.items {
        let (Kind::KmsKeyPolicy, Body::Known(Spec::KeyPolicy(policy))) = (item.kind, &item.body)
        else {
            continue;
        };
        let (name, place) = split_placed(&item.id);
        let (Some(account), Some(region)) =
            (place.account.or(ctx.account), place.region.or(ctx.region))
        else {
            continue;
        };
        let partition = partition_of(Some(region));
        let key_id = name
            .strip_prefix("key/")
            .unwrap_or("00000000-0000-0000-0000-000000000000");
        let key_arn = format!("arn:{partition}:kms:{region}:{account}:key/{key_id}");
        let root = format!("arn:{partition}:iam::{account}:root");
        let certain = certain_part(policy);
        let mut candidates = vec![
            root.clone(),
            format!("arn:{partition}:iam::{account}:role/{ANY_ROLE}"),
        ];
        for st in &policy.statements {
            for ids in [&st.principal, &st.not_principal].into_iter().flatten() {
                for id in ids.get("AWS").into_iter().flatten() {
                    if id.split(':').nth(4) == Some(account) {
                        candidates.push(id.clone());
                    }
                }
            }
        }
        let allowed = |p: &Policy, action: &str| -> Result<Vec<String>, String> {
            let mut who = Vec::new();
            for c in &candidates {
                let req = Request::new(Principal::Aws(c.clone()), action, &key_arn);
                let e = evaluate(p, &req)?;
                if matches!(e.decision, Decision::Allowed | Decision::AllowedForAccount) {
                    who.push(c.clone());
                }
            }
            Ok(who)
        };
        // A policy the evaluator cannot decide is not judged.
        let Ok(managers) = allowed(&certain, "kms:PutKeyPolicy") else {
            continue;
        };
        let root_statement = policy.statements.iter().any(|st| {
            st.effect == "Allow"
                && st.condition.is_empty()
                && st
                    .principal
                    .as_ref()
                    .and_then(|p| p.get("AWS"))
                    .is_some_and(|ids| ids.contains(&root))
        });
        let fix_statement = serde_json::json!({
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*"
        });
        if managers.is_empty() {
            out.push(Violation {
                subject: item.id.clone(),
                kind: Kind::KmsKeyPolicy,
                severity: "high",
                message: format!(
                    "no principal of account {account} can call kms:PutKeyPolicy on this key: its policy can never be changed again (PutKeyPolicy refuses such a policy unless bypass_policy_lockout_safety_check is set)"
                ),
                evidence: serde_json::json!({
                    "action": "kms:PutKeyPolicy",
                    "principals_evaluated": candidates,
                    "policy": policy.to_json(),
                }),
                fix: Some(format!(
                    "add the statement that lets the account manage the key: {fix_statement}"
                )),
            });
        } else if !root_statement {
            out.push(Violation {
                subject: item.id.clone(),
                kind: Kind::KmsKeyPolicy,
                severity: "warning",
                message: format!(
                    "no statement allows the root of account {account}: IAM policies in the account cannot grant use of this key, and grants made there silently do nothing"
                ),
                evidence: serde_json::json!({
                    "root": root,
                    "managers": managers,
                    "policy": policy.to_json(),
                }),
                fix: Some(format!(
                    "add the statement that lets IAM policies grant access: {fix_statement}"
                )),
            });
        }
    }
    out
}

/// The policy as it is certain to act for some principal: a conditional Allow counts as
/// granting (a principal may meet its condition), a conditional Deny as not denying.
fn certain_part(policy: &Policy) -> Policy {
    let mut p = policy.clone();
    p.statements
        .retain(|st| st.effect != "Deny" || st.condition.is_empty());
    for st in &mut p.statements {
        st.condition.clear();
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Item;

    fn view(policy: serde_json::Value) -> State {
        let p = Policy::from_json_in(&policy, Some("aws")).expect("policy");
        let mut s = State::default();
        s.push(Item {
            kind: Kind::KmsKeyPolicy,
            id: "alias/app".into(),
            scope: "alias/app".into(),
            origin: None,
            body: Body::Known(Spec::KeyPolicy(p)),
        });
        s
    }

    fn verdicts(policy: serde_json::Value) -> Vec<&'static str> {
        let ctx = Context {
            account: Some("111122223333"),
            region: Some("eu-west-1"),
            view: Default::default(),
        };
        check(&view(policy), &ctx)
            .into_iter()
            .map(|v| v.severity)
            .collect()
    }

    const ROOT: &str = "arn:aws:iam::111122223333:root";

    #[test]
    fn a_policy_only_for_an_application_locks_the_key() {
        let app_only = serde_json::json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
            "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"}]});
        assert_eq!(verdicts(app_only), vec!["high"]);
        // The root may only describe the key: IAM cannot grant PutKeyPolicy either.
        let root_reads = serde_json::json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": ROOT}, "Action": "kms:Describe*", "Resource": "*"}]});
        assert_eq!(verdicts(root_reads), vec!["high"]);
        // A deny for everyone wins over the root's allow.
        let denied = serde_json::json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "kms:PutKeyPolicy", "Resource": "*"}]});
        assert_eq!(verdicts(denied), vec!["high"]);
    }

    #[test]
    fn safe_variants_do_not_fire() {
        let default = serde_json::json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "111122223333"}, "Action": "kms:*", "Resource": "*"}]});
        assert!(verdicts(default).is_empty());
        // An admin role may manage it, and the root statement is there.
        let admin = serde_json::json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:Describe*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/admin"},
             "Action": "kms:*", "Resource": "*"}]});
        assert!(verdicts(admin).is_empty());
        // A conditional grant may be met: not certain, not reported.
        let conditional = serde_json::json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "platform"}}}]});
        assert_eq!(verdicts(conditional), vec!["warning"]);
        // A conditional deny may not apply.
        let deny_if = serde_json::json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "kms:PutKeyPolicy", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "platform"}}}]});
        assert!(verdicts(deny_if).is_empty());
    }

    #[test]
    fn an_admin_without_the_root_statement_is_a_warning() {
        let admin_only = serde_json::json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/admin"},
             "Action": "kms:*", "Resource": "*"}]});
        assert_eq!(verdicts(admin_only), vec!["warning"]);
    }
}
