//! RDS: the declared instances and Aurora clusters (engine, version, status, endpoint, storage
//! key). Up to `LIST_ABOVE` in one account and region are described by identifier; more are
//! found in one paginated `DescribeDBInstances` (`DescribeDBClusters`) of that place. An
//! instance that does not exist is simply absent; any other failure is an error. Read without
//! an SDK crate (`rest`: the Query API's GET, answered in XML); the IAM authentication token
//! is a SigV4-presigned `connect` request, as the RDS documentation describes it.

use super::Session;
use super::rest::{self, Api};
use super::xml::Node;
use crate::error::Error;
use crate::live::snapshot::{DbInstance, Endpoint};
use futures::StreamExt;
use std::collections::BTreeSet;

const API: Api = Api {
    service: "rds",
    signing_name: "rds",
    global_region: None,
    env_name: "RDS",
    default_endpoint: "https://rds.{region}.amazonaws.com",
};

/// At most this many pages of a listing (100 each).
const MAX_PAGES: usize = 10_000;

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
    let mut clients: std::collections::BTreeMap<Place, aws_config::SdkConfig> = Default::default();
    let mut wanted: std::collections::BTreeMap<Place, (aws_config::SdkConfig, Vec<String>)> =
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
            clients.insert(key.clone(), sdk);
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
    let mut calls: Vec<(Place, aws_config::SdkConfig, Option<String>)> = Vec::new();
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
        .map(|((account, region), sdk, id)| async move {
            let place = || {
                let role = account.as_ref().and_then(|a| roles.get(a));
                s.place(
                    account.as_deref(),
                    region.as_deref(),
                    role.map(String::as_str),
                )
            };
            let what = if clusters {
                Describe::Clusters
            } else {
                Describe::Instances
            };
            let found = describe(s, account.as_deref(), &sdk, what, id.as_deref())
                .await
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

/// The pages of one `Describe…` listing (or one description by identifier): the result's
/// items, parsed by `item`. A "not found" answer is no item.
async fn describe(
    s: &Session,
    account: Option<&str>,
    sdk: &aws_config::SdkConfig,
    what: Describe,
    id: Option<&str>,
) -> Result<Vec<DbInstance>, Error> {
    let item = match what {
        Describe::Instances => instance,
        Describe::Clusters => cluster,
    };
    describe_with(s, account, sdk, what, id, item).await
}

/// Every endpoint address of the caller's account in drift's region: each instance's, and
/// each Aurora cluster's writer and reader endpoints (targets of records, `dangling_dns`).
pub async fn endpoints(s: &Session) -> Result<Vec<String>, Error> {
    let instance_address = |n: &Node| n.text_at("Endpoint/Address").into_iter().collect();
    let cluster_addresses = |n: &Node| {
        ["Endpoint", "ReaderEndpoint"]
            .iter()
            .filter_map(|e| n.text_at(e))
            .collect()
    };
    let mut out: Vec<String> = Vec::new();
    for (what, item) in [
        (
            Describe::Instances,
            instance_address as fn(&Node) -> Vec<String>,
        ),
        (
            Describe::Clusters,
            cluster_addresses as fn(&Node) -> Vec<String>,
        ),
    ] {
        for list in describe_with(s, None, &s.sdk, what, None, item).await? {
            out.extend(list.into_iter().filter(|a| !a.is_empty()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

async fn describe_with<T>(
    s: &Session,
    account: Option<&str>,
    sdk: &aws_config::SdkConfig,
    what: Describe,
    id: Option<&str>,
    item: fn(&Node) -> T,
) -> Result<Vec<T>, Error> {
    let (operation, not_found, list, element) = match what {
        Describe::Instances => (
            "DescribeDBInstances",
            "DBInstanceNotFound",
            "DBInstances",
            "DBInstance",
        ),
        Describe::Clusters => (
            "DescribeDBClusters",
            "DBClusterNotFoundFault",
            "DBClusters",
            "DBCluster",
        ),
    };
    let broken = |message: String| Error::Aws {
        service: "rds",
        operation,
        message,
    };
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut path = format!("/?Action={operation}&Version=2014-10-31");
        match id {
            Some(id) => {
                let param = match what {
                    Describe::Instances => "DBInstanceIdentifier",
                    Describe::Clusters => "DBClusterIdentifier",
                };
                path.push_str(&format!("&{param}={}", rest::encode(id)));
            }
            None => path.push_str("&MaxRecords=100"),
        }
        if let Some(m) = &marker {
            path.push_str(&format!("&Marker={}", rest::encode(m)));
        }
        let answer = {
            // Named literally: the IAM policy test reads the operations from these calls.
            let _slot = match what {
                Describe::Instances => s.call(account, "rds", "DescribeDBInstances").await,
                Describe::Clusters => s.call(account, "rds", "DescribeDBClusters").await,
            };
            rest::answer(s, sdk, &API, operation, &path).await?
        };
        let text = match answer {
            Ok(text) => text,
            Err(r) if r.code == not_found && id.is_some() => return Ok(Vec::new()),
            Err(r) => return Err(r.into_error("rds", operation)),
        };
        let root = super::xml::parse(&text).map_err(broken)?;
        let result = root
            .child(&format!("{operation}Result"))
            .ok_or_else(|| broken(format!("the answer has no `{operation}Result`")))?;
        if let Some(items) = result.child(list) {
            out.extend(items.all(element).map(item));
        }
        if id.is_some() {
            out.truncate(1);
            return Ok(out);
        }
        match result.text_at("Marker").filter(|m| !m.is_empty()) {
            Some(next) if marker.as_deref() != Some(next.as_str()) => marker = Some(next),
            _ => return Ok(out),
        }
    }
    Err(broken(format!(
        "the listing did not end after {MAX_PAGES} pages"
    )))
}

#[derive(Clone, Copy)]
enum Describe {
    Instances,
    Clusters,
}

/// An instance as the snapshot records it (engine, version, status, endpoint, storage key).
fn instance(i: &Node) -> DbInstance {
    DbInstance {
        cluster: false,
        identifier: i.text_at("DBInstanceIdentifier").unwrap_or_default(),
        region: None,
        account: None,
        engine: i.text_at("Engine").unwrap_or_default(),
        engine_version: i.text_at("EngineVersion"),
        status: i.text_at("DBInstanceStatus").unwrap_or_default(),
        endpoint: i.child("Endpoint").and_then(|e| {
            Some(Endpoint {
                address: e.text_at("Address").filter(|a| !a.is_empty())?,
                port: e
                    .text_at("Port")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(5432),
            })
        }),
        kms_key_id: i.text_at("KmsKeyId").filter(|k| !k.is_empty()),
        databases: None,
        databases_not_read: None,
    }
}

/// An Aurora cluster as the snapshot records it (its writer endpoint).
fn cluster(c: &Node) -> DbInstance {
    DbInstance {
        cluster: true,
        identifier: c.text_at("DBClusterIdentifier").unwrap_or_default(),
        region: None,
        account: None,
        engine: c.text_at("Engine").unwrap_or_default(),
        engine_version: c.text_at("EngineVersion"),
        status: c.text_at("Status").unwrap_or_default(),
        endpoint: c
            .text_at("Endpoint")
            .filter(|a| !a.is_empty())
            .map(|address| Endpoint {
                address,
                port: c
                    .text_at("Port")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(5432),
            }),
        kms_key_id: c.text_at("KmsKeyId").filter(|k| !k.is_empty()),
        databases: None,
        databases_not_read: None,
    }
}

/// An RDS IAM authentication token for `user` on the instance's endpoint (valid 15 minutes;
/// used as the PostgreSQL password, never printed).
pub async fn iam_token(s: &Session, host: &str, port: u16, user: &str) -> Result<String, String> {
    use aws_credential_types::provider::ProvideCredentials;
    let region = s
        .region()
        .ok_or("no region set for the IAM authentication token")?;
    let creds = s
        .sdk
        .credentials_provider()
        .ok_or("no credentials provider")?
        .provide_credentials()
        .await
        .map_err(|e| format!("no credentials for the IAM authentication token: {e}"))?;
    presigned_connect(
        creds,
        &region,
        host,
        port,
        user,
        std::time::SystemTime::now(),
    )
}

/// `HOST:PORT/?Action=connect&DBUser=USER&X-Amz-…`: the `connect` request presigned for 15
/// minutes with service `rds-db` — what RDS takes as the password.
fn presigned_connect(
    creds: aws_credential_types::Credentials,
    region: &str,
    host: &str,
    port: u16,
    user: &str,
    at: std::time::SystemTime,
) -> Result<String, String> {
    use aws_sigv4::http_request::{
        SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
    };
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(std::time::Duration::from_secs(900));
    let identity = creds.into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("rds-db")
        .time(at)
        .settings(settings)
        .build()
        .map_err(|e| format!("cannot sign the IAM authentication token: {e}"))?
        .into();
    let url = format!(
        "https://{host}:{port}/?Action=connect&DBUser={}",
        rest::encode(user)
    );
    let authority = format!("{host}:{port}");
    let headers = [("host", authority.as_str())];
    let signable = SignableRequest::new(
        "GET",
        url.as_str(),
        headers.iter().copied(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| format!("cannot sign the IAM authentication token: {e}"))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| format!("cannot sign the IAM authentication token: {e}"))?
        .into_parts();
    let mut token = format!("{authority}/?Action=connect&DBUser={}", rest::encode(user));
    for (name, value) in instructions.params() {
        token.push('&');
        token.push_str(name);
        token.push('=');
        token.push_str(&rest::encode(value));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_as_instances_and_clusters() {
        let doc = r#"<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
<DescribeDBInstancesResult><DBInstances><DBInstance><DBInstanceIdentifier>db</DBInstanceIdentifier>
<Engine>postgres</Engine><EngineVersion>17.2</EngineVersion><DBInstanceStatus>available</DBInstanceStatus>
<Endpoint><Address>db.c9abcdefghij.eu-west-1.rds.amazonaws.com</Address><Port>5433</Port></Endpoint>
<KmsKeyId>arn:aws:kms:eu-west-1:111122223333:key/k-1</KmsKeyId></DBInstance></DBInstances>
<Marker>next</Marker></DescribeDBInstancesResult></DescribeDBInstancesResponse>"#;
        let root = crate::live::aws::xml::parse(doc).expect("xml");
        let r = root.child("DescribeDBInstancesResult").expect("result");
        let i = instance(r.at("DBInstances/DBInstance").expect("one"));
        assert_eq!(i.identifier, "db");
        assert_eq!(i.engine_version.as_deref(), Some("17.2"));
        assert_eq!(i.endpoint.as_ref().map(|e| e.port), Some(5433));
        assert_eq!(
            i.kms_key_id.as_deref(),
            Some("arn:aws:kms:eu-west-1:111122223333:key/k-1")
        );
        let c = cluster(
            crate::live::aws::xml::parse(
                "<DBCluster><DBClusterIdentifier>c</DBClusterIdentifier><Engine>aurora-postgresql</Engine>                 <Status>available</Status><Endpoint>c.cluster-x.eu-west-1.rds.amazonaws.com</Endpoint><Port>5432</Port></DBCluster>",
            )
            .as_ref()
            .expect("xml"),
        );
        assert!(c.cluster && c.endpoint.is_some());
    }

    /// The token is the presigned `connect` request: host and port, the user, a 15-minute
    /// expiry, the `rds-db` scope of the region, the session token when there is one.
    #[test]
    fn the_iam_token_is_a_presigned_connect_request() {
        let creds = aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            Some("session-token".into()),
            None,
            "test",
        );
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600);
        let token = presigned_connect(creds, "eu-west-1", "db.example", 5432, "drift user", at)
            .expect("token");
        assert!(
            token.starts_with("db.example:5432/?Action=connect&DBUser=drift%20user&"),
            "{token}"
        );
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Feu-west-1%2Frds-db%2Faws4_request",
            "X-Amz-Date=20260101T000000Z",
            "X-Amz-Expires=900",
            "X-Amz-SignedHeaders=host",
            "X-Amz-Security-Token=session-token",
            "X-Amz-Signature=",
        ] {
            assert!(token.contains(part), "{part} not in {token}");
        }
        assert!(!token.contains("secret"));
    }
}
