//! The canonical model: what both readers produce and the only thing `diff` looks at.
//!
//! Every value here is already normalized as docs/semantics.md says, so comparing two items is
//! comparing two canonical values. This module depends on nothing else in the crate; it knows
//! neither Terraform nor AWS.

pub mod bucket;
pub mod database;
pub mod distribution;
pub mod dns;
pub mod glob;
pub mod key_alias;
pub mod policy;
pub mod policy_eval;

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

pub use bucket::{Bucket, Encryption};
pub use database::{Database, Instance};
pub use distribution::{Distribution, DistributionOrigin, OriginAccess};
pub use dns::{AliasTarget, Record};
pub use key_alias::KeyAlias;
pub use policy::Policy;

/// The resource families drift reads; `--only` selects among them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Kms,
    Route53,
    Rds,
    /// Secrets Manager: the services' secrets of the new-service checklist.
    Secret,
    /// CloudFront distributions.
    Cloudfront,
    /// S3 buckets: default encryption, bucket policy, website.
    S3,
    /// Load balancers, as targets of records (not compared with code).
    Elb,
}

impl Family {
    pub const ALL: [Family; 7] = [
        Family::Kms,
        Family::Route53,
        Family::Rds,
        Family::Secret,
        Family::Cloudfront,
        Family::S3,
        Family::Elb,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Kms => "kms",
            Family::Route53 => "route53",
            Family::Rds => "rds",
            Family::Secret => "secret",
            Family::Cloudfront => "cloudfront",
            Family::S3 => "s3",
            Family::Elb => "elb",
        }
    }

    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of a compared object, as named in the JSON report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    KmsKeyPolicy,
    Route53Record,
    RdsInstance,
    /// An Aurora cluster.
    RdsCluster,
    PostgresDatabase,
    /// A database in a MySQL or MariaDB instance (or Aurora MySQL cluster).
    MysqlDatabase,
    /// A module call whose code drift could not read: what it declares is not checked.
    TerraformModule,
    /// A cross-resource rule's verdict on one subject (`rules/`): never a compared object.
    Rule,
    /// An item of the new-service checklist (`checklist/`): the services manifest against
    /// the repository's Helm values, Argo CD Applications and CI pipeline.
    ServiceChecklist,
    CloudfrontDistribution,
    S3Bucket,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::KmsKeyPolicy => "kms_key_policy",
            Kind::Route53Record => "route53_record",
            Kind::RdsInstance => "rds_instance",
            Kind::RdsCluster => "rds_cluster",
            Kind::PostgresDatabase => "postgres_database",
            Kind::MysqlDatabase => "mysql_database",
            Kind::TerraformModule => "terraform_module",
            Kind::Rule => "rule",
            Kind::ServiceChecklist => "service_checklist",
            Kind::CloudfrontDistribution => "cloudfront_distribution",
            Kind::S3Bucket => "s3_bucket",
        }
    }

    pub const ALL: [Kind; 11] = [
        Kind::KmsKeyPolicy,
        Kind::Route53Record,
        Kind::RdsInstance,
        Kind::RdsCluster,
        Kind::PostgresDatabase,
        Kind::MysqlDatabase,
        Kind::TerraformModule,
        Kind::Rule,
        Kind::ServiceChecklist,
        Kind::CloudfrontDistribution,
        Kind::S3Bucket,
    ];

    /// The kind a report names (`kms_key_policy`).
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The family; none for a module call, which may hold objects of any family, and for a
    /// rule, which reads several.
    pub fn family(self) -> Option<Family> {
        match self {
            Kind::KmsKeyPolicy => Some(Family::Kms),
            Kind::Route53Record => Some(Family::Route53),
            Kind::RdsInstance | Kind::RdsCluster | Kind::PostgresDatabase | Kind::MysqlDatabase => {
                Some(Family::Rds)
            }
            Kind::CloudfrontDistribution => Some(Family::Cloudfront),
            Kind::S3Bucket => Some(Family::S3),
            Kind::TerraformModule | Kind::Rule | Kind::ServiceChecklist => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a Terraform state is: a file, or the object an `s3` backend names (what the code's
/// `terraform_remote_state` asks for, and what the three-way view reads).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum StateSource {
    File(std::path::PathBuf),
    S3 {
        bucket: String,
        key: String,
        region: Option<String>,
        path_style: bool,
    },
}

impl StateSource {
    pub fn display(&self) -> String {
        match self {
            StateSource::File(p) => p.display().to_string(),
            StateSource::S3 { bucket, key, .. } => format!("s3://{bucket}/{key}"),
        }
    }
}

/// Whether the object `id` of `kind` belongs to `scope` (a zone's scope key for records, an
/// instance for databases), as the readers assign scopes.
pub fn in_scope(kind: Kind, id: &str, scope: &str) -> bool {
    match kind {
        Kind::Route53Record => {
            let (zone, _) = dns::parse_zone_scope(scope);
            let (id, account) = dns::split_account(id);
            let name = id.split('/').next().unwrap_or_default();
            account == dns::split_account(scope).1
                && (name == zone || name.ends_with(&format!(".{zone}")))
        }
        _ => id == scope || id.starts_with(&format!("{scope}/")),
    }
}

/// Where a desired item was declared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// Path as the user gave it (relative to the working directory when possible).
    pub file: String,
    pub line: usize,
    /// The Terraform address (`module.kms`, `aws_route53_record.www`), when declared in Terraform.
    #[serde(skip)]
    pub address: Option<String>,
}

/// The canonical content of one item.
#[derive(Clone, Debug, PartialEq)]
pub enum Spec {
    KeyPolicy(Policy),
    /// An alias of a key the code does not declare.
    KeyAlias(KeyAlias),
    Record(Record),
    Instance(Instance),
    Database(Database),
    Distribution(Distribution),
    Bucket(Bucket),
}

impl Spec {
    /// Differences from `self` (desired) to `live`, from the code's point of view:
    /// `add` = only live has it, `remove` = only the code has it.
    pub fn changes(&self, live: &Spec) -> Vec<Change> {
        match (self, live) {
            (Spec::KeyPolicy(d), Spec::KeyPolicy(l)) => d.changes(l),
            (Spec::KeyAlias(d), Spec::KeyAlias(l)) => d.changes(l),
            (Spec::Record(d), Spec::Record(l)) => d.changes(l),
            (Spec::Instance(d), Spec::Instance(l)) => d.changes(l),
            (Spec::Database(_), Spec::Database(_)) => Vec::new(),
            (Spec::Distribution(d), Spec::Distribution(l)) => d.changes(l),
            (Spec::Bucket(d), Spec::Bucket(l)) => d.changes(l),
            (d, l) => vec![Change::changed("", d.to_json(), l.to_json())],
        }
    }

    /// The canonical value as JSON, for display.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Spec::KeyPolicy(p) => p.to_json(),
            Spec::KeyAlias(a) => a.to_json(),
            Spec::Record(r) => r.to_json(),
            Spec::Instance(i) => i.to_json(),
            Spec::Database(d) => d.to_json(),
            Spec::Distribution(d) => d.to_json(),
            Spec::Bucket(b) => b.to_json(),
        }
    }

    /// Objects that exist without anyone declaring them (apex NS/SOA, system databases):
    /// never reported as unmanaged.
    pub fn is_implicit(&self) -> bool {
        match self {
            Spec::Record(r) => r.is_implicit(),
            Spec::Database(d) => d.is_implicit(),
            Spec::KeyPolicy(_)
            | Spec::KeyAlias(_)
            | Spec::Instance(_)
            | Spec::Distribution(_)
            | Spec::Bucket(_) => false,
        }
    }

    /// What a person runs to create a missing object when that is not a Terraform change
    /// (the SQL for a database); drift never runs it.
    pub fn remediation(&self) -> Option<String> {
        match self {
            Spec::Database(d) => Some(d.create_sql()),
            _ => None,
        }
    }

    /// Remarks about the live value a reader should see (e.g. a deleted role's unique id).
    pub fn hints(&self) -> Vec<String> {
        match self {
            Spec::KeyPolicy(p) => p.hints(),
            _ => Vec::new(),
        }
    }

    /// Values the code leaves to AWS, taken from `live`: what `terraform apply` keeps.
    pub fn fill_from(&mut self, live: &Spec) {
        match (self, live) {
            (Spec::Distribution(d), Spec::Distribution(l)) => d.fill_from(l),
            (Spec::Bucket(d), Spec::Bucket(l)) => d.fill_from(l),
            _ => {}
        }
    }
}

