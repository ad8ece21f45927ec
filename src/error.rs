//! The one error type of drift, and the one place errors are rendered.
//!
//! Every variant carries the data a user needs to act: the file and `line:column` for bad
//! input, the service and operation for a failed AWS call. Messages are lowercase and never
//! contain a secret (passwords are never put into an error in the first place).

use std::fmt;
use std::io;
use std::path::Path;

/// A position in a text file, for errors about bad input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// The offending source line, shown under the message with a caret.
    pub source_line: Option<String>,
}

impl Location {
    pub fn new(path: impl Into<String>, line: usize, column: usize) -> Location {
        Location {
            path: path.into(),
            line,
            column,
            source_line: None,
        }
    }

    /// A location at byte `offset` of `text`, with the line it falls on.
    pub fn at_offset(path: impl Into<String>, text: &str, offset: usize) -> Location {
        Location::at_offset_in(path, text, &line_starts(text), offset)
    }

    /// As `at_offset`, with the text's `line_starts` already known (a file asked for many
    /// locations finds each in O(log lines), not by counting from its start).
    pub fn at_offset_in(
        path: impl Into<String>,
        text: &str,
        starts: &[usize],
        offset: usize,
    ) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = starts.partition_point(|&s| s <= offset).max(1);
        let line_start = starts.get(line - 1).copied().unwrap_or(0);
        let column = text[line_start..offset].chars().count() + 1;
        let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        Location {
            path: path.into(),
            line,
            column,
            source_line: Some(
                text[line_start..line_end]
                    .trim_end_matches('\r')
                    .to_string(),
            ),
        }
    }
}

/// The byte offset where each line of `text` starts (the first is 0).
pub fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path, self.line, self.column)
    }
}

/// An error and its sources, each by its Display, joined with ": " (a source whose text the
/// previous one already contains is skipped). Never the Debug form.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut next = e.source();
    while let Some(s) = next {
        let text = s.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = s.source();
    }
    parts.join(": ").replace('\n', " ")
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {what} `{path}`: {source}")]
    Read {
        what: &'static str,
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: String,
        #[source]
        source: io::Error,
    },
    /// Bad input with a position: HCL, TOML, YAML or JSON that does not parse or does not mean
    /// what drift needs.
    #[error("{location}: {message}")]
    Input { location: Location, message: String },
    /// Bad input where no position applies (a missing key, a wrong value in a flag).
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{0}")]
    Usage(String),
    #[error("{service}: {operation} failed: {message}")]
    Aws {
        service: &'static str,
        operation: &'static str,
        message: String,
    },
    /// The SDK's credential chain gave no credentials: the message says what was tried.
    #[error("{0}")]
    Credentials(String),
    #[error("postgresql on `{instance}`: {message}")]
    Postgres { instance: String, message: String },
}

impl Error {
    pub fn read(what: &'static str, path: &Path, source: io::Error) -> Error {
        Error::Read {
            what,
            path: path.display().to_string(),
            source,
        }
    }

    /// An AWS error told where it happened (`region us-west-2, account 1111… through role
    /// arn:…`), so an outage or a denied role names its place; other errors are unchanged.
    pub fn at(self, place: &str) -> Error {
        match self {
            Error::Aws {
                service,
                operation,
                message,
            } => Error::Aws {
                service,
                operation,
                message: format!("[{place}] {message}"),
            },
            other => other,
        }
    }

    pub fn input(location: Location, message: impl Into<String>) -> Error {
        Error::Input {
            location,
            message: message.into(),
        }
    }

    /// The error as the user sees it on stderr: the message, then for input errors the
    /// offending line with a caret under the column.
    pub fn render(&self) -> String {
        let mut out = format!(
            "error: {}",
            crate::report::safe_line(&crate::report::bounded(&self.to_string()))
        );
        if let Error::Input { location, .. } = self
            && let Some(line) = &location.source_line
        {
            let num = location.line.to_string();
            let pad = " ".repeat(num.len());
            // A long line is shown around the column only, so no error echoes a whole file.
            let chars: Vec<char> = line.chars().collect();
            let col = location.column.saturating_sub(1).min(chars.len());
            let start = col.saturating_sub(SNIPPET / 2);
            let end = (start + SNIPPET).min(chars.len());
            let shown: String = chars[start..end].iter().collect();
            let (lead, tail) = (
                if start > 0 { "…" } else { "" },
                if end < chars.len() { "…" } else { "" },
            );
            let caret_pad: String = lead
                .chars()
                .map(|_| ' ')
                .chain(
                    chars[start..col]
                        .iter()
                        .map(|&c| if c == '\t' { '\t' } else { ' ' }),
                )
                .collect();
            let shown = crate::report::safe_line(&shown);
            out.push_str(&format!(
                "\n{pad} |\n{num} | {lead}{shown}{tail}\n{pad} | {caret_pad}^"
            ));
        }
        out
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The most characters of a source line an error shows.
const SNIPPET: usize = 160;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_line_and_column() {
        let text = "a = 1\nbb = oops\n";
        let loc = Location::at_offset("x.tf", text, 11);
        assert_eq!((loc.line, loc.column), (2, 6));
        assert_eq!(loc.source_line.as_deref(), Some("bb = oops"));
        let rendered = Error::input(loc, "bad").render();
        assert!(rendered.starts_with("error: x.tf:2:6: bad"), "{rendered}");
        assert!(rendered.ends_with("|      ^"), "{rendered}");
    }

    #[test]
    fn a_long_line_is_shown_around_the_column() {
        let text = format!("a = {}oops{}\n", "x".repeat(5000), "y".repeat(5000));
        let loc = Location::at_offset("x.tf", &text, 5004);
        let rendered = Error::input(loc, "bad").render();
        assert!(rendered.len() < 600, "{}", rendered.len());
        let lines: Vec<&str> = rendered.lines().collect();
        let (code, caret) = (lines[2], lines[3]);
        let at = caret.chars().position(|c| c == '^').unwrap();
        let under: String = code.chars().skip(at).take(4).collect();
        assert_eq!(under, "oops", "{rendered}");
    }
}
