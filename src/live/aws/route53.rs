//! Route 53: the declared zones, found by name (public vs private respected), and every record
//! of each, following `NextRecordName`/`NextRecordType`/`NextRecordIdentifier`; for a zone the
//! code signs with DNSSEC, its key-signing keys (`GetDNSSEC`). Read without an SDK crate
//! (`rest`: REST GETs answered in XML), signed for `us-east-1` as Route 53 is global.

use super::Session;
use super::rest::{self, Api};
use super::xml::Node;
use crate::error::Error;
use crate::live::snapshot::{
    AliasTargetJson, HostedZone, KeySigningKey, RecordSet, ResourceRecord, Route53Section,
};
use crate::model::dns::{canonical_name, in_account, zone_scope};
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet};

const API: Api = Api {
    service: "route53",
    signing_name: "route53",
    global_region: Some("us-east-1"),
    env_name: "ROUTE_53",
    default_endpoint: "https://route53.amazonaws.com",
};

/// A zone id as the API's paths take it (`Z123`, from `/hostedzone/Z123`).
fn bare(id: &str) -> String {
    rest::encode(id.trim_start_matches("/hostedzone/"))
}

/// An answer's XML, or an error naming the operation.
fn parse(text: &str, operation: &'static str) -> Result<Node, Error> {
    super::xml::parse(text).map_err(|message| Error::Aws {
        service: "route53",
        operation,
        message,
    })
}

/// One zone's id, name, privacy, records and key-signing keys (read for the zones the code
/// signs), or why they could not be read.
type ZoneRead = (
    String,
    String,
    bool,
    Result<(Vec<RecordSet>, Option<Vec<KeySigningKey>>), Error>,
);

/// A zone that could not be read, with its scope.
pub struct ZoneError {
    pub scope: String,
    pub error: Error,
}

/// Every record of a zone. What AWS guarantees is checked, so a broken answer is an error,
/// never drift: a truncated page names where the next starts, paging moves forward, and the
/// records read are as many as `ListHostedZones` counted (`expected`).
async fn records(
    s: &Session,
    account: Option<&str>,
    sdk: &aws_config::SdkConfig,
    zone_id: &str,
    expected: Option<i64>,
) -> Result<Vec<RecordSet>, Error> {
    let broken = |message: String| Error::Aws {
        service: "route53",
        operation: "ListResourceRecordSets",
        message,
    };
    let mut out = Vec::new();
    let mut pages = 0i64;
    let mut last_marker: Option<(String, String, Option<String>)> = None;
    let mut next: Option<(String, String, Option<String>)> = None;
    loop {
        let mut path = format!(
            "/2013-04-01/hostedzone/{}/rrset?maxitems=300",
            bare(zone_id)
        );
        if let Some((name, ty, id)) = next.take() {
            path.push_str(&format!(
                "&name={}&type={}",
                rest::encode(&name),
                rest::encode(&ty)
            ));
            if let Some(id) = id {
                path.push_str(&format!("&identifier={}", rest::encode(&id)));
            }
        }
        pages += 1;
        if let Some(n) = expected
            && pages > n + 1
        {
            return Err(broken(format!(
                "zone {zone_id}: {pages} pages for {n} records; the answers are not moving forward"
            )));
        }
        let text = {
            let _slot = s.call(account, "route53", "ListResourceRecordSets").await;
            rest::get(s, sdk, &API, "ListResourceRecordSets", &path).await?
        };
        let page = parse(&text, "ListResourceRecordSets")?;
        let sets = page.child("ResourceRecordSets");
        for r in sets.iter().flat_map(|l| l.all("ResourceRecordSet")) {
            out.push(record_set(r).map_err(&broken)?);
        }
        if page.text_at("IsTruncated").as_deref() != Some("true") {
            break;
        }
        match (
            page.text_at("NextRecordName"),
            page.text_at("NextRecordType"),
        ) {
            (Some(n), Some(t)) if !n.is_empty() && !t.is_empty() => {
                let id = page.text_at("NextRecordIdentifier");
                let marker = (n.clone(), t.clone(), id.clone());
                if last_marker.as_ref() == Some(&marker) {
                    return Err(broken(format!(
                        "zone {zone_id}: the next page starts where the last one did ({n} {t}); paging makes no progress"
                    )));
                }
                last_marker = Some(marker);
                next = Some((n, t, id));
            }
            _ => {
                return Err(broken(format!(
                    "zone {zone_id}: a page says it is truncated but not where the next one starts"
                )));
            }
        }
    }
    if let Some(n) = expected
        && n != out.len() as i64
    {
        return Err(broken(format!(
            "zone {zone_id}: {} records read, but ListHostedZones counts {n}; the answer is incomplete",
            out.len()
        )));
    }
    Ok(out)
}

