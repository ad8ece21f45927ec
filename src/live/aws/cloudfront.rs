//! CloudFront: every distribution of the caller's account (`ListDistributions`, 100 a page),
//! with its aliases and origins — each origin's domain, Origin Access Control and Origin
//! Access Identity. CloudFront is global: one listing per account, signed for `us-east-1`.
//! Read without an SDK crate (`rest`): a REST-XML GET. A summary without its origins (an
//! API emulator's short form; AWS always lists them) is completed by `GetDistribution`.

use super::Session;
use super::rest::{self, Api};
use super::xml::Node;
use crate::error::Error;
use crate::live::snapshot::{CfDistribution, CfOrigin, CfS3OriginConfig, CloudfrontSection};

const API: Api = Api {
    service: "cloudfront",
    signing_name: "cloudfront",
    global_region: Some("us-east-1"),
    env_name: "CLOUDFRONT",
    default_endpoint: "https://cloudfront.amazonaws.com",
};

/// At most this many pages (100 distributions each): a listing that never ends is an error.
const MAX_PAGES: usize = 1000;

pub async fn read(s: &Session) -> Result<CloudfrontSection, Error> {
    let mut distributions = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut path = "/2020-05-31/distribution?MaxItems=100".to_string();
        if let Some(m) = &marker {
            path.push_str("&Marker=");
            path.push_str(&rest::encode(m));
        }
        let text = {
            let _slot = s.call(None, "cloudfront", "ListDistributions").await;
            rest::get(s, &s.sdk, &API, "ListDistributions", &path).await?
        };
        let root = super::xml::parse(&text).map_err(|m| Error::Aws {
            service: "cloudfront",
            operation: "ListDistributions",
            message: m,
        })?;
        if let Some(items) = root.child("Items") {
            for d in items.all("DistributionSummary") {
                if d.child("Origins").is_some() {
                    distributions.push(summary(d)?);
                    continue;
                }
                let id = d.text_at("Id").unwrap_or_default();
                let text = {
                    let _slot = s.call(None, "cloudfront", "GetDistribution").await;
                    let path = format!("/2020-05-31/distribution/{}", rest::encode(&id));
                    rest::get(s, &s.sdk, &API, "GetDistribution", &path).await?
                };
                let full = super::xml::parse(&text).map_err(|m| Error::Aws {
                    service: "cloudfront",
                    operation: "GetDistribution",
                    message: m,
                })?;
                // The configuration's parts, where a summary has them.
                let mut merged = full.clone();
                if let Some(config) = full.child("DistributionConfig") {
                    merged.children.extend(config.children.iter().cloned());
                }
                distributions.push(summary(&merged)?);
            }
        }
        let truncated = root.text_at("IsTruncated").as_deref() == Some("true");
        match root.text_at("NextMarker").filter(|m| !m.is_empty()) {
            Some(next) if truncated && marker.as_deref() != Some(next.as_str()) => {
                marker = Some(next)
            }
            _ => {
                distributions.sort_by(|a, b| a.id.cmp(&b.id));
                return Ok(CloudfrontSection { distributions });
            }
        }
    }
    Err(Error::Aws {
        service: "cloudfront",
        operation: "ListDistributions",
        message: format!("the listing did not end after {MAX_PAGES} pages"),
    })
}

fn summary(d: &Node) -> Result<CfDistribution, Error> {
    let need = |path: &str| {
        d.text_at(path).ok_or_else(|| Error::Aws {
            service: "cloudfront",
            operation: "ListDistributions",
            message: format!("a distribution in the answer has no `{path}`"),
        })
    };
    let id = need("Id")?;
    let origins = d
        .at("Origins/Items")
        .map(|items| {
            items
                .all("Origin")
                .map(|o| CfOrigin {
                    id: o.text_at("Id").unwrap_or_default(),
                    domain_name: o.text_at("DomainName").unwrap_or_default(),
                    origin_access_control_id: o
                        .text_at("OriginAccessControlId")
                        .filter(|x| !x.is_empty()),
                    s3_origin_config: o.child("S3OriginConfig").map(|c| CfS3OriginConfig {
                        origin_access_identity: c
                            .text_at("OriginAccessIdentity")
                            .unwrap_or_default(),
                    }),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(CfDistribution {
        arn: d.text_at("ARN").unwrap_or_default(),
        domain_name: need("DomainName")?,
        enabled: d.text_at("Enabled").as_deref() == Some("true"),
        aliases: d
            .at("Aliases/Items")
            .map(|i| i.all("CNAME").map(|c| c.text.trim().to_string()).collect())
            .unwrap_or_default(),
        origins,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_in_the_api_reference_shape_is_read() {
        let doc = r#"<DistributionList><IsTruncated>false</IsTruncated><Items>
<DistributionSummary><Id>E11S2DJHTYZKER</Id><ARN>arn:aws:cloudfront::290008131187:distribution/E11S2DJHTYZKER</ARN>
<DomainName>d1a2b3c4d5e6f7.cloudfront.net</DomainName><Enabled>true</Enabled>
<Aliases><Quantity>1</Quantity><Items><CNAME>cdn.wealist.co.kr</CNAME></Items></Aliases>
<Origins><Quantity>2</Quantity><Items>
<Origin><Id>files</Id><DomainName>files.s3.ap-northeast-2.amazonaws.com</DomainName>
<S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig>
<OriginAccessControlId>E2QWRUHAPOMQZL</OriginAccessControlId></Origin>
<Origin><Id>old</Id><DomainName>old.s3.amazonaws.com</DomainName>
<S3OriginConfig><OriginAccessIdentity>origin-access-identity/cloudfront/E1OAI</OriginAccessIdentity></S3OriginConfig></Origin>
</Items></Origins></DistributionSummary></Items></DistributionList>"#;
        let root = crate::live::aws::xml::parse(doc).expect("xml");
        let d = summary(root.at("Items/DistributionSummary").expect("one")).expect("read");
        assert_eq!(d.aliases, vec!["cdn.wealist.co.kr"]);
        let m = d.to_model();
        let access: Vec<&str> = m.origins.iter().map(|o| o.access.as_str()).collect();
        assert_eq!(
            access,
            vec!["origin_access_control", "origin_access_identity"]
        );
        assert_eq!(rest::encode("a b/c"), "a%20b%2Fc");
    }
}
