//! Evaluation of expressions as HCL defines them: literals, tuples and objects, conditionals
//! with type unification, operators with conversion, `for` expressions, splats, indexing and
//! function calls (with `try`/`can`, which look at errors).
//!
//! Works on the syntax tree and `value`; references are resolved in `eval/mod.rs`.

use super::{EResult, EvalError, ModuleInstance, Scope, err};
use crate::desired::terraform::functions;
use crate::desired::terraform::value::constraint::Constraint;
use crate::desired::terraform::value::convert::{convert, convert_to_type, unify};
use crate::desired::terraform::value::{Number, Type, Value};
use hcl_edit::Span;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use std::collections::BTreeMap;
use std::ops::Range;

impl ModuleInstance {
    /// Evaluates an expression written in file `file` of this module.
    pub fn eval(&self, expr: &Expression, scope: &Scope, file: usize) -> EResult<Value> {
        let span = expr.span();
        let e = |m: String| err(m, file, span.clone());
        match expr {
            Expression::Null(_) => Ok(Value::null()),
            Expression::Bool(b) => Ok(Value::Bool(**b)),
            Expression::Number(n) => {
                let text = span
                    .clone()
                    .and_then(|r| self.module.files.get(file)?.text.get(r).map(str::to_string));
                // The literal as written, for its exact value; a span that is not this
                // literal (a template parsed from another text) falls back to the float.
                let approx = n.as_f64().unwrap_or(f64::NAN);
                let parsed = text
                    .as_deref()
                    .map(str::trim)
                    .and_then(Number::parse)
                    .filter(|p| {
                        let f = p.to_f64();
                        // Beyond a float's range the parser saw zeros in its place
                        // (`module::huge_numbers`): the file's text is the value.
                        f == approx || ((f - approx) / approx).abs() < 1e-12 || !f.is_finite()
                    });
                Ok(Value::Number(parsed.unwrap_or_else(|| {
                    Number::parse(&n.to_string()).unwrap_or_else(Number::zero)
                })))
            }
            Expression::String(s) => Ok(functions_nfc(s.as_str())),
            Expression::Array(a) => Ok(Value::Tuple(
                a.iter()
                    .map(|x| self.eval(x, scope, file))
                    .collect::<EResult<_>>()?,
            )),
            Expression::Object(o) => {
                let mut m = BTreeMap::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(id) => id.as_str().to_string(),
                        ObjectKey::Expression(Expression::Variable(id)) => id.as_str().to_string(),
                        ObjectKey::Expression(x) => {
                            let kv = self.eval(x, scope, file)?;
                            if let Value::Unknown(u) = kv {
                                return Ok(Value::Unknown(u));
                            }
                            if kv.is_null() {
                                return Err(err("an object key must not be null", file, x.span()));
                            }
                            convert(kv, &Constraint::String)
                                .and_then(|v| v.to_text())
                                .map_err(|m| {
                                    err(format!("invalid object key: {m}"), file, x.span())
                                })?
                        }
                    };
                    // A repeated key: the last one wins, as in terraform.
                    m.insert(key, self.eval(v.expr(), scope, file)?);
                }
                Ok(Value::Object(m))
            }
            Expression::StringTemplate(t) => self.eval_template(t, scope, file),
            Expression::HeredocTemplate(h) => self.eval_heredoc(h, scope, file),
            Expression::Parenthesis(p) => self.eval(p.inner(), scope, file),
            Expression::Variable(v) => self.eval_traversal(v.as_str(), &[], scope, file, span),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => {
                    self.eval_traversal(v.as_str(), &t.operators, scope, file, span)
                }
                other => {
                    let base = self.eval(other, scope, file)?;
                    let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| &**o).collect();
                    self.apply_ops(base, &ops, scope, file, span)
                }
            },
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr, scope, file)?;
                let t = self.eval(&c.true_expr, scope, file);
                let f = self.eval(&c.false_expr, scope, file);
                if let Value::Unknown(u) = cond {
                    return Ok(Value::Unknown(u));
                }
                let which = convert(cond, &Constraint::Bool).map_err(|m| {
                    err(format!("invalid condition: {m}"), file, c.cond_expr.span())
                })?;
                let which = which.truthy().map_err(|m| {
                    err(format!("invalid condition: {m}"), file, c.cond_expr.span())
                })?;
                let ty_of = |r: &EResult<Value>| match r {
                    Ok(v) => (v.ty(), matches!(v, Value::Null(Type::Dynamic))),
                    Err(_) => (Type::Dynamic, false),
                };
                let ((tt, tnull), (ft, fnull)) = (ty_of(&t), ty_of(&f));
                let result_ty = if tnull {
                    Some(ft.clone())
                } else if fnull {
                    Some(tt.clone())
                } else if tt == Type::Dynamic || ft == Type::Dynamic {
                    Some(Type::Dynamic)
                } else {
                    unify(&[tt.clone(), ft.clone()])
                };
                let Some(result_ty) = result_ty else {
                    return Err(e(format!(
                        "inconsistent conditional result types: the true result is {} and the false result is {}",
                        tt.friendly(),
                        ft.friendly()
                    )));
                };
                let chosen = if which { t? } else { f? };
                // A resource is more than the attributes the code sets: converting it to the
                // type of those would lose what AWS computes (`website_endpoint`, …), which
                // terraform's full schema has and reads as unknown.
                if result_ty == Type::Dynamic || matches!(chosen, Value::Resource(_)) {
                    return Ok(chosen);
                }
                convert_to_type(chosen, &result_ty).map_err(e)
            }
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr, scope, file)?;
                if let Value::Unknown(u) = v {
                    return Ok(Value::Unknown(u));
                }
                match *u.operator {
                    UnaryOperator::Not => {
                        let b = convert(v, &Constraint::Bool).map_err(&e)?;
                        Ok(Value::Bool(!b.truthy().map_err(e)?))
                    }
                    UnaryOperator::Neg => {
                        let n = convert(v, &Constraint::Number).map_err(&e)?;
                        Ok(Value::Number(n.as_number().map_err(e)?.neg()))
                    }
                }
            }
            Expression::BinaryOp(b) => {
                let op = *b.operator;
                let l = self.eval(&b.lhs_expr, scope, file)?;
                let r = self.eval(&b.rhs_expr, scope, file)?;
                binary(op, l, r).map_err(e)
            }
            Expression::ForExpr(f) => self.eval_for(f, scope, file, span),
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                if call.name.is_namespaced() {
                    return Ok(Value::unknown(format!(
                        "provider function `{name}` is not evaluated by drift"
                    )));
                }
                // `try` and `can` look at errors, so their arguments are evaluated here.
                if name == "try" || name == "can" {
                    return self.try_can(name, call.args.iter().collect(), scope, file, span);
                }
                let mut args = Vec::new();
                for arg in call.args.iter() {
                    args.push(self.eval(arg, scope, file)?);
                }
                if call.args.expand_final() {
                    match args.pop() {
                        Some(Value::Unknown(u)) => return Ok(Value::Unknown(u)),
                        Some(v) if v.as_seq().is_some() => {
                            args.extend(v.as_seq().unwrap_or_default().iter().cloned())
                        }
                        Some(other) => {
                            return Err(e(format!(
                                "`...` needs a list, set or tuple, got a {}",
                                other.type_name()
                            )));
                        }
                        None => {}
                    }
                }
                let ctx = functions::Ctx {
                    base_dir: &self.root_dir,
                    instance: self,
                    file,
                };
                functions::call(name, args, &ctx)
                    .map_err(|m| e(format!("call to function \"{name}\" failed: {m}")))
            }
        }
    }

    fn try_can(
        &self,
        name: &str,
        args: Vec<&Expression>,
        scope: &Scope,
        file: usize,
        span: Option<Range<usize>>,
    ) -> EResult<Value> {
        if name == "can" && args.len() != 1 {
            return Err(err("`can` takes exactly one argument", file, span));
        }
        if args.is_empty() {
            return Err(err("`try` needs at least one argument", file, span));
        }
        for arg in args {
            match self.eval(arg, scope, file) {
                Ok(v) if v.find_unknown().is_some() => {
                    return Ok(Value::Unknown(v.find_unknown().cloned().unwrap_or_else(
                        || crate::desired::terraform::value::Unknown {
                            reason: "unknown".into(),
                            reference: None,
                            error: None,
                        },
                    )));
                }
                Ok(v) if name == "try" => return Ok(v),
                Ok(_) => return Ok(Value::Bool(true)),
                Err(_) if name == "can" => return Ok(Value::Bool(false)),
                Err(_) => continue,
            }
        }
        Err(err(
            "no expression succeeded: every argument of `try` failed",
            file,
            span,
        ))
    }

    fn eval_for(
        &self,
        f: &hcl_edit::expr::ForExpr,
        scope: &Scope,
        file: usize,
        span: Option<Range<usize>>,
    ) -> EResult<Value> {
        let e = |m: String| err(m, file, span.clone());
        let coll = self.eval(&f.intro.collection_expr, scope, file)?;
        if let Value::Unknown(u) = coll {
            return Ok(Value::Unknown(u));
        }
        let pairs = iteration_pairs(coll, "a `for` expression").map_err(e)?;
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (k, v) in pairs {
            let mut inner = scope.clone();
            if let Some(kv) = &f.intro.key_var {
                inner = inner.with(kv.as_str(), k);
            }
            inner = inner.with(f.intro.value_var.as_str(), v);
            if let Some(cond) = &f.cond {
                let c = self.eval(&cond.expr, &inner, file)?;
                if let Value::Unknown(u) = c {
                    return Ok(Value::Unknown(u));
                }
                let c = convert(c, &Constraint::Bool)
                    .and_then(|c| c.truthy())
                    .map_err(|m| {
                        err(
                            format!("invalid `for` condition: {m}"),
                            file,
                            cond.expr.span(),
                        )
                    })?;
                if !c {
                    continue;
                }
            }
            match &f.key_expr {
                Some(kx) => {
                    let kv = self.eval(kx, &inner, file)?;
                    if let Value::Unknown(u) = kv {
                        return Ok(Value::Unknown(u));
                    }
                    if kv.is_null() {
                        return Err(err("a `for` key must not be null", file, kx.span()));
                    }
                    let key = convert(kv, &Constraint::String)
                        .and_then(|v| v.to_text())
                        .map_err(|m| err(format!("invalid `for` key: {m}"), file, kx.span()))?;
                    let val = self.eval(&f.value_expr, &inner, file)?;
                    if f.grouping {
                        groups.entry(key).or_default().push(val);
                    } else if map.insert(key.clone(), val).is_some() {
                        return Err(e(format!(
                            "duplicate object key {key:?} in a `for` expression (use `...` to group)"
                        )));
                    }
                }
                None => list.push(self.eval(&f.value_expr, &inner, file)?),
            }
        }
        Ok(match &f.key_expr {
            Some(_) if f.grouping => Value::Object(
                groups
                    .into_iter()
                    .map(|(k, v)| (k, Value::Tuple(v)))
                    .collect(),
            ),
            Some(_) => Value::Object(map),
            None => Value::Tuple(list),
        })
    }

    /// Applies traversal operators (attributes, indexes, splats) to a value.
    /// Follows the attribute and index steps of `ops[start..]` inside `base` in place, as far
    /// as each step selects an element that is there, and copies only what it reached; returns
    /// that and the index of the first step not taken. Whatever it does not take (splats,
    /// conversions, unknowns, errors) is left to `apply_ops`, so the result is the same.
    pub(super) fn walk_shared(
        &self,
        base: &Value,
        ops: &[&TraversalOperator],
        start: usize,
        scope: &Scope,
        file: usize,
    ) -> EResult<(Value, usize)> {
        let mut cur = base;
        let mut i = start;
        while i < ops.len() {
            let next = match ops[i] {
                TraversalOperator::GetAttr(id) => match cur {
                    Value::Object(m) | Value::Map(_, m) => m.get(id.as_str()),
                    Value::Resource(r) => r.attr(id.as_str()),
                    _ => None,
                },
                TraversalOperator::Index(ix) => match cur {
                    Value::List(..)
                    | Value::Tuple(_)
                    | Value::Map(..)
                    | Value::Object(_)
                    | Value::Resource(_) => element(cur, &self.eval(ix, scope, file)?),
                    _ => None,
                },
                TraversalOperator::LegacyIndex(n) => element(cur, &Value::int(**n as i64)),
                _ => None,
            };
            match next {
                Some(n) => {
                    cur = n;
                    i += 1;
                }
                None => break,
            }
        }
        Ok((cur.clone(), i))
    }

    pub(super) fn apply_ops(
        &self,
        mut v: Value,
        ops: &[&TraversalOperator],
        scope: &Scope,
        file: usize,
        span: Option<Range<usize>>,
    ) -> EResult<Value> {
        let e = |m: String| err(m, file, span.clone());
        let mut i = 0;
        while i < ops.len() {
            if let Value::Unknown(_) = v {
                return Ok(v);
            }
            match ops[i] {
                TraversalOperator::GetAttr(id) => {
                    v = v.get_attr(id.as_str()).map_err(e)?;
                }
                TraversalOperator::Index(ix) => {
                    let k = self.eval(ix, scope, file)?;
                    v = index(v, k).map_err(e)?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    v = index(v, Value::int(**n as i64)).map_err(e)?;
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    // `[*]` applies every operator after it; the legacy `.*` only the
                    // attribute accesses that follow it directly.
                    let full = matches!(ops[i], TraversalOperator::FullSplat(_));
                    let end = if full {
                        ops.len()
                    } else {
                        i + 1
                            + ops[i + 1..]
                                .iter()
                                .take_while(|o| matches!(o, TraversalOperator::GetAttr(_)))
                                .count()
                    };
                    let rest = &ops[i + 1..end];
                    let (items, list_ty) = match v {
                        Value::List(_, items) | Value::Set(_, items) => (items, true),
                        Value::Tuple(items) => (items, false),
                        Value::Null(_) => (Vec::new(), false),
                        other => (vec![other], false),
                    };
                    let mut out = Vec::new();
                    for item in items {
                        out.push(self.apply_ops(item, rest, scope, file, span.clone())?);
                    }
                    v = if list_ty {
                        let t = out.first().map(Value::ty).unwrap_or(Type::Dynamic);
                        Value::List(t, out)
                    } else {
                        Value::Tuple(out)
                    };
                    i = end;
                    continue;
                }
            }
            i += 1;
        }
        Ok(v)
    }
}

