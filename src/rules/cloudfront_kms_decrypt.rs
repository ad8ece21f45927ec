//! `cloudfront_kms_decrypt` (the incident this project comes from): CloudFront reads an S3
//! origin through Origin Access Control as the service principal `cloudfront.amazonaws.com`,
//! with `aws:SourceArn` = the distribution's ARN. When the bucket encrypts with SSE-KMS, the
//! key's policy must let that principal `kms:Decrypt`, and the bucket's policy must let it
//! `s3:GetObject` — else every request is a 403. A legacy Origin Access Identity cannot read
//! SSE-KMS objects at all, nor can OAC through AWS's `aws/s3` key (its policy cannot be
//! changed). Decided with the policy evaluator, never by matching text; a policy it cannot
//! decide is not judged. Reads distributions, buckets and key policies of the model.

use super::{Context, Violation};
use crate::model::policy_eval::{Decision, Principal, Request, evaluate};
use crate::model::{
    Body, Bucket, Distribution, Item, Kind, OriginAccess, Policy, Spec, State, partition_of,
};
use serde_json::json;

pub const NAME: &str = "cloudfront_kms_decrypt";

/// The id a distribution has before AWS assigns one: matches `distribution/*`, never an id.
const NOT_YET: &str = "EUNKNOWNUNTILAPPLY";

const SERVICE: &str = "cloudfront.amazonaws.com";

fn find<'s>(view: &'s State, kind: Kind, id: &str) -> Option<&'s Item> {
    view.items.iter().find(|i| i.kind == kind && i.id == id)
}

/// The distribution's ARN (with a stand-in id before it exists).
fn arn_of(d: &Distribution, partition: &str, account: &str) -> String {
    d.arn(partition, account)
        .unwrap_or_else(|| format!("arn:{partition}:cloudfront::{account}:distribution/{NOT_YET}"))
}

/// The statement the fix adds to the key's policy.
pub fn fix_statement(distribution_arn: &str) -> serde_json::Value {
    json!({
        "Sid": "AllowCloudFrontDecrypt",
        "Effect": "Allow",
        "Principal": {"Service": SERVICE},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}}
    })
}

