//! Evaluation of string templates: interpolations, `%{ if }` and `%{ for }` directives, and
//! the `~` strip markers, which remove the whitespace of the literal next to them. A template
//! that is one interpolation and nothing else yields the value itself, not a string.

use super::expr::iteration_pairs;
use super::{EResult, ModuleInstance, Scope, err};
use crate::desired::terraform::value::Value;
use crate::desired::terraform::value::constraint::Constraint;
use crate::desired::terraform::value::convert::convert;
use hcl_edit::Span;
use hcl_edit::template::{Directive, Element, HeredocTemplate, Strip, Template};
use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

/// The text each literal of a heredoc takes after terraform's processing, by literal.
type Texts = HashMap<*const String, String>;

/// One token of a template in source order, as HCL's parser sees it: a line of literal text
/// (heredoc literals are one token per line), or the opening of an interpolation or
/// directive with its strip markers.
enum Tok {
    Piece {
        lit: *const String,
        text: String,
    },
    Mark {
        strip_before: bool,
        strip_after: bool,
    },
}

fn flatten_tokens(t: &Template, src: &str, out: &mut Vec<Tok>) -> Option<()> {
    let mark = |s: Strip| Tok::Mark {
        strip_before: s.strip_start(),
        strip_after: s.strip_end(),
    };
    for el in t.iter() {
        match el {
            Element::Literal(l) => {
                // The literal as written (hcl-edit has already dedented its value).
                let raw = src.get(l.span()?)?;
                let raw = raw.replace("$${", "${").replace("%%{", "%{");
                for piece in raw.split_inclusive('\n') {
                    out.push(Tok::Piece {
                        lit: &**l as *const String,
                        text: piece.to_string(),
                    });
                }
            }
            Element::Interpolation(i) => out.push(mark(i.strip)),
            Element::Directive(d) => match &**d {
                Directive::If(ifd) => {
                    out.push(mark(ifd.if_expr.strip));
                    flatten_tokens(&ifd.if_expr.template, src, out)?;
                    if let Some(e) = &ifd.else_expr {
                        out.push(mark(e.strip));
                        flatten_tokens(&e.template, src, out)?;
                    }
                    out.push(mark(ifd.endif_expr.strip));
                }
                Directive::For(ford) => {
                    out.push(mark(ford.for_expr.strip));
                    flatten_tokens(&ford.for_expr.template, src, out)?;
                    out.push(mark(ford.endfor_expr.strip));
                }
            },
        }
    }
    Some(())
}

/// Terraform's processing of heredoc literals: strip markers trim the one line token next to
/// them; then, for `<<-`, the least indentation of the lines that still start a line is
/// removed from those lines (blank lines do not count; a line starting with `${` or `%{`
/// counts as no indentation).
fn heredoc_texts(t: &Template, src: &str, flush: bool) -> Option<Texts> {
    let mut toks = Vec::new();
    flatten_tokens(t, src, &mut toks)?;
    for i in 0..toks.len() {
        let Tok::Mark {
            strip_before,
            strip_after,
        } = toks[i]
        else {
            continue;
        };
        if strip_before
            && i > 0
            && let Tok::Piece { text, .. } = &mut toks[i - 1]
        {
            *text = text.trim_end().to_string();
        }
        if strip_after && let Some(Tok::Piece { text, .. }) = toks.get_mut(i + 1) {
            *text = text.trim_start().to_string();
        }
    }
    if flush {
        let mut min = usize::MAX;
        let mut adjust = Vec::new();
        let mut newline = true;
        for (i, tok) in toks.iter().enumerate() {
            if newline {
                newline = false;
                match tok {
                    Tok::Piece { text, .. } => {
                        let trimmed = text.trim_start();
                        if !(trimmed.is_empty() && text.ends_with('\n')) {
                            min = min.min(text.chars().count() - trimmed.chars().count());
                            adjust.push(i);
                        }
                    }
                    Tok::Mark { .. } => min = 0,
                }
            }
            if let Tok::Piece { text, .. } = tok {
                newline = text.ends_with('\n');
            }
        }
        if min != usize::MAX {
            for i in adjust {
                if let Tok::Piece { text, .. } = &mut toks[i] {
                    *text = text.chars().skip(min).collect();
                }
            }
        }
    }
    let mut texts = Texts::new();
    for tok in toks {
        if let Tok::Piece { lit, text } = tok {
            texts.entry(lit).or_default().push_str(&text);
        }
    }
    Some(texts)
}

