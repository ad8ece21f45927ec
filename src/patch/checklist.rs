//! Writes back the new-service checklist items that are pure text and safe: the service into
//! the CI pipeline's service list (a YAML list, or the lines of a filter set, each new line
//! made from the one above it), and the database key into the service's values file (the
//! value replaced where it differs, the entry added to an existing `env` list or map where it
//! is missing). Never a secret, a database or an Argo CD Application: those need a person.

use super::Files;
use super::edits::{line_end, line_indent};
use crate::checklist::yaml_path;
use crate::report::{Finding, Status};

/// Whether `--patch` can write this checklist item (`SERVICE/ITEM`).
pub fn writable(id: &str) -> bool {
    id.ends_with("/ci_pipeline") || id.ends_with("/helm_values")
}

/// Whether `s` can be written into YAML as it is: a plain scalar of letters, digits and
/// `-_.`, nothing that could start a new line, key or document.
fn plain(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub fn edit(f: &Finding, files: &mut Files) -> Result<(), String> {
    let (service, item) = f.id.rsplit_once('/').ok_or("not a checklist item")?;
    let value = f
        .changes
        .first()
        .and_then(|c| c.desired.as_ref())
        .or(f.value.as_ref().map(|v| &v["value"]))
        .and_then(|v| v.as_str());
    if !plain(service) || value.is_some_and(|v| !plain(v)) {
        return Err(
            "the service or database name is not a plain YAML value (letters, digits, `-_.`): write it by hand"
                .into(),
        );
    }
    let origin = f
        .origin
        .as_ref()
        .ok_or("the finding has no place in a file")?;
    match (item, f.status) {
        ("ci_pipeline", Status::Missing) => add_to_list(files, &origin.file, origin.line, service),
        ("helm_values", Status::Changed) => {
            let c = f.changes.first().ok_or("no change to write")?;
            let value = c
                .desired
                .as_ref()
                .and_then(|v| v.as_str())
                .ok_or("no value")?;
            replace_value(files, &origin.file, origin.line, &c.path, value)
        }
        ("helm_values", Status::Missing) => {
            let v = f.value.as_ref().ok_or("no value")?;
            let (Some(key), Some(value)) = (v["key"].as_str(), v["value"].as_str()) else {
                return Err("no key or value".into());
            };
            let Some(file) = v["file"].as_str() else {
                return Err(format!(
                    "none of `{service}`'s values files exists: create one by hand (drift only edits files that exist)"
                ));
            };
            add_key(files, file, key, value)
        }
        _ => Err("drift cannot write this checklist item".into()),
    }
}

fn offset_of_line(text: &str, line: usize) -> usize {
    text.split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum()
}

fn indent_len(l: &str) -> usize {
    l.len() - l.trim_start_matches(' ').len()
}

/// The lines below line `line` (1-based) that belong to it: more indented, or list items at
/// its own indentation. Returns the 0-based index of the last one.
fn block_end(lines: &[&str], line: usize) -> Option<usize> {
    let head = lines.get(line - 1)?;
    let ind = indent_len(head);
    let mut last = None;
    for (i, l) in lines.iter().enumerate().skip(line) {
        if l.trim().is_empty() {
            continue;
        }
        let li = indent_len(l);
        if li > ind || (li == ind && l.trim_start().starts_with("- ")) {
            last = Some(i);
        } else {
            break;
        }
    }
    last
}

fn add_to_list(files: &mut Files, file: &str, line: usize, service: &str) -> Result<(), String> {
    let fe = files.get_text(file)?;
    let text = fe.text.clone();
    let lines: Vec<&str> = text.lines().collect();
    let head = lines
        .get(line.saturating_sub(1))
        .ok_or("the list's line is gone")?;
    // A flow list on the key's line: `service: [a, b]`.
    if let (Some(open), Some(close)) = (head.find('['), head.rfind(']'))
        && open < close
    {
        let at = offset_of_line(&text, line) + close;
        let sep = if head[open + 1..close].trim().is_empty() {
            ""
        } else {
            ", "
        };
        return fe.push(at..at, format!("{sep}{service}"));
    }
    let last = block_end(&lines, line).ok_or(format!(
        "the list at {file}:{line} has no entries to follow: add `{service}` by hand"
    ))?;
    let model = lines[last];
    let trimmed = model.trim_start();
    let ind = &model[..model.len() - trimmed.len()];
    let new = if let Some(item) = trimmed.strip_prefix("- ") {
        if item.contains(':') {
            return Err(format!(
                "the list at {file}:{line} holds mappings: add `{service}` by hand"
            ));
        }
        format!("{ind}- {service}\n")
    } else if let Some((key, _)) = trimmed.split_once(':') {
        // A filter set: the entry above, with its service's name replaced.
        let old = key.trim().trim_matches(|c| c == '"' || c == '\'');
        if old.is_empty() {
            return Err(format!("cannot read the entry at {file}:{}", last + 1));
        }
        format!("{ind}{}\n", trimmed.replace(old, service))
    } else {
        return Err(format!(
            "the list at {file}:{line} is in a form drift does not edit: add `{service}` by hand"
        ));
    };
    let at = line_end(&text, offset_of_line(&text, last + 1));
    let new = if at == text.len() && !text.ends_with('\n') {
        format!("\n{}", new.trim_end_matches('\n'))
    } else {
        new
    };
    fe.push(at..at, new)
}

/// Replaces the scalar after `:` on `line` (or on the `value:` line of a `- name:` entry).
fn replace_value(
    files: &mut Files,
    file: &str,
    line: usize,
    key: &str,
    value: &str,
) -> Result<(), String> {
    let fe = files.get_text(file)?;
    let text = fe.text.clone();
    let lines: Vec<&str> = text.lines().collect();
    let head = lines
        .get(line.saturating_sub(1))
        .ok_or("the value's line is gone")?;
    let (target, l) = if head.trim_start().starts_with("- name:") {
        // The entry's `value:` line, below its `name:`.
        let i = (line..lines.len())
            .find(|&i| lines[i].trim_start().starts_with("value:"))
            .ok_or(format!("no `value:` under {file}:{line}"))?;
        (i + 1, lines[i])
    } else {
        (line, *head)
    };
    let colon = l.find(':').ok_or(format!("no value at {file}:{target}"))?;
    let rest = &l[colon + 1..];
    let scalar = rest.trim();
    let scalar = scalar.split(" #").next().unwrap_or(scalar).trim();
    if scalar.is_empty() || scalar.starts_with(['{', '[', '|', '>', '&', '*']) {
        return Err(format!(
            "`{key}` at {file}:{target} is not a plain value: change it by hand"
        ));
    }
    let start = offset_of_line(&text, target) + colon + 1 + rest.find(scalar).unwrap_or(0);
    let quoted = match scalar.chars().next() {
        Some(q @ ('"' | '\'')) => format!("{q}{value}{q}"),
        _ => value.to_string(),
    };
    fe.push(start..start + scalar.len(), quoted)
}

/// Adds `key` (dotted; its parent must exist in `file` as a list of `{name, value}` entries or
/// a map) with `value`.
fn add_key(files: &mut Files, file: &str, key: &str, value: &str) -> Result<(), String> {
    let (parent, last) = key.rsplit_once('.').ok_or(format!(
        "`{key}` has no parent to add it under: add it to {file} by hand"
    ))?;
    let fe = files.get_text(file)?;
    let text = fe.text.clone();
    let doc = yaml_path::parse(&text).map_err(|(l, m)| format!("{file}:{l}: {m}"))?;
    let node = yaml_path::get(&doc, parent)
        .map_err(|_| format!("`{parent}` is not in {file}: add `{key}: {value}` by hand"))?;
    let line = yaml_path::line_of(&text, parent);
    let lines: Vec<&str> = text.lines().collect();
    let last_line = block_end(&lines, line).ok_or(format!(
        "`{parent}` at {file}:{line} is empty or inline: add `{key}` by hand"
    ))?;
    let first_child = (line..=last_line)
        .find(|&i| !lines[i].trim().is_empty())
        .ok_or("no entries")?;
    let ind = line_indent(&text, offset_of_line(&text, first_child + 1));
    let new = match node {
        serde_yaml_ng::Value::Sequence(_) => {
            format!("{ind}- name: {last}\n{ind}  value: {value}\n")
        }
        serde_yaml_ng::Value::Mapping(_) => format!("{ind}{last}: {value}\n"),
        _ => return Err(format!("`{parent}` in {file} is neither a list nor a map")),
    };
    let at = line_end(&text, offset_of_line(&text, last_line + 1));
    let new = if at == text.len() && !text.ends_with('\n') {
        format!("\n{}", new.trim_end_matches('\n'))
    } else {
        new
    };
    fe.push(at..at, new)
}
