//! Writes a changed KMS key policy back into whichever form declares it: `key_statements` of a
//! `terraform-aws-modules/kms/aws` call, an HCL object in `jsonencode(...)`, a JSON heredoc, or
//! `statement` blocks of a `data "aws_iam_policy_document"`. Statements are added, removed or
//! replaced by Sid; everything else in the file stays as written.

use super::edits::{
    FileEdits, indent_rest, line_end, line_indent, line_number, line_start, whole_lines,
};
use super::writer::{self, Block, Hcl};
use super::{Context, Files, find_block, json_spans, names_for, source_of};
use crate::desired::terraform::kms_module;
use crate::model::Op;
use crate::report::Finding;
use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use serde_json::Value as Json;
use std::ops::Range;

fn sid_of_path(path: &str) -> Result<Option<String>, String> {
    let inner = path
        .strip_prefix("Statement[")
        .and_then(|p| p.strip_suffix(']'))
        .ok_or_else(|| format!("drift does not write back `{path}` of a key policy"))?;
    Ok(if inner.starts_with('#') {
        None
    } else {
        Some(inner.to_string())
    })
}

fn list(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Json::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn strs(v: Vec<String>) -> Hcl {
    Hcl::List(v.into_iter().map(Hcl::Str).collect())
}

fn one_or_list(v: Vec<String>) -> Hcl {
    if v.len() == 1 {
        Hcl::Str(v[0].clone())
    } else {
        strs(v)
    }
}

/// (type, identifiers) of a canonical principal object.
fn principals(v: Option<&Json>) -> Vec<(String, Vec<String>)> {
    match v {
        Some(Json::Object(m)) => m
            .iter()
            .map(|(k, ids)| (k.clone(), list(Some(ids))))
            .collect(),
        Some(Json::String(s)) if s == "*" => vec![("AWS".into(), vec!["*".into()])],
        _ => Vec::new(),
    }
}

/// (test, variable, values) of a canonical condition.
fn conditions(v: Option<&Json>) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    if let Some(Json::Object(ops)) = v {
        for (op, keys) in ops {
            if let Json::Object(keys) = keys {
                for (k, vals) in keys {
                    out.push((op.clone(), k.clone(), list(Some(vals))));
                }
            }
        }
    }
    out
}

/// `sid` (when the statement has one) and `effect` (`Allow` when absent).
fn sid_and_effect(st: &Json) -> Vec<(String, Hcl)> {
    let mut a = Vec::new();
    if let Some(sid) = st.get("Sid").and_then(Json::as_str) {
        a.push(("sid".into(), Hcl::Str(sid.into())));
    }
    let effect = st.get("Effect").and_then(Json::as_str).unwrap_or("Allow");
    a.push(("effect".into(), Hcl::Str(effect.into())));
    a
}

/// `actions`, `not_actions`, `resources`, `not_resources`, where the statement has them.
fn action_and_resource_lists(st: &Json) -> Vec<(String, Hcl)> {
    [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ]
    .into_iter()
    .filter(|(_, json_key)| st.get(*json_key).is_some())
    .map(|(key, json_key)| (key.to_string(), strs(list(st.get(json_key)))))
    .collect()
}

/// A `key_statements` entry of the KMS module.
fn module_object(st: &Json, condition_key: &str) -> Hcl {
    let mut a = sid_and_effect(st);
    for (key, json_key) in [
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ] {
        let p = principals(st.get(json_key));
        if !p.is_empty() {
            a.push((
                key.into(),
                Hcl::List(
                    p.into_iter()
                        .map(|(t, ids)| {
                            Hcl::Object(vec![
                                ("type".into(), Hcl::Str(t)),
                                ("identifiers".into(), strs(ids)),
                            ])
                        })
                        .collect(),
                ),
            ));
        }
    }
    a.extend(action_and_resource_lists(st));
    let c = conditions(st.get("Condition"));
    if !c.is_empty() {
        a.push((
            condition_key.into(),
            Hcl::List(
                c.into_iter()
                    .map(|(t, v, vals)| {
                        Hcl::Object(vec![
                            ("test".into(), Hcl::Str(t)),
                            ("variable".into(), Hcl::Str(v)),
                            ("values".into(), strs(vals)),
                        ])
                    })
                    .collect(),
            ),
        ));
    }
    Hcl::Object(a)
}

