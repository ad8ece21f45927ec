//! One Terraform module directory, parsed: its `.tf` and `.tf.json` files (kept with their
//! text for positions; a `.tf.json` file as the native text `json_config` makes of it, with
//! positions mapped back to the JSON file), and the declarations drift evaluates — variables, locals, resources, data
//! sources, module calls and outputs. Parsing only; evaluation is `eval.rs`.

use crate::error::{Error, Location, Result};
use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A parsed `.tf` file and its text, for turning spans into `file:line:col`.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The path as shown to users (relative to the working directory when possible).
    pub display: String,
    pub text: String,
    /// Where each line of `text` starts, computed on the first location asked for.
    pub line_starts: std::sync::OnceLock<Vec<usize>>,
    /// For a `.tf.json` file (whose `text` is the native text made of it): the JSON text, and
    /// for each line of `text` the JSON line it comes from.
    pub json: Option<(String, Vec<usize>)>,
}

impl SourceFile {
    pub fn location(&self, offset: usize) -> Location {
        let starts = self
            .line_starts
            .get_or_init(|| crate::error::line_starts(&self.text));
        let at = Location::at_offset_in(&self.display, &self.text, starts, offset);
        match &self.json {
            None => at,
            Some((json, lines)) => {
                let line = lines.get(at.line.saturating_sub(1)).copied().unwrap_or(1);
                let mut mapped = Location::new(&self.display, line, 1);
                mapped.source_line = json.lines().nth(line - 1).map(str::to_string);
                mapped
            }
        }
    }

    /// Whether the file is JSON configuration (`--patch` writes native syntax only).
    pub fn is_json(&self) -> bool {
        self.json.is_some()
    }

    pub fn line_of(&self, span: Option<std::ops::Range<usize>>) -> usize {
        span.map_or(1, |s| self.location(s.start).line)
    }
}

/// A declaration with the file it is in.
#[derive(Debug, Clone)]
pub struct Decl<T> {
    pub file: usize,
    pub item: T,
}

#[derive(Debug, Clone)]
pub struct ResourceDecl {
    pub rtype: String,
    pub name: String,
    pub block: Block,
}

#[derive(Debug, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub files: Vec<SourceFile>,
    pub variables: BTreeMap<String, Decl<Block>>,
    pub locals: BTreeMap<String, Decl<Expression>>,
    pub resources: BTreeMap<(String, String), Decl<ResourceDecl>>,
    pub data: BTreeMap<(String, String), Decl<ResourceDecl>>,
    pub module_calls: BTreeMap<String, Decl<Block>>,
    /// `provider "aws"` blocks by configuration name: `aws`, `aws.west`.
    pub providers: BTreeMap<String, Decl<Block>>,
    pub outputs: BTreeMap<String, Decl<Expression>>,
    /// An output's `precondition` blocks, checked whenever the output is read.
    pub output_preconditions: BTreeMap<String, Decl<Vec<Block>>>,
    /// `check` blocks by name: their assertions are warnings, never errors.
    pub checks: BTreeMap<String, Decl<Block>>,
    /// Declarations an override file changed, as `file:line` of the base declaration:
    /// `--patch` does not edit them (the override decides what terraform applies).
    pub overridden: std::collections::BTreeSet<(String, usize)>,
}

/// Merges an override block's body into the base's (see `Module::apply_override`).
fn merge_body(base: &mut Body, over: &Body) {
    for attr in over.attributes() {
        base.remove_attribute(attr.key.as_str());
        base.push(attr.clone());
    }
    let mut idents: Vec<String> = Vec::new();
    for b in over.blocks() {
        let ident = if b.ident.as_str() == "dynamic" {
            label(b, 0).unwrap_or_default()
        } else {
            b.ident.as_str().to_string()
        };
        if !idents.contains(&ident) {
            idents.push(ident);
        }
    }
    for ident in idents {
        if ident == "lifecycle" {
            let over_life: Vec<&Block> = over.get_blocks("lifecycle").collect();
            if base.get_blocks("lifecycle").next().is_none() {
                over_life.into_iter().for_each(|o| base.push(o.clone()));
            } else if let Some(life) = base.get_blocks_mut("lifecycle").next() {
                for o in over_life {
                    merge_body(&mut life.body, &o.body);
                }
            }
            continue;
        }
        base.remove_blocks(&ident);
        // `dynamic "x"` blocks of the base are blocks of type x too.
        let dynamic: Vec<Block> = base.remove_blocks("dynamic");
        for d in dynamic {
            if label(&d, 0).as_deref() != Some(ident.as_str()) {
                base.push(d);
            }
        }
        for b in over.blocks() {
            let same = b.ident.as_str() == ident
                || (b.ident.as_str() == "dynamic"
                    && label(b, 0).as_deref() == Some(ident.as_str()));
            if same {
                base.push(b.clone());
            }
        }
    }
}