/// One `ResourceRecordSet` of an answer; one without a name or type is a broken answer.
fn record_set(r: &Node) -> Result<RecordSet, String> {
    let name = r.text_at("Name").filter(|n| !n.is_empty());
    let rtype = r.text_at("Type").filter(|t| !t.is_empty());
    let (Some(name), Some(rtype)) = (name, rtype) else {
        return Err("a record set in the answer has no name or type".into());
    };
    let number = |path: &str| -> Result<Option<i64>, String> {
        r.text_at(path)
            .map(|t| {
                t.parse()
                    .map_err(|_| format!("record {name}: `{path}` is not a number: {t}"))
            })
            .transpose()
    };
    Ok(RecordSet {
        set_identifier: r.text_at("SetIdentifier"),
        ttl: number("TTL")?,
        resource_records: r
            .child("ResourceRecords")
            .iter()
            .flat_map(|l| l.all("ResourceRecord"))
            .map(|v| ResourceRecord {
                value: v.text_at("Value").unwrap_or_default(),
            })
            .collect(),
        alias_target: r.child("AliasTarget").map(|a| AliasTargetJson {
            hosted_zone_id: a.text_at("HostedZoneId").unwrap_or_default(),
            dns_name: a.text_at("DNSName").unwrap_or_default(),
            evaluate_target_health: a.text_at("EvaluateTargetHealth").as_deref() == Some("true"),
        }),
        weight: number("Weight")?,
        failover: r.text_at("Failover"),
        region: r.text_at("Region"),
        multi_value_answer: r.text_at("MultiValueAnswer").map(|m| m == "true"),
        health_check_id: r.text_at("HealthCheckId"),
        name,
        rtype,
    })
}

/// A hosted zone's name and privacy by id (`GetHostedZone`); `None` when there is none.
pub async fn zone_by_id(s: &Session, id: &str) -> Result<Option<(String, bool)>, Error> {
    let path = format!("/2013-04-01/hostedzone/{}", bare(id));
    let answer = {
        let _slot = s.call(None, "route53", "GetHostedZone").await;
        rest::answer(s, &s.sdk, &API, "GetHostedZone", &path).await?
    };
    match answer {
        Ok(text) => {
            let root = parse(&text, "GetHostedZone")?;
            Ok(root.child("HostedZone").map(|z| {
                (
                    z.text_at("Name").unwrap_or_default(),
                    z.text_at("Config/PrivateZone").as_deref() == Some("true"),
                )
            }))
        }
        Err(r) if r.code == "NoSuchHostedZone" => Ok(None),
        Err(r) => Err(r.into_error("route53", "GetHostedZone")),
    }
}

/// Reads the zones in scope, every account at once (each through its role, paced by its own
/// bucket). A failure to list the zones of the caller's account fails the family; of another
/// account, that account's zones; a failure to read one zone fails that zone only.
pub async fn read(
    s: &Session,
    zones: &BTreeSet<(Option<String>, String, bool)>,
    roles: &BTreeMap<String, String>,
    dnssec: &BTreeSet<String>,
) -> Result<(Route53Section, Vec<ZoneError>), Error> {
    let mut by_account: BTreeMap<Option<String>, BTreeSet<(String, bool)>> = BTreeMap::new();
    for (account, name, private) in zones {
        by_account
            .entry(account.clone())
            .or_default()
            .insert((name.clone(), *private));
    }
    let reads = by_account.into_iter().map(|(account, wanted)| async move {
        let read = read_account(s, account.as_deref(), roles, &wanted, dnssec).await;
        (account, wanted, read)
    });
    let mut section = Route53Section { zones: Vec::new() };
    let mut errors = Vec::new();
    for (account, wanted, read) in futures::future::join_all(reads).await {
        match read {
            Ok((zones, zone_errors)) => {
                section.zones.extend(zones);
                errors.extend(zone_errors);
            }
            Err(e) if account.is_none() => return Err(e),
            Err(e) => {
                let message = e.render();
                for (name, private) in wanted {
                    errors.push(ZoneError {
                        scope: in_account(&zone_scope(&name, private), account.as_deref()),
                        error: Error::Aws {
                            service: "route53",
                            operation: "ListHostedZones",
                            message: message.trim_start_matches("error: ").to_string(),
                        },
                    });
                }
            }
        }
    }
    section
        .zones
        .sort_by(|a, b| (&a.account, &a.name, &a.id).cmp(&(&b.account, &b.name, &b.id)));
    Ok((section, errors))
}

