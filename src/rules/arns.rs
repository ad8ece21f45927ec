//! The ARNs rules put in the requests they evaluate: a key's (AWS's, when the view read it;
//! else one built from its natural id), and the ARNs an object not yet created might have —
//! its own with a stand-in id, and each one of its kind that a policy names (the policy's
//! author may have written the id AWS will give it). Knows no rule.

use crate::model::{Policy, State, split_placed};

/// The key's ARN as a request names it: AWS's when known, else built from its natural id in
/// its place (`default_region`, `account` when the id names none).
pub fn key_arn(
    view: &State,
    key: &str,
    partition: &str,
    account: &str,
    default_region: &str,
) -> String {
    if let Some(f) = view.keys.get(key).filter(|f| !f.arn.is_empty()) {
        return f.arn.clone();
    }
    let (name, place) = split_placed(key);
    let id = name
        .strip_prefix("key/")
        .unwrap_or("00000000-0000-0000-0000-000000000000");
    format!(
        "arn:{partition}:kms:{}:{}:key/{id}",
        place.region.unwrap_or(default_region),
        place.account.unwrap_or(account)
    )
}

/// `arn` itself, and when it ends with the stand-in id `not_yet` (the object does not exist
/// yet), every ARN with its prefix that `policy` names.
pub fn candidates(policy: &Policy, arn: &str, not_yet: Option<&str>) -> Vec<String> {
    let mut out = vec![arn.to_string()];
    let Some(prefix) = not_yet.and_then(|n| arn.strip_suffix(n)) else {
        return out;
    };
    let text = policy.to_json().to_string();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(prefix) {
        let tail = &rest[at + prefix.len()..];
        let id: String = tail
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if !id.is_empty() {
            out.push(format!("{prefix}{id}"));
        }
        rest = tail;
    }
    out
}
