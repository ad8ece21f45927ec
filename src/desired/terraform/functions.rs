//! Terraform's built-in functions that KMS, Route 53 and RDS code uses (hcl-rs ships none).
//!
//! Each takes evaluated arguments and returns a value or an error message. An argument that is
//! unknown makes the result unknown, except for functions that only move values around
//! (`concat`, `merge`, `length`, …), which keep the unknown where it is. A function drift does
//! not implement yields an unknown value with the reason, never a guess.

use super::eval::{ModuleInstance, Scope};
use super::value::{Value, format_number};
use std::collections::BTreeMap;
use std::path::Path;

pub struct Ctx<'a> {
    pub module_dir: &'a Path,
    pub instance: &'a ModuleInstance,
    pub file: usize,
}

/// Functions that move values around without looking inside them.
const STRUCTURAL: &[&str] = &[
    "concat",
    "merge",
    "length",
    "tolist",
    "flatten",
    "lookup",
    "element",
    "keys",
    "values",
    "zipmap",
    "one",
    "coalescelist",
    "tomap",
    "slice",
    "reverse",
    "compact",
];

fn n_args(_name: &str, args: &[Value], n: std::ops::RangeInclusive<usize>) -> Result<(), String> {
    if n.contains(&args.len()) {
        Ok(())
    } else {
        Err(format!(
            "expects {} argument(s), got {}",
            if n.start() == n.end() {
                n.start().to_string()
            } else {
                format!("{} to {}", n.start(), n.end())
            },
            args.len()
        ))
    }
}

fn s(v: &Value) -> Result<String, String> {
    v.to_string_lossless()
}

fn list(v: &Value) -> Result<Vec<Value>, String> {
    match v {
        Value::List(l) => Ok(l.clone()),
        Value::Map(m) => Ok(m.values().cloned().collect()),
        other => Err(format!("expects a list, got a {}", other.type_name())),
    }
}

fn map(v: &Value) -> Result<BTreeMap<String, Value>, String> {
    match v {
        Value::Map(m) => Ok(m.clone()),
        Value::Resource(r) => Ok(r.attrs.clone()),
        Value::Null => Ok(BTreeMap::new()),
        other => Err(format!(
            "expects a map or object, got a {}",
            other.type_name()
        )),
    }
}

fn dedup(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn flatten_into(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::List(items) => items.into_iter().for_each(|i| flatten_into(i, out)),
        other => out.push(other),
    }
}

/// The fewest arguments each function takes (so no call can index past its arguments).
fn min_args(name: &str) -> usize {
    match name {
        "join" | "split" | "contains" | "element" | "index" | "zipmap" | "trimprefix"
        | "trimsuffix" | "trim" | "startswith" | "endswith" | "templatefile" | "lookup" => 2,
        "replace" | "slice" | "substr" => 3,
        "concat" | "merge" | "coalesce" | "coalescelist" | "setunion" | "timestamp" | "uuid"
        | "plantimestamp" | "range" | "max" | "min" => 0,
        _ => 1,
    }
}

