//! Evaluates a module's expressions: references (`var.`, `local.`, resources, data sources,
//! `module.`), templates, operators, `for` expressions, splats, `count`/`for_each`, dynamic
//! blocks and function calls, lazily and memoized, with cycle detection.
//!
//! What cannot be known from code becomes `Value::Unknown` with a reason; an expression that is
//! wrong (a reference to something undeclared, a type error) is an `EvalError` with its span.

use super::functions;
use super::iam_document;
use super::module::{Decl, Module, ResourceDecl};
use super::value::{ResourceValue, Unknown, Value, format_number};
use hcl_edit::Span;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::{Directive, Element, Template};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// What the evaluation knows about the world outside the code.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub account_id: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EvalError {
    pub message: String,
    pub file: usize,
    pub span: Option<Range<usize>>,
}

type EResult<T> = Result<T, EvalError>;

/// Names bound inside an expression: `for` variables, `count`, `each`, dynamic iterators.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    vars: Vec<(String, Value)>,
}

impl Scope {
    pub fn with(&self, name: &str, value: Value) -> Scope {
        let mut s = self.clone();
        s.vars.push((name.to_string(), value));
        s
    }
    fn get(&self, name: &str) -> Option<&Value> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

/// Attributes that are Terraform meta-arguments, not resource configuration.
const META: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "provider",
    "providers",
    "lifecycle",
    "provisioner",
    "connection",
    "source",
    "version",
];

/// A child module instance with its `count`/`for_each` key (`""` without them).
pub type ChildInstance = (String, Rc<ModuleInstance>);

/// One instance of a resource, data source or module call after `count`/`for_each`.
#[derive(Debug, Clone)]
pub struct Expanded {
    /// The suffix after the address: `""`, `[0]`, `["key"]`.
    pub key: String,
    pub scope: Scope,
}

pub struct ModuleInstance {
    pub module: Rc<Module>,
    /// `""` for the root, `module.NAME.` for a child.
    pub prefix: String,
    pub inputs: BTreeMap<String, Value>,
    pub env: Rc<Env>,
    cache: RefCell<HashMap<String, Value>>,
    active: RefCell<HashSet<String>>,
    /// Child module instances by call name and instance key.
    children: RefCell<BTreeMap<String, Rc<ModuleInstance>>>,
}

fn err(message: impl Into<String>, file: usize, span: Option<Range<usize>>) -> EvalError {
    EvalError {
        message: message.into(),
        file,
        span,
    }
}

/// Whether a module source is a local path (evaluated) rather than a registry or remote one.
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

