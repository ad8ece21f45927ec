//! Evaluation of string templates: interpolations, `%{ if }` and `%{ for }` directives, and
//! the `~` strip markers, which remove the whitespace of the literal next to them. A template
//! that is one interpolation and nothing else yields the value itself, not a string.

use super::expr::iteration_pairs;
use super::{EResult, ModuleInstance, Scope, err};
use crate::desired::terraform::value::Value;
use crate::desired::terraform::value::constraint::Constraint;
use crate::desired::terraform::value::convert::convert;
use hcl_edit::Span;
use hcl_edit::template::{Directive, Element, Strip, Template};
use unicode_normalization::UnicodeNormalization;

/// Whether the element strips the literal before it / after it.
fn strips(el: &Element) -> (bool, bool) {
    match el {
        Element::Literal(_) => (false, false),
        Element::Interpolation(i) => (i.strip.strip_start(), i.strip.strip_end()),
        Element::Directive(d) => match &**d {
            Directive::If(ifd) => (
                ifd.if_expr.strip.strip_start(),
                ifd.endif_expr.strip.strip_end(),
            ),
            Directive::For(ford) => (
                ford.for_expr.strip.strip_start(),
                ford.endfor_expr.strip.strip_end(),
            ),
        },
    }
}

impl ModuleInstance {
    pub fn eval_template(&self, t: &Template, scope: &Scope, file: usize) -> EResult<Value> {
        let elements: Vec<&Element> = t.iter().collect();
        if let [Element::Interpolation(i)] = elements.as_slice() {
            if i.strip == Strip::None {
                return self.eval(&i.expr, scope, file);
            }
        }
        match self.template_text(t, scope, file, (false, false))? {
            Ok(s) => Ok(Value::String(s.nfc().collect())),
            Err(v) => Ok(v),
        }
    }

    /// The text of a template; `Err(value)` when an unknown decides it. `edges` strips the
    /// first literal's leading and the last literal's trailing whitespace (markers on the
    /// enclosing directive).
    fn template_text(
        &self,
        t: &Template,
        scope: &Scope,
        file: usize,
        edges: (bool, bool),
    ) -> EResult<Result<String, Value>> {
        let elements: Vec<&Element> = t.iter().collect();
        let mut out = String::new();
        for (idx, el) in elements.iter().enumerate() {
            match el {
                Element::Literal(s) => {
                    let mut text: &str = s;
                    let before = idx.checked_sub(1).map(|p| strips(elements[p]).1);
                    let after = elements.get(idx + 1).map(|n| strips(n).0);
                    if before.unwrap_or(edges.0) {
                        text = text.trim_start();
                    }
                    if after.unwrap_or(edges.1) {
                        text = text.trim_end();
                    }
                    out.push_str(text);
                }
                Element::Interpolation(i) => {
                    let v = self.eval(&i.expr, scope, file)?;
                    if let Value::Unknown(_) = v {
                        return Ok(Err(v));
                    }
                    if v.is_null() {
                        return Err(err(
                            "invalid template interpolation value: the expression result is null",
                            file,
                            i.expr.span(),
                        ));
                    }
                    let s = convert(v, &Constraint::String)
                        .and_then(|v| v.to_text())
                        .map_err(|m| {
                            err(
                                format!("invalid template interpolation value: {m}"),
                                file,
                                i.expr.span(),
                            )
                        })?;
                    out.push_str(&s);
                }
                Element::Directive(d) => match &**d {
                    Directive::If(ifd) => {
                        let c = self.eval(&ifd.if_expr.cond_expr, scope, file)?;
                        if let Value::Unknown(_) = c {
                            return Ok(Err(c));
                        }
                        let span = ifd.if_expr.cond_expr.span();
                        let c = convert(c, &Constraint::Bool)
                            .and_then(|c| c.truthy())
                            .map_err(|m| err(format!("invalid `if` condition: {m}"), file, span))?;
                        let else_strip = ifd.else_expr.as_ref().map(|e| e.strip);
                        let endif = ifd.endif_expr.strip.strip_start();
                        let part = if c {
                            let end = else_strip.map_or(endif, |s| s.strip_start());
                            Some((&ifd.if_expr.template, (ifd.if_expr.strip.strip_end(), end)))
                        } else {
                            ifd.else_expr
                                .as_ref()
                                .map(|e| (&e.template, (e.strip.strip_end(), endif)))
                        };
                        if let Some((t, edges)) = part {
                            match self.template_text(t, scope, file, edges)? {
                                Ok(s) => out.push_str(&s),
                                Err(v) => return Ok(Err(v)),
                            }
                        }
                    }
                    Directive::For(ford) => {
                        let fe = &ford.for_expr;
                        let coll = self.eval(&fe.collection_expr, scope, file)?;
                        if let Value::Unknown(_) = coll {
                            return Ok(Err(coll));
                        }
                        let pairs = iteration_pairs(coll, "a template `for`")
                            .map_err(|m| err(m, file, fe.collection_expr.span()))?;
                        let edges = (fe.strip.strip_end(), ford.endfor_expr.strip.strip_start());
                        for (k, v) in pairs {
                            let mut inner = scope.clone();
                            if let Some(kv) = &fe.key_var {
                                inner = inner.with(kv.as_str(), k);
                            }
                            inner = inner.with(fe.value_var.as_str(), v);
                            match self.template_text(&fe.template, &inner, file, edges)? {
                                Ok(s) => out.push_str(&s),
                                Err(v) => return Ok(Err(v)),
                            }
                        }
                    }
                },
            }
        }
        Ok(Ok(out))
    }
}
