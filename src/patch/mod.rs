//! The Terraform patch: edits that make the code describe what is live, for the findings that
//! a code change can express, as a unified diff a person reviews and applies (`git apply`,
//! `patch -p1`). Edits splice the original text at hcl-edit's spans, so every byte the patch
//! does not touch stays as it was; new text is written in `terraform fmt` style.
//!
//! Reads the report and the code; never writes Terraform files itself, never touches AWS.

mod checklist;
mod edits;
mod json_spans;
mod kms;
mod route53;
pub mod writer;

use crate::model::{Kind, State};
use crate::report::{Finding, Report, Status};
use edits::FileEdits;
use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};
use std::collections::BTreeMap;
use writer::Names;

/// What the patch needs besides the report.
pub struct Context<'a> {
    pub desired: &'a State,
    /// Zone scope → live hosted zone id (for import ids).
    pub zone_ids: BTreeMap<String, String>,
    /// Records the Terraform state still holds, by id: one removed from the code is put back
    /// where the state has it, not imported anew.
    pub state_records: std::collections::HashMap<String, crate::state::tfstate::StateRecord>,
}

/// A finding the patch does not express, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub kind: Kind,
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Patch {
    pub files: Vec<FileEdits>,
    pub skipped: Vec<Skipped>,
    /// (kind, id) of the findings the patch covers.
    pub covered: Vec<(Kind, String)>,
}

/// `path` with `.` and `..` resolved lexically, relative; `None` when it is absolute or climbs
/// above its start.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    if std::path::Path::new(path).is_absolute() {
        return None;
    }
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// The files being edited, each read and parsed once.
#[derive(Default)]
pub(crate) struct Files {
    files: BTreeMap<String, (FileEdits, Body)>,
}

impl Files {
    /// The file at `display` (a path relative to the working directory, or absolute).
    pub fn get(&mut self, display: &str) -> Result<&mut (FileEdits, Body), String> {
        let normal = inside_working_dir(display)?;
        let display = normal.as_str();
        if display.ends_with(".tf.json") {
            return Err(format!(
                "it is declared in `{display}`, JSON configuration: drift writes patches in native syntax only; change it there by hand"
            ));
        }
        if !self.files.contains_key(display) {
            let text = crate::input_file::read_text(std::path::Path::new(display))
                .map_err(|e| format!("cannot read `{display}`: {e}"))?;
            let body = hcl_edit::parser::parse_body(&text)
                .map_err(|e| format!("`{display}` no longer parses: {}", e.message()))?;
            self.files.insert(
                display.to_string(),
                (FileEdits::new(display.to_string(), text), body),
            );
        }
        self.files
            .get_mut(display)
            .ok_or_else(|| "file vanished".to_string())
    }

    /// A file that is not Terraform (a YAML values file, a CI workflow) at `display`, for
    /// line edits: the same rules for where it may be, no parse.
    pub fn get_text(&mut self, display: &str) -> Result<&mut FileEdits, String> {
        let normal = inside_working_dir(display)?;
        if !self.files.contains_key(normal.as_str()) {
            let text = crate::input_file::read_text(std::path::Path::new(&normal))
                .map_err(|e| format!("cannot read `{display}`: {e}"))?;
            self.files.insert(
                normal.clone(),
                (
                    FileEdits::new(normal.clone(), text),
                    hcl_edit::structure::Body::default(),
                ),
            );
        }
        self.files
            .get_mut(normal.as_str())
            .map(|(e, _)| e)
            .ok_or_else(|| "file vanished".to_string())
    }

    /// The `.tf` files of the folder holding `display`.
    pub fn siblings(display: &str) -> Vec<String> {
        let dir = std::path::Path::new(display)
            .parent()
            .unwrap_or(std::path::Path::new("."));
        let mut out: Vec<String> = std::fs::read_dir(if dir.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            dir
        })
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "tf"))
                .map(|p| p.display().to_string())
                .map(|s| s.strip_prefix("./").map(str::to_string).unwrap_or(s))
                .collect()
        })
        .unwrap_or_default();
        out.sort();
        out
    }
}

/// `display` with `..` resolved, when its real path (links followed) lies under the working
/// directory: a patch never names a file elsewhere.
fn inside_working_dir(display: &str) -> Result<String, String> {
    let outside = || {
        format!(
            "`{display}` is outside the working directory: run drift from the repository root so the patch's paths apply there"
        )
    };
    let normal = normalize(display).ok_or_else(outside)?;
    let real =
        std::fs::canonicalize(&normal).map_err(|e| format!("cannot read `{display}`: {e}"))?;
    let cwd = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .map_err(|e| format!("cannot resolve the working directory: {e}"))?;
    if !real.starts_with(&cwd) {
        return Err(outside());
    }
    Ok(normal)
}

