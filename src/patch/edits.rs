//! Byte-range edits of one file's text, applied all at once, so that every byte the patch does
//! not touch stays exactly as it was. Also the line helpers the editors share.

use std::ops::Range;

#[derive(Debug, Clone)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

/// A file being edited: its text as read at check time and the edits so far.
#[derive(Debug, Clone)]
pub struct FileEdits {
    pub display: String,
    pub text: String,
    pub edits: Vec<Edit>,
}

impl FileEdits {
    pub fn new(display: String, text: String) -> FileEdits {
        FileEdits {
            display,
            text,
            edits: Vec::new(),
        }
    }

    /// Adds an edit; refuses one that overlaps an earlier edit (two findings touching the same
    /// code), so no edit silently lands on another's text. Insertions at the same point are
    /// kept in the order they were made.
    pub fn push(&mut self, range: Range<usize>, text: String) -> Result<(), String> {
        let overlaps = self
            .edits
            .iter()
            .any(|e| range.start < e.range.end && e.range.start < range.end);
        if overlaps {
            return Err(format!(
                "another change already edits this part of `{}`",
                self.display
            ));
        }
        self.edits.push(Edit { range, text });
        Ok(())
    }

    /// The text with every edit applied.
    pub fn apply(&self) -> String {
        let mut edits = self.edits.clone();
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        let mut out = String::with_capacity(self.text.len());
        let mut at = 0;
        for e in edits {
            out.push_str(&self.text[at..e.range.start]);
            out.push_str(&e.text);
            at = e.range.end;
        }
        out.push_str(&self.text[at..]);
        out
    }
}

/// The leading whitespace of the line holding `offset`.
pub fn line_indent(text: &str, offset: usize) -> String {
    let start = line_start(text, offset);
    text[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

pub fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

/// The offset just past the end of the line holding `offset` (after its `\n`).
pub fn line_end(text: &str, offset: usize) -> usize {
    text[offset.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// 1-based line number of `offset`.
pub fn line_number(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Re-indents a multi-line snippet: every line after the first gets `indent` in front.
pub fn indent_rest(snippet: &str, indent: &str) -> String {
    let mut out = String::new();
    for (i, line) in snippet.lines().enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(indent);
            }
        }
        out.push_str(line);
    }
    out
}

/// The range that removes whole lines `range` covers, and a blank line before them if any.
pub fn whole_lines(text: &str, range: Range<usize>) -> Range<usize> {
    let mut start = line_start(text, range.start);
    let end = line_end(text, range.end.saturating_sub(1).max(range.start));
    if start >= 2 {
        let prev_start = line_start(text, start - 1);
        if text[prev_start..start].trim().is_empty() {
            start = prev_start;
        }
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_order_and_refuse_overlap() {
        let mut f = FileEdits::new("x".into(), "abcdef".into());
        f.push(4..5, "E".into()).unwrap();
        f.push(1..2, "B".into()).unwrap();
        assert!(f.push(1..3, "no".into()).is_err());
        assert_eq!(f.apply(), "aBcdEf");
    }

    #[test]
    fn insertions_at_one_point_keep_their_order() {
        let mut f = FileEdits::new("x".into(), "ab".into());
        f.push(2..2, "1".into()).unwrap();
        f.push(2..2, "2".into()).unwrap();
        f.push(0..1, "A".into()).unwrap();
        assert!(
            f.push(0..0, "?".into()).is_ok(),
            "an insertion before a replaced range"
        );
        assert_eq!(f.apply(), "?Ab12");
    }

    #[test]
    fn line_helpers() {
        let t = "a\n  b = 1\n\n  c {\n  }\nz\n";
        let c = t.find('c').unwrap();
        assert_eq!(line_indent(t, c), "  ");
        assert_eq!(line_number(t, c), 4);
        let end = t.find("}\n").unwrap() + 1;
        let r = whole_lines(t, c..end);
        assert_eq!(&t[r], "\n  c {\n  }\n");
        assert_eq!(
            indent_rest("{\n  a = 1\n}", "    "),
            "{\n      a = 1\n    }"
        );
    }
}