pub fn call(name: &str, args: Vec<Value>, ctx: &Ctx<'_>) -> Result<Value, String> {
    let min = min_args(name);
    if args.len() < min {
        return Err(format!(
            "expects at least {min} argument(s), got {}",
            args.len()
        ));
    }
    if !STRUCTURAL.contains(&name) {
        if let Some(u) = args.iter().find_map(Value::find_unknown) {
            return Ok(Value::Unknown(u.clone()));
        }
    } else if let Some(Value::Unknown(u)) = args.iter().find(|a| matches!(a, Value::Unknown(_))) {
        return Ok(Value::Unknown(u.clone()));
    }
    let a = &args;
    match name {
        "jsonencode" => {
            n_args(name, a, 1..=1)?;
            let j = a[0].to_json().map_err(|u| u.reason)?;
            Ok(Value::String(j.to_string()))
        }
        "jsondecode" => {
            n_args(name, a, 1..=1)?;
            let j: serde_json::Value =
                serde_json::from_str(&s(&a[0])?).map_err(|e| format!("invalid JSON: {e}"))?;
            Ok(Value::from_json(&j))
        }
        "format" => {
            n_args(name, a, 1..=usize::MAX)?;
            format(&s(&a[0])?, &a[1..]).map(Value::String)
        }
        "formatlist" => {
            n_args(name, a, 1..=usize::MAX)?;
            let fmt = s(&a[0])?;
            let len = a[1..]
                .iter()
                .filter_map(|v| {
                    if let Value::List(l) = v {
                        Some(l.len())
                    } else {
                        None
                    }
                })
                .max()
                .unwrap_or(1);
            let mut out = Vec::new();
            for i in 0..len {
                let row: Vec<Value> = a[1..]
                    .iter()
                    .map(|v| match v {
                        Value::List(l) => l.get(i).cloned().unwrap_or(Value::Null),
                        other => other.clone(),
                    })
                    .collect();
                out.push(Value::String(format(&fmt, &row)?));
            }
            Ok(Value::List(out))
        }
        "concat" => {
            let mut out = Vec::new();
            for v in a {
                out.extend(list(v)?);
            }
            Ok(Value::List(out))
        }
        "merge" => {
            let mut out = BTreeMap::new();
            for v in a {
                if let Value::Null = v {
                    continue;
                }
                out.extend(map(v)?);
            }
            Ok(Value::Map(out))
        }
        "lookup" => {
            n_args(name, a, 2..=3)?;
            let m = map(&a[0])?;
            match m.get(&s(&a[1])?) {
                Some(v) => Ok(v.clone()),
                None => a.get(2).cloned().ok_or_else(|| {
                    format!("no key {:?} and no default", s(&a[1]).unwrap_or_default())
                }),
            }
        }
        "length" => {
            n_args(name, a, 1..=1)?;
            Ok(Value::Number(match &a[0] {
                Value::List(l) => l.len(),
                Value::Map(m) => m.len(),
                Value::String(st) => st.chars().count(),
                other => return Err(format!("cannot take the length of a {}", other.type_name())),
            } as f64))
        }
        "lower" => Ok(Value::String(s(&a[0])?.to_lowercase())),
        "upper" => Ok(Value::String(s(&a[0])?.to_uppercase())),
        "title" => Ok(Value::String(
            s(&a[0])?
                .split(' ')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" "),
        )),
        "replace" => {
            n_args(name, a, 3..=3)?;
            let (st, from, to) = (s(&a[0])?, s(&a[1])?, s(&a[2])?);
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                return Ok(Value::unknown(
                    "`replace()` with a regular expression is not evaluated by drift",
                ));
            }
            Ok(Value::String(st.replace(&from, &to)))
        }
        "join" => {
            n_args(name, a, 2..=usize::MAX)?;
            let sep = s(&a[0])?;
            let mut parts = Vec::new();
            for l in &a[1..] {
                for v in list(l)? {
                    parts.push(s(&v)?);
                }
            }
            Ok(Value::String(parts.join(&sep)))
        }
        "split" => {
            n_args(name, a, 2..=2)?;
            let (sep, st) = (s(&a[0])?, s(&a[1])?);
            if st.is_empty() {
                return Ok(Value::List(Vec::new()));
            }
            Ok(Value::List(
                st.split(sep.as_str())
                    .map(|p| Value::String(p.into()))
                    .collect(),
            ))
        }
        "tolist" => Ok(Value::List(list(&a[0])?)),
        "toset" => {
            let mut items = dedup(list(&a[0])?);
            items.sort_by_key(|v| v.to_string());
            Ok(Value::List(items))
        }
        "tomap" => Ok(Value::Map(map(&a[0])?)),
        "tostring" => match &a[0] {
            Value::Null => Ok(Value::Null),
            v => Ok(Value::String(s(v)?)),
        },
        "tonumber" => match &a[0] {
            Value::Null => Ok(Value::Null),
            v => Ok(Value::Number(v.as_number()?)),
        },
        "tobool" => match &a[0] {
            Value::Null => Ok(Value::Null),
            v => Ok(Value::Bool(v.truthy()?)),
        },
        "flatten" => {
            let mut out = Vec::new();
            flatten_into(Value::List(list(&a[0])?), &mut out);
            Ok(Value::List(out))
        }
        "distinct" => Ok(Value::List(dedup(list(&a[0])?))),
        "coalesce" => a
            .iter()
            .find(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
            .cloned()
            .ok_or_else(|| "no non-null, non-empty argument".into()),
        "coalescelist" => a
            .iter()
            .find(|v| matches!(v, Value::List(l) if !l.is_empty()))
            .cloned()
            .ok_or_else(|| "no non-empty list argument".into()),
        "keys" => Ok(Value::List(
            map(&a[0])?.into_keys().map(Value::String).collect(),
        )),
        "values" => Ok(Value::List(map(&a[0])?.into_values().collect())),
        "contains" => {
            n_args(name, a, 2..=2)?;
            Ok(Value::Bool(list(&a[0])?.contains(&a[1])))
        }
        "element" => {
            n_args(name, a, 2..=2)?;
            let l = list(&a[0])?;
            if l.is_empty() {
                return Err("element of an empty list".into());
            }
            Ok(l[(a[1].as_number()? as usize) % l.len()].clone())
        }
        "index" => {
            let l = list(&a[0])?;
            l.iter()
                .position(|v| v == &a[1])
                .map(|i| Value::Number(i as f64))
                .ok_or_else(|| "value not in list".into())
        }
        "compact" => Ok(Value::List(
            list(&a[0])?
                .into_iter()
                .filter(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
                .collect(),
        )),
        "one" => {
            let l = list(&a[0])?;
            match l.len() {
                0 => Ok(Value::Null),
                1 => Ok(l[0].clone()),
                n => Err(format!("expects at most one element, got {n}")),
            }
        }
        "reverse" => Ok(Value::List(list(&a[0])?.into_iter().rev().collect())),
        "slice" => {
            n_args(name, a, 3..=3)?;
            let l = list(&a[0])?;
            let (from, to) = (a[1].as_number()? as usize, a[2].as_number()? as usize);
            l.get(from..to)
                .map(|x| Value::List(x.to_vec()))
                .ok_or_else(|| "slice out of range".into())
        }
        "sort" => {
            let mut items = list(&a[0])?.iter().map(s).collect::<Result<Vec<_>, _>>()?;
            items.sort();
            Ok(Value::List(items.into_iter().map(Value::String).collect()))
        }
        "zipmap" => {
            let (k, v) = (list(&a[0])?, list(&a[1])?);
            Ok(Value::Map(
                k.iter()
                    .map(s)
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .zip(v)
                    .collect(),
            ))
        }
        "range" => {
            let nums = a
                .iter()
                .map(Value::as_number)
                .collect::<Result<Vec<_>, _>>()?;
            let (start, end, step) = match nums.as_slice() {
                [e] => (0.0, *e, 1.0),
                [s, e] => (*s, *e, 1.0),
                [s, e, st] => (*s, *e, *st),
                _ => return Err("expects 1 to 3 arguments".into()),
            };
            if step == 0.0 {
                return Err("step must not be zero".into());
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                out.push(Value::Number(x));
                x += step;
                if out.len() > 1_000_000 {
                    return Err("range too large".into());
                }
            }
            Ok(Value::List(out))
        }
        "max" | "min" => {
            let nums = a
                .iter()
                .map(Value::as_number)
                .collect::<Result<Vec<_>, _>>()?;
            let r = if name == "max" {
                nums.iter().cloned().fold(f64::MIN, f64::max)
            } else {
                nums.iter().cloned().fold(f64::MAX, f64::min)
            };
            Ok(Value::Number(r))
        }
        "abs" => Ok(Value::Number(a[0].as_number()?.abs())),
        "ceil" => Ok(Value::Number(a[0].as_number()?.ceil())),
        "floor" => Ok(Value::Number(a[0].as_number()?.floor())),
        "alltrue" => Ok(Value::Bool(
            list(&a[0])?
                .iter()
                .map(Value::truthy)
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .all(|b| b),
        )),
        "anytrue" => Ok(Value::Bool(
            list(&a[0])?
                .iter()
                .map(Value::truthy)
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .any(|b| b),
        )),
        "setunion" => {
            let mut out = Vec::new();
            for v in a {
                out.extend(list(v)?);
            }
            Ok(Value::List(dedup(out)))
        }
        "trimspace" => Ok(Value::String(s(&a[0])?.trim().to_string())),
        "trimprefix" => Ok(Value::String(
            s(&a[0])?
                .strip_prefix(s(&a[1])?.as_str())
                .map(str::to_string)
                .unwrap_or(s(&a[0])?),
        )),
        "trimsuffix" => Ok(Value::String(
            s(&a[0])?
                .strip_suffix(s(&a[1])?.as_str())
                .map(str::to_string)
                .unwrap_or(s(&a[0])?),
        )),
        "trim" => {
            let cut = s(&a[1])?;
            Ok(Value::String(
                s(&a[0])?.trim_matches(|c| cut.contains(c)).to_string(),
            ))
        }
        "startswith" => Ok(Value::Bool(s(&a[0])?.starts_with(&s(&a[1])?))),
        "endswith" => Ok(Value::Bool(s(&a[0])?.ends_with(&s(&a[1])?))),
        "substr" => {
            n_args(name, a, 3..=3)?;
            let st: Vec<char> = s(&a[0])?.chars().collect();
            let off = a[1].as_number()? as usize;
            let len = a[2].as_number()?;
            let end = if len < 0.0 {
                st.len()
            } else {
                (off + len as usize).min(st.len())
            };
            Ok(Value::String(
                st.get(off..end)
                    .map(|c| c.iter().collect())
                    .unwrap_or_default(),
            ))
        }
        "file" => {
            let path = ctx.module_dir.join(s(&a[0])?);
            std::fs::read_to_string(&path)
                .map(Value::String)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))
        }
        "templatefile" => {
            n_args(name, a, 2..=2)?;
            let path = ctx.module_dir.join(s(&a[0])?);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            let template = hcl_edit::parser::parse_template(&text)
                .map_err(|e| format!("`{}`: invalid template: {}", path.display(), e.message()))?;
            let mut scope = Scope::default();
            for (k, v) in map(&a[1])? {
                scope = scope.with(&k, v);
            }
            ctx.instance
                .eval_template(&template, &scope, ctx.file)
                .map_err(|e| format!("`{}`: {}", path.display(), e.message))
        }
        "timestamp" | "uuid" | "bcrypt" | "plantimestamp" => {
            Ok(Value::unknown(format!("`{name}()` changes on every run")))
        }
        other => Ok(Value::unknown(format!(
            "function `{other}()` is not evaluated by drift"
        ))),
    }
}

