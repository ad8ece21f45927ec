//! Terraform's built-in functions, one file per family as terraform documents them: strings,
//! collections, type conversion, numbers, encoding, `format`, and the filesystem.
//!
//! Each takes evaluated arguments and returns a value or an error message (which the
//! evaluator places at the call). An unknown argument makes the result unknown, except for the
//! functions that only move values around (`concat`, `merge`, `length`, …), which keep the
//! unknown where it is. A function drift does not implement yields an unknown value with the
//! reason, never a guess. Must not touch the syntax tree: `templatefile` goes through `Ctx`.

mod collections;
mod conversion;
mod encoding;
mod filesystem;
mod format;
mod numeric;
mod strings;

use super::eval::ModuleInstance;
use super::value::Value;
use std::path::Path;

pub struct Ctx<'a> {
    /// Terraform's working directory: the root module's, which relative paths are from.
    pub base_dir: &'a Path,
    pub instance: &'a ModuleInstance,
    pub file: usize,
}

type FResult = Result<Value, String>;

/// Functions that move values around without looking inside them: an unknown nested in an
/// argument stays nested in the result.
const STRUCTURAL: &[&str] = &[
    "concat",
    "merge",
    "length",
    "tolist",
    "toset",
    "tomap",
    "flatten",
    "lookup",
    "element",
    "keys",
    "values",
    "zipmap",
    "one",
    "coalescelist",
    "slice",
    "reverse",
];

/// Functions whose arguments may be null.
const ALLOW_NULL: &[&str] = &[
    "merge",
    "coalesce",
    "jsonencode",
    "tostring",
    "tonumber",
    "tobool",
    "tolist",
    "toset",
    "tomap",
    "format",
    "formatlist",
    "lookup",
    "compact",
    "try",
    "can",
    "concat",
    "coalescelist",
    "sensitive",
    "nonsensitive",
];

/// How many arguments each function takes: (fewest, most).
fn arity(name: &str) -> Option<(usize, usize)> {
    const MANY: usize = usize::MAX;
    Some(match name {
        "abs" | "ceil" | "floor" | "signum" | "lower" | "upper" | "title" | "trimspace"
        | "chomp" | "strrev" | "length" | "keys" | "values" | "tolist" | "toset" | "tomap"
        | "tostring" | "tonumber" | "tobool" | "flatten" | "distinct" | "compact" | "one"
        | "reverse" | "sort" | "alltrue" | "anytrue" | "sum" | "jsonencode" | "jsondecode"
        | "base64encode" | "base64decode" | "urlencode" | "file" | "fileexists" | "dirname"
        | "basename" | "sensitive" | "nonsensitive" => (1, 1),
        "join" | "concat" | "merge" | "coalesce" | "coalescelist" | "setunion"
        | "setintersection" | "setsubtract" | "format" | "formatlist" | "max" | "min" => match name
        {
            "join" | "format" | "formatlist" | "max" | "min" | "setsubtract" => (1, MANY),
            "merge" => (0, MANY),
            _ => (1, MANY),
        },
        "split" | "contains" | "element" | "index" | "zipmap" | "trimprefix" | "trimsuffix"
        | "trim" | "startswith" | "endswith" | "strcontains" | "chunklist" | "pow" | "log"
        | "regex" | "regexall" | "parseint" | "templatefile" | "indent" => (2, 2),
        "lookup" => (2, 3),
        "replace" | "slice" | "substr" => (3, 3),
        "range" => (1, 3),
        _ => return None,
    })
}

