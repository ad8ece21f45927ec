//! Encoding functions: JSON (exact numbers, Go's escaping), base64 and URL encoding.

use super::strings::nfc;
use super::{FResult, string_arg};
use crate::desired::terraform::value::{Value, json};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn call(name: &str, a: &mut [Value]) -> FResult {
    match name {
        "jsonencode" => json::encode(&a[0]).map(Value::String),
        "jsondecode" => json::decode(&string_arg(a, 0)?).map_err(|m| format!("invalid JSON: {m}")),
        "base64encode" => Ok(Value::String(base64_encode(string_arg(a, 0)?.as_bytes()))),
        "base64decode" => {
            let s = string_arg(a, 0)?;
            let bytes =
                base64_decode(&s).ok_or_else(|| format!("failed to decode base64 data {s:?}"))?;
            String::from_utf8(bytes)
                .map(|t| nfc(&t))
                .map_err(|_| "the result of decoding the provided string is not valid UTF-8".into())
        }
        "urlencode" => Ok(Value::String(query_escape(&string_arg(a, 0)?))),
        other => Err(format!("`{other}` is not an encoding function")),
    }
}

fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (ci, chunk) in bytes.chunks(4).enumerate() {
        let last = ci + 1 == bytes.len() / 4;
        let mut n = 0u32;
        let mut pad = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let v = if c == b'=' && last && i >= 2 {
                pad += 1;
                0
            } else if pad > 0 {
                return None;
            } else {
                B64.iter().position(|&x| x == c)? as u32
            };
            n = (n << 6) | v;
        }
        let got = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&got[..3 - pad]);
    }
    Some(out)
}

/// Go's `url.QueryEscape`: spaces become `+`, unreserved bytes stay, the rest `%XX`.
fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
