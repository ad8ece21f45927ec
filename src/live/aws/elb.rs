//! Elastic Load Balancing: every load balancer of the caller's account in drift's region —
//! application and network (`DescribeLoadBalancers`, API 2015-12-01) and classic (the same
//! action, API 2012-06-01) — by DNS name, as targets that Route 53 records point at (the
//! `dangling_dns` rule). Not compared with code. Read without an SDK crate (`rest`): the Query
//! API's GET, answered in XML.

use super::Session;
use super::rest::{self, Api};
use crate::error::Error;
use crate::live::snapshot::{ElbSection, LoadBalancer};

const API: Api = Api {
    service: "elasticloadbalancing",
    signing_name: "elasticloadbalancing",
    global_region: None,
    env_name: "ELASTIC_LOAD_BALANCING_V2",
    default_endpoint: "https://elasticloadbalancing.{region}.amazonaws.com",
};

/// At most this many pages (400 load balancers each).
const MAX_PAGES: usize = 1000;

pub async fn read(s: &Session) -> Result<ElbSection, Error> {
    let mut load_balancers = Vec::new();
    // (API version, the result's list element, page size)
    for (version, list, size, kind) in [
        ("2015-12-01", "LoadBalancers", 400, None),
        (
            "2012-06-01",
            "LoadBalancerDescriptions",
            400,
            Some("classic"),
        ),
    ] {
        let mut marker: Option<String> = None;
        let mut pages = 0;
        loop {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(Error::Aws {
                    service: "elasticloadbalancing",
                    operation: "DescribeLoadBalancers",
                    message: format!("the listing did not end after {MAX_PAGES} pages"),
                });
            }
            let mut path =
                format!("/?Action=DescribeLoadBalancers&Version={version}&PageSize={size}");
            if let Some(m) = &marker {
                path.push_str("&Marker=");
                path.push_str(&rest::encode(m));
            }
            let text = {
                let _slot = s
                    .call(None, "elasticloadbalancing", "DescribeLoadBalancers")
                    .await;
                rest::get(s, &s.sdk, &API, "DescribeLoadBalancers", &path).await?
            };
            let root = super::xml::parse(&text).map_err(|m| Error::Aws {
                service: "elasticloadbalancing",
                operation: "DescribeLoadBalancers",
                message: m,
            })?;
            let result = root.child("DescribeLoadBalancersResult");
            if let Some(members) = result.and_then(|r| r.child(list)) {
                for m in members.all("member") {
                    load_balancers.push(LoadBalancer {
                        name: m.text_at("LoadBalancerName").unwrap_or_default(),
                        dns_name: m.text_at("DNSName").unwrap_or_default(),
                        kind: kind
                            .map(str::to_string)
                            .or_else(|| m.text_at("Type"))
                            .unwrap_or_default(),
                    });
                }
            }
            let next = result
                .and_then(|r| r.text_at("NextMarker"))
                .filter(|m| !m.is_empty());
            match next {
                Some(n) if marker.as_deref() != Some(n.as_str()) => marker = Some(n),
                _ => break,
            }
        }
    }
    load_balancers.sort_by(|a, b| a.dns_name.cmp(&b.dns_name));
    Ok(ElbSection {
        region: s.region().unwrap_or_default(),
        load_balancers,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_answers_read_as_trees() {
        let v2 = r#"<DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
<DescribeLoadBalancersResult><LoadBalancers><member><LoadBalancerName>web</LoadBalancerName>
<DNSName>web-1234567890.ap-northeast-2.elb.amazonaws.com</DNSName><Type>application</Type></member></LoadBalancers>
<NextMarker>abc</NextMarker></DescribeLoadBalancersResult></DescribeLoadBalancersResponse>"#;
        let root = crate::live::aws::xml::parse(v2).expect("xml");
        let r = root.child("DescribeLoadBalancersResult").expect("result");
        let m = r.at("LoadBalancers/member").expect("member");
        assert_eq!(
            m.text_at("DNSName").as_deref(),
            Some("web-1234567890.ap-northeast-2.elb.amazonaws.com")
        );
        assert_eq!(r.text_at("NextMarker").as_deref(), Some("abc"));
    }
}