/// A zone's key-signing keys (`GetDNSSEC`).
async fn signing_keys(
    s: &Session,
    account: Option<&str>,
    sdk: &aws_config::SdkConfig,
    zone_id: &str,
) -> Result<Vec<KeySigningKey>, Error> {
    let path = format!("/2013-04-01/hostedzone/{}/dnssec", bare(zone_id));
    let text = {
        let _slot = s.call(account, "route53", "GetDNSSEC").await;
        rest::get(s, sdk, &API, "GetDNSSEC", &path).await?
    };
    let root = parse(&text, "GetDNSSEC")?;
    Ok(root
        .child("KeySigningKeys")
        .iter()
        .flat_map(|l| l.all("member"))
        .map(|k| KeySigningKey {
            name: k.text_at("Name").unwrap_or_default(),
            kms_arn: k.text_at("KmsArn").unwrap_or_default(),
            status: k.text_at("Status").unwrap_or_default(),
        })
        .collect())
}

/// The zones of one account (`None`: the caller's).
async fn read_account(
    s: &Session,
    account: Option<&str>,
    roles: &BTreeMap<String, String>,
    zones: &BTreeSet<(String, bool)>,
    dnssec: &BTreeSet<String>,
) -> Result<(Vec<HostedZone>, Vec<ZoneError>), Error> {
    let role = match account {
        Some(a) => Some(roles.get(a).cloned().ok_or_else(|| Error::Aws {
            service: "route53",
            operation: "AssumeRole",
            message: format!("no role to assume for account {a}"),
        })?),
        None => None,
    };
    let sdk = s.in_place(role.as_deref(), None).await;
    let owner = match (account, &role) {
        (Some(a), Some(r)) => format!("account {a} through role {r}"),
        _ => "the caller's account".to_string(),
    };
    let place = format!("global service, {owner}");
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut path = "/2013-04-01/hostedzone?maxitems=100".to_string();
        if let Some(m) = &marker {
            path.push_str(&format!("&marker={}", rest::encode(m)));
        }
        let text = {
            let _slot = s.call(account, "route53", "ListHostedZones").await;
            rest::get(s, &sdk, &API, "ListHostedZones", &path)
                .await
                .map_err(|e| e.at(&place))?
        };
        let page = parse(&text, "ListHostedZones").map_err(|e| e.at(&place))?;
        for z in page
            .child("HostedZones")
            .iter()
            .flat_map(|l| l.all("HostedZone"))
        {
            let private = z.text_at("Config/PrivateZone").as_deref() == Some("true");
            let raw = z.text_at("Name").unwrap_or_default();
            let name = canonical_name(&raw);
            if zones.contains(&(name, private)) {
                found.push((
                    z.text_at("Id").unwrap_or_default(),
                    raw,
                    private,
                    z.text_at("ResourceRecordSetCount")
                        .and_then(|c| c.parse().ok()),
                ));
            }
        }
        let next = page.text_at("NextMarker").filter(|m| !m.is_empty());
        match next {
            Some(n)
                if page.text_at("IsTruncated").as_deref() == Some("true")
                    && marker.as_deref() != Some(n.as_str()) =>
            {
                marker = Some(n)
            }
            _ => break,
        }
    }
    let results: Vec<ZoneRead> = futures::stream::iter(found)
        .map(|(id, name, private, count)| {
            let sdk = &sdk;
            let owner = &owner;
            async move {
                let at = format!("zone {name} ({id}), {owner}");
                let scope = in_account(&zone_scope(&canonical_name(&name), private), account);
                let recs = match records(s, account, sdk, &id, count).await {
                    Ok(recs) if dnssec.contains(&scope) => signing_keys(s, account, sdk, &id)
                        .await
                        .map(|k| (recs, Some(k))),
                    Ok(recs) => Ok((recs, None)),
                    Err(e) => Err(e),
                }
                .map_err(|e| e.at(&at));
                (id, name, private, recs)
            }
        })
        .buffer_unordered(s.concurrency)
        .collect()
        .await;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (id, name, private, recs) in results {
        match recs {
            Ok((records, key_signing_keys)) => out.push(HostedZone {
                id,
                name,
                private_zone: private,
                account: account.map(str::to_string),
                records,
                key_signing_keys,
            }),
            Err(error) => errors.push(ZoneError {
                scope: in_account(&zone_scope(&canonical_name(&name), private), account),
                error,
            }),
        }
    }
    Ok((out, errors))
}