/// Whether CloudFront, as distribution `dist_arn`, gets `Allowed` for `req`. Before the
/// distribution exists its id is unknown: it may be any distribution ARN the policy names,
/// so the rule fires only when none of them (and no wildcard) would be allowed.
fn allowed(
    policy: &Policy,
    req: Request,
    dist_arn: &str,
    unknown_id: bool,
) -> Result<bool, String> {
    let arns = super::arns::candidates(policy, dist_arn, unknown_id.then_some(NOT_YET));
    for arn in arns {
        let e = evaluate(policy, &req.clone().with("aws:SourceArn", &arn))?;
        if e.decision == Decision::Allowed {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The Sids (or positions) of the statements an evaluation names.
fn sids(policy: &Policy, idx: &[usize]) -> Vec<String> {
    idx.iter()
        .map(|&i| {
            let sid = &policy.statements[i].sid;
            if sid.is_empty() {
                format!("#{i}")
            } else {
                sid.clone()
            }
        })
        .collect()
}

/// One origin's verdict: `Ok(None)` it works, `Ok(Some(problem))` it does not, `Err` not judged.
struct Problem {
    message: String,
    evidence: serde_json::Value,
    fix: Option<String>,
}

pub fn check(view: &State, ctx: &Context) -> Vec<Violation> {
    let mut out = Vec::new();
    for item in &view.items {
        let (Kind::CloudfrontDistribution, Body::Known(Spec::Distribution(d))) =
            (item.kind, &item.body)
        else {
            continue;
        };
        let (Some(account), Some(region)) = (ctx.account, ctx.region) else {
            continue;
        };
        let partition = partition_of(Some(region));
        let dist_arn = arn_of(d, partition, account);
        let mut problems = Vec::new();
        for origin in &d.origins {
            let Some(bucket_name) = origin.bucket() else {
                continue;
            };
            let Some(Item {
                body: Body::Known(Spec::Bucket(bucket)),
                ..
            }) = find(view, Kind::S3Bucket, bucket_name)
            else {
                continue;
            };
            // Before the distribution exists, the fix names its ARN as the code would.
            let fix_arn = match (
                &d.id,
                item.origin.as_ref().and_then(|o| o.address.as_deref()),
            ) {
                (None, Some(address)) => format!("${{{address}.arn}}"),
                _ => dist_arn.clone(),
            };
            problems.extend(origin_problems(
                view,
                d,
                &origin.id,
                origin.access,
                bucket,
                (&dist_arn, partition, account, region),
                &fix_arn,
            ));
        }
        if problems.is_empty() {
            continue;
        }
        let message = problems
            .iter()
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
            .join("; ");
        let fix = problems
            .iter()
            .filter_map(|p| p.fix.clone())
            .collect::<Vec<_>>()
            .join("; ");
        out.push(Violation {
            subject: item.id.clone(),
            kind: Kind::CloudfrontDistribution,
            severity: "high",
            message,
            evidence: json!({
                "distribution": dist_arn,
                "origins": problems.iter().map(|p| p.evidence.clone()).collect::<Vec<_>>(),
            }),
            fix: Some(fix).filter(|f| !f.is_empty()),
        });
    }
    out
}

fn origin_problems(
    view: &State,
    d: &Distribution,
    origin_id: &str,
    access: OriginAccess,
    bucket: &Bucket,
    (dist_arn, partition, account, region): (&str, &str, &str, &str),
    fix_arn: &str,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let enc = bucket.effective_encryption();
    let unknown_id = if d.id.is_none() {
        " (whatever id AWS assigns it)"
    } else {
        ""
    };
    let base = json!({"origin": origin_id, "bucket": bucket.name, "access": access.as_str(),
        "sse_algorithm": enc.algorithm, "key": enc.key});
    match access {
        OriginAccess::None => return out,
        OriginAccess::Oai if enc.uses_kms() => {
            out.push(Problem {
                message: format!(
                    "origin `{origin_id}` reads bucket {} through an Origin Access Identity, which cannot read objects encrypted with SSE-KMS: every request is a 403",
                    bucket.name
                ),
                evidence: base,
                fix: Some(format!(
                    "reach bucket {} through an Origin Access Control (`aws_cloudfront_origin_access_control`) instead of the identity",
                    bucket.name
                )),
            });
            return out;
        }
        OriginAccess::Oai => return out,
        OriginAccess::Oac => {}
    }
    if enc.uses_kms() {
        match &enc.key {
            None => out.push(Problem {
                message: format!(
                    "bucket {} encrypts with AWS's `aws/s3` key, whose policy cannot let CloudFront decrypt: origin `{origin_id}` gets 403 for every object",
                    bucket.name
                ),
                evidence: base.clone(),
                fix: Some(format!(
                    "encrypt bucket {} with a customer managed key whose policy allows CloudFront",
                    bucket.name
                )),
            }),
            Some(key) => {
                if let Some(Item {
                    body: Body::Known(Spec::KeyPolicy(policy)),
                    ..
                }) = find(view, Kind::KmsKeyPolicy, key)
                {
                    let arn = super::arns::key_arn(view, key, partition, account, region);
                    let req = Request::new(Principal::Service(SERVICE.into()), "kms:Decrypt", &arn)
                        .with("aws:SourceAccount", account)
                        .with("kms:ViaService", &format!("s3.{region}.amazonaws.com"));
                    if let Ok(false) = allowed(policy, req.clone(), dist_arn, d.id.is_none())
                        && let Ok(e) = evaluate(policy, &req.with("aws:SourceArn", dist_arn))
                    {
                        let statement = fix_statement(fix_arn);
                        out.push(Problem {
                            message: format!(
                                "the policy of key {key}, which encrypts bucket {}, does not let CloudFront (`{SERVICE}`, aws:SourceArn {dist_arn}) call kms:Decrypt{unknown_id}: every object of origin `{origin_id}` is a 403",
                                bucket.name
                            ),
                            evidence: {
                                let mut b = base.clone();
                                b["action"] = json!("kms:Decrypt");
                                b["decision"] = json!(e.decision.as_str());
                                b["denying"] = json!(sids(policy, &e.denying));
                                b["fix_key"] = json!(key);
                                b["fix_statement"] = statement.clone();
                                b
                            },
                            fix: Some(format!(
                                "add to the policy of key {key} the statement {statement}"
                            )),
                        });
                    }
                }
            }
        }
    }
    // The bucket policy: in code, only when declared; in AWS, none means no access.
    if let Some(policy) = &bucket.policy {
        let object = format!("arn:{partition}:s3:::{}/any-object", bucket.name);
        let req = Request::new(Principal::Service(SERVICE.into()), "s3:GetObject", &object)
            .with("aws:SourceAccount", account);
        if let Ok(false) = allowed(policy, req.clone(), dist_arn, d.id.is_none())
            && let Ok(e) = evaluate(policy, &req.with("aws:SourceArn", dist_arn))
        {
            out.push(Problem {
                message: format!(
                    "the policy of bucket {} does not let CloudFront (aws:SourceArn {dist_arn}) call s3:GetObject{unknown_id}: origin `{origin_id}` gets 403",
                    bucket.name
                ),
                evidence: {
                    let mut b = base;
                    b["action"] = json!("s3:GetObject");
                    b["decision"] = json!(e.decision.as_str());
                    b["denying"] = json!(sids(policy, &e.denying));
                    b
                },
                fix: Some(format!(
                    "add to the policy of bucket {} a statement allowing `{SERVICE}` s3:GetObject on `arn:{partition}:s3:::{}/*` with aws:SourceArn {fix_arn}",
                    bucket.name, bucket.name
                )),
            });
        }
    }
    out
}

/// What makes the rule hold in `view` for `subject` (the statements that allow CloudFront),
/// to say what a hand fix in AWS is doing when the code lacks it.
pub fn holds_because(view: &State, ctx: &Context, subject: &str) -> Option<String> {
    let Some(Item {
        body: Body::Known(Spec::Distribution(d)),
        ..
    }) = find(view, Kind::CloudfrontDistribution, subject)
    else {
        return None;
    };
    let (account, region) = (ctx.account?, ctx.region?);
    let partition = partition_of(Some(region));
    let dist_arn = arn_of(d, partition, account);
    let mut why = Vec::new();
    for origin in d.origins.iter().filter(|o| o.access == OriginAccess::Oac) {
        let Some(Item {
            body: Body::Known(Spec::Bucket(bucket)),
            ..
        }) = origin.bucket().and_then(|b| find(view, Kind::S3Bucket, b))
        else {
            continue;
        };
        let Some(key) = bucket.effective_encryption().key else {
            continue;
        };
        let Some(Item {
            body: Body::Known(Spec::KeyPolicy(policy)),
            ..
        }) = find(view, Kind::KmsKeyPolicy, &key)
        else {
            continue;
        };
        let arn = super::arns::key_arn(view, &key, partition, account, region);
        let req = Request::new(Principal::Service(SERVICE.into()), "kms:Decrypt", &arn)
            .with("aws:SourceArn", &dist_arn)
            .with("aws:SourceAccount", account)
            .with("kms:ViaService", &format!("s3.{region}.amazonaws.com"));
        if let Ok(e) = evaluate(policy, &req)
            && e.decision == Decision::Allowed
        {
            let names = sids(policy, &e.allowing)
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ");
            why.push(format!("statement {names} of key {key}"));
        }
    }
    (!why.is_empty()).then(|| why.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DistributionOrigin, Encryption};

    const ACCOUNT: &str = "290008131187";
    const DIST: &str = "arn:aws:cloudfront::290008131187:distribution/E11S2DJHTYZKER";

    fn view(key_statements: serde_json::Value, access: OriginAccess, key: Option<&str>) -> State {
        let mut s = State::default();
        s.push(Item {
            kind: Kind::CloudfrontDistribution,
            id: "cdn.example.com".into(),
            scope: "cdn.example.com".into(),
            origin: None,
            body: Body::Known(Spec::Distribution(Distribution {
                id: Some("E11S2DJHTYZKER".into()),
                aliases: ["cdn.example.com".to_string()].into(),
                origins: vec![DistributionOrigin {
                    id: "files".into(),
                    domain_name: "files.s3.ap-northeast-2.amazonaws.com".into(),
                    access,
                }],
                ..Distribution::default()
            })),
        });
        s.push(Item {
            kind: Kind::S3Bucket,
            id: "files".into(),
            scope: "files".into(),
            origin: None,
            body: Body::Known(Spec::Bucket(Bucket {
                name: "files".into(),
                encryption: Some(Encryption {
                    algorithm: "aws:kms".into(),
                    key: key.map(str::to_string),
                }),
                ..Bucket::default()
            })),
        });
        let policy = json!({"Version": "2012-10-17", "Statement": key_statements});
        s.push(Item {
            kind: Kind::KmsKeyPolicy,
            id: "alias/files".into(),
            scope: "alias/files".into(),
            origin: None,
            body: Body::Known(Spec::KeyPolicy(
                Policy::from_json_in(&policy, Some("aws")).expect("policy"),
            )),
        });
        s
    }

    fn fires(statements: serde_json::Value) -> bool {
        let ctx = Context {
            account: Some(ACCOUNT),
            region: Some("ap-northeast-2"),
            view: Default::default(),
        };
        !check(
            &view(statements, OriginAccess::Oac, Some("alias/files")),
            &ctx,
        )
        .is_empty()
    }

    fn root() -> serde_json::Value {
        json!({"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"})
    }

    #[test]
    fn the_incident_fires_and_its_fix_and_equivalents_do_not() {
        // The incident: the root and S3 may use the key, CloudFront may not.
        let s3 = json!({"Sid": "S3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"});
        assert!(fires(json!([root(), s3])));
        // The hand fix.
        assert!(!fires(json!([root(), s3, fix_statement(DIST)])));
        // Equivalents: StringLike on every distribution of the account, `kms:*`, `*` with SourceArn.
        assert!(!fires(
            json!([root(), {"Effect": "Allow", "Principal": {"Service": SERVICE},
            "Action": "kms:*", "Resource": "*",
            "Condition": {"StringLike": {"aws:SourceArn": format!("arn:aws:cloudfront::{ACCOUNT}:distribution/*")}}}])
        ));
        assert!(!fires(json!([root(), {"Effect": "Allow", "Principal": "*",
            "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"ArnEquals": {"aws:SourceArn": DIST}}}])));
    }

    #[test]
    fn near_misses_fire() {
        // Another distribution's ARN.
        let other = fix_statement("arn:aws:cloudfront::290008131187:distribution/EOTHER");
        assert!(fires(json!([root(), other])));
        // Encrypt only.
        let mut encrypt = fix_statement(DIST);
        encrypt["Action"] = json!("kms:Encrypt");
        assert!(fires(json!([root(), encrypt])));
        // A deny on another account's source wins only when it applies: here it does not.
        let deny_other_account = json!({"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:SourceAccount": ACCOUNT}}});
        assert!(!fires(json!([
            root(),
            fix_statement(DIST),
            deny_other_account
        ])));
        // A deny for every service principal does.
        let deny_services = json!({"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:SourceAccount": "111111111111"}}});
        assert!(fires(json!([root(), fix_statement(DIST), deny_services])));
    }

    #[test]
    fn an_identity_on_a_kms_bucket_and_the_aws_managed_key_fire() {
        let ctx = Context {
            account: Some(ACCOUNT),
            region: Some("ap-northeast-2"),
            view: Default::default(),
        };
        let ok = json!([root(), fix_statement(DIST)]);
        assert_eq!(
            check(
                &view(ok.clone(), OriginAccess::Oai, Some("alias/files")),
                &ctx
            )
            .len(),
            1
        );
        assert_eq!(
            check(&view(ok.clone(), OriginAccess::Oac, None), &ctx).len(),
            1
        );
        // An unsigned origin is not this rule's business.
        assert!(check(&view(ok, OriginAccess::None, Some("alias/files")), &ctx).is_empty());
    }
}
