//! Reads the live state — from a snapshot file or from AWS and PostgreSQL — into `model`
//! types. Every live read first produces a `Snapshot` (the APIs' own shapes), which is then
//! converted once, so `check --live aws` and `check --live FILE` of its snapshot agree by
//! construction. Knows nothing about Terraform.

pub mod aws;
pub mod mysql;
pub mod postgres;
pub mod snapshot;

use crate::model::dns::{parse_zone_scope, split_account};
use crate::model::{Family, Kind, State};
use snapshot::Snapshot;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Where the live state comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Snapshot(PathBuf),
    Aws,
}

/// What the desired side declares, so the live side reads only that: zones by name, keys by
/// alias or key id, instances by identifier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// KMS keys by natural reference: `alias/NAME` or `key/KEY_ID`, placed (`@REGION`,
    /// `@ACCOUNT/REGION`) outside the default place.
    pub keys: BTreeSet<String>,
    /// Of `keys`, the aliases of keys the code does not declare: only that each exists and
    /// names its key is checked, not the key's policy.
    pub alias_links: BTreeSet<String>,
    /// (account, zone name, private): the account only outside drift's default one.
    pub zones: BTreeSet<(Option<String>, String, bool)>,
    pub instances: BTreeSet<String>,
    /// Aurora clusters.
    pub clusters: BTreeSet<String>,
    /// Instances whose databases the code declares: only those are connected to.
    /// Instances whose databases the code declares, with the kind it declares them as: only
    /// those are connected to (with the client the live engine speaks).
    pub database_instances: std::collections::BTreeMap<String, Kind>,
    /// The role to assume for each other account the code places objects in.
    pub roles: std::collections::BTreeMap<String, String>,
    /// The Secrets Manager secrets the services manifest names.
    pub secrets: BTreeSet<String>,
    /// CloudFront distributions by natural id (every one is listed; these must be).
    pub distributions: BTreeSet<String>,
    /// S3 buckets by name.
    pub buckets: BTreeSet<String>,
    /// Zones (scopes) the code signs with DNSSEC: their key-signing keys are read.
    pub dnssec_zones: BTreeSet<String>,
}

impl Scope {
    pub fn from_desired(desired: &State) -> Scope {
        let mut s = Scope::default();
        for (kind, scope) in &desired.scopes {
            match kind {
                Kind::KmsKeyPolicy => {
                    s.keys.insert(scope.clone());
                }
                Kind::Route53Record => {
                    let (name, private) = parse_zone_scope(scope);
                    let account = split_account(scope).1.map(str::to_string);
                    s.zones.insert((account, name, private));
                }
                Kind::RdsInstance | Kind::PostgresDatabase | Kind::MysqlDatabase => {
                    s.instances.insert(scope.clone());
                }
                Kind::RdsCluster => {
                    s.clusters.insert(scope.clone());
                }
                Kind::CloudfrontDistribution => {
                    s.distributions.insert(scope.clone());
                }
                Kind::S3Bucket => {
                    s.buckets.insert(scope.clone());
                }
                // Nothing live is read for a module call itself.
                Kind::TerraformModule | Kind::Rule | Kind::ServiceChecklist => {}
            }
        }
        s.roles = desired.roles.clone();
        s.dnssec_zones = desired.signing.iter().map(|z| z.zone.clone()).collect();
        s.secrets = desired.secrets.clone();
        for item in &desired.items {
            if matches!(item.kind, Kind::PostgresDatabase | Kind::MysqlDatabase) {
                s.database_instances.insert(item.scope.clone(), item.kind);
            }
            if let crate::model::Body::Known(crate::model::Spec::KeyAlias(_)) = &item.body {
                s.alias_links.insert(item.id.clone());
            }
        }
        s
    }
}

/// How to reach each instance's PostgreSQL, from the config.
pub type PostgresSettings = std::collections::BTreeMap<String, crate::config::PostgresConfig>;

fn capture_error(
    source: &str,
    e: impl std::fmt::Display,
    family: Option<Family>,
) -> snapshot::CaptureError {
    let message = e.to_string();
    // `Error::Aws` already starts with the service name.
    let message = message
        .strip_prefix(&format!("{source}: "))
        .map(str::to_string)
        .unwrap_or(message);
    snapshot::CaptureError {
        source: source.into(),
        message,
        family,
        kind: None,
        scope: None,
    }
}

