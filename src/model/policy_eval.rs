//! Evaluates one resource policy (a KMS key policy, an S3 bucket policy) for one request, as
//! AWS's policy evaluation logic decides it: an explicit Deny wins, then an Allow that names the
//! principal, then an Allow for the principal's account (which the account's IAM policies must
//! then grant), else the implicit deny. `NotPrincipal`, `NotAction`, `NotResource`, wildcards
//! and the condition operators key and bucket policies use are supported; anything else (an
//! unknown operator, a policy variable) is an error, so a rule built on this says "not checked"
//! rather than guess. The *comparator* of policies is `policy.rs`; this module only evaluates.
//! Knows nothing of where a policy came from.

use super::glob::glob;
use super::policy::{CondValues, Policy, Principals, Statement};
use std::collections::BTreeMap;

/// Who makes the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// An AWS service principal (`cloudfront.amazonaws.com`).
    Service(String),
    /// An IAM principal by ARN: a role, a user, an assumed-role session, an account root.
    Aws(String),
}

impl Principal {
    /// The account of an IAM principal (the fifth field of its ARN).
    fn account(&self) -> Option<&str> {
        match self {
            Principal::Aws(arn) => arn.split(':').nth(4).filter(|a| !a.is_empty()),
            Principal::Service(_) => None,
        }
    }
}

/// One request: who, what, on which resource, with which context keys (names compare
/// case-insensitively; a multi-valued key has several values).
#[derive(Clone, Debug)]
pub struct Request {
    pub principal: Principal,
    pub action: String,
    pub resource: String,
    context: BTreeMap<String, Vec<String>>,
}

impl Request {
    pub fn new(principal: Principal, action: &str, resource: &str) -> Request {
        Request {
            principal,
            action: action.to_string(),
            resource: resource.to_string(),
            context: BTreeMap::new(),
        }
    }

    /// Sets a single-valued context key.
    pub fn with(mut self, key: &str, value: &str) -> Request {
        self.context
            .insert(key.to_ascii_lowercase(), vec![value.to_string()]);
        self
    }

    /// Sets a multi-valued context key.
    pub fn with_all(mut self, key: &str, values: &[&str]) -> Request {
        self.context.insert(
            key.to_ascii_lowercase(),
            values.iter().map(|v| v.to_string()).collect(),
        );
        self
    }

    fn get(&self, key: &str) -> Option<&[String]> {
        self.context
            .get(&key.to_ascii_lowercase())
            .map(Vec::as_slice)
    }
}

/// What the resource policy decides (the names of AWS's documentation and of IAM simulators).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// An Allow names the principal: the request is allowed by this policy alone.
    Allowed,
    /// An Allow names the principal's account: IAM policies in that account must also allow.
    AllowedForAccount,
    ExplicitlyDenied,
    ImplicitlyDenied,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "Allowed",
            Decision::AllowedForAccount => "AllowedForAccount",
            Decision::ExplicitlyDenied => "ExplicitlyDenied",
            Decision::ImplicitlyDenied => "ImplicitlyDenied",
        }
    }
}

/// The decision and the statements that made it (indexes into the policy's statements).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    pub allowing: Vec<usize>,
    pub denying: Vec<usize>,
}

/// How a statement's principal element matches the request's principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PrincipalMatch {
    Match,
    Account,
    No,
}

/// Evaluates `policy` for `req`. `Err`: the policy uses something this evaluator does not
/// know (the reason), and no decision is given.
pub fn evaluate(policy: &Policy, req: &Request) -> Result<Evaluation, String> {
    let mut allow_direct = Vec::new();
    let mut allow_account = Vec::new();
    let mut denying = Vec::new();
    for (i, st) in policy.statements.iter().enumerate() {
        let principal = statement_principal(st, &req.principal);
        if principal == PrincipalMatch::No
            || !action_matches(st, &req.action)
            || !resource_matches(st, &req.resource)
            || !conditions_hold(st, req)?
        {
            continue;
        }
        match (st.effect.as_str(), principal) {
            ("Deny", _) => denying.push(i),
            ("Allow", PrincipalMatch::Match) => allow_direct.push(i),
            ("Allow", _) => allow_account.push(i),
            (other, _) => return Err(format!("statement {i} has the effect {other:?}")),
        }
    }
    let (decision, allowing) = if !denying.is_empty() {
        (Decision::ExplicitlyDenied, Vec::new())
    } else if !allow_direct.is_empty() {
        (Decision::Allowed, allow_direct)
    } else if !allow_account.is_empty() {
        (Decision::AllowedForAccount, allow_account)
    } else {
        (Decision::ImplicitlyDenied, Vec::new())
    };
    Ok(Evaluation {
        decision,
        allowing,
        denying,
    })
}

fn statement_principal(st: &Statement, who: &Principal) -> PrincipalMatch {
    match (&st.principal, &st.not_principal) {
        (Some(p), _) => principal_match(p, who),
        // NotPrincipal applies to everyone it does not name.
        (None, Some(np)) => match principal_match(np, who) {
            PrincipalMatch::No => PrincipalMatch::Match,
            _ => PrincipalMatch::No,
        },
        (None, None) => PrincipalMatch::No,
    }
}

