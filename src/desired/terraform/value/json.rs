//! JSON text of values as terraform writes it (`jsonencode`: keys sorted, `<`, `>`, `&`,
//! U+2028 and U+2029 escaped, numbers exact) and reads it (`jsondecode`: objects become
//! objects, arrays tuples, numbers exact).

use super::{Number, Unknown, Value};
use std::fmt::Write;

/// `jsonencode`: the compact JSON text of a value. Errors name what cannot be encoded.
pub fn encode(v: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_value(v, &mut out)?;
    Ok(out)
}

fn write_value(v: &Value, out: &mut String) -> Result<(), String> {
    match v {
        Value::Null(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_inf() {
                return Err("cannot serialize infinity as JSON".into());
            }
            out.push_str(&n.to_text());
        }
        Value::String(s) => write_string(s, out),
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        Value::Map(_, _) | Value::Object(_) | Value::Resource(_) => {
            out.push('{');
            for (i, (k, item)) in v.as_attrs().into_iter().flatten().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(item, out)?;
            }
            out.push('}');
        }
        Value::Unknown(u) => return Err(u.reason.clone()),
    }
    Ok(())
}

/// A JSON string literal as Go's encoder writes it.
pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `jsondecode`.
pub fn decode(text: &str) -> Result<Value, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(from_serde(&v))
}

pub fn from_serde(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::null(),
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            Value::Number(Number::parse(&n.to_string()).unwrap_or_else(Number::zero))
        }
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Tuple(a.iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), from_serde(v))).collect())
        }
    }
}

pub fn to_serde(v: &Value) -> Result<serde_json::Value, Unknown> {
    Ok(match v {
        Value::Null(_) => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::from_str::<serde_json::Number>(&n.to_text())
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
            serde_json::Value::Array(items.iter().map(to_serde).collect::<Result<_, _>>()?)
        }
        Value::Map(_, _) | Value::Object(_) | Value::Resource(_) => serde_json::Value::Object(
            v.as_attrs()
                .into_iter()
                .flatten()
                .map(|(k, v)| Ok((k.clone(), to_serde(v)?)))
                .collect::<Result<_, _>>()?,
        ),
        Value::Unknown(u) => return Err(u.clone()),
    })
}
