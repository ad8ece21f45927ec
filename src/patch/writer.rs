//! Writes HCL in `terraform fmt` style: two-space indent, `=` aligned across consecutive
//! single-line attributes (a value that opens a multi-line bracket ends the run), lists on one
//! line when short. Strings use the code's own names for known values (`${var.x}`).

use crate::model::CodeRef;

/// An HCL value to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Hcl {
    /// An expression written as is (`var.x`, `aws_route53_zone.main.zone_id`, `300`, `true`).
    Raw(String),
    /// A string, quoted and with known values turned into references.
    Str(String),
    List(Vec<Hcl>),
    Object(Vec<(String, Hcl)>),
}

/// A block with attributes, then nested blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub ident: String,
    pub labels: Vec<String>,
    pub attrs: Vec<(String, Hcl)>,
    pub blocks: Vec<Block>,
}

/// Known values of a module, longest first, each with the expression that names it.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pairs: Vec<(String, String)>,
}

impl Names {
    /// Values named unambiguously: at the best rank that names a value, exactly one expression.
    pub fn new(refs: &[CodeRef], dir: &str) -> Names {
        let mut best: std::collections::BTreeMap<&str, (u8, Vec<&str>)> = Default::default();
        for r in refs.iter().filter(|r| r.dir == dir && r.value.len() >= 8) {
            let e = best.entry(r.value.as_str()).or_insert((r.rank, Vec::new()));
            if r.rank < e.0 {
                *e = (r.rank, Vec::new());
            }
            if r.rank == e.0 {
                e.1.push(&r.expr);
            }
        }
        let mut pairs: Vec<(String, String)> = best
            .into_iter()
            .filter(|(_, (_, exprs))| exprs.len() == 1)
            .map(|(v, (_, exprs))| (v.to_string(), exprs[0].to_string()))
            .collect();
        pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        Names { pairs }
    }

    /// The string as an HCL expression: a bare reference when it is exactly a known value, a
    /// template with interpolations where it contains some, else a quoted literal.
    pub fn string(&self, s: &str) -> String {
        if let Some((_, e)) = self.pairs.iter().find(|(v, _)| v == s) {
            return e.clone();
        }
        let mut out = String::from("\"");
        let mut i = 0;
        'scan: while i < s.len() {
            for (v, e) in &self.pairs {
                if s[i..].starts_with(v.as_str()) {
                    out.push_str(&format!("${{{e}}}"));
                    i += v.len();
                    continue 'scan;
                }
            }
            let c = s[i..].chars().next().unwrap_or(' ');
            out.push_str(&escape_char(c, &s[i..]));
            i += c.len_utf8();
        }
        out.push('"');
        out
    }
}

fn escape_char(c: char, rest: &str) -> String {
    match c {
        '"' => "\\\"".into(),
        '\\' => "\\\\".into(),
        '\n' => "\\n".into(),
        '\t' => "\\t".into(),
        '\r' => "\\r".into(),
        '$' if rest.starts_with("${") => "$$".into(),
        '%' if rest.starts_with("%{") => "%%".into(),
        c => c.to_string(),
    }
}

