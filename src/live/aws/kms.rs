//! KMS: the keys behind the declared aliases and the keys the code names by id, with their
//! state, aliases and `default` key policy. AWS-managed `alias/aws/*` are skipped. Read
//! without an SDK crate (`rest`: the JSON protocol's read operations).

use super::Session;
use super::rest::{self, Api, Refusal};
use crate::error::Error;
use crate::live::snapshot::{KmsKey, KmsSection};
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet};

const API: Api = Api {
    service: "kms",
    signing_name: "kms",
    global_region: None,
    env_name: "KMS",
    default_endpoint: "https://kms.{region}.amazonaws.com",
};

/// At most this many pages of aliases (100 each).
const MAX_PAGES: usize = 10_000;

async fn json(
    s: &Session,
    sdk: &aws_config::SdkConfig,
    operation: &'static str,
    target: &'static str,
    body: &serde_json::Value,
) -> Result<Result<serde_json::Value, Refusal>, Error> {
    rest::json(s, sdk, &API, operation, target, body).await
}

/// A call whose refusal is an error.
async fn call(
    s: &Session,
    sdk: &aws_config::SdkConfig,
    operation: &'static str,
    target: &'static str,
    body: &serde_json::Value,
) -> Result<serde_json::Value, Error> {
    json(s, sdk, operation, target, body)
        .await?
        .map_err(|r| refused(operation, r))
}

fn refused(operation: &'static str, r: Refusal) -> Error {
    r.into_error("kms", operation)
}

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
    // alias → key id, for every alias (to list all aliases of a key in scope).
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let broken = |operation: &'static str, message: String| Error::Aws {
        service: "kms",
        operation,
        message,
    };
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        // 100 a page, the most KMS allows (its default is 50).
        let mut body = serde_json::json!({"Limit": 100});
        if let Some(m) = &marker {
            body["Marker"] = serde_json::json!(m);
        }
        let page = {
            let _slot = s.call(account, "kms", "ListAliases").await;
            call(s, sdk, "ListAliases", "TrentService.ListAliases", &body).await?
        };
        // KMS always sends the `Aliases` list, empty or not. An answer without it (an empty
        // body reads the same) is broken: taken as "no aliases", every key would be missing.
        let Some(list) = page.get("Aliases").and_then(|a| a.as_array()) else {
            return Err(broken(
                "ListAliases",
                "the answer has no Aliases list".into(),
            ));
        };
        for a in list {
            let Some(name) = a.get("AliasName").and_then(|n| n.as_str()) else {
                return Err(broken(
                    "ListAliases",
                    "an alias in the answer has no name".into(),
                ));
            };
            if name.starts_with("alias/aws/") {
                continue;
            }
            let Some(key) = a.get("TargetKeyId").and_then(|k| k.as_str()) else {
                // A customer alias always names its key: an answer without it is broken.
                return Err(broken(
                    "ListAliases",
                    format!("alias {name} has no target key in the answer"),
                ));
            };
            by_key
                .entry(key.to_string())
                .or_default()
                .push(name.to_string());
        }
        let truncated = page.get("Truncated").and_then(|t| t.as_bool()) == Some(true);
        match page.get("NextMarker").and_then(|m| m.as_str()) {
            Some(next) if truncated && marker.as_deref() != Some(next) => {
                marker = Some(next.to_string())
            }
            _ => {
                marker = None;
                break;
            }
        }
    }
    if marker.is_some() {
        return Err(broken(
            "ListAliases",
            format!("the listing did not end after {MAX_PAGES} pages"),
        ));
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
        .map(|(key_id, names)| async move {
            let described = {
                // One slot at a time: a task holding one while waiting for another could
                // leave every slot held and none free.
                let _slot = s.call(account, "kms", "DescribeKey").await;
                let body = serde_json::json!({"KeyId": key_id});
                json(s, sdk, "DescribeKey", "TrentService.DescribeKey", &body).await?
            };
            let meta = match described {
                Ok(m) => m,
                Err(r) if r.code == "NotFoundException" => return Ok(None),
                Err(r) => return Err(refused("DescribeKey", r)),
            };
            let meta = meta.get("KeyMetadata").cloned().unwrap_or_default();
            let text_of = |k: &str| meta.get(k).and_then(|v| v.as_str()).map(str::to_string);
            let policy = {
                let _slot = s.call(account, "kms", "GetKeyPolicy").await;
                let body = serde_json::json!({"KeyId": key_id, "PolicyName": "default"});
                call(s, sdk, "GetKeyPolicy", "TrentService.GetKeyPolicy", &body).await?
            };
            // AWS always has a key policy: an empty or null one is a broken answer.
            let text = policy.get("Policy").and_then(|p| p.as_str()).unwrap_or("");
            let parsed: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                broken(
                    "GetKeyPolicy",
                    format!("the policy of {key_id} is not a JSON document: {e}"),
                )
            })?;
            if parsed.as_object().is_none_or(|o| o.is_empty()) {
                return Err(broken(
                    "GetKeyPolicy",
                    format!("the policy of {key_id} is empty or not an object"),
                ));
            }
            let mut names = names;
            names.sort();
            Ok(Some(KmsKey {
                key_id: text_of("KeyId").unwrap_or(key_id.clone()),
                arn: text_of("Arn").unwrap_or_default(),
                key_state: text_of("KeyState").unwrap_or_default(),
                aliases: names,
                policy: parsed,
                region: None,
                account: None,
                key_spec: text_of("KeySpec"),
                key_usage: text_of("KeyUsage"),
                deletion_date: meta
                    .get("DeletionDate")
                    .and_then(|d| d.as_f64())
                    .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs as i64).ok())
                    .and_then(|d| {
                        d.format(&time::format_description::well_known::Rfc3339)
                            .ok()
                    }),
            }))
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