/// The folder of a displayed file path, as `CodeRef::dir` spells it.
pub(crate) fn dir_of(display: &str) -> String {
    std::path::Path::new(display)
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// An address without the `module.NAME.` prefixes of the modules it is in.
pub(crate) fn local_address(address: &str) -> String {
    let mut parts: Vec<&str> = address.split('.').collect();
    while parts.len() > 2 && parts[0] == "module" {
        parts.drain(..2);
    }
    parts.join(".")
}

/// The block an address names within its own module's file: `module.a.aws_x.y["k"]` →
/// `resource "aws_x" "y"`; also whether the address had an instance key.
pub(crate) fn find_block<'b>(body: &'b Body, address: &str) -> Option<(&'b Block, bool)> {
    let joined = local_address(address);
    let (base, indexed) = match joined.find('[') {
        Some(i) => (joined[..i].to_string(), true),
        None => (joined.clone(), false),
    };
    let parts: Vec<&str> = base.split('.').collect();
    let (ident, labels): (&str, Vec<&str>) = match parts.as_slice() {
        ["data", t, n] => ("data", vec![t, n]),
        ["module", n] => ("module", vec![n]),
        [t, n] => ("resource", vec![t, n]),
        _ => return None,
    };
    body.blocks()
        .find(|b| {
            b.ident.as_str() == ident
                && b.labels
                    .iter()
                    .map(|l| l.as_str())
                    .eq(labels.iter().copied())
        })
        .map(|b| (b, indexed))
}

/// The single (not counted) block `address` declares in `file`, and its `file:line`.
pub(crate) fn locate(
    files: &mut Files,
    file: &str,
    address: &str,
) -> Result<(Block, String), String> {
    let (fe, body) = files.get(file)?;
    let (block, indexed) =
        find_block(body, address).ok_or_else(|| format!("`{address}` is no longer in `{file}`"))?;
    if indexed {
        return Err(format!(
            "`{address}` uses count or for_each: editing it would change every instance"
        ));
    }
    let at = format!(
        "{file}:{}",
        edits::line_number(&fe.text, block.span().map_or(0, |s| s.start))
    );
    Ok((block.clone(), at))
}

/// The file and address that declare a finding.
pub(crate) fn declaration(f: &Finding) -> Result<(&str, &str), String> {
    let origin = f.origin.as_ref().ok_or("no declaration to edit")?;
    let address = origin
        .address
        .as_deref()
        .ok_or("not declared in Terraform")?;
    Ok((&origin.file, address))
}

/// The text of an expression as written.
pub(crate) fn source_of<'t>(text: &'t str, e: &Expression) -> &'t str {
    e.span().and_then(|s| text.get(s)).unwrap_or("?")
}

/// Whether an expression is written with literals only (strings without interpolation,
/// numbers, bools, lists and objects of them).
pub(crate) fn is_literal(e: &Expression) -> bool {
    match e {
        Expression::String(_)
        | Expression::Number(_)
        | Expression::Bool(_)
        | Expression::Null(_) => true,
        Expression::Array(a) => a.iter().all(is_literal),
        Expression::Object(o) => o.iter().all(|(_, v)| is_literal(v.expr())),
        Expression::Parenthesis(p) => is_literal(p.inner()),
        _ => false,
    }
}

fn not_code(f: &Finding) -> Option<String> {
    Some(match (f.status, f.kind) {
        (Status::Missing, Kind::PostgresDatabase) => format!(
            "a missing database is not a code change: run `{}` (drift never does)",
            f.remediation.as_deref().unwrap_or("CREATE DATABASE …")
        ),
        (Status::Missing | Status::Changed, Kind::ServiceChecklist)
            if !checklist::writable(&f.id) =>
        {
            "drift never creates or edits secrets or Argo CD Applications: the finding's hint says what to do"
                .into()
        }
        (Status::Missing | Status::Changed, Kind::ServiceChecklist) => return None,
        (Status::Missing, _) => "declared but absent: `terraform apply` will create it".into(),
        (Status::NotChecked, _) => "not checked, so there is nothing to write back".into(),
        (Status::Unmanaged, Kind::PostgresDatabase) => {
            "a database outside the services manifest: add it to services.yaml if it is wanted"
                .into()
        }
        (Status::Unmanaged, Kind::KmsKeyPolicy | Kind::RdsInstance) => {
            "drift writes back only Route 53 records that exist outside the code".into()
        }
        _ => return None,
    })
}