fn principal_match(p: &Principals, who: &Principal) -> PrincipalMatch {
    let mut best = PrincipalMatch::No;
    for (ty, ids) in p {
        for id in ids {
            let m = match (ty.as_str(), who) {
                ("AWS", _) if id == "*" => PrincipalMatch::Match,
                ("Service", Principal::Service(s)) if id.eq_ignore_ascii_case(s) => {
                    PrincipalMatch::Match
                }
                ("AWS", Principal::Aws(arn)) => aws_principal_match(id, arn, who.account()),
                _ => PrincipalMatch::No,
            };
            match m {
                PrincipalMatch::Match => return m,
                PrincipalMatch::Account => best = m,
                PrincipalMatch::No => {}
            }
        }
    }
    best
}

/// An `AWS` principal element `id` against the request's principal ARN `arn`.
fn aws_principal_match(id: &str, arn: &str, account: Option<&str>) -> PrincipalMatch {
    if id == arn || same_role(id, arn) {
        return PrincipalMatch::Match;
    }
    let parts: Vec<&str> = id.split(':').collect();
    if let [_, _, "iam", "", acct, "root"] = parts.as_slice()
        && Some(*acct) == account
    {
        return PrincipalMatch::Account;
    }
    PrincipalMatch::No
}

/// A role ARN names the sessions of that role (`arn:aws:sts::A:assumed-role/R/session`).
fn same_role(id: &str, arn: &str) -> bool {
    let (Some(role), Some(session)) = (id.split_once(":role/"), arn.split_once(":assumed-role/"))
    else {
        return false;
    };
    let (role_prefix, role_path) = role;
    let role_name = role_path.rsplit('/').next().unwrap_or(role_path);
    let session_role = session.1.split('/').next().unwrap_or_default();
    let account = |p: &str| p.split(':').nth(4).map(str::to_string);
    account(role_prefix) == account(session.0) && role_name == session_role
}

fn action_matches(st: &Statement, action: &str) -> bool {
    let any = |set: &super::policy::CiSet| {
        set.iter()
            .any(|pattern| glob(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase()))
    };
    match (&st.action, &st.not_action) {
        (Some(a), _) => any(a),
        (None, Some(na)) => !any(na),
        (None, None) => false,
    }
}

fn resource_matches(st: &Statement, resource: &str) -> bool {
    let any = |set: &std::collections::BTreeSet<String>| {
        set.iter().any(|pattern| arn_like(pattern, resource))
    };
    match (&st.resource, &st.not_resource) {
        (Some(r), _) => any(r),
        (None, Some(nr)) => !any(nr),
        (None, None) => false,
    }
}

