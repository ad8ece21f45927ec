//! Collection functions. Each keeps terraform's result types: `concat` of lists is a list but
//! of tuples a tuple, `keys` of an object is a tuple, `flatten` makes a tuple, the set
//! functions make sets in terraform's order.

use super::{FResult, int_arg, number_arg};
use crate::desired::terraform::value::constraint::Constraint;
use crate::desired::terraform::value::convert::{convert, convert_to_type, make_set, unify};
use crate::desired::terraform::value::{Number, Type, Value};
use std::collections::BTreeMap;

/// The most elements `range` makes (terraform's own limit).
const RANGE_LIMIT: usize = 1024;

pub fn call(name: &str, a: &mut [Value]) -> FResult {
    match name {
        "length" => {
            let n = match &a[0] {
                Value::String(s) => super::strings::grapheme_len(s),
                v => match (v.as_seq(), v.as_attrs()) {
                    (Some(items), _) => items.len(),
                    (_, Some(m)) => m.len(),
                    _ => return Err(format!("cannot take the length of a {}", v.type_name())),
                },
            };
            Ok(Value::int(n as i64))
        }
        "concat" => concat(a),
        "merge" => merge(a),
        "lookup" => {
            let key = super::string_arg(a, 1)?;
            let Some(m) = a[0].as_attrs() else {
                return Err(format!(
                    "the first argument must be a map or object, not a {}",
                    a[0].type_name()
                ));
            };
            match m.get(&key) {
                Some(v) => Ok(v.clone()),
                None => match (a.get(2), &a[0]) {
                    (Some(d), Value::Map(ety, _)) => convert_to_type(d.clone(), ety),
                    (Some(d), _) => Ok(d.clone()),
                    (None, _) => Err(format!("the given key {key:?} does not exist in the map")),
                },
            }
        }
        "keys" | "values" => {
            let Some(m) = a[0].as_attrs() else {
                return Err(format!(
                    "a map or object is required, not a {}",
                    a[0].type_name()
                ));
            };
            let keys = name == "keys";
            let items: Vec<Value> = if keys {
                m.keys().map(|k| Value::string(k.clone())).collect()
            } else {
                m.values().cloned().collect()
            };
            Ok(match (&a[0], keys) {
                (Value::Map(_, _), true) => Value::List(Type::String, items),
                (Value::Map(ety, _), false) => Value::List(ety.clone(), items),
                _ => Value::Tuple(items),
            })
        }
        "contains" => {
            let items = seq(&a[0], 1)?;
            Ok(Value::Bool(
                items.iter().any(|v| v.equals(&a[1]) == Some(true)),
            ))
        }
        "element" => {
            if matches!(a[0], Value::Set(..)) {
                return Err("cannot use element function with a set type".into());
            }
            let items = seq(&a[0], 1)?;
            let i = int_arg(a, 1)?;
            if i < 0 {
                return Err("cannot use element function with a negative index".into());
            }
            if items.is_empty() {
                return Err("cannot use element function with an empty list".into());
            }
            Ok(items[i as usize % items.len()].clone())
        }
        "index" => {
            // A set has no order, so no index (terraform refuses it).
            if matches!(a[0], Value::Set(..)) {
                return Err("argument 1 must be a list or tuple, not a set".into());
            }
            let items = seq(&a[0], 1)?;
            items
                .iter()
                .position(|v| v.equals(&a[1]) == Some(true))
                .map(|i| Value::int(i as i64))
                .ok_or_else(|| "item not found".into())
        }
        "compact" => {
            let list = convert(
                a[0].clone(),
                &Constraint::List(Box::new(Constraint::String)),
            )?;
            let items = list.as_seq().unwrap_or_default();
            Ok(Value::List(
                Type::String,
                items
                    .iter()
                    .filter(|v| !v.is_null() && v.as_str() != Some(""))
                    .cloned()
                    .collect(),
            ))
        }
        "one" => {
            let (items, ety) = match &a[0] {
                Value::List(t, items) | Value::Set(t, items) => (items.clone(), t.clone()),
                Value::Tuple(items) => (items.clone(), Type::Dynamic),
                Value::Null(_) => return Ok(Value::null()),
                other => {
                    return Err(format!(
                        "must be a list, set, or tuple value, not a {}",
                        other.type_name()
                    ));
                }
            };
            match items.len() {
                0 => Ok(Value::Null(ety)),
                1 => Ok(items[0].clone()),
                _ => Err(
                    "must be a list, set, or tuple value with either zero or one elements".into(),
                ),
            }
        }
        "reverse" => match &a[0] {
            Value::List(t, items) | Value::Set(t, items) => Ok(Value::List(
                t.clone(),
                items.iter().rev().cloned().collect(),
            )),
            Value::Tuple(items) => Ok(Value::Tuple(items.iter().rev().cloned().collect())),
            other => Err(format!(
                "can only reverse list or tuple values, not a {}",
                other.type_name()
            )),
        },
        "slice" => {
            let items = seq(&a[0], 1)?;
            let (from, to) = (int_arg(a, 1)?, int_arg(a, 2)?);
            if from < 0 {
                return Err("the start index must not be negative".into());
            }
            if to as usize > items.len() || to < 0 {
                return Err("the end index must not be greater than the length of the list".into());
            }
            if from > to {
                return Err("the start index must not be greater than the end index".into());
            }
            let part = items[from as usize..to as usize].to_vec();
            Ok(match &a[0] {
                Value::List(t, _) | Value::Set(t, _) => Value::List(t.clone(), part),
                _ => Value::Tuple(part),
            })
        }
        "sort" => {
            let list = convert(
                a[0].clone(),
                &Constraint::List(Box::new(Constraint::String)),
            )?;
            let mut items: Vec<String> = list
                .as_seq()
                .unwrap_or_default()
                .iter()
                .map(Value::to_text)
                .collect::<Result<_, _>>()?;
            items.sort();
            Ok(Value::List(
                Type::String,
                items.into_iter().map(Value::String).collect(),
            ))
        }
        "zipmap" => {
            let keys = convert(
                a[0].clone(),
                &Constraint::List(Box::new(Constraint::String)),
            )?;
            let keys = keys.as_seq().unwrap_or_default();
            let values = seq(&a[1], 2)?;
            if keys.len() != values.len() {
                return Err(format!(
                    "number of keys ({}) does not match number of values ({})",
                    keys.len(),
                    values.len()
                ));
            }
            let mut m = BTreeMap::new();
            for (k, v) in keys.iter().zip(values) {
                m.insert(k.to_text()?, v.clone());
            }
            Ok(match &a[1] {
                Value::List(t, _) | Value::Set(t, _) => Value::Map(t.clone(), m),
                _ => Value::Object(m),
            })
        }
        "range" => range(a),
        "flatten" => {
            let mut out = Vec::new();
            flatten_into(&a[0], &mut out)?;
            Ok(Value::Tuple(out))
        }
        "distinct" => {
            let list = convert(a[0].clone(), &Constraint::List(Box::new(Constraint::Any)))?;
            let Value::List(t, items) = list else {
                return Ok(list);
            };
            let mut out: Vec<Value> = Vec::new();
            for i in items {
                if !out.iter().any(|o| o.equals(&i) == Some(true)) {
                    out.push(i);
                }
            }
            Ok(Value::List(t, out))
        }
        "coalesce" => {
            let types: Vec<Type> = a.iter().filter(|v| !v.is_null()).map(Value::ty).collect();
            let t = unify(&types).ok_or("all arguments must have the same type")?;
            for v in a.iter() {
                if v.is_null() || v.as_str() == Some("") {
                    continue;
                }
                let c = convert_to_type(v.clone(), &t)?;
                if c.as_str() != Some("") {
                    return Ok(c);
                }
            }
            Err("no non-null, non-empty-string arguments".into())
        }
        "coalescelist" => a
            .iter()
            .find(|v| v.as_seq().is_some_and(|s| !s.is_empty()))
            .cloned()
            .ok_or_else(|| "no non-empty list arguments".into()),
        "setunion" | "setintersection" | "setsubtract" => set_op(name, a),
        "chunklist" => {
            let list = convert(a[0].clone(), &Constraint::List(Box::new(Constraint::Any)))?;
            let Value::List(t, items) = list else {
                return Ok(list);
            };
            let size = int_arg(a, 1)?;
            if size < 0 {
                return Err("the size argument must be positive".into());
            }
            let chunks: Vec<Value> = if size == 0 {
                vec![Value::List(t.clone(), items)]
            } else {
                items
                    .chunks(size as usize)
                    .map(|c| Value::List(t.clone(), c.to_vec()))
                    .collect()
            };
            Ok(Value::List(Type::list(t), chunks))
        }
        "alltrue" | "anytrue" => {
            let list = convert(a[0].clone(), &Constraint::List(Box::new(Constraint::Bool)))?;
            let items = list.as_seq().unwrap_or_default();
            let all = name == "alltrue";
            for v in items {
                let b = matches!(v, Value::Bool(true));
                if all && !b {
                    return Ok(Value::Bool(false));
                }
                if !all && b {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(all))
        }
        other => Err(format!("`{other}` is not a collection function")),
    }
}

/// The elements of a list, set or tuple argument (1-based position for the message).
fn seq(v: &Value, pos: usize) -> Result<&[Value], String> {
    v.as_seq().ok_or_else(|| {
        format!(
            "argument {pos}: a list, set or tuple is required, not a {}",
            v.type_name()
        )
    })
}

fn concat(a: &[Value]) -> FResult {
    if a.iter().all(|v| matches!(v, Value::List(..))) && !a.is_empty() {
        let types: Vec<Type> = a.iter().filter_map(|v| v.ty().element().cloned()).collect();
        if let Some(t) = unify(&types) {
            let mut out = Vec::new();
            for v in a {
                for x in v.as_seq().unwrap_or_default() {
                    out.push(convert_to_type(x.clone(), &t)?);
                }
            }
            return Ok(Value::List(t, out));
        }
    }
    let mut out = Vec::new();
    for (i, v) in a.iter().enumerate() {
        match v {
            Value::List(_, items) | Value::Tuple(items) => out.extend(items.iter().cloned()),
            other => {
                return Err(format!(
                    "argument {}: all arguments must be lists or tuples; got {}",
                    i + 1,
                    other.type_name()
                ));
            }
        }
    }
    Ok(Value::Tuple(out))
}

fn merge(a: &[Value]) -> FResult {
    let given: Vec<&Value> = a.iter().filter(|v| !v.is_null()).collect();
    for v in &given {
        if v.as_attrs().is_none() {
            return Err(format!(
                "arguments must be maps or objects, got {}",
                v.type_name()
            ));
        }
    }
    if !given.is_empty() && given.iter().all(|v| matches!(v, Value::Map(..))) {
        let types: Vec<Type> = given
            .iter()
            .filter_map(|v| v.ty().element().cloned())
            .collect();
        // Maps of one element type merge into a map; anything else into an object.
        if let Some(t) = types
            .first()
            .filter(|t| types.iter().all(|x| x == *t))
            .cloned()
        {
            let mut m = BTreeMap::new();
            for v in &given {
                for (k, x) in v.as_attrs().into_iter().flatten() {
                    m.insert(k.clone(), convert_to_type(x.clone(), &t)?);
                }
            }
            return Ok(Value::Map(t, m));
        }
    }
    let mut m = BTreeMap::new();
    for v in given {
        for (k, x) in v.as_attrs().into_iter().flatten() {
            m.insert(k.clone(), x.clone());
        }
    }
    Ok(Value::Object(m))
}

fn range(a: &[Value]) -> FResult {
    let nums: Vec<Number> = (0..a.len())
        .map(|i| number_arg(a, i))
        .collect::<Result<_, _>>()?;
    let (start, end, step) = match nums.as_slice() {
        [e] => {
            let step = if e.is_neg() { -1 } else { 1 };
            (Number::zero(), e.clone(), Number::from_i64(step))
        }
        [s, e] => {
            let step = if e.cmp_value(s).is_lt() { -1 } else { 1 };
            (s.clone(), e.clone(), Number::from_i64(step))
        }
        [s, e, st] => (s.clone(), e.clone(), st.clone()),
        _ => return Err("expects 1 to 3 arguments".into()),
    };
    if step.is_zero() {
        return Err("step must not be zero".into());
    }
    let up = !step.is_neg();
    if up && start.cmp_value(&end).is_gt() {
        return Err("when step is positive, start must be less than or equal to end".into());
    }
    if !up && start.cmp_value(&end).is_lt() {
        return Err("when step is negative, start must be greater than or equal to end".into());
    }
    let mut out = Vec::new();
    let mut x = start;
    while (up && x.cmp_value(&end).is_lt()) || (!up && x.cmp_value(&end).is_gt()) {
        if out.len() >= RANGE_LIMIT {
            return Err(format!(
                "more than {RANGE_LIMIT} values were generated; either decrease the difference between start and end or use a smaller step"
            ));
        }
        out.push(Value::Number(x.clone()));
        x = x.add(&step);
    }
    Ok(Value::List(Type::Number, out))
}

fn flatten_into(v: &Value, out: &mut Vec<Value>) -> Result<(), String> {
    match v.as_seq() {
        Some(items) => {
            for i in items {
                if i.as_seq().is_some() {
                    flatten_into(i, out)?;
                } else {
                    out.push(i.clone());
                }
            }
            Ok(())
        }
        None => Err(format!(
            "can only flatten lists, sets and tuples, not a {}",
            v.type_name()
        )),
    }
}

fn set_op(name: &str, a: &[Value]) -> FResult {
    let sets: Vec<Value> = a
        .iter()
        .map(|v| convert(v.clone(), &Constraint::Set(Box::new(Constraint::Any))))
        .collect::<Result<_, _>>()?;
    let types: Vec<Type> = sets
        .iter()
        .filter(|s| s.as_seq().is_some_and(|i| !i.is_empty()))
        .filter_map(|v| v.ty().element().cloned())
        .collect();
    let t = unify(&types).ok_or("given sets must all have compatible element types")?;
    let sets: Vec<Vec<Value>> = sets
        .into_iter()
        .map(|s| {
            s.as_seq()
                .unwrap_or_default()
                .iter()
                .map(|x| convert_to_type(x.clone(), &t))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()?;
    let has = |s: &[Value], x: &Value| s.iter().any(|y| y.equals(x) == Some(true));
    let items: Vec<Value> = match name {
        "setunion" => sets.concat(),
        "setintersection" => sets
            .first()
            .map(|first| {
                first
                    .iter()
                    .filter(|x| sets[1..].iter().all(|s| has(s, x)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default(),
        _ => sets
            .first()
            .map(|first| {
                first
                    .iter()
                    .filter(|x| !sets[1..].iter().any(|s| has(s, x)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default(),
    };
    Ok(make_set(t, items))
}