fn functions_nfc(s: &str) -> Value {
    use unicode_normalization::UnicodeNormalization;
    Value::String(s.nfc().collect())
}

/// The (key, value) pairs a `for` expression, a template `for` or a dynamic block iterates:
/// list indexes, set elements or map keys. `what` names the construct for the error.
pub(super) fn iteration_pairs(coll: Value, what: &str) -> Result<Vec<(Value, Value)>, String> {
    match coll {
        Value::List(_, items) | Value::Tuple(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::int(i as i64), v))
            .collect()),
        Value::Set(_, items) => Ok(items.into_iter().map(|v| (v.clone(), v)).collect()),
        Value::Map(_, m) | Value::Object(m) => {
            Ok(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect())
        }
        Value::Resource(r) => Ok(r
            .attrs
            .into_iter()
            .map(|(k, v)| (Value::String(k), v))
            .collect()),
        Value::Null(_) => Err(format!("{what} cannot iterate over a null value")),
        other => Err(format!(
            "{what} cannot iterate over a {}",
            other.type_name()
        )),
    }
}

/// The element `k` selects in a collection when it is there as it stands (a whole-number index
/// in range, a string key present); `None` for anything `index` must convert or reject.
fn element<'a>(v: &'a Value, k: &Value) -> Option<&'a Value> {
    match (v, k) {
        (Value::List(_, items) | Value::Tuple(items), Value::Number(n)) => {
            let i = n.to_i64().filter(|_| n.is_int())?;
            items.get(usize::try_from(i).ok()?)
        }
        (Value::Map(_, m) | Value::Object(m), Value::String(key)) => m.get(key),
        (Value::Resource(r), Value::String(key)) => r.attr(key),
        _ => None,
    }
}

