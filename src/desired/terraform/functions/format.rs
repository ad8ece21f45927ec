//! `format` and `formatlist`: terraform's verbs (`%v %#v %t %b %d %o %x %X %e %E %f %g %G %s
//! %q %%`), flags (`+ - # 0` and space), width, precision and explicit argument indexes
//! (`%[2]d`), with Go's layout for each. Widths are bounded so no format string can exhaust
//! memory.

use super::FResult;
use crate::desired::terraform::value::constraint::Constraint;
use crate::desired::terraform::value::convert::convert;
use crate::desired::terraform::value::{Type, Value, json};

/// The largest width or precision accepted.
const MAX_WIDTH: usize = 100_000;

pub fn format(a: &mut [Value]) -> FResult {
    let fmt = super::string_arg(a, 0)?;
    // terraform's `format` is null when an argument is.
    if a[1..].iter().any(Value::is_null) {
        return Ok(Value::null());
    }
    format_one(&fmt, &a[1..]).map(|s| super::strings::nfc(&s))
}

/// `formatlist`: lists and tuples are iterated together (all of one length); other arguments
/// repeat.
pub fn formatlist(a: &mut [Value]) -> FResult {
    let fmt = super::string_arg(a, 0)?;
    let mut len: Option<usize> = None;
    for (i, v) in a[1..].iter().enumerate() {
        if let Some(items) = v.as_seq() {
            match len {
                Some(n) if n != items.len() => {
                    return Err(format!(
                        "argument {} has length {}, which is inconsistent with argument {} of length {n}",
                        i + 2,
                        items.len(),
                        a[1..]
                            .iter()
                            .position(|x| x.as_seq().is_some())
                            .unwrap_or(0)
                            + 2
                    ));
                }
                _ => len = Some(items.len()),
            }
        }
    }
    let len = len.unwrap_or(1);
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let row: Vec<Value> = a[1..]
            .iter()
            .map(|v| match v.as_seq() {
                Some(items) => items[i].clone(),
                None => v.clone(),
            })
            .collect();
        out.push(super::strings::nfc(&format_one(&fmt, &row)?));
    }
    Ok(Value::List(Type::String, out))
}