/// A statement as the HCL object inside `jsonencode(...)`.
fn jsonencode_object(st: &Json) -> Hcl {
    let mut a: Vec<(String, Hcl)> = Vec::new();
    let Json::Object(m) = st else {
        return Hcl::Object(a);
    };
    for (k, v) in m {
        let h = match (k.as_str(), v) {
            ("Principal" | "NotPrincipal", Json::Object(p)) => Hcl::Object(
                p.iter()
                    .map(|(t, ids)| (t.clone(), one_or_list(list(Some(ids)))))
                    .collect(),
            ),
            ("Condition", Json::Object(ops)) => Hcl::Object(
                ops.iter()
                    .map(|(op, keys)| {
                        let inner = match keys {
                            Json::Object(keys) => keys
                                .iter()
                                .map(|(ck, cv)| (ck.clone(), one_or_list(list(Some(cv)))))
                                .collect(),
                            _ => Vec::new(),
                        };
                        (op.clone(), Hcl::Object(inner))
                    })
                    .collect(),
            ),
            (_, Json::Array(_)) => one_or_list(list(Some(v))),
            (_, Json::String(s)) => Hcl::Str(s.clone()),
            (_, other) => Hcl::Raw(other.to_string()),
        };
        a.push((k.clone(), h));
    }
    Hcl::Object(a)
}

/// A canonical statement as people write JSON: one-element lists become their element.
fn compact_json(v: &Json) -> Json {
    match v {
        Json::Array(a) if a.len() == 1 => compact_json(&a[0]),
        Json::Array(a) => Json::Array(a.iter().map(compact_json).collect()),
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), compact_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A `statement` block of `data "aws_iam_policy_document"`.
fn document_block(st: &Json) -> Block {
    let mut attrs = sid_and_effect(st);
    attrs.extend(action_and_resource_lists(st));
    let mut blocks = Vec::new();
    for (ident, json_key) in [
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ] {
        for (t, ids) in principals(st.get(json_key)) {
            blocks.push(Block {
                ident: ident.into(),
                labels: vec![],
                attrs: vec![
                    ("type".into(), Hcl::Str(t)),
                    ("identifiers".into(), strs(ids)),
                ],
                blocks: vec![],
            });
        }
    }
    for (t, v, vals) in conditions(st.get("Condition")) {
        blocks.push(Block {
            ident: "condition".into(),
            labels: vec![],
            attrs: vec![
                ("test".into(), Hcl::Str(t)),
                ("variable".into(), Hcl::Str(v)),
                ("values".into(), strs(vals)),
            ],
            blocks: vec![],
        });
    }
    Block {
        ident: "statement".into(),
        labels: vec![],
        attrs,
        blocks,
    }
}

/// What to do to a list of statements: elements to remove, elements to replace (with new
/// text at column 0), and new elements to append.
#[derive(Default)]
struct ListPlan {
    remove: std::collections::BTreeSet<usize>,
    replace: Vec<(usize, String)>,
    add: Vec<String>,
}

impl ListPlan {
    /// Plans one change against the element `target` (found by Sid).
    fn change(
        &mut self,
        c: &Change<'_>,
        target: Option<usize>,
        render: &dyn Fn(&Json) -> String,
        missing: &dyn Fn(&str) -> String,
    ) -> Result<(), String> {
        match (c.op, target) {
            (Op::Add, _) => self.add.push(render(c.live.ok_or("no live statement")?)),
            (Op::Remove, Some(i)) => {
                self.remove.insert(i);
            }
            (Op::Change, Some(i)) => self
                .replace
                .push((i, render(c.live.ok_or("no live statement")?))),
            (_, None) => return Err(missing(c.sid.as_deref().unwrap_or(""))),
        }
        Ok(())
    }

    /// Applies the plan to the list spanning `list` whose elements span `ranges`, touching
    /// only the bytes it changes.
    fn apply(
        self,
        fe: &mut FileEdits,
        list: Range<usize>,
        ranges: &[Range<usize>],
    ) -> Result<(), String> {
        let text = fe.text.clone();
        if ranges.is_empty() || self.remove.len() == ranges.len() {
            // Nothing is kept: write the list anew.
            if ranges.is_empty() && self.add.is_empty() {
                return Ok(());
            }
            let indent = line_indent(&text, list.start);
            let inner = format!("{indent}  ");
            let body: Vec<String> = self
                .add
                .iter()
                .map(|a| format!("{inner}{}", indent_rest(a, &inner)))
                .collect();
            let new = if body.is_empty() {
                "[]".to_string()
            } else {
                format!("[\n{}\n{indent}]", body.join(",\n"))
            };
            return fe.push(list, new);
        }
        // Removing the first elements takes the text up to the first kept one; any other
        // removal takes its element and the separator before it.
        let first_kept = (0..ranges.len()).find(|i| !self.remove.contains(i));
        for &i in &self.remove {
            match first_kept {
                Some(k) if i < k => {
                    if i == 0 {
                        fe.push(ranges[0].start..ranges[k].start, String::new())?;
                    }
                }
                _ => fe.push(ranges[i - 1].end..ranges[i].end, String::new())?,
            }
        }
        for (i, new) in &self.replace {
            let indent = line_indent(&text, ranges[*i].start);
            fe.push(ranges[*i].clone(), indent_rest(new, &indent))?;
        }
        if self.add.is_empty() {
            return Ok(());
        }
        let last = &ranges[ranges.len() - 1];
        let indent = line_indent(&text, last.start);
        let adds: String = self
            .add
            .iter()
            .map(|a| format!(",\n{indent}{}", indent_rest(a, &indent)))
            .collect();
        fe.push(last.end..last.end, adds)
    }
}

/// The string value of `key` in an HCL object expression.
fn object_str(e: &Expression, key: &str) -> Option<String> {
    object_get(e, key).and_then(|v| v.as_str().map(str::to_string))
}

fn object_get<'e>(e: &'e Expression, key: &str) -> Option<&'e Expression> {
    let Expression::Object(o) = e else {
        return None;
    };
    o.iter().find_map(|(k, v)| {
        let name = match k {
            ObjectKey::Ident(i) => i.as_str().to_string(),
            ObjectKey::Expression(Expression::String(s)) => s.as_str().to_string(),
            _ => return None,
        };
        (name == key).then(|| v.expr())
    })
}

