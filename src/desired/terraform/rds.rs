//! RDS from Terraform: `aws_db_instance` (identifier, engine, version) and the database its
//! `db_name` declares on it; Aurora's `aws_rds_cluster` (its `database_name` likewise) and
//! `aws_rds_cluster_instance`.

use super::eval::ModuleInstance;
use super::value::Value;
use super::{Instances, instances_of, origin};
use crate::error::Result;
use crate::model::{
    Body, Database, Instance, Item, Kind, Place, Spec, State, database_kind, placed_id,
};
use hcl_edit::Span;

/// The RDS resource types: the kind each makes, the attribute naming it, and the attributes
/// that name a database it must hold.
const TYPES: &[(&str, Kind, &str, &[&str])] = &[
    (
        "aws_db_instance",
        Kind::RdsInstance,
        "identifier",
        &["db_name", "name"],
    ),
    (
        "aws_rds_cluster",
        Kind::RdsCluster,
        "cluster_identifier",
        &["database_name"],
    ),
    (
        "aws_rds_cluster_instance",
        Kind::RdsInstance,
        "identifier",
        &[],
    ),
];

pub fn collect(inst: &ModuleInstance, state: &mut State) -> Result<()> {
    for (rtype, kind, id_attr, db_attrs) in TYPES {
        collect_type(inst, state, rtype, *kind, id_attr, db_attrs)?;
    }
    Ok(())
}

fn collect_type(
    inst: &ModuleInstance,
    state: &mut State,
    rtype: &str,
    kind: Kind,
    id_attr: &str,
    db_attrs: &[&str],
) -> Result<()> {
    for found in instances_of(inst, "resource", rtype) {
        let (decl, found) = found?;
        let base = format!("{}{rtype}.{}", inst.prefix, decl.item.name);
        let list = match found {
            Instances::Known(list) => list,
            Instances::Unknown(u) => {
                state.push(Item::unknown(
                    kind,
                    base.clone(),
                    origin(inst, decl, decl.item.block.span(), &base),
                    u.reason,
                ));
                continue;
            }
        };
        for r in list {
            let org = origin(inst, decl, decl.item.block.span(), &r.address);
            let identifier = match r.attrs.get(id_attr) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Unknown(u)) => {
                    state.push(Item::unknown(
                        kind,
                        r.address.clone(),
                        org,
                        u.reason.clone(),
                    ));
                    continue;
                }
                _ => {
                    state.push(Item::unknown(
                        kind,
                        r.address.clone(),
                        org,
                        format!("no `{id_attr}` in code: AWS generates one at create time"),
                    ));
                    continue;
                }
            };
            // Outside drift's default region the natural id carries the region.
            let identifier = match inst.resource_region(&decl.item.block, &r.attrs) {
                Ok(p) => {
                    let place = Place {
                        account: p.account(),
                        region: p.region.as_deref(),
                    };
                    let default = Place {
                        account: inst.env.account_id.as_deref(),
                        region: inst.env.region.as_deref(),
                    };
                    if let (Some(account), Some(role)) = (place.account, &p.role_arn) {
                        state.roles.insert(account.to_string(), role.clone());
                    }
                    placed_id(&identifier, place, default)
                }
                Err(reason) => {
                    state.push(Item::unknown(
                        kind,
                        r.address.clone(),
                        org,
                        format!("the region of `{}` is not known: {reason}", r.address),
                    ));
                    continue;
                }
            };
            state.scopes.insert((kind, identifier.clone()));
            let db_kind = database_kind(r.attrs.get("engine").and_then(Value::as_str));
            state.scopes.insert((db_kind, identifier.clone()));
            let engine = r.attrs.get("engine");
            let version = r.attrs.get("engine_version");
            let body = match (engine, version) {
                (Some(Value::Unknown(u)), _) | (_, Some(Value::Unknown(u))) => {
                    Body::Unknown(u.reason.clone())
                }
                _ => Body::Known(Spec::Instance(Instance {
                    identifier: identifier.clone(),
                    engine: engine.and_then(Value::as_str).map(str::to_string),
                    engine_version: version.and_then(|v| v.to_text().ok()),
                })),
            };
            state.push(Item {
                kind,
                id: identifier.clone(),
                scope: identifier.clone(),
                origin: Some(org.clone()),
                body,
            });
            // MySQL, MariaDB and PostgreSQL databases are listed; other engines' are not.
            let lists_databases = engine.and_then(Value::as_str).is_none_or(|e| {
                let e = e.to_lowercase();
                e.contains("postgres") || e.contains("mysql") || e.contains("mariadb")
            });
            let db_name = db_attrs.iter().find_map(|a| r.attrs.get(*a));
            match db_name {
                Some(Value::String(name)) if lists_databases => {
                    let db = Database {
                        mysql: db_kind == Kind::MysqlDatabase,
                        instance: identifier.clone(),
                        name: name.clone(),
                        is_template: false,
                    };
                    state.push(Item {
                        kind: db_kind,
                        id: db.id(),
                        scope: identifier.clone(),
                        origin: Some(org),
                        body: Body::Known(Spec::Database(db)),
                    });
                }
                Some(Value::Unknown(u)) if lists_databases => state.push(Item {
                    kind: db_kind,
                    id: format!("{identifier}/(db_name)"),
                    scope: identifier.clone(),
                    origin: Some(org),
                    body: Body::Unknown(u.reason.clone()),
                }),
                _ => {}
            }
        }
    }
    Ok(())
}
