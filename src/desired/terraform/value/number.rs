//! Terraform's numbers: binary floating point of arbitrary precision, as cty keeps them in Go's
//! `big.Float` — literals and parsed strings at 512 bits, integers from functions at 64, floats
//! from `math` functions at 53; every operation rounds to nearest-even at the larger precision of
//! its operands; text is the shortest decimal that reads back to the same value at that
//! precision (`1/3` prints 157 digits, `0.1 + 0.2` prints `0.3`).
//!
//! Owns arithmetic, comparison and decimal text of numbers. Knows nothing of other values.

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};
use std::cmp::Ordering;

/// The precision of number literals and of numbers parsed from text.
pub const LITERAL_PREC: u32 = 512;
/// Decimal exponents beyond this are refused rather than computed (terraform has no use for
/// them and they cost memory).
const MAX_DECIMAL_EXP: i64 = 100_000;

#[derive(Clone, Debug)]
enum Kind {
    Zero,
    /// `mant × 2^exp`, `mant` odd.
    Finite {
        mant: BigUint,
        exp: i64,
    },
    Inf,
}

#[derive(Clone, Debug)]
pub struct Number {
    neg: bool,
    kind: Kind,
    prec: u32,
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.cmp_value(other) == Ordering::Equal
    }
}

impl Number {
    pub fn zero() -> Number {
        Number {
            neg: false,
            kind: Kind::Zero,
            prec: 64,
        }
    }

    pub fn infinity(neg: bool) -> Number {
        Number {
            neg,
            kind: Kind::Inf,
            prec: LITERAL_PREC,
        }
    }

    /// An integer, as cty's `NumberIntVal` makes it (64-bit precision).
    pub fn from_i64(v: i64) -> Number {
        let neg = v < 0;
        let mag = BigUint::from(v.unsigned_abs());
        Number::round(neg, mag, 0, 64, false)
    }

    pub fn from_u64(v: u64) -> Number {
        Number::round(false, BigUint::from(v), 0, 64, false)
    }

