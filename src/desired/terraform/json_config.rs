//! Terraform's JSON configuration syntax (`*.tf.json`), read as terraform reads it: each file
//! becomes the equivalent native-syntax text, which the rest of drift parses and evaluates like
//! any `.tf` file. The mapping follows terraform's JSON syntax rules: top-level keys are block
//! types (`resource`, `data`, `module`, `variable`, `output`, `locals`, `provider`,
//! `terraform`), their nested object keys the block labels; in an expression position a JSON
//! string is a template (`"${var.x}"`), numbers, booleans, null, arrays and objects are
//! literals of their kind; a few arguments are not expressions (`depends_on`, `provider`,
//! `ignore_changes` are references; a variable's `type` is a type; `source`, `version`, a
//! variable's `default` are literal). Whether an object is a nested block or an object value
//! is the provider schema's call: drift treats as blocks the nested block types of the
//! resources it reads (`statement`, `principals`, `condition`, `alias`, the routing policies,
//! `vpc`, `lifecycle`, `dynamic`, `assume_role`, `timeouts`), and every other object as a value.
//! `"//"` keys are comments. Each line of the text made remembers the line of the JSON file it
//! comes from, so positions in errors and reports are the JSON file's.
//!
//! Knows nothing of what the declarations mean; only `module.rs` calls it.

use serde_json::Value;
use std::fmt::Write;

/// Nested block types drift reads, in any resource or block body.
const BLOCKS: &[&str] = &[
    "statement",
    "principals",
    "not_principals",
    "condition",
    "alias",
    "weighted_routing_policy",
    "failover_routing_policy",
    "latency_routing_policy",
    "geolocation_routing_policy",
    "geoproximity_routing_policy",
    "cidr_routing_policy",
    "vpc",
    "lifecycle",
    "assume_role",
    "timeouts",
    "precondition",
    "postcondition",
    "validation",
    "backend",
    "required_providers",
    "cloud",
    "content",
];

/// The text made from a `.tf.json` file, and for each of its lines the JSON file's line.
#[derive(Debug)]
pub struct Converted {
    pub text: String,
    pub lines: Vec<usize>,
}

/// How a JSON value is written in the native syntax.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// An expression: strings are templates.
    Expr,
    /// A literal: `${` and `%{` in strings are text.
    Literal,
    /// A reference (`aws_kms_key.k`, `aws.west`): written bare.
    Reference,
    /// A type constraint (`list(string)`): written bare.
    Type,
}

struct Writer<'a> {
    json: &'a str,
    line_starts: Vec<usize>,
    /// Where the search for the next key starts: keys are met in the file's order.
    cursor: usize,
    /// The JSON line the current output comes from.
    current: usize,
    out: String,
    lines: Vec<usize>,
}

impl Writer<'_> {
    /// Moves to where `key` next appears as an object key in the JSON text.
    fn at_key(&mut self, key: &str) {
        let quoted = serde_json::to_string(key).unwrap_or_default();
        if let Some(i) = self.json[self.cursor..].find(&quoted) {
            let at = self.cursor + i;
            self.cursor = at + quoted.len();
            self.current = self.line_starts.partition_point(|&s| s <= at).max(1);
        }
    }

    fn push(&mut self, s: &str) {
        for c in s.chars() {
            self.out.push(c);
            if c == '\n' {
                self.lines.push(self.current);
            }
        }
    }

    fn line(&mut self, depth: usize, s: &str) {
        self.push(&"  ".repeat(depth));
        self.push(s);
        self.push("\n");
    }
}