/// A hosted zone signed with DNSSEC by a KMS key (`aws_route53_key_signing_key`, `GetDNSSEC`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneSigning {
    /// The zone's scope (`example.com`, `example.com@private`, `…@ACCOUNT`).
    pub zone: String,
    /// AWS's zone id, when known (`Z123…`).
    pub zone_id: Option<String>,
    /// The key-signing key's name.
    pub name: String,
    /// The KMS key: its key policy's natural id when known, else as given (an ARN).
    pub key: String,
}

/// What AWS says of a KMS key besides its policy (`DescribeKey`), for rules; on the desired
/// side, what the code declares of it (spec, usage, enabled, region).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct KeyFacts {
    pub key_id: String,
    pub arn: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, `PendingImport`, `Unavailable`…
    pub state: String,
    /// When a key pending deletion is deleted (RFC 3339).
    pub deletion_date: Option<String>,
    /// `SYMMETRIC_DEFAULT`, `ECC_NIST_P256`…
    pub spec: Option<String>,
    /// `ENCRYPT_DECRYPT`, `SIGN_VERIFY`…
    pub usage: Option<String>,
    pub region: String,
}

/// Either a canonical value, or the reason it cannot be known.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Known(Spec),
    Unknown(String),
}

/// One object of the desired or the live state.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: Kind,
    /// The natural id (docs/semantics.md): stable across runs, the key both sides are matched by.
    pub id: String,
    /// What config scope the item belongs to (zone name, instance id, alias); live items
    /// outside every declared scope are never reported as unmanaged.
    pub scope: String,
    pub origin: Option<Origin>,
    pub body: Body,
}