    /// A float, as cty's `NumberFloatVal` makes it (53-bit precision).
    pub fn from_f64(v: f64) -> Number {
        if v.is_infinite() {
            return Number {
                prec: 53,
                ..Number::infinity(v < 0.0)
            };
        }
        if v == 0.0 || v.is_nan() {
            return Number {
                neg: v.is_sign_negative() && v == 0.0,
                kind: Kind::Zero,
                prec: 53,
            };
        }
        let bits = v.to_bits();
        let neg = bits >> 63 == 1;
        let exp_bits = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mant, exp) = if exp_bits == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), exp_bits - 1075)
        };
        Number::round(neg, BigUint::from(mant), exp, 53, false)
    }

    /// Parses decimal text (`12`, `-0.5`, `1e20`, `.5`) at 512-bit precision, as terraform reads
    /// number literals and converts strings.
    pub fn parse(text: &str) -> Option<Number> {
        let t = text.trim_start_matches('+');
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (mantissa, exp10) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?),
            None => (t, 0),
        };
        let (int, frac) = match mantissa.split_once('.') {
            Some((a, b)) => (a, b),
            None => (mantissa, ""),
        };
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let digits = format!("{int}{frac}");
        let d = BigUint::parse_bytes(digits.as_bytes(), 10).unwrap_or_default();
        if d.is_zero() {
            return Some(Number {
                neg,
                kind: Kind::Zero,
                prec: LITERAL_PREC,
            });
        }
        let p = exp10.checked_sub(frac.len() as i64)?;
        if p.abs() > MAX_DECIMAL_EXP {
            return None;
        }
        Some(Number::from_decimal(neg, d, p, LITERAL_PREC))
    }

    /// `d × 10^p` rounded to `prec` bits.
    fn from_decimal(neg: bool, d: BigUint, p: i64, prec: u32) -> Number {
        if p >= 0 {
            let m = d * BigUint::from(10u32).pow(p as u32);
            return Number::round(neg, m, 0, prec, false);
        }
        let n = BigUint::from(10u32).pow((-p) as u32);
        Number::quotient(neg, &d, &n, 0, prec)
    }

    /// `m / n × 2^exp`, rounded to `prec` bits.
    fn quotient(neg: bool, m: &BigUint, n: &BigUint, exp: i64, prec: u32) -> Number {
        let k = (prec as i64 + 3 + n.bits() as i64 - m.bits() as i64).max(0);
        let (q, r) = (m << (k as usize)).div_rem(n);
        Number::round(neg, q, exp - k, prec, !r.is_zero())
    }

    /// Rounds `m × 2^exp` (plus a sticky fraction below it) to `prec` bits, nearest-even.
    fn round(neg: bool, mut m: BigUint, mut exp: i64, prec: u32, sticky: bool) -> Number {
        if m.is_zero() {
            return Number {
                neg,
                kind: Kind::Zero,
                prec,
            };
        }
        let bits = m.bits();
        if bits > prec as u64 {
            let shift = bits - prec as u64;
            let half = m.bit(shift - 1);
            let rest = sticky || (m.trailing_zeros().unwrap_or(0) < shift - 1);
            m >>= shift as usize;
            exp += shift as i64;
            if half && (rest || m.bit(0)) {
                m += 1u32;
            }
        }
        let tz = m.trailing_zeros().unwrap_or(0);
        m >>= tz as usize;
        exp += tz as i64;
        Number {
            neg,
            kind: Kind::Finite { mant: m, exp },
            prec,
        }
    }

    pub fn prec(&self) -> u32 {
        self.prec
    }

    pub fn is_zero(&self) -> bool {
        matches!(self.kind, Kind::Zero)
    }

    pub fn is_inf(&self) -> bool {
        matches!(self.kind, Kind::Inf)
    }

    pub fn is_neg(&self) -> bool {
        self.neg && !self.is_zero()
    }

    pub fn is_int(&self) -> bool {
        match &self.kind {
            Kind::Zero => true,
            Kind::Finite { exp, .. } => *exp >= 0,
            Kind::Inf => false,
        }
    }

    pub fn neg(&self) -> Number {
        Number {
            neg: !self.neg,
            ..self.clone()
        }
    }

    pub fn abs(&self) -> Number {
        Number {
            neg: false,
            ..self.clone()
        }
    }

    fn prec_with(&self, other: &Number) -> u32 {
        self.prec.max(other.prec)
    }

    pub fn add(&self, other: &Number) -> Number {
        let prec = self.prec_with(other);
        match (&self.kind, &other.kind) {
            (Kind::Inf, _) => Number {
                prec,
                ..self.clone()
            },
            (_, Kind::Inf) => Number {
                prec,
                ..other.clone()
            },
            (Kind::Zero, Kind::Zero) => Number {
                neg: self.neg && other.neg,
                kind: Kind::Zero,
                prec,
            },
            (Kind::Zero, _) => Number {
                prec,
                ..other.clone()
            },
            (_, Kind::Zero) => Number {
                prec,
                ..self.clone()
            },
            (Kind::Finite { mant: a, exp: ea }, Kind::Finite { mant: b, exp: eb }) => {
                let e = (*ea).min(*eb);
                let a = a << ((ea - e) as usize);
                let b = b << ((eb - e) as usize);
                if self.neg == other.neg {
                    Number::round(self.neg, a + b, e, prec, false)
                } else {
                    match a.cmp(&b) {
                        Ordering::Equal => Number {
                            neg: false,
                            kind: Kind::Zero,
                            prec,
                        },
                        Ordering::Greater => Number::round(self.neg, a - b, e, prec, false),
                        Ordering::Less => Number::round(other.neg, b - a, e, prec, false),
                    }
                }
            }
        }
    }

    pub fn sub(&self, other: &Number) -> Number {
        self.add(&other.neg())
    }

    /// `None` for infinity times zero (Go's big.Float panics there; terraform reports it).
    pub fn mul(&self, other: &Number) -> Option<Number> {
        let prec = self.prec_with(other);
        let neg = self.neg != other.neg;
        Some(match (&self.kind, &other.kind) {
            (Kind::Inf, Kind::Zero) | (Kind::Zero, Kind::Inf) => return None,
            (Kind::Inf, _) | (_, Kind::Inf) => Number {
                neg,
                kind: Kind::Inf,
                prec,
            },
            (Kind::Zero, _) | (_, Kind::Zero) => Number {
                neg,
                kind: Kind::Zero,
                prec,
            },
            (Kind::Finite { mant: a, exp: ea }, Kind::Finite { mant: b, exp: eb }) => {
                Number::round(neg, a * b, ea + eb, prec, false)
            }
        })
    }

    /// `None` for 0/0 and ∞/∞; `x/0` is infinity, as in Go's big.Float.
    pub fn div(&self, other: &Number) -> Option<Number> {
        let prec = self.prec_with(other);
        let neg = self.neg != other.neg;
        Some(match (&self.kind, &other.kind) {
            (Kind::Zero, Kind::Zero) | (Kind::Inf, Kind::Inf) => return None,
            (Kind::Inf, _) | (_, Kind::Zero) => Number {
                neg,
                kind: Kind::Inf,
                prec,
            },
            (Kind::Zero, _) | (_, Kind::Inf) => Number {
                neg,
                kind: Kind::Zero,
                prec,
            },
            (Kind::Finite { mant: a, exp: ea }, Kind::Finite { mant: b, exp: eb }) => {
                Number::quotient(neg, a, b, ea - eb, prec)
            }
        })
    }

    /// The integer part, rounded toward zero (`big.Float.Int`).
    pub fn trunc(&self) -> Number {
        match &self.kind {
            Kind::Finite { mant, exp } if *exp < 0 => {
                let m = mant >> ((-exp) as usize);
                Number::round(self.neg, m, 0, self.prec, false)
            }
            _ => self.clone(),
        }
    }

    pub fn floor(&self) -> Number {
        let t = self.trunc();
        if self.neg && t != *self {
            t.sub(&Number::from_i64(1))
        } else {
            t
        }
    }

    pub fn ceil(&self) -> Number {
        let t = self.trunc();
        if !self.neg && t != *self {
            t.add(&Number::from_i64(1))
        } else {
            t
        }
    }

    /// cty's `%`: `a - b × trunc(a / b)`; `x % 0` is `x`, infinities multiply.
    pub fn rem(&self, other: &Number) -> Option<Number> {
        if self.is_inf() || other.is_inf() {
            return self.mul(other);
        }
        if other.is_zero() {
            return Some(self.clone());
        }
        let q = self.div(other)?.trunc();
        Some(self.sub(&other.mul(&q)?))
    }

    pub fn cmp_value(&self, other: &Number) -> Ordering {
        let sign = |n: &Number| -> i8 {
            match n.kind {
                Kind::Zero => 0,
                _ if n.neg => -1,
                _ => 1,
            }
        };
        let (sa, sb) = (sign(self), sign(other));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let mag = match (&self.kind, &other.kind) {
            (Kind::Inf, Kind::Inf) => Ordering::Equal,
            (Kind::Inf, _) => Ordering::Greater,
            (_, Kind::Inf) => Ordering::Less,
            (Kind::Finite { mant: a, exp: ea }, Kind::Finite { mant: b, exp: eb }) => {
                let (ta, tb) = (a.bits() as i64 + ea, b.bits() as i64 + eb);
                if ta != tb {
                    ta.cmp(&tb)
                } else {
                    let e = (*ea).min(*eb);
                    (a << ((ea - e) as usize)).cmp(&(b << ((eb - e) as usize)))
                }
            }
            _ => Ordering::Equal,
        };
        if sa < 0 { mag.reverse() } else { mag }
    }

    /// The value as an `i64` when it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        match &self.kind {
            Kind::Zero => Some(0),
            Kind::Finite { mant, exp } if *exp >= 0 && *exp < 64 => {
                let m = (mant << (*exp as usize)).to_i64()?;
                Some(if self.neg { -m } else { m })
            }
            _ => None,
        }
    }

    /// The nearest `f64` (for the functions terraform computes in float64).
    pub fn to_f64(&self) -> f64 {
        let v = match &self.kind {
            Kind::Zero => 0.0,
            Kind::Inf => f64::INFINITY,
            Kind::Finite { .. } => {
                let r = Number::round(false, self.mag_mant(), self.mag_exp(), 53, false);
                match r.kind {
                    Kind::Finite { mant, exp } => {
                        let m = mant.to_f64().unwrap_or(f64::INFINITY);
                        scale2(m, exp)
                    }
                    _ => 0.0,
                }
            }
        };
        if self.neg { -v } else { v }
    }

    fn mag_mant(&self) -> BigUint {
        match &self.kind {
            Kind::Finite { mant, .. } => mant.clone(),
            _ => BigUint::zero(),
        }
    }

    fn mag_exp(&self) -> i64 {
        match &self.kind {
            Kind::Finite { exp, .. } => *exp,
            _ => 0,
        }
    }

    /// The exact decimal digits of the magnitude: `0.DIGITS × 10^exp`, no trailing zeros.
    fn exact_decimal(mant: &BigUint, exp: i64) -> Decimal {
        if exp >= 0 {
            Decimal::from_int(&(mant << (exp as usize)), 0)
        } else {
            let k = (-exp) as u32;
            let scaled = mant * BigUint::from(5u32).pow(k);
            Decimal::from_int(&scaled, -(k as i64))
        }
    }

    /// The shortest decimal that reads back to this value at its precision (Go's
    /// `Text('f', -1)`), as terraform prints numbers everywhere: `1e20` is
    /// `100000000000000000000`, infinities `+Inf`/`-Inf`.
    pub fn to_text(&self) -> String {
        let sign = if self.neg { "-" } else { "" };
        match &self.kind {
            // cty keeps no negative zero: `-0` is `0`.
            Kind::Zero => "0".to_string(),
            Kind::Inf => format!("{}Inf", if self.neg { "-" } else { "+" }),
            Kind::Finite { .. } => {
                let d = self.shortest_decimal();
                let frac = (d.digits.len() as i64 - d.exp).max(0) as usize;
                format!("{sign}{}", d.fixed(frac))
            }
        }
    }

    /// Go's `big.Float.Text(verb, prec)` for `e`, `E`, `f`, `g`, `G`; `prec: None` is the
    /// shortest form. This is what `format` prints for the floating-point verbs.
    pub fn to_go_text(&self, verb: char, prec: Option<usize>) -> String {
        let sign = if self.neg { "-" } else { "" };
        let Kind::Finite { mant, exp } = &self.kind else {
            if self.is_inf() {
                return format!("{}Inf", if self.neg { "-" } else { "+" });
            }
            return format!("{sign}{}", go_format(Decimal::default(), verb, prec, true));
        };
        let mut d = match prec {
            None => self.shortest_decimal(),
            Some(p) => {
                let mut d = Number::exact_decimal(mant, *exp);
                match verb {
                    'e' | 'E' => d.round(1 + p),
                    'f' => {
                        let n = d.exp + p as i64;
                        if n < 0 {
                            d = Decimal::default();
                        } else {
                            d.round(n as usize);
                        }
                    }
                    _ => d.round(p.max(1)),
                }
                d
            }
        };
        if d.digits.is_empty() {
            d.exp = 0;
        }
        format!("{sign}{}", go_format(d, verb, prec, false))
    }

    /// The integer value, when this is a finite whole number.
    pub fn to_bigint(&self) -> Option<num_bigint::BigInt> {
        let mag = match &self.kind {
            Kind::Zero => BigUint::zero(),
            Kind::Finite { mant, exp } if *exp >= 0 => mant << (*exp as usize),
            _ => return None,
        };
        let sign = if self.neg {
            num_bigint::Sign::Minus
        } else {
            num_bigint::Sign::Plus
        };
        Some(num_bigint::BigInt::from_biguint(sign, mag))
    }

    fn shortest_decimal(&self) -> Decimal {
        let Kind::Finite { mant, exp } = &self.kind else {
            return Decimal::default();
        };
        let mut d = Number::exact_decimal(mant, *exp);
        // Normalize the mantissa to prec+1 bits, so that its lowest bit is half an ulp.
        let b = mant.bits() as i64;
        let s = self.prec as i64 + 1 - b;
        let m = mant << (s.max(0) as usize);
        let e = exp - s;
        let lower = Number::exact_decimal_signed(&(&m - 1u32), e);
        let upper = Number::exact_decimal(&(&m + 1u32), e);
        let inclusive = !m.bit(1);
        let n = d.digits.len();
        for i in 0..n {
            let digit = d.digits[i];
            // As Go compares them: digit by digit, each decimal from its own first digit.
            let l = lower.at(i as i64);
            let u = upper.at(i as i64);
            let okdown = l != digit || inclusive && i + 1 == lower.digits.len();
            let okup = digit != u && (inclusive || digit + 1 < u || i + 1 < upper.digits.len());
            if okdown && okup {
                d.round(i + 1);
                break;
            } else if okdown {
                d.round_down(i + 1);
                break;
            } else if okup {
                d.round_up(i + 1);
                break;
            }
        }
        d
    }

    fn exact_decimal_signed(m: &BigUint, e: i64) -> Decimal {
        if m.is_zero() {
            Decimal::default()
        } else {
            Number::exact_decimal(m, e)
        }
    }
}