/// `s` as a native-syntax quoted string; in `Literal` mode `${` and `%{` stay text. In a
/// template, the inside of each `${ … }` and `%{ … }` is an expression, copied as it is (its
/// own strings and braces included); only the text around them is escaped.
fn quoted(s: &str, mode: Mode) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if mode != Mode::Literal && (c == '$' || c == '%') {
            if chars.peek() == Some(&c) {
                // `$${` / `%%{`: the template's own escape for the text `${` / `%{`.
                out.push(c);
                out.push(chars.next().unwrap_or(c));
                continue;
            }
            if chars.peek() == Some(&'{') {
                out.push(c);
                out.push('{');
                chars.next();
                let (mut depth, mut in_string) = (1usize, false);
                while let Some(x) = chars.next() {
                    out.push(x);
                    if in_string {
                        match x {
                            '\\' => out.extend(chars.next()),
                            '"' => in_string = false,
                            _ => {}
                        }
                        continue;
                    }
                    match x {
                        '"' => in_string = true,
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                continue;
            }
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if mode == Mode::Literal && chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `s` is a reference terraform's JSON syntax allows where one is expected.
fn is_reference(s: &str) -> bool {
    let mut parts = s.split('.');
    let ident = |p: &str| {
        let name = p.split('[').next().unwrap_or_default();
        name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && p[name.len()..].split_inclusive(']').all(|ix| {
                ix.starts_with('[')
                    && ix.ends_with(']')
                    && !ix[1..ix.len() - 1].contains(['[', '\n'])
            })
    };
    parts.next().is_some_and(ident) && parts.all(ident)
}

/// A JSON value as a native-syntax expression.
fn expression(v: &Value, mode: Mode, path: &str) -> Result<String, String> {
    Ok(match (v, mode) {
        (Value::String(s), Mode::Reference) => {
            if !is_reference(s) {
                return Err(format!("`{path}` must be a reference, got {s:?}"));
            }
            s.clone()
        }
        (Value::String(s), Mode::Type) => {
            hcl_edit::parser::parse_expr(s)
                .map_err(|e| format!("`{path}`: {s:?} is not a type: {}", e.message()))?;
            s.clone()
        }
        (Value::String(s), _) => quoted(s, mode),
        (Value::Number(n), _) => n.to_string(),
        (Value::Bool(b), _) => b.to_string(),
        (Value::Null, _) => "null".to_string(),
        (Value::Array(items), _) => {
            let items: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, x)| expression(x, mode, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?;
            format!("[{}]", items.join(", "))
        }
        (Value::Object(map), _) => {
            let mode = if mode == Mode::Reference {
                Mode::Expr
            } else {
                mode
            };
            let items: Vec<String> = map
                .iter()
                .filter(|(k, _)| k.as_str() != "//")
                .map(|(k, x)| {
                    Ok(format!(
                        "{} = {}",
                        quoted(k, mode),
                        expression(x, mode, &format!("{path}.{k}"))?
                    ))
                })
                .collect::<Result<_, String>>()?;
            format!("{{ {} }}", items.join(", "))
        }
    })
}

/// The kind of block a body belongs to, for the arguments that are not expressions.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Resource,
    Module,
    Variable,
    Output,
    Provider,
    Terraform,
    Lifecycle,
    Other,
}

fn mode_of(kind: Kind, key: &str) -> Mode {
    match (kind, key) {
        (_, "depends_on") | (Kind::Resource, "provider") | (Kind::Lifecycle, "ignore_changes") => {
            Mode::Reference
        }
        (Kind::Variable, "type") => Mode::Type,
        (Kind::Variable, "default" | "description" | "sensitive" | "nullable") => Mode::Literal,
        (Kind::Module, "source" | "version") => Mode::Literal,
        (Kind::Output, "description" | "sensitive") => Mode::Literal,
        (Kind::Provider, "alias") => Mode::Literal,
        (Kind::Terraform, _) => Mode::Literal,
        _ => Mode::Expr,
    }
}

/// Writes the body of a block of `kind` from a JSON object.
fn body(w: &mut Writer, v: &Value, kind: Kind, depth: usize, path: &str) -> Result<(), String> {
    let Value::Object(map) = v else {
        return Err(format!("`{path}` must be an object"));
    };
    for (key, value) in map {
        if key == "//" {
            continue;
        }
        w.at_key(key);
        let here = format!("{path}.{key}");
        match (kind, key.as_str()) {
            (Kind::Other, "iterator") => {
                w.line(
                    depth,
                    &format!("iterator = {}", expression(value, Mode::Reference, &here)?),
                );
            }
            // Not read by drift, and not expressions: left out.
            (_, "provisioner" | "connection") => {}
            (Kind::Module, "providers") => {
                let Value::Object(p) = value else {
                    return Err(format!("`{here}` must be an object"));
                };
                let items: Vec<String> = p
                    .iter()
                    .map(|(k, r)| {
                        Ok(format!(
                            "{k} = {}",
                            expression(r, Mode::Reference, &format!("{here}.{k}"))?
                        ))
                    })
                    .collect::<Result<_, String>>()?;
                w.line(depth, &format!("providers = {{ {} }}", items.join(", ")));
            }
            (Kind::Lifecycle, "ignore_changes") if value.as_str() == Some("all") => {
                w.line(depth, "ignore_changes = all");
            }
            (_, "dynamic") => {
                for (label, spec) in labelled(value, &here)? {
                    w.line(
                        depth,
                        &format!("dynamic {} {{", quoted(&label, Mode::Literal)),
                    );
                    body(w, &spec, Kind::Other, depth + 1, &format!("{here}.{label}"))?;
                    w.line(depth, "}");
                }
            }
            (Kind::Terraform, "backend") => {
                for (label, spec) in labelled(value, &here)? {
                    w.line(
                        depth,
                        &format!("backend {} {{", quoted(&label, Mode::Literal)),
                    );
                    body(
                        w,
                        &spec,
                        Kind::Terraform,
                        depth + 1,
                        &format!("{here}.{label}"),
                    )?;
                    w.line(depth, "}");
                }
            }
            (_, name) if BLOCKS.contains(&name) && is_block_value(value) => {
                let inner = match name {
                    "lifecycle" => Kind::Lifecycle,
                    _ if kind == Kind::Terraform => Kind::Terraform,
                    _ => Kind::Other,
                };
                let list: Vec<&Value> = match value {
                    Value::Array(items) => items.iter().collect(),
                    one => vec![one],
                };
                for (i, b) in list.into_iter().enumerate() {
                    w.line(depth, &format!("{name} {{"));
                    body(w, b, inner, depth + 1, &format!("{here}[{i}]"))?;
                    w.line(depth, "}");
                }
            }
            _ => {
                let text = expression(value, mode_of(kind, key), &here)?;
                let name = if is_identifier(key) {
                    key.clone()
                } else {
                    return Err(format!("`{here}`: {key:?} is not an argument name"));
                };
                w.line(depth, &format!("{name} = {text}"));
            }
        }
    }
    Ok(())
}

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_block_value(v: &Value) -> bool {
    match v {
        Value::Object(_) => true,
        Value::Array(items) => items.iter().all(Value::is_object),
        _ => false,
    }
}

/// `{ LABEL: BODY }` (or a list of such objects, or `LABEL: [BODY, …]`) as (label, body) pairs
/// in the file's order.
fn labelled(v: &Value, path: &str) -> Result<Vec<(String, Value)>, String> {
    let mut out = Vec::new();
    let objects: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    for o in objects {
        let Value::Object(map) = o else {
            return Err(format!("`{path}` must be an object of labels"));
        };
        for (label, b) in map {
            if label == "//" {
                continue;
            }
            match b {
                Value::Array(bodies) => {
                    out.extend(bodies.iter().map(|x| (label.clone(), x.clone())))
                }
                one => out.push((label.clone(), one.clone())),
            }
        }
    }
    Ok(out)
}

/// A file that is not JSON configuration: where (line, column) and what.
#[derive(Debug)]
pub struct Invalid {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Converts a `.tf.json` file's text.
pub fn convert(json: &str) -> Result<Converted, Invalid> {
    let root: Value = serde_json::from_str(json).map_err(|e| Invalid {
        line: e.line().max(1),
        column: e.column().max(1),
        message: format!("invalid JSON: {e}"),
    })?;
    let mut w = Writer {
        json,
        line_starts: crate::error::line_starts(json),
        cursor: 0,
        current: 1,
        out: String::new(),
        lines: Vec::new(),
    };
    match write_all(&mut w, &root) {
        Ok(()) => Ok(Converted {
            text: w.out,
            lines: w.lines,
        }),
        Err(message) => Err(Invalid {
            line: w.current,
            column: 1,
            message,
        }),
    }
}

fn write_all(w: &mut Writer, root: &Value) -> Result<(), String> {
    let Value::Object(top) = root else {
        return Err("a `.tf.json` file must hold one JSON object".into());
    };
    for (block, value) in top {
        if block == "//" {
            continue;
        }
        w.at_key(block);
        let list: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for v in list {
            match block.as_str() {
                "resource" | "data" => {
                    for (rtype, names) in labelled(v, block)? {
                        w.at_key(&rtype);
                        for (name, b) in labelled(&names, &format!("{block}.{rtype}"))? {
                            w.at_key(&name);
                            w.line(
                                0,
                                &format!(
                                    "{block} {} {} {{",
                                    quoted(&rtype, Mode::Literal),
                                    quoted(&name, Mode::Literal)
                                ),
                            );
                            let path = format!("{block}.{rtype}.{name}");
                            body(w, &b, Kind::Resource, 1, &path)?;
                            w.line(0, "}");
                        }
                    }
                }
                "module" | "variable" | "output" | "provider" => {
                    let kind = match block.as_str() {
                        "module" => Kind::Module,
                        "variable" => Kind::Variable,
                        "output" => Kind::Output,
                        _ => Kind::Provider,
                    };
                    for (name, b) in labelled(v, block)? {
                        w.at_key(&name);
                        w.line(0, &format!("{block} {} {{", quoted(&name, Mode::Literal)));
                        body(w, &b, kind, 1, &format!("{block}.{name}"))?;
                        w.line(0, "}");
                    }
                }
                "locals" => {
                    w.line(0, "locals {");
                    body(w, v, Kind::Other, 1, "locals")?;
                    w.line(0, "}");
                }
                "terraform" => {
                    w.line(0, "terraform {");
                    body(w, v, Kind::Terraform, 1, "terraform")?;
                    w.line(0, "}");
                }
                // `moved`, `import`, `check`, `removed`: nothing drift reads.
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hcl(json: &str) -> String {
        convert(json)
            .unwrap_or_else(|e| panic!("{}", e.message))
            .text
    }

    #[test]
    fn declarations_become_native_blocks() {
        let text = hcl(r#"{
  "//": "a comment",
  "variable": {"env": {"type": "string", "default": "prod ${x}"}},
  "locals": {"name": "app-${var.env}", "n": 3, "tags": {"a": "b"}},
  "resource": {"aws_route53_record": {"www": {
    "zone_id": "${aws_route53_zone.z.zone_id}",
    "name": "www", "type": "A", "ttl": 60, "records": ["192.0.2.1"],
    "depends_on": ["aws_route53_zone.z"],
    "lifecycle": {"ignore_changes": ["ttl"]},
    "alias": {"name": "x", "zone_id": "z", "evaluate_target_health": true}
  }}},
  "module": {"m": {"source": "./m", "providers": {"aws": "aws.west"}, "n": "${local.n}"}},
  "output": {"o": {"value": "${local.name}", "sensitive": true}}
}"#);
        assert!(
            text.contains("variable \"env\" {\n  type = string\n  default = \"prod $${x}\"\n}"),
            "{text}"
        );
        assert!(
            text.contains("  name = \"app-${var.env}\"\n  n = 3\n  tags = { \"a\" = \"b\" }"),
            "{text}"
        );
        assert!(
            text.contains("resource \"aws_route53_record\" \"www\" {"),
            "{text}"
        );
        assert!(
            text.contains("  depends_on = [aws_route53_zone.z]"),
            "{text}"
        );
        assert!(
            text.contains("  lifecycle {\n    ignore_changes = [ttl]\n  }"),
            "{text}"
        );
        assert!(text.contains("  alias {\n    name = \"x\""), "{text}");
        assert!(text.contains("  providers = { aws = aws.west }"), "{text}");
        // The text is native syntax drift parses.
        hcl_edit::parser::parse_body(&text).unwrap();
        // Inside an interpolation the expression is copied as it is, quotes included.
        assert_eq!(
            quoted("a\"b ${join(\",\", var.x)} $${lit}", Mode::Expr),
            "\"a\\\"b ${join(\",\", var.x)} $${lit}\""
        );
    }

    #[test]
    fn lines_point_into_the_json_file() {
        let json = "{\n  \"locals\": {\n    \"a\": 1,\n\n    \"b\": 2\n  }\n}\n";
        let c = convert(json).unwrap();
        let lines: Vec<&str> = c.text.lines().collect();
        let b = lines.iter().position(|l| l.contains("b = 2")).unwrap();
        assert_eq!(c.lines[b], 5);
        let a = lines.iter().position(|l| l.contains("a = 1")).unwrap();
        assert_eq!(c.lines[a], 3);
    }

    #[test]
    fn what_is_not_a_reference_or_json_is_an_error() {
        assert!(convert("[1]").is_err());
        assert_eq!(convert("{\n  \"a\": ").unwrap_err().line, 2);
        let e = convert(r#"{"resource": {"t": {"n": {"depends_on": ["${x}"]}}}}"#).unwrap_err();
        assert!(
            e.message.contains("resource.t.n.depends_on[0]"),
            "{}",
            e.message
        );
    }
}
