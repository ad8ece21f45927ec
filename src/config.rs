//! `drift.toml`: where the desired state is, where the live state comes from, and how to reach
//! AWS and the databases. Relative paths are relative to the config file's folder. Holds the
//! *name* of the variable with a database password, never a password.

use crate::error::{Error, Location, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    live: Option<String>,
    #[serde(default)]
    terraform: RawTerraform,
    manifest: Option<RawManifest>,
    #[serde(default)]
    aws: AwsConfig,
    #[serde(default)]
    postgres: BTreeMap<String, PostgresConfig>,
    /// `[mysql.<instance>]`: the same settings, for MySQL and MariaDB instances.
    #[serde(default)]
    mysql: BTreeMap<String, PostgresConfig>,
    /// `[[ignore]]`: accepted differences.
    #[serde(default)]
    ignore: Vec<RawIgnore>,
    #[serde(default)]
    history: HistoryConfig,
    #[serde(default)]
    secrets: SecretsConfig,
}

/// `[secrets]`: whether the new-service checklist reads the services' secrets' values
/// (`secretsmanager:GetSecretValue` on those secrets only) to compare the database they name;
/// off by default: only that each secret exists is checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    #[serde(default)]
    pub check_values: bool,
}

/// `[history]`: how many runs `--history DIR` keeps (default 90).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryConfig {
    pub keep: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    kind: String,
    id: String,
    field: Option<String>,
    reason: Option<String>,
    /// A TOML date (`2027-01-31`) or the same as a string.
    expires: Option<toml::Value>,
}

/// One `[[ignore]]` entry: findings of `kind` whose id matches the glob `id` (and, with
/// `field`, only their changes at that path) are accepted until `expires`, for `reason`.
#[derive(Debug, Clone, PartialEq)]
pub struct IgnoreRule {
    pub kind: String,
    pub id: String,
    pub field: Option<String>,
    pub reason: String,
    pub expires: Option<time::Date>,
}

/// Every kind a finding can have, as `[[ignore]]` names it.
fn kinds() -> Vec<&'static str> {
    crate::model::Kind::ALL.iter().map(|k| k.as_str()).collect()
}

