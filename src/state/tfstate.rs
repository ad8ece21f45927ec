//! Reads a Terraform state (format version 4: terraform 0.12 and later) into the snapshot
//! shape the live readers produce, so that what the state records is canonicalized by the
//! same rules as what AWS says: KMS keys with their policies and aliases, Route 53 zones and
//! records, RDS instances and clusters. drift only reads the file: it never writes, locks or
//! pulls a state.

use crate::error::{Error, Result};
use crate::live::snapshot::{
    AliasTargetJson, DbInstance, HostedZone, KmsKey, KmsSection, RdsSection, RecordSet,
    ResourceRecord, Route53Section, Snapshot,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn s(v: &Value, k: &str) -> Option<String> {
    v[k].as_str().filter(|x| !x.is_empty()).map(str::to_string)
}

/// Where a state is (the model's type: the desired side asks for other stacks' states).
pub use crate::model::StateSource as Source;

/// A state's JSON document, if it is one of format version 4; else what it is instead.
fn document(text: &str) -> std::result::Result<Value, String> {
    let j: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "not a Terraform state (invalid JSON at line {}): {e}",
            e.line()
        )
    })?;
    match j["version"].as_u64() {
        Some(4) => Ok(j),
        Some(v) => Err(format!(
            "Terraform state format version {v}: drift reads version 4 (written by terraform 0.12 and later)"
        )),
        None => Err("not a Terraform state: no `version`".into()),
    }
}

/// The state in `text` (read from `display`), as a snapshot of what it records
/// (`account_id`/`region` are the live side's: the state does not say them).
pub fn parse(text: &str, display: &str, account_id: &str, region: &str) -> Result<Snapshot> {
    let j = document(text).map_err(|message| Error::Invalid {
        path: display.to_string(),
        message,
    })?;
    // terraform never writes one address twice: a state that does is not one to take a
    // verdict from (which copy would apply believe?).
    let mut seen = std::collections::HashSet::new();
    for r in j["resources"].as_array().into_iter().flatten() {
        for inst in r["instances"].as_array().into_iter().flatten() {
            let address = instance_address(r, inst);
            if !seen.insert(address.clone()) {
                return Err(Error::Invalid {
                    path: display.to_string(),
                    message: format!(
                        "the state lists `{}` twice; terraform never writes such a state",
                        crate::report::safe_line(&crate::report::bounded(&address))
                    ),
                });
            }
        }
    }
    let mut keys: BTreeMap<String, KmsKey> = BTreeMap::new();
    let mut aliases: Vec<(String, String)> = Vec::new();
    let mut zones: BTreeMap<String, HostedZone> = BTreeMap::new();
    let mut records: Vec<(String, RecordSet)> = Vec::new();
    let mut instances = Vec::new();
    for r in j["resources"].as_array().into_iter().flatten() {
        if r["mode"] != "managed" {
            continue;
        }
        let rtype = r["type"].as_str().unwrap_or_default();
        for inst in r["instances"].as_array().into_iter().flatten() {
            let a = &inst["attributes"];
            match rtype {
                "aws_kms_key" => {
                    let Some(id) = s(a, "key_id") else { continue };
                    let policy = s(a, "policy")
                        .and_then(|p| serde_json::from_str(&p).ok())
                        .unwrap_or(Value::Null);
                    keys.insert(
                        id.clone(),
                        KmsKey {
                            key_id: id,
                            arn: s(a, "arn").unwrap_or_default(),
                            key_state: "Enabled".into(),
                            aliases: Vec::new(),
                            policy,
                            region: None,
                            account: None,
                            key_spec: None,
                            key_usage: None,
                            deletion_date: None,
                        },
                    );
                }
                "aws_kms_alias" => {
                    if let (Some(name), Some(target)) = (s(a, "name"), s(a, "target_key_id")) {
                        aliases.push((name, target));
                    }
                }
                "aws_route53_zone" => {
                    let Some(id) = s(a, "zone_id") else { continue };
                    let private = a["vpc"].as_array().is_some_and(|v| !v.is_empty());
                    zones.insert(
                        id.clone(),
                        HostedZone {
                            id: format!("/hostedzone/{id}"),
                            name: format!("{}.", s(a, "name").unwrap_or_default()),
                            private_zone: private,
                            account: None,
                            records: Vec::new(),
                            key_signing_keys: None,
                        },
                    );
                }
                "aws_route53_record" => {
                    let Some(zone) = s(a, "zone_id") else {
                        continue;
                    };
                    let alias =
                        a["alias"]
                            .as_array()
                            .and_then(|l| l.first())
                            .map(|x| AliasTargetJson {
                                hosted_zone_id: s(x, "zone_id").unwrap_or_default(),
                                dns_name: s(x, "name").unwrap_or_default(),
                                evaluate_target_health: x["evaluate_target_health"]
                                    .as_bool()
                                    .unwrap_or(false),
                            });
                    let name = s(a, "fqdn").or_else(|| s(a, "name")).unwrap_or_default();
                    let rtype = s(a, "type").unwrap_or_default();
                    records.push((
                        zone,
                        RecordSet {
                            name: format!("{}.", name.trim_end_matches('.')),
                            rtype: rtype.clone(),
                            set_identifier: s(a, "set_identifier"),
                            ttl: if alias.is_some() {
                                None
                            } else {
                                a["ttl"].as_i64()
                            },
                            resource_records: a["records"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|v| v.as_str())
                                // The state keeps the code's form; the snapshot the API's.
                                .map(|v| ResourceRecord {
                                    value: crate::model::dns::api_value(&rtype, v),
                                })
                                .collect(),
                            alias_target: alias,
                            weight: a["weighted_routing_policy"][0]["weight"].as_i64(),
                            failover: s(&a["failover_routing_policy"][0], "type"),
                            region: s(&a["latency_routing_policy"][0], "region"),
                            multi_value_answer: a["multivalue_answer_routing_policy"]
                                .as_bool()
                                .filter(|m| *m),
                            health_check_id: s(a, "health_check_id"),
                        },
                    ));
                }
                "aws_db_instance" | "aws_rds_cluster" => {
                    let cluster = rtype == "aws_rds_cluster";
                    let id = if cluster {
                        s(a, "cluster_identifier")
                    } else {
                        s(a, "identifier")
                    };
                    let Some(identifier) = id else { continue };
                    instances.push(DbInstance {
                        cluster,
                        identifier,
                        region: None,
                        account: None,
                        engine: s(a, "engine").unwrap_or_default(),
                        engine_version: s(a, "engine_version"),
                        status: "available".into(),
                        endpoint: None,
                        kms_key_id: None,
                        databases: None,
                        databases_not_read: None,
                    });
                }
                _ => {}
            }
        }
    }
    for (alias, target) in aliases {
        let target = target.rsplit('/').next().unwrap_or_default().to_string();
        if let Some(k) = keys.get_mut(&target) {
            k.aliases.push(alias);
        }
    }
    for (zone, rec) in records {
        if let Some(z) = zones.get_mut(&zone) {
            z.records.push(rec);
        }
    }
    Ok(recorded(
        keys.into_values().collect(),
        zones.into_values().collect(),
        instances,
        account_id,
        region,
    ))
}

