//! RDS: `DescribeDBInstances` for each declared instance (engine, status, endpoint). An
//! instance that does not exist is simply absent; any other failure is an error.

use super::{Session, aws_error};
use crate::error::Error;
use crate::live::snapshot::{DbInstance, Endpoint};
use aws_sdk_rds::error::ProvideErrorMetadata;
use futures::StreamExt;
use std::collections::BTreeSet;

/// The instances `ids` name (natural ids: `db`, or `db@REGION` outside the default region),
/// each read in its region.
pub async fn read(s: &Session, ids: &BTreeSet<String>) -> Result<Vec<DbInstance>, Error> {
    let mut clients: std::collections::BTreeMap<Option<String>, aws_sdk_rds::Client> =
        Default::default();
    let mut wanted = Vec::new();
    for natural in ids {
        let (id, region) = crate::model::split_regional(natural);
        let region = region.map(str::to_string);
        let client = clients
            .entry(region.clone())
            .or_insert_with(|| aws_sdk_rds::Client::new(&s.in_region(region.as_deref())))
            .clone();
        wanted.push((id.to_string(), region, client));
    }
    let results: Vec<Result<Option<DbInstance>, Error>> = futures::stream::iter(wanted)
        .map(|(id, region, rds)| async move {
            s.count();
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
                identifier: i.db_instance_identifier().unwrap_or(&id).to_string(),
                region: region.clone(),
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
