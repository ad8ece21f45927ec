//! Dotted key paths into YAML documents (`env.DB_NAME`, `jobs.changes.steps[1].with.filters`)
//! and the line a path is written on, for findings that point into a repository's files.
//! Values come from the YAML parser (anchors, aliases and `<<` merges resolved); lines from a
//! scan of the block-style text, which is how values, Application and workflow files are
//! written (a path the scan cannot place gets the nearest line it can).

use serde_yaml_ng::Value;

/// One step of a path: a key, then any `[N]` indexes.
fn steps(path: &str) -> Vec<(String, Vec<usize>)> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .map(|seg| {
            let (name, rest) = seg.split_once('[').unwrap_or((seg, ""));
            let indexes = rest
                .split('[')
                .filter_map(|i| i.trim_end_matches(']').parse().ok())
                .collect();
            (name.to_string(), indexes)
        })
        .collect()
}

/// The value at `path`, or the longest prefix of it that exists (to say where it stops).
pub fn get<'a>(root: &'a Value, path: &str) -> Result<&'a Value, String> {
    let mut at = root;
    let mut walked: Vec<String> = Vec::new();
    for (name, indexes) in steps(path) {
        let next = match at {
            Value::Mapping(m) => m.get(Value::String(name.clone())),
            // A container's `env` list: the entry of that name, and its value.
            Value::Sequence(items) => items
                .iter()
                .find(|i| i.get("name").and_then(Value::as_str) == Some(name.as_str()))
                .map(|i| i.get("value").unwrap_or(&Value::Null)),
            _ => None,
        };
        at = next.ok_or_else(|| walked.join("."))?;
        walked.push(name.clone());
        for i in indexes {
            at = at.get(i).ok_or_else(|| walked.join("."))?;
            if let Some(last) = walked.last_mut() {
                last.push_str(&format!("[{i}]"));
            }
        }
    }
    Ok(at)
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// The 1-based line (within `text`) where `path` is written, or the deepest line of it found.
pub fn line_of(text: &str, path: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0usize;
    let mut parent: Option<usize> = None;
    let mut best = 1usize;
    'steps: for (name, indexes) in steps(path) {
        let mut i = from;
        while i < lines.len() {
            let l = lines[i];
            if !is_content(l) {
                i += 1;
                continue;
            }
            let ind = indent(l);
            if parent.is_some_and(|p| ind <= p) && i > from {
                break;
            }
            let t = l.trim_start();
            let item = t.strip_prefix("- ").unwrap_or(t);
            let key_hit = item.starts_with(&format!("{name}:"))
                || item.starts_with(&format!("\"{name}\":"))
                || item.starts_with(&format!("'{name}':"));
            let env_hit = t.starts_with("- ")
                && item
                    .strip_prefix("name:")
                    .is_some_and(|v| v.trim().trim_matches(|c| c == '"' || c == '\'') == name);
            if key_hit || env_hit {
                best = i + 1;
                parent = Some(ind);
                from = i + 1;
                for n in indexes {
                    // The N-th `- ` entry below the key.
                    let mut seen = 0usize;
                    let mut j = from;
                    let mut found = false;
                    while j < lines.len() {
                        let lj = lines[j];
                        if is_content(lj) {
                            if indent(lj) <= ind && !lj.trim_start().starts_with("- ") {
                                break;
                            }
                            if lj.trim_start().starts_with("- ") && indent(lj) >= ind {
                                if seen == n {
                                    best = j + 1;
                                    parent = Some(indent(lj));
                                    from = j;
                                    found = true;
                                    break;
                                }
                                seen += 1;
                            }
                        }
                        j += 1;
                    }
                    if !found {
                        break 'steps;
                    }
                }
                continue 'steps;
            }
            i += 1;
        }
        break;
    }
    best
}

/// The documents of a multi-document YAML text, each with the 1-based line it starts on.
pub fn documents(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1usize;
    let mut offset = 0usize;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_end() == "---" {
            if !text[start..offset].trim().is_empty() {
                out.push((start_line, &text[start..offset]));
            }
            start = offset + line.len();
            start_line = n + 2;
        }
        offset += line.len();
    }
    if !text[start..].trim().is_empty() {
        out.push((start_line, &text[start..]));
    }
    out
}

/// Parses one YAML document, with `<<` merge keys applied.
pub fn parse(text: &str) -> Result<Value, (usize, String)> {
    let mut v: Value = serde_yaml_ng::from_str(text).map_err(|e| {
        let line = e.location().map_or(1, |l| l.line());
        let msg = e.to_string();
        (
            line,
            msg.split(" at line ").next().unwrap_or(&msg).to_string(),
        )
    })?;
    v.apply_merge().map_err(|e| (1, e.to_string()))?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: &str = "image:\n  tag: v1\nenv:\n  - name: LOG_LEVEL\n    value: info\n  - name: DB_NAME\n    value: board_db\nresources: {}\n";

    #[test]
    fn paths_go_through_maps_env_lists_and_indexes() {
        let v = parse(VALUES).unwrap();
        assert_eq!(get(&v, "env.DB_NAME").unwrap().as_str(), Some("board_db"));
        assert_eq!(get(&v, "image.tag").unwrap().as_str(), Some("v1"));
        assert_eq!(get(&v, "env.NOPE"), Err("env".into()));
        assert_eq!(line_of(VALUES, "env.DB_NAME"), 6);
        assert_eq!(line_of(VALUES, "image.tag"), 2);
        let wf = "jobs:\n  changes:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: dorny/paths-filter@v3\n        with:\n          filters: |\n            a: x\n";
        let v = parse(wf).unwrap();
        let path = "jobs.changes.steps[1].with.filters";
        assert_eq!(get(&v, path).unwrap().as_str(), Some("a: x\n"));
        assert_eq!(line_of(wf, path), 7);
    }

    #[test]
    fn anchors_and_merge_keys_are_resolved() {
        let text = "base: &b\n  env:\n    DB_NAME: x_db\nprod:\n  <<: *b\n";
        let v = parse(text).unwrap();
        assert_eq!(get(&v, "prod.env.DB_NAME").unwrap().as_str(), Some("x_db"));
    }

    #[test]
    fn documents_keep_their_lines() {
        let text = "a: 1\n---\nb: 2\n---\n\n---\nc: 3\n";
        let docs = documents(text);
        assert_eq!(docs.iter().map(|d| d.0).collect::<Vec<_>>(), vec![1, 3, 7]);
    }
}
