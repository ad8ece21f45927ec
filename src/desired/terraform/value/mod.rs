//! Values of the Terraform language as drift evaluates them: cty's typed values (lists, sets,
//! maps, tuples and objects kept apart; numbers of arbitrary precision; typed nulls), plus
//! *unknown*, which carries why it is unknown so that a finding built from it is "not checked"
//! with a reason instead of a false difference, and the configured attributes of a resource.
//!
//! Owns values, their types (`types`), conversion and unification (`convert`), type
//! constraints (`constraint`) and JSON (`json`). Knows nothing of the syntax tree.

pub mod constraint;
pub mod convert;
pub mod json;
pub mod number;
pub mod types;

pub use number::Number;
pub use types::Type;

use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub struct Unknown {
    pub reason: String,
    /// For a computed attribute: its address, e.g. `aws_route53_zone.main.zone_id`.
    pub reference: Option<String>,
    /// Set when the value is unknown because evaluating it failed: the error, with its
    /// `file:line:col`. The object that needed it is "not checked" and the run exits 1.
    pub error: Option<String>,
}

/// A managed resource (or data source) instance: its configured attributes, and what the
/// Terraform state records (consulted only when the code refers to an attribute it does not
/// set: what AWS computed); anything else is unknown.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceValue {
    pub address: String,
    pub attrs: BTreeMap<String, Value>,
    pub state: BTreeMap<String, Value>,
}

thread_local! {
    /// `address.attribute` of every value taken from the state and used this run.
    static STATE_USES: std::cell::RefCell<std::collections::BTreeSet<String>> =
        const { std::cell::RefCell::new(std::collections::BTreeSet::new()) };
}

/// Notes a value taken from a Terraform state (`data.terraform_remote_state.x.outputs`).
pub fn note_state_use(what: String) {
    STATE_USES.with(|u| u.borrow_mut().insert(what));
}

/// The values taken from the Terraform state that the code used since the last call.
pub fn take_state_uses() -> std::collections::BTreeSet<String> {
    STATE_USES.with(|u| std::mem::take(&mut *u.borrow_mut()))
}

impl ResourceValue {
    pub fn new(address: String, attrs: BTreeMap<String, Value>) -> ResourceValue {
        ResourceValue {
            address,
            attrs,
            state: BTreeMap::new(),
        }
    }

    /// An attribute as the code sets it, else as the state records it (noted).
    /// An attribute as a reference reads it: what the code sets, else what the state
    /// recorded; `None` when neither (known only after apply). An attribute the code sets to
    /// null is not null to a reader: the provider may compute it (an `aws_db_subnet_group`'s
    /// `name` left null is generated), so it reads as the state's value, or unknown.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        self.attrs.get(name).filter(|v| !v.is_null()).or_else(|| {
            let v = self.state.get(name);
            if v.is_some() {
                STATE_USES.with(|u| u.borrow_mut().insert(format!("{}.{name}", self.address)));
            }
            v
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null(Type),
    Bool(bool),
    Number(Number),
    String(String),
    /// A list with its element type.
    List(Type, Vec<Value>),
    /// A set with its element type, in terraform's order, without duplicates.
    Set(Type, Vec<Value>),
    Map(Type, BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    Object(BTreeMap<String, Value>),
    Resource(Box<ResourceValue>),
    Unknown(Unknown),
}

impl Value {
    pub fn null() -> Value {
        Value::Null(Type::Dynamic)
    }

    pub fn unknown(reason: impl Into<String>) -> Value {
        Value::Unknown(Unknown {
            reason: reason.into(),
            reference: None,
            error: None,
        })
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn int(n: i64) -> Value {
        Value::Number(Number::from_i64(n))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null(_))
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    pub fn ty(&self) -> Type {
        match self {
            Value::Null(t) => t.clone(),
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(t, _) => Type::list(t.clone()),
            Value::Set(t, _) => Type::set(t.clone()),
            Value::Map(t, _) => Type::map(t.clone()),
            Value::Tuple(items) => Type::Tuple(items.iter().map(Value::ty).collect()),
            Value::Object(m) => Type::Object(m.iter().map(|(k, v)| (k.clone(), v.ty())).collect()),
            Value::Resource(r) => {
                Type::Object(r.attrs.iter().map(|(k, v)| (k.clone(), v.ty())).collect())
            }
            Value::Unknown(_) => Type::Dynamic,
        }
    }

    /// A short name of the kind of value, for messages.
    pub fn type_name(&self) -> String {
        match self {
            Value::Null(_) => "null".into(),
            Value::Unknown(_) => "unknown value".into(),
            other => other.ty().friendly(),
        }
    }

    /// The first unknown inside this value, if any (deep).
    pub fn find_unknown(&self) -> Option<&Unknown> {
        match self {
            Value::Unknown(u) => Some(u),
            Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
                items.iter().find_map(Value::find_unknown)
            }
            Value::Map(_, m) | Value::Object(m) => m.values().find_map(Value::find_unknown),
            Value::Resource(r) => r.attrs.values().find_map(Value::find_unknown),
            _ => None,
        }
    }