impl Item {
    /// A desired item whose value cannot be known from code; with no scope, since what it
    /// belongs to is unknown too.
    pub fn unknown(
        kind: Kind,
        id: impl Into<String>,
        origin: Origin,
        reason: impl Into<String>,
    ) -> Item {
        Item {
            kind,
            id: id.into(),
            scope: String::new(),
            origin: Some(origin),
            body: Body::Unknown(reason.into()),
        }
    }
}

/// The kind of the databases an instance of `engine` holds: MySQL's for MySQL, MariaDB and
/// Aurora MySQL, else PostgreSQL's (drift's first and default family).
pub fn database_kind(engine: Option<&str>) -> Kind {
    match engine.map(str::to_lowercase) {
        Some(e) if e.contains("mysql") || e.contains("mariadb") => Kind::MysqlDatabase,
        _ => Kind::PostgresDatabase,
    }
}

/// The natural id of a regional object (a KMS alias, an RDS instance): as is in drift's
/// default account and region, `ID@REGION` in another region, `ID@ACCOUNT/REGION` in another
/// account, so that one name in two places is two objects.
pub fn placed_id(id: &str, place: Place<'_>, default: Place<'_>) -> String {
    match (place.account, place.region) {
        (Some(a), r) if Some(a) != default.account => {
            format!("{id}@{a}/{}", r.or(default.region).unwrap_or_default())
        }
        (_, Some(r)) if Some(r) != default.region => format!("{id}@{r}"),
        _ => id.to_string(),
    }
}

/// An account and region (`None`: the default one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Place<'a> {
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// The inverse of `placed_id`: the id and where it is (`None` parts: the default).
pub fn split_placed(id: &str) -> (&str, Place<'_>) {
    match id.rsplit_once('@') {
        Some((name, at)) => match at.split_once('/') {
            Some((account, region)) => (
                name,
                Place {
                    account: Some(account),
                    region: Some(region).filter(|r| !r.is_empty()),
                },
            ),
            None => (
                name,
                Place {
                    account: None,
                    region: Some(at),
                },
            ),
        },
        None => (id, Place::default()),
    }
}

/// The AWS partition of a region (`aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`).
pub fn partition_of(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    }
}

/// A failed read of one live family, or of part of one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceError {
    pub source: String,
    pub message: String,
}

