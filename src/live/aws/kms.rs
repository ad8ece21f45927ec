//! KMS: the keys behind the declared aliases and the keys the code names by id, with their
//! state, aliases and `default` key policy. AWS-managed `alias/aws/*` are skipped.

use super::{Session, aws_error};
use crate::error::Error;
use crate::live::snapshot::{KmsKey, KmsSection};
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet};

/// The keys `keys` names (natural references: `alias/x` or `key/KEY_ID`, with `@REGION`, or
/// `@ACCOUNT/REGION` in another account, read through the role in `roles`), read in each
/// place they name.
pub async fn read(
    s: &Session,
    keys: &BTreeSet<String>,
    roles: &BTreeMap<String, String>,
) -> Result<KmsSection, Error> {
    let mut by_place: BTreeMap<(Option<String>, Option<String>), BTreeSet<String>> =
        BTreeMap::new();
    for a in keys {
        let (name, place) = crate::model::split_placed(a);
        let mut region = place.region.map(str::to_string);
        if place.account.is_some() && region.is_none() {
            region = s.region();
        }
        by_place
            .entry((place.account.map(str::to_string), region))
            .or_default()
            .insert(name.to_string());
    }
    // Every place at once: each account's requests wait only on its own buckets.
    let reads = by_place
        .into_iter()
        .map(|((account, region), names)| async move {
            let role = match &account {
                Some(a) => Some(roles.get(a).cloned().ok_or_else(|| Error::Aws {
                    service: "kms",
                    operation: "AssumeRole",
                    message: format!("no role to assume for account {a}"),
                })?),
                None => None,
            };
            let sdk = s.in_place(role.as_deref(), region.as_deref()).await;
            let place = s.place(account.as_deref(), region.as_deref(), role.as_deref());
            let mut found = read_region(s, account.as_deref(), &sdk, &names)
                .await
                .map_err(|e| e.at(&place))?;
            for k in &mut found {
                k.region = region.clone();
                k.account = account.clone();
            }
            Ok::<_, Error>(found)
        });
    let mut keys = Vec::new();
    for found in futures::future::join_all(reads).await {
        keys.extend(found?);
    }
    Ok(KmsSection { keys })
}

async fn read_region(
    s: &Session,
    account: Option<&str>,
    sdk: &aws_config::SdkConfig,
    names: &BTreeSet<String>,
) -> Result<Vec<KmsKey>, Error> {
    let aliases: BTreeSet<&str> = names
        .iter()
        .filter(|n| n.starts_with("alias/"))
        .map(String::as_str)
        .collect();
    let key_ids: BTreeSet<&str> = names
        .iter()
        .filter_map(|n| n.strip_prefix("key/"))
        .collect();
    let kms = aws_sdk_kms::Client::new(sdk);
    // alias → key id, for every alias (to list all aliases of a key in scope).
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // 100 a page, the most KMS allows (its default is 50).
    let mut pages = kms.list_aliases().limit(100).into_paginator().send();
    loop {
        // The paginator sends each request when asked for the page.
        let _slot = s.pace(account, "kms", "ListAliases").await;
        let Some(page) = pages.next().await else {
            break;
        };
        s.count();
        let page = page.map_err(|e| aws_error("kms", "ListAliases", e))?;
        // KMS always sends the `Aliases` list, empty or not. An answer without it (an empty
        // body reads the same) is broken: taken as "no aliases", every key would be missing.
        if page.aliases.is_none() {
            return Err(Error::Aws {
                service: "kms",
                operation: "ListAliases",
                message: "the answer has no Aliases list".into(),
            });
        }
        for a in page.aliases() {
            let Some(name) = a.alias_name() else {
                return Err(Error::Aws {
                    service: "kms",
                    operation: "ListAliases",
                    message: "an alias in the answer has no name".into(),
                });
            };
            if name.starts_with("alias/aws/") {
                continue;
            }
            let Some(key) = a.target_key_id() else {
                // A customer alias always names its key: an answer without it is broken.
                return Err(Error::Aws {
                    service: "kms",
                    operation: "ListAliases",
                    message: format!("alias {name} has no target key in the answer"),
                });
            };
            by_key
                .entry(key.to_string())
                .or_default()
                .push(name.to_string());
        }
    }
    // Keys named by id that no alias names are described all the same: a key without an
    // alias, or one the code names by id (not found: the key is missing, not an error).
    for id in &key_ids {
        by_key.entry(id.to_string()).or_default();
    }
    let wanted: Vec<(String, Vec<String>)> = by_key
        .into_iter()
        .filter(|(id, names)| {
            key_ids.contains(id.as_str()) || names.iter().any(|n| aliases.contains(n.as_str()))
        })
        .collect();
    let results: Vec<Result<Option<KmsKey>, Error>> = futures::stream::iter(wanted)
        .map(|(key_id, names)| {
            let kms = kms.clone();
            async move {
                let slot = s.call(account, "kms", "DescribeKey").await;
                let meta = match kms.describe_key().key_id(&key_id).send().await {
                    Ok(m) => m,
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|x| x.is_not_found_exception()) =>
                    {
                        return Ok(None);
                    }
                    Err(e) => return Err(aws_error("kms", "DescribeKey", e)),
                };
                // One slot at a time: a task holding one while waiting for another could
                // leave every slot held and none free.
                drop(slot);
                let meta = meta.key_metadata();
                let _slot = s.call(account, "kms", "GetKeyPolicy").await;
                let policy = kms
                    .get_key_policy()
                    .key_id(&key_id)
                    .policy_name("default")
                    .send()
                    .await
                    .map_err(|e| aws_error("kms", "GetKeyPolicy", e))?;
                // AWS always has a key policy: an empty or null one is a broken answer.
                let text = policy.policy().unwrap_or("");
                let parsed: serde_json::Value =
                    serde_json::from_str(text).map_err(|e| Error::Aws {
                        service: "kms",
                        operation: "GetKeyPolicy",
                        message: format!("the policy of {key_id} is not a JSON document: {e}"),
                    })?;
                if parsed.as_object().is_none_or(|o| o.is_empty()) {
                    return Err(Error::Aws {
                        service: "kms",
                        operation: "GetKeyPolicy",
                        message: format!("the policy of {key_id} is empty or not an object"),
                    });
                }
                let mut names = names;
                names.sort();
                Ok(Some(KmsKey {
                    key_id: meta
                        .map(|m| m.key_id().to_string())
                        .unwrap_or(key_id.clone()),
                    arn: meta.and_then(|m| m.arn()).unwrap_or_default().to_string(),
                    key_state: meta
                        .and_then(|m| m.key_state())
                        .map(|k| k.as_str().to_string())
                        .unwrap_or_default(),
                    aliases: names,
                    policy: parsed,
                    region: None,
                    account: None,
                    key_spec: meta
                        .and_then(|m| m.key_spec())
                        .map(|k| k.as_str().to_string()),
                    key_usage: meta
                        .and_then(|m| m.key_usage())
                        .map(|k| k.as_str().to_string()),
                    deletion_date: meta
                        .and_then(|m| m.deletion_date())
                        .and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
                }))
            }
        })
        .buffer_unordered(s.concurrency)
        .collect()
        .await;
    let mut keys: Vec<KmsKey> = results
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    keys.sort_by(|a, b| a.key_id.cmp(&b.key_id));
    Ok(keys)
}
