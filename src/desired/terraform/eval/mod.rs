//! Evaluates a module: references (`var.`, `local.`, resources, data sources, `module.`,
//! `path.`), variables with their type constraints, `count`/`for_each`, dynamic blocks and
//! module calls, lazily and memoized, with cycle detection. Expressions are in `expr`,
//! templates in `template`.
//!
//! What cannot be known from code becomes `Value::Unknown` with a reason; an expression that is
//! wrong (a reference to something undeclared, a type error) is an `EvalError` with its span.

mod expr;
mod template;

use super::iam_document;
use super::module::{Decl, Module, ResourceDecl};
use super::value::constraint::Constraint;
use super::value::convert::convert;
use super::value::{ResourceValue, Type, Unknown, Value};
use expr::iteration_pairs;
use hcl_edit::Span;
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::{Rc, Weak};

/// What the evaluation knows about the world outside the code.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub account_id: Option<String>,
    /// Hosted zones by id: (name, private), as AWS reports them, for zone ids the code names
    /// without declaring the zone.
    pub zones_by_id: BTreeMap<String, (String, bool)>,
    /// The caller's ARN and user id, as STS reports them (`data "aws_caller_identity"`).
    pub caller_arn: Option<String>,
    pub caller_user_id: Option<String>,
    pub region: Option<String>,
    /// Attributes the Terraform state records, by resource instance address
    /// (`module.a.aws_lb.web`, `aws_route53_record.r["x"]`): what AWS computed.
    pub state_attrs: HashMap<String, serde_json::Map<String, serde_json::Value>>,
    /// `data "terraform_remote_state"` over the `s3` backend: each state's outputs (as
    /// [`crate::state::tfstate::outputs`] gives them) by `s3://bucket/key`, or why it could not be read.
    pub remote_states: BTreeMap<String, Result<serde_json::Map<String, serde_json::Value>, String>>,
    /// The `s3` remote states the code reads that are not in `remote_states`: the caller reads
    /// them and evaluates the code again.
    pub remote_states_wanted: RefCell<std::collections::BTreeSet<crate::state::tfstate::Source>>,
    /// Evaluation errors contained to one object (`file:line:col: message`), each once.
    pub errors: RefCell<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct EvalError {
    pub message: String,
    pub file: usize,
    pub span: Option<Range<usize>>,
    /// What terraform rejects before evaluating anything (an undeclared reference, a cycle, a
    /// module it cannot load, a variable value that does not convert): it stops the run.
    /// Every other error costs only the object that needed the value.
    pub fatal: bool,
    /// Where it happened, when that is in another module instance than the one the error is
    /// returned through (a module input evaluated in its caller): `file` and `span` then
    /// belong to that other module and are not used.
    pub at: Option<Box<crate::error::Location>>,
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

/// Whether `attr` of a resource of type `rtype` is one drift links its own objects through (a
/// record names its zone by `zone_id`, an alias its key by `key_id` or `arn`, a key policy its
/// key), so it must stay a reference rather than take the state's value: the state's ids are
/// of the account it was applied in, which is not always the one read.
fn links(rtype: &str, attr: &str) -> bool {
    match rtype {
        "aws_kms_key" | "aws_kms_replica_key" => matches!(attr, "id" | "key_id" | "arn"),
        "aws_kms_alias" => matches!(attr, "id" | "arn" | "target_key_id" | "target_key_arn"),
        "aws_route53_zone" => matches!(attr, "id" | "zone_id" | "arn"),
        // Records and key policies are drift's own objects through and through.
        "aws_kms_key_policy" | "aws_route53_record" => true,
        _ => false,
    }
}

/// The longest chain of references (a local naming a local naming a local…) evaluated.
pub const MAX_DEPTH: usize = 12_000;

thread_local! {
    static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// The values being evaluated, outermost first, across module instances (`var.a`,
    /// `module.m.output.x`): what a cycle's message names.
    static CHAIN: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Leaves one level of the reference chain when dropped.
struct Leave;

impl Drop for Leave {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// The most instances one `count` or `for_each` may make.
pub const MAX_INSTANCES: usize = 100_000;

/// The meta-arguments of a resource or data block: terraform's, not the provider's. Only at
/// the top of the block (a nested block's `version` or `source` is the provider's).
const RESOURCE_META: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "provider",
    "lifecycle",
    "provisioner",
    "connection",
];

/// The meta-arguments of a `module` call; everything else is an input.
const MODULE_META: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "providers",
    "source",
    "version",
];

/// A child module instance with its `count`/`for_each` key (`""` without them).
pub type ChildInstance = (String, Rc<ModuleInstance>);

/// A module call's arguments, each evaluated in the calling instance only when the child first
/// needs it: as in terraform's graph, every input is a node of its own, so a module whose
/// input reads one of its own outputs (or two modules reading each other's) evaluates as long
/// as no value really depends on itself.
struct LazyInputs {
    caller: Weak<ModuleInstance>,
    /// The caller's file the call is in, and the call instance's `count`/`each` scope.
    file: usize,
    scope: Scope,
    /// `module.NAME[KEY]`: the caller memoizes each input under this prefix.
    call: String,
    exprs: BTreeMap<String, Expression>,
}

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
    /// The root module's directory: terraform's working directory, which relative paths in
    /// `file()` and `path.module` are relative to.
    pub root_dir: PathBuf,
    /// Where each input was set (a tfvars file, `TF_VAR_x`, a module call), for messages.
    pub input_sources: BTreeMap<String, String>,
    /// This instance's module path as `terraform init` keys it: `""` for the root, `a.b` for
    /// module `b` called in module `a` (no instance keys).
    pub module_key: String,
    /// Where `terraform init` installed each module call, by module path.
    pub installed: Rc<BTreeMap<String, PathBuf>>,
    /// Where each AWS provider configuration this instance can use (`aws`, `aws.west`) puts
    /// objects: region and assumed role; `Err` when it cannot be known.
    pub provider_regions: Rc<BTreeMap<String, ProviderRegion>>,
    /// Values evaluated once per module instance, shared by every reference to them (a
    /// reference to one element of a large local or `for_each` resource must not copy it all).
    cache: RefCell<HashMap<String, Rc<Value>>>,
    active: RefCell<HashSet<String>>,
    /// Child module instances by call name and instance key.
    children: RefCell<BTreeMap<String, Rc<ModuleInstance>>>,
    /// This instance, once it is shared (`into_rc`): what its children's inputs are
    /// evaluated in.
    me: RefCell<Weak<ModuleInstance>>,
    /// A child's inputs, evaluated on demand in its caller.
    lazy: Option<LazyInputs>,
}