impl ModuleInstance {
    pub fn new(
        module: Rc<Module>,
        prefix: String,
        inputs: BTreeMap<String, Value>,
        env: Rc<Env>,
    ) -> ModuleInstance {
        ModuleInstance {
            module,
            prefix,
            inputs,
            env,
            cache: RefCell::new(HashMap::new()),
            active: RefCell::new(HashSet::new()),
            children: RefCell::new(BTreeMap::new()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.module.dir
    }

    /// Memoized evaluation with cycle detection, keyed by a reference name.
    fn memo(
        &self,
        key: &str,
        file: usize,
        span: Option<Range<usize>>,
        f: impl FnOnce() -> EResult<Value>,
    ) -> EResult<Value> {
        if let Some(v) = self.cache.borrow().get(key) {
            return Ok(v.clone());
        }
        if !self.active.borrow_mut().insert(key.to_string()) {
            return Err(err(
                format!("`{key}` refers to itself (a reference cycle)"),
                file,
                span,
            ));
        }
        let result = f();
        self.active.borrow_mut().remove(key);
        let v = result?;
        self.cache.borrow_mut().insert(key.to_string(), v.clone());
        Ok(v)
    }

    pub fn variable(&self, name: &str, file: usize, span: Option<Range<usize>>) -> EResult<Value> {
        let Some(decl) = self.module.variables.get(name) else {
            return Err(err(
                format!("reference to undeclared input variable `var.{name}`"),
                file,
                span,
            ));
        };
        if let Some(v) = self.inputs.get(name) {
            return Ok(v.clone());
        }
        match decl.item.body.get_attribute("default") {
            Some(attr) => self.eval(&attr.value, &Scope::default(), decl.file),
            None => Ok(Value::unknown(format!(
                "variable `{name}` has no value: set it in drift.toml [terraform.vars], a var file or TF_VAR_{name}"
            ))),
        }
    }

    pub fn local(&self, name: &str, file: usize, span: Option<Range<usize>>) -> EResult<Value> {
        let Some(decl) = self.module.locals.get(name) else {
            return Err(err(
                format!("reference to undeclared local value `local.{name}`"),
                file,
                span,
            ));
        };
        let decl = decl.clone();
        self.memo(&format!("local.{name}"), file, span, || {
            self.eval(&decl.item, &Scope::default(), decl.file)
        })
    }

    /// The instances `count` or `for_each` make of a block; `Ok(Err(u))` when unknown.
    pub fn expand(&self, block: &Block, file: usize) -> EResult<Result<Vec<Expanded>, Unknown>> {
        let base = Scope::default();
        if let Some(count) = block.body.get_attribute("count") {
            let v = self.eval(&count.value, &base, file)?;
            if let Value::Unknown(u) = v {
                return Ok(Err(u));
            }
            let n = v
                .as_number()
                .map_err(|m| err(format!("`count`: {m}"), file, count.value.span()))?;
            return Ok(Ok((0..n.max(0.0) as usize)
                .map(|i| Expanded {
                    key: format!("[{i}]"),
                    scope: base.with(
                        "count",
                        Value::Map(BTreeMap::from([("index".into(), Value::Number(i as f64))])),
                    ),
                })
                .collect()));
        }
        if let Some(fe) = block.body.get_attribute("for_each") {
            let v = self.eval(&fe.value, &base, file)?;
            if let Some(u) = v.find_unknown() {
                return Ok(Err(u.clone()));
            }
            let pairs: Vec<(String, Value)> = match v {
                Value::Map(m) => m.into_iter().collect(),
                Value::List(items) => items
                    .into_iter()
                    .map(|i| {
                        i.to_string_lossless()
                            .map(|s| (s.clone(), Value::String(s)))
                    })
                    .collect::<Result<_, _>>()
                    .map_err(|m| err(format!("`for_each`: {m}"), file, fe.value.span()))?,
                Value::Null => Vec::new(),
                other => {
                    return Err(err(
                        format!(
                            "`for_each` needs a map or a set of strings, got a {}",
                            other.type_name()
                        ),
                        file,
                        fe.value.span(),
                    ));
                }
            };
            return Ok(Ok(pairs
                .into_iter()
                .map(|(k, v)| Expanded {
                    key: format!("[{}]", serde_json::Value::String(k.clone())),
                    scope: base.with(
                        "each",
                        Value::Map(BTreeMap::from([
                            ("key".into(), Value::String(k)),
                            ("value".into(), v),
                        ])),
                    ),
                })
                .collect()));
        }
        Ok(Ok(vec![Expanded {
            key: String::new(),
            scope: base,
        }]))
    }

    /// Evaluates a block body into attributes; nested blocks become lists of objects under
    /// their name, with `dynamic` blocks expanded.
    pub fn eval_body(
        &self,
        body: &Body,
        scope: &Scope,
        file: usize,
    ) -> EResult<BTreeMap<String, Value>> {
        let mut out = BTreeMap::new();
        for attr in body.attributes() {
            let key = attr.key.as_str();
            if META.contains(&key) {
                continue;
            }
            out.insert(key.to_string(), self.eval(&attr.value, scope, file)?);
        }
        for block in body.blocks() {
            let ident = block.ident.as_str();
            if META.contains(&ident) {
                continue;
            }
            if ident == "dynamic" {
                let Some(name) = block.labels.first().map(|l| l.as_str().to_string()) else {
                    continue;
                };
                let iterator = block
                    .body
                    .get_attribute("iterator")
                    .and_then(|a| a.value.as_variable().map(|v| v.as_str().to_string()))
                    .unwrap_or_else(|| name.clone());
                let Some(fe) = block.body.get_attribute("for_each") else {
                    return Err(err("a dynamic block needs `for_each`", file, block.span()));
                };
                let coll = self.eval(&fe.value, scope, file)?;
                let entry = out
                    .entry(name.clone())
                    .or_insert_with(|| Value::List(Vec::new()));
                if let Value::Unknown(u) = coll {
                    *entry = Value::Unknown(u);
                    continue;
                }
                let pairs = iteration_pairs(coll, "dynamic `for_each`")
                    .map_err(|m| err(m, file, fe.value.span()))?;
                let Some(content) = block.body.get_blocks("content").next() else {
                    return Err(err(
                        "a dynamic block needs a `content` block",
                        file,
                        block.span(),
                    ));
                };
                for (k, v) in pairs {
                    let inner = scope.with(
                        &iterator,
                        Value::Map(BTreeMap::from([("key".into(), k), ("value".into(), v)])),
                    );
                    let obj = self.eval_body(&content.body, &inner, file)?;
                    if let Value::List(list) = entry {
                        list.push(Value::Map(obj));
                    }
                }
                continue;
            }
            let obj = self.eval_body(&block.body, scope, file)?;
            let entry = out
                .entry(ident.to_string())
                .or_insert_with(|| Value::List(Vec::new()));
            if let Value::List(list) = entry {
                list.push(Value::Map(obj));
            }
        }
        Ok(out)
    }

    /// All instances of a resource or data source, as `Value::Resource`s keyed by suffix.
    pub fn resource_instances(
        &self,
        decl: &Decl<ResourceDecl>,
        kind: &str,
    ) -> EResult<Result<Vec<(String, ResourceValue)>, Unknown>> {
        let base = if kind == "data" {
            format!("{}data.{}.{}", self.prefix, decl.item.rtype, decl.item.name)
        } else {
            format!("{}{}.{}", self.prefix, decl.item.rtype, decl.item.name)
        };
        let instances = match self.expand(&decl.item.block, decl.file)? {
            Ok(i) => i,
            Err(u) => return Ok(Err(u)),
        };
        let mut out = Vec::new();
        for inst in instances {
            let address = format!("{base}{}", inst.key);
            let attrs = if kind == "data" {
                self.data_attrs(decl, &inst.scope, &address)?
            } else {
                self.eval_body(&decl.item.block.body, &inst.scope, decl.file)?
            };
            out.push((inst.key, ResourceValue { address, attrs }));
        }
        Ok(Ok(out))
    }

    /// The attributes drift knows of a data source: the ones it can compute from code or from
    /// the live account; everything else stays unknown.
    fn data_attrs(
        &self,
        decl: &Decl<ResourceDecl>,
        scope: &Scope,
        address: &str,
    ) -> EResult<BTreeMap<String, Value>> {
        let known = |s: &Option<String>, what: &str| match s {
            Some(v) => Value::String(v.clone()),
            None => Value::Unknown(Unknown {
                reason: format!("the live {what} was not read"),
                reference: Some(address.to_string()),
            }),
        };
        let mut attrs = self.eval_body(&decl.item.block.body, scope, decl.file)?;
        match decl.item.rtype.as_str() {
            "aws_caller_identity" => {
                let id = known(&self.env.account_id, "account id");
                attrs.insert("account_id".into(), id.clone());
                attrs.insert("id".into(), id);
            }
            "aws_region" => {
                let r = known(&self.env.region, "region");
                attrs.insert("name".into(), r.clone());
                attrs.insert("id".into(), r.clone());
                attrs.insert("region".into(), r);
            }
            "aws_partition" => {
                attrs.insert("partition".into(), Value::String("aws".into()));
                attrs.insert("dns_suffix".into(), Value::String("amazonaws.com".into()));
                attrs.insert("id".into(), Value::String("aws".into()));
            }
            "aws_iam_policy_document" => {
                let json = iam_document::build(&attrs)
                    .map_err(|m| err(m, decl.file, decl.item.block.span()))?;
                attrs.insert("json".into(), json.clone());
                attrs.insert("minified_json".into(), json);
            }
            _ => {}
        }
        Ok(attrs)
    }

    fn collect(
        &self,
        instances: Result<Vec<(String, ResourceValue)>, Unknown>,
        counted: bool,
        for_each: bool,
    ) -> Value {
        match instances {
            Err(u) => Value::Unknown(u),
            Ok(list) if counted => Value::List(
                list.into_iter()
                    .map(|(_, r)| Value::Resource(Box::new(r)))
                    .collect(),
            ),
            Ok(list) if for_each => Value::Map(
                list.into_iter()
                    .map(|(k, r)| {
                        let key = serde_json::from_str::<String>(
                            k.trim_start_matches('[').trim_end_matches(']'),
                        )
                        .unwrap_or(k);
                        (key, Value::Resource(Box::new(r)))
                    })
                    .collect(),
            ),
            Ok(mut list) => list
                .pop()
                .map_or(Value::Null, |(_, r)| Value::Resource(Box::new(r))),
        }
    }

    fn resource_ref(
        &self,
        kind: &str,
        rtype: &str,
        name: &str,
        file: usize,
        span: Option<Range<usize>>,
    ) -> EResult<Value> {
        let map = if kind == "data" {
            &self.module.data
        } else {
            &self.module.resources
        };
        let Some(decl) = map.get(&(rtype.to_string(), name.to_string())) else {
            let what = if kind == "data" {
                format!("data.{rtype}.{name}")
            } else {
                format!("{rtype}.{name}")
            };
            return Err(err(
                format!(
                    "reference to undeclared {} `{what}`",
                    if kind == "data" {
                        "data source"
                    } else {
                        "resource"
                    }
                ),
                file,
                span,
            ));
        };
        let decl = decl.clone();
        self.memo(&format!("{kind}.{rtype}.{name}"), file, span, || {
            let body = &decl.item.block.body;
            let instances = self.resource_instances(&decl, kind)?;
            Ok(self.collect(
                instances,
                body.has_attribute("count"),
                body.has_attribute("for_each"),
            ))
        })
    }

    /// The child instances of a local module call (`source = "./…"`), one per `count`/
    /// `for_each` key (`""` without them); `None` for registry and remote modules, which drift
    /// does not download; `Some(Err(u))` when the instances cannot be known.
    pub fn children(&self, name: &str) -> EResult<Option<Result<Vec<ChildInstance>, Unknown>>> {
        let Some(decl) = self.module.module_calls.get(name) else {
            return Ok(None);
        };
        let source = match decl.item.body.get_attribute("source").map(|a| &a.value) {
            Some(Expression::String(s)) => s.as_str().to_string(),
            _ => return Ok(None),
        };
        if !is_local_source(&source) {
            return Ok(None);
        }
        if self.prefix.matches("module.").count() >= 16 {
            return Err(err(
                format!(
                    "module `{name}` nests more than 16 levels deep (does `{source}` call itself?)"
                ),
                decl.file,
                decl.item.span(),
            ));
        }
        let dir = normalize(&self.module.dir.join(&source));
        let module = super::load_module_cached(&dir).map_err(|e| {
            err(
                format!(
                    "cannot load module `{name}` from `{source}`: {}",
                    e.render().trim_start_matches("error: ")
                ),
                decl.file,
                decl.item.span(),
            )
        })?;
        let instances = match self.expand(&decl.item, decl.file)? {
            Ok(i) => i,
            Err(u) => return Ok(Some(Err(u))),
        };
        let mut out = Vec::new();
        for one in instances {
            let cache_key = format!("{name}{}", one.key);
            if let Some(c) = self.children.borrow().get(&cache_key) {
                out.push((one.key.clone(), c.clone()));
                continue;
            }
            let inputs = self.eval_body(&decl.item.body, &one.scope, decl.file)?;
            let child = Rc::new(ModuleInstance::new(
                module.clone(),
                format!("{}module.{name}{}.", self.prefix, one.key),
                inputs,
                self.env.clone(),
            ));
            self.children.borrow_mut().insert(cache_key, child.clone());
            out.push((one.key, child));
        }
        Ok(Some(Ok(out)))
    }

    /// The outputs of a child instance, as an object.
    fn outputs(child: &ModuleInstance) -> EResult<Value> {
        let mut outputs = BTreeMap::new();
        for (out_name, out) in &child.module.outputs {
            let v = child.memo(&format!("output.{out_name}"), out.file, None, || {
                child.eval(&out.item, &Scope::default(), out.file)
            })?;
            outputs.insert(out_name.clone(), v);
        }
        Ok(Value::Map(outputs))
    }

    fn module_ref(&self, name: &str, file: usize, span: Option<Range<usize>>) -> EResult<Value> {
        let Some(decl) = self.module.module_calls.get(name) else {
            return Err(err(
                format!("reference to undeclared module `module.{name}`"),
                file,
                span,
            ));
        };
        let instances = match self.children(name)? {
            None => {
                let source = decl
                    .item
                    .body
                    .get_attribute("source")
                    .and_then(|a| a.value.as_str().map(str::to_string))
                    .unwrap_or_default();
                return Ok(Value::Resource(Box::new(ResourceValue {
                    address: format!("{}module.{name}", self.prefix),
                    attrs: BTreeMap::from([("source".to_string(), Value::String(source))]),
                })));
            }
            Some(Err(u)) => return Ok(Value::Unknown(u)),
            Some(Ok(list)) => list,
        };
        let body = &decl.item.body;
        if body.has_attribute("count") {
            return Ok(Value::List(
                instances
                    .iter()
                    .map(|(_, c)| Self::outputs(c))
                    .collect::<EResult<_>>()?,
            ));
        }
        if body.has_attribute("for_each") {
            let mut m = BTreeMap::new();
            for (key, c) in &instances {
                let k = serde_json::from_str::<String>(
                    key.trim_start_matches('[').trim_end_matches(']'),
                )
                .unwrap_or_else(|_| key.clone());
                m.insert(k, Self::outputs(c)?);
            }
            return Ok(Value::Map(m));
        }
        match instances.first() {
            Some((_, c)) => Self::outputs(c),
            None => Ok(Value::Null),
        }
    }

    /// Evaluates an expression written in file `file` of this module.
    pub fn eval(&self, expr: &Expression, scope: &Scope, file: usize) -> EResult<Value> {
        let span = expr.span();
        let e = |m: String| err(m, file, span.clone());
        match expr {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(**b)),
            Expression::Number(n) => Ok(Value::Number(n.as_f64().unwrap_or(0.0))),
            Expression::String(s) => Ok(Value::String(s.as_str().to_string())),
            Expression::Array(a) => Ok(Value::List(
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
                            kv.to_string_lossless().map_err(e)?
                        }
                    };
                    m.insert(key, self.eval(v.expr(), scope, file)?);
                }
                Ok(Value::Map(m))
            }
            Expression::StringTemplate(t) => self.eval_template(t, scope, file),
            Expression::HeredocTemplate(h) => self.eval_template(&h.template, scope, file),
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
                if let Value::Unknown(u) = cond {
                    return Ok(Value::Unknown(u));
                }
                if cond
                    .truthy()
                    .map_err(|m| err(m, file, c.cond_expr.span()))?
                {
                    self.eval(&c.true_expr, scope, file)
                } else {
                    self.eval(&c.false_expr, scope, file)
                }
            }
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr, scope, file)?;
                if let Value::Unknown(u) = v {
                    return Ok(Value::Unknown(u));
                }
                match *u.operator {
                    UnaryOperator::Not => Ok(Value::Bool(!v.truthy().map_err(e)?)),
                    UnaryOperator::Neg => Ok(Value::Number(-v.as_number().map_err(e)?)),
                }
            }
            Expression::BinaryOp(b) => {
                let op = *b.operator;
                let l = self.eval(&b.lhs_expr, scope, file)?;
                // `&&` and `||` short-circuit on known values.
                if let (BinaryOperator::And | BinaryOperator::Or, Ok(lb)) = (op, l.truthy()) {
                    if op == BinaryOperator::And && !lb {
                        return Ok(Value::Bool(false));
                    }
                    if op == BinaryOperator::Or && lb {
                        return Ok(Value::Bool(true));
                    }
                }
                let r = self.eval(&b.rhs_expr, scope, file)?;
                binary(op, l, r).map_err(e)
            }
            Expression::ForExpr(f) => {
                let coll = self.eval(&f.intro.collection_expr, scope, file)?;
                if let Value::Unknown(u) = coll {
                    return Ok(Value::Unknown(u));
                }
                let pairs = iteration_pairs(coll, "a `for` expression").map_err(e)?;
                let mut list = Vec::new();
                let mut map: BTreeMap<String, Value> = BTreeMap::new();
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
                        if !c.truthy().map_err(|m| err(m, file, cond.expr.span()))? {
                            continue;
                        }
                    }
                    let val = self.eval(&f.value_expr, &inner, file)?;
                    match &f.key_expr {
                        Some(kx) => {
                            let kv = self.eval(kx, &inner, file)?;
                            if let Value::Unknown(u) = kv {
                                return Ok(Value::Unknown(u));
                            }
                            let key = kv
                                .to_string_lossless()
                                .map_err(|m| err(m, file, kx.span()))?;
                            if f.grouping {
                                if let Value::List(l) =
                                    map.entry(key).or_insert_with(|| Value::List(Vec::new()))
                                {
                                    l.push(val);
                                }
                            } else if map.insert(key.clone(), val).is_some() {
                                return Err(e(format!(
                                    "duplicate key {key:?} in a `for` expression (use `...` to group)"
                                )));
                            }
                        }
                        None => list.push(val),
                    }
                }
                Ok(if f.key_expr.is_some() {
                    Value::Map(map)
                } else {
                    Value::List(list)
                })
            }
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                if call.name.is_namespaced() {
                    return Ok(Value::unknown(format!(
                        "provider function `{name}` is not evaluated by drift"
                    )));
                }
                // `try` and `can` look at errors, so their arguments are evaluated here.
                if name == "try" || name == "can" {
                    for arg in call.args.iter() {
                        match self.eval(arg, scope, file) {
                            Ok(v) if name == "try" => return Ok(v),
                            Ok(Value::Unknown(u)) => return Ok(Value::Unknown(u)),
                            Ok(_) => return Ok(Value::Bool(true)),
                            Err(_) if name == "can" => return Ok(Value::Bool(false)),
                            Err(_) => continue,
                        }
                    }
                    return Err(e("no argument of `try` could be evaluated".into()));
                }
                let mut args = Vec::new();
                for arg in call.args.iter() {
                    args.push(self.eval(arg, scope, file)?);
                }
                if call.args.expand_final() {
                    match args.pop() {
                        Some(Value::List(items)) => args.extend(items),
                        Some(Value::Unknown(u)) => return Ok(Value::Unknown(u)),
                        Some(other) => {
                            return Err(e(format!(
                                "`...` needs a list, got a {}",
                                other.type_name()
                            )));
                        }
                        None => {}
                    }
                }
                let ctx = functions::Ctx {
                    module_dir: &self.module.dir,
                    instance: self,
                    file,
                };
                functions::call(name, args, &ctx).map_err(|m| e(format!("`{name}()`: {m}")))
            }
        }
    }

    pub fn eval_template(&self, t: &Template, scope: &Scope, file: usize) -> EResult<Value> {
        let mut out = String::new();
        for el in t.iter() {
            match el {
                Element::Literal(s) => out.push_str(s),
                Element::Interpolation(i) => {
                    let v = self.eval(&i.expr, scope, file)?;
                    if let Value::Unknown(u) = v {
                        return Ok(Value::Unknown(u));
                    }
                    out.push_str(
                        &v.to_string_lossless()
                            .map_err(|m| err(format!("in a template: {m}"), file, i.expr.span()))?,
                    );
                }
                Element::Directive(d) => match &**d {
                    Directive::If(ifd) => {
                        let c = self.eval(&ifd.if_expr.cond_expr, scope, file)?;
                        if let Value::Unknown(u) = c {
                            return Ok(Value::Unknown(u));
                        }
                        let branch = if c.truthy().map_err(|m| err(m, file, None))? {
                            Some(&ifd.if_expr.template)
                        } else {
                            ifd.else_expr.as_ref().map(|e| &e.template)
                        };
                        if let Some(t) = branch {
                            match self.eval_template(t, scope, file)? {
                                Value::String(s) => out.push_str(&s),
                                other => return Ok(other),
                            }
                        }
                    }
                    Directive::For(ford) => {
                        let fe = &ford.for_expr;
                        let coll = self.eval(&fe.collection_expr, scope, file)?;
                        if let Value::Unknown(u) = coll {
                            return Ok(Value::Unknown(u));
                        }
                        let pairs = iteration_pairs(coll, "a template `for`")
                            .map_err(|m| err(m, file, fe.collection_expr.span()))?;
                        for (k, v) in pairs {
                            let mut inner = scope.clone();
                            if let Some(kv) = &fe.key_var {
                                inner = inner.with(kv.as_str(), k);
                            }
                            inner = inner.with(fe.value_var.as_str(), v);
                            match self.eval_template(&fe.template, &inner, file)? {
                                Value::String(s) => out.push_str(&s),
                                other => return Ok(other),
                            }
                        }
                    }
                },
            }
        }
        Ok(Value::String(out))
    }

    fn eval_traversal(
        &self,
        root: &str,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        scope: &Scope,
        file: usize,
        span: Option<Range<usize>>,
    ) -> EResult<Value> {
        let ops: Vec<&TraversalOperator> = ops.iter().map(|o| &**o).collect();
        let attr = |i: usize| -> Option<String> {
            match ops.get(i) {
                Some(TraversalOperator::GetAttr(id)) => Some(id.as_str().to_string()),
                _ => None,
            }
        };
        let need = |i: usize, what: &str| -> EResult<String> {
            attr(i).ok_or_else(|| {
                err(
                    format!("`{root}` must be followed by {what}"),
                    file,
                    span.clone(),
                )
            })
        };
        if let Some(v) = scope.get(root) {
            return self.apply_ops(v.clone(), &ops, scope, file, span);
        }
        let (base, used) = match root {
            "var" => (
                self.variable(&need(0, "a variable name")?, file, span.clone())?,
                1,
            ),
            "local" => (
                self.local(&need(0, "a local name")?, file, span.clone())?,
                1,
            ),
            "module" => (
                self.module_ref(&need(0, "a module name")?, file, span.clone())?,
                1,
            ),
            "data" => {
                let t = need(0, "a data source type")?;
                let n = need(1, "a data source name")?;
                (self.resource_ref("data", &t, &n, file, span.clone())?, 2)
            }
            "path" => {
                let which = need(0, "`module`, `root` or `cwd`")?;
                let p = match which.as_str() {
                    "module" => self.module.dir.display().to_string(),
                    "root" | "cwd" => std::env::current_dir()
                        .map(|d| d.display().to_string())
                        .unwrap_or_else(|_| ".".into()),
                    other => return Err(err(format!("unknown `path.{other}`"), file, span)),
                };
                (Value::String(p), 1)
            }
            "terraform" => {
                let which = need(0, "`workspace`")?;
                match which.as_str() {
                    "workspace" => (Value::String("default".into()), 1),
                    other => (
                        Value::unknown(format!("`terraform.{other}` is not known to drift")),
                        1,
                    ),
                }
            }
            "count" | "each" | "self" => {
                return Err(err(format!("`{root}` is not available here"), file, span));
            }
            rtype => {
                let n = need(0, "a resource name")?;
                (
                    self.resource_ref("resource", rtype, &n, file, span.clone())?,
                    1,
                )
            }
        };
        self.apply_ops(base, &ops[used..], scope, file, span)
    }

    fn apply_ops(
        &self,
        mut v: Value,
        ops: &[&TraversalOperator],
        scope: &Scope,
        file: usize,
        span: Option<Range<usize>>,
    ) -> EResult<Value> {
        let e = |m: String| err(m, file, span.clone());
        for (i, op) in ops.iter().enumerate() {
            if let Value::Unknown(_) = v {
                return Ok(v);
            }
            match op {
                TraversalOperator::GetAttr(id) => {
                    v = v.get_attr(id.as_str()).map_err(e)?;
                }
                TraversalOperator::Index(ix) => {
                    let k = self.eval(ix, scope, file)?;
                    v = index(v, k).map_err(e)?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    v = index(v, Value::Number(**n as f64)).map_err(e)?;
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items = match v {
                        Value::List(items) => items,
                        Value::Null => Vec::new(),
                        other => vec![other],
                    };
                    let rest = &ops[i + 1..];
                    let mut out = Vec::new();
                    for item in items {
                        out.push(self.apply_ops(item, rest, scope, file, span.clone())?);
                    }
                    return Ok(Value::List(out));
                }
            }
        }
        Ok(v)
    }
}

