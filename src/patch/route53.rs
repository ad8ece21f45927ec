//! Writes Route 53 records back into the code: a record that exists only in AWS becomes a new
//! `aws_route53_record` next to its zone plus an `import` block (Terraform ≥ 1.5) so `terraform
//! plan` adopts it; a changed record gets its `ttl`, `records` or `alias` edited in place.
//! Also the one-attribute edit of an RDS instance's `engine`.

use super::writer::{self, Block, Hcl};
use super::{Context, Files, declaration, is_literal, local_address, locate, names_for, source_of};
use crate::report::Finding;
use hcl_edit::Span;
use hcl_edit::expr::Expression;
use serde_json::Value as Json;

/// A resource name for a record: its first label relative to the zone (`cdn`, `apex`,
/// `wildcard`), made unique among the names already used.
fn resource_name(fqdn: &str, zone: &str, rtype: &str, taken: &dyn Fn(&str) -> bool) -> String {
    let rel = fqdn
        .strip_suffix(zone)
        .map(|r| r.trim_end_matches('.'))
        .unwrap_or(fqdn);
    let base = match rel {
        "" => "apex".to_string(),
        r => r
            .replace('*', "wildcard")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect(),
    };
    let base = if base.starts_with(|c: char| c.is_ascii_digit()) {
        format!("r_{base}")
    } else {
        base
    };
    let mut name = base.clone();
    if taken(&name) {
        name = format!("{base}_{}", rtype.to_lowercase());
    }
    let mut n = 2;
    while taken(&name) {
        name = format!("{base}_{}_{n}", rtype.to_lowercase());
        n += 1;
    }
    name
}