#[derive(Default)]
struct Spec {
    plus: bool,
    minus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn format_one(fmt: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    let mut next = 0;
    let mut explicit = false;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while i < chars.len() {
            match chars[i] {
                '+' => spec.plus = true,
                '-' => spec.minus = true,
                '#' => spec.sharp = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'[') {
            let close = chars[i..]
                .iter()
                .position(|&c| c == ']')
                .ok_or("unterminated argument index")?;
            let idx: String = chars[i + 1..i + close].iter().collect();
            let n: usize = idx
                .parse()
                .map_err(|_| format!("invalid argument index {idx:?}"))?;
            if n == 0 || n > args.len() {
                return Err(format!("invalid argument index {n}"));
            }
            next = n - 1;
            explicit = true;
            i += close + 1;
        }
        spec.width = digits(&chars, &mut i)?;
        if chars.get(i) == Some(&'.') {
            i += 1;
            spec.prec = Some(digits(&chars, &mut i)?.unwrap_or(0));
        }
        let verb = *chars
            .get(i)
            .ok_or("format string ends with an incomplete verb")?;
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = args
            .get(next)
            .ok_or_else(|| format!("not enough arguments for the format verb %{verb}"))?;
        next += 1;
        out.push_str(&verb_text(verb, &spec, arg)?);
    }
    if !explicit && next < args.len() {
        return Err(format!(
            "too many arguments; no verbs left to consume argument {}",
            next + 1
        ));
    }
    Ok(out)
}

fn digits(chars: &[char], i: &mut usize) -> Result<Option<usize>, String> {
    let start = *i;
    while *i < chars.len() && chars[*i].is_ascii_digit() {
        *i += 1;
    }
    if start == *i {
        return Ok(None);
    }
    let s: String = chars[start..*i].iter().collect();
    match s.parse::<usize>() {
        Ok(n) if n <= MAX_WIDTH => Ok(Some(n)),
        _ => Err(format!("width or precision {s} is too large")),
    }
}

fn verb_text(verb: char, spec: &Spec, arg: &Value) -> Result<String, String> {
    let to = |c: Constraint| convert(arg.clone(), &c);
    match verb {
        'v' => {
            let s = if spec.sharp {
                json::encode(arg)?
            } else {
                match arg {
                    Value::Null(_) => "null".into(),
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_go_text('g', None),
                    Value::Bool(b) => b.to_string(),
                    other => json::encode(other)?,
                }
            };
            Ok(pad(s, spec))
        }
        't' => {
            // Go's `%t` ignores the width.
            to(Constraint::Bool)?.to_text()
        }
        's' => {
            not_null(arg, verb)?;
            let mut text = to(Constraint::String)?.to_text()?;
            if let Some(p) = spec.prec {
                text = text.chars().take(p).collect();
            }
            Ok(pad(text, spec))
        }
        'q' => {
            not_null(arg, verb)?;
            let text = convert(arg.clone(), &Constraint::String)?.to_text()?;
            let mut quoted = String::new();
            json::write_string(&text, &mut quoted);
            Ok(pad(quoted, spec))
        }
        'b' | 'd' | 'o' | 'x' | 'X' => {
            not_null(arg, verb)?;
            let n = to(Constraint::Number)?;
            let Value::Number(n) = n else {
                return Err("a number is required".into());
            };
            let Some(i) = n.to_bigint() else {
                return Err(format!(
                    "unsupported value for \"%{verb}\": an integer is required, not {}",
                    n.to_text()
                ));
            };
            let (radix, prefix) = match verb {
                'b' => (2, "0b"),
                'o' => (8, "0"),
                'x' => (16, "0x"),
                'X' => (16, "0X"),
                _ => (10, ""),
            };
            let mut digits = i.magnitude().to_str_radix(radix);
            if verb == 'X' {
                digits = digits.to_uppercase();
            }
            if let Some(p) = spec.prec {
                if p == 0 && digits == "0" {
                    digits.clear();
                }
                while digits.len() < p {
                    digits.insert(0, '0');
                }
            }
            let mut head = String::new();
            if i.sign() == num_bigint::Sign::Minus {
                head.push('-');
            } else if spec.plus {
                head.push('+');
            } else if spec.space {
                head.push(' ');
            }
            if spec.sharp {
                head.push_str(prefix);
            }
            Ok(pad_number(head, digits, spec, spec.prec.is_none()))
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            not_null(arg, verb)?;
            let Value::Number(n) = to(Constraint::Number)? else {
                return Err("a number is required".into());
            };
            let verb = if verb == 'F' { 'f' } else { verb };
            let prec = match verb {
                'g' | 'G' => spec.prec,
                _ => Some(spec.prec.unwrap_or(6)),
            };
            let text = n.to_go_text(verb, prec);
            let (sign, body) = match text.strip_prefix('-') {
                Some(b) => ("-".to_string(), b.to_string()),
                None => match text.strip_prefix('+') {
                    Some(b) => (
                        (if spec.space { " " } else { "+" }).to_string(),
                        b.to_string(),
                    ),
                    None if spec.plus => ("+".to_string(), text),
                    None if spec.space => (" ".to_string(), text),
                    None => (String::new(), text),
                },
            };
            Ok(pad_number(sign, body, spec, !n.is_inf()))
        }
        other => Err(format!("unsupported format verb %{other}")),
    }
}

fn not_null(arg: &Value, verb: char) -> Result<(), String> {
    if arg.is_null() {
        Err(format!(
            "unsupported value for \"%{verb}\": null value cannot be formatted"
        ))
    } else {
        Ok(())
    }
}

/// Pads to the width in characters: left by default, right with `-`.
fn pad(s: String, spec: &Spec) -> String {
    let Some(w) = spec.width else { return s };
    let n = s.chars().count();
    if n >= w {
        return s;
    }
    let fill = " ".repeat(w - n);
    if spec.minus {
        s + &fill
    } else if spec.zero {
        "0".repeat(w - n) + &s
    } else {
        fill + &s
    }
}

/// Pads a number: zeros go between the sign (and prefix) and the digits.
fn pad_number(head: String, body: String, spec: &Spec, zero_ok: bool) -> String {
    let len = head.chars().count() + body.chars().count();
    let w = spec.width.unwrap_or(0);
    if len >= w {
        return head + &body;
    }
    let n = w - len;
    if spec.minus {
        head + &body + &" ".repeat(n)
    } else if spec.zero && zero_ok {
        head + &"0".repeat(n) + &body
    } else {
        " ".repeat(n) + &head + &body
    }
}