/// A snapshot of what states record: these sections, and nothing a capture adds.
fn recorded(
    keys: Vec<KmsKey>,
    zones: Vec<HostedZone>,
    instances: Vec<DbInstance>,
    account_id: &str,
    region: &str,
) -> Snapshot {
    Snapshot {
        schema: crate::live::snapshot::SCHEMA.into(),
        account_id: account_id.into(),
        caller_arn: None,
        caller_user_id: None,
        region: region.into(),
        captured_at: String::new(),
        kms: Some(KmsSection { keys }),
        route53: Some(Route53Section { zones }),
        rds: Some(RdsSection { instances }),
        secrets: None,
        cloudfront: None,
        s3: None,
        elb: None,
        rds_endpoints: None,
        errors: Vec::new(),
        state: None,
        remote_states: Default::default(),
    }
}

/// What a state records of each managed resource instance, by address.
pub type Attributes = std::collections::HashMap<String, serde_json::Map<String, Value>>;

/// The attributes each managed resource instance has in the state, by its address as drift
/// writes it (`module.a.aws_lb.web`, `aws_route53_record.r["x"]`, `aws_instance.n[0]`): the
/// values AWS computed that the code refers to (`aws_lb.web.dns_name`).
pub fn attributes(text: &str) -> Attributes {
    let Ok(j) = serde_json::from_str::<Value>(text) else {
        return Default::default();
    };
    if j["version"].as_u64() != Some(4) {
        return Default::default();
    }
    let mut out = std::collections::HashMap::new();
    for r in j["resources"].as_array().into_iter().flatten() {
        if r["mode"] != "managed" {
            continue;
        }
        for inst in r["instances"].as_array().into_iter().flatten() {
            // What the state marks sensitive is never printed, wherever it ends up.
            crate::secrets::note_state_instance(inst);
            if let Some(attrs) = inst["attributes"].as_object() {
                out.insert(instance_address(r, inst), attrs.clone());
            }
        }
    }
    out
}

