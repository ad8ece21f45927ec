//! Cross-resource rules: what must hold *between* objects for the estate to work, checked on
//! three views of it — the code alone (before any apply), what runs in AWS, and what
//! `terraform apply` would leave (the code laid over what runs). Every object can match its
//! code and the estate still be broken; these findings say so (`kind = rule`,
//! `status = violated`, `id = RULE/SUBJECT`).
//!
//! One file per rule; each reads only the canonical model (`model::State`) and the policy
//! evaluator, never AWS, files or reports. This module owns the views and turns violations
//! into findings; it must not know any rule's logic.

pub mod arns;
pub mod cloudfront_kms_decrypt;
pub mod dangling_dns;
pub mod dnssec_signing_key;
pub mod key_not_usable;
pub mod key_policy_lockout;

use crate::model::{Body, Family, Kind, Origin, State};
use crate::report::{Finding, RuleVerdict, Status};
use std::collections::{BTreeMap, HashMap};

/// Facts about the run a rule may need: the account and region read (for ARNs and the
/// account's root).
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
    /// The view being checked (set by `check` for each view).
    pub view: View,
}

/// Which view of the estate a violation was found in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum View {
    #[default]
    Code,
    AfterApply,
    Aws,
}

impl View {
    pub fn as_str(self) -> &'static str {
        match self {
            View::Code => "code",
            View::AfterApply => "after_apply",
            View::Aws => "aws",
        }
    }
}

/// One rule's verdict on one subject in one view.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The natural id of what the rule speaks about (`alias/app`).
    pub subject: String,
    /// The kind of the subject, to place the finding where the code declares it.
    pub kind: Kind,
    pub severity: &'static str,
    pub message: String,
    pub evidence: serde_json::Value,
    pub fix: Option<String>,
}

/// A violation, the views it was found in, and the evidence of each.
type Found = (
    Violation,
    Vec<View>,
    serde_json::Map<String, serde_json::Value>,
);

/// A rule: its name, the families it reads (it runs only when `--only` keeps them all), and
/// its check of one view.
pub struct Rule {
    pub name: &'static str,
    pub families: &'static [Family],
    pub check: fn(&State, &Context) -> Vec<Violation>,
    /// What makes the rule hold for a subject in a view, when it does (the statement a hand
    /// fix added): said when AWS holds and the code or apply would not.
    pub holds_because: Option<HoldsBecause>,
}

/// What makes a rule hold for a subject in a view (`None`: it does not, or cannot be said).
pub type HoldsBecause = fn(&State, &Context, &str) -> Option<String>;

/// Every rule drift knows.
pub const RULES: &[Rule] = &[
    Rule {
        name: cloudfront_kms_decrypt::NAME,
        families: &[Family::Cloudfront, Family::S3, Family::Kms],
        check: cloudfront_kms_decrypt::check,
        holds_because: Some(cloudfront_kms_decrypt::holds_because),
    },
    Rule {
        name: dangling_dns::NAME,
        families: &[
            Family::Route53,
            Family::Cloudfront,
            Family::S3,
            Family::Elb,
            Family::Rds,
        ],
        check: dangling_dns::check,
        holds_because: None,
    },
    Rule {
        name: dnssec_signing_key::NAME,
        families: &[Family::Route53, Family::Kms],
        check: dnssec_signing_key::check,
        holds_because: None,
    },
    Rule {
        name: key_not_usable::NAME,
        families: &[Family::Kms],
        check: key_not_usable::check,
        holds_because: None,
    },
    Rule {
        name: key_policy_lockout::NAME,
        families: &[Family::Kms],
        check: key_policy_lockout::check,
        holds_because: None,
    },
];