/// Go's `Float.Append` after rounding: `%e`, `%f` and `%g` layouts of a decimal.
fn go_format(d: Decimal, verb: char, prec: Option<usize>, zero: bool) -> String {
    let shortest = prec.is_none();
    let mut p = match (prec, verb) {
        (Some(p), _) => p as i64,
        (None, 'e' | 'E') => d.digits.len() as i64 - 1,
        (None, 'f') => (d.digits.len() as i64 - d.exp).max(0),
        (None, _) => d.digits.len() as i64,
    };
    if zero && shortest {
        p = if matches!(verb, 'g' | 'G') { 1 } else { 0 };
    }
    match verb {
        'e' | 'E' => fmt_e(&d, verb, p.max(0) as usize),
        'f' => d.fixed(p.max(0) as usize),
        _ => {
            let mut eprec = p;
            if eprec > d.digits.len() as i64 && d.digits.len() as i64 >= d.exp {
                eprec = d.digits.len() as i64;
            }
            if shortest {
                eprec = 6;
            }
            let exp = d.exp - 1;
            if d.digits.is_empty() {
                return if zero && shortest {
                    "0".into()
                } else {
                    fmt_g_zero(p)
                };
            }
            let e_verb = if verb == 'G' { 'E' } else { 'e' };
            if exp < -4 || exp >= eprec {
                if p > d.digits.len() as i64 {
                    p = d.digits.len() as i64;
                }
                return fmt_e(&d, e_verb, (p - 1).max(0) as usize);
            }
            if p > d.exp {
                p = d.digits.len() as i64;
            }
            d.fixed((p - d.exp).max(0) as usize)
        }
    }
}

