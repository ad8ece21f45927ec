//! Conversion of values to types and constraints, and unification of types, as cty's
//! `convert` package does them: string/number/bool conversions, tuples to lists and sets,
//! objects to maps, maps to objects, optional attributes with defaults, and the common type of
//! a conditional's two results or a list's elements.

use super::constraint::{Attr, Constraint};
use super::{Number, Type, Value};
use std::collections::BTreeMap;

/// Converts a value to satisfy a constraint, or says why it cannot.
pub fn convert(v: Value, c: &Constraint) -> Result<Value, String> {
    match (&v, c) {
        (Value::Unknown(_), _) => return Ok(v),
        (_, Constraint::Any) => return Ok(v),
        (Value::Null(_), _) => return Ok(Value::Null(c.null_type())),
        _ => {}
    }
    match c {
        Constraint::Any => Ok(v),
        Constraint::String => match v {
            Value::String(_) => Ok(v),
            Value::Number(n) => Ok(Value::String(n.to_text())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            other => Err(format!("string required, but have {}", other.type_name())),
        },
        Constraint::Number => match v {
            Value::Number(_) => Ok(v),
            Value::String(s) => Number::parse(&s)
                .map(Value::Number)
                .ok_or_else(|| format!("a number is required, but have {s:?}")),
            other => Err(format!("number required, but have {}", other.type_name())),
        },
        Constraint::Bool => match v {
            Value::Bool(_) => Ok(v),
            Value::String(s) if s == "true" => Ok(Value::Bool(true)),
            Value::String(s) if s == "false" => Ok(Value::Bool(false)),
            Value::String(s) => Err(format!("a bool is required, but have {s:?}")),
            other => Err(format!("bool required, but have {}", other.type_name())),
        },
        Constraint::List(e) | Constraint::Set(e) => {
            let items = match v {
                Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => items,
                other => {
                    return Err(format!(
                        "{} required, but have {}",
                        if matches!(c, Constraint::List(_)) {
                            "list"
                        } else {
                            "set"
                        },
                        other.type_name()
                    ));
                }
            };
            let (ety, items) = convert_elements(items, e)?;
            Ok(if matches!(c, Constraint::List(_)) {
                Value::List(ety, items)
            } else {
                make_set(ety, items)
            })
        }
        Constraint::Map(e) => {
            let attrs = match v {
                Value::Map(_, m) | Value::Object(m) => m,
                Value::Resource(r) => r.attrs,
                other => return Err(format!("map required, but have {}", other.type_name())),
            };
            let keys: Vec<String> = attrs.keys().cloned().collect();
            let (ety, items) = convert_elements(attrs.into_values().collect(), e)
                .map_err(|m| m.replace("element", "map element"))?;
            Ok(Value::Map(ety, keys.into_iter().zip(items).collect()))
        }
        Constraint::Tuple(ts) => {
            let items = match v {
                Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => items,
                other => return Err(format!("tuple required, but have {}", other.type_name())),
            };
            if items.len() != ts.len() {
                return Err(format!(
                    "tuple required with {} elements, but have {}",
                    ts.len(),
                    items.len()
                ));
            }
            Ok(Value::Tuple(
                items
                    .into_iter()
                    .zip(ts)
                    .enumerate()
                    .map(|(i, (x, t))| convert(x, t).map_err(|m| format!("element {i}: {m}")))
                    .collect::<Result<_, _>>()?,
            ))
        }
        Constraint::Object(want) => {
            let mut have = match v {
                Value::Map(_, m) | Value::Object(m) => m,
                Value::Resource(r) => r.attrs,
                other => return Err(format!("object required, but have {}", other.type_name())),
            };
            let mut out = BTreeMap::new();
            for (
                name,
                Attr {
                    ty,
                    optional,
                    default,
                },
            ) in want
            {
                let given = have.remove(name);
                let value = match given {
                    Some(x) if !x.is_null() => {
                        convert(x, ty).map_err(|m| format!("attribute \"{name}\": {m}"))?
                    }
                    Some(_) | None if default.is_some() => {
                        default.clone().unwrap_or_else(Value::null)
                    }
                    Some(x) => convert(x, ty)?,
                    None if *optional => Value::Null(ty.null_type()),
                    None => return Err(format!("attribute \"{name}\" is required")),
                };
                out.insert(name.clone(), value);
            }
            Ok(Value::Object(out))
        }
    }
}

/// Converts elements to one element constraint; with `any`, to their common type.
fn convert_elements(items: Vec<Value>, e: &Constraint) -> Result<(Type, Vec<Value>), String> {
    let target = if matches!(e, Constraint::Any) {
        // An untyped null takes the type of the others.
        let types: Vec<Type> = items
            .iter()
            .filter(|v| !v.is_unknown() && !matches!(v, Value::Null(Type::Dynamic)))
            .map(Value::ty)
            .collect();
        let t = unify(&types).ok_or("all elements must have the same type")?;
        Constraint::from_type(&t)
    } else {
        e.clone()
    };
    let items: Vec<Value> = items
        .into_iter()
        .enumerate()
        .map(|(i, x)| convert(x, &target).map_err(|m| format!("element {i}: {m}")))
        .collect::<Result<_, _>>()?;
    let ety = match &target {
        Constraint::Any if !types_known(&items) => items
            .iter()
            .find(|v| !v.is_unknown())
            .map(Value::ty)
            .unwrap_or(Type::Dynamic),
        t => items
            .iter()
            .find(|v| !v.is_unknown() && !v.is_null())
            .map(Value::ty)
            .unwrap_or_else(|| t.null_type()),
    };
    Ok((ety, items))
}

/// Whether the elements carry a type beyond `dynamic` (a null or unknown does not).
fn types_known(items: &[Value]) -> bool {
    items
        .iter()
        .any(|v| !v.is_unknown() && !matches!(v, Value::Null(Type::Dynamic)))
}

/// A set: duplicates removed, in terraform's order (strings and numbers sorted, `false`
/// before `true`; other elements in the order given).
pub fn make_set(ety: Type, items: Vec<Value>) -> Value {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for i in items {
        if !out
            .iter()
            .any(|o| o.equals(&i) == Some(true) && !o.is_unknown())
        {
            out.push(i);
        }
    }
    // Nulls go after every value.
    out.sort_by_key(Value::is_null);
    match ety {
        Type::String => out.sort_by(|a, b| match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => x.cmp(y),
            _ => a.is_null().cmp(&b.is_null()),
        }),
        Type::Number => out.sort_by(|a, b| match (a, b) {
            (Value::Number(x), Value::Number(y)) => x.cmp_value(y),
            _ => std::cmp::Ordering::Equal,
        }),
        Type::Bool => out.sort_by_key(|v| matches!(v, Value::Bool(true))),
        _ => {}
    }
    Value::Set(ety, out)
}