/// A rule's fix as a code change: for `cloudfront_kms_decrypt`, the statement the key's
/// policy lacks, added where the code declares that policy (a module's `key_statements`, a
/// policy document, `jsonencode`) — unless the key policy's own finding already carries a
/// statement of that Sid from AWS (a hand fix), which the patch writes instead.
fn rule_fix(
    f: &Finding,
    report: &Report,
    ctx: &Context<'_>,
    files: &mut Files,
) -> Result<(), String> {
    let verdict = f.rule.as_ref().ok_or("no verdict")?;
    if verdict.rule != crate::rules::cloudfront_kms_decrypt::NAME {
        return Err("drift cannot express this rule's fix as a code change".into());
    }
    let evidence = verdict
        .evidence
        .get("after_apply")
        .or_else(|| verdict.evidence.get("code"))
        .ok_or("the rule does not fail in the code: nothing to write")?;
    let origins = evidence["origins"].as_array().cloned().unwrap_or_default();
    let Some(o) = origins.iter().find(|o| o["fix_statement"].is_object()) else {
        return Err("the fix is not a key policy statement (see the finding's fix)".into());
    };
    let (Some(key), statement) = (o["fix_key"].as_str(), &o["fix_statement"]) else {
        return Err("no key to write the statement into".into());
    };
    let sid = statement["Sid"].as_str().unwrap_or_default();
    let path = format!("Statement[{sid}]");
    let carried = report.findings.iter().any(|k| {
        k.kind == Kind::KmsKeyPolicy
            && k.id == key
            && k.status == Status::Changed
            && k.changes.iter().any(|c| c.path == path)
    });
    if carried {
        return Ok(());
    }
    let item = ctx
        .desired
        .items
        .iter()
        .find(|i| i.kind == Kind::KmsKeyPolicy && i.id == key)
        .ok_or_else(|| format!("the code does not declare the policy of key {key}"))?;
    let mut synthetic = Finding::new(Status::Changed, Kind::KmsKeyPolicy, key);
    synthetic.origin = item.origin.clone();
    synthetic.changes = vec![crate::model::Change::add(path, statement.clone())];
    kms::edit(&synthetic, ctx, files)
}

/// Builds the patch for every finding a code change can express.
pub fn build(report: &Report, ctx: &Context<'_>) -> Patch {
    let mut files = Files::default();
    let mut patch = Patch::default();
    for f in &report.findings {
        if let Some(reason) = not_code(f) {
            patch.skipped.push(Skipped {
                kind: f.kind,
                id: f.id.clone(),
                reason,
            });
            continue;
        }
        // Each finding's edits land together or not at all.
        let before = files.files.clone();
        let result = match (f.status, f.kind) {
            (Status::Changed, Kind::KmsKeyPolicy) => kms::edit(f, ctx, &mut files),
            (Status::Changed, Kind::Route53Record) => route53::edit(f, ctx, &mut files),
            (Status::Unmanaged, Kind::Route53Record) => route53::add(f, ctx, &mut files),
            (Status::Changed, Kind::RdsInstance) => route53::edit_instance(f, ctx, &mut files),
            (Status::Missing | Status::Changed, Kind::ServiceChecklist) => {
                checklist::edit(f, &mut files)
            }
            (Status::Violated, Kind::Rule) => rule_fix(f, report, ctx, &mut files),
            _ => Err("drift cannot express this finding as a code change".into()),
        };
        match result {
            Ok(()) => patch.covered.push((f.kind, f.id.clone())),
            Err(reason) => {
                files.files = before;
                patch.skipped.push(Skipped {
                    kind: f.kind,
                    id: f.id.clone(),
                    reason,
                });
            }
        }
    }
    patch.files = files
        .files
        .into_values()
        .map(|(e, _)| e)
        .filter(|e| !e.edits.is_empty())
        .collect();
    patch
}

impl Patch {
    /// The unified diff, paths prefixed `a/` and `b/` as `git apply` and `patch -p1` expect.
    pub fn unified_diff(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            let new = f.apply();
            let path = f.display.trim_start_matches("./");
            out.push_str(&format!("diff --git a/{path} b/{path}\n"));
            let diff = similar::TextDiff::from_lines(&f.text, &new);
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{path}"), &format!("b/{path}"))
                    .to_string(),
            );
        }
        out
    }
}

/// The names of known values for code written into `display`'s module.
pub(crate) fn names_for(ctx: &Context<'_>, display: &str) -> Names {
    Names::new(&ctx.desired.references, &dir_of(display))
}