/// The (key, value) pairs a `for` expression, a template `for` or a dynamic block iterates:
/// list indexes or map keys. `what` names the construct for the error.
fn iteration_pairs(coll: Value, what: &str) -> Result<Vec<(Value, Value)>, String> {
    match coll {
        Value::List(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::Number(i as f64), v))
            .collect()),
        Value::Map(m) => Ok(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()),
        Value::Null if what == "dynamic `for_each`" => Ok(Vec::new()),
        other => Err(format!("{what} over a {}", other.type_name())),
    }
}

/// Removes `.` and resolves `..` components lexically (module sources are relative paths).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn index(v: Value, k: Value) -> Result<Value, String> {
    if let Value::Unknown(u) = k {
        return Ok(Value::Unknown(u));
    }
    match v {
        Value::List(items) => {
            let n = k.as_number()?;
            items.get(n as usize).cloned().ok_or_else(|| {
                format!(
                    "index {} out of range for a list of {}",
                    format_number(n),
                    items.len()
                )
            })
        }
        Value::Map(m) => {
            let key = k.to_string_lossless()?;
            m.get(&key)
                .cloned()
                .ok_or_else(|| format!("no key {key:?} in this map"))
        }
        Value::Resource(r) => r
            .attrs
            .get(&k.to_string_lossless()?)
            .cloned()
            .ok_or_else(|| "no such attribute".into()),
        Value::Unknown(u) => Ok(Value::Unknown(u)),
        other => Err(format!("a {} cannot be indexed", other.type_name())),
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
    Ok(match op {
        Eq => Value::Bool(values_equal(&l, &r)),
        NotEq => Value::Bool(!values_equal(&l, &r)),
        And => Value::Bool(l.truthy()? && r.truthy()?),
        Or => Value::Bool(l.truthy()? || r.truthy()?),
        _ => {
            let (a, b) = (l.as_number()?, r.as_number()?);
            match op {
                Less => Value::Bool(a < b),
                LessEq => Value::Bool(a <= b),
                Greater => Value::Bool(a > b),
                GreaterEq => Value::Bool(a >= b),
                Plus => Value::Number(a + b),
                Minus => Value::Number(a - b),
                Mul => Value::Number(a * b),
                Div => {
                    if b == 0.0 {
                        return Err("division by zero".into());
                    }
                    Value::Number(a / b)
                }
                Mod => {
                    if b == 0.0 {
                        return Err("modulo by zero".into());
                    }
                    Value::Number(a % b)
                }
                _ => return Err("unsupported operator".into()),
            }
        }
    })
}

/// Terraform's `==`: no conversion between types, except numbers compare by value.
fn values_equal(l: &Value, r: &Value) -> bool {
    l == r
}