    /// The elements of a list, set or tuple.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The attributes of a map, object or resource.
    pub fn as_attrs(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(_, m) | Value::Object(m) => Some(m),
            Value::Resource(r) => Some(&r.attrs),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Looks up an attribute; a resource's unset attribute is computed, so unknown.
    pub fn get_attr(&self, name: &str) -> Result<Value, String> {
        match self {
            Value::Object(m) => m
                .get(name)
                .cloned()
                .ok_or_else(|| format!("this object does not have an attribute named \"{name}\"")),
            Value::Map(_, m) => m
                .get(name)
                .cloned()
                .ok_or_else(|| format!("the map does not have an element with the key \"{name}\"")),
            Value::Resource(r) => Ok(r.attr(name).cloned().unwrap_or_else(|| {
                Value::Unknown(Unknown {
                    reason: format!("`{}.{name}` is known only after apply", r.address),
                    reference: Some(format!("{}.{name}", r.address)),
                    error: None,
                })
            })),
            Value::Unknown(u) => Ok(Value::Unknown(u.clone())),
            Value::Null(_) => Err(format!(
                "attempt to get attribute \"{name}\" from a null value"
            )),
            other => Err(format!(
                "can't access attributes on a primitive-typed value ({})",
                other.type_name()
            )),
        }
    }

    /// The value as text, the way terraform converts a primitive to a string.
    pub fn to_text(&self) -> Result<String, String> {
        match self {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_text()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Null(_) => Err("the value is null".into()),
            other => Err(format!(
                "a {} cannot be used as a string",
                other.type_name()
            )),
        }
    }

    /// A condition's value: a bool, or a string `"true"`/`"false"`.
    pub fn truthy(&self) -> Result<bool, String> {
        match self {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s == "true" => Ok(true),
            Value::String(s) if s == "false" => Ok(false),
            Value::Null(_) => Err("the condition value is null".into()),
            other => Err(format!("a bool is required, not a {}", other.type_name())),
        }
    }

    pub fn as_number(&self) -> Result<Number, String> {
        match self {
            Value::Number(n) => Ok(n.clone()),
            Value::String(s) => {
                Number::parse(s).ok_or_else(|| format!("a number is required, not {s:?}"))
            }
            Value::Null(_) => Err("a number is required, not null".into()),
            other => Err(format!("a number is required, not a {}", other.type_name())),
        }
    }

    /// Terraform's `==`: values of different types are never equal, except that every null
    /// equals every null; numbers compare by value. `None` when an unknown decides it.
    pub fn equals(&self, other: &Value) -> Option<bool> {
        match (self, other) {
            (Value::Unknown(_), _) | (_, Value::Unknown(_)) => return None,
            (Value::Null(_), Value::Null(_)) => return Some(true),
            (Value::Null(_), _) | (_, Value::Null(_)) => return Some(false),
            _ => {}
        }
        if self.ty() != other.ty() {
            return Some(false);
        }
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => Some(a == b),
            (Value::Number(a), Value::Number(b)) => Some(a == b),
            (Value::String(a), Value::String(b)) => Some(a == b),
            (Value::List(_, a), Value::List(_, b))
            | (Value::Set(_, a), Value::Set(_, b))
            | (Value::Tuple(a), Value::Tuple(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                let mut all = Some(true);
                for (x, y) in a.iter().zip(b) {
                    match x.equals(y) {
                        Some(false) => return Some(false),
                        None => all = None,
                        Some(true) => {}
                    }
                }
                all
            }
            _ => {
                let (Some(a), Some(b)) = (self.as_attrs(), other.as_attrs()) else {
                    return Some(false);
                };
                if a.len() != b.len() {
                    return Some(false);
                }
                let mut all = Some(true);
                for (k, x) in a {
                    match b.get(k).map(|y| x.equals(y)) {
                        Some(Some(true)) => {}
                        Some(None) => all = None,
                        _ => return Some(false),
                    }
                }
                all
            }
        }
    }

    /// To `serde_json` (for the resource readers and policy documents); unknown is an error.
    pub fn to_json(&self) -> Result<serde_json::Value, Unknown> {
        json::to_serde(self)
    }

    /// From a JSON value (tfvars JSON, `jsondecode`): objects are objects, arrays tuples.
    pub fn from_json(v: &serde_json::Value) -> Value {
        json::from_serde(v)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match json::encode(self) {
            Ok(j) => write!(f, "{j}"),
            Err(e) => write!(f, "({e})"),
        }
    }
}
