//! `dnssec_signing_key`: a hosted zone signed with DNSSEC through a KMS key. Route 53 signs
//! only with a key in `us-east-1`, of spec `ECC_NIST_P256` and usage `SIGN_VERIFY`, enabled,
//! whose policy lets `dnssec-route53.amazonaws.com` call `kms:DescribeKey`,
//! `kms:GetPublicKey` and `kms:Sign` — else signing stops, and once the DS record at the
//! parent outlives the signatures, resolvers that validate refuse the whole zone. The policy
//! is evaluated as in `cloudfront_kms_decrypt` (with `aws:SourceAccount` and `aws:SourceArn` =
//! the zone's ARN; before the zone exists, any zone ARN the policy names may be it). Reads the
//! zones' signing keys, key facts and key policies of the model.

use super::{Context, View, Violation};
use crate::model::policy_eval::{Decision, Principal, Request, evaluate};
use crate::model::{Body, Kind, Policy, Spec, State, partition_of};
use serde_json::json;

pub const NAME: &str = "dnssec_signing_key";

const SERVICE: &str = "dnssec-route53.amazonaws.com";
const ACTIONS: [&str; 3] = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"];
const NOT_YET: &str = "ZUNKNOWNUNTILAPPLY";

/// The actions `policy` does not let Route 53's DNSSEC service call for `zone_arn`.
fn refused(
    policy: &Policy,
    key_arn: &str,
    account: &str,
    zone_arn: &str,
    zone_known: bool,
) -> Result<Vec<&'static str>, String> {
    let arns = super::arns::candidates(policy, zone_arn, (!zone_known).then_some(NOT_YET));
    let mut out = Vec::new();
    for action in ACTIONS {
        let mut allowed = false;
        for arn in &arns {
            let req = Request::new(Principal::Service(SERVICE.into()), action, key_arn)
                .with("aws:SourceAccount", account)
                .with("aws:SourceArn", arn);
            if evaluate(policy, &req)?.decision == Decision::Allowed {
                allowed = true;
                break;
            }
        }
        if !allowed {
            out.push(action);
        }
    }
    Ok(out)
}

pub fn check(view: &State, ctx: &Context) -> Vec<Violation> {
    let mut out = Vec::new();
    let (Some(account), Some(region)) = (ctx.account, ctx.region) else {
        return out;
    };
    for signing in &view.signing {
        let mut problems = Vec::new();
        let facts = view.keys.get(&signing.key);
        if let Some(f) = facts {
            if !f.region.is_empty() && f.region != "us-east-1" {
                problems.push(format!(
                    "it is in {}, and Route 53 signs only with keys in us-east-1",
                    f.region
                ));
            }
            if let Some(spec) = f.spec.as_deref().filter(|s| *s != "ECC_NIST_P256") {
                problems.push(format!("its spec is {spec}, not ECC_NIST_P256"));
            }
            if let Some(usage) = f.usage.as_deref().filter(|u| *u != "SIGN_VERIFY") {
                problems.push(format!("its usage is {usage}, not SIGN_VERIFY"));
            }
            if ctx.view == View::Aws && f.state != "Enabled" {
                problems.push(format!("it is {}", f.state));
            }
        }
        let policy = view.items.iter().find_map(|i| match &i.body {
            Body::Known(Spec::KeyPolicy(p))
                if i.kind == Kind::KmsKeyPolicy && i.id == signing.key =>
            {
                Some(p)
            }
            _ => None,
        });
        let mut evidence = json!({
            "zone": signing.zone,
            "key_signing_key": signing.name,
            "key": signing.key,
            "key_region": facts.map(|f| f.region.clone()),
            "key_spec": facts.and_then(|f| f.spec.clone()),
            "key_usage": facts.and_then(|f| f.usage.clone()),
        });
        if let Some(policy) = policy {
            let partition = partition_of(Some(region));
            let key_arn = super::arns::key_arn(view, &signing.key, partition, account, "us-east-1");
            let zone_arn = format!(
                "arn:{partition}:route53:::hostedzone/{}",
                signing.zone_id.as_deref().unwrap_or(NOT_YET)
            );
            if let Ok(missing) = refused(
                policy,
                &key_arn,
                account,
                &zone_arn,
                signing.zone_id.is_some(),
            ) && !missing.is_empty()
            {
                problems.push(format!(
                    "its policy does not let `{SERVICE}` call {}",
                    missing.join(", ")
                ));
                evidence["refused"] = json!(missing);
            }
        }
        if problems.is_empty() {
            continue;
        }
        out.push(Violation {
            subject: signing.key.clone(),
            kind: Kind::KmsKeyPolicy,
            severity: "high",
            message: format!(
                "zone {} is signed (key-signing key `{}`) with key {}, but {}: Route 53 cannot sign the zone, and resolvers that validate DNSSEC will refuse it",
                signing.zone,
                signing.name,
                signing.key,
                problems.join("; ")
            ),
            evidence,
            fix: Some(format!(
                "sign with a customer managed key in us-east-1 (`customer_master_key_spec = \"ECC_NIST_P256\"`, `key_usage = \"SIGN_VERIFY\"`) whose policy allows `{SERVICE}` kms:DescribeKey, kms:GetPublicKey and kms:Sign with `aws:SourceAccount` = {account} and `aws:SourceArn` = `arn:aws:route53:::hostedzone/*`"
            )),
        });
    }
    out
}