/// A resource instance's address as drift writes it (`module.a.aws_lb.web`,
/// `aws_route53_record.r["x"]`, `aws_instance.n[0]`, `data.aws_x.y`).
fn instance_address(r: &Value, inst: &Value) -> String {
    let module = r["module"]
        .as_str()
        .map(|m| format!("{m}."))
        .unwrap_or_default();
    let data = if r["mode"] == "data" { "data." } else { "" };
    let key = match &inst["index_key"] {
        Value::Null => String::new(),
        Value::Number(n) => format!("[{n}]"),
        other => format!("[{other}]"),
    };
    format!(
        "{module}{data}{}.{}{key}",
        r["type"].as_str().unwrap_or_default(),
        r["name"].as_str().unwrap_or_default()
    )
}

/// Where a state keeps a Route 53 record: its resource address (with instance keys) and its
/// `name` as the code wrote it, by the record's id (`fqdn/TYPE[/set identifier]`).
#[derive(Debug, Clone, PartialEq)]
pub struct StateRecord {
    pub address: String,
    pub name: String,
}

/// The Route 53 records among a state's `attributes`, by record id.
pub fn record_addresses(attrs: &Attributes) -> std::collections::HashMap<String, StateRecord> {
    attrs
        .iter()
        .filter(|(address, _)| {
            base_address(address).split('.').rev().nth(1) == Some("aws_route53_record")
        })
        .filter_map(|(address, a)| {
            let fqdn = a["fqdn"].as_str().filter(|f| !f.is_empty())?;
            let rtype = a["type"].as_str()?.to_string();
            let name = a["name"].as_str()?.to_string();
            let fqdn = crate::model::dns::canonical_name(fqdn);
            let id = match a["set_identifier"].as_str().filter(|x| !x.is_empty()) {
                Some(set) => format!("{fqdn}/{rtype}/{set}"),
                None => format!("{fqdn}/{rtype}"),
            };
            let address = address.clone();
            Some((id, StateRecord { address, name }))
        })
        .collect()
}