fn index(v: Value, k: Value) -> Result<Value, String> {
    if let Value::Unknown(u) = k {
        return Ok(Value::Unknown(u));
    }
    if k.is_null() {
        return Err("can't use a null value as an indexing key".into());
    }
    match v {
        Value::List(_, items) | Value::Tuple(items) => {
            let n = convert(k, &Constraint::Number)
                .and_then(|n| n.as_number())
                .map_err(|m| format!("invalid index: {m}"))?;
            if !n.is_int() {
                return Err(format!("invalid index: {} is not a whole number", n.to_text()));
            }
            let i = n.to_i64().filter(|i| *i >= 0 && (*i as usize) < items.len());
            match i {
                Some(i) => Ok(items[i as usize].clone()),
                None => Err(format!(
                    "invalid index: the given key {} does not identify an element in this collection value of length {}",
                    n.to_text(),
                    items.len()
                )),
            }
        }
        Value::Set(..) => Err("elements of a set are identified only by their value and don't have any separate index or key to select with".into()),
        Value::Map(_, _) | Value::Object(_) | Value::Resource(_) => {
            let key = convert(k, &Constraint::String)
                .and_then(|s| s.to_text())
                .map_err(|m| format!("invalid index: {m}"))?;
            if let Value::Resource(r) = &v {
                return Ok(r.attr(&key).cloned().unwrap_or_else(|| {
                    Value::unknown(format!("`{}.{key}` is known only after apply", r.address))
                }));
            }
            v.as_attrs()
                .and_then(|m| m.get(&key))
                .cloned()
                .ok_or_else(|| format!("invalid index: the given key {key:?} does not identify an element in this collection value"))
        }
        Value::Unknown(u) => Ok(Value::Unknown(u)),
        Value::Null(_) => Err("attempt to index a null value".into()),
        other => Err(format!("this value ({}) does not have any indices", other.type_name())),
    }
}

