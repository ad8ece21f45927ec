//! Type constraints as `variable` blocks write them (`list(object({ name = string, ttl =
//! optional(number, 300) }))`, `any`, the legacy `"string"`), parsed from the syntax tree.
//!
//! Owns the constraint model and its parsing; conversion to a constraint is in `convert`.

use super::{Type, Value};
use hcl_edit::expr::{Expression, ObjectKey};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub enum Constraint {
    Any,
    Bool,
    Number,
    String,
    List(Box<Constraint>),
    Set(Box<Constraint>),
    Map(Box<Constraint>),
    Tuple(Vec<Constraint>),
    Object(BTreeMap<String, Attr>),
}

/// An object attribute of a constraint: `optional(...)` ones may be absent, and then take
/// their default (or null).
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    pub ty: Constraint,
    pub optional: bool,
    pub default: Option<Value>,
}

impl Constraint {
    /// The constraint that accepts exactly a concrete type (`dynamic` parts accept anything).
    pub fn from_type(t: &Type) -> Constraint {
        match t {
            Type::Dynamic => Constraint::Any,
            Type::Bool => Constraint::Bool,
            Type::Number => Constraint::Number,
            Type::String => Constraint::String,
            Type::List(e) => Constraint::List(Box::new(Constraint::from_type(e))),
            Type::Set(e) => Constraint::Set(Box::new(Constraint::from_type(e))),
            Type::Map(e) => Constraint::Map(Box::new(Constraint::from_type(e))),
            Type::Tuple(ts) => Constraint::Tuple(ts.iter().map(Constraint::from_type).collect()),
            Type::Object(m) => Constraint::Object(
                m.iter()
                    .map(|(k, t)| {
                        (
                            k.clone(),
                            Attr {
                                ty: Constraint::from_type(t),
                                optional: false,
                                default: None,
                            },
                        )
                    })
                    .collect(),
            ),
        }
    }

    /// The type a null of this constraint has.
    pub fn null_type(&self) -> Type {
        match self {
            Constraint::Any => Type::Dynamic,
            Constraint::Bool => Type::Bool,
            Constraint::Number => Type::Number,
            Constraint::String => Type::String,
            Constraint::List(e) => Type::list(e.null_type()),
            Constraint::Set(e) => Type::set(e.null_type()),
            Constraint::Map(e) => Type::map(e.null_type()),
            Constraint::Tuple(ts) => Type::Tuple(ts.iter().map(Constraint::null_type).collect()),
            Constraint::Object(m) => Type::Object(
                m.iter()
                    .map(|(k, a)| (k.clone(), a.ty.null_type()))
                    .collect(),
            ),
        }
    }

    /// Parses a type expression. `eval` evaluates the default of an `optional(T, default)`.
    pub fn parse(
        expr: &Expression,
        eval: &dyn Fn(&Expression) -> Result<Value, String>,
    ) -> Result<Constraint, String> {
        parse(expr, eval, false).map(|(c, _)| c)
    }
}

type Parsed = (Constraint, Option<(bool, Option<Value>)>);

fn parse(
    expr: &Expression,
    eval: &dyn Fn(&Expression) -> Result<Value, String>,
    in_object: bool,
) -> Result<Parsed, String> {
    let plain = |c: Constraint| Ok((c, None));
    match expr {
        Expression::Variable(v) => match v.as_str() {
            "string" => plain(Constraint::String),
            "number" => plain(Constraint::Number),
            "bool" => plain(Constraint::Bool),
            "any" => plain(Constraint::Any),
            "list" => plain(Constraint::List(Box::new(Constraint::Any))),
            "map" => plain(Constraint::Map(Box::new(Constraint::Any))),
            "set" => plain(Constraint::Set(Box::new(Constraint::Any))),
            other => Err(format!(
                "the keyword \"{other}\" is not a valid type constraint"
            )),
        },
        // Terraform 0.11's quoted forms.
        Expression::String(s) => match s.as_str() {
            "string" => plain(Constraint::String),
            "list" => plain(Constraint::List(Box::new(Constraint::Any))),
            "map" => plain(Constraint::Map(Box::new(Constraint::Any))),
            other => Err(format!("\"{other}\" is not a valid type constraint")),
        },
        Expression::Parenthesis(p) => parse(p.inner(), eval, in_object),
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args: Vec<&Expression> = call.args.iter().collect();
            let one = || -> Result<&Expression, String> {
                match args.as_slice() {
                    [a] => Ok(a),
                    _ => Err(format!("`{name}(...)` takes exactly one type argument")),
                }
            };
            match name {
                "list" => plain(Constraint::List(Box::new(Constraint::parse(one()?, eval)?))),
                "set" => plain(Constraint::Set(Box::new(Constraint::parse(one()?, eval)?))),
                "map" => plain(Constraint::Map(Box::new(Constraint::parse(one()?, eval)?))),
                "tuple" => match one()? {
                    Expression::Array(items) => plain(Constraint::Tuple(
                        items
                            .iter()
                            .map(|t| Constraint::parse(t, eval))
                            .collect::<Result<_, _>>()?,
                    )),
                    _ => Err("`tuple(...)` takes a list of types".into()),
                },
                "object" => match one()? {
                    Expression::Object(o) => {
                        let mut attrs = BTreeMap::new();
                        for (k, v) in o.iter() {
                            let key = match k {
                                ObjectKey::Ident(id) => id.as_str().to_string(),
                                ObjectKey::Expression(Expression::Variable(id)) => {
                                    id.as_str().to_string()
                                }
                                ObjectKey::Expression(Expression::String(s)) => {
                                    s.as_str().to_string()
                                }
                                _ => return Err("an object attribute name must be a name".into()),
                            };
                            let (ty, opt) = parse(v.expr(), eval, true)?;
                            let (optional, default) = opt.unwrap_or((false, None));
                            attrs.insert(
                                key,
                                Attr {
                                    ty,
                                    optional,
                                    default,
                                },
                            );
                        }
                        plain(Constraint::Object(attrs))
                    }
                    _ => Err("`object(...)` takes an object of attribute types".into()),
                },
                "optional" if in_object => {
                    let (ty, default) = match args.as_slice() {
                        [t] => (Constraint::parse(t, eval)?, None),
                        [t, d] => {
                            let ty = Constraint::parse(t, eval)?;
                            let raw = eval(d)?;
                            let dv = super::convert::convert(raw, &ty).map_err(|m| {
                                format!("invalid default value for optional attribute: {m}")
                            })?;
                            (ty, Some(dv))
                        }
                        _ => {
                            return Err(
                                "`optional(...)` takes a type and an optional default".into()
                            );
                        }
                    };
                    Ok((ty, Some((true, default))))
                }
                "optional" => {
                    Err("`optional(...)` is allowed only for an object type's attributes".into())
                }
                other => Err(format!("`{other}(...)` is not a type constructor")),
            }
        }
        _ => Err("a type constraint is a type name or a type constructor".into()),
    }
}
