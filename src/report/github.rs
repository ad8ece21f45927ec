//! The report as GitHub Actions workflow commands (`--format github`): one `::error` per
//! finding that fails the run's gate, `::warning` for not-checked objects, placed at the
//! finding's `file:line` when the code declares it, so the pull request shows each one on its
//! line; one `::error` per source error. Knows nothing of how findings are made.

use super::{Report, Status};

/// Escapes a message (`%`, CR, LF) as GitHub's workflow commands read it.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (also `:` and `,`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let report = &report.terminal_safe();
    let mut out = String::new();
    for f in &report.findings {
        let level = if f.status == Status::NotChecked {
            "warning"
        } else {
            "error"
        };
        let mut props = Vec::new();
        if let Some(o) = &f.origin {
            props.push(format!("file={}", property(&o.file)));
            props.push(format!("line={}", o.line));
        }
        props.push(format!(
            "title={}",
            property(&format!(
                "drift: {} {}",
                f.kind,
                f.status.as_str().replace('_', " ")
            ))
        ));
        let mut message = format!(
            "{} {} is {}",
            f.kind,
            f.id,
            f.status.as_str().replace('_', " ")
        );
        match f.status {
            Status::Changed => {
                let paths: Vec<&str> = f.changes.iter().map(|c| c.shown_path()).collect();
                let place = if f.kind == crate::model::Kind::ServiceChecklist {
                    "from the services manifest"
                } else {
                    "in AWS"
                };
                message.push_str(&format!(" {place}: {}", paths.join(", ")));
            }
            Status::Missing if f.kind == crate::model::Kind::ServiceChecklist => {
                message.push_str(": in the services manifest, not done")
            }
            Status::Missing => message.push_str(": declared, not in AWS"),
            Status::Unmanaged => message.push_str(": in AWS, not in the code"),
            Status::NotChecked => {
                if let Some(r) = &f.reason {
                    message.push_str(&format!(": {r}"));
                }
            }
            Status::Violated => {
                if let Some(v) = &f.rule {
                    message.push_str(&format!(" ({}): {}", v.places.join(", "), v.message));
                    if let Some(fix) = &v.fix {
                        message.push_str(&format!("\nFix: {fix}"));
                    }
                }
            }
        }
        if let Some(r) = &f.remediation {
            message.push_str(&format!("\nTo fix: {r}"));
        }
        for h in &f.hints {
            message.push_str(&format!("\n{h}"));
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            data(&message)
        ));
    }
    for e in &report.errors {
        out.push_str(&format!(
            "::error title={}::{}\n",
            property(&format!("drift: {} error", e.source)),
            data(&e.message)
        ));
    }
    for w in &report.warnings {
        out.push_str(&format!(
            "::warning title={}::{}\n",
            property(&format!("drift: {}", w.source)),
            data(&w.message)
        ));
    }
    let s = &report.summary;
    out.push_str(&format!(
        "::notice title=drift::{} in sync, {} changed, {} missing, {} unmanaged, {} not checked, {} errors\n",
        s.in_sync, s.changed, s.missing, s.unmanaged, s.not_checked, s.errors
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped() {
        assert_eq!(data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