fn fmt_g_zero(_p: i64) -> String {
    "0".into()
}

/// Go's `fmtE`: one digit, the point, `frac` digits, then the exponent of at least two digits.
fn fmt_e(d: &Decimal, verb: char, frac: usize) -> String {
    let mut out = String::new();
    out.push(if d.digits.is_empty() {
        '0'
    } else {
        d.digits[0] as char
    });
    if frac > 0 {
        out.push('.');
        for i in 1..=frac {
            out.push(d.at(i as i64) as char);
        }
    }
    out.push(verb);
    let e = if d.digits.is_empty() { 0 } else { d.exp - 1 };
    out.push(if e < 0 { '-' } else { '+' });
    out.push_str(&format!("{:02}", e.abs()));
    out
}

/// `m × 2^e` in f64, exact while in range.
fn scale2(mut m: f64, mut e: i64) -> f64 {
    while e > 0 {
        let step = e.min(1000);
        m *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        m /= 2f64.powi(step as i32);
        e += step;
    }
    m
}

/// A decimal `0.DIGITS × 10^exp` (Go's `decimal`): digits without trailing zeros.
#[derive(Clone, Debug, Default)]
struct Decimal {
    digits: Vec<u8>,
    exp: i64,
}

impl Decimal {
    /// `n × 10^shift`.
    fn from_int(n: &BigUint, shift: i64) -> Decimal {
        let s = n.to_str_radix(10);
        let mut digits = s.into_bytes();
        let exp = digits.len() as i64 + shift;
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        Decimal { digits, exp }
    }