/// Terraform's `format` verbs: `%s %d %f %v %q %t %%`, with an optional precision for `%f`.
fn format(fmt: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut it = fmt.chars().peekable();
    let mut next = 0;
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&p) = it.peek() {
            if p.is_ascii_digit() || p == '.' || p == '-' || p == '+' || p == '#' {
                spec.push(p);
                it.next();
            } else {
                break;
            }
        }
        let verb = it.next().ok_or("format ends with `%`")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = args
            .get(next)
            .ok_or_else(|| format!("not enough arguments for {fmt:?}"))?;
        next += 1;
        match verb {
            's' | 'v' => out.push_str(&match arg {
                Value::String(st) => st.clone(),
                Value::Number(n) => format_number(*n),
                Value::Bool(b) => b.to_string(),
                other => other.to_json().map_err(|u| u.reason)?.to_string(),
            }),
            'q' => out.push_str(&serde_json::Value::String(s(arg)?).to_string()),
            'd' => out.push_str(&format!("{}", arg.as_number()? as i64)),
            'f' => {
                let prec = spec
                    .split('.')
                    .nth(1)
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(6);
                out.push_str(&format!("{:.*}", prec, arg.as_number()?));
            }
            't' => out.push_str(&arg.truthy()?.to_string()),
            'x' => out.push_str(&format!("{:x}", arg.as_number()? as i64)),
            other => return Err(format!("unsupported verb `%{other}`")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::terraform::value::number_to_json;

    #[test]
    fn format_verbs() {
        let args = [
            Value::String("a".into()),
            Value::Number(3.0),
            Value::Number(1.5),
        ];
        assert_eq!(format("%s-%d-%.1f%%", &args).unwrap(), "a-3-1.5%");
        assert_eq!(format("%q", &[Value::String("x".into())]).unwrap(), "\"x\"");
        assert!(format("%s %s", &args[..1]).is_err());
    }

    #[test]
    fn too_few_arguments_is_an_error_not_a_panic() {
        let module = std::rc::Rc::new(crate::desired::terraform::module::Module::default());
        let inst = ModuleInstance::new(
            module,
            String::new(),
            Default::default(),
            std::rc::Rc::new(Default::default()),
        );
        let ctx = Ctx {
            module_dir: std::path::Path::new("."),
            instance: &inst,
            file: 0,
        };
        for f in [
            "lower",
            "join",
            "replace",
            "substr",
            "element",
            "length",
            "jsonencode",
            "file",
        ] {
            assert!(call(f, Vec::new(), &ctx).is_err(), "{f}()");
        }
        assert_eq!(
            call("concat", Vec::new(), &ctx),
            Ok(Value::List(Vec::new()))
        );
    }

    #[test]
    fn numbers_encode_as_integers_when_whole() {
        assert_eq!(number_to_json(3.0).to_string(), "3");
        assert_eq!(number_to_json(1.5).to_string(), "1.5");
    }
}
