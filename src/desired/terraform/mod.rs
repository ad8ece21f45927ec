//! Reads Terraform root modules into the canonical desired state.
//!
//! Loads each root (and the local child modules it calls), resolves input variables the way
//! Terraform does (defaults < `terraform.tfvars` < `*.auto.tfvars` < var files < drift.toml
//! `[terraform.vars]` < `TF_VAR_*`), evaluates what the families need, and hands each resource
//! family (one file each) the module instances to read from. Knows nothing about AWS.

mod cloudfront;
mod dnssec;
pub mod eval;
pub mod functions;
pub mod iam_document;
mod json_config;
mod kms;
pub mod kms_module;
pub mod module;
mod rds;
mod route53;
mod s3;
pub mod value;

use crate::error::{Error, Result};
use crate::model::{Origin, State};
use eval::{Env, EvalError, ModuleInstance, Scope};
use module::{Decl, Module, ResourceDecl, display_path};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use value::{ResourceValue, Unknown, Value};

/// What to read: root module folders, var files and variable values (already resolved to
/// paths and JSON values by the config layer).
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub roots: Vec<PathBuf>,
    pub var_files: Vec<PathBuf>,
    pub vars: BTreeMap<String, serde_json::Value>,
    /// Terraform's data directory, relative to each root: `[terraform] data_dir`, else
    /// `TF_DATA_DIR`, else `.terraform`. Its `modules/modules.json` locates installed modules.
    pub data_dir: Option<String>,
}

thread_local! {
    static MODULES: RefCell<HashMap<PathBuf, Rc<Module>>> = RefCell::new(HashMap::new());
    /// The files of every module loaded this run (the modules themselves are let go once the
    /// desired state is built).
    static MODULE_FILES: RefCell<Vec<PathBuf>> = const { RefCell::new(Vec::new()) };
    /// Variable files read, besides the modules' own files.
    static VAR_FILES: RefCell<Vec<PathBuf>> = const { RefCell::new(Vec::new()) };
    /// Declarations an override file changed (`file`, `line` of the base declaration).
    static OVERRIDDEN: RefCell<std::collections::BTreeSet<(String, usize)>> =
        const { RefCell::new(std::collections::BTreeSet::new()) };
}

/// The declarations override files changed this run, as `file:line` of the base
/// declaration: `--patch` leaves them alone.
pub fn overridden() -> std::collections::BTreeSet<(String, usize)> {
    OVERRIDDEN.with(|o| o.borrow().clone())
}

/// Every file read from Terraform code this run: each loaded module's files and the variable
/// files (so that nothing drift writes ever replaces one).
pub fn files_read() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = MODULE_FILES.with(|m| m.borrow().clone());
    VAR_FILES.with(|v| out.extend(v.borrow().iter().cloned()));
    out
}

/// Loads a module directory once per process.
pub fn load_module_cached(dir: &Path) -> Result<Rc<Module>> {
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if let Some(m) = MODULES.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(m);
    }
    let m = Rc::new(Module::load(dir)?);
    MODULE_FILES.with(|f| {
        f.borrow_mut()
            .extend(m.files.iter().map(|file| file.path.clone()))
    });
    OVERRIDDEN.with(|o| o.borrow_mut().extend(m.overridden.iter().cloned()));
    MODULES.with(|c| c.borrow_mut().insert(key, m.clone()));
    Ok(m)
}

/// Turns an evaluation error into a user-facing error at its position.
pub(crate) fn eval_error(inst: &ModuleInstance, e: EvalError) -> Error {
    Error::input(inst.location_of(&e), e.message)
}

/// Evaluates a whole `.tfvars` file (literal values only); `.tfvars.json` is JSON.
fn read_tfvars(path: &Path, env: &Rc<Env>) -> Result<BTreeMap<String, Value>> {
    VAR_FILES.with(|v| v.borrow_mut().push(path.to_path_buf()));
    let text = crate::input_file::read("var file", path)?;
    if path.to_string_lossy().ends_with(".json") {
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            Error::input(
                crate::error::Location::new(display_path(path), e.line(), e.column()),
                format!("invalid JSON: {e}"),
            )
        })?;
        let Some(obj) = json.as_object() else {
            return Err(Error::input(
                crate::error::Location::new(display_path(path), 1, 1),
                "a variables file in JSON must be an object",
            ));
        };
        return Ok(obj
            .iter()
            .map(|(k, v)| (k.clone(), Value::from_json(v)))
            .collect());
    }
    let display = display_path(path);
    let body = module::parse_hcl(&text, &display)?;
    let module = Module {
        dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        files: vec![module::SourceFile {
            json: None,
            path: path.to_path_buf(),
            display,
            text,
            line_starts: Default::default(),
        }],
        ..Module::default()
    };
    let inst = ModuleInstance::new(Rc::new(module), String::new(), BTreeMap::new(), env.clone());
    let mut out = BTreeMap::new();
    for attr in body.attributes() {
        let v = inst
            .eval(&attr.value, &Scope::default(), 0)
            .map_err(|e| eval_error(&inst, e))?;
        out.insert(attr.key.as_str().to_string(), v);
    }
    Ok(out)
}