    fn at(&self, i: i64) -> u8 {
        if i >= 0 && (i as usize) < self.digits.len() {
            self.digits[i as usize]
        } else {
            b'0'
        }
    }

    fn round(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        let up = if self.digits[n] == b'5' && n + 1 == self.digits.len() {
            n > 0 && (self.digits[n - 1] - b'0') % 2 == 1
        } else {
            self.digits[n] >= b'5'
        };
        if up {
            self.round_up(n)
        } else {
            self.round_down(n)
        }
    }

    fn round_up(&mut self, mut n: usize) {
        if n >= self.digits.len() {
            return;
        }
        while n > 0 && self.digits[n - 1] >= b'9' {
            n -= 1;
        }
        if n == 0 {
            self.digits.truncate(1);
            self.digits[0] = b'1';
            self.exp += 1;
            return;
        }
        self.digits[n - 1] += 1;
        self.digits.truncate(n);
    }

    fn round_down(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        self.digits.truncate(n);
        while self.digits.last() == Some(&b'0') {
            self.digits.pop();
        }
        if self.digits.is_empty() {
            self.exp = 0;
        }
    }

    /// Go's `fmtF`: the integer part, then `frac` digits after the point.
    fn fixed(&self, frac: usize) -> String {
        let mut out = String::new();
        if self.exp > 0 {
            let m = (self.exp as usize).min(self.digits.len());
            out.push_str(std::str::from_utf8(&self.digits[..m]).unwrap_or("0"));
            for _ in m..self.exp as usize {
                out.push('0');
            }
        } else {
            out.push('0');
        }
        if frac > 0 {
            out.push('.');
            for i in 0..frac {
                out.push(self.at(self.exp + i as i64) as char);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn prints_as_terraform_does() {
        assert_eq!(n("0.1").add(&n("0.2")).to_text(), "0.3");
        assert_eq!(n("9007199254740993").to_text(), "9007199254740993");
        assert_eq!(n("1e20").to_text(), "100000000000000000000");
        let third = n("1").div(&n("3")).unwrap().to_text();
        assert_eq!(third.len(), 2 + 155);
        assert!(
            third.starts_with("0.3333") && third.ends_with("335"),
            "{third}"
        );
        assert_eq!(
            n("2").div(&n("3")).unwrap().mul(&n("3")).unwrap().to_text(),
            "2"
        );
        assert_eq!(n("1").div(&n("0")).unwrap().to_text(), "+Inf");
        assert_eq!(n("-1").div(&n("0")).unwrap().to_text(), "-Inf");
        assert_eq!(n("-2.50").to_text(), "-2.5");
        assert_eq!(n("0.000001").to_text(), "0.000001");
        assert_eq!(
            Number::from_f64(2f64.sqrt()).to_text(),
            "1.4142135623730951"
        );
        assert_eq!(Number::from_i64(-42).to_text(), "-42");
    }

    #[test]
    fn rounds_and_compares() {
        assert_eq!(n("7").rem(&n("3")).unwrap().to_text(), "1");
        assert_eq!(n("-7").rem(&n("3")).unwrap().to_text(), "-1");
        assert_eq!(n("3.7").floor().to_text(), "3");
        assert_eq!(n("-3.2").floor().to_text(), "-4");
        assert_eq!(n("3.2").ceil().to_text(), "4");
        assert!(n("1.5") == n("1.50"));
        assert_eq!(n("2").cmp_value(&n("10")), Ordering::Less);
        assert_eq!(n("-2").cmp_value(&n("-10")), Ordering::Greater);
        assert_eq!(n("3.14159").to_go_text('f', Some(2)), "3.14");
        assert_eq!(n("2.5").to_go_text('f', Some(0)), "2");
        assert_eq!(n("1234.5").to_go_text('e', Some(2)), "1.23e+03");
        assert_eq!(n("1234.5").to_go_text('g', None), "1234.5");
        assert_eq!(n("1e21").to_go_text('g', None), "1e+21");
        assert_eq!(n("0.5").to_f64(), 0.5);
        assert_eq!(n("12").to_i64(), Some(12));
        assert!(Number::parse("1.2.3").is_none() && Number::parse("").is_none());
    }
}