fn postgres_target(
    inst: &snapshot::DbInstance,
    pg: &crate::config::PostgresConfig,
) -> std::result::Result<postgres::Target, String> {
    let host = pg
        .host
        .clone()
        .or_else(|| inst.endpoint.as_ref().map(|e| e.address.clone()))
        .ok_or("the instance has no endpoint and the config sets no `host`")?;
    let port = pg
        .port
        .or_else(|| inst.endpoint.as_ref().map(|e| e.port))
        .unwrap_or(5432);
    let user = pg.user.clone().ok_or("the config sets no `user`")?;
    let password =
        match &pg.password_env {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                format!("the environment variable `{var}` (password_env) is not set")
            })?),
            None => std::env::var("PGPASSWORD").ok(),
        };
    let tls = match pg.sslmode.as_deref() {
        None | Some("require") => true,
        Some("disable") => false,
        Some(other) => {
            return Err(format!(
                "sslmode `{other}` is not supported: use `require` or `disable`"
            ));
        }
    };
    Ok(postgres::Target {
        instance: inst.identifier.clone(),
        host,
        port,
        user,
        password,
        database: pg.database.clone().unwrap_or_else(|| "postgres".into()),
        tls,
        ca_file: pg.ca_file.clone(),
        connect_timeout: std::time::Duration::from_secs(pg.connect_timeout_secs.unwrap_or(10)),
        query_timeout: std::time::Duration::from_secs(pg.query_timeout_secs.unwrap_or(30).max(1)),
    })
}

/// What became of one instance's databases.
enum Listing {
    Read(Vec<snapshot::PgDatabase>),
    /// Declared in code but deliberately not read, with why.
    NotRead(String),
    /// The code declares none there: no connection is made.
    NotNeeded,
}

