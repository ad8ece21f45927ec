//! Type conversion functions: `tolist`, `toset`, `tomap`, `tostring`, `tonumber`, `tobool`,
//! each exactly the conversion a type constraint makes.

use super::FResult;
use crate::desired::terraform::value::Value;
use crate::desired::terraform::value::constraint::Constraint;
use crate::desired::terraform::value::convert::convert;

pub fn call(name: &str, a: &mut [Value]) -> FResult {
    let any = || Box::new(Constraint::Any);
    let target = match name {
        "tolist" => Constraint::List(any()),
        "toset" => Constraint::Set(any()),
        "tomap" => Constraint::Map(any()),
        "tostring" => Constraint::String,
        "tonumber" => Constraint::Number,
        _ => Constraint::Bool,
    };
    let v = std::mem::replace(&mut a[0], Value::null());
    if matches!(
        target,
        Constraint::String | Constraint::Number | Constraint::Bool
    ) && !(v.ty().is_primitive() || v.is_null())
    {
        return Err(format!(
            "cannot convert {} to {}",
            v.type_name(),
            &name[2..]
        ));
    }
    convert(v, &target).map_err(|m| format!("invalid value for parameter: {m}"))
}