fn binary(op: BinaryOperator, l: Value, r: Value) -> Result<Value, String> {
    use BinaryOperator::*;
    if let Value::Unknown(u) = &l {
        return Ok(Value::Unknown(u.clone()));
    }
    if let Value::Unknown(u) = &r {
        return Ok(Value::Unknown(u.clone()));
    }
    let num = |v: Value, side: &str| -> Result<Number, String> {
        if v.is_null() {
            return Err(format!(
                "unsupported argument: the {side} operand must not be null"
            ));
        }
        convert(v, &Constraint::Number)
            .and_then(|n| n.as_number())
            .map_err(|m| format!("unsupported argument: {m}"))
    };
    let boolean = |v: Value, side: &str| -> Result<bool, String> {
        if v.is_null() {
            return Err(format!(
                "unsupported argument: the {side} operand must not be null"
            ));
        }
        convert(v, &Constraint::Bool)
            .and_then(|b| b.truthy())
            .map_err(|m| format!("unsupported argument: {m}"))
    };
    Ok(match op {
        Eq => Value::Bool(l.equals(&r).unwrap_or(false)),
        NotEq => Value::Bool(!l.equals(&r).unwrap_or(false)),
        And => Value::Bool(boolean(l, "left")? & boolean(r, "right")?),
        Or => Value::Bool(boolean(l, "left")? | boolean(r, "right")?),
        _ => {
            let (a, b) = (num(l, "left")?, num(r, "right")?);
            match op {
                Less => Value::Bool(a.cmp_value(&b).is_lt()),
                LessEq => Value::Bool(a.cmp_value(&b).is_le()),
                Greater => Value::Bool(a.cmp_value(&b).is_gt()),
                GreaterEq => Value::Bool(a.cmp_value(&b).is_ge()),
                Plus => Value::Number(a.add(&b)),
                Minus => Value::Number(a.sub(&b)),
                Mul => Value::Number(a.mul(&b).ok_or("can't multiply zero by infinity")?),
                Div => Value::Number(
                    a.div(&b)
                        .ok_or("can't divide zero by zero or infinity by infinity")?,
                ),
                Mod => Value::Number(a.rem(&b).ok_or("can't use modulo with zero and infinity")?),
                _ => return Err("unsupported operator".into()),
            }
        }
    })
}

impl EvalError {
    pub fn message(&self) -> &str {
        &self.message
    }
}