/// A whole side: every item, the scopes it declares, and what could not be read.
#[derive(Clone, Debug, Default)]
pub struct State {
    pub items: Vec<Item>,
    /// (kind, scope) pairs the desired side declares; unused on the live side.
    pub scopes: BTreeSet<(Kind, String)>,
    /// Families (or parts of them) that could not be read.
    pub errors: Vec<SourceError>,
    /// Desired side: what terraform would warn about and plan anyway (a `check` block's
    /// failed assertion). Never drift, never an error.
    pub warnings: Vec<SourceError>,
    /// Families that failed entirely: their findings are absent, never "missing".
    pub failed: BTreeSet<Family>,
    /// Parts of a family that failed (one zone, one instance's databases).
    pub failed_scopes: BTreeSet<(Kind, String)>,
    /// Desired side: where each zone is declared (scope → origin with its address), so new
    /// records can be written next to it.
    pub zones: std::collections::BTreeMap<String, Origin>,
    /// Desired side: values the code can name, so written-back values use the code's idioms.
    pub references: Vec<CodeRef>,
    /// Desired side: the live objects a not-checked declaration could be. Those are never
    /// reported as unmanaged; the not-checked finding names them.
    pub claims: Vec<Claim>,
    /// Desired side: differences `lifecycle { ignore_changes }` tells terraform to leave.
    pub ignores: Vec<Ignore>,
    /// Live side: scopes deliberately not read (no connection settings, an engine drift does
    /// not list), with why: what the code declares there is not checked, which is no error.
    pub unchecked_scopes: std::collections::BTreeMap<(Kind, String), String>,
    /// Desired side: the role to assume to read each other account the code places objects in.
    pub roles: std::collections::BTreeMap<String, String>,
    /// Desired side: hosted zone ids the code names without declaring the zone; with their
    /// names (`GetHostedZone`) the code is read again.
    pub zone_ids_wanted: Vec<String>,
    /// Desired side: the states of other stacks the code reads outputs of (`data
    /// "terraform_remote_state"` over the `s3` backend) that were not given; once read, the
    /// code is read again.
    pub remote_states_wanted: Vec<StateSource>,
    /// Desired side: values drift assumes because the code does not set them (AWS's default
    /// key policy for a key declared without one). Terraform does not manage them: `apply`
    /// leaves a change to them alone.
    pub not_in_code: std::collections::HashSet<(Kind, String)>,
    /// Desired side: why `terraform apply` would not create a declared object that is
    /// missing (a key policy on a key the code does not declare: the key is not the code's).
    pub not_created_by_apply: std::collections::BTreeMap<(Kind, String), String>,
    /// Desired side: the Secrets Manager secrets the services manifest names.
    pub secrets: BTreeSet<String>,
    /// Each key by the natural id of its key policy item: live, what AWS says; desired, what
    /// the code declares of keys the rules need (DNSSEC signing keys).
    pub keys: std::collections::BTreeMap<String, KeyFacts>,
    /// The zones signed with DNSSEC and their keys.
    pub signing: Vec<ZoneSigning>,
    /// Live side: what stores data with a KMS key besides buckets (an RDS instance or
    /// cluster): (kind, id, the key's natural id or ARN).
    pub key_users: Vec<(Kind, String, String)>,
    /// Live side: the families whose every object of the account was listed (CloudFront's
    /// distributions, the buckets looked up): a rule may say that something is none of them.
    pub listed: BTreeSet<Family>,
    /// Live side: the load balancers' DNS names (canonical, without `dualstack.`) by the region
    /// listed.
    pub load_balancers: std::collections::BTreeMap<String, BTreeSet<String>>,
    /// Live side: every RDS endpoint address (instances, clusters' writer and reader) by the
    /// region listed.
    pub rds_endpoints: std::collections::BTreeMap<String, BTreeSet<String>>,
    /// Live side: bucket names looked up that are not the account's: `true` when the bucket
    /// exists in another account, `false` when no bucket has the name.
    pub buckets_elsewhere: std::collections::BTreeMap<String, bool>,
    /// Where each (kind, id) is in `items`.
    index: std::collections::HashMap<(Kind, String), usize>,
}

/// The attributes of one desired item that `ignore_changes` names, and the change paths they
/// cover (none listed: every change, as `ignore_changes = all`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignore {
    pub kind: Kind,
    pub id: String,
    /// As written in the code: `ttl`, `records`, `all`.
    pub attributes: Vec<String>,
    pub paths: Vec<String>,
}

