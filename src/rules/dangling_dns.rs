//! `dangling_dns`: a Route 53 alias or CNAME whose target is gone — a subdomain anyone may be
//! able to take over, or a name that answers with errors. Targets judged:
//!
//! - a `*.cloudfront.net` name that is none of the account's distributions (medium: CloudFront
//!   refuses requests for names no distribution lists), or a distribution that does not list
//!   the record's name among its aliases (medium);
//! - an S3 website endpoint whose bucket (the record's name for an alias, the endpoint's first
//!   labels for a CNAME) no account has — anyone can create it and serve content under the
//!   name (high) — or that is the account's but serves no website (medium);
//! - a load balancer's DNS name that is none of the account's load balancers in that region
//!   (medium; application, network and classic are listed; another region is not judged).
//!
//! - an RDS endpoint that is none of the account's instances' or clusters' (writer, reader)
//!   endpoints in that region (medium; custom cluster endpoints are not listed).
//!
//! "None of the account's" is said only of a family listed live
//! (`State::listed`, `State::load_balancers`): in the code alone, or when a family was not
//! read, only an object found can be found wrong. Reads records, distributions, buckets and
//! load balancers of the model.

use super::{Context, Violation};
use crate::model::bucket::website_bucket;
use crate::model::{Body, Family, Kind, Spec, State};
use serde_json::json;

pub const NAME: &str = "dangling_dns";

fn canonical(name: &str) -> String {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    n.strip_prefix("dualstack.")
        .map(str::to_string)
        .unwrap_or(n)
}

/// Whether a distribution alias (possibly `*.example.com`) covers `name`.
fn alias_covers(alias: &str, name: &str) -> bool {
    match alias.strip_prefix("*.") {
        Some(parent) => name
            .strip_suffix(parent)
            .is_some_and(|head| head.ends_with('.') && !head[..head.len() - 1].contains('.')),
        None => alias == name,
    }
}

