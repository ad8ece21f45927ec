//! The `drift.snapshot/v1` file: the live state as captured, in the APIs' own shapes, and its
//! conversion into the canonical model. No secrets are ever written into it.

use crate::error::{Error, Location, Result};
use crate::model::dns::{
    AliasTarget, Routing, canonical_name, canonical_value, in_account, zone_scope,
};
use crate::model::{
    Body, Bucket, Database, Distribution, DistributionOrigin, Encryption, Family, Instance, Item,
    KeyFacts, Kind, OriginAccess, Policy, Record, SourceError, Spec, State,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const SCHEMA: &str = "drift.snapshot/v1";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub schema: String,
    pub account_id: String,
    /// The caller's ARN and user id (`GetCallerIdentity`), for `data "aws_caller_identity"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_user_id: Option<String>,
    pub region: String,
    pub captured_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms: Option<KmsSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route53: Option<Route53Section>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rds: Option<RdsSection>,
    /// The services' secrets (Secrets Manager): which exist, and with `[secrets] check_values`
    /// the database their value names — never the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<SecretsSection>,
    /// CloudFront distributions (`ListDistributions`): every one of the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudfront: Option<CloudfrontSection>,
    /// S3 buckets the code or a distribution names: encryption, policy, website.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Section>,
    /// The load balancers of drift's region, as targets of records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elb: Option<ElbSection>,
    /// Every RDS endpoint of drift's region (instances, clusters' writer and reader), as
    /// targets of records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rds_endpoints: Option<RdsEndpointsSection>,
    /// What could not be read when the snapshot was captured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<CaptureError>,
    /// With `snapshot --with-state`: what the Terraform state recorded at capture time (same
    /// sections), so the three-way report is reproducible offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Box<Snapshot>>,
    /// The outputs of other stacks' states the code reads (`data "terraform_remote_state"`
    /// over the `s3` backend), by `s3://bucket/key`, as the state writes them but with
    /// sensitive values left out: the code evaluates offline as it did live.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub remote_states:
        std::collections::BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CaptureError {
    pub source: String,
    pub message: String,
    /// The family that could not be read at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    /// The part that could not be read: a zone scope or an instance id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KmsSection {
    pub keys: Vec<KmsKey>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KmsKey {
    pub key_id: String,
    pub arn: String,
    pub key_state: String,
    pub aliases: Vec<String>,
    /// The key policy, parsed (`GetKeyPolicy` returns it as a string).
    pub policy: serde_json::Value,
    /// The region, when not the snapshot's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The account, when not the snapshot's (then `region` is always set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// `DescribeKey`'s `KeySpec` (`SYMMETRIC_DEFAULT`, `ECC_NIST_P256`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<String>,
    /// `DescribeKey`'s `KeyUsage` (`ENCRYPT_DECRYPT`, `SIGN_VERIFY`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<String>,
    /// For a key pending deletion: when it will be deleted (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<String>,
}

/// `ListDistributions`, one `DistributionSummary` per distribution in the API's names, with
/// its lists flattened (no `Quantity`/`Items` wrappers).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CloudfrontSection {
    pub distributions: Vec<CfDistribution>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CfDistribution {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(rename = "DomainName")]
    pub domain_name: String,
    #[serde(rename = "Enabled")]
    pub enabled: bool,
    #[serde(rename = "Aliases", default)]
    pub aliases: Vec<String>,
    #[serde(rename = "Origins", default)]
    pub origins: Vec<CfOrigin>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CfOrigin {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "DomainName")]
    pub domain_name: String,
    /// Empty or absent: no Origin Access Control.
    #[serde(
        rename = "OriginAccessControlId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub origin_access_control_id: Option<String>,
    #[serde(
        rename = "S3OriginConfig",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub s3_origin_config: Option<CfS3OriginConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CfS3OriginConfig {
    /// `origin-access-identity/cloudfront/ID`, or empty.
    #[serde(rename = "OriginAccessIdentity", default)]
    pub origin_access_identity: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ElbSection {
    /// The region listed.
    pub region: String,
    pub load_balancers: Vec<LoadBalancer>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RdsEndpointsSection {
    /// The region listed.
    pub region: String,
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancer {
    #[serde(rename = "LoadBalancerName")]
    pub name: String,
    #[serde(rename = "DNSName")]
    pub dns_name: String,
    /// `application`, `network`, `gateway`, or `classic`.
    #[serde(rename = "Type")]
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3Section {
    /// The account's buckets that were read.
    pub buckets: Vec<S3Bucket>,
    /// Names looked up that are not the account's (`HeadBucket`): `true` when the bucket
    /// exists in another account, `false` when no bucket has the name (anyone may create it).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub elsewhere: std::collections::BTreeMap<String, bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3Bucket {
    pub name: String,
    /// `GetBucketEncryption`'s default rule; absent: none configured (SSE-S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<S3Encryption>,
    /// `GetBucketPolicy`, parsed; absent: the bucket has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<serde_json::Value>,
    /// Whether `GetBucketWebsite` finds a website configuration.
    #[serde(default)]
    pub website: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3Encryption {
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: String,
    #[serde(
        rename = "KMSMasterKeyID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kms_master_key_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Route53Section {
    pub zones: Vec<HostedZone>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HostedZone {
    pub id: String,
    pub name: String,
    pub private_zone: bool,
    /// The account it was read in, when not the snapshot's own (through a role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub records: Vec<RecordSet>,
    /// `GetDNSSEC`'s key-signing keys, for a zone the code signs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_signing_keys: Option<Vec<KeySigningKey>>,
}

/// A key-signing key as `GetDNSSEC` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeySigningKey {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "KmsArn")]
    pub kms_arn: String,
    #[serde(rename = "Status")]
    pub status: String,
}

/// A `ResourceRecordSet` as `ListResourceRecordSets` returns it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RecordSet {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Type")]
    pub rtype: String,
    #[serde(
        rename = "SetIdentifier",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub set_identifier: Option<String>,
    #[serde(rename = "TTL", default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    #[serde(
        rename = "ResourceRecords",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub resource_records: Vec<ResourceRecord>,
    #[serde(
        rename = "AliasTarget",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub alias_target: Option<AliasTargetJson>,
    #[serde(rename = "Weight", default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    #[serde(rename = "Failover", default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<String>,
    #[serde(rename = "Region", default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(
        rename = "MultiValueAnswer",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub multi_value_answer: Option<bool>,
    #[serde(
        rename = "HealthCheckId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub health_check_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResourceRecord {
    #[serde(rename = "Value")]
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AliasTargetJson {
    #[serde(rename = "HostedZoneId")]
    pub hosted_zone_id: String,
    #[serde(rename = "DNSName")]
    pub dns_name: String,
    #[serde(rename = "EvaluateTargetHealth")]
    pub evaluate_target_health: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RdsSection {
    pub instances: Vec<DbInstance>,
}

/// The natural id of a live object read in `account` and `region` (set only when not the
/// snapshot's own): as `model::placed_id` makes it on the desired side.
fn natural(id: &str, account: Option<&str>, region: Option<&str>) -> String {
    match (account, region) {
        (Some(a), r) => format!("{id}@{a}/{}", r.unwrap_or_default()),
        (None, Some(r)) => format!("{id}@{r}"),
        (None, None) => id.to_string(),
    }
}

impl DbInstance {
    /// Its natural id: the identifier, with `@REGION` when read outside the default region.
    pub fn natural_id(&self) -> String {
        natural(
            &self.identifier,
            self.account.as_deref(),
            self.region.as_deref(),
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DbInstance {
    /// An Aurora cluster (`DescribeDBClusters`) rather than an instance.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cluster: bool,
    pub identifier: String,
    /// The region, when not the snapshot's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The account, when not the snapshot's (then `region` is always set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub engine: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Endpoint>,
    /// The KMS key its storage is encrypted with (`KmsKeyId`, an ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// `pg_database` rows; absent when the databases could not be listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub databases: Option<Vec<PgDatabase>>,
    /// Why the databases were not read although the code declares some (no connection
    /// settings, an engine drift does not list): they are not checked, which is no error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub databases_not_read: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SecretsSection {
    /// The secrets that exist, of those the manifest names (an absent one is not listed).
    pub secrets: Vec<SecretEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SecretEntry {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// With `check_values`: where the value's database URL points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<DatabaseTarget>,
    /// With `check_values`: why the value names no database (never the value itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_problem: Option<String>,
}

/// Where a secret's database URL points: the parts drift compares, and a fingerprint that
/// changes when the value does. User, password and the rest of the value are never kept.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatabaseTarget {
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    pub fingerprint: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub address: String,
    pub port: u16,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PgDatabase {
    pub datname: String,
    #[serde(default)]
    pub datistemplate: bool,
}

impl CfDistribution {
    pub fn to_model(&self) -> Distribution {
        let mut origins: Vec<DistributionOrigin> = self
            .origins
            .iter()
            .map(|o| DistributionOrigin {
                id: o.id.clone(),
                domain_name: canonical_name(&o.domain_name),
                access: if o
                    .origin_access_control_id
                    .as_deref()
                    .is_some_and(|x| !x.is_empty())
                {
                    OriginAccess::Oac
                } else if o
                    .s3_origin_config
                    .as_ref()
                    .is_some_and(|c| !c.origin_access_identity.is_empty())
                {
                    OriginAccess::Oai
                } else {
                    OriginAccess::None
                },
            })
            .collect();
        origins.sort();
        Distribution {
            id: Some(self.id.clone()),
            domain_name: Some(canonical_name(&self.domain_name)),
            aliases: self.aliases.iter().map(|a| canonical_name(a)).collect(),
            enabled: Some(self.enabled),
            origins,
        }
    }
}

impl RecordSet {
    pub fn to_record(&self, zone: &str) -> Record {
        let rtype = self.rtype.to_uppercase();
        let alias = self
            .alias_target
            .as_ref()
            .map(|a| AliasTarget::new(&a.dns_name, &a.hosted_zone_id, a.evaluate_target_health));
        Record {
            zone: zone.to_string(),
            name: canonical_name(&self.name),
            set_identifier: self.set_identifier.clone(),
            ttl: if alias.is_some() { None } else { self.ttl },
            records: self
                .resource_records
                .iter()
                .map(|r| canonical_value(&rtype, &r.value))
                .collect(),
            rtype,
            alias,
            routing: Box::new(Routing {
                weight: self.weight,
                failover: self.failover.clone(),
                region: self.region.clone(),
                multivalue_answer: self.multi_value_answer,
                health_check_id: self.health_check_id.clone(),
            }),
        }
    }
}

/// The natural id of a live key's policy item and the aliases of it that are objects of their
/// own. One key is one object, however many aliases name it: its id is the first of its
/// aliases the code declares the key by, else its `key/ID` when the code names it so, else
/// its first alias. An alias of a key the code does not declare is an object of its own (it
/// names this key), and never the key's id.
fn key_natural_id(key: &KmsKey, scope: &super::Scope) -> (Option<String>, Vec<String>) {
    let mut aliases: Vec<String> = key
        .aliases
        .iter()
        .filter(|a| !a.starts_with("alias/aws/"))
        .map(|a| natural(a, key.account.as_deref(), key.region.as_deref()))
        .collect();
    aliases.sort();
    let by_id = key_reference(key);
    let links: Vec<String> = aliases
        .iter()
        .filter(|a| scope.alias_links.contains(*a))
        .cloned()
        .collect();
    let own: Vec<&String> = aliases
        .iter()
        .filter(|a| !scope.alias_links.contains(*a))
        .collect();
    let chosen = own
        .iter()
        .find(|a| scope.keys.contains(a.as_str()))
        .copied()
        .or(scope.keys.contains(&by_id).then_some(&by_id))
        .or(own.first().copied())
        .cloned();
    (chosen, links)
}

/// `key/ID`, placed.
fn key_reference(key: &KmsKey) -> String {
    natural(
        &format!("key/{}", key.key_id),
        key.account.as_deref(),
        key.region.as_deref(),
    )
}

/// The natural id of the key a bucket or instance names (a key id, key ARN, alias name or
/// alias ARN), when the snapshot has that key; else the reference as given.
fn resolve_key(snap: &Snapshot, scope: &super::Scope, reference: &str) -> String {
    let alias = reference
        .split_once(":alias/")
        .map(|(_, a)| format!("alias/{a}"))
        .unwrap_or_else(|| reference.to_string());
    let found = snap
        .kms
        .iter()
        .flat_map(|k| &k.keys)
        .find(|k| k.key_id == reference || k.arn == reference || k.aliases.contains(&alias));
    match found {
        Some(k) => key_natural_id(k, scope)
            .0
            .unwrap_or_else(|| key_reference(k)),
        None => reference.to_string(),
    }
}

/// Keys in these states are as good as gone.
pub fn key_is_gone(state: &str) -> bool {
    matches!(state, "PendingDeletion" | "PendingReplicaDeletion")
}

impl Snapshot {
    pub fn read(path: &Path) -> Result<Snapshot> {
        let text = crate::input_file::read("snapshot", path)?;
        Snapshot::parse(&text, &path.display().to_string())
    }

    /// A snapshot from its text; `display` names it in errors.
    pub fn parse(text: &str, display: &str) -> Result<Snapshot> {
        let display = display.to_string();
        let at = |e: &serde_json::Error| {
            let mut loc = Location::new(&display, e.line().max(1), e.column().max(1));
            loc.source_line = text
                .lines()
                .nth(e.line().saturating_sub(1))
                .map(str::to_string);
            loc
        };
        let raw: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::input(at(&e), format!("the snapshot is not valid JSON: {e}")))?;
        match raw.get("schema").and_then(|s| s.as_str()) {
            Some(SCHEMA) => {}
            Some(other) => {
                return Err(Error::Invalid {
                    path: display,
                    message: format!(
                        "unsupported snapshot schema `{other}`: drift reads `{SCHEMA}`"
                    ),
                });
            }
            None => {
                return Err(Error::Invalid {
                    path: display,
                    message: format!(
                        "not a drift snapshot: no `schema` field (expected `{SCHEMA}`)"
                    ),
                });
            }
        }
        serde_json::from_str(text)
            .map_err(|e| Error::input(at(&e), format!("invalid snapshot: {e}")))
    }

    /// Writes the snapshot atomically, never over one of `inputs` (the files read this run).
    pub fn write(&self, path: &Path, inputs: &[std::path::PathBuf]) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Write {
            path: path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        text.push('\n');
        crate::atomic_file::write(path, text.as_bytes(), inputs)
    }

    /// The canonical live state of the families asked for.
    /// A family the code declares nothing of may be absent from the snapshot.
    pub fn to_state(&self, families: &[Family], scope: &super::Scope) -> State {
        let mut state = State::default();
        for e in &self.errors {
            if e.family.is_some_and(|f| !families.contains(&f))
                || e.kind
                    .is_some_and(|k| k.family().is_some_and(|f| !families.contains(&f)))
            {
                continue;
            }
            state.errors.push(SourceError {
                source: e.source.clone(),
                message: e.message.clone(),
            });
            if let Some(f) = e.family {
                state.failed.insert(f);
            }
            if let (Some(k), Some(s)) = (e.kind, &e.scope) {
                state.failed_scopes.insert((k, s.clone()));
            }
        }
        let missing = |state: &mut State, f: Family| {
            let declared = match f {
                Family::Kms => !scope.keys.is_empty(),
                Family::Route53 => !scope.zones.is_empty(),
                Family::Rds => !scope.instances.is_empty() || !scope.clusters.is_empty(),
                Family::Secret => !scope.secrets.is_empty(),
                Family::Cloudfront => !scope.distributions.is_empty(),
                Family::S3 => !scope.buckets.is_empty(),
                // Targets only: nothing is declared.
                Family::Elb => false,
            };
            if declared && !state.failed.contains(&f) {
                state.errors.push(SourceError {
                    source: f.as_str().into(),
                    message: format!(
                        "the snapshot has no `{f}` section (it was captured without it)"
                    ),
                });
                state.failed.insert(f);
            }
        };
        if families.contains(&Family::Kms) {
            match &self.kms {
                None => missing(&mut state, Family::Kms),
                Some(kms) => {
                    for key in &kms.keys {
                        let (chosen, links) = key_natural_id(key, scope);
                        state.keys.insert(
                            chosen.clone().unwrap_or_else(|| key_reference(key)),
                            KeyFacts {
                                key_id: key.key_id.clone(),
                                arn: key.arn.clone(),
                                state: key.key_state.clone(),
                                deletion_date: key.deletion_date.clone(),
                                spec: key.key_spec.clone(),
                                usage: key.key_usage.clone(),
                                region: key.region.clone().unwrap_or_else(|| self.region.clone()),
                            },
                        );
                        if key_is_gone(&key.key_state) {
                            continue;
                        }
                        let region = key.region.as_deref().unwrap_or(&self.region);
                        let partition = crate::model::partition_of(Some(region));
                        let body = match Policy::from_json_in(&key.policy, Some(partition)) {
                            Ok(p) => Body::Known(Spec::KeyPolicy(p)),
                            Err(m) => Body::Unknown(format!(
                                "the live policy of {} cannot be read: {m}",
                                key.key_id
                            )),
                        };
                        for a in links {
                            state.push(Item {
                                kind: Kind::KmsKeyPolicy,
                                id: a.clone(),
                                scope: a.clone(),
                                origin: None,
                                body: Body::Known(Spec::KeyAlias(crate::model::KeyAlias {
                                    key: format!("key/{}", key.key_id),
                                })),
                            });
                        }
                        if let Some(id) = chosen {
                            state.push(Item {
                                kind: Kind::KmsKeyPolicy,
                                id: id.clone(),
                                scope: id,
                                origin: None,
                                body,
                            });
                        }
                    }
                }
            }
        }
        // Secrets are not compared objects: the checklist reads the section itself.
        if families.contains(&Family::Secret) && self.secrets.is_none() {
            missing(&mut state, Family::Secret);
        }
        if families.contains(&Family::Route53) {
            match &self.route53 {
                None => missing(&mut state, Family::Route53),
                Some(r53) => {
                    let read_scope = scope;
                    for zone in &r53.zones {
                        let zname = canonical_name(&zone.name);
                        let account = zone.account.as_deref();
                        let scope = in_account(&zone_scope(&zname, zone.private_zone), account);
                        for k in zone.key_signing_keys.iter().flatten() {
                            state.signing.push(crate::model::ZoneSigning {
                                zone: scope.clone(),
                                zone_id: Some(crate::model::dns::canonical_zone_id(&zone.id)),
                                name: k.name.clone(),
                                key: resolve_key(self, read_scope, &k.kms_arn),
                            });
                        }
                        for rs in &zone.records {
                            let rec = rs.to_record(&zname);
                            state.push(Item {
                                kind: Kind::Route53Record,
                                id: in_account(&rec.id(), account),
                                scope: scope.clone(),
                                origin: None,
                                body: Body::Known(Spec::Record(rec)),
                            });
                        }
                    }
                }
            }
        }
        if families.contains(&Family::Rds) {
            match &self.rds {
                None => missing(&mut state, Family::Rds),
                Some(rds) => {
                    for inst in &rds.instances {
                        let natural = inst.natural_id();
                        // The databases' kind is what the code declares them as; the live
                        // engine only chose the client that listed them.
                        let db_kind = scope
                            .database_instances
                            .get(&natural)
                            .copied()
                            .unwrap_or_else(|| crate::model::database_kind(Some(&inst.engine)));
                        state.push(Item {
                            kind: if inst.cluster {
                                Kind::RdsCluster
                            } else {
                                Kind::RdsInstance
                            },
                            id: natural.clone(),
                            scope: natural.clone(),
                            origin: None,
                            body: Body::Known(Spec::Instance(Instance {
                                identifier: inst.identifier.clone(),
                                engine: Some(inst.engine.clone()),
                                engine_version: inst.engine_version.clone(),
                            })),
                        });
                        match &inst.databases {
                            Some(dbs) => {
                                for d in dbs {
                                    let db = Database {
                                        mysql: db_kind == Kind::MysqlDatabase,
                                        instance: natural.clone(),
                                        name: d.datname.clone(),
                                        is_template: d.datistemplate,
                                    };
                                    state.push(Item {
                                        kind: db_kind,
                                        id: db.id(),
                                        scope: natural.clone(),
                                        origin: None,
                                        body: Body::Known(Spec::Database(db)),
                                    });
                                }
                            }
                            None => {
                                let key = (db_kind, natural.clone());
                                if let Some(why) = &inst.databases_not_read {
                                    state.unchecked_scopes.insert(key, why.clone());
                                } else if !scope.database_instances.contains_key(&natural) {
                                    // The code declares no database there.
                                } else if !state.failed_scopes.contains(&key) {
                                    state.errors.push(SourceError {
                                        source: format!("postgres:{}", inst.identifier),
                                        message:
                                            "the snapshot does not list this instance's databases"
                                                .into(),
                                    });
                                    state.failed_scopes.insert(key);
                                }
                            }
                        }
                    }
                }
            }
        }
        if families.contains(&Family::Rds)
            && let Some(rds) = &self.rds
        {
            for inst in &rds.instances {
                if let Some(key) = &inst.kms_key_id {
                    let kind = if inst.cluster {
                        Kind::RdsCluster
                    } else {
                        Kind::RdsInstance
                    };
                    let key = resolve_key(self, scope, key);
                    state.key_users.push((kind, inst.natural_id(), key));
                }
            }
        }
        if families.contains(&Family::Cloudfront) {
            match &self.cloudfront {
                None => missing(&mut state, Family::Cloudfront),
                Some(cf) => {
                    state.listed.insert(Family::Cloudfront);
                    for d in &cf.distributions {
                        let dist = d.to_model();
                        let Some(id) = dist.natural_id() else {
                            continue;
                        };
                        state.push(Item {
                            kind: Kind::CloudfrontDistribution,
                            id: id.clone(),
                            scope: id,
                            origin: None,
                            body: Body::Known(Spec::Distribution(dist)),
                        });
                    }
                }
            }
        }
        if families.contains(&Family::S3) {
            match &self.s3 {
                None => missing(&mut state, Family::S3),
                Some(s3) => {
                    state.listed.insert(Family::S3);
                    for b in &s3.buckets {
                        let policy = match &b.policy {
                            None => Ok(None),
                            Some(p) => Policy::from_json_in(p, Some("aws")).map(Some),
                        };
                        let body = match policy {
                            Ok(policy) => Body::Known(Spec::Bucket(Bucket {
                                name: b.name.clone(),
                                encryption: Some(match &b.encryption {
                                    Some(e) => Encryption {
                                        algorithm: e.sse_algorithm.clone(),
                                        key: e
                                            .kms_master_key_id
                                            .as_deref()
                                            .map(|k| resolve_key(self, scope, k)),
                                    },
                                    None => Encryption {
                                        algorithm: "AES256".into(),
                                        key: None,
                                    },
                                }),
                                policy,
                                website: Some(b.website),
                            })),
                            Err(m) => Body::Unknown(format!(
                                "the live policy of bucket {} cannot be read: {m}",
                                b.name
                            )),
                        };
                        state.push(Item {
                            kind: Kind::S3Bucket,
                            id: b.name.clone(),
                            scope: b.name.clone(),
                            origin: None,
                            body,
                        });
                    }
                    state.buckets_elsewhere = s3.elsewhere.clone();
                }
            }
        }
        if families.contains(&Family::Elb)
            && let Some(elb) = &self.elb
        {
            state.listed.insert(Family::Elb);
            state.load_balancers.insert(
                elb.region.clone(),
                elb.load_balancers
                    .iter()
                    .map(|l| canonical_name(&l.dns_name))
                    .collect(),
            );
        }
        if families.contains(&Family::Rds)
            && let Some(rds) = &self.rds_endpoints
        {
            state.rds_endpoints.insert(
                rds.region.clone(),
                rds.addresses.iter().map(|a| canonical_name(a)).collect(),
            );
        }
        state
    }
}
