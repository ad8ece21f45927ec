//! Numeric functions. Exact where terraform is exact (`abs`, `ceil`, `floor`, `max`, `min`,
//! `parseint`, `sum`); in float64 where terraform computes in float64 (`pow`, `log`).

use super::{FResult, int_arg, number_arg, string_arg};
use crate::desired::terraform::value::{Number, Value};
use num_bigint::BigInt;

pub fn call(name: &str, a: &mut [Value]) -> FResult {
    match name {
        "abs" => Ok(Value::Number(number_arg(a, 0)?.abs())),
        "ceil" => Ok(Value::Number(number_arg(a, 0)?.ceil())),
        "floor" => Ok(Value::Number(number_arg(a, 0)?.floor())),
        "signum" => {
            let n = number_arg(a, 0)?;
            if !n.is_int() {
                return Err(format!("{} is not a whole number", n.to_text()));
            }
            Ok(Value::int(if n.is_zero() {
                0
            } else if n.is_neg() {
                -1
            } else {
                1
            }))
        }
        "max" | "min" => {
            let mut best: Option<Number> = None;
            for i in 0..a.len() {
                let n = number_arg(a, i)?;
                best = Some(match best {
                    None => n,
                    Some(b) => {
                        let ord = n.cmp_value(&b);
                        let better = if name == "max" {
                            ord.is_gt()
                        } else {
                            ord.is_lt()
                        };
                        if better { n } else { b }
                    }
                });
            }
            best.map(Value::Number)
                .ok_or_else(|| "must have at least one argument".into())
        }
        "pow" => {
            let (x, y) = (number_arg(a, 0)?.to_f64(), number_arg(a, 1)?.to_f64());
            finite_or_inf(x.powf(y))
        }
        "log" => {
            let (x, b) = (number_arg(a, 0)?.to_f64(), number_arg(a, 1)?.to_f64());
            finite_or_inf(x.ln() / b.ln())
        }
        "parseint" => {
            let s = string_arg(a, 0)?;
            let base = int_arg(a, 1)?;
            if !(2..=62).contains(&base) {
                return Err(format!(
                    "base must be a whole number between 2 and 62 inclusive, not {base}"
                ));
            }
            let (neg, digits) = match s.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, s.strip_prefix('+').unwrap_or(&s)),
            };
            let mut n = BigInt::from(0);
            if digits.is_empty() {
                return Err(format!("cannot parse {s:?} as a base {base} integer"));
            }
            for c in digits.chars() {
                let d = match c {
                    '0'..='9' => c as i64 - '0' as i64,
                    'a'..='z' if base <= 36 => c as i64 - 'a' as i64 + 10,
                    'A'..='Z' if base <= 36 => c as i64 - 'A' as i64 + 10,
                    'a'..='z' => c as i64 - 'a' as i64 + 10,
                    'A'..='Z' => c as i64 - 'A' as i64 + 36,
                    _ => base,
                };
                if d >= base {
                    return Err(format!("cannot parse {s:?} as a base {base} integer"));
                }
                n = n * base + d;
            }
            if neg {
                n = -n;
            }
            Number::parse(&n.to_string())
                .map(Value::Number)
                .ok_or_else(|| format!("cannot parse {s:?} as a base {base} integer"))
        }
        "sum" => {
            let items = a[0]
                .as_seq()
                .ok_or_else(|| format!("cannot sum a {}", a[0].type_name()))?;
            let mut it = items.iter();
            let first = it.next().ok_or("cannot sum an empty list")?;
            let mut total = first.as_number()?;
            for v in it {
                total = total.add(&v.as_number()?);
            }
            Ok(Value::Number(total))
        }
        other => Err(format!("`{other}` is not a numeric function")),
    }
}

/// A float64 result: NaN is an error, as in terraform; infinities stay.
fn finite_or_inf(x: f64) -> FResult {
    if x.is_nan() {
        Err("the result is not a number".into())
    } else {
        Ok(Value::Number(Number::from_f64(x)))
    }
}
