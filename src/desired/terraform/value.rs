//! Values of the Terraform expression language as drift evaluates them, including *unknown*.
//!
//! An unknown value carries why it is unknown (and, for a reference to a computed attribute,
//! which one), so that a finding built from it is "not checked" with a reason instead of a false
//! difference. Lists, tuples and sets are one `List`; maps and objects one `Map` (sorted keys, as
//! Terraform's object attributes are).

use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub struct Unknown {
    pub reason: String,
    /// For a computed attribute: its address, e.g. `aws_route53_zone.main.zone_id`.
    pub reference: Option<String>,
}

/// A managed resource (or data source) instance: its configured attributes; anything else is
/// computed by AWS and unknown.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceValue {
    pub address: String,
    pub attrs: BTreeMap<String, Value>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Resource(Box<ResourceValue>),
    Unknown(Unknown),
}

impl Value {
    pub fn unknown(reason: impl Into<String>) -> Value {
        Value::Unknown(Unknown {
            reason: reason.into(),
            reference: None,
        })
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Resource(_) => "object",
            Value::Unknown(_) => "unknown",
        }
    }

    /// The first unknown inside this value, if any (deep).
    pub fn find_unknown(&self) -> Option<&Unknown> {
        match self {
            Value::Unknown(u) => Some(u),
            Value::List(items) => items.iter().find_map(Value::find_unknown),
            Value::Map(m) => m.values().find_map(Value::find_unknown),
            Value::Resource(r) => r.attrs.values().find_map(Value::find_unknown),
            _ => None,
        }
    }

    /// Looks up an attribute; a resource's unset attribute is computed, so unknown.
    pub fn get_attr(&self, name: &str) -> Result<Value, String> {
        match self {
            Value::Map(m) => m
                .get(name)
                .cloned()
                .ok_or_else(|| format!("this object has no attribute `{name}`")),
            Value::Resource(r) => Ok(r.attrs.get(name).cloned().unwrap_or_else(|| {
                Value::Unknown(Unknown {
                    reason: format!("`{}.{name}` is known only after apply", r.address),
                    reference: Some(format!("{}.{name}", r.address)),
                })
            })),
            Value::Unknown(u) => Ok(Value::Unknown(u.clone())),
            Value::Null => Err(format!("attribute `{name}` of a null value")),
            other => Err(format!(
                "a {} has no attributes (looking up `{name}`)",
                other.type_name()
            )),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Converts to a string the way Terraform's automatic conversion does.
    pub fn to_string_lossless(&self) -> Result<String, String> {
        match self {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(format_number(*n)),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(format!(
                "a {} cannot be used as a string",
                other.type_name()
            )),
        }
    }

    pub fn truthy(&self) -> Result<bool, String> {
        match self {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s == "true" => Ok(true),
            Value::String(s) if s == "false" => Ok(false),
            other => Err(format!("a {} is not a bool", other.type_name())),
        }
    }

    pub fn as_number(&self) -> Result<f64, String> {
        match self {
            Value::Number(n) => Ok(*n),
            Value::String(s) => s.parse().map_err(|_| format!("{s:?} is not a number")),
            other => Err(format!("a {} is not a number", other.type_name())),
        }
    }

    /// Elements of a list, set or map (values in key order).
    pub fn elements(&self) -> Result<Vec<Value>, String> {
        match self {
            Value::List(v) => Ok(v.clone()),
            Value::Map(m) => Ok(m.values().cloned().collect()),
            other => Err(format!("a {} is not a collection", other.type_name())),
        }
    }

    /// To JSON, as `jsonencode` does (object keys sorted). Errors on unknown.
    pub fn to_json(&self) -> Result<serde_json::Value, Unknown> {
        Ok(match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => serde_json::Value::Array(
                items.iter().map(Value::to_json).collect::<Result<_, _>>()?,
            ),
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), v.to_json()?)))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Resource(r) => serde_json::Value::Object(
                r.attrs
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), v.to_json()?)))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Unknown(u) => return Err(u.clone()),
        })
    }

    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

pub fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_json() {
            Ok(j) => write!(f, "{j}"),
            Err(u) => write!(f, "(unknown: {})", u.reason),
        }
    }
}