/// A `TF_VAR_` value: HCL for non-string variables, as Terraform parses it.
fn env_var_value(module: &Module, name: &str, raw: &str) -> Value {
    let is_string = module
        .variables
        .get(name)
        .and_then(|d| d.item.body.get_attribute("type"))
        .is_none_or(|t| matches!(&t.value, hcl_edit::expr::Expression::Variable(v) if v.as_str() == "string"));
    if !is_string && let Ok(expr) = hcl_edit::parser::parse_expr(raw) {
        let m = Rc::new(Module::default());
        let inst = ModuleInstance::new(m, String::new(), BTreeMap::new(), Rc::new(Env::default()));
        if let Ok(v) = inst.eval(&expr, &Scope::default(), 0) {
            return v;
        }
    }
    Value::String(raw.to_string())
}

/// The root's variable values, each with where it was set (for conversion errors).
type Inputs = (BTreeMap<String, Value>, BTreeMap<String, String>);

fn root_inputs(module: &Module, input: &Input, env: &Rc<Env>) -> Result<Inputs> {
    let mut vars = BTreeMap::new();
    let mut sources: BTreeMap<String, String> = BTreeMap::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for name in ["terraform.tfvars", "terraform.tfvars.json"] {
        let auto = module.dir.join(name);
        // Anything there but a directory is read (a FIFO or a dangling link is an error).
        if auto.symlink_metadata().is_ok() && !auto.is_dir() {
            files.push(auto);
        }
    }
    if let Ok(entries) = std::fs::read_dir(&module.dir) {
        let mut autos: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.to_string_lossy();
                name.ends_with(".auto.tfvars") || name.ends_with(".auto.tfvars.json")
            })
            .collect();
        autos.sort();
        files.extend(autos);
    }
    files.extend(input.var_files.iter().cloned());
    for f in files {
        for (k, v) in read_tfvars(&f, env)? {
            sources.insert(k.clone(), display_path(&f));
            vars.insert(k, v);
        }
    }
    for (k, v) in &input.vars {
        sources.insert(k.clone(), "drift.toml [terraform.vars]".into());
        vars.insert(k.clone(), Value::from_json(v));
    }
    for (k, v) in std::env::vars() {
        if let Some(name) = k.strip_prefix("TF_VAR_") {
            sources.insert(name.to_string(), k.clone());
            vars.insert(name.to_string(), env_var_value(module, name, &v));
        }
    }
    // Only declared variables are inputs; Terraform warns about the rest.
    vars.retain(|k, _| module.variables.contains_key(k));
    Ok((vars, sources))
}

/// Where `terraform init` installed each module call of the root in `dir`: the module
/// manifest `<data dir>/modules/modules.json`, keyed by module path (`a.b`). No manifest: none
/// installed.
fn installed_modules(dir: &Path, data_dir: Option<&str>) -> Result<BTreeMap<String, PathBuf>> {
    let data_dir = data_dir
        .map(str::to_string)
        .or_else(|| std::env::var("TF_DATA_DIR").ok().filter(|d| !d.is_empty()))
        .unwrap_or_else(|| ".terraform".to_string());
    let path = dir.join(data_dir).join("modules").join("modules.json");
    if !path.is_file() {
        return Ok(BTreeMap::new());
    }
    let text = crate::input_file::read("module manifest", &path)?;
    let at =
        |line: usize, column: usize| crate::error::Location::new(display_path(&path), line, column);
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::input(at(e.line(), e.column()), format!("invalid JSON: {e}")))?;
    let Some(entries) = json.get("Modules").and_then(|m| m.as_array()) else {
        return Err(Error::input(
            at(1, 1),
            "a module manifest needs a `Modules` list",
        ));
    };
    let mut out = BTreeMap::new();
    for e in entries {
        let (Some(key), Some(rel)) = (
            e.get("Key").and_then(|k| k.as_str()),
            e.get("Dir").and_then(|d| d.as_str()),
        ) else {
            return Err(Error::input(
                at(1, 1),
                "each module manifest entry needs `Key` and `Dir`",
            ));
        };
        if !key.is_empty() {
            out.insert(key.to_string(), dir.join(rel));
        }
    }
    Ok(out)
}

