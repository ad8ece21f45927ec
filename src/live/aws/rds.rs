//! RDS: the declared instances and Aurora clusters (engine, version, status, endpoint). Up to
//! `LIST_ABOVE` in one account and region are described by identifier; more are found in one
//! paginated `DescribeDBInstances` (`DescribeDBClusters`) of that place. An instance that does
//! not exist is simply absent; any other failure is an error.

use super::{Session, aws_error};
use crate::error::Error;
use crate::live::snapshot::{DbInstance, Endpoint};
use aws_sdk_rds::error::ProvideErrorMetadata;
use futures::StreamExt;
use std::collections::BTreeSet;

/// More declared instances than this in one place are listed rather than described one by one.
const LIST_ABOVE: usize = 3;

/// The instances `ids` name (natural ids: `db`, `db@REGION`, or `db@ACCOUNT/REGION` in another
/// account, read through the role in `roles`), each read in its place.
pub async fn read(
    s: &Session,
    ids: &BTreeSet<String>,
    roles: &std::collections::BTreeMap<String, String>,
    clusters: bool,
) -> Result<Vec<DbInstance>, Error> {
    type Place = (Option<String>, Option<String>);
    let mut clients: std::collections::BTreeMap<Place, aws_sdk_rds::Client> = Default::default();
    let mut wanted: std::collections::BTreeMap<Place, (aws_sdk_rds::Client, Vec<String>)> =
        Default::default();
    let mut wanted_ids: BTreeSet<(Place, String)> = BTreeSet::new();
    for natural in ids {
        let (id, place) = crate::model::split_placed(natural);
        let account = place.account.map(str::to_string);
        let mut region = place.region.map(str::to_string);
        if account.is_some() && region.is_none() {
            region = s.region();
        }
        let key = (account.clone(), region.clone());
        if !clients.contains_key(&key) {
            let role = match &account {
                Some(a) => Some(roles.get(a).cloned().ok_or_else(|| Error::Aws {
                    service: "rds",
                    operation: "AssumeRole",
                    message: format!("no role to assume for account {a}"),
                })?),
                None => None,
            };
            let sdk = s.in_place(role.as_deref(), region.as_deref()).await;
            clients.insert(key.clone(), aws_sdk_rds::Client::new(&sdk));
        }
        let client = clients[&key].clone();
        wanted_ids.insert((key.clone(), id.to_string()));
        wanted
            .entry(key)
            .or_insert_with(|| (client, Vec::new()))
            .1
            .push(id.to_string());
    }
    // A few instances in a place are described one by one; more, with one paginated listing
    // of the place's instances (or clusters) filtered to the declared ones.
    let mut calls: Vec<(Place, aws_sdk_rds::Client, Option<String>)> = Vec::new();
    for (place, (client, ids)) in wanted {
        if ids.len() > LIST_ABOVE {
            calls.push((place, client, None));
        } else {
            calls.extend(
                ids.into_iter()
                    .map(|id| (place.clone(), client.clone(), Some(id))),
            );
        }
    }
    let accounts = calls
        .iter()
        .map(|((account, _), _, _)| account)
        .collect::<BTreeSet<_>>()
        .len()
        .max(1);
    let results: Vec<Result<Vec<DbInstance>, Error>> = futures::stream::iter(calls)
        .map(|((account, region), rds, id)| async move {
            let place = || {
                let role = account.as_ref().and_then(|a| roles.get(a));
                s.place(
                    account.as_deref(),
                    region.as_deref(),
                    role.map(String::as_str),
                )
            };
            let found = match (clusters, id) {
                (true, Some(id)) => describe_cluster(s, account.as_deref(), &rds, &id).await,
                (false, Some(id)) => describe_instance(s, account.as_deref(), &rds, &id).await,
                (true, None) => list_clusters(s, account.as_deref(), &rds).await,
                (false, None) => list_instances(s, account.as_deref(), &rds).await,
            }
            .map_err(|e| e.at(&place()))?;
            Ok(found
                .into_iter()
                .map(|mut i| {
                    i.region = region.clone();
                    i.account = account.clone();
                    i
                })
                .collect())
        })
        // `concurrency` calls at a time in each account: accounts never wait for each other.
        .buffer_unordered(s.concurrency * accounts)
        .collect()
        .await;
    let mut out: Vec<DbInstance> = results
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .filter(|i| {
            wanted_ids.contains(&((i.account.clone(), i.region.clone()), i.identifier.clone()))
        })
        .collect();
    out.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    Ok(out)
}

/// One instance (`DescribeDBInstances` by identifier); none when it does not exist.
async fn describe_instance(
    s: &Session,
    account: Option<&str>,
    rds: &aws_sdk_rds::Client,
    id: &str,
) -> Result<Vec<DbInstance>, Error> {
    let _slot = s.call(account, "rds", "DescribeDBInstances").await;
    match rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
    {
        Ok(o) => Ok(o.db_instances().iter().take(1).map(instance).collect()),
        Err(e) if e.as_service_error().and_then(|se| se.code()) == Some("DBInstanceNotFound") => {
            Ok(Vec::new())
        }
        Err(e) => Err(aws_error("rds", "DescribeDBInstances", e)),
    }
}