pub fn call(name: &str, mut args: Vec<Value>, ctx: &Ctx<'_>) -> FResult {
    if matches!(
        name,
        "timestamp" | "uuid" | "bcrypt" | "plantimestamp" | "uuidv5"
    ) {
        return Ok(Value::unknown(format!("`{name}()` changes on every run")));
    }
    let Some((min, max)) = arity(name) else {
        return Ok(Value::unknown(format!(
            "function `{name}()` is not evaluated by drift"
        )));
    };
    if args.len() < min || args.len() > max {
        return Err(if min == max {
            format!("takes {min} argument(s), got {}", args.len())
        } else if args.len() < min {
            format!("takes at least {min} argument(s), got {}", args.len())
        } else {
            format!("takes at most {max} argument(s), got {}", args.len())
        });
    }
    if STRUCTURAL.contains(&name) {
        if let Some(Value::Unknown(u)) = args.iter().find(|a| a.is_unknown()) {
            return Ok(Value::Unknown(u.clone()));
        }
    } else if let Some(u) = args.iter().find_map(Value::find_unknown) {
        return Ok(Value::Unknown(u.clone()));
    }
    if !ALLOW_NULL.contains(&name)
        && let Some(i) = args.iter().position(Value::is_null)
    {
        return Err(format!("argument {} must not be null", i + 1));
    }
    let a = &mut args;
    match name {
        // The value, marked: it is compared, and never shown (`crate::secrets`).
        "sensitive" => {
            if let Ok(j) = a[0].to_json() {
                crate::secrets::note_json(&j);
            }
            Ok(a.swap_remove(0))
        }
        "nonsensitive" => Ok(a.swap_remove(0)),
        "format" => format::format(a),
        "formatlist" => format::formatlist(a),
        "jsonencode" | "jsondecode" | "base64encode" | "base64decode" | "urlencode" => {
            encoding::call(name, a)
        }
        "file" | "fileexists" | "templatefile" | "dirname" | "basename" => {
            filesystem::call(name, a, ctx)
        }
        "tolist" | "toset" | "tomap" | "tostring" | "tonumber" | "tobool" => {
            conversion::call(name, a)
        }
        "abs" | "ceil" | "floor" | "signum" | "max" | "min" | "pow" | "log" | "parseint"
        | "sum" => numeric::call(name, a),
        "lower" | "upper" | "title" | "trimspace" | "chomp" | "strrev" | "split" | "join"
        | "trimprefix" | "trimsuffix" | "trim" | "startswith" | "endswith" | "strcontains"
        | "replace" | "substr" | "indent" | "regex" | "regexall" => strings::call(name, a),
        _ => collections::call(name, a),
    }
}

/// Argument `i` as a string (numbers and bools convert, as terraform's parameters do).
fn string_arg(a: &[Value], i: usize) -> Result<String, String> {
    super::value::convert::convert(a[i].clone(), &super::value::constraint::Constraint::String)
        .and_then(|v| v.to_text())
        .map_err(|m| format!("argument {}: {m}", i + 1))
}

/// Argument `i` as a number.
fn number_arg(a: &[Value], i: usize) -> Result<super::value::Number, String> {
    a[i].as_number()
        .map_err(|m| format!("argument {}: {m}", i + 1))
}

/// Argument `i` as a whole number that fits an `i64`.
fn int_arg(a: &[Value], i: usize) -> Result<i64, String> {
    let n = number_arg(a, i)?;
    if !n.is_int() {
        return Err(format!(
            "argument {}: a whole number is required, not {}",
            i + 1,
            n.to_text()
        ));
    }
    n.to_i64()
        .ok_or_else(|| format!("argument {}: {} is out of range", i + 1, n.to_text()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_argument_counts_are_errors_not_panics() {
        let module = std::rc::Rc::new(crate::desired::terraform::module::Module::default());
        let inst = ModuleInstance::new(
            module,
            String::new(),
            Default::default(),
            std::rc::Rc::new(Default::default()),
        );
        let ctx = Ctx {
            base_dir: Path::new("."),
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
            "format",
            "range",
            "lookup",
        ] {
            assert!(call(f, Vec::new(), &ctx).is_err(), "{f}()");
        }
        assert!(call("upper", vec![Value::string("a"), Value::string("b")], &ctx).is_err());
        // As terraform: `concat()` needs a list, `merge()` is an empty object.
        assert!(call("concat", Vec::new(), &ctx).is_err());
        assert_eq!(
            call("merge", Vec::new(), &ctx),
            Ok(Value::Object(Default::default()))
        );
    }
}
