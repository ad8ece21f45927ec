//! A CloudFront distribution (docs/semantics.md, "CloudFront distributions"): the names it
//! answers for, and each origin with how CloudFront reaches it. Identified by its first
//! alias (AWS's id is known only after create); compared on aliases, `enabled` and the
//! origins' domains and access, never on AWS's computed id or domain name.

use super::Change;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// How CloudFront signs its requests to an origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OriginAccess {
    /// Origin Access Control: SigV4-signed as `cloudfront.amazonaws.com`, which SSE-KMS needs.
    Oac,
    /// The legacy Origin Access Identity: cannot read objects encrypted with SSE-KMS.
    Oai,
    /// Unsigned (a public bucket, or a custom origin).
    None,
}

impl OriginAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            OriginAccess::Oac => "origin_access_control",
            OriginAccess::Oai => "origin_access_identity",
            OriginAccess::None => "none",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DistributionOrigin {
    pub id: String,
    /// As configured (`BUCKET.s3.REGION.amazonaws.com`), lower case, no trailing dot.
    pub domain_name: String,
    pub access: OriginAccess,
}

impl DistributionOrigin {
    /// The bucket of an S3 REST origin (`BUCKET.s3.amazonaws.com`,
    /// `BUCKET.s3.REGION.amazonaws.com`, `BUCKET.s3-REGION.amazonaws.com`); a website
    /// endpoint is a custom origin, not read through S3's API.
    pub fn bucket(&self) -> Option<&str> {
        s3_rest_bucket(&self.domain_name)
    }
}

/// The bucket an S3 REST endpoint names.
pub fn s3_rest_bucket(domain: &str) -> Option<&str> {
    let d = domain.trim_end_matches('.');
    let (bucket, rest) = d.split_once(".s3")?;
    let rest = rest.strip_suffix(".amazonaws.com")?;
    let region_part = rest
        .strip_prefix('.')
        .or_else(|| rest.strip_prefix('-'))
        .unwrap_or(rest);
    if region_part.starts_with("website") || bucket.is_empty() {
        return None;
    }
    Some(bucket)
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Distribution {
    /// AWS's id (`E11S2DJHTYZKER`): `None` in code until the distribution exists.
    pub id: Option<String>,
    /// `d111111abcdef8.cloudfront.net`: `None` in code until it exists.
    pub domain_name: Option<String>,
    /// Lower case, no trailing dot.
    pub aliases: BTreeSet<String>,
    pub enabled: Option<bool>,
    /// Sorted by origin id.
    pub origins: Vec<DistributionOrigin>,
}

impl Distribution {
    /// The natural id: its first alias, else `distribution/ID`.
    pub fn natural_id(&self) -> Option<String> {
        self.aliases
            .iter()
            .next()
            .cloned()
            .or_else(|| self.id.as_ref().map(|i| format!("distribution/{i}")))
    }

    /// `arn:PARTITION:cloudfront::ACCOUNT:distribution/ID` (CloudFront is global: no region).
    pub fn arn(&self, partition: &str, account: &str) -> Option<String> {
        self.id
            .as_ref()
            .map(|id| format!("arn:{partition}:cloudfront::{account}:distribution/{id}"))
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "aliases": self.aliases,
            "origins": self.origins.iter().map(|o| json!({
                "origin_id": o.id,
                "domain_name": o.domain_name,
                "access": o.access.as_str(),
            })).collect::<Vec<_>>(),
        });
        if let Some(e) = self.enabled {
            v["enabled"] = json!(e);
        }
        if let Some(id) = &self.id {
            v["id"] = json!(id);
        }
        if let Some(d) = &self.domain_name {
            v["domain_name"] = json!(d);
        }
        v
    }

    /// Values the code leaves to AWS (id, domain name), taken from what runs.
    pub fn fill_from(&mut self, live: &Distribution) {
        if self.id.is_none() {
            self.id = live.id.clone();
        }
        if self.domain_name.is_none() {
            self.domain_name = live.domain_name.clone();
        }
        if self.enabled.is_none() {
            self.enabled = live.enabled;
        }
    }

    pub fn changes(&self, live: &Distribution) -> Vec<Change> {
        let mut out = Vec::new();
        for a in self.aliases.difference(&live.aliases) {
            out.push(Change::remove(format!("aliases[{a}]"), json!(a)));
        }
        for a in live.aliases.difference(&self.aliases) {
            out.push(Change::add(format!("aliases[{a}]"), json!(a)));
        }
        if let (Some(d), Some(l)) = (self.enabled, live.enabled)
            && d != l
        {
            out.push(Change::changed("enabled", json!(d), json!(l)));
        }
        let find =
            |list: &[DistributionOrigin], id: &str| list.iter().find(|o| o.id == id).cloned();
        for d in &self.origins {
            match find(&live.origins, &d.id) {
                None => out.push(Change::remove(
                    format!("origin[{}]", d.id),
                    json!(d.domain_name),
                )),
                Some(l) => {
                    let same_domain = d.domain_name == l.domain_name
                        || (d.bucket().is_some() && d.bucket() == l.bucket());
                    if !same_domain {
                        out.push(Change::changed(
                            format!("origin[{}].domain_name", d.id),
                            json!(d.domain_name),
                            json!(l.domain_name),
                        ));
                    }
                    if d.access != l.access {
                        out.push(Change::changed(
                            format!("origin[{}].access", d.id),
                            json!(d.access.as_str()),
                            json!(l.access.as_str()),
                        ));
                    }
                }
            }
        }
        for l in &live.origins {
            if find(&self.origins, &l.id).is_none() {
                out.push(Change::add(
                    format!("origin[{}]", l.id),
                    json!(l.domain_name),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(domain: &str, access: OriginAccess) -> DistributionOrigin {
        DistributionOrigin {
            id: "files".into(),
            domain_name: domain.into(),
            access,
        }
    }

    #[test]
    fn s3_rest_endpoints_name_their_bucket_and_website_endpoints_do_not() {
        assert_eq!(s3_rest_bucket("files.s3.amazonaws.com"), Some("files"));
        assert_eq!(
            s3_rest_bucket("my.files.s3.ap-northeast-2.amazonaws.com."),
            Some("my.files")
        );
        assert_eq!(
            s3_rest_bucket("files.s3-eu-west-1.amazonaws.com"),
            Some("files")
        );
        assert_eq!(
            s3_rest_bucket("files.s3-website-eu-west-1.amazonaws.com"),
            None
        );
        assert_eq!(
            s3_rest_bucket("files.s3-website.eu-west-1.amazonaws.com"),
            None
        );
        assert_eq!(s3_rest_bucket("api.example.com"), None);
    }

    #[test]
    fn one_bucket_through_two_endpoints_is_no_change_but_another_access_is() {
        let code = Distribution {
            aliases: ["cdn.example.com".to_string()].into(),
            origins: vec![origin(
                "files.s3.eu-west-1.amazonaws.com",
                OriginAccess::Oac,
            )],
            ..Distribution::default()
        };
        let mut live = code.clone();
        live.id = Some("E1".into());
        live.origins = vec![origin("files.s3.amazonaws.com", OriginAccess::Oac)];
        assert!(code.changes(&live).is_empty());
        live.origins[0].access = OriginAccess::Oai;
        live.aliases.insert("img.example.com".into());
        let paths: Vec<String> = code.changes(&live).into_iter().map(|c| c.path).collect();
        assert_eq!(
            paths,
            vec!["aliases[img.example.com]", "origin[files].access"]
        );
    }
}