/// One not-checked finding per module call whose code is not there to read.
fn uninstalled_modules(inst: &ModuleInstance, state: &mut State) {
    for (name, decl) in &inst.module.module_calls {
        let Some(source) = module::call_source(&decl.item) else {
            continue;
        };
        if inst.module_dir_of(name, source).is_some() || kms_module::is_kms_module(source) {
            continue;
        }
        let address = format!("{}module.{name}", inst.prefix);
        // It could declare anything: no live object in scope is reported unmanaged for it.
        for kind in [
            crate::model::Kind::KmsKeyPolicy,
            crate::model::Kind::Route53Record,
            crate::model::Kind::RdsInstance,
            crate::model::Kind::PostgresDatabase,
        ] {
            state.claims.push(crate::model::Claim {
                kind,
                scope: None,
                id_suffix: None,
                by: address.clone(),
            });
        }
        state.push(crate::model::Item::unknown(
            crate::model::Kind::TerraformModule,
            address.clone(),
            origin(inst, decl, hcl_edit::Span::span(&decl.item), &address),
            format!("module `{address}` ({source}) is not installed; run `terraform init`"),
        ));
    }
}

/// The origin of a declaration.
pub(crate) fn origin<T>(
    inst: &ModuleInstance,
    decl: &Decl<T>,
    span: Option<std::ops::Range<usize>>,
    address: &str,
) -> Origin {
    let file = &inst.module.files[decl.file];
    Origin {
        file: file.display.clone(),
        line: file.line_of(span),
        address: Some(address.to_string()),
    }
}

/// Every instance of resources of type `rtype` (or data sources when `kind == "data"`).
pub(crate) enum Instances {
    Known(Vec<ResourceValue>),
    /// `count`/`for_each` could not be known.
    Unknown(Unknown),
}

pub(crate) fn instances_of<'m>(
    inst: &'m ModuleInstance,
    kind: &'m str,
    rtype: &'m str,
) -> impl Iterator<Item = Result<(&'m Decl<ResourceDecl>, Instances)>> + 'm {
    // Evaluated one declaration at a time, as the caller takes them: a large estate's
    // instances are never all in memory at once.
    let map = if kind == "data" {
        &inst.module.data
    } else {
        &inst.module.resources
    };
    map.iter()
        .filter(move |((t, _), _)| t == rtype)
        .map(move |(_, decl)| {
            let got = inst
                .resource_instances(decl, kind)
                .map_err(|e| eval_error(inst, e))?;
            Ok((
                decl,
                match got {
                    Ok(list) => Instances::Known(list.into_iter().map(|(_, r)| r).collect()),
                    Err(u) => Instances::Unknown(u),
                },
            ))
        })
}

/// The attribute names a resource block's `lifecycle { ignore_changes = [...] }` lists (`all`
/// as itself), read from the syntax as terraform reads them: bare names, or strings.
pub(crate) fn ignore_changes(block: &hcl_edit::structure::Block) -> Vec<String> {
    use hcl_edit::expr::Expression;
    let Some(lc) = block.body.get_blocks("lifecycle").next() else {
        return Vec::new();
    };
    let Some(attr) = lc.body.get_attribute("ignore_changes") else {
        return Vec::new();
    };
    let name = |e: &Expression| -> Option<String> {
        match e {
            Expression::Variable(v) => Some(v.as_str().to_string()),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => Some(v.as_str().to_string()),
                _ => None,
            },
            Expression::String(s) => Some(s.as_str().split(['.', '[']).next()?.to_string()),
            _ => None,
        }
    };
    match &attr.value {
        Expression::Array(items) => items.iter().filter_map(name).collect(),
        other => name(other).into_iter().collect(),
    }
}

/// The address of the resource a computed attribute belongs to:
/// `aws_route53_zone.main.zone_id` → `aws_route53_zone.main`.
pub(crate) fn referenced_address(v: &Value) -> Option<String> {
    let Value::Unknown(u) = v else { return None };
    let r = u.reference.as_ref()?;
    r.rsplit_once('.').map(|(a, _)| a.to_string())
}

/// All module instances: each root and, depth first, the local child modules it calls.
fn walk(inst: &Rc<ModuleInstance>, out: &mut Vec<Rc<ModuleInstance>>) -> Result<()> {
    out.push(inst.clone());
    for name in inst.module.module_calls.keys() {
        // `None`: not a local module. `Some(Err(_))`: the instances cannot be known, so
        // nothing in them can be listed (and their absence is not drift).
        if let Some(Ok(children)) = inst.children(name).map_err(|e| eval_error(inst, e))? {
            for (_, child) in children {
                walk(&child, out)?;
            }
        }
    }
    Ok(())
}