/// Every operator and key of the statement's condition holds (AND across operators and
/// keys; OR across one key's values, NOR for the negated operators).
fn conditions_hold(st: &Statement, req: &Request) -> Result<bool, String> {
    for (op, keys) in &st.condition {
        for cv in keys.values() {
            if !condition_holds(op, cv, req)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// How one condition operator compares one context value with one policy value.
#[derive(Clone, Copy)]
enum Compare {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Arn,
    Bool,
}

fn condition_holds(op: &str, cv: &CondValues, req: &Request) -> Result<bool, String> {
    let (set, rest) = match op.split_once(':') {
        Some(("ForAnyValue", rest)) => (Some(true), rest),
        Some(("ForAllValues", rest)) => (Some(false), rest),
        Some((other, _)) => return Err(format!("the condition set operator `{other}:`")),
        None => (None, op),
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let wanted: Vec<&str> = cv.values().collect();
    if wanted.iter().any(|v| v.contains("${")) {
        return Err(format!("a policy variable in `{op}` on `{}`", cv.key()));
    }
    let context = req.get(cv.key());
    if base == "Null" {
        if set.is_some() || if_exists {
            return Err(format!("the condition operator `{op}`"));
        }
        let absent = context.is_none_or(<[String]>::is_empty);
        return Ok(wanted
            .iter()
            .any(|w| match w.to_ascii_lowercase().as_str() {
                "true" => absent,
                "false" => !absent,
                _ => false,
            }));
    }
    let (compare, negated) = match base {
        "StringEquals" => (Compare::StringEquals, false),
        "StringNotEquals" => (Compare::StringEquals, true),
        "StringEqualsIgnoreCase" => (Compare::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Compare::StringEqualsIgnoreCase, true),
        "StringLike" => (Compare::StringLike, false),
        "StringNotLike" => (Compare::StringLike, true),
        "ArnEquals" | "ArnLike" => (Compare::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Compare::Arn, true),
        "Bool" => (Compare::Bool, false),
        _ => return Err(format!("the condition operator `{op}`")),
    };
    let one = |value: &str| -> bool {
        let hit = wanted.iter().any(|w| match compare {
            Compare::StringEquals => value == *w,
            Compare::StringEqualsIgnoreCase => value.eq_ignore_ascii_case(w),
            Compare::StringLike => glob(w, value),
            Compare::Arn => arn_like(w, value),
            Compare::Bool => value.eq_ignore_ascii_case(w),
        });
        hit != negated
    };
    let values = match context {
        Some(v) if !v.is_empty() => v,
        // An absent key: true only under IfExists, a negated operator, or ForAllValues.
        _ => return Ok(if_exists || negated || set == Some(false)),
    };
    Ok(match set {
        Some(true) => values.iter().any(|v| one(v)),
        Some(false) => values.iter().all(|v| one(v)),
        None if values.len() == 1 => one(&values[0]),
        None => {
            return Err(format!(
                "`{op}` on the multi-valued key `{}` without ForAnyValue/ForAllValues",
                cv.key()
            ));
        }
    })
}

/// An ARN pattern against an ARN: the first five fields each matched alone, the resource (the
/// rest, colons and all) as one; a pattern that is not an ARN (`*`) is a plain wildcard.
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    if !pattern.starts_with("arn:") {
        return glob(pattern, arn);
    }
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    p.len() == 6 && a.len() == 6 && p.iter().zip(&a).all(|(p, a)| glob(p, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(v: serde_json::Value) -> Policy {
        Policy::from_json_in(&v, Some("aws")).expect("policy")
    }

    const KEY: &str =
        "arn:aws:kms:ap-northeast-2:290008131187:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const DIST: &str = "arn:aws:cloudfront::290008131187:distribution/E11S2DJHTYZKER";

    fn cloudfront() -> Request {
        Request::new(
            Principal::Service("cloudfront.amazonaws.com".into()),
            "kms:Decrypt",
            KEY,
        )
        .with("aws:SourceArn", DIST)
    }

    #[test]
    fn the_incident_statement_allows_cloudfront_and_its_near_misses_do_not() {
        let allow = |condition: serde_json::Value, action: &str| {
            policy(serde_json::json!({"Version": "2012-10-17", "Statement": [{
                "Sid": "AllowCloudFrontDecrypt", "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": action, "Resource": "*", "Condition": condition}]}))
        };
        let decide = |p: &Policy| evaluate(p, &cloudfront()).map(|e| e.decision);
        let exact = serde_json::json!({"StringEquals": {"AWS:SourceArn": DIST}});
        assert_eq!(decide(&allow(exact, "kms:Decrypt")), Ok(Decision::Allowed));
        let like = serde_json::json!({"StringLike": {"aws:sourcearn": "arn:aws:cloudfront::290008131187:distribution/*"}});
        assert_eq!(decide(&allow(like, "kms:*")), Ok(Decision::Allowed));
        let other = serde_json::json!({"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::290008131187:distribution/EOTHER"}});
        assert_eq!(
            decide(&allow(other, "kms:Decrypt")),
            Ok(Decision::ImplicitlyDenied)
        );
        let encrypt_only = serde_json::json!({});
        assert_eq!(
            decide(&allow(encrypt_only, "kms:Encrypt")),
            Ok(Decision::ImplicitlyDenied)
        );
        let unknown =
            serde_json::json!({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}});
        assert!(decide(&allow(unknown, "kms:Decrypt")).is_err());
    }

    #[test]
    fn an_explicit_deny_wins_and_not_principal_applies_to_the_rest() {
        let p = policy(serde_json::json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceArn": DIST}}},
            {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::290008131187:role/admin"},
             "Action": "kms:*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:SourceAccount": "290008131187"}}}]}));
        assert_eq!(
            evaluate(&p, &cloudfront()).map(|e| e.decision),
            Ok(Decision::ExplicitlyDenied),
            "no aws:SourceAccount in the request: the negated condition holds"
        );
        let with_account = cloudfront().with("aws:SourceAccount", "290008131187");
        let e = evaluate(&p, &with_account).expect("evaluates");
        assert_eq!(e.decision, Decision::Allowed);
        assert_eq!(e.allowing, vec![0]);
    }

    #[test]
    fn the_account_root_grants_to_the_account_not_to_a_service() {
        let p = policy(serde_json::json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "290008131187"}, "Action": "kms:*", "Resource": "*"}]}));
        let role = Request::new(
            Principal::Aws("arn:aws:iam::290008131187:role/admin".into()),
            "kms:PutKeyPolicy",
            KEY,
        );
        assert_eq!(
            evaluate(&p, &role).map(|e| e.decision),
            Ok(Decision::AllowedForAccount)
        );
        assert_eq!(
            evaluate(&p, &cloudfront()).map(|e| e.decision),
            Ok(Decision::ImplicitlyDenied)
        );
    }

    #[test]
    fn wildcards_and_arn_fields() {
        assert!(glob("kms:get*", "kms:getkeypolicy"));
        assert!(glob("a?c", "abc") && !glob("a?c", "ac"));
        assert!(glob("*", ""));
        assert!(arn_like(
            "arn:aws:cloudfront::*:distribution/*",
            "arn:aws:cloudfront::290008131187:distribution/E1"
        ));
        assert!(!arn_like(
            "arn:aws:cloudfront::*:distribution/*",
            "arn:aws:s3:::bucket/distribution/x"
        ));
    }
}