pub(super) fn err(
    message: impl Into<String>,
    file: usize,
    span: Option<Range<usize>>,
) -> EvalError {
    EvalError {
        message: message.into(),
        file,
        span,
        fatal: false,
        at: None,
    }
}

/// An error terraform reports while validating, before it evaluates: it stops the run.
pub(super) fn fatal(
    message: impl Into<String>,
    file: usize,
    span: Option<Range<usize>>,
) -> EvalError {
    EvalError {
        fatal: true,
        ..err(message, file, span)
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
            root_dir: module.dir.clone(),
            input_sources: BTreeMap::new(),
            module_key: String::new(),
            installed: Rc::default(),
            provider_regions: Rc::default(),
            module,
            prefix,
            inputs,
            env,
            cache: RefCell::new(HashMap::new()),
            active: RefCell::new(HashSet::new()),
            children: RefCell::new(BTreeMap::new()),
            me: RefCell::new(Weak::new()),
            lazy: None,
        }
    }

    /// This instance, shared, knowing itself: its module calls' inputs are then evaluated
    /// lazily in it (an instance that is never shared evaluates them when the call is made).
    pub fn into_rc(self) -> Rc<ModuleInstance> {
        let rc = Rc::new(self);
        *rc.me.borrow_mut() = Rc::downgrade(&rc);
        rc
    }

    /// Where an error happened, as `file:line:col`.
    pub fn location_of(&self, e: &EvalError) -> crate::error::Location {
        if let Some(at) = &e.at {
            return (**at).clone();
        }
        match self.module.files.get(e.file) {
            Some(f) => f.location(e.span.as_ref().map_or(0, |s| s.start)),
            None => crate::error::Location::new("?", 0, 0),
        }
    }

    /// The value the caller gives input `name`: set when the instance was made (the root's
    /// variables), or the call's argument, evaluated now in the caller (once).
    fn given(&self, name: &str) -> EResult<Option<Value>> {
        if let Some(v) = self.inputs.get(name) {
            return Ok(Some(v.clone()));
        }
        let Some(lazy) = &self.lazy else {
            return Ok(None);
        };
        let Some(expr) = lazy.exprs.get(name) else {
            return Ok(None);
        };
        let Some(caller) = lazy.caller.upgrade() else {
            return Ok(None);
        };
        let key = format!("{}.{name}", lazy.call);
        caller
            .memo_shared(&key, lazy.file, expr.span(), || {
                caller.contain(caller.eval(expr, &lazy.scope, lazy.file))
            })
            .map(|v| Some((*v).clone()))
            .map_err(|mut e| {
                // Located in the caller's files, which this instance does not know.
                e.at = Some(Box::new(caller.location_of(&e)));
                e
            })
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
        self.memo_shared(key, file, span, f).map(|v| (*v).clone())
    }

    /// As `memo`, without copying the value.
    fn memo_shared(
        &self,
        key: &str,
        file: usize,
        span: Option<Range<usize>>,
        f: impl FnOnce() -> EResult<Value>,
    ) -> EResult<Rc<Value>> {
        if let Some(v) = self.cache.borrow().get(key) {
            return Ok(v.clone());
        }
        let depth = DEPTH.with(|d| {
            d.set(d.get() + 1);
            d.get()
        });
        let _leave = Leave;
        if depth > MAX_DEPTH {
            return Err(fatal(
                format!(
                    "`{key}` is reached through a chain of more than {MAX_DEPTH} references; drift stops there"
                ),
                file,
                span,
            ));
        }
        let node = format!("{}{key}", self.prefix);
        if !self.active.borrow_mut().insert(key.to_string()) {
            // As terraform's `Cycle:` message: the nodes, from this one back to itself.
            let cycle = CHAIN.with(|c| {
                let c = c.borrow();
                let from = c.iter().rposition(|n| *n == node).unwrap_or(0);
                let mut nodes: Vec<String> = c[from..].to_vec();
                nodes.push(node.clone());
                nodes.join(" → ")
            });
            return Err(fatal(
                format!("`{key}` refers to itself (a reference cycle). Cycle: {cycle}"),
                file,
                span,
            ));
        }
        CHAIN.with(|c| c.borrow_mut().push(node));
        let result = f();
        CHAIN.with(|c| c.borrow_mut().pop());
        self.active.borrow_mut().remove(key);
        let v = Rc::new(result?);
        self.cache.borrow_mut().insert(key.to_string(), v.clone());
        Ok(v)
    }

    /// A variable's value: the one given (module input, tfvars, `TF_VAR_*`, drift.toml) or its
    /// default, converted to its `type` constraint as terraform converts it (optional
    /// attributes and their defaults included); `nullable = false` makes a null given value
    /// take the default.
    pub fn variable(&self, name: &str, file: usize, span: Option<Range<usize>>) -> EResult<Value> {
        self.variable_shared(name, file, span).map(|v| (*v).clone())
    }

    fn variable_shared(
        &self,
        name: &str,
        file: usize,
        span: Option<Range<usize>>,
    ) -> EResult<Rc<Value>> {
        let module = self.module.clone();
        let Some(decl) = module.variables.get(name) else {
            return Err(fatal(
                format!("reference to undeclared input variable `var.{name}`"),
                file,
                span,
            ));
        };
        let value = self.memo_shared(&format!("var.{name}"), file, span, || {
            let body = &decl.item.body;
            let at = |a: &str| body.get_attribute(a);
            let here = |m: String, s: Option<Range<usize>>| fatal(m, decl.file, s);
            let fatal_here = here;
            let constraint = match at("type") {
                Some(t) => Constraint::parse(&t.value, &|x| {
                    self.eval(x, &Scope::default(), decl.file)
                        .map_err(|e| e.message)
                })
                .map_err(|m| here(format!("variable `{name}`: invalid type: {m}"), t.value.span()))?,
                None => Constraint::Any,
            };
            let nullable = match at("nullable") {
                Some(a) => !matches!(&a.value, Expression::Bool(b) if !**b),
                None => true,
            };
            let default = match at("default") {
                Some(a) => Some((self.eval(&a.value, &Scope::default(), decl.file)?, a.value.span())),
                None => None,
            };
            let (raw, where_set) = match self.given(name)? {
                Some(v) if !(v.is_null() && !nullable && default.is_some()) => {
                    let at = self
                        .input_sources
                        .get(name)
                        .cloned()
                        .unwrap_or_else(|| "the caller".to_string());
                    (v, format!("set in {at}"))
                }
                _ => match &default {
                    Some((v, _)) => (v.clone(), "its default".to_string()),
                    None => {
                        return Ok(Value::unknown(format!(
                            "variable `{name}` has no value: set it in drift.toml [terraform.vars], a var file or TF_VAR_{name}"
                        )));
                    }
                },
            };
            if raw.is_null() && !nullable {
                return Err(fatal_here(
                    format!("variable `{name}` must not be null (nullable = false)"),
                    decl.item.span(),
                ));
            }
            let value = convert(raw, &constraint).map_err(|m| {
                fatal(
                    format!("invalid value for variable `{name}` ({where_set}): {m}"),
                    decl.file,
                    decl.item.span(),
                )
            })?;
            // `sensitive = true`: its value is never printed.
            if matches!(at("sensitive").map(|a| &a.value), Some(Expression::Bool(b)) if **b)
                && let Ok(j) = value.to_json()
            {
                crate::secrets::note_json(&j);
            }
            Ok(value)
        })?;
        self.validate_variable(name, &decl.item, decl.file)?;
        Ok(value)
    }

    /// A variable's `validation` blocks, as terraform checks them: a condition that is false
    /// is an error for everything that uses the variable (terraform fails the plan); one
    /// that cannot be known yet checks nothing. Checked once per instance.
    fn validate_variable(&self, name: &str, decl: &Block, file: usize) -> EResult<()> {
        let rules: Vec<&Block> = decl.body.get_blocks("validation").collect();
        let key = format!("validation.var.{name}");
        if rules.is_empty() || self.cache.borrow().contains_key(&key) {
            return Ok(());
        }
        // A condition refers to the variable itself: that reference needs no new check.
        if !self.active.borrow_mut().insert(key.clone()) {
            return Ok(());
        }
        let result = (|| {
            for rule in rules {
                let what = format!("validation condition for variable `{name}`");
                if let Some(message) = self.failed_rule(rule, &Scope::default(), file, &what)? {
                    return Err(err(
                        format!("invalid value for variable `{name}`: {message}"),
                        file,
                        rule.span(),
                    ));
                }
            }
            Ok(())
        })();
        self.active.borrow_mut().remove(&key);
        if result.is_ok() {
            self.cache
                .borrow_mut()
                .insert(key, Rc::new(Value::Bool(true)));
        }
        result
    }

    /// A `validation`, `precondition` or `postcondition` block: `Some(message)` when its
    /// `condition` is known and false (the block's `error_message`, or a generic one), `None`
    /// when it holds or is not known yet (terraform checks that one at apply).
    fn failed_rule(
        &self,
        rule: &Block,
        scope: &Scope,
        file: usize,
        what: &str,
    ) -> EResult<Option<String>> {
        let Some(cond) = rule.body.get_attribute("condition") else {
            return Ok(None);
        };
        let holds = match self.eval(&cond.value, scope, file)? {
            Value::Unknown(_) => return Ok(None),
            v => convert(v, &Constraint::Bool)
                .and_then(|v| v.truthy())
                .map_err(|m| err(format!("invalid {what}: {m}"), file, cond.value.span()))?,
        };
        if holds {
            return Ok(None);
        }
        let message = match rule.body.get_attribute("error_message") {
            Some(a) => match self.eval(&a.value, scope, file) {
                Ok(Value::String(s)) => s,
                _ => format!("the {what} failed"),
            },
            None => format!("the {what} failed"),
        };
        Ok(Some(message))
    }

    /// The `check` blocks' assertions that are known and false, as `(where, message)`:
    /// terraform reports them as warnings and plans anyway. An assertion that cannot be
    /// evaluated (unknown, or reading a data source scoped to the check, which drift does not
    /// read) says nothing.
    pub fn failed_checks(&self) -> Vec<(crate::error::Location, String)> {
        let mut out = Vec::new();
        for (name, check) in &self.module.checks {
            let what = format!("assertion of check `{}{name}`", self.prefix);
            for rule in check.item.body.get_blocks("assert") {
                if let Ok(Some(message)) =
                    self.failed_rule(rule, &Scope::default(), check.file, &what)
                {
                    let e = err(String::new(), check.file, rule.span());
                    out.push((
                        self.location_of(&e),
                        format!("check `{}{name}` failed: {message}", self.prefix),
                    ));
                }
            }
        }
        out
    }

    /// An output's `precondition` blocks: terraform refuses to plan when a known condition is
    /// false, so what reads the output cannot be checked.
    fn check_output_preconditions(&self, name: &str) -> EResult<()> {
        let Some(rules) = self.module.output_preconditions.get(name) else {
            return Ok(());
        };
        let what = format!("precondition of `{}output.{name}`", self.prefix);
        self.first_failed(rules.item.iter(), &Scope::default(), rules.file, &what)
    }

    /// The first of `rules` whose condition is known and false, as an error `WHAT failed:
    /// MESSAGE` at that rule (it costs what needed the value, not the run).
    fn first_failed<'b>(
        &self,
        rules: impl Iterator<Item = &'b Block>,
        scope: &Scope,
        file: usize,
        what: &str,
    ) -> EResult<()> {
        for rule in rules {
            if let Some(message) = self.failed_rule(rule, scope, file, what)? {
                return Err(err(format!("{what} failed: {message}"), file, rule.span()));
            }
        }
        Ok(())
    }

    /// The `precondition` (or `postcondition`) blocks of a resource's or data source's
    /// `lifecycle`, for one instance: terraform refuses to plan when a known condition is
    /// false, so that instance's declaration cannot be checked (the error names it and says
    /// why). A postcondition reads `self`, the planned object: what AWS computes is unknown
    /// there, so only conditions on what the code sets can fail.
    fn check_conditions(
        &self,
        block: &Block,
        kind: &str,
        scope: &Scope,
        file: usize,
        address: &str,
    ) -> EResult<()> {
        let rules = block
            .body
            .get_blocks("lifecycle")
            .flat_map(|l| l.body.get_blocks(kind));
        self.first_failed(rules, scope, file, &format!("{kind} of `{address}`"))
    }

    pub fn local(&self, name: &str, file: usize, span: Option<Range<usize>>) -> EResult<Value> {
        self.local_shared(name, file, span).map(|v| (*v).clone())
    }

    fn local_shared(
        &self,
        name: &str,
        file: usize,
        span: Option<Range<usize>>,
    ) -> EResult<Rc<Value>> {
        let module = self.module.clone();
        let Some(decl) = module.locals.get(name) else {
            return Err(fatal(
                format!("reference to undeclared local value `local.{name}`"),
                file,
                span,
            ));
        };
        self.memo_shared(&format!("local.{name}"), file, span, || {
            self.eval(&decl.item, &Scope::default(), decl.file)
        })
    }

    /// The instances `count` or `for_each` make of a block; `Ok(Err(u))` when unknown.
    pub fn expand(&self, block: &Block, file: usize) -> EResult<Result<Vec<Expanded>, Unknown>> {
        let base = Scope::default();
        if let Some(count) = block.body.get_attribute("count") {
            let here = |m: String| err(m, file, count.value.span());
            let v = self.eval(&count.value, &base, file)?;
            if let Value::Unknown(u) = v {
                return Ok(Err(u));
            }
            if v.is_null() {
                return Err(here(
                    "invalid `count` argument: the given value is null".into(),
                ));
            }
            let n = convert(v, &Constraint::Number)
                .and_then(|n| n.as_number())
                .map_err(|m| here(format!("invalid `count` argument: {m}")))?;
            if !n.is_int() || n.is_neg() {
                return Err(here(format!(
                    "invalid `count` argument: must be a whole number, not negative; got {}",
                    n.to_text()
                )));
            }
            let n = n
                .to_i64()
                .filter(|n| *n as usize <= MAX_INSTANCES)
                .ok_or_else(|| here(format!("`count` is more than {MAX_INSTANCES} instances")))?;
            return Ok(Ok((0..n)
                .map(|i| Expanded {
                    key: format!("[{i}]"),
                    scope: base.with(
                        "count",
                        Value::Object(BTreeMap::from([("index".into(), Value::int(i))])),
                    ),
                })
                .collect()));
        }
        if let Some(fe) = block.body.get_attribute("for_each") {
            let here = |m: String| err(m, file, fe.value.span());
            let v = self.eval(&fe.value, &base, file)?;
            if let Value::Unknown(u) = &v {
                return Ok(Err(u.clone()));
            }
            let pairs: Vec<(String, Value)> = match v {
                Value::Map(_, m) | Value::Object(m) => m.into_iter().collect(),
                Value::Set(Type::String, items) | Value::Set(Type::Dynamic, items) => {
                    let mut out = Vec::new();
                    for i in items {
                        match i {
                            Value::Unknown(u) => return Ok(Err(u)),
                            Value::String(s) => out.push((s.clone(), Value::String(s))),
                            _ => {
                                return Err(here("`for_each` set elements must be strings".into()));
                            }
                        }
                    }
                    out
                }
                Value::Null(_) => {
                    return Err(here(
                        "invalid `for_each` argument: the given value is null".into(),
                    ));
                }
                other => {
                    return Err(here(format!(
                        "invalid `for_each` argument: must be a map, or set of strings, and you have provided a value of type {}",
                        other.ty()
                    )));
                }
            };
            if pairs.len() > MAX_INSTANCES {
                return Err(here(format!(
                    "`for_each` makes more than {MAX_INSTANCES} instances"
                )));
            }
            // Instance keys are shown everywhere: terraform refuses a sensitive one.
            if pairs
                .iter()
                .any(|(k, _)| crate::secrets::redact(k).is_some())
            {
                return Err(here(
                    "invalid `for_each` argument: a sensitive value cannot be used as `for_each` (its keys would be shown)".into(),
                ));
            }
            return Ok(Ok(pairs
                .into_iter()
                .map(|(k, v)| Expanded {
                    key: format!("[{}]", serde_json::Value::String(k.clone())),
                    scope: base.with(
                        "each",
                        Value::Object(BTreeMap::from([
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

    /// Turns an evaluation error into an unknown that carries it, so that only the object
    /// that needed the value is "not checked"; the error is kept for the report. Errors
    /// terraform reports before evaluating (`fatal`) still stop the run.
    pub fn contain(&self, r: EResult<Value>) -> EResult<Value> {
        match r {
            Err(e) if !e.fatal => Ok(Value::Unknown(self.note(&e))),
            other => other,
        }
    }

    /// Records an error that costs one object (`at` is `file:line:col`) and returns the
    /// reason that object is not checked.
    pub fn object_error(&self, at: &str, message: &str) -> String {
        let text = format!("{at}: {message}");
        let mut errors = self.env.errors.borrow_mut();
        if !errors.contains(&text) {
            errors.push(text.clone());
        }
        format!("evaluation error at {text}")
    }

    pub fn note(&self, e: &EvalError) -> Unknown {
        let at = {
            let l = self.location_of(e);
            format!("{}:{}:{}", l.path, l.line, l.column)
        };
        Unknown {
            reason: self.object_error(&at, &e.message),
            reference: None,
            error: Some(format!("{at}: {}", e.message)),
        }
    }

    /// Evaluates a block body into attributes; nested blocks become lists of objects under
    /// their name, with `dynamic` blocks expanded. With `owner` (a resource's address) nested
    /// blocks are resource-like: an attribute they do not set is known only to AWS, so
    /// unknown. An attribute whose evaluation fails is an unknown carrying the error.
    pub fn eval_body(
        &self,
        body: &Body,
        scope: &Scope,
        file: usize,
        owner: Option<&str>,
    ) -> EResult<BTreeMap<String, Value>> {
        self.eval_body_skipping(body, scope, file, owner, RESOURCE_META)
    }

    /// A `module` call's inputs: its body without the meta-arguments.
    pub fn eval_module_inputs(
        &self,
        body: &Body,
        scope: &Scope,
        file: usize,
    ) -> EResult<BTreeMap<String, Value>> {
        self.eval_body_skipping(body, scope, file, None, MODULE_META)
    }

    fn eval_body_skipping(
        &self,
        body: &Body,
        scope: &Scope,
        file: usize,
        owner: Option<&str>,
        meta: &[&str],
    ) -> EResult<BTreeMap<String, Value>> {
        let mut out = BTreeMap::new();
        for attr in body.attributes() {
            let key = attr.key.as_str();
            if meta.contains(&key) {
                continue;
            }
            let v = self.contain(self.eval(&attr.value, scope, file))?;
            out.insert(key.to_string(), v);
        }
        let nested =
            |name: &str, obj: BTreeMap<String, Value>, out: &mut BTreeMap<String, Value>| {
                let entry = out
                    .entry(name.to_string())
                    .or_insert_with(|| Value::Tuple(Vec::new()));
                if let Value::Tuple(list) = entry {
                    let v = match owner {
                        Some(o) => Value::Resource(Box::new(ResourceValue::new(
                            format!("{o}.{name}[{}]", list.len()),
                            obj,
                        ))),
                        None => Value::Object(obj),
                    };
                    list.push(v);
                }
            };
        for block in body.blocks() {
            let ident = block.ident.as_str();
            if meta.contains(&ident) {
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
                    return Err(fatal(
                        "a dynamic block needs `for_each`",
                        file,
                        block.span(),
                    ));
                };
                let Some(content) = block.body.get_blocks("content").next() else {
                    return Err(fatal(
                        "a dynamic block needs a `content` block",
                        file,
                        block.span(),
                    ));
                };
                let coll = self.contain(self.eval(&fe.value, scope, file))?;
                if let Value::Unknown(u) = coll {
                    out.insert(name, Value::Unknown(u));
                    continue;
                }
                let pairs = match iteration_pairs(coll, "dynamic `for_each`") {
                    Ok(p) => p,
                    Err(m) => {
                        let u = self.note(&err(m, file, fe.value.span()));
                        out.insert(name, Value::Unknown(u));
                        continue;
                    }
                };
                out.entry(name.clone())
                    .or_insert_with(|| Value::Tuple(Vec::new()));
                for (k, v) in pairs {
                    let inner = scope.with(
                        &iterator,
                        Value::Object(BTreeMap::from([("key".into(), k), ("value".into(), v)])),
                    );
                    let obj = self.eval_body_skipping(&content.body, &inner, file, owner, &[])?;
                    nested(&name, obj, &mut out);
                }
                continue;
            }
            let obj = self.eval_body_skipping(&block.body, scope, file, owner, &[])?;
            nested(ident, obj, &mut out);
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
        let instances = match self.expand(&decl.item.block, decl.file) {
            Ok(Ok(i)) => i,
            Ok(Err(u)) => return Ok(Err(u)),
            Err(e) if !e.fatal => return Ok(Err(self.note(&e))),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for inst in instances {
            let address = format!("{base}{}", inst.key);
            let block = &decl.item.block;
            match self.check_conditions(block, "precondition", &inst.scope, decl.file, &address) {
                Ok(()) => {}
                Err(e) if !e.fatal => return Ok(Err(self.note(&e))),
                Err(e) => return Err(e),
            }
            let attrs = if kind == "data" {
                self.data_attrs(decl, &inst.scope, &address)?
            } else {
                self.eval_body(
                    &decl.item.block.body,
                    &inst.scope,
                    decl.file,
                    Some(&address),
                )?
            };
            let mut value = ResourceValue::new(address, attrs);
            // What AWS computed, as the Terraform state recorded it (`aws_lb.x.dns_name`,
            // `aws_db_instance.x.address`, `aws_route53_zone.x.name_servers`). Not the
            // attributes drift links its own objects through (a record's zone, an alias's key):
            // those stay references, resolved by name as AWS reports them.
            if kind != "data"
                && let Some(recorded) = self.env.state_attrs.get(&value.address)
            {
                let rtype = decl.item.rtype.as_str();
                value.state = recorded
                    .iter()
                    .filter(|(k, v)| {
                        !v.is_null() && !value.attrs.contains_key(*k) && !links(rtype, k)
                    })
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect();
            }
            let planned = inst
                .scope
                .with("self", Value::Resource(Box::new(value.clone())));
            let address = &value.address;
            match self.check_conditions(block, "postcondition", &planned, decl.file, address) {
                Ok(()) => {}
                Err(e) if !e.fatal => return Ok(Err(self.note(&e))),
                Err(e) => return Err(e),
            }
            out.push((inst.key, value));
        }
        Ok(Ok(out))
    }

    /// `data "terraform_remote_state"`: the outputs of the other stack's state. The `local`
    /// backend reads `config.path` (relative to the root, default `terraform.tfstate`); the
    /// `s3` backend the object `config.bucket`/`config.key` in the data source's `workspace`,
    /// read by the caller (from S3, or from a snapshot that recorded it). `defaults` fill in
    /// outputs the state lacks. Other backends, and a state that cannot be read, leave the
    /// outputs unknown with the reason.
    fn remote_state_outputs(&self, attrs: &BTreeMap<String, Value>, address: &str) -> Value {
        let unknown = |reason: String| {
            Value::Unknown(Unknown {
                reason,
                reference: Some(format!("{address}.outputs")),
                error: None,
            })
        };
        let text_of = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_string));
        let config = |name: &str| text_of(attrs.get("config").and_then(|c| c.get_attr(name).ok()));
        let flag = |name: &str| {
            attrs
                .get("config")
                .and_then(|c| c.get_attr(name).ok())
                .is_some_and(|v| v == Value::Bool(true))
        };
        let backend = text_of(attrs.get("backend").cloned()).unwrap_or_default();
        let outputs = match backend.as_str() {
            "local" => {
                // Another workspace's state: `<workspace_dir>/<workspace>/terraform.tfstate`.
                let path = match text_of(attrs.get("workspace").cloned()) {
                    Some(ws) if !ws.is_empty() && ws != "default" => format!(
                        "{}/{ws}/terraform.tfstate",
                        config("workspace_dir").unwrap_or_else(|| "terraform.tfstate.d".into())
                    ),
                    _ => config("path").unwrap_or_else(|| "terraform.tfstate".to_string()),
                };
                let file = self.root_dir.join(&path);
                let display = file.display().to_string();
                match crate::input_file::read_text(&file) {
                    Ok(text) => crate::state::tfstate::outputs(&text, &display),
                    Err(_) => Err(format!("the state `{display}` could not be read")),
                }
            }
            "s3" => {
                let (Some(bucket), Some(key)) = (config("bucket"), config("key")) else {
                    return unknown(format!(
                        "`{address}`: the s3 backend's `bucket` and `key` are not known"
                    ));
                };
                let workspace = text_of(attrs.get("workspace").cloned());
                let key = crate::state::tfstate::s3_workspace_key(
                    &key,
                    workspace.as_deref(),
                    config("workspace_key_prefix").as_deref(),
                );
                let source = crate::state::tfstate::Source::S3 {
                    bucket,
                    key,
                    region: config("region"),
                    path_style: flag("use_path_style") || flag("force_path_style"),
                };
                match self.env.remote_states.get(&source.display()) {
                    Some(read) => read.clone(),
                    None => {
                        let display = source.display();
                        self.env.remote_states_wanted.borrow_mut().insert(source);
                        Err(format!(
                            "the state {display} was not read (drift reads it from S3 with \
                             `--live aws`; `drift snapshot` records it)"
                        ))
                    }
                }
            }
            other => Err(format!(
                "it reads the `{other}` backend, which drift does not read for remote state"
            )),
        };
        let outputs = match outputs {
            Ok(o) => o,
            Err(reason) => return unknown(format!("`{address}`: {reason}")),
        };
        crate::desired::terraform::value::note_state_use(format!("{address}.outputs"));
        let mut values: BTreeMap<String, Value> = match attrs.get("defaults") {
            Some(Value::Object(d) | Value::Map(_, d)) => d.clone(),
            _ => BTreeMap::new(),
        };
        for (name, o) in outputs {
            let value = match o.get("value") {
                Some(v) => {
                    if o.get("sensitive").and_then(|s| s.as_bool()) == Some(true) {
                        crate::secrets::note_json(v);
                    }
                    Value::from_json(v)
                }
                // A sensitive output a snapshot left out.
                None => unknown(format!(
                    "`{address}.outputs.{name}` is sensitive: snapshots do not record it"
                )),
            };
            values.insert(name, value);
        }
        Value::Object(values)
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
                error: None,
            }),
        };
        let mut attrs = self.eval_body(&decl.item.block.body, scope, decl.file, Some(address))?;
        match decl.item.rtype.as_str() {
            "terraform_remote_state" => {
                attrs.insert("outputs".into(), self.remote_state_outputs(&attrs, address));
            }
            "aws_caller_identity" => {
                let id = known(&self.env.account_id, "account id");
                attrs.insert("account_id".into(), id.clone());
                attrs.insert("arn".into(), known(&self.env.caller_arn, "caller ARN"));
                attrs.insert(
                    "user_id".into(),
                    known(&self.env.caller_user_id, "caller user id"),
                );
                attrs.insert("id".into(), id);
            }
            "aws_region" => {
                // The region of its provider configuration, else drift's.
                let placed = match self.resource_region(&decl.item.block, &attrs) {
                    Ok(p) => p.region.or_else(|| self.env.region.clone()),
                    Err(_) => None,
                };
                let r = known(&placed, "region");
                attrs.insert("name".into(), r.clone());
                attrs.insert("id".into(), r.clone());
                attrs.insert("region".into(), r);
            }
            "aws_route53_zone" => {
                // Found by id: AWS says its name.
                let id = attrs
                    .get("zone_id")
                    .and_then(Value::as_str)
                    .map(crate::model::dns::canonical_zone_id);
                if !attrs.contains_key("name")
                    && let Some((name, private)) = id.and_then(|i| self.env.zones_by_id.get(&i))
                {
                    attrs.insert("name".into(), Value::string(name.clone()));
                    attrs.insert("private_zone".into(), Value::Bool(*private));
                }
            }
            "aws_partition" => {
                // The partition of its provider configuration's region (`cn-north-1`:
                // `aws-cn`), else of drift's.
                let region = match self.resource_region(&decl.item.block, &attrs) {
                    Ok(p) => p.region.or_else(|| self.env.region.clone()),
                    Err(_) => self.env.region.clone(),
                };
                let partition = crate::model::partition_of(region.as_deref());
                let (suffix, reverse) = match partition {
                    "aws-cn" => ("amazonaws.com.cn", "cn.com.amazonaws"),
                    _ => ("amazonaws.com", "com.amazonaws"),
                };
                attrs.insert("partition".into(), Value::string(partition));
                attrs.insert("dns_suffix".into(), Value::string(suffix));
                attrs.insert("reverse_dns_prefix".into(), Value::string(reverse));
                attrs.insert("id".into(), Value::string(partition));
            }
            "aws_iam_policy_document" => {
                let json = iam_document::build(&attrs).unwrap_or_else(|m| {
                    Value::Unknown(self.note(&err(m, decl.file, decl.item.block.span())))
                });
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
            Ok(list) if counted => Value::Tuple(
                list.into_iter()
                    .map(|(_, r)| Value::Resource(Box::new(r)))
                    .collect(),
            ),
            Ok(list) if for_each => Value::Object(
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
                .map_or(Value::null(), |(_, r)| Value::Resource(Box::new(r))),
        }
    }

    fn resource_ref(
        &self,
        kind: &str,
        rtype: &str,
        name: &str,
        file: usize,
        span: Option<Range<usize>>,
    ) -> EResult<Rc<Value>> {
        let module = self.module.clone();
        let map = if kind == "data" {
            &module.data
        } else {
            &module.resources
        };
        let Some(decl) = map.get(&(rtype.to_string(), name.to_string())) else {
            let what = if kind == "data" {
                format!("data.{rtype}.{name}")
            } else {
                format!("{rtype}.{name}")
            };
            return Err(fatal(
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
        self.memo_shared(&format!("{kind}.{rtype}.{name}"), file, span, || {
            let body = &decl.item.block.body;
            let instances = self.resource_instances(decl, kind)?;
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
        let Some(source) = super::module::call_source(&decl.item).map(str::to_string) else {
            return Ok(None);
        };
        let Some(dir) = self.module_dir_of(name, &source) else {
            return Ok(None);
        };
        if self.prefix.matches("module.").count() >= 16 {
            return Err(fatal(
                format!(
                    "module `{name}` nests more than 16 levels deep (does `{source}` call itself?)"
                ),
                decl.file,
                decl.item.span(),
            ));
        }
        let module = super::load_module_cached(&dir).map_err(|e| {
            fatal(
                format!(
                    "cannot load module `{name}` from `{source}`: {}",
                    e.render().trim_start_matches("error: ")
                ),
                decl.file,
                decl.item.span(),
            )
        })?;
        // A `count`/`for_each` that needs the module's own outputs: terraform's `Cycle:`.
        let expanding = format!("module.{name} (count/for_each)");
        if !self.active.borrow_mut().insert(expanding.clone()) {
            return Err(fatal(
                format!(
                    "Cycle: the `count` or `for_each` of `module.{name}` depends on the module's own outputs"
                ),
                decl.file,
                decl.item.span(),
            ));
        }
        let expanded = self.expand(&decl.item, decl.file);
        self.active.borrow_mut().remove(&expanding);
        let instances = match expanded {
            Ok(Ok(i)) => i,
            Ok(Err(u)) => return Ok(Some(Err(u))),
            Err(e) if !e.fatal => return Ok(Some(Err(self.note(&e)))),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for one in instances {
            let cache_key = format!("{name}{}", one.key);
            if let Some(c) = self.children.borrow().get(&cache_key) {
                out.push((one.key.clone(), c.clone()));
                continue;
            }
            // terraform's "Unsupported argument": the module declares no such variable.
            for attr in decl.item.body.attributes() {
                let key = attr.key.as_str();
                if !MODULE_META.contains(&key) && !module.variables.contains_key(key) {
                    return Err(fatal(
                        format!(
                            "unsupported argument: module `{name}` ({source}) declares no variable `{key}`"
                        ),
                        decl.file,
                        attr.span(),
                    ));
                }
            }
            // Shared instances evaluate each argument when the child needs it; others now.
            let caller = self.me.borrow().clone();
            let (inputs, lazy) = if caller.upgrade().is_some() {
                let exprs = decl
                    .item
                    .body
                    .attributes()
                    .filter(|a| !MODULE_META.contains(&a.key.as_str()))
                    .map(|a| (a.key.as_str().to_string(), a.value.clone()))
                    .collect();
                let lazy = LazyInputs {
                    caller,
                    file: decl.file,
                    scope: one.scope.clone(),
                    call: format!("module.{name}{}", one.key),
                    exprs,
                };
                (BTreeMap::new(), Some(lazy))
            } else {
                let inputs = self.eval_module_inputs(&decl.item.body, &one.scope, decl.file)?;
                (inputs, None)
            };
            let given: Vec<String> = match &lazy {
                Some(l) => l.exprs.keys().cloned().collect(),
                None => inputs.keys().cloned().collect(),
            };
            let mut child = ModuleInstance::new(
                module.clone(),
                format!("{}module.{name}{}.", self.prefix, one.key),
                inputs,
                self.env.clone(),
            );
            child.lazy = lazy;
            child.root_dir = self.root_dir.clone();
            child.module_key = self.call_key(name);
            child.installed = self.installed.clone();
            child.provider_regions = Rc::new(self.providers_for_call(&decl.item));
            let call = match self.module.files.get(decl.file) {
                Some(f) => {
                    let l = f.location(decl.item.span().map_or(0, |s| s.start));
                    format!("module.{name} at {}:{}", l.path, l.line)
                }
                None => format!("module.{name}"),
            };
            child.input_sources = given.into_iter().map(|k| (k, call.clone())).collect();
            let child = child.into_rc();
            self.children.borrow_mut().insert(cache_key, child.clone());
            out.push((one.key, child));
        }
        Ok(Some(Ok(out)))
    }

    /// Where this module's own `provider "aws"` blocks (the root's) put objects: their
    /// `region` and `assume_role { role_arn }`, with the implicit default configuration `aws`.
    pub fn own_provider_regions(&self) -> EResult<BTreeMap<String, ProviderRegion>> {
        let mut out = BTreeMap::from([("aws".to_string(), Ok(Placement::default()))]);
        for (name, decl) in &self.module.providers {
            let text = |body: &Body, attr: &str| -> EResult<Result<Option<String>, String>> {
                Ok(match body.get_attribute(attr) {
                    None => Ok(None),
                    Some(a) => {
                        match self.contain(self.eval(&a.value, &Scope::default(), decl.file))? {
                            Value::String(r) => Ok(Some(r)),
                            Value::Null(_) => Ok(None),
                            Value::Unknown(u) => Err(u.reason),
                            other => Err(format!(
                                "provider `{name}` has a `{attr}` that is a {}",
                                other.type_name()
                            )),
                        }
                    }
                })
            };
            let region = text(&decl.item.body, "region")?;
            let role = match decl.item.body.get_blocks("assume_role").next() {
                Some(b) => text(&b.body, "role_arn")?,
                None => Ok(None),
            };
            let placement = match (region, role) {
                (Ok(region), Ok(role_arn)) => Ok(Placement { region, role_arn }),
                (Err(m), _) | (_, Err(m)) => Err(m),
            };
            out.insert(name.clone(), placement);
        }
        Ok(out)
    }

    /// The provider configurations a module call passes to its child: its `providers` map
    /// (`{ aws = aws.west }`), else this instance's default `aws`.
    fn providers_for_call(&self, call: &Block) -> BTreeMap<String, ProviderRegion> {
        let mut out = BTreeMap::new();
        out.insert(
            "aws".to_string(),
            self.provider_regions
                .get("aws")
                .cloned()
                .unwrap_or(Ok(Placement::default())),
        );
        if let Some(Expression::Object(o)) = call.body.get_attribute("providers").map(|a| &a.value)
        {
            for (k, v) in o.iter() {
                let key = match k {
                    hcl_edit::expr::ObjectKey::Ident(id) => Some(id.as_str().to_string()),
                    hcl_edit::expr::ObjectKey::Expression(e) => provider_ref(e),
                };
                if let (Some(key), Some(target)) = (key, provider_ref(v.expr())) {
                    let placement =
                        self.provider_regions
                            .get(&target)
                            .cloned()
                            .unwrap_or_else(|| {
                                Err(format!("provider configuration `{target}` is not declared"))
                            });
                    out.insert(key, placement);
                }
            }
        }
        out
    }

    /// A placement with the region an object's own `region` argument gives (AWS provider 6).
    fn with_own_region(
        placement: ProviderRegion,
        attrs: &BTreeMap<String, Value>,
    ) -> ProviderRegion {
        match attrs.get("region") {
            Some(Value::String(r)) => placement.map(|p| Placement {
                region: Some(r.clone()),
                ..p
            }),
            Some(Value::Unknown(u)) => Err(u.reason.clone()),
            _ => placement,
        }
    }

    /// Where what a module call makes lives: the `aws` configuration it passes, with its
    /// `region` input (the KMS module's, AWS provider 6).
    pub fn call_region(&self, call: &Block, inputs: &BTreeMap<String, Value>) -> ProviderRegion {
        let passed = self
            .providers_for_call(call)
            .remove("aws")
            .unwrap_or(Ok(Placement::default()));
        Self::with_own_region(passed, inputs)
    }

    /// Where a resource lives: its `provider` configuration (else the default one), with its
    /// own `region` argument (AWS provider 6).
    pub fn resource_region(
        &self,
        block: &Block,
        attrs: &BTreeMap<String, Value>,
    ) -> ProviderRegion {
        let name = block
            .body
            .get_attribute("provider")
            .and_then(|a| provider_ref(&a.value))
            .unwrap_or_else(|| "aws".to_string());
        let placement = self
            .provider_regions
            .get(&name)
            .cloned()
            .unwrap_or_else(|| match name.as_str() {
                "aws" => Ok(Placement::default()),
                other => Err(format!("provider configuration `{other}` is not declared")),
            });
        Self::with_own_region(placement, attrs)
    }

    /// The module path `terraform init` keys a call of this module by.
    pub fn call_key(&self, name: &str) -> String {
        if self.module_key.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.module_key)
        }
    }

    /// Where the code of module call `name` is: a local path (`./`, `../`, or absolute), or
    /// the directory `terraform init` installed it in; `None` when it is not installed.
    pub fn module_dir_of(&self, name: &str, source: &str) -> Option<PathBuf> {
        if is_local_source(source) {
            return Some(normalize(&self.module.dir.join(source)));
        }
        if Path::new(source).is_absolute() {
            return Some(PathBuf::from(source));
        }
        self.installed.get(&self.call_key(name)).cloned()
    }

    /// The outputs of a child instance, as an object: all of them, or `only` the one a
    /// reference reads (each output is a node of its own: reading one never evaluates the
    /// others, which may depend on the very input being evaluated).
    fn outputs(child: &ModuleInstance, only: Option<&str>) -> EResult<Value> {
        let mut outputs = BTreeMap::new();
        for (out_name, out) in &child.module.outputs {
            if only.is_some_and(|o| o != out_name) {
                continue;
            }
            let v = child.memo(&format!("output.{out_name}"), out.file, None, || {
                child.check_output_preconditions(out_name)?;
                child.eval(&out.item, &Scope::default(), out.file)
            })?;
            outputs.insert(out_name.clone(), v);
        }
        Ok(Value::Object(outputs))
    }

    /// `module.NAME`, followed by `next` (the rest of the reference: when it reads one output,
    /// only that output is evaluated).
    fn module_ref(
        &self,
        name: &str,
        next: &[&TraversalOperator],
        file: usize,
        span: Option<Range<usize>>,
    ) -> EResult<Value> {
        let Some(decl) = self.module.module_calls.get(name) else {
            return Err(fatal(
                format!("reference to undeclared module `module.{name}`"),
                file,
                span,
            ));
        };
        let instances = match self.children(name)? {
            None => {
                let source = super::module::call_source(&decl.item).unwrap_or_default();
                if !super::kms_module::is_kms_module(source) {
                    return Ok(Value::unknown(format!(
                        "module `{}module.{name}` ({source}) is not installed; run `terraform init`",
                        self.prefix
                    )));
                }
                return Ok(Value::Resource(Box::new(ResourceValue::new(
                    format!("{}module.{name}", self.prefix),
                    BTreeMap::from([("source".to_string(), Value::string(source))]),
                ))));
            }
            Some(Err(u)) => return Ok(Value::Unknown(u)),
            Some(Ok(list)) => list,
        };
        let body = &decl.item.body;
        let expanded = body.has_attribute("count") || body.has_attribute("for_each");
        let attr_at = |i: usize| match next.get(i) {
            Some(TraversalOperator::GetAttr(id)) => Some(id.as_str()),
            _ => None,
        };
        let only = if !expanded {
            attr_at(0)
        } else if matches!(
            next.first(),
            Some(TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_))
        ) {
            attr_at(1)
        } else {
            None
        };
        if body.has_attribute("count") {
            return Ok(Value::Tuple(
                instances
                    .iter()
                    .map(|(_, c)| Self::outputs(c, only))
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
                m.insert(k, Self::outputs(c, only)?);
            }
            return Ok(Value::Object(m));
        }
        match instances.first() {
            Some((_, c)) => Self::outputs(c, only),
            None => Ok(Value::null()),
        }
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
                fatal(
                    format!("`{root}` must be followed by {what}"),
                    file,
                    span.clone(),
                )
            })
        };
        if let Some(v) = scope.get(root) {
            return self.apply_ops(v.clone(), &ops, scope, file, span);
        }
        let shared = match root {
            "var" => Some((
                self.variable_shared(&need(0, "a variable name")?, file, span.clone())?,
                1,
            )),
            "local" => Some((
                self.local_shared(&need(0, "a local name")?, file, span.clone())?,
                1,
            )),
            "data" => {
                let t = need(0, "a data source type")?;
                let n = need(1, "a data source name")?;
                Some((self.resource_ref("data", &t, &n, file, span.clone())?, 2))
            }
            "module" | "path" | "terraform" | "count" | "each" | "self" => None,
            rtype => {
                let n = need(0, "a resource name")?;
                Some((
                    self.resource_ref("resource", rtype, &n, file, span.clone())?,
                    1,
                ))
            }
        };
        if let Some((base, used)) = shared {
            // Walk into the shared value in place; copy only what the reference selects.
            let (v, used) = self.walk_shared(&base, &ops, used, scope, file)?;
            return self.apply_ops(v, &ops[used..], scope, file, span);
        }
        let (base, used) = match root {
            "module" => (
                self.module_ref(&need(0, "a module name")?, &ops[1..], file, span.clone())?,
                1,
            ),
            "path" => {
                let which = need(0, "`module`, `root` or `cwd`")?;
                // As terraform defines them when run in the root module's directory.
                let p = match which.as_str() {
                    "module" => relative_to(&self.root_dir, &self.module.dir),
                    "root" => ".".to_string(),
                    "cwd" => absolute(&self.root_dir).display().to_string(),
                    other => return Err(fatal(format!("unknown `path.{other}`"), file, span)),
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
            _ => {
                return Err(fatal(format!("`{root}` is not available here"), file, span));
            }
        };
        self.apply_ops(base, &ops[used..], scope, file, span)
    }
}

/// Where an object lives, as far as the code says; `Err` when it cannot be known.
pub type ProviderRegion = Result<Placement, String>;

/// A provider configuration's region and assumed role (`None`: drift's default region, the
/// caller's own account).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    pub region: Option<String>,
    pub role_arn: Option<String>,
}

impl Placement {
    /// The account of the assumed role (the fifth field of its ARN).
    pub fn account(&self) -> Option<&str> {
        self.role_arn
            .as_deref()?
            .split(':')
            .nth(4)
            .filter(|a| !a.is_empty())
    }
}

/// A provider configuration reference as written: `aws` or `aws.west`.
fn provider_ref(e: &Expression) -> Option<String> {
    match e {
        Expression::Variable(v) => Some(v.as_str().to_string()),
        Expression::Traversal(t) => {
            let Expression::Variable(root) = &t.expr else {
                return None;
            };
            let mut out = root.as_str().to_string();
            for op in t.operators.iter() {
                match &**op {
                    TraversalOperator::GetAttr(id) => {
                        out.push('.');
                        out.push_str(id.as_str());
                    }
                    _ => return None,
                }
            }
            Some(out)
        }
        Expression::String(s) => Some(s.as_str().to_string()),
        _ => None,
    }
}

/// Removes `.` and resolves `..` components lexically (module sources are relative paths):
/// `name/..` cancels, a leading `..` stays (`./../..` is `../..`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            // `..` removes the last name, never a `..` already there (`../..` stays).
            std::path::Component::ParentDir => {
                if matches!(
                    out.components().next_back(),
                    Some(std::path::Component::Normal(_))
                ) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// An absolute form of `path` (canonical where it exists).
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|c| normalize(&c.join(path)))
            .unwrap_or_else(|_| path.to_path_buf())
    })
}

/// `dir` relative to `root`, as terraform shows `path.module` (`.` for the root itself).
fn relative_to(root: &Path, dir: &Path) -> String {
    let (root, dir) = (absolute(root), absolute(dir));
    let r: Vec<_> = root.components().collect();
    let d: Vec<_> = dir.components().collect();
    let common = r.iter().zip(&d).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..r.len() {
        out.push("..");
    }
    for c in &d[common..] {
        out.push(c);
    }
    let s = out.display().to_string();
    if s.is_empty() { ".".to_string() } else { s }
}