/// Whether `name` is an override file (`override.tf`, `x_override.tf`, and `.tf.json`).
pub fn is_override_file(name: &str) -> bool {
    let stem = name
        .strip_suffix(".tf.json")
        .or_else(|| name.strip_suffix(".tf"))
        .unwrap_or(name);
    stem == "override" || stem.ends_with("_override")
}

/// The `source` of a module call, as written (terraform requires a literal string).
pub fn call_source(call: &Block) -> Option<&str> {
    call.body
        .get_attribute("source")
        .and_then(|a| a.value.as_str())
}

/// Shows `path` relative to the working directory when it is inside it.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = cwd
        .as_deref()
        .and_then(|c| path.strip_prefix(c).ok())
        .unwrap_or(path);
    let s = rel.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// hcl-edit 0.10 reads a heredoc whose closing marker is on the very next line on to the next
/// line with that marker further down, swallowing everything between; terraform reads `""`.
/// Such a heredoc is rewritten to `""` padded with spaces before parsing, so that every byte
/// offset (and so every span, line and column) stays where it was. This goes when hcl-edit
/// reads such heredocs as terraform does.
pub fn empty_heredocs(text: &str) -> std::borrow::Cow<'_, str> {
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .scan(0, |at, l| {
            let start = *at;
            *at += l.len();
            Some((start, l))
        })
        .collect();
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for pair in lines.windows(2) {
        let ((start, line), (next_start, next)) = (pair[0], pair[1]);
        let body = line.trim_end_matches(['\n', '\r']);
        let Some(pos) = body.rfind("<<") else {
            continue;
        };
        let marker = body[pos + 2..].trim_start_matches('-');
        let is_marker = !marker.is_empty()
            && marker.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && marker
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let closing = next.trim_end_matches(['\n', '\r']);
        if is_marker && closing.trim() == marker {
            let opener = body.len() - pos;
            edits.push((
                start + pos,
                opener,
                format!("\"\"{}", " ".repeat(opener - 2)),
            ));
            edits.push((next_start, closing.len(), " ".repeat(closing.len())));
        }
    }
    if edits.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for (at, len, with) in edits.into_iter().rev() {
        out.replace_range(at..at + len, &with);
    }
    std::borrow::Cow::Owned(out)
}

/// A number literal beyond the range of a 64-bit float (`1e400`) is a syntax error to hcl-edit,
/// which reads literals as floats; terraform reads it exactly. Such a literal becomes zeros of
/// the same length (offsets kept), and the evaluator reads the exact value from the file's own
/// text at that span. Strings, comments and heredocs are left alone.
pub fn huge_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < b.len() {
        if let Some(next) = skip_inert(text, i) {
            i = next;
            continue;
        }
        match b[i] {
            c if c.is_ascii_digit() => {
                // Names are skipped whole below, so a digit here starts a literal.
                let start = i;
                let mut j = i;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
                    j += 1;
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                }
                if j < b.len() && matches!(b[j], b'e' | b'E') {
                    let mut k = j + 1;
                    if k < b.len() && matches!(b[k], b'+' | b'-') {
                        k += 1;
                    }
                    if k < b.len() && b[k].is_ascii_digit() {
                        while k < b.len() && b[k].is_ascii_digit() {
                            k += 1;
                        }
                        j = k;
                    }
                }
                let huge = text[start..j].parse::<f64>().is_ok_and(|f| f.is_infinite());
                if huge {
                    let buf = out.get_or_insert_with(|| b.to_vec());
                    buf[start..j].iter_mut().for_each(|c| *c = b'0');
                }
                i = j.max(i + 1);
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                // A name (`a1e400`, `x.e5`): skipped whole, its digits are not a literal.
                while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'-')) {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    match out.map(String::from_utf8) {
        Some(Ok(s)) => std::borrow::Cow::Owned(s),
        _ => std::borrow::Cow::Borrowed(text),
    }
}