/// Reads everything in `scope` from AWS (families concurrently) into a snapshot.
pub async fn capture(
    session: &aws::Session,
    identity: std::result::Result<aws::Identity, crate::error::Error>,
    scope: &Scope,
    families: &[Family],
    pg: &PostgresSettings,
    mysql: &PostgresSettings,
    check_secret_values: bool,
) -> Snapshot {
    let mut snap = Snapshot {
        schema: snapshot::SCHEMA.into(),
        account_id: String::new(),
        caller_arn: None,
        caller_user_id: None,
        region: session.region().unwrap_or_default(),
        captured_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        kms: None,
        route53: None,
        rds: None,
        secrets: None,
        cloudfront: None,
        s3: None,
        elb: None,
        rds_endpoints: None,
        errors: Vec::new(),
        state: None,
        remote_states: Default::default(),
    };
    match identity {
        Ok(i) => {
            snap.account_id = i.account;
            snap.caller_arn = i.arn;
            snap.caller_user_id = i.user_id;
        }
        Err(e) => snap.errors.push(capture_error("sts", e, None)),
    }
    let kms = async {
        if families.contains(&Family::Kms) && !scope.keys.is_empty() {
            Some(aws::kms::read(session, &scope.keys, &scope.roles).await)
        } else {
            None
        }
    };
    let r53 = async {
        if families.contains(&Family::Route53) && !scope.zones.is_empty() {
            Some(aws::route53::read(session, &scope.zones, &scope.roles, &scope.dnssec_zones).await)
        } else {
            None
        }
    };
    let rds = async {
        if !families.contains(&Family::Rds)
            || (scope.instances.is_empty() && scope.clusters.is_empty())
        {
            return None;
        }
        let mut instances =
            match aws::rds::read(session, &scope.instances, &scope.roles, false).await {
                Ok(i) => i,
                Err(e) => return Some(Err(e)),
            };
        if !scope.clusters.is_empty() {
            match aws::rds::read(session, &scope.clusters, &scope.roles, true).await {
                Ok(c) => instances.extend(c),
                Err(e) => return Some(Err(e)),
            }
        }
        let lists = futures::future::join_all(instances.iter().map(|inst| async move {
            let natural = inst.natural_id();
            if !scope.database_instances.contains_key(&natural) {
                return Ok(Listing::NotNeeded);
            }
            let engine = inst.engine.to_lowercase();
            let kind = crate::model::database_kind(Some(&engine));
            if kind == Kind::PostgresDatabase && !engine.contains("postgres") {
                return Ok(Listing::NotRead(format!(
                    "its engine is `{}`: drift lists only PostgreSQL, MySQL and MariaDB databases",
                    inst.engine
                )));
            }
            let (settings, section) = if kind == Kind::MysqlDatabase {
                (mysql, "mysql")
            } else {
                (pg, "postgres")
            };
            let Some(settings) = settings.get(&natural) else {
                let section = if natural.contains('@') {
                    format!("[{section}.\"{natural}\"]")
                } else {
                    format!("[{section}.{natural}]")
                };
                return Ok(Listing::NotRead(format!(
                    "no connection settings for {natural}: add a `{section}` section to the config"
                )));
            };
            let mut target = postgres_target(inst, settings)?;
            if settings.iam_auth {
                // The token is signed for the endpoint RDS reports, even through a tunnel.
                let (host, port) = inst
                    .endpoint
                    .as_ref()
                    .map(|e| (e.address.clone(), e.port))
                    .unwrap_or((target.host.clone(), target.port));
                target.password =
                    Some(aws::rds::iam_token(session, &host, port, &target.user).await?);
            }
            if kind == Kind::MysqlDatabase {
                mysql::list(&target).await.map(Listing::Read)
            } else {
                postgres::list(&target).await.map(Listing::Read)
            }
        }))
        .await;
        let mut errors = Vec::new();
        for (inst, list) in instances.iter_mut().zip(lists) {
            match list {
                Ok(Listing::Read(dbs)) => inst.databases = Some(dbs),
                Ok(Listing::NotRead(why)) => inst.databases_not_read = Some(why),
                Ok(Listing::NotNeeded) => {}
                Err(m) => {
                    let client = crate::model::database_kind(Some(&inst.engine));
                    let system = if client == Kind::MysqlDatabase {
                        "mysql"
                    } else {
                        "postgres"
                    };
                    // The scope is the kind the code declares there.
                    let kind = scope
                        .database_instances
                        .get(&inst.natural_id())
                        .copied()
                        .unwrap_or(client);
                    errors.push(snapshot::CaptureError {
                        source: format!("{system}:{}", inst.natural_id()),
                        message: m,
                        family: None,
                        kind: Some(kind),
                        scope: Some(inst.natural_id()),
                    })
                }
            }
        }
        Some(Ok((instances, errors)))
    };
    let secrets = async {
        if families.contains(&Family::Secret) && !scope.secrets.is_empty() {
            Some(aws::secrets::read(session, &scope.secrets, check_secret_values).await)
        } else {
            None
        }
    };
    let (kms, r53, rds, secrets) = tokio::join!(kms, r53, rds, secrets);
    // Then what the code's or the records' targets need: CloudFront (declared distributions
    // or buckets, or a record pointing at `*.cloudfront.net`), the load balancers and the RDS
    // endpoints (a record pointing at one), for the rules.
    let targets: Vec<String> = match &r53 {
        Some(Ok((section, _))) => section
            .zones
            .iter()
            .flat_map(|z| &z.records)
            .flat_map(|r| {
                r.alias_target
                    .iter()
                    .map(|a| a.dns_name.clone())
                    .chain(r.resource_records.iter().map(|v| v.value.clone()))
            })
            .map(|t| t.trim_end_matches('.').to_ascii_lowercase())
            .collect(),
        _ => Vec::new(),
    };
    let wants_cloudfront = families.contains(&Family::Cloudfront)
        && (!scope.distributions.is_empty()
            || !scope.buckets.is_empty()
            || targets.iter().any(|t| t.ends_with(".cloudfront.net")));
    let wants_elb = families.contains(&Family::Elb)
        && targets
            .iter()
            .any(|t| t.contains(".elb.") && t.ends_with(".amazonaws.com"));
    let cloudfront = async {
        if wants_cloudfront {
            Some(aws::cloudfront::read(session).await)
        } else {
            None
        }
    };
    let elb = async {
        if wants_elb {
            Some(aws::elb::read(session).await)
        } else {
            None
        }
    };
    let wants_rds = families.contains(&Family::Rds)
        && targets.iter().any(|t| t.ends_with(".rds.amazonaws.com"));
    let rds_endpoints = async {
        if wants_rds {
            Some(aws::rds::endpoints(session).await)
        } else {
            None
        }
    };
    let (cloudfront, elb, rds_endpoints) = tokio::join!(cloudfront, elb, rds_endpoints);
    match rds_endpoints {
        Some(Ok(addresses)) => {
            snap.rds_endpoints = Some(snapshot::RdsEndpointsSection {
                region: session.region().unwrap_or_default(),
                addresses,
            })
        }
        Some(Err(e)) => snap.errors.push(capture_error("rds", e, Some(Family::Rds))),
        None => {}
    }
    match elb {
        Some(Ok(section)) => snap.elb = Some(section),
        Some(Err(e)) => {
            snap.errors
                .push(capture_error("elasticloadbalancing", e, Some(Family::Elb)))
        }
        None => {}
    }
    // Then the buckets: those the code declares, the distributions' origins, and those the
    // records' S3 website endpoints name (to tell a dangling one).
    let mut wanted = scope.buckets.clone();
    if let Some(Ok(cf)) = &cloudfront {
        for d in &cf.distributions {
            for o in &d.origins {
                if let Some(b) = crate::model::distribution::s3_rest_bucket(&o.domain_name) {
                    wanted.insert(b.to_string());
                }
            }
        }
    }
    if let Some(Ok((section, _))) = &r53 {
        for z in &section.zones {
            for r in &z.records {
                let targets = r
                    .alias_target
                    .iter()
                    .map(|a| a.dns_name.as_str())
                    .chain(r.resource_records.iter().map(|v| v.value.as_str()));
                for t in targets {
                    if let Some(b) = crate::model::bucket::website_bucket(
                        &t.trim_end_matches('.').to_ascii_lowercase(),
                        &r.name.trim_end_matches('.').to_ascii_lowercase(),
                    ) {
                        wanted.insert(b);
                    }
                }
            }
        }
    }
    let s3 = if families.contains(&Family::S3) && !wanted.is_empty() {
        Some(aws::buckets::read(session, &wanted).await)
    } else {
        None
    };
    match cloudfront {
        Some(Ok(section)) => snap.cloudfront = Some(section),
        Some(Err(e)) => snap
            .errors
            .push(capture_error("cloudfront", e, Some(Family::Cloudfront))),
        None => {}
    }
    match s3 {
        Some(Ok((section, errors))) => {
            snap.s3 = Some(section);
            for b in errors {
                let mut ce = capture_error("s3", b.error, None);
                ce.kind = Some(Kind::S3Bucket);
                ce.scope = Some(b.bucket);
                snap.errors.push(ce);
            }
        }
        Some(Err(e)) => snap.errors.push(capture_error("s3", e, Some(Family::S3))),
        None => {}
    }
    match secrets {
        Some(Ok(section)) => snap.secrets = Some(section),
        Some(Err(e)) => snap
            .errors
            .push(capture_error("secretsmanager", e, Some(Family::Secret))),
        None => {}
    }
    match kms {
        Some(Ok(section)) => snap.kms = Some(section),
        Some(Err(e)) => snap.errors.push(capture_error("kms", e, Some(Family::Kms))),
        None => {}
    }
    match r53 {
        Some(Ok((section, zone_errors))) => {
            snap.route53 = Some(section);
            for z in zone_errors {
                let mut ce = capture_error("route53", z.error, None);
                ce.kind = Some(Kind::Route53Record);
                ce.scope = Some(z.scope);
                snap.errors.push(ce);
            }
        }
        Some(Err(e)) => snap
            .errors
            .push(capture_error("route53", e, Some(Family::Route53))),
        None => {}
    }
    match rds {
        Some(Ok((instances, errors))) => {
            snap.rds = Some(snapshot::RdsSection { instances });
            snap.errors.extend(errors);
        }
        Some(Err(e)) => snap.errors.push(capture_error("rds", e, Some(Family::Rds))),
        None => {}
    }
    snap
}