fn strings(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub fn add(f: &Finding, ctx: &Context<'_>, files: &mut Files) -> Result<(), String> {
    let rec = f.value.as_ref().ok_or("no live record")?;
    if rec.get("set_identifier").is_some() {
        return Err(
            "records with a set identifier need a routing policy block, which drift does not read"
                .into(),
        );
    }
    let fqdn = rec
        .get("name")
        .and_then(Json::as_str)
        .ok_or("no name")?
        .to_string();
    let rtype = rec
        .get("type")
        .and_then(Json::as_str)
        .ok_or("no type")?
        .to_string();
    // The zone: the longest declared zone the name falls in.
    let (scope, zone) = ctx
        .desired
        .zones
        .iter()
        .filter(|(scope, _)| {
            let (name, _) = crate::model::dns::parse_zone_scope(scope);
            fqdn == name || fqdn.ends_with(&format!(".{name}"))
        })
        .max_by_key(|(scope, _)| scope.len())
        .ok_or("its zone is not declared in code")?;
    let zone_address = zone.address.as_deref().ok_or("the zone has no address")?;
    if zone_address.starts_with("module.") {
        return Err(format!(
            "its zone is declared in a child module (`{zone_address}`); import blocks belong in the root module"
        ));
    }
    let zone_id = ctx
        .zone_ids
        .get(scope)
        .ok_or("the live zone id is not known")?;
    let (zone_name, _) = crate::model::dns::parse_zone_scope(scope);
    let display = zone.file.clone();
    let names = names_for(ctx, &display);
    let mut used: Vec<String> = Vec::new();
    for sib in Files::siblings(&display) {
        let (_, body) = files.get(&sib)?;
        for b in body.blocks().filter(|b| b.ident.as_str() == "resource") {
            if b.labels.first().map(|l| l.as_str()) == Some("aws_route53_record")
                && let Some(n) = b.labels.get(1)
            {
                used.push(n.as_str().to_string());
            }
        }
    }
    // Still in the Terraform state (removed from the code): back where the state has it, with
    // its `name` as written there (another name would make terraform replace the record), and
    // a `moved` block when that address cannot be written again here; else a new resource
    // and an `import` block.
    let in_state = ctx.state_records.get(&f.id);
    let taken = |n: &str| used.iter().any(|u| u == n);
    let same_address = in_state
        .and_then(|r| r.address.strip_prefix("aws_route53_record."))
        .filter(|label| {
            label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && !taken(label)
        });
    let name = match same_address {
        Some(label) => label.to_string(),
        None => resource_name(&fqdn, &zone_name, &rtype, &taken),
    };
    let record_name = in_state.map_or(fqdn.clone(), |r| r.name.clone());
    let mut attrs = vec![
        (
            "zone_id".to_string(),
            Hcl::Raw(format!("{}.zone_id", local_address(zone_address))),
        ),
        ("name".to_string(), Hcl::Str(record_name)),
        ("type".to_string(), Hcl::Str(rtype.clone())),
    ];
    let mut blocks = Vec::new();
    match rec.get("alias") {
        Some(a) => blocks.push(Block {
            ident: "alias".into(),
            labels: vec![],
            attrs: vec![
                (
                    "name".into(),
                    Hcl::Str(
                        a.get("name")
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .into(),
                    ),
                ),
                (
                    "zone_id".into(),
                    Hcl::Str(
                        a.get("zone_id")
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .into(),
                    ),
                ),
                (
                    "evaluate_target_health".into(),
                    Hcl::Raw(
                        a.get("evaluate_target_health")
                            .and_then(Json::as_bool)
                            .unwrap_or(false)
                            .to_string(),
                    ),
                ),
            ],
            blocks: vec![],
        }),
        None => {
            if let Some(ttl) = rec.get("ttl").and_then(Json::as_i64) {
                attrs.push(("ttl".into(), Hcl::Raw(ttl.to_string())));
            }
            attrs.push((
                "records".into(),
                Hcl::List(
                    strings(rec.get("records"))
                        .into_iter()
                        .map(Hcl::Str)
                        .collect(),
                ),
            ));
        }
    }
    let resource = Block {
        ident: "resource".into(),
        labels: vec!["aws_route53_record".into(), name.clone()],
        attrs,
        blocks,
    };
    let import_id = format!("{zone_id}_{fqdn}_{rtype}");
    let adopt = match (in_state, same_address) {
        (Some(_), Some(_)) => String::new(),
        (Some(r), None) => format!(
            "\n\nmoved {{\n  from = {}\n  to   = aws_route53_record.{name}\n}}",
            r.address
        ),
        (None, _) => format!(
            "\n\nimport {{\n  to = aws_route53_record.{name}\n  id = {}\n}}",
            serde_json::Value::String(import_id)
        ),
    };
    let (fe, _) = files.get(&display)?;
    let end = fe.text.len();
    let sep = if fe.text.ends_with("\n\n") || fe.text.is_empty() {
        ""
    } else if fe.text.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    fe.push(
        end..end,
        format!("{sep}{}{adopt}\n", writer::block(&resource, &names)),
    )
}

/// Replaces the value of attribute `key` in `block` (a literal or template only).
fn replace_attr(
    fe: &mut super::edits::FileEdits,
    block: &hcl_edit::structure::Block,
    key: &str,
    new: &str,
    at: &str,
) -> Result<(), String> {
    let attr = block
        .body
        .get_attribute(key)
        .ok_or_else(|| format!("no `{key}` to edit at {at}"))?;
    let literalish = is_literal(&attr.value)
        || matches!(&attr.value, Expression::StringTemplate(_))
        || matches!(&attr.value, Expression::Array(a) if a.iter().all(|e| is_literal(e) || matches!(e, Expression::StringTemplate(_))));
    if !literalish {
        return Err(format!(
            "`{key}` at {at} is written as `{}`: change the value it refers to",
            source_of(&fe.text, &attr.value)
        ));
    }
    let span = attr.value.span().ok_or("no position")?;
    fe.push(span, new.to_string())
}

pub fn edit(f: &Finding, ctx: &Context<'_>, files: &mut Files) -> Result<(), String> {
    let (file, address) = declaration(f)?;
    let names = names_for(ctx, file);
    let (block, at) = locate(files, file, address)?;
    let (fe, _) = files.get(file)?;
    for c in &f.changes {
        let live = c.live.as_ref();
        match c.path.as_str() {
            "ttl" => replace_attr(
                fe,
                &block,
                "ttl",
                &live
                    .and_then(Json::as_i64)
                    .ok_or("no live ttl")?
                    .to_string(),
                &at,
            )?,
            "records" => {
                let v = writer::value(
                    &Hcl::List(strings(live).into_iter().map(Hcl::Str).collect()),
                    &names,
                );
                replace_attr(fe, &block, "records", &v, &at)?;
            }
            // An attribute of a nested block: `alias.name`, `weighted_routing_policy.weight`.
            p if p.starts_with("alias.")
                || p.ends_with("_routing_policy.weight")
                || p.ends_with("_routing_policy.type")
                || p.ends_with("_routing_policy.region") =>
            {
                let (nested, key) = p.split_once('.').ok_or("no nested block")?;
                let inner = block
                    .body
                    .get_blocks(nested)
                    .next()
                    .ok_or_else(|| format!("no {nested} block at {at}"))?;
                let new = match live {
                    Some(Json::String(s)) => names.string(s),
                    Some(Json::Bool(b)) => b.to_string(),
                    Some(Json::Number(n)) => n.to_string(),
                    _ => {
                        return Err(format!(
                            "`{p}` is not set in AWS; drift does not remove it at {at}"
                        ));
                    }
                };
                replace_attr(fe, inner, key, &new, &at)?;
            }
            "health_check_id" => match live {
                Some(Json::String(s)) => {
                    replace_attr(fe, &block, "health_check_id", &names.string(s), &at)?
                }
                _ => {
                    return Err(format!(
                        "the health check was removed in AWS; drift does not remove `health_check_id` at {at}"
                    ));
                }
            },
            "multivalue_answer_routing_policy" => {
                let new = live.and_then(Json::as_bool).unwrap_or(false).to_string();
                replace_attr(fe, &block, "multivalue_answer_routing_policy", &new, &at)?;
            }
            other => {
                return Err(format!(
                    "`{}` changed between a plain and an alias record; drift does not rewrite the record at {at}",
                    if other.is_empty() {
                        "(whole record)"
                    } else {
                        other
                    }
                ));
            }
        }
    }
    Ok(())
}

pub fn edit_instance(f: &Finding, ctx: &Context<'_>, files: &mut Files) -> Result<(), String> {
    let (file, address) = declaration(f)?;
    let names = names_for(ctx, file);
    let (block, at) = locate(files, file, address)?;
    let (fe, _) = files.get(file)?;
    for c in &f.changes {
        match (c.path.as_str(), c.live.as_ref()) {
            ("engine", Some(Json::String(e))) => {
                replace_attr(fe, &block, "engine", &names.string(e), &at)?
            }
            (p, _) => {
                return Err(format!(
                    "drift does not write back `{p}` of an RDS instance"
                ));
            }
        }
    }
    Ok(())
}
