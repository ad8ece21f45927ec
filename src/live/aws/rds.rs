//! RDS: `DescribeDBInstances` for each declared instance (engine, status, endpoint). An
//! instance that does not exist is simply absent; any other failure is an error.

use super::{Session, aws_error};
use crate::error::Error;
use crate::live::snapshot::{DbInstance, Endpoint};
use aws_sdk_rds::error::ProvideErrorMetadata;
use futures::StreamExt;
use std::collections::BTreeSet;

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
    let mut wanted = Vec::new();
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
        wanted.push((id.to_string(), region, account, client));
    }
    let results: Vec<Result<Option<DbInstance>, Error>> = futures::stream::iter(wanted)
        .map(|(id, region, account, rds)| async move {
            s.count();
            if clusters {
                return describe_cluster(&rds, &id, region, account).await;
            }
            let out = match rds
                .describe_db_instances()
                .db_instance_identifier(&id)
                .send()
                .await
            {
                Ok(o) => o,
                Err(e)
                    if e.as_service_error().and_then(|se| se.code())
                        == Some("DBInstanceNotFound") =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(aws_error("rds", "DescribeDBInstances", e)),
            };
            Ok(out.db_instances().first().map(|i| DbInstance {
                cluster: false,
                identifier: i.db_instance_identifier().unwrap_or(&id).to_string(),
                region: region.clone(),
                account: account.clone(),
                engine: i.engine().unwrap_or_default().to_string(),
                engine_version: i.engine_version().map(str::to_string),
                status: i.db_instance_status().unwrap_or_default().to_string(),
                endpoint: i.endpoint().and_then(|e| {
                    Some(Endpoint {
                        address: e.address()?.to_string(),
                        port: e.port().unwrap_or(5432) as u16,
                    })
                }),
                databases: None,
                databases_not_read: None,
            }))
        })
        .buffer_unordered(s.concurrency)
        .collect()
        .await;
    let mut out: Vec<DbInstance> = results
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    out.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    Ok(out)
}

/// One Aurora cluster (`DescribeDBClusters`): engine, version, status, the writer endpoint.
async fn describe_cluster(
    rds: &aws_sdk_rds::Client,
    id: &str,
    region: Option<String>,
    account: Option<String>,
) -> Result<Option<DbInstance>, Error> {
    let out = match rds
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
    {
        Ok(o) => o,
        Err(e)
            if e.as_service_error().and_then(|se| se.code()) == Some("DBClusterNotFoundFault") =>
        {
            return Ok(None);
        }
        Err(e) => return Err(aws_error("rds", "DescribeDBClusters", e)),
    };
    Ok(out.db_clusters().first().map(|c| DbInstance {
        cluster: true,
        identifier: c.db_cluster_identifier().unwrap_or(id).to_string(),
        region,
        account,
        engine: c.engine().unwrap_or_default().to_string(),
        engine_version: c.engine_version().map(str::to_string),
        status: c.status().unwrap_or_default().to_string(),
        endpoint: c.endpoint().map(|address| Endpoint {
            address: address.to_string(),
            port: c.port().unwrap_or(5432) as u16,
        }),
        databases: None,
        databases_not_read: None,
    }))
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