/// A quoted string's literal as written, read as terraform reads it: `\n`, `\r`, `\t`,
/// `\"`, `\\`, `\uNNNN`, `\UNNNNNNNN`, and `$${` / `%%{` for the text `${` / `%{`.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some(u @ ('u' | 'U')) => {
                    let n = if u == 'u' { 4 } else { 8 };
                    let hex: String = chars.by_ref().take(n).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(ch) => out.push(ch),
                        None => {
                            out.push('\\');
                            out.push(u);
                            out.push_str(&hex);
                        }
                    }
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '$' | '%' if chars.peek() == Some(&c) => {
                let mut ahead = chars.clone();
                ahead.next();
                if ahead.peek() == Some(&'{') {
                    chars.next();
                }
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

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
    /// A heredoc, with its literals as terraform reads them (see `heredoc_texts`).
    pub fn eval_heredoc(&self, h: &HeredocTemplate, scope: &Scope, file: usize) -> EResult<Value> {
        let src = self.module.files.get(file).map(|f| f.text.as_str());
        let flush = match (src, h.span()) {
            (Some(src), Some(span)) => src.get(span.start..).is_some_and(|s| s.starts_with("<<-")),
            _ => false,
        };
        let texts = src.and_then(|src| heredoc_texts(&h.template, src, flush));
        let Some(texts) = texts else {
            return self.eval_template(&h.template, scope, file);
        };
        self.eval_with_texts(&h.template, &texts, scope, file)
    }

    /// A template read from a file (`templatefile`), whose text is `src`: as terraform reads a
    /// template file, its strip markers remove whitespace up to the adjacent line break only
    /// (one line is one literal token, as in a heredoc) and backslashes are text.
    pub fn eval_template_file(
        &self,
        t: &Template,
        src: &str,
        scope: &Scope,
        file: usize,
    ) -> EResult<Value> {
        match heredoc_texts(t, src, false) {
            Some(texts) => self.eval_with_texts(t, &texts, scope, file),
            None => self.eval_template(t, scope, file),
        }
    }

    fn eval_with_texts(
        &self,
        template: &Template,
        texts: &Texts,
        scope: &Scope,
        file: usize,
    ) -> EResult<Value> {
        let h = template;
        let elements: Vec<&Element> = h.iter().collect();
        if let [Element::Interpolation(i)] = elements.as_slice()
            && i.strip == Strip::None
        {
            return self.eval(&i.expr, scope, file);
        }
        match self.template_text(h, scope, file, (false, false), Some(texts), false)? {
            Ok(s) => Ok(Value::String(s.nfc().collect())),
            Err(v) => Ok(v),
        }
    }

    pub fn eval_template(&self, t: &Template, scope: &Scope, file: usize) -> EResult<Value> {
        let elements: Vec<&Element> = t.iter().collect();
        if let [Element::Interpolation(i)] = elements.as_slice()
            && i.strip == Strip::None
        {
            return self.eval(&i.expr, scope, file);
        }
        match self.template_text(t, scope, file, (false, false), None, false)? {
            Ok(s) => Ok(Value::String(s.nfc().collect())),
            Err(v) => Ok(v),
        }
    }

    /// The text of a template; `Err(value)` when an unknown decides it. `edges` strips the
    /// first literal's leading and the last literal's trailing whitespace (markers on the
    /// enclosing directive). `nested`: inside a directive of a quoted string, whose literals
    /// hcl-edit leaves as written, so their escapes are read here.
    fn template_text(
        &self,
        t: &Template,
        scope: &Scope,
        file: usize,
        edges: (bool, bool),
        texts: Option<&Texts>,
        nested: bool,
    ) -> EResult<Result<String, Value>> {
        let elements: Vec<&Element> = t.iter().collect();
        let mut out = String::new();
        for (idx, el) in elements.iter().enumerate() {
            match el {
                Element::Literal(s) => {
                    if let Some(t) = texts.and_then(|m| m.get(&(&**s as *const String))) {
                        out.push_str(t);
                        continue;
                    }
                    let unescaped = if nested && texts.is_none() {
                        Some(unescape(s))
                    } else {
                        None
                    };
                    let mut text: &str = unescaped.as_deref().unwrap_or(s);
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
                            match self.template_text(t, scope, file, edges, texts, true)? {
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
                            match self.template_text(
                                &fe.template,
                                &inner,
                                file,
                                edges,
                                texts,
                                true,
                            )? {
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