impl Ignore {
    pub fn covers(&self, path: &str) -> bool {
        self.paths.is_empty()
            || self.paths.iter().any(|p| {
                path == p
                    || path
                        .strip_prefix(p.as_str())
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            })
    }
}

/// What a declaration whose identity is not known could match: live items of `kind` in
/// `scope` (any declared scope when `None`) whose id ends with `id_suffix` (any when `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub kind: Kind,
    pub scope: Option<String>,
    pub id_suffix: Option<String>,
    /// The id of the not-checked desired item that makes the claim.
    pub by: String,
}

impl Claim {
    pub fn covers(&self, live: &Item) -> bool {
        self.kind == live.kind
            && self.scope.as_ref().is_none_or(|s| *s == live.scope)
            && self
                .id_suffix
                .as_ref()
                .is_none_or(|x| dns::split_account(&live.id).0.ends_with(x.as_str()))
    }
}

/// A value the code can refer to by an expression, within one module folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRef {
    /// The module folder, as displayed (the parent of its files' display paths).
    pub dir: String,
    pub value: String,
    /// `var.NAME`, `local.NAME`, `data.aws_caller_identity.NAME.account_id`.
    pub expr: String,
    /// Lower is preferred when two expressions name the same value.
    pub rank: u8,
}

impl State {
    /// Adds an item. The same object twice with one value is kept once; with two different
    /// values it is a conflict: the object is not checked, and the conflict is an error that
    /// names both places (code) or says the snapshot disagrees with itself.
    pub fn push(&mut self, item: Item) {
        let key = (item.kind, item.id.clone());
        let Some(&at) = self.index.get(&key) else {
            self.index.insert(key, self.items.len());
            self.items.push(item);
            return;
        };
        let first = &mut self.items[at];
        if first.body == item.body || matches!(first.body, Body::Unknown(_)) {
            return;
        }
        let place = |o: &Option<Origin>| {
            o.as_ref()
                .map(|o| format!("{}:{}", o.file, o.line))
                .unwrap_or_default()
        };
        let (source, message) = match (&first.origin, &item.origin) {
            (Some(_), Some(_)) => (
                "terraform",
                format!(
                    "{} `{}` is declared twice with different values: at {} and at {}",
                    item.kind,
                    item.id,
                    place(&first.origin),
                    place(&item.origin)
                ),
            ),
            _ => (
                "snapshot",
                format!(
                    "the live state has two different values for {} `{}`",
                    item.kind, item.id
                ),
            ),
        };
        first.body = Body::Unknown(message.clone());
        self.errors.push(SourceError {
            source: source.into(),
            message,
        });
    }
}

/// How a part of an item differs, seen from the code: `add` means the live side has something
/// the code lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Add,
    Remove,
    Change,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub path: String,
    pub op: Op,
    pub desired: Option<serde_json::Value>,
    pub live: Option<serde_json::Value>,
}

impl Change {
    /// The path as reports show it: `(whole value)` when the whole value differs.
    pub fn shown_path(&self) -> &str {
        if self.path.is_empty() {
            "(whole value)"
        } else {
            &self.path
        }
    }

    pub fn add(path: impl Into<String>, live: serde_json::Value) -> Change {
        Change {
            path: path.into(),
            op: Op::Add,
            desired: None,
            live: Some(live),
        }
    }
    pub fn remove(path: impl Into<String>, desired: serde_json::Value) -> Change {
        Change {
            path: path.into(),
            op: Op::Remove,
            desired: Some(desired),
            live: None,
        }
    }
    pub fn changed(
        path: impl Into<String>,
        desired: serde_json::Value,
        live: serde_json::Value,
    ) -> Change {
        Change {
            path: path.into(),
            op: Op::Change,
            desired: Some(desired),
            live: Some(live),
        }
    }
}

/// Compares an optional scalar field and records a change when the two differ.
pub(crate) fn compare_field<T: PartialEq + Serialize>(
    out: &mut Vec<Change>,
    path: &str,
    desired: &Option<T>,
    live: &Option<T>,
) {
    if desired == live {
        return;
    }
    let json = |v: &Option<T>| serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
    match (desired, live) {
        (Some(_), None) => out.push(Change::remove(path, json(desired))),
        (None, Some(_)) => out.push(Change::add(path, json(live))),
        _ => out.push(Change::changed(path, json(desired), json(live))),
    }
}