/// What `terraform apply` would leave: what runs, with each object the code declares (and
/// knows) replaced by the code's version — but for values the code does not set, which apply
/// leaves alone.
pub fn after_apply(desired: &State, live: &State) -> State {
    let mut items: BTreeMap<(Kind, String), crate::model::Item> = live
        .items
        .iter()
        .map(|i| ((i.kind, i.id.clone()), i.clone()))
        .collect();
    for d in &desired.items {
        let key = (d.kind, d.id.clone());
        if matches!(d.body, Body::Known(_)) && !desired.not_in_code.contains(&key) {
            let mut d = d.clone();
            if let (Body::Known(code), Some(Body::Known(aws))) =
                (&mut d.body, items.get(&key).map(|l| &l.body))
            {
                code.fill_from(aws);
            }
            items.insert(key, d);
        }
    }
    let mut out = State::default();
    out.keys = live.keys.clone();
    // What the code declares of a key (spec, usage, region) is what apply leaves; AWS's id,
    // ARN and state stay.
    for (id, code) in &desired.keys {
        match out.keys.get_mut(id) {
            Some(k) => {
                k.spec = code.spec.clone().or(k.spec.take());
                k.usage = code.usage.clone().or(k.usage.take());
                k.region = code.region.clone();
            }
            None => {
                out.keys.insert(id.clone(), code.clone());
            }
        }
    }
    out.signing = desired.signing.clone();
    for s in &mut out.signing {
        s.zone_id = live
            .signing
            .iter()
            .find(|l| l.zone == s.zone)
            .and_then(|l| l.zone_id.clone());
    }
    out.key_users = live.key_users.clone();
    out.buckets_elsewhere = live.buckets_elsewhere.clone();
    out.listed = live.listed.clone();
    out.load_balancers = live.load_balancers.clone();
    out.rds_endpoints = live.rds_endpoints.clone();
    for item in items.into_values() {
        out.push(item);
    }
    out
}

/// Runs every rule on the code, on what runs (when it was read: `live`), and on what apply
/// would leave; one finding per rule and subject, listing the views it does not hold in.
pub fn check(
    desired: &State,
    live: Option<&State>,
    only: &[Family],
    ctx: &Context,
) -> Vec<Finding> {
    let merged = live.map(|l| after_apply(desired, l));
    let mut views: Vec<(View, &State)> = vec![(View::Code, desired)];
    if let Some(m) = &merged {
        views.push((View::AfterApply, m));
    }
    if let Some(l) = live {
        views.push((View::Aws, l));
    }
    let origins: HashMap<(Kind, &str), &Origin> = desired
        .items
        .iter()
        .filter_map(|i| Some(((i.kind, i.id.as_str()), i.origin.as_ref()?)))
        .collect();
    let mut found: BTreeMap<(&'static str, String), Found> = BTreeMap::new();
    for rule in RULES
        .iter()
        .filter(|r| r.families.iter().all(|f| only.contains(f)))
    {
        // A family the rule reads that could not be read live leaves only the code to judge.
        let live_read = live.is_none_or(|l| rule.families.iter().all(|f| !l.failed.contains(f)));
        for (view, state) in &views {
            if *view != View::Code && !live_read {
                continue;
            }
            let ctx = Context {
                view: *view,
                ..*ctx
            };
            for v in (rule.check)(state, &ctx) {
                let entry = found
                    .entry((rule.name, v.subject.clone()))
                    .or_insert_with(|| (v.clone(), Vec::new(), serde_json::Map::new()));
                // What apply would leave speaks with AWS's computed values (ids, ARNs): its
                // wording and fix are the ones shown.
                if *view == View::AfterApply {
                    entry.0 = v.clone();
                }
                entry.1.push(*view);
                entry
                    .2
                    .insert(view.as_str().to_string(), v.evidence.clone());
            }
        }
    }
    let holds: HashMap<(&'static str, String), String> = match live {
        None => HashMap::new(),
        Some(l) => found
            .iter()
            .filter(|(_, (_, places, _))| !places.contains(&View::Aws))
            .filter_map(|((rule, subject), _)| {
                let r = RULES.iter().find(|r| r.name == *rule)?;
                let aws = Context {
                    view: View::Aws,
                    ..*ctx
                };
                let why = (r.holds_because?)(l, &aws, subject)?;
                Some(((*rule, subject.clone()), why))
            })
            .collect(),
    };
    found
        .into_iter()
        .map(|((rule, subject), (mut v, places, evidence))| {
            if !places.contains(&View::Aws) && live.is_some() {
                v.message = match holds.get(&(rule, subject.clone())) {
                    Some(why) => format!(
                        "{}. AWS works today only through {why}, which the code does not have: `terraform apply` would remove it and bring the failure back",
                        v.message
                    ),
                    None if places.contains(&View::AfterApply) => format!(
                        "{}. AWS is fine today; `terraform apply` would break it",
                        v.message
                    ),
                    None => v.message,
                };
            }
            let mut f = Finding::new(Status::Violated, Kind::Rule, format!("{rule}/{subject}"));
            f.origin = origins
                .get(&(v.kind, subject.as_str()))
                .map(|o| (*o).clone());
            f.rule = Some(RuleVerdict {
                rule,
                severity: v.severity,
                places: places.iter().map(|p| p.as_str()).collect(),
                message: v.message,
                evidence: serde_json::Value::Object(evidence),
                fix: v.fix,
            });
            f
        })
        .collect()
}