struct Change<'a> {
    sid: Option<String>,
    op: Op,
    live: Option<&'a Json>,
}

fn changes(f: &Finding) -> Result<Vec<Change<'_>>, String> {
    f.changes
        .iter()
        .map(|c| {
            let sid = sid_of_path(&c.path)?;
            if sid.is_none() && c.op != Op::Add {
                return Err(format!(
                    "`{}` has no Sid, so drift cannot tell which statement in code it is",
                    c.path
                ));
            }
            Ok(Change {
                sid,
                op: c.op,
                live: c.live.as_ref(),
            })
        })
        .collect()
}

/// An HCL list of statement objects keyed by `sid_key`.
fn edit_hcl_list(
    fe: &mut FileEdits,
    array: &Expression,
    sid_key: &str,
    changes: &[Change<'_>],
    render: &dyn Fn(&Json) -> String,
    missing: &dyn Fn(&str) -> String,
) -> Result<(), String> {
    let Expression::Array(a) = array else {
        return Err(format!(
            "the statement list is written as `{}`, which drift does not edit",
            source_of(&fe.text, array)
        ));
    };
    let list = array.span().ok_or("no position for the statement list")?;
    let elements: Vec<&Expression> = a.iter().collect();
    let ranges: Vec<Range<usize>> = elements.iter().map(|e| e.span().unwrap_or(0..0)).collect();
    let mut plan = ListPlan::default();
    for c in changes {
        let target = c.sid.as_ref().and_then(|sid| {
            elements
                .iter()
                .position(|e| object_str(e, sid_key).as_deref() == Some(sid.as_str()))
        });
        plan.change(c, target, render, missing)?;
    }
    plan.apply(fe, list, &ranges)
}

fn edit_module(
    f: &Finding,
    ctx: &Context<'_>,
    files: &mut Files,
    display: &str,
    address: &str,
) -> Result<(), String> {
    let names = names_for(ctx, display);
    let (fe, body) = files.get(display)?;
    let (block, _) = find_block(body, address)
        .ok_or_else(|| format!("`{address}` is no longer in `{display}`"))?;
    let block = block.clone();
    let changes = changes(f)?;
    // The module's own statements come from its inputs, not from key_statements.
    for c in &changes {
        if let Some(sid) = &c.sid
            && let Some((_, input)) = kms_module::generated_statements()
                .into_iter()
                .find(|(s, _)| s == sid)
        {
            let in_list = block
                .body
                .get_attribute("key_statements")
                .and_then(|a| a.value.as_array())
                .is_some_and(|a| {
                    a.iter()
                        .any(|e| object_str(e, "sid").as_deref() == Some(sid.as_str()))
                });
            if !in_list {
                return Err(format!(
                    "statement `{sid}` is made by the module from its `{input}` input ({display}:{}); drift does not edit module inputs",
                    line_number(&fe.text, block.span().map_or(0, |s| s.start))
                ));
            }
        }
    }
    let existing: Vec<&Expression> = block
        .body
        .get_attribute("key_statements")
        .and_then(|a| a.value.as_array())
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let uses = |k: &str| existing.iter().any(|e| object_get(e, k).is_some());
    let version = block
        .body
        .get_attribute("version")
        .and_then(|a| a.value.as_str().map(str::to_string))
        .unwrap_or_default();
    let condition_key = if uses("conditions") {
        "conditions"
    } else if uses("condition") {
        "condition"
    } else {
        match kms_module::Release::from_constraint(Some(version.as_str()).filter(|v| !v.is_empty()))
        {
            kms_module::Release::V3 => "conditions",
            kms_module::Release::V4 => "condition",
        }
    };
    let render = |st: &Json| writer::value(&module_object(st, condition_key), &names);
    match block.body.get_attribute("key_statements") {
        Some(attr) => edit_hcl_list(fe, &attr.value, "sid", &changes, &render, &|sid| {
            format!("statement `{sid}` is not in the `key_statements` of `{address}`")
        }),
        None => {
            // No key_statements yet: add the attribute at the end of the module block.
            let mut items = Vec::new();
            for c in &changes {
                match (c.op, c.live) {
                    (Op::Add, Some(st)) => items.push(module_object(st, condition_key)),
                    _ => {
                        return Err(format!(
                            "statement `{}` is not in the code of `{address}`",
                            c.sid.as_deref().unwrap_or("")
                        ));
                    }
                }
            }
            let span = block.span().ok_or("no position for the module block")?;
            let close = span.end - 1;
            let indent = format!("{}  ", line_indent(&fe.text, span.start));
            let attr =
                writer::attributes(&[("key_statements".into(), Hcl::List(items))], &names, "");
            let at = line_start(&fe.text, close);
            fe.push(
                at..at,
                format!("\n{indent}{}\n", indent_rest(attr.trim_end(), &indent)),
            )
        }
    }
}

/// The `policy` attribute that declares a key's policy: on an `aws_kms_key_policy` for the key
/// if there is one, else on the key. Returns (file, block address within the file).
fn policy_holder(
    files: &mut Files,
    display: &str,
    key_address: &str,
) -> Result<(String, String), String> {
    let key_name = key_address
        .rsplit('.')
        .next()
        .unwrap_or("")
        .split('[')
        .next()
        .unwrap_or("")
        .to_string();
    for sib in Files::siblings(display) {
        let (_, body) = files.get(&sib)?;
        for b in body.blocks().filter(|b| b.ident.as_str() == "resource") {
            let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
            if labels.first() != Some(&"aws_kms_key_policy") {
                continue;
            }
            if let Some(Expression::Traversal(t)) = b.body.get_attribute("key_id").map(|a| &a.value)
                && t.expr.as_variable().map(|v| v.as_str()) == Some("aws_kms_key")
                && matches!(t.operators.first().map(|o| &**o), Some(TraversalOperator::GetAttr(n)) if n.as_str() == key_name)
            {
                return Ok((
                    sib.clone(),
                    format!("aws_kms_key_policy.{}", labels.get(1).unwrap_or(&"")),
                ));
            }
        }
    }
    Ok((display.to_string(), key_address.to_string()))
}

fn edit_resource(
    f: &Finding,
    ctx: &Context<'_>,
    files: &mut Files,
    display: &str,
    address: &str,
) -> Result<(), String> {
    let (file, holder) = policy_holder(files, display, address)?;
    let names = names_for(ctx, &file);
    let changes = changes(f)?;
    let (block, block_at) = super::locate(files, &file, &holder)?;
    let (fe, _) = files.get(&file)?;
    let Some(attr) = block.body.get_attribute("policy") else {
        return Err(format!(
            "`{holder}` ({block_at}) has no `policy`: the key has AWS's default policy in code"
        ));
    };
    let at = format!(
        "{file}:{}",
        line_number(&fe.text, attr.span().map_or(0, |s| s.start))
    );
    match &attr.value {
        Expression::FuncCall(call) if call.name.name.as_str() == "jsonencode" => {
            let arg = call
                .args
                .iter()
                .next()
                .ok_or("jsonencode() without an argument")?;
            let statements = object_get(arg, "Statement")
                .ok_or_else(|| format!("the policy at {at} has no `Statement` list"))?
                .clone();
            let render = |st: &Json| writer::value(&jsonencode_object(st), &names);
            edit_hcl_list(fe, &statements, "Sid", &changes, &render, &|sid| {
                format!("statement `{sid}` is not in the policy at {at}")
            })
        }
        Expression::HeredocTemplate(h) => {
            if h.template
                .iter()
                .any(|e| !matches!(e, hcl_edit::template::Element::Literal(_)))
            {
                return Err(format!(
                    "the JSON heredoc at {at} has interpolations; drift edits only literal JSON heredocs"
                ));
            }
            let content = h.template.span().ok_or("no position for the heredoc")?;
            let json_text = fe.text[content.clone()].to_string();
            let (array, sts) = json_spans::statements(&json_text).ok_or_else(|| {
                format!("the heredoc at {at} is not a policy with a `Statement` list")
            })?;
            let shift = |r: &Range<usize>| r.start + content.start..r.end + content.start;
            let ranges: Vec<Range<usize>> = sts.iter().map(|(r, _)| shift(r)).collect();
            let render =
                |st: &Json| serde_json::to_string_pretty(&compact_json(st)).unwrap_or_default();
            let missing = |sid: &str| format!("statement `{sid}` is not in the heredoc at {at}");
            let mut plan = ListPlan::default();
            for c in &changes {
                let target = c.sid.as_ref().and_then(|sid| {
                    sts.iter()
                        .position(|(_, s)| s.as_deref() == Some(sid.as_str()))
                });
                plan.change(c, target, &render, &missing)?;
            }
            plan.apply(fe, shift(&array), &ranges)?;
            Ok(())
        }
        Expression::Traversal(t)
            if t.expr.as_variable().map(|v| v.as_str()) == Some("data")
                && matches!(t.operators.first().map(|o| &**o), Some(TraversalOperator::GetAttr(n)) if n.as_str() == "aws_iam_policy_document") =>
        {
            let name = match t.operators.get(1).map(|o| &**o) {
                Some(TraversalOperator::GetAttr(n)) => n.as_str().to_string(),
                _ => return Err(format!("cannot read the policy reference at {at}")),
            };
            edit_document(&changes, ctx, files, &file, &name)
        }
        other => Err(format!(
            "the policy at {at} is written as `{}`, a form drift cannot edit",
            source_of(&fe.text, other).lines().next().unwrap_or("")
        )),
    }
}

fn edit_document(
    changes: &[Change<'_>],
    ctx: &Context<'_>,
    files: &mut Files,
    near: &str,
    name: &str,
) -> Result<(), String> {
    let address = format!("data.aws_iam_policy_document.{name}");
    let file = Files::siblings(near)
        .into_iter()
        .find(|f| {
            files
                .get(f)
                .ok()
                .is_some_and(|(_, body)| find_block(body, &address).is_some())
        })
        .ok_or_else(|| format!("`{address}` is not in the folder of `{near}`"))?;
    let names = names_for(ctx, &file);
    let (fe, body) = files.get(&file)?;
    let (block, _) = find_block(body, &address).ok_or("vanished")?;
    let text = fe.text.clone();
    let statements: Vec<&hcl_edit::structure::Block> = block.body.get_blocks("statement").collect();
    let has_dynamic = block
        .body
        .get_blocks("dynamic")
        .any(|d| d.labels.first().map(|l| l.as_str()) == Some("statement"));
    let sid_of = |b: &hcl_edit::structure::Block| {
        b.body
            .get_attribute("sid")
            .and_then(|a| a.value.as_str().map(str::to_string))
    };
    let render =
        |st: &Json, indent: &str| indent_rest(&writer::block(&document_block(st), &names), indent);
    let block_span = block.span().ok_or("no position")?;
    for c in changes {
        let target = c.sid.as_ref().and_then(|sid| {
            statements
                .iter()
                .position(|b| sid_of(b).as_deref() == Some(sid.as_str()))
        });
        match (c.op, target) {
            (Op::Add, _) => {
                let st = c.live.ok_or("no live statement")?;
                let (at, indent) = match statements.last().and_then(|b| b.span()) {
                    Some(s) => (line_end(&text, s.end - 1), line_indent(&text, s.start)),
                    None => (
                        line_start(&text, block_span.end - 1),
                        format!("{}  ", line_indent(&text, block_span.start)),
                    ),
                };
                fe.push(at..at, format!("\n{indent}{}\n", render(st, &indent)))?;
            }
            (Op::Remove, Some(i)) => {
                let s = statements[i].span().ok_or("no position")?;
                fe.push(whole_lines(&text, s), String::new())?;
            }
            (Op::Change, Some(i)) => {
                let st = c.live.ok_or("no live statement")?;
                let s = statements[i].span().ok_or("no position")?;
                let indent = line_indent(&text, s.start);
                fe.push(s, render(st, &indent))?;
            }
            (_, None) => {
                let why = if has_dynamic {
                    " (it may come from a dynamic block, which drift does not edit)"
                } else {
                    ""
                };
                return Err(format!(
                    "statement `{}` is not a `statement` block of `{address}`{why}",
                    c.sid.as_deref().unwrap_or("")
                ));
            }
        }
    }
    Ok(())
}

pub fn edit(f: &Finding, ctx: &Context<'_>, files: &mut Files) -> Result<(), String> {
    if f.changes.iter().any(|c| c.path == "target_key_id") {
        return Err(
            "the alias names another key in AWS than in the code: which key is right is a decision, not a copy; drift does not write it back"
                .into(),
        );
    }
    let (file, address) = super::declaration(f)?;
    if super::local_address(address).starts_with("module.") {
        edit_module(f, ctx, files, file, address)
    } else {
        edit_resource(f, ctx, files, file, address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a plan on `[aa, bb, cc]` written one element per line.
    fn run(remove: &[usize], replace: &[(usize, &str)], add: &[&str]) -> String {
        let text = "x = [\n  aa,\n  bb,\n  cc\n]\n";
        let ranges: Vec<Range<usize>> = ["aa", "bb", "cc"]
            .iter()
            .map(|e| {
                let s = text.find(e).unwrap();
                s..s + 2
            })
            .collect();
        let list = text.find('[').unwrap()..text.find(']').unwrap() + 1;
        let mut fe = FileEdits::new("t".into(), text.into());
        let plan = ListPlan {
            remove: remove.iter().copied().collect(),
            replace: replace.iter().map(|(i, s)| (*i, s.to_string())).collect(),
            add: add.iter().map(|s| s.to_string()).collect(),
        };
        plan.apply(&mut fe, list, &ranges).unwrap();
        fe.apply()
    }

    #[test]
    fn list_plans_touch_only_what_changes() {
        assert_eq!(
            run(&[], &[], &["dd"]),
            "x = [\n  aa,\n  bb,\n  cc,\n  dd\n]\n"
        );
        assert_eq!(run(&[1], &[], &[]), "x = [\n  aa,\n  cc\n]\n");
        assert_eq!(run(&[0, 1], &[], &[]), "x = [\n  cc\n]\n");
        assert_eq!(run(&[2], &[], &["dd"]), "x = [\n  aa,\n  bb,\n  dd\n]\n");
        assert_eq!(
            run(&[0, 1, 2], &[], &["dd", "ee"]),
            "x = [\n  dd,\n  ee\n]\n"
        );
        assert_eq!(run(&[0, 1, 2], &[], &[]), "x = []\n");
        assert_eq!(
            run(&[0], &[(1, "BB")], &["dd"]),
            "x = [\n  BB,\n  cc,\n  dd\n]\n"
        );
        assert_eq!(run(&[2], &[(1, "BB")], &[]), "x = [\n  aa,\n  BB\n]\n");
    }
}
