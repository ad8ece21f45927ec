//! String functions. Terraform counts and cuts strings by grapheme cluster, maps case one
//! character at a time (Go's simple case mapping: `upper("straße")` keeps the `ß`), and
//! NFC-normalizes every string it makes.

use super::{FResult, int_arg, string_arg};
use crate::desired::terraform::value::{Type, Value};
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// A string value as terraform makes it: NFC-normalized.
pub fn nfc(s: &str) -> Value {
    Value::String(s.nfc().collect())
}

pub fn call(name: &str, a: &mut [Value]) -> FResult {
    let s0 = string_arg(a, 0);
    match name {
        "lower" => Ok(nfc(&map_chars(&s0?, |c| simple(c.to_lowercase(), c)))),
        "upper" => Ok(nfc(&map_chars(&s0?, |c| simple(c.to_uppercase(), c)))),
        "title" => Ok(nfc(&title(&s0?))),
        "trimspace" => Ok(nfc(s0?.trim_matches(char::is_whitespace))),
        "chomp" => Ok(nfc(s0?.trim_end_matches(['\n', '\r']))),
        "strrev" => Ok(nfc(&graphemes(&s0?).into_iter().rev().collect::<String>())),
        "split" => {
            let (sep, s) = (s0?, string_arg(a, 1)?);
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(sep.as_str()).map(nfc).collect()
            };
            Ok(Value::List(Type::String, parts))
        }
        "join" => {
            let sep = s0?;
            let mut parts = Vec::new();
            for (i, l) in a[1..].iter().enumerate() {
                let Some(items) = l.as_seq() else {
                    return Err(format!(
                        "argument {}: a list of strings is required, not a {}",
                        i + 2,
                        l.type_name()
                    ));
                };
                for v in items {
                    if v.is_null() {
                        return Err(format!("argument {}: an element is null", i + 2));
                    }
                    parts.push(v.to_text()?);
                }
            }
            Ok(nfc(&parts.join(&sep)))
        }
        "trimprefix" => {
            let (s, p) = (s0?, string_arg(a, 1)?);
            Ok(nfc(s.strip_prefix(p.as_str()).unwrap_or(&s)))
        }
        "trimsuffix" => {
            let (s, p) = (s0?, string_arg(a, 1)?);
            Ok(nfc(s.strip_suffix(p.as_str()).unwrap_or(&s)))
        }
        "trim" => {
            let (s, cut) = (s0?, string_arg(a, 1)?);
            Ok(nfc(s.trim_matches(|c| cut.contains(c))))
        }
        "startswith" => Ok(Value::Bool(s0?.starts_with(&string_arg(a, 1)?))),
        "endswith" => Ok(Value::Bool(s0?.ends_with(&string_arg(a, 1)?))),
        "strcontains" => Ok(Value::Bool(s0?.contains(&string_arg(a, 1)?))),
        "replace" => {
            let (s, from, to) = (s0?, string_arg(a, 1)?, string_arg(a, 2)?);
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                let re = compile(&from[1..from.len() - 1])?;
                return Ok(nfc(&re.replace_all(&s, to.as_str())));
            }
            if from.is_empty() {
                // Go's strings.Replace inserts at every character boundary.
                let mut out = to.clone();
                for c in s.chars() {
                    out.push(c);
                    out.push_str(&to);
                }
                return Ok(nfc(&out));
            }
            Ok(nfc(&s.replace(&from, &to)))
        }
        "substr" => {
            let s = s0?;
            let (offset, length) = (int_arg(a, 1)?, int_arg(a, 2)?);
            Ok(nfc(&substr(&s, offset, length)))
        }
        "indent" => {
            let n = int_arg(a, 0)?;
            let s = string_arg(a, 1)?;
            let pad = " ".repeat(n.clamp(0, 10_000) as usize);
            Ok(nfc(&s.replace('\n', &format!("\n{pad}"))))
        }
        "regex" | "regexall" => {
            let (pattern, s) = (s0?, string_arg(a, 1)?);
            let re = compile(&pattern)?;
            if name == "regex" {
                let caps = re
                    .captures(&s)
                    .ok_or("pattern did not match any part of the given string")?;
                return Ok(match_value(&re, &caps));
            }
            let all: Vec<Value> = re.captures_iter(&s).map(|c| match_value(&re, &c)).collect();
            Ok(Value::List(match_type(&re), all))
        }
        other => Err(format!("`{other}` is not a string function")),
    }
}

/// A regular expression in RE2 syntax, which terraform uses (Rust's `regex` shares it).
fn compile(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("invalid regular expression pattern: {e}"))
}