/// The type all of `types` convert to, if there is one (cty's unification).
pub fn unify(types: &[Type]) -> Option<Type> {
    let Some(first) = types.first() else {
        return Some(Type::Dynamic);
    };
    if types.iter().all(|t| t == first) {
        return Some(first.clone());
    }
    if types.contains(&Type::Dynamic) {
        return Some(Type::Dynamic);
    }
    if types.iter().all(Type::is_primitive) {
        return types.contains(&Type::String).then_some(Type::String);
    }
    let elements = |f: fn(&Type) -> Option<&Type>| -> Option<Vec<Type>> {
        types.iter().map(|t| f(t).cloned()).collect()
    };
    if let Some(es) = elements(|t| if let Type::List(e) = t { Some(e) } else { None }) {
        return unify(&es).map(Type::list);
    }
    if let Some(es) = elements(|t| if let Type::Set(e) = t { Some(e) } else { None }) {
        return unify(&es).map(Type::set);
    }
    if let Some(es) = elements(|t| if let Type::Map(e) = t { Some(e) } else { None }) {
        return unify(&es).map(Type::map);
    }
    if types.iter().all(|t| matches!(t, Type::Tuple(_))) {
        let tuples: Vec<&Vec<Type>> = types
            .iter()
            .filter_map(|t| {
                if let Type::Tuple(v) = t {
                    Some(v)
                } else {
                    None
                }
            })
            .collect();
        if tuples.iter().all(|t| t.len() == tuples[0].len()) {
            let mut out = Vec::new();
            for i in 0..tuples[0].len() {
                let col: Vec<Type> = tuples.iter().map(|t| t[i].clone()).collect();
                out.push(unify(&col)?);
            }
            return Some(Type::Tuple(out));
        }
        let all: Vec<Type> = tuples.iter().flat_map(|t| t.iter().cloned()).collect();
        return unify(&all).map(Type::list);
    }
    if types.iter().all(|t| matches!(t, Type::Object(_))) {
        let objects: Vec<&BTreeMap<String, Type>> = types
            .iter()
            .filter_map(|t| {
                if let Type::Object(m) = t {
                    Some(m)
                } else {
                    None
                }
            })
            .collect();
        let same_keys = objects.iter().all(|o| o.keys().eq(objects[0].keys()));
        if same_keys {
            let mut out = BTreeMap::new();
            for k in objects[0].keys() {
                let col: Vec<Type> = objects.iter().map(|o| o[k].clone()).collect();
                out.insert(k.clone(), unify(&col)?);
            }
            return Some(Type::Object(out));
        }
        let all: Vec<Type> = objects.iter().flat_map(|o| o.values().cloned()).collect();
        return unify(&all).map(Type::map);
    }
    // Maps and objects together: a map of their common element type.
    if types
        .iter()
        .all(|t| matches!(t, Type::Map(_) | Type::Object(_)))
    {
        let all: Vec<Type> = types
            .iter()
            .flat_map(|t| match t {
                Type::Map(e) => vec![(**e).clone()],
                Type::Object(m) => m.values().cloned().collect(),
                _ => Vec::new(),
            })
            .collect();
        return unify(&all).map(Type::map);
    }
    // Lists and tuples together: a list of what all their elements unify to (terraform:
    // `cond ? concat(var.objs, [{…}]) : var.objs` is a list of maps when the objects' attributes
    // differ).
    if types
        .iter()
        .all(|t| matches!(t, Type::List(_) | Type::Tuple(_)))
    {
        let all: Vec<Type> = types
            .iter()
            .flat_map(|t| match t {
                Type::List(e) => vec![(**e).clone()],
                Type::Tuple(ts) => ts.clone(),
                _ => Vec::new(),
            })
            .collect();
        if let Some(e) = unify(&all) {
            return Some(Type::list(e));
        }
    }
    // Mixed kinds: the first type every other one converts to.
    types
        .iter()
        .find(|t| types.iter().all(|from| convertible(from, t)))
        .cloned()
}

/// Whether a value of type `from` converts to type `to`.
fn convertible(from: &Type, to: &Type) -> bool {
    use Type::*;
    match (from, to) {
        _ if from == to => true,
        (_, Dynamic) | (Dynamic, _) => true,
        (Number | Bool, String) | (String, Number | Bool) => true,
        (List(a) | Set(a), List(b) | Set(b)) => convertible(a, b),
        (Tuple(ts), List(b) | Set(b)) => ts.iter().all(|t| convertible(t, b)),
        (List(_) | Set(_), Tuple(_)) => false,
        (Tuple(a), Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| convertible(x, y))
        }
        (Map(a), Map(b)) => convertible(a, b),
        (Object(m), Map(b)) => m.values().all(|t| convertible(t, b)),
        (Map(a), Object(m)) => m.values().all(|t| convertible(a, t)),
        (Object(a), Object(b)) => b
            .iter()
            .all(|(k, t)| a.get(k).is_some_and(|f| convertible(f, t))),
        _ => false,
    }
}

/// Converts a value to a concrete type (as a unification result demands).
pub fn convert_to_type(v: Value, t: &Type) -> Result<Value, String> {
    convert(v, &Constraint::from_type(t))
}