fn ignore_rule(raw: RawIgnore, n: usize) -> std::result::Result<IgnoreRule, String> {
    let here = format!("[[ignore]] entry {n} (id = {:?})", raw.id);
    if !kinds().contains(&raw.kind.as_str()) {
        return Err(format!(
            "{here}: unknown kind `{}`; one of {}",
            raw.kind,
            kinds().join(", ")
        ));
    }
    let reason = raw
        .reason
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| format!("{here}: `reason` is required: say why this is accepted"))?;
    let expires = match raw.expires {
        None => None,
        Some(v) => {
            let text = match &v {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let format = time::macros::format_description!("[year]-[month]-[day]");
            Some(time::Date::parse(text.trim(), &format).map_err(|_| {
                format!("{here}: `expires` must be a date like 2027-01-31, not {text}")
            })?)
        }
    };
    Ok(IgnoreRule {
        kind: raw.kind,
        id: raw.id,
        field: raw.field,
        reason,
        expires,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerraform {
    #[serde(default)]
    roots: Vec<String>,
    #[serde(default)]
    var_files: Vec<String>,
    #[serde(default)]
    vars: BTreeMap<String, toml::Value>,
    /// Terraform's data directory (`.terraform`), relative to each root, as `TF_DATA_DIR`.
    data_dir: Option<String>,
    /// Terraform state files (format 4) for the three-way view, or `false`: no state is read.
    #[serde(default)]
    state: StateSetting,
    /// The Terraform workspace whose state the three-way view reads by default.
    workspace: Option<String>,
    /// `[[terraform.skip]]`: roots a `roots` pattern reaches that are left out, with why.
    #[serde(default)]
    skip: Vec<RawSkip>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSkip {
    path: String,
    reason: String,
}

/// `[terraform] state`: the files, or `true` (the default: each root's own state) / `false`
/// (no three-way view, no state read at all — for a role without access to the state).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StateSetting {
    Switch(bool),
    Files(Vec<String>),
}

impl Default for StateSetting {
    fn default() -> Self {
        StateSetting::Switch(true)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    path: String,
}

/// `[aws]`: region, profile, and how hard to try.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// `standard` (default) or `adaptive`.
    pub retry_mode: Option<String>,
    /// Attempts per call, including the first (default 3).
    pub max_attempts: Option<u32>,
    /// Concurrent per-key / per-zone calls in each account (default 8).
    pub concurrency: Option<usize>,
    /// Requests in flight at once, all accounts together (default 64).
    pub max_in_flight: Option<usize>,
    /// Per-attempt timeout in seconds (default 10).
    pub attempt_timeout_secs: Option<u64>,
    /// Whole-operation timeout in seconds (default 60).
    pub operation_timeout_secs: Option<u64>,
    /// Route 53 requests per second per account, evenly spaced (a bucket of 1): the older
    /// form of `[aws.limits] route53`, which wins when both are set. 0 paces nothing.
    pub route53_rps: Option<f64>,
    /// `[aws.limits]`: the token bucket per account of each service (`route53`, `rds`) or of
    /// each of its operations (`kms`, `secretsmanager`), as `{ burst, per_second }`.
    #[serde(default)]
    pub limits: RawLimits,
}

/// `[aws.limits]` as written: any service left out keeps its default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub route53: Option<crate::live::aws::pacer::Limit>,
    pub rds: Option<crate::live::aws::pacer::Limit>,
    pub kms: Option<crate::live::aws::pacer::Limit>,
    pub secretsmanager: Option<crate::live::aws::pacer::Limit>,
}

impl AwsConfig {
    /// The pacing limits: the defaults, `route53_rps`, then `[aws.limits]`.
    pub fn limits(&self) -> crate::live::aws::pacer::Limits {
        use crate::live::aws::pacer::{Limit, Limits};
        let mut l = Limits::default();
        if let Some(rps) = self.route53_rps {
            l.route53 = Limit {
                burst: 1.0,
                per_second: rps,
            };
        }
        let raw = &self.limits;
        for (slot, given) in [
            (&mut l.route53, raw.route53),
            (&mut l.rds, raw.rds),
            (&mut l.kms, raw.kms),
            (&mut l.secretsmanager, raw.secretsmanager),
        ] {
            if let Some(g) = given {
                *slot = g;
            }
        }
        l
    }
}

/// `[postgres.<instance>]`: how to list the databases of one RDS instance.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    /// The name of the environment variable holding the password (else `PGPASSWORD`).
    pub password_env: Option<String>,
    /// Use an RDS IAM authentication token instead of a password.
    #[serde(default)]
    pub iam_auth: bool,
    pub database: Option<String>,
    /// `require` (default) or `disable`.
    pub sslmode: Option<String>,
    pub ca_file: Option<PathBuf>,
    /// Connect timeout in seconds (default 10).
    pub connect_timeout_secs: Option<u64>,
    /// Query timeout in seconds (default 30): the client gives up, and the server's
    /// `statement_timeout` is set to it.
    pub query_timeout_secs: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub dir: PathBuf,
    pub live: Option<String>,
    pub roots: Vec<PathBuf>,
    /// The roots as discovered (`drift roots`): with their accounts and regions, and those
    /// skipped with why.
    pub found_roots: crate::fleet::roots::Found,
    pub var_files: Vec<PathBuf>,
    pub vars: BTreeMap<String, serde_json::Value>,
    /// Terraform's data directory relative to each root (`.terraform` when unset).
    pub data_dir: Option<String>,
    pub manifest: Option<PathBuf>,
    pub aws: AwsConfig,
    pub postgres: BTreeMap<String, PostgresConfig>,
    /// `[mysql.<instance>]`, same settings as `[postgres.…]` (port default 3306).
    pub mysql: BTreeMap<String, PostgresConfig>,
    /// `[[ignore]]` entries, in the file's order (the first that matches a finding applies).
    pub ignores: Vec<IgnoreRule>,
    pub history: HistoryConfig,
    pub secrets: SecretsConfig,
    /// `[terraform] state`: state files for the three-way view.
    pub states: Vec<PathBuf>,
    /// `[terraform] state = false`: no state is read unless `--state` names one.
    pub state_off: bool,
    /// `[terraform] workspace`: whose state is read by default (else as terraform decides).
    pub workspace: Option<String>,
}

fn to_json(v: toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => serde_json::Value::String(s),
        toml::Value::Integer(i) => serde_json::Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        toml::Value::Boolean(b) => serde_json::Value::Bool(b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(a) => serde_json::Value::Array(a.into_iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            serde_json::Value::Object(t.into_iter().map(|(k, v)| (k, to_json(v))).collect())
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let text = crate::input_file::read_text(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::Usage(format!(
                "no config file `{}`: create one (see README.md) or pass `-c FILE`",
                path.display()
            )),
            _ => Error::read("config file", path, e),
        })?;
        let display = path.display().to_string();
        let raw: Raw = toml::from_str(&text).map_err(|e| {
            let loc = match e.span() {
                Some(span) => Location::at_offset(&display, &text, span.start),
                None => Location::new(&display, 1, 1),
            };
            Error::input(loc, format!("invalid config: {}", e.message()))
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let rel = |p: &str| {
            let p = PathBuf::from(p);
            if p.is_absolute() { p } else { dir.join(p) }
        };
        if raw.terraform.roots.is_empty() && raw.manifest.is_none() {
            return Err(Error::Invalid {
                path: display,
                message: "nothing to check: set `[terraform] roots` or `[manifest] path`".into(),
            });
        }
        let ignores = raw
            .ignore
            .into_iter()
            .enumerate()
            .map(|(i, r)| ignore_rule(r, i + 1))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|message| Error::Invalid {
                path: display.clone(),
                message,
            })?;
        let limits = &raw.aws.limits;
        for (name, l) in [
            ("route53", limits.route53),
            ("rds", limits.rds),
            ("kms", limits.kms),
            ("secretsmanager", limits.secretsmanager),
        ] {
            if let Some(l) = l
                && !(l.burst.is_finite()
                    && l.burst >= 1.0
                    && l.per_second.is_finite()
                    && l.per_second >= 0.0)
            {
                return Err(Error::Invalid {
                    path: display.clone(),
                    message: format!(
                        "[aws.limits] {name}: `burst` must be at least 1 and `per_second` at least 0 (0 paces nothing)"
                    ),
                });
            }
        }
        if let Some(s) = raw
            .terraform
            .skip
            .iter()
            .find(|s| s.reason.trim().is_empty())
        {
            return Err(Error::Invalid {
                path: display.clone(),
                message: format!("[[terraform.skip]] `{}` has no reason", s.path),
            });
        }
        let skip = raw
            .terraform
            .skip
            .iter()
            .map(|s| (PathBuf::from(&s.path), s.reason.clone()))
            .collect();
        let found =
            crate::fleet::roots::expand(&dir, &raw.terraform.roots, &skip).map_err(|message| {
                Error::Invalid {
                    path: display.clone(),
                    message,
                }
            })?;
        let mut postgres = raw.postgres;
        let mut mysql = raw.mysql;
        for pg in postgres.values_mut().chain(mysql.values_mut()) {
            if let Some(ca) = &pg.ca_file {
                pg.ca_file = Some(rel(&ca.to_string_lossy()));
            }
        }
        Ok(Config {
            path: path.to_path_buf(),
            live: raw.live.map(|l| {
                if l == "aws" {
                    l
                } else {
                    rel(&l).to_string_lossy().into_owned()
                }
            }),
            roots: found.roots.iter().map(|r| r.dir.clone()).collect(),
            found_roots: found,
            var_files: raw.terraform.var_files.iter().map(|r| rel(r)).collect(),
            vars: raw
                .terraform
                .vars
                .into_iter()
                .map(|(k, v)| (k, to_json(v)))
                .collect(),
            data_dir: raw.terraform.data_dir,
            manifest: raw.manifest.map(|m| rel(&m.path)),
            aws: raw.aws,
            postgres,
            mysql,
            ignores,
            history: raw.history,
            secrets: raw.secrets,
            states: match &raw.terraform.state {
                StateSetting::Files(files) => files.iter().map(|r| rel(r)).collect(),
                StateSetting::Switch(_) => Vec::new(),
            },
            state_off: matches!(raw.terraform.state, StateSetting::Switch(false)),
            workspace: raw.terraform.workspace,
            dir,
        })
    }
}
