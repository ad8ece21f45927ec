//! Route 53: the declared zones, found by name (public vs private respected), and every record
//! of each, following `NextRecordName`/`NextRecordType`/`NextRecordIdentifier` (the SDK has no
//! paginator for `ListResourceRecordSets`); for a zone the code signs with DNSSEC, its
//! key-signing keys (`GetDNSSEC`).

use super::{Session, aws_error};
use crate::error::Error;
use crate::live::snapshot::{
    AliasTargetJson, HostedZone, KeySigningKey, RecordSet, ResourceRecord, Route53Section,
};
use crate::model::dns::{canonical_name, in_account, zone_scope};
use aws_sdk_route53::error::ProvideErrorMetadata;
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet};

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
    r53: &aws_sdk_route53::Client,
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
    let mut next: Option<(String, aws_sdk_route53::types::RrType, Option<String>)> = None;
    loop {
        let mut req = r53.list_resource_record_sets().hosted_zone_id(zone_id);
        if let Some((name, ty, id)) = next.take() {
            req = req.start_record_name(name).start_record_type(ty);
            if let Some(id) = id {
                req = req.start_record_identifier(id);
            }
        }
        let _slot = s.call(account, "route53", "ListResourceRecordSets").await;
        pages += 1;
        if let Some(n) = expected
            && pages > n + 1
        {
            return Err(broken(format!(
                "zone {zone_id}: {pages} pages for {n} records; the answers are not moving forward"
            )));
        }
        let page = req
            .send()
            .await
            .map_err(|e| aws_error("route53", "ListResourceRecordSets", e))?;
        for r in page.resource_record_sets() {
            out.push(RecordSet {
                name: r.name().to_string(),
                rtype: r.r#type().as_str().to_string(),
                set_identifier: r.set_identifier().map(str::to_string),
                ttl: r.ttl(),
                resource_records: r
                    .resource_records()
                    .iter()
                    .map(|v| ResourceRecord {
                        value: v.value().to_string(),
                    })
                    .collect(),
                alias_target: r.alias_target().map(|a| AliasTargetJson {
                    hosted_zone_id: a.hosted_zone_id().to_string(),
                    dns_name: a.dns_name().to_string(),
                    evaluate_target_health: a.evaluate_target_health(),
                }),
                weight: r.weight(),
                failover: r.failover().map(|f| f.as_str().to_string()),
                region: r.region().map(|x| x.as_str().to_string()),
                multi_value_answer: r.multi_value_answer(),
                health_check_id: r.health_check_id().map(str::to_string),
            });
        }
        if !page.is_truncated() {
            break;
        }
        match (page.next_record_name(), page.next_record_type()) {
            (Some(n), Some(t)) => {
                let id = page.next_record_identifier().map(str::to_string);
                let marker = (n.to_string(), t.as_str().to_string(), id.clone());
                if last_marker.as_ref() == Some(&marker) {
                    return Err(broken(format!(
                        "zone {zone_id}: the next page starts where the last one did ({n} {}); paging makes no progress",
                        t.as_str()
                    )));
                }
                last_marker = Some(marker);
                next = Some((n.to_string(), t.clone(), id));
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

/// A hosted zone's name and privacy by id (`GetHostedZone`); `None` when there is none.
pub async fn zone_by_id(s: &Session, id: &str) -> Result<Option<(String, bool)>, Error> {
    let r53 = aws_sdk_route53::Client::new(&s.sdk);
    let _slot = s.call(None, "route53", "GetHostedZone").await;
    match r53.get_hosted_zone().id(id).send().await {
        Ok(out) => Ok(out.hosted_zone().map(|z| {
            (
                z.name().to_string(),
                z.config().is_some_and(|c| c.private_zone()),
            )
        })),
        Err(e) if e.as_service_error().and_then(|se| se.code()) == Some("NoSuchHostedZone") => {
            Ok(None)
        }
        Err(e) => Err(aws_error("route53", "GetHostedZone", e)),
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
    r53: &aws_sdk_route53::Client,
    zone_id: &str,
) -> Result<Vec<KeySigningKey>, Error> {
    let _slot = s.call(account, "route53", "GetDNSSEC").await;
    let out = r53
        .get_dnssec()
        .hosted_zone_id(crate::model::dns::canonical_zone_id(zone_id))
        .send()
        .await
        .map_err(|e| aws_error("route53", "GetDNSSEC", e))?;
    Ok(out
        .key_signing_keys()
        .iter()
        .map(|k| KeySigningKey {
            name: k.name().unwrap_or_default().to_string(),
            kms_arn: k.kms_arn().unwrap_or_default().to_string(),
            status: k.status().unwrap_or_default().to_string(),
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
    let r53 = aws_sdk_route53::Client::new(&sdk);
    let mut found = Vec::new();
    let mut pages = r53.list_hosted_zones().into_paginator().send();
    loop {
        // The paginator sends each request when asked for the page.
        let _slot = s.pace(account, "route53", "ListHostedZones").await;
        let Some(page) = pages.next().await else {
            break;
        };
        s.count();
        let page = page.map_err(|e| aws_error("route53", "ListHostedZones", e).at(&place))?;
        for z in page.hosted_zones() {
            let private = z.config().is_some_and(|c| c.private_zone());
            let name = canonical_name(z.name());
            if zones.contains(&(name, private)) {
                found.push((
                    z.id().to_string(),
                    z.name().to_string(),
                    private,
                    z.resource_record_set_count(),
                ));
            }
        }
    }
    let results: Vec<ZoneRead> = futures::stream::iter(found)
        .map(|(id, name, private, count)| {
            let r53 = r53.clone();
            let owner = &owner;
            async move {
                let at = format!("zone {name} ({id}), {owner}");
                let scope = in_account(&zone_scope(&canonical_name(&name), private), account);
                let recs = match records(s, account, &r53, &id, count).await {
                    Ok(recs) if dnssec.contains(&scope) => signing_keys(s, account, &r53, &id)
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