/// An object key: bare when it is an identifier, else quoted.
pub fn key(k: &str) -> String {
    let mut chars = k.chars();
    let ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

const MAX_LINE: usize = 100;

/// The value as HCL; multi-line values are indented relative to column 0 (callers re-indent).
pub fn value(v: &Hcl, names: &Names) -> String {
    match v {
        Hcl::Raw(r) => r.clone(),
        Hcl::Str(s) => names.string(s),
        Hcl::List(items) => {
            let rendered: Vec<String> = items.iter().map(|i| value(i, names)).collect();
            let one_line = format!("[{}]", rendered.join(", "));
            if rendered.iter().all(|r| !r.contains('\n')) && one_line.len() <= MAX_LINE {
                one_line
            } else {
                let mut out = String::from("[\n");
                for (i, r) in rendered.iter().enumerate() {
                    out.push_str("  ");
                    out.push_str(&super::edits::indent_rest(r, "  "));
                    if i + 1 < rendered.len() {
                        out.push(',');
                    }
                    out.push('\n');
                }
                out.push(']');
                out
            }
        }
        Hcl::Object(attrs) => {
            let mut out = String::from("{\n");
            out.push_str(&attributes(attrs, names, "  "));
            out.push('}');
            out
        }
    }
}

/// Attribute lines at `indent`, `=` aligned within runs of single-line values.
pub fn attributes(attrs: &[(String, Hcl)], names: &Names, indent: &str) -> String {
    let rendered: Vec<(String, String)> = attrs
        .iter()
        .map(|(k, v)| (key(k), value(v, names)))
        .collect();
    let mut out = String::new();
    let mut i = 0;
    while i < rendered.len() {
        if rendered[i].1.contains('\n') {
            let (k, v) = &rendered[i];
            out.push_str(&format!(
                "{indent}{k} = {}\n",
                super::edits::indent_rest(v, indent)
            ));
            i += 1;
            continue;
        }
        let mut j = i;
        while j < rendered.len() && !rendered[j].1.contains('\n') {
            j += 1;
        }
        let width = rendered[i..j]
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in &rendered[i..j] {
            out.push_str(&format!("{indent}{k:<width$} = {v}\n"));
        }
        i = j;
    }
    out
}

/// A block at column 0: attributes, then each nested block after a blank line.
pub fn block(b: &Block, names: &Names) -> String {
    let mut head = b.ident.clone();
    for l in &b.labels {
        head.push_str(&format!(" {l:?}"));
    }
    let mut out = format!("{head} {{\n");
    out.push_str(&attributes(&b.attrs, names, "  "));
    for (i, nested) in b.blocks.iter().enumerate() {
        if i > 0 || !b.attrs.is_empty() {
            out.push('\n');
        }
        out.push_str("  ");
        out.push_str(&super::edits::indent_rest(&block(nested, names), "  "));
        out.push('\n');
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names::new(
            &[
                CodeRef {
                    dir: "d".into(),
                    value: "290008131187".into(),
                    expr: "local.account_id".into(),
                    rank: 1,
                },
                CodeRef {
                    dir: "d".into(),
                    value: "290008131187".into(),
                    expr: "data.aws_caller_identity.current.account_id".into(),
                    rank: 2,
                },
                CodeRef {
                    dir: "d".into(),
                    value: "E11S2DJHTYZKER".into(),
                    expr: "var.cloudfront_distribution_id".into(),
                    rank: 0,
                },
                CodeRef {
                    dir: "d".into(),
                    value: "same-value".into(),
                    expr: "var.a".into(),
                    rank: 0,
                },
                CodeRef {
                    dir: "d".into(),
                    value: "same-value".into(),
                    expr: "var.b".into(),
                    rank: 0,
                },
                CodeRef {
                    dir: "other".into(),
                    value: "cloudfront".into(),
                    expr: "var.x".into(),
                    rank: 0,
                },
            ],
            "d",
        )
    }

    #[test]
    fn known_values_become_references() {
        let n = names();
        assert_eq!(
            n.string("arn:aws:cloudfront::290008131187:distribution/E11S2DJHTYZKER"),
            "\"arn:aws:cloudfront::${local.account_id}:distribution/${var.cloudfront_distribution_id}\""
        );
        assert_eq!(n.string("290008131187"), "local.account_id");
        // ambiguous: two variables hold it
        assert_eq!(n.string("same-value"), "\"same-value\"");
        assert_eq!(n.string("say \"${x}\""), "\"say \\\"$${x}\\\"\"");
    }

    #[test]
    fn attributes_align_within_single_line_runs() {
        let n = Names::default();
        let text = attributes(
            &[
                ("sid".into(), Hcl::Str("S".into())),
                ("effect".into(), Hcl::Str("Allow".into())),
                (
                    "principals".into(),
                    Hcl::List(vec![Hcl::Object(vec![(
                        "type".into(),
                        Hcl::Str("AWS".into()),
                    )])]),
                ),
                ("resources".into(), Hcl::List(vec![Hcl::Str("*".into())])),
            ],
            &n,
            "",
        );
        assert_eq!(
            text,
            "sid    = \"S\"\neffect = \"Allow\"\nprincipals = [\n  {\n    type = \"AWS\"\n  }\n]\nresources = [\"*\"]\n"
        );
    }

    #[test]
    fn blocks_separate_nested_blocks() {
        let b = Block {
            ident: "statement".into(),
            labels: vec![],
            attrs: vec![("sid".into(), Hcl::Str("S".into()))],
            blocks: vec![Block {
                ident: "principals".into(),
                labels: vec![],
                attrs: vec![("type".into(), Hcl::Str("AWS".into()))],
                blocks: vec![],
            }],
        };
        assert_eq!(
            block(&b, &Names::default()),
            "statement {\n  sid = \"S\"\n\n  principals {\n    type = \"AWS\"\n  }\n}"
        );
    }
}
