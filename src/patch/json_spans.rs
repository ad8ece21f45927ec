//! Byte ranges inside JSON text (for editing a policy written as a JSON heredoc without
//! touching the bytes around the edit): the `Statement` list's elements and each one's `Sid`.

use std::ops::Range;

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn string(&mut self) -> Option<Range<usize>> {
        let start = self.i;
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Some(start..self.i);
                }
                _ => self.i += 1,
            }
        }
        None
    }

    /// Skips one value; returns its range.
    fn value(&mut self) -> Option<Range<usize>> {
        self.ws();
        let start = self.i;
        match *self.s.get(self.i)? {
            b'"' => {
                self.string()?;
            }
            b'{' | b'[' => {
                let close = if self.s[self.i] == b'{' { b'}' } else { b']' };
                self.i += 1;
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&close) {
                        self.i += 1;
                        break;
                    }
                    if close == b'}' {
                        self.string()?;
                        self.ws();
                        if self.s.get(self.i) != Some(&b':') {
                            return None;
                        }
                        self.i += 1;
                    }
                    self.value()?;
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(c) if *c == close => {}
                        _ => return None,
                    }
                }
            }
            _ => {
                while self.i < self.s.len() && !b",}] \t\r\n".contains(&self.s[self.i]) {
                    self.i += 1;
                }
            }
        }
        Some(start..self.i)
    }

    /// The members of the object starting here: (key without quotes, value range).
    fn members(&mut self) -> Option<Vec<(String, Range<usize>)>> {
        self.ws();
        if self.s.get(self.i) != Some(&b'{') {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            self.ws();
            if self.s.get(self.i) == Some(&b'}') {
                self.i += 1;
                return Some(out);
            }
            let k = self.string()?;
            let key: String = serde_json::from_slice(&self.s[k]).ok()?;
            self.ws();
            if self.s.get(self.i) != Some(&b':') {
                return None;
            }
            self.i += 1;
            let v = self.value()?;
            out.push((key, v));
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                _ => return None,
            }
        }
    }

    fn elements(&mut self) -> Option<Vec<Range<usize>>> {
        self.ws();
        if self.s.get(self.i) != Some(&b'[') {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            self.ws();
            if self.s.get(self.i) == Some(&b']') {
                return Some(out);
            }
            out.push(self.value()?);
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                _ => return None,
            }
        }
    }
}

/// One element of the `Statement` list: its range and its Sid.
pub type StatementSpan = (Range<usize>, Option<String>);

/// The statements of a policy document: the `Statement` array's range and its elements.
/// `None` when the text is not a policy with a `Statement` array.
pub fn statements(text: &str) -> Option<(Range<usize>, Vec<StatementSpan>)> {
    let mut sc = Scanner {
        s: text.as_bytes(),
        i: 0,
    };
    let members = sc.members()?;
    let (_, array) = members.into_iter().find(|(k, _)| k == "Statement")?;
    let mut sc = Scanner {
        s: text.as_bytes(),
        i: array.start,
    };
    let elements = sc.elements()?;
    let mut out = Vec::new();
    for e in elements {
        let mut inner = Scanner {
            s: text.as_bytes(),
            i: e.start,
        };
        let sid = inner.members().and_then(|m| {
            m.into_iter()
                .find(|(k, _)| k == "Sid")
                .and_then(|(_, r)| serde_json::from_str::<String>(&text[r]).ok())
        });
        out.push((e, sid));
    }
    Some((array, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_statement_elements_and_sids() {
        let t = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "A", "Effect": "Allow", "Action": ["x:1", "x]2"]},
    {"Effect": "Deny", "Resource": "{*}"}
  ]
}"#;
        let (array, sts) = statements(t).unwrap();
        assert!(t[array].starts_with('['));
        assert_eq!(sts.len(), 2);
        assert_eq!(sts[0].1.as_deref(), Some("A"));
        assert_eq!(sts[1].1, None);
        assert!(t[sts[1].0.clone()].ends_with("\"{*}\"}"));
    }

    #[test]
    fn not_a_policy() {
        assert!(statements("[1, 2]").is_none());
        assert!(statements("{\"Statement\": {}}").is_none());
    }
}