/// Every instance in the client's place (`DescribeDBInstances`, all pages).
async fn list_instances(
    s: &Session,
    account: Option<&str>,
    rds: &aws_sdk_rds::Client,
) -> Result<Vec<DbInstance>, Error> {
    let mut out = Vec::new();
    let mut pages = rds
        .describe_db_instances()
        .max_records(100)
        .into_paginator()
        .send();
    loop {
        // The paginator sends each request when asked for the page.
        let _slot = s.pace(account, "rds", "DescribeDBInstances").await;
        let Some(page) = pages.next().await else {
            break;
        };
        s.count();
        let page = page.map_err(|e| aws_error("rds", "DescribeDBInstances", e))?;
        out.extend(page.db_instances().iter().map(instance));
    }
    Ok(out)
}

/// One Aurora cluster (`DescribeDBClusters` by identifier); none when it does not exist.
async fn describe_cluster(
    s: &Session,
    account: Option<&str>,
    rds: &aws_sdk_rds::Client,
    id: &str,
) -> Result<Vec<DbInstance>, Error> {
    let _slot = s.call(account, "rds", "DescribeDBClusters").await;
    match rds
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
    {
        Ok(o) => Ok(o.db_clusters().iter().take(1).map(cluster).collect()),
        Err(e)
            if e.as_service_error().and_then(|se| se.code()) == Some("DBClusterNotFoundFault") =>
        {
            Ok(Vec::new())
        }
        Err(e) => Err(aws_error("rds", "DescribeDBClusters", e)),
    }
}

/// Every Aurora cluster in the client's place (`DescribeDBClusters`, all pages).
async fn list_clusters(
    s: &Session,
    account: Option<&str>,
    rds: &aws_sdk_rds::Client,
) -> Result<Vec<DbInstance>, Error> {
    let mut out = Vec::new();
    let mut pages = rds
        .describe_db_clusters()
        .max_records(100)
        .into_paginator()
        .send();
    loop {
        // The paginator sends each request when asked for the page.
        let _slot = s.pace(account, "rds", "DescribeDBClusters").await;
        let Some(page) = pages.next().await else {
            break;
        };
        s.count();
        let page = page.map_err(|e| aws_error("rds", "DescribeDBClusters", e))?;
        out.extend(page.db_clusters().iter().map(cluster));
    }
    Ok(out)
}

/// An instance as the snapshot records it (engine, version, status, endpoint).
fn instance(i: &aws_sdk_rds::types::DbInstance) -> DbInstance {
    DbInstance {
        cluster: false,
        identifier: i.db_instance_identifier().unwrap_or_default().to_string(),
        region: None,
        account: None,
        engine: i.engine().unwrap_or_default().to_string(),
        engine_version: i.engine_version().map(str::to_string),
        status: i.db_instance_status().unwrap_or_default().to_string(),
        endpoint: i.endpoint().and_then(|e| {
            Some(Endpoint {
                address: e.address()?.to_string(),
                port: e.port().unwrap_or(5432) as u16,
            })
        }),
        kms_key_id: i.kms_key_id().map(str::to_string),
        databases: None,
        databases_not_read: None,
    }
}

/// An Aurora cluster as the snapshot records it (its writer endpoint).
fn cluster(c: &aws_sdk_rds::types::DbCluster) -> DbInstance {
    DbInstance {
        cluster: true,
        identifier: c.db_cluster_identifier().unwrap_or_default().to_string(),
        region: None,
        account: None,
        engine: c.engine().unwrap_or_default().to_string(),
        engine_version: c.engine_version().map(str::to_string),
        status: c.status().unwrap_or_default().to_string(),
        endpoint: c.endpoint().map(|address| Endpoint {
            address: address.to_string(),
            port: c.port().unwrap_or(5432) as u16,
        }),
        kms_key_id: c.kms_key_id().map(str::to_string),
        databases: None,
        databases_not_read: None,
    }
}

/// An RDS IAM authentication token for `user` on the instance's endpoint (valid 15 minutes;
/// used as the PostgreSQL password, never printed).
pub async fn iam_token(s: &Session, host: &str, port: u16, user: &str) -> Result<String, String> {
    use aws_sdk_rds::auth_token::{AuthTokenGenerator, Config};
    let mut builder = Config::builder()
        .hostname(host)
        .port(port as u64)
        .username(user);
    if let Some(region) = s.sdk.region() {
        builder = builder.region(region.clone());
    }
    let config = builder
        .build()
        .map_err(|e| format!("cannot build the IAM token request: {e}"))?;
    AuthTokenGenerator::new(config)
        .auth_token(&s.sdk)
        .await
        .map(|t| t.as_str().to_string())
        .map_err(|e| format!("cannot make an IAM authentication token: {e}"))
}