pub fn check(view: &State, _ctx: &Context) -> Vec<Violation> {
    let listed = view.listed.contains(&Family::Cloudfront);
    let distributions: Vec<&crate::model::Distribution> = view
        .items
        .iter()
        .filter_map(|i| match &i.body {
            Body::Known(Spec::Distribution(d)) => Some(d),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for item in &view.items {
        let (Kind::Route53Record, Body::Known(Spec::Record(r))) = (item.kind, &item.body) else {
            continue;
        };
        let name = canonical(&r.name);
        let targets: Vec<String> = match (&r.alias, r.rtype.as_str()) {
            (Some(a), _) => vec![canonical(&a.dns_name)],
            (None, "CNAME") => r.records.iter().map(|v| canonical(v)).collect(),
            _ => continue,
        };
        for target in targets {
            let found = if target.ends_with(".cloudfront.net") {
                cloudfront(&distributions, &target, &name, listed)
            } else if let Some(region) = elb_region(&target) {
                load_balancer(view, &target, region)
            } else if let Some(region) = rds_region(&target) {
                rds_endpoint(view, &target, region)
            } else if let Some(bucket) = website_bucket(&target, &name) {
                website(view, &bucket, view.listed.contains(&Family::S3))
            } else {
                None
            };
            if let Some((severity, why, evidence)) = found {
                out.push(Violation {
                    subject: item.id.clone(),
                    kind: Kind::Route53Record,
                    severity,
                    message: format!("{} {} points at {target}: {why}", r.rtype, name),
                    evidence,
                    fix: Some(format!(
                        "point {name} at what serves it now, or delete the record"
                    )),
                });
                break;
            }
        }
    }
    out
}

type Found = (&'static str, String, serde_json::Value);

/// The region of a load balancer's DNS name: `NAME-ID.REGION.elb.amazonaws.com` (application,
/// classic) or `NAME-ID.elb.REGION.amazonaws.com` (network).
fn elb_region(target: &str) -> Option<&str> {
    let head = target.strip_suffix(".amazonaws.com")?;
    if let Some(rest) = head.strip_suffix(".elb") {
        return rest.rsplit('.').next().filter(|r| r.contains('-'));
    }
    let (_, region) = head.rsplit_once(".elb.")?;
    (!region.contains('.')).then_some(region)
}

/// The region of an RDS endpoint drift lists: an instance's (`ID.RANDOM.REGION.rds.amazonaws.com`)
/// or a cluster's writer or reader (`ID.cluster-[ro-]RANDOM.…`). A cluster's custom endpoints
/// (`cluster-custom-`) and RDS Proxy endpoints (`proxy-`) are not listed, so a record at one
/// is not judged (`None`), never called dangling.
fn rds_region(target: &str) -> Option<&str> {
    let head = target.strip_suffix(".rds.amazonaws.com")?;
    let mut labels = head.split('.');
    let _id = labels.next()?;
    let kind = labels.next()?;
    if kind.starts_with("cluster-custom-") || kind.starts_with("proxy-") {
        return None;
    }
    head.rsplit('.').next().filter(|r| r.contains('-'))
}

fn rds_endpoint(view: &State, target: &str, region: &str) -> Option<Found> {
    let names = view.rds_endpoints.get(region)?;
    (!names.contains(target)).then(|| {
        (
            "medium",
            format!(
                "no RDS instance or cluster of the account in {region} has that endpoint: the name resolves to nothing (a deleted or renamed database)"
            ),
            json!({"target": target, "region": region, "endpoints_read": names.len()}),
        )
    })
}

fn load_balancer(view: &State, target: &str, region: &str) -> Option<Found> {
    let names = view.load_balancers.get(region)?;
    (!names.contains(target)).then(|| {
        (
            "medium",
            format!(
                "no load balancer of the account in {region} has that DNS name: the name resolves to nothing (a deleted or replaced load balancer)"
            ),
            json!({"target": target, "region": region, "load_balancers_read": names.len()}),
        )
    })
}

fn cloudfront(
    distributions: &[&crate::model::Distribution],
    target: &str,
    name: &str,
    listed: bool,
) -> Option<Found> {
    let d = distributions
        .iter()
        .find(|d| d.domain_name.as_deref().map(canonical).as_deref() == Some(target));
    match d {
        None if listed => Some((
            "medium",
            "no distribution of the account has that domain name: CloudFront refuses every request, and the record names a distribution drift cannot see".into(),
            json!({"target": target, "distributions_read": distributions.len()}),
        )),
        None => None,
        Some(d) if !d.aliases.iter().any(|a| alias_covers(a, name)) => Some((
            "medium",
            format!(
                "distribution {} does not list {name} among its aliases: CloudFront refuses requests for it",
                d.id.as_deref().unwrap_or("(not created yet)")
            ),
            json!({"target": target, "distribution": d.id, "aliases": d.aliases}),
        )),
        Some(_) => None,
    }
}

fn website(view: &State, bucket: &str, listed: bool) -> Option<Found> {
    let own = view.items.iter().find_map(|i| match &i.body {
        Body::Known(Spec::Bucket(b)) if i.kind == Kind::S3Bucket && b.name == bucket => Some(b),
        _ => None,
    });
    match (own, view.buckets_elsewhere.get(bucket)) {
        (Some(b), _) if b.website == Some(false) && listed => Some((
            "medium",
            format!("bucket {bucket} has no website configuration: the endpoint answers 404"),
            json!({"bucket": bucket, "website": false}),
        )),
        (Some(_), _) => None,
        (None, Some(false)) => Some((
            "high",
            format!(
                "no bucket is named {bucket}: anyone can create it and serve content under this name (a subdomain takeover)"
            ),
            json!({"bucket": bucket, "exists": false}),
        )),
        (None, _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_recognised() {
        assert_eq!(
            website_bucket("s3-website.ap-northeast-2.amazonaws.com", "www.example.com"),
            Some("www.example.com".into())
        );
        assert_eq!(
            website_bucket("s3-website-us-east-1.amazonaws.com", "www.example.com"),
            Some("www.example.com".into())
        );
        assert_eq!(
            website_bucket("old.example.com.s3-website-us-east-1.amazonaws.com", "x"),
            Some("old.example.com".into())
        );
        assert_eq!(website_bucket("files.s3.amazonaws.com", "x"), None);
        assert!(alias_covers("*.example.com", "img.example.com"));
        assert!(!alias_covers("*.example.com", "a.img.example.com"));
        assert!(!alias_covers("*.example.com", "example.com"));
        assert_eq!(
            canonical("dualstack.Foo.ELB.amazonaws.com."),
            "foo.elb.amazonaws.com"
        );
        assert_eq!(
            elb_region("web-1234567890.ap-northeast-2.elb.amazonaws.com"),
            Some("ap-northeast-2")
        );
        assert_eq!(
            elb_region("net-0123456789abcdef.elb.eu-west-1.amazonaws.com"),
            Some("eu-west-1")
        );
        assert_eq!(elb_region("files.s3.amazonaws.com"), None);
        assert_eq!(
            rds_region("db.c9abcdefghij.eu-west-1.rds.amazonaws.com"),
            Some("eu-west-1")
        );
        assert_eq!(
            rds_region("aurora.cluster-ro-c9abcdefghij.eu-west-1.rds.amazonaws.com"),
            Some("eu-west-1")
        );
        // Endpoints drift does not list are not judged.
        assert_eq!(
            rds_region("reports.cluster-custom-c9abcdefghij.eu-west-1.rds.amazonaws.com"),
            None
        );
        assert_eq!(
            rds_region("app.proxy-c9abcdefghij.eu-west-1.rds.amazonaws.com"),
            None
        );
        assert_eq!(rds_region("web-1.eu-west-1.elb.amazonaws.com"), None);
    }
}