/// An address without its instance keys: `module.a["x"].aws_lb.web[0]` → `module.a.aws_lb.web`.
pub fn base_address(address: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut quoted = false;
    let mut prev = '\0';
    for c in address.chars() {
        match c {
            '"' if depth > 0 && prev != '\\' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
        prev = c;
    }
    out
}

/// Whether a state describes any of the code's resources: some resource it records is declared
/// (`declared`: the code's addresses without instance keys), directly or inside a module call
/// the code declares. A state that shares nothing is another root's.
pub fn describes(recorded: &Attributes, declared: &std::collections::HashSet<String>) -> bool {
    recorded.keys().any(|address| {
        let base = base_address(address);
        declared.iter().any(|d| {
            base == *d
                || base
                    .strip_prefix(d.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    })
}

/// Several states (one per root) as one: their sections put together.
pub fn merge(states: Vec<Snapshot>, account_id: &str, region: &str) -> Snapshot {
    let mut keys = Vec::new();
    let mut zones = Vec::new();
    let mut instances = Vec::new();
    for s in states {
        keys.extend(s.kms.map(|k| k.keys).unwrap_or_default());
        zones.extend(s.route53.map(|r| r.zones).unwrap_or_default());
        instances.extend(s.rds.map(|r| r.instances).unwrap_or_default());
    }
    recorded(keys, zones, instances, account_id, region)
}

/// The object key where terraform's `s3` backend keeps a workspace's state: `key` for the
/// `default` workspace, else `<workspace_key_prefix>/<workspace>/<key>` (prefix `env:` unless
/// set).
pub fn s3_workspace_key(key: &str, workspace: Option<&str>, prefix: Option<&str>) -> String {
    match workspace {
        Some(ws) if !ws.is_empty() && ws != "default" => {
            format!("{}/{ws}/{key}", prefix.unwrap_or("env:"))
        }
        _ => key.to_string(),
    }
}

/// The `outputs` a state records (format version 4), by name, each as the state writes it:
/// `{"value": …, "type": …, "sensitive": …}`.
pub fn outputs(
    text: &str,
    display: &str,
) -> std::result::Result<serde_json::Map<String, Value>, String> {
    let j = document(text).map_err(|e| format!("{display}: {e}"))?;
    Ok(j["outputs"].as_object().cloned().unwrap_or_default())
}

/// Outputs as a snapshot may keep them: a sensitive output's value is left out (only
/// `"sensitive": true` remains), since no secret is ever written into a snapshot.
pub fn outputs_without_secrets(
    outputs: &serde_json::Map<String, Value>,
) -> serde_json::Map<String, Value> {
    outputs
        .iter()
        .map(|(name, o)| {
            let kept = if o["sensitive"].as_bool() == Some(true) {
                serde_json::json!({ "sensitive": true })
            } else {
                o.clone()
            };
            (name.clone(), kept)
        })
        .collect()
}

/// The workspace terraform would use in `root`, as terraform decides it: `[terraform]
/// workspace` (`configured`), else `TF_WORKSPACE`, else the one `terraform workspace select`
/// recorded in the data directory (`<data_dir>/environment`; `data_dir` relative to the root,
/// default `TF_DATA_DIR` or `.terraform`), else `default`.
pub fn workspace(root: &Path, configured: Option<&str>, data_dir: Option<&str>) -> String {
    if let Some(ws) = configured.filter(|w| !w.is_empty()) {
        return ws.to_string();
    }
    if let Ok(ws) = std::env::var("TF_WORKSPACE")
        && !ws.is_empty()
    {
        return ws;
    }
    let dir = data_dir
        .map(str::to_string)
        .or_else(|| std::env::var("TF_DATA_DIR").ok())
        .unwrap_or_else(|| ".terraform".into());
    crate::input_file::read_text(&root.join(dir).join("environment"))
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| "default".into())
}

/// Where a root keeps the state of `workspace` by default: the object of a `backend "s3"`
/// block (its `bucket`, `key`, `region`, `workspace_key_prefix` and `use_path_style`), else
/// the local backend's file — the `path` of a `backend "local"` block or `terraform.tfstate`
/// for `default`, `<workspace_dir>/<workspace>/terraform.tfstate` (default
/// `terraform.tfstate.d`) for another workspace — when that file exists.
pub fn default_source(root: &Path, workspace: &str) -> Option<Source> {
    let other = workspace != "default";
    let mut path = root.join("terraform.tfstate");
    let mut workspace_dir = "terraform.tfstate.d".to_string();
    if let Ok(entries) = std::fs::read_dir(root) {
        for e in entries.flatten() {
            let file = e.path();
            if file.extension().is_none_or(|x| x != "tf") {
                continue;
            }
            // Only regular files: a FIFO named `*.tf` would block the run.
            let Ok(text) = crate::input_file::read_text(&file) else {
                continue;
            };
            // Only a file that names a backend is parsed here (the code is parsed once, by
            // the loader; parsing every file twice cost a tenth of a large estate's run).
            if !text.contains("backend") {
                continue;
            }
            let Ok(body) = hcl_edit::parser::parse_body(&text) else {
                continue;
            };
            for tf in body.get_blocks("terraform") {
                for b in tf.body.get_blocks("backend") {
                    let text_of = |name: &str| {
                        b.body
                            .get_attribute(name)
                            .and_then(|a| a.value.as_str().map(str::to_string))
                    };
                    if b.labels.first().is_some_and(|l| l.as_str() == "s3") {
                        let (Some(bucket), Some(key)) = (text_of("bucket"), text_of("key")) else {
                            continue;
                        };
                        let flag = |name: &str| {
                            b.body
                                .get_attribute(name)
                                .and_then(|a| a.value.as_bool())
                                .unwrap_or(false)
                        };
                        let key = s3_workspace_key(
                            &key,
                            Some(workspace),
                            text_of("workspace_key_prefix").as_deref(),
                        );
                        return Some(Source::S3 {
                            bucket,
                            key,
                            region: text_of("region"),
                            path_style: flag("use_path_style") || flag("force_path_style"),
                        });
                    }
                    if b.labels.first().is_some_and(|l| l.as_str() == "local") {
                        if let Some(p) = text_of("path") {
                            path = root.join(p);
                        }
                        if let Some(d) = text_of("workspace_dir") {
                            workspace_dir = d;
                        }
                    }
                }
            }
        }
    }
    if other {
        path = root
            .join(workspace_dir)
            .join(workspace)
            .join("terraform.tfstate");
    }
    path.is_file().then_some(Source::File(path))
}