/// The type of what `regex` returns for this pattern (known even when nothing matches).
fn match_type(re: &regex::Regex) -> Type {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.is_empty() {
        Type::String
    } else if names.iter().any(Option::is_some) {
        Type::Object(
            names
                .iter()
                .flatten()
                .map(|n| (n.to_string(), Type::String))
                .collect(),
        )
    } else {
        Type::Tuple(vec![Type::String; names.len()])
    }
}

/// What `regex` returns for one match: the matched text without capture groups, an object
/// of the named groups, or a tuple of the unnamed ones.
fn match_value(re: &regex::Regex, caps: &regex::Captures<'_>) -> Value {
    let text = |m: Option<regex::Match<'_>>| match m {
        Some(m) => Value::String(m.as_str().to_string()),
        None => Value::Null(Type::String),
    };
    if re.captures_len() == 1 {
        return text(caps.get(0));
    }
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.iter().any(Option::is_some) {
        Value::Object(
            names
                .iter()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (n.to_string(), text(caps.get(i + 1)))))
                .collect(),
        )
    } else {
        Value::Tuple((1..re.captures_len()).map(|i| text(caps.get(i))).collect())
    }
}

fn map_chars(s: &str, f: impl Fn(char) -> char) -> String {
    s.chars().map(f).collect()
}

/// A one-character case mapping, as Go's `unicode.ToUpper`/`ToLower` do; where Unicode maps
/// a character to several, the character stays.
fn simple(mut mapped: impl Iterator<Item = char>, c: char) -> char {
    if c == '\u{130}' {
        return 'i';
    }
    match (mapped.next(), mapped.next()) {
        (Some(m), None) => m,
        _ => c,
    }
}

/// Go's `strings.Title`: a letter after a separator (anything but a letter, digit or `_`)
/// goes to title case.
fn title(s: &str) -> String {
    let separator = |r: char| -> bool {
        if r.is_ascii() {
            return !(r.is_ascii_alphanumeric() || r == '_');
        }
        if r.is_alphabetic() || r.is_numeric() {
            return false;
        }
        r.is_whitespace()
    };
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.push(if separator(prev) {
            simple(c.to_uppercase(), c)
        } else {
            c
        });
        prev = c;
    }
    out
}

/// `substr` by grapheme cluster: a negative offset counts from the end, a negative length
/// takes the rest.
fn substr(s: &str, mut offset: i64, length: i64) -> String {
    let g: Vec<&str> = graphemes(s);
    if offset < 0 {
        offset += g.len() as i64;
        if offset < 0 {
            offset = 0;
        }
    }
    let start = (offset as usize).min(g.len());
    let end = if length < 0 {
        g.len()
    } else {
        start.saturating_add(length as usize).min(g.len())
    };
    g[start..end].concat()
}

/// `length` of a string: grapheme clusters.
pub fn grapheme_len(s: &str) -> usize {
    graphemes(s).len()
}

/// Grapheme clusters as terraform's segmenter makes them: Unicode's extended clusters without
/// the Indic conjunct rule (GB9c, Unicode 15.1), so a consonant after a virama starts a new
/// cluster (`length("नमस्ते")` is 4).
pub fn graphemes(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for g in s.graphemes(true) {
        let mut start = 0;
        let mut prev_linker = false;
        for (i, c) in g.char_indices() {
            if prev_linker && i > start && is_indic_consonant(c) {
                out.push(&g[start..i]);
                start = i;
            }
            if is_linker(c) {
                prev_linker = true;
            } else if !is_extend_mark(c) {
                prev_linker = false;
            }
        }
        out.push(&g[start..]);
    }
    out
}

/// The viramas Unicode calls conjunct linkers (Devanagari, Bengali, Gujarati, Oriya, Telugu,
/// Malayalam).
fn is_linker(c: char) -> bool {
    matches!(
        c,
        '\u{94D}' | '\u{9CD}' | '\u{ACD}' | '\u{B4D}' | '\u{C4D}' | '\u{D4D}'
    )
}

fn is_extend_mark(c: char) -> bool {
    matches!(
        c,
        '\u{200D}' | '\u{93C}' | '\u{9BC}' | '\u{ABC}' | '\u{B3C}' | '\u{C3C}'
    )
}

/// A consonant letter of those scripts.
fn is_indic_consonant(c: char) -> bool {
    let u = c as u32;
    [0x900u32, 0x980, 0xA80, 0xB00, 0xC00, 0xD00]
        .iter()
        .any(|&base| {
            (base + 0x15..=base + 0x39).contains(&u) || (base + 0x58..=base + 0x5F).contains(&u)
        })
}
