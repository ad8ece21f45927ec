//! The values drift must never print: what a Terraform state marks sensitive
//! (`sensitive_attributes`: a `random_password`'s `result`, an instance's `password`), a
//! remote state's sensitive outputs, and the values of `sensitive = true` variables. Readers
//! note them here as they meet them; comparison still uses the real values; every output —
//! each report format, the stored history, the patch, errors — is passed through [`redact`]
//! or [`redact_json`] first, which show `(sensitive value)` instead.
//!
//! The mark follows the value, not the expression: a string equal to a secret is hidden, and
//! so is any string that contains a secret of at least `MIN_EMBEDDED` characters (a record
//! value built around a password). Owns only the set of secrets; knows nothing of where they
//! come from or go.

use std::collections::BTreeSet;
use std::sync::Mutex;

/// What drift prints in place of a sensitive value, as terraform does.
pub const SHOWN: &str = "(sensitive value)";

/// Shorter secrets are hidden only where a whole value equals them (hiding every `1` or `on`
/// in a report would hide everything).
const MIN_EMBEDDED: usize = 6;

static SECRETS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn with<T>(f: impl FnOnce(&mut BTreeSet<String>) -> T) -> T {
    let mut guard = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}

/// Notes a sensitive string.
pub fn note(s: &str) {
    if !s.is_empty() {
        with(|set| set.insert(s.to_string()));
    }
}

/// Notes every string and number inside a sensitive JSON value.
pub fn note_json(v: &serde_json::Value) {
    match v {
        serde_json::Value::String(s) => note(s),
        serde_json::Value::Number(n) => note(&n.to_string()),
        serde_json::Value::Array(a) => a.iter().for_each(note_json),
        serde_json::Value::Object(o) => o.values().for_each(note_json),
        serde_json::Value::Bool(_) | serde_json::Value::Null => {}
    }
}

/// Notes the values a state instance's `sensitive_attributes` paths point at (terraform's
/// `[[{"type": "get_attr", "value": "password"}]]` form, and the older list of names).
pub fn note_state_instance(instance: &serde_json::Value) {
    let attrs = &instance["attributes"];
    for path in instance["sensitive_attributes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let mut at = attrs;
        let steps: Vec<&serde_json::Value> = match path {
            serde_json::Value::Array(steps) => steps.iter().collect(),
            other => vec![other],
        };
        for step in steps {
            let next = match (step["type"].as_str(), step) {
                (Some("get_attr"), _) => step["value"].as_str().map(|k| &at[k]),
                (Some("index"), _) => match &step["value"]["value"] {
                    serde_json::Value::String(k) => Some(&at[k.as_str()]),
                    serde_json::Value::Number(n) => n.as_u64().map(|i| &at[i as usize]),
                    _ => None,
                },
                (None, serde_json::Value::String(k)) => Some(&at[k.as_str()]),
                _ => None,
            };
            match next {
                Some(v) => at = v,
                None => break,
            }
        }
        if !std::ptr::eq(at, attrs) {
            note_json(at);
        }
    }
}

/// Whether any secret is known.
pub fn any() -> bool {
    with(|set| !set.is_empty())
}

/// `s` with every secret hidden, or `None` when it shows none.
pub fn redact(s: &str) -> Option<String> {
    with(|set| {
        if set.contains(s) {
            return Some(SHOWN.to_string());
        }
        let mut out: Option<String> = None;
        // Longest first, so a secret that contains another is hidden whole.
        let mut long: Vec<&String> = set.iter().filter(|x| x.len() >= MIN_EMBEDDED).collect();
        long.sort_by_key(|x| std::cmp::Reverse(x.len()));
        for secret in long {
            let current = out.as_deref().unwrap_or(s);
            if current.contains(secret.as_str()) {
                out = Some(current.replace(secret.as_str(), SHOWN));
            }
        }
        out
    })
}

/// Hides every secret in `v` (strings, and numbers equal to one); whether anything was hidden.
pub fn redact_json(v: &mut serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => match redact(s) {
            Some(r) => {
                *s = r;
                true
            }
            None => false,
        },
        serde_json::Value::Number(n) => {
            if redact(&n.to_string()).is_some() {
                *v = serde_json::Value::String(SHOWN.to_string());
                true
            } else {
                false
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().fold(false, |acc, x| redact_json(x) | acc),
        serde_json::Value::Object(o) => o.values_mut().fold(false, |acc, x| redact_json(x) | acc),
        serde_json::Value::Bool(_) | serde_json::Value::Null => false,
    }
}

/// Hides every secret in a string in place; whether anything was hidden.
pub fn redact_in_place(s: &mut String) -> bool {
    match redact(s) {
        Some(r) => {
            *s = r;
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_hidden_whole_and_inside_longer_values() {
        note("hunter2-secret");
        note("on");
        assert_eq!(redact("hunter2-secret").as_deref(), Some(SHOWN));
        assert_eq!(
            redact("v=spf1 hunter2-secret -all").as_deref(),
            Some("v=spf1 (sensitive value) -all")
        );
        assert_eq!(redact("on").as_deref(), Some(SHOWN));
        assert_eq!(redact("only"), None);
        let mut v = serde_json::json!({"a": ["x", "hunter2-secret"], "b": 1});
        assert!(redact_json(&mut v));
        assert_eq!(v, serde_json::json!({"a": ["x", SHOWN], "b": 1}));
    }

    #[test]
    fn state_paths_point_at_the_sensitive_values() {
        let inst = serde_json::json!({
            "attributes": {"result": "pw-from-state-1", "nested": {"k": ["a", "pw-in-list-22"]}},
            "sensitive_attributes": [
                [{"type": "get_attr", "value": "result"}],
                [{"type": "get_attr", "value": "nested"}, {"type": "get_attr", "value": "k"},
                 {"type": "index", "value": {"value": 1, "type": "number"}}]
            ]
        });
        note_state_instance(&inst);
        assert_eq!(redact("pw-from-state-1").as_deref(), Some(SHOWN));
        assert_eq!(redact("pw-in-list-22").as_deref(), Some(SHOWN));
        assert_eq!(redact("a"), None);
    }
}