/// Inside a `for` expression (`[for … ]`, `{for … }`) line breaks mean nothing to terraform
/// (its parser ignores them there); hcl-edit 0.10 refuses one after a conditional's `:`
/// (`k => a ? b :⏎ c`, line 82 of `cloudposse/label/null`). So within each `for`
/// expression every line break outside an object constructor (whose items a line break
/// separates, line 119 of the same file) becomes a space and every comment spaces, byte for byte, so
/// that every offset (and so every span) stays where it was. Expressions with a heredoc are
/// left as they are (its line breaks are its text).
pub fn for_expression_breaks(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if let Some(next) = skip_inert(text, i) {
            i = next;
            continue;
        }
        match b[i] {
            open @ (b'[' | b'{') => {
                let mut j = i + 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                let is_for = b[j..].starts_with(b"for")
                    && b.get(j + 3).is_some_and(|c| c.is_ascii_whitespace());
                if is_for && let Some(end) = matching(b, i, open) {
                    if !text[i..end].contains("<<") {
                        ranges.push((i, end));
                    }
                    i = end;
                    continue;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    if ranges.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = b.to_vec();
    for (start, end) in ranges {
        let mut k = start;
        // What each open bracket inside the `for` is: `true` for an object constructor, whose
        // items a line break separates (it stays), `false` for a group, a tuple or a nested
        // `for` (line breaks there mean nothing).
        let mut objects: Vec<bool> = Vec::new();
        while k < end {
            match out[k] {
                b'"' => k = skip_string(&out, k),
                b'(' | b'[' => {
                    objects.push(false);
                    k += 1;
                }
                b'{' => {
                    let mut j = k + 1;
                    while j < end && out[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    let is_for = out[j..end].starts_with(b"for")
                        && out.get(j + 3).is_some_and(|c| c.is_ascii_whitespace());
                    objects.push(!is_for);
                    k += 1;
                }
                b')' | b']' | b'}' => {
                    objects.pop();
                    k += 1;
                }
                b'\n' | b'\r' if objects.last() == Some(&true) => k += 1,
                b'#' => {
                    let stop = skip_line(&out, k).min(end);
                    out[k..stop].iter_mut().for_each(|c| *c = b' ');
                    k = stop;
                }
                b'/' if out.get(k + 1) == Some(&b'/') => {
                    let stop = skip_line(&out, k).min(end);
                    out[k..stop].iter_mut().for_each(|c| *c = b' ');
                    k = stop;
                }
                b'/' if out.get(k + 1) == Some(&b'*') => {
                    let stop = skip_block_comment(&out, k).min(end);
                    out[k..stop].iter_mut().for_each(|c| *c = b' ');
                    k = stop;
                }
                b'\n' | b'\r' => {
                    out[k] = b' ';
                    k += 1;
                }
                _ => k += 1,
            }
        }
    }
    // Only ASCII bytes were replaced by ASCII spaces: still UTF-8.
    match String::from_utf8(out) {
        Ok(s) => std::borrow::Cow::Owned(s),
        Err(_) => std::borrow::Cow::Borrowed(text),
    }
}

/// The offset just past the quoted string (or template) starting at `i`.
fn skip_string(b: &[u8], i: usize) -> usize {
    let mut k = i + 1;
    let mut depth = 0usize;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 2,
            b'"' if depth == 0 => return k + 1,
            b'"' => k = skip_string(b, k),
            b'$' | b'%' if b.get(k + 1) == Some(&b'{') => {
                depth += 1;
                k += 2;
            }
            b'}' if depth > 0 => {
                depth -= 1;
                k += 1;
            }
            b'\n' => return k,
            _ => k += 1,
        }
    }
    k
}

/// The offset past the heredoc opening at `i` (`<<EOT` / `<<-EOT` … its closing line), or
/// past the `<<` when it opens none.
fn skip_heredoc(text: &str, i: usize) -> usize {
    let rest = &text[i + 2..];
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let marker: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let after = &rest[marker.len()..];
    if marker.is_empty() || !(after.starts_with('\n') || after.starts_with("\r\n")) {
        return i + 2;
    }
    let body_start = text.len() - after.len();
    let mut at = body_start;
    for line in text[body_start..].split_inclusive('\n') {
        at += line.len();
        if line.trim() == marker && at > body_start + line.len() {
            return at;
        }
    }
    text.len()
}

/// The offset of the line break ending the comment at `i` (or the end).
fn skip_line(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p)
}

fn skip_block_comment(b: &[u8], i: usize) -> usize {
    b[i + 2..]
        .windows(2)
        .position(|w| w == b"*/")
        .map_or(b.len(), |p| i + 2 + p + 2)
}

/// The offset just past the string, comment or heredoc that starts at `i`, when one does:
/// text the scanners below step over whole (no brackets, no literals in it).
fn skip_inert(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    match b[i] {
        b'<' if b.get(i + 1) == Some(&b'<') => Some(skip_heredoc(text, i)),
        b'"' => Some(skip_string(b, i)),
        b'#' => Some(skip_line(b, i)),
        b'/' if b.get(i + 1) == Some(&b'/') => Some(skip_line(b, i)),
        b'/' if b.get(i + 1) == Some(&b'*') => Some(skip_block_comment(b, i)),
        _ => None,
    }
}

/// The offset just past the bracket that closes the one at `i`.
fn matching(b: &[u8], i: usize, open: u8) -> Option<usize> {
    let close = if open == b'[' { b']' } else { b'}' };
    let mut stack = vec![close];
    let mut k = i + 1;
    while k < b.len() {
        match b[k] {
            b'"' => {
                k = skip_string(b, k);
                continue;
            }
            b'#' => k = skip_line(b, k),
            b'/' if b.get(k + 1) == Some(&b'/') => k = skip_line(b, k),
            b'/' if b.get(k + 1) == Some(&b'*') => {
                k = skip_block_comment(b, k);
                continue;
            }
            b'[' => stack.push(b']'),
            b'{' => stack.push(b'}'),
            b'(' => stack.push(b')'),
            c @ (b']' | b'}' | b')') => {
                if stack.pop() != Some(c) {
                    return None;
                }
                if stack.is_empty() {
                    return Some(k + 1);
                }
            }
            _ => {}
        }
        k += 1;
    }
    None
}

/// The byte offset of a parser's (line, column) in `text`.
fn error_offset(text: &str, line: usize, column: usize) -> usize {
    let starts = crate::error::line_starts(text);
    let line_start = starts.get(line.saturating_sub(1)).copied().unwrap_or(0);
    text[line_start..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(o, _)| line_start + o)
}

/// The brackets of `b` (`[`/`{`/`(` outside strings, comments and heredocs), each with the
/// offset past its closing bracket.
fn bracket_pairs(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if let Some(next) = skip_inert(text, i) {
            i = next;
            continue;
        }
        match b[i] {
            b'[' | b'{' | b'(' => stack.push(i),
            b']' | b'}' | b')' => {
                if let Some(open) = stack.pop() {
                    out.push((open, i + 1));
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The items of the object constructor `{ … }` at `open..end` as (start, end, key) at its own
/// depth: separated by `,` or a line break, the key before the first `=` or `:`.
fn object_items(text: &str, open: usize, end: usize) -> Vec<(usize, usize, String)> {
    let b = text.as_bytes();
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, open + 1);
    let mut i = open + 1;
    let close = end.saturating_sub(1);
    let push = |s: usize, e: usize, items: &mut Vec<(usize, usize, String)>| {
        let item = &text[s..e];
        let mut d = 0usize;
        let mut key_end = None;
        for (k, c) in item.char_indices() {
            match c {
                '[' | '{' | '(' => d += 1,
                ']' | '}' | ')' => d = d.saturating_sub(1),
                '=' | ':' if d == 0 => {
                    key_end = Some(k);
                    break;
                }
                _ => {}
            }
        }
        if let Some(k) = key_end {
            let key = item[..k].trim().trim_matches('"').to_string();
            if !key.is_empty() {
                items.push((s, e, key));
            }
        }
    };
    while i < close {
        match b[i] {
            b'"' => {
                i = skip_string(b, i);
                continue;
            }
            b'#' => {
                i = skip_line(b, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = skip_line(b, i);
                continue;
            }
            b'[' | b'{' | b'(' => depth += 1,
            b']' | b'}' | b')' => depth = depth.saturating_sub(1),
            b',' | b'\n' if depth == 0 => {
                push(start, i, &mut items);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    push(start, close, &mut items);
    items
}

/// terraform keeps the last of two items with one key in an object constructor (`{ a = 1,
/// a = 2 }` is `{ a = 2 }`); hcl-edit refuses them. Given such a refusal at `at` (the second
/// key), the first item with that key in the same object is blanked out (spaces, so every
/// offset stays). `None` when no such item is found.
fn drop_earlier_key(text: &str, at: usize) -> Option<String> {
    let (open, end) = bracket_pairs(text)
        .into_iter()
        .filter(|&(o, e)| text.as_bytes()[o] == b'{' && o < at && at < e)
        .min_by_key(|&(o, e)| e - o)?;
    let items = object_items(text, open, end);
    let (_, _, key) = items.iter().find(|(s, e, _)| *s <= at && at < *e)?;
    let (s, e, _) = items.iter().find(|(_, _, k)| k == key)?;
    if *s > at {
        return None;
    }
    let mut out = text.as_bytes().to_vec();
    let stop = if out.get(*e) == Some(&b',') {
        e + 1
    } else {
        *e
    };
    for c in &mut out[*s..stop] {
        if *c != b'\n' {
            *c = b' ';
        }
    }
    String::from_utf8(out).ok()
}

/// Parses HCL text; a syntax error says `file:line:col` of `text` and shows the line.
pub fn parse_hcl(text: &str, display: &str) -> Result<Body> {
    let prepared = empty_heredocs(text);
    let prepared = huge_numbers(&prepared);
    let mut prepared = for_expression_breaks(&prepared).into_owned();
    let mut result = hcl_edit::parser::parse_body(&prepared);
    for _ in 0..1000 {
        let Err(e) = &result else { break };
        if !e.message().contains("redefined object key") {
            break;
        }
        let offset = error_offset(&prepared, e.location().line(), e.location().column());
        let Some(next) = drop_earlier_key(&prepared, offset) else {
            break;
        };
        prepared = next;
        result = hcl_edit::parser::parse_body(&prepared);
    }
    result.map_err(|e| {
        // The prepared text has the same offsets, not the same lines: locate in `text`.
        let loc = e.location();
        let offset = error_offset(&prepared, loc.line(), loc.column());
        let location = Location::at_offset(display, text, offset);
        Error::input(location, format!("invalid HCL: {}", e.message()))
    })
}

fn label(block: &Block, i: usize) -> Option<String> {
    block.labels.get(i).map(|l| l.as_str().to_string())
}

impl Module {
    /// Reads and parses every `.tf` and `.tf.json` file of `dir` (not subdirectories), in
    /// name order as terraform does.
    pub fn load(dir: &Path) -> Result<Module> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| Error::read("module directory", dir, e))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            // Links included: a dangling or looping one is an error when read, as in terraform.
            .filter(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                name.is_some_and(|n| n.ends_with(".tf") || n.ends_with(".tf.json")) && !p.is_dir()
            })
            .collect();
        // The primary files in name order, then the override files in name order.
        paths.sort_by_key(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            (name.as_deref().is_some_and(is_override_file), p.clone())
        });
        if paths.is_empty() {
            return Err(Error::Invalid {
                path: display_path(dir),
                message: "no `.tf` or `.tf.json` files in this module directory".into(),
            });
        }
        let mut module = Module {
            dir: dir.to_path_buf(),
            ..Module::default()
        };
        for path in paths {
            let text = crate::input_file::read("Terraform file", &path)?;
            let display = display_path(&path);
            let (text, json) = if path.to_string_lossy().ends_with(".tf.json") {
                let c = super::json_config::convert(&text).map_err(|e| {
                    let mut at = Location::new(&display, e.line, e.column);
                    at.source_line = text.lines().nth(e.line - 1).map(str::to_string);
                    Error::input(at, e.message)
                })?;
                (c.text, Some((text, c.lines)))
            } else {
                (text, None)
            };
            let body = match parse_hcl(&text, &display) {
                Ok(b) => b,
                // A JSON file's text is drift's: say where in the JSON file.
                Err(Error::Input { location, message }) if json.is_some() => {
                    let file = SourceFile {
                        path: path.clone(),
                        display: display.clone(),
                        text: text.clone(),
                        line_starts: Default::default(),
                        json: json.clone(),
                    };
                    let starts = crate::error::line_starts(&text);
                    let offset = starts
                        .get(location.line.saturating_sub(1))
                        .copied()
                        .unwrap_or(0);
                    return Err(Error::input(file.location(offset), message));
                }
                Err(e) => return Err(e),
            };
            let file = module.files.len();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            module.files.push(SourceFile {
                path: path.clone(),
                display,
                text,
                line_starts: Default::default(),
                json,
            });
            if name.as_deref().is_some_and(is_override_file) {
                module.apply_override(file, body)?;
            } else {
                module.index(file, body)?;
            }
        }
        Ok(module)
    }

    /// Merges an override file's blocks into the declarations, as terraform does: each
    /// argument replaces the base's argument of that name; each nested block type replaces all
    /// the base's blocks of that type (`dynamic` ones included), except `lifecycle`, merged
    /// argument by argument; a local or an output's value replaces the base's. An override of
    /// something no primary file declares is an error, as in terraform.
    fn apply_override(&mut self, file: usize, body: Body) -> Result<()> {
        let blocks: Vec<Block> = body
            .into_iter()
            .filter_map(|s| s.into_block().ok())
            .collect();
        for block in blocks {
            let ident = block.ident.as_str().to_string();
            let here = self.files[file].location(block.span().map_or(0, |s| s.start));
            let missing = |what: String| {
                Error::input(
                    here.clone(),
                    format!("missing base {what} to override: no primary file declares it"),
                )
            };
            let l0 = label(&block, 0).unwrap_or_default();
            let l1 = label(&block, 1).unwrap_or_default();
            match ident.as_str() {
                "resource" | "data" => {
                    let map = if ident == "resource" {
                        &mut self.resources
                    } else {
                        &mut self.data
                    };
                    let Some(decl) = map.get_mut(&(l0.clone(), l1.clone())) else {
                        return Err(missing(format!("{ident} `{l0}.{l1}`")));
                    };
                    merge_body(&mut decl.item.block.body, &block.body);
                    let at = decl.item.block.span().map_or(0, |s| s.start);
                    let base = decl.file;
                    self.mark_overridden(base, at);
                }
                "variable" | "module" => {
                    let map = if ident == "variable" {
                        &mut self.variables
                    } else {
                        &mut self.module_calls
                    };
                    let Some(decl) = map.get_mut(&l0) else {
                        return Err(missing(format!("{ident} `{l0}`")));
                    };
                    merge_body(&mut decl.item.body, &block.body);
                    let at = decl.item.span().map_or(0, |s| s.start);
                    let base = decl.file;
                    self.mark_overridden(base, at);
                }
                "provider" => {
                    let alias = block
                        .body
                        .get_attribute("alias")
                        .and_then(|a| a.value.as_str().map(str::to_string));
                    let name = match alias {
                        Some(a) => format!("{l0}.{a}"),
                        None => l0.clone(),
                    };
                    let Some(decl) = self.providers.get_mut(&name) else {
                        return Err(missing(format!("provider configuration `{name}`")));
                    };
                    merge_body(&mut decl.item.body, &block.body);
                }
                "output" => {
                    if !self.outputs.contains_key(&l0) {
                        return Err(missing(format!("output `{l0}`")));
                    }
                    if let Some(v) = block.body.get_attribute("value") {
                        self.outputs.insert(
                            l0.clone(),
                            Decl {
                                file,
                                item: v.value.clone(),
                            },
                        );
                    }
                }
                "locals" => {
                    for attr in block.body.attributes() {
                        let key = attr.key.as_str().to_string();
                        if !self.locals.contains_key(&key) {
                            return Err(missing(format!("local value `{key}`")));
                        }
                        self.locals.insert(
                            key,
                            Decl {
                                file,
                                item: attr.value.clone(),
                            },
                        );
                    }
                }
                // `terraform` (backend, required providers) and the rest: nothing drift reads.
                _ => {}
            }
        }
        Ok(())
    }

    fn mark_overridden(&mut self, file: usize, offset: usize) {
        let at = self.files[file].location(offset);
        self.overridden.insert((at.path, at.line));
    }

    /// A module of one file given as text (fuzzing and tests): parsed and indexed as `load`
    /// would, with `dir` as its directory.
    pub fn from_text(dir: &Path, name: &str, text: &str) -> Result<Module> {
        let path = dir.join(name);
        let display = display_path(&path);
        let body = parse_hcl(text, &display)?;
        let mut module = Module {
            dir: dir.to_path_buf(),
            ..Module::default()
        };
        module.files.push(SourceFile {
            path,
            display,
            text: text.to_string(),
            line_starts: Default::default(),
            json: None,
        });
        module.index(0, body)?;
        Ok(module)
    }

    /// Files `body`'s declarations under `file`. The blocks move into the declarations: the
    /// syntax tree is kept once, not once per file and again per declaration.
    fn index(&mut self, file: usize, body: Body) -> Result<()> {
        let blocks = body.into_iter().filter_map(|s| s.into_block().ok());
        for block in blocks {
            let ident = block.ident.as_str().to_string();
            let need = |n: usize| -> Result<Vec<String>> {
                let labels: Vec<String> = (0..n).filter_map(|i| label(&block, i)).collect();
                if labels.len() == n {
                    Ok(labels)
                } else {
                    Err(Error::input(
                        self.files[file].location(block.span().map_or(0, |s| s.start)),
                        format!("a `{ident}` block needs {n} label(s)"),
                    ))
                }
            };
            let here = block.span().map_or(0, |s| s.start);
            match ident.as_str() {
                "variable" => {
                    let l = need(1)?;
                    if let Some(prev) = self.variables.get(&l[0]) {
                        let at = (prev.file, prev.item.span().map_or(0, |s| s.start));
                        return Err(self.duplicate("variable", &l[0], at, (file, here)));
                    }
                    self.variables
                        .insert(l[0].clone(), Decl { file, item: block });
                }
                "locals" => {
                    for attr in block.body.attributes() {
                        if let Some(prev) = self.locals.get(attr.key.as_str()) {
                            let at = (prev.file, prev.item.span().map_or(0, |s| s.start));
                            let this = (file, attr.span().map_or(here, |s| s.start));
                            return Err(self.duplicate("local value", attr.key.as_str(), at, this));
                        }
                        self.locals.insert(
                            attr.key.as_str().to_string(),
                            Decl {
                                file,
                                item: attr.value.clone(),
                            },
                        );
                    }
                }
                "resource" | "data" => {
                    let l = need(2)?;
                    let decl = Decl {
                        file,
                        item: ResourceDecl {
                            rtype: l[0].clone(),
                            name: l[1].clone(),
                            block,
                        },
                    };
                    let map = if ident == "resource" {
                        &mut self.resources
                    } else {
                        &mut self.data
                    };
                    if let Some(prev) = map.get(&(l[0].clone(), l[1].clone())) {
                        let at = (prev.file, prev.item.block.span().map_or(0, |s| s.start));
                        let what = if ident == "resource" {
                            "resource"
                        } else {
                            "data source"
                        };
                        let name = format!("{}.{}", l[0], l[1]);
                        return Err(self.duplicate(what, &name, at, (file, here)));
                    }
                    map.insert((l[0].clone(), l[1].clone()), decl);
                }
                "provider" => {
                    let l = need(1)?;
                    let alias = block
                        .body
                        .get_attribute("alias")
                        .and_then(|a| a.value.as_str().map(str::to_string));
                    let name = match alias {
                        Some(a) => format!("{}.{a}", l[0]),
                        None => l[0].clone(),
                    };
                    if let Some(prev) = self.providers.get(&name) {
                        let at = (prev.file, prev.item.span().map_or(0, |s| s.start));
                        return Err(self.duplicate(
                            "provider configuration",
                            &name,
                            at,
                            (file, here),
                        ));
                    }
                    self.providers.insert(name, Decl { file, item: block });
                }
                "module" => {
                    let l = need(1)?;
                    if let Some(prev) = self.module_calls.get(&l[0]) {
                        let at = (prev.file, prev.item.span().map_or(0, |s| s.start));
                        return Err(self.duplicate("module call", &l[0], at, (file, here)));
                    }
                    self.module_calls
                        .insert(l[0].clone(), Decl { file, item: block });
                }
                "output" => {
                    let l = need(1)?;
                    if let Some(prev) = self.outputs.get(&l[0]) {
                        let at = (prev.file, prev.item.span().map_or(0, |s| s.start));
                        return Err(self.duplicate("output", &l[0], at, (file, here)));
                    }
                    if let Some(v) = block.body.get_attribute("value") {
                        self.outputs.insert(
                            l[0].clone(),
                            Decl {
                                file,
                                item: v.value.clone(),
                            },
                        );
                    }
                    let rules: Vec<Block> =
                        block.body.get_blocks("precondition").cloned().collect();
                    if !rules.is_empty() {
                        self.output_preconditions
                            .insert(l[0].clone(), Decl { file, item: rules });
                    }
                }
                "check" => {
                    let l = need(1)?;
                    self.checks.insert(l[0].clone(), Decl { file, item: block });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Terraform's error for a second declaration of one name: at the second, naming the first.
    fn duplicate(
        &self,
        what: &str,
        name: &str,
        first: (usize, usize),
        second: (usize, usize),
    ) -> Error {
        let prev = self.files[first.0].location(first.1);
        Error::input(
            self.files[second.0].location(second.1),
            format!(
                "duplicate {what} `{name}`: it was already declared at {}:{}:{}",
                prev.path, prev.line, prev.column
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_in_for_expressions_become_spaces_offsets_kept() {
        let text =
            "a = { for k in x : k => k ? 1 : # c\n  2 }\nb = <<EOT\n{ for y\nEOT\nc = [\n  1,\n]\n";
        let out = for_expression_breaks(text);
        assert_eq!(out.len(), text.len());
        assert_eq!(
            &out[..text.find("\nb").unwrap()],
            "a = { for k in x : k => k ? 1 :       2 }"
        );
        // A heredoc's text and a list that is not a `for` expression are left as they are.
        assert_eq!(
            &out[text.find("\nb").unwrap()..],
            &text[text.find("\nb").unwrap()..]
        );
        parse_hcl(text, "x.tf").unwrap();
    }

    /// Literals beyond a float's range become zeros of their length; names, strings,
    /// comments and literals in range are left as written.
    #[test]
    fn huge_number_literals_become_zeros_of_their_length() {
        let text = "a = 1e400 + 2.5E+999\nb = \"1e400\" # 1e400\nc = x1e400\nd = [1e3, 0.5]\n";
        let out = huge_numbers(text);
        assert_eq!(out.len(), text.len());
        assert_eq!(
            out,
            "a = 00000 + 00000000\nb = \"1e400\" # 1e400\nc = x1e400\nd = [1e3, 0.5]\n"
        );
        parse_hcl("a = -1e400\n", "x.tf").unwrap();
    }

    /// An object constructor inside a `for` keeps the line breaks between its items (line 119
    /// of `cloudposse/label/null` 0.25.0); its parentheses and the `for` around it do not.
    #[test]
    fn object_items_inside_a_for_keep_their_line_breaks() {
        let text = "a = flatten([\n  for key in keys(x) : merge(\n    {\n      key   = key\n      value = x[key]\n  }, y)\n])\n";
        let out = for_expression_breaks(text);
        assert_eq!(out.len(), text.len());
        assert!(
            out.contains("key   = key\n      value = x[key]\n  }"),
            "{out}"
        );
        assert!(out.contains("for key in keys(x) : merge(     {"), "{out}");
        parse_hcl(text, "x.tf").unwrap();
    }
}