/// The string values this module instance can name: its variables, its locals and the
/// account id of its `aws_caller_identity` data sources.
fn references(inst: &ModuleInstance, state: &mut State) -> Result<()> {
    let Some(first) = inst.module.files.first() else {
        return Ok(());
    };
    let dir = std::path::Path::new(&first.display)
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut push = |value: Value, expr: String, rank: u8| {
        if let Value::String(s) = value {
            state.references.push(crate::model::CodeRef {
                dir: dir.clone(),
                value: s,
                expr,
                rank,
            });
        }
    };
    for name in inst.module.variables.keys() {
        let v = match inst.variable(name, 0, None) {
            Err(e) if e.fatal => return Err(eval_error(inst, e)),
            other => other,
        };
        if let Ok(v) = v {
            push(v, format!("var.{name}"), 0);
        }
    }
    for name in inst.module.locals.keys() {
        let v = match inst.local(name, 0, None) {
            Err(e) if e.fatal => return Err(eval_error(inst, e)),
            other => other,
        };
        if let Ok(v) = v {
            push(v, format!("local.{name}"), 1);
        }
    }
    for (rtype, name) in inst.module.data.keys() {
        if rtype == "aws_caller_identity"
            && let Some(id) = &inst.env.account_id
        {
            push(
                Value::String(id.clone()),
                format!("data.aws_caller_identity.{name}.account_id"),
                2,
            );
        }
    }
    Ok(())
}

/// The value of output `name` of the root module in `dir`, its variables set as in a run
/// without drift.toml (tfvars files beside it, `TF_VAR_*`). What the conformance tests ask.
pub fn root_output(dir: &Path, name: &str) -> Result<Value> {
    let env = Rc::new(Env::default());
    let module = load_module_cached(dir)?;
    let (inputs, sources) = root_inputs(&module, &Input::default(), &env)?;
    let mut inst = ModuleInstance::new(module.clone(), String::new(), inputs, env);
    inst.input_sources = sources;
    let providers = inst
        .own_provider_regions()
        .map_err(|e| eval_error(&inst, e))?;
    inst.provider_regions = Rc::new(providers);
    let inst = inst.into_rc();
    let Some(out) = module.outputs.get(name) else {
        return Err(Error::input(
            crate::error::Location::new(display_path(dir), 1, 1),
            format!("no output `{name}`"),
        ));
    };
    inst.eval(&out.item, &Scope::default(), out.file)
        .map_err(|e| eval_error(&inst, e))
}

/// Reads every root into `state`.
pub fn load(input: &Input, env: &Env, state: &mut State) -> Result<()> {
    let env = Rc::new(env.clone());
    for root in &input.roots {
        let module = load_module_cached(root)?;
        let (inputs, sources) = root_inputs(&module, input, &env)?;
        let installed = installed_modules(root, input.data_dir.as_deref())?;
        let mut root_inst = ModuleInstance::new(module, String::new(), inputs, env.clone());
        root_inst.input_sources = sources;
        root_inst.installed = Rc::new(installed);
        let providers = root_inst
            .own_provider_regions()
            .map_err(|e| eval_error(&root_inst, e))?;
        root_inst.provider_regions = Rc::new(providers);
        let root_inst = root_inst.into_rc();
        let mut all = Vec::new();
        walk(&root_inst, &mut all)?;
        let mut zones = route53::Zones::new();
        for inst in &all {
            route53::zones(inst, &mut zones, state)?;
        }
        // Terraform checks every variable's value against its type, used or not.
        for inst in &all {
            for name in inst.module.variables.keys() {
                if let Err(e) = inst.variable(name, 0, None)
                    && e.fatal
                {
                    return Err(eval_error(inst, e));
                }
            }
        }
        for inst in &all {
            for (at, message) in inst.failed_checks() {
                state.warnings.push(crate::model::SourceError {
                    source: "terraform check".into(),
                    message: format!("{}:{}:{}: {message}", at.path, at.line, at.column),
                });
            }
            uninstalled_modules(inst, state);
            references(inst, state)?;
            kms::collect(inst, state)?;
            route53::collect(inst, &zones, state)?;
            rds::collect(inst, state)?;
            // After KMS (a bucket names its key) and before CloudFront (an origin names its
            // bucket).
            s3::collect(inst, state)?;
            cloudfront::collect(inst, state)?;
            dnssec::collect(inst, &zones, state)?;
        }
    }
    // The syntax trees are not needed past this point: a large estate's are most of its memory.
    MODULES.with(|m| m.borrow_mut().clear());
    state
        .remote_states_wanted
        .extend(env.remote_states_wanted.borrow().iter().cloned());
    // Errors contained to one object: that object is "not checked"; the run exits 1.
    for message in env.errors.borrow().iter() {
        state.errors.push(crate::model::SourceError {
            source: "terraform".into(),
            message: message.clone(),
        });
    }
    Ok(())
}
