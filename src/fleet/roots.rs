//! Root discovery: `[terraform] roots` entries may be globs (`terraform/**`,
//! `stacks/*/prod`), and a directory they reach is a root when terraform would treat it as
//! one — its code configures a backend (`terraform { backend … }`) or a provider — and no
//! other root found calls it as a module (`source = "../modules/x"`). A config may skip roots
//! with a reason. Each root's accounts and regions are read from its `provider "aws"` blocks
//! as written (`region`, `assume_role { role_arn }`); a value the code computes shows as `?`.
//!
//! Reads directories and `.tf` files only; knows nothing of AWS or of what the code declares.

use crate::model::glob::glob;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Directories never searched: terraform's own data, and hidden ones (`.git`).
fn searched(name: &str) -> bool {
    !name.starts_with('.')
}

/// The deepest a `**` search goes.
const MAX_DEPTH: usize = 32;

/// A root found, with the accounts and regions its AWS providers name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    pub dir: PathBuf,
    pub accounts: BTreeSet<String>,
    pub regions: BTreeSet<String>,
}

/// What the patterns reached: the roots, and those skipped with why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    pub roots: Vec<Root>,
    pub skipped: Vec<(PathBuf, String)>,
}

/// Whether a `roots` entry is a pattern rather than a directory.
pub fn is_pattern(entry: &str) -> bool {
    entry.contains(['*', '?'])
}

/// The directories under `base` that `parts` (the pattern's components) reach.
fn walk(base: &Path, parts: &[&str], depth: usize, out: &mut BTreeSet<PathBuf>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some((first, rest)) = parts.split_first() else {
        out.insert(base.to_path_buf());
        return;
    };
    let subdirs = || -> Vec<(String, PathBuf)> {
        let Ok(entries) = std::fs::read_dir(base) else {
            return Vec::new();
        };
        let mut v: Vec<(String, PathBuf)> = entries
            .flatten()
            // Real directories only: a link could loop.
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| Some((e.file_name().to_str()?.to_string(), e.path())))
            .filter(|(n, _)| searched(n))
            .collect();
        v.sort();
        v
    };
    match *first {
        "**" => {
            walk(base, rest, depth + 1, out);
            for (_, dir) in subdirs() {
                walk(&dir, parts, depth + 1, out);
            }
        }
        p if is_pattern(p) => {
            for (name, dir) in subdirs() {
                if glob(p, &name) {
                    walk(&dir, rest, depth + 1, out);
                }
            }
        }
        literal => {
            let dir = base.join(literal);
            if dir.is_dir() {
                walk(&dir, rest, depth + 1, out);
            }
        }
    }
}

/// What one directory's `.tf` files say: whether it is a root, the local modules it calls,
/// and the accounts and regions of its AWS providers.
#[derive(Default)]
struct Facts {
    root: bool,
    calls: Vec<PathBuf>,
    accounts: BTreeSet<String>,
    regions: BTreeSet<String>,
}

fn facts(dir: &Path) -> Option<Facts> {
    let mut f = Facts::default();
    let mut any = false;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    entries.sort();
    for file in entries {
        let Ok(text) = crate::input_file::read_text(&file) else {
            continue;
        };
        any = true;
        // A file that does not parse is the run's to report: the directory counts as a root
        // when it says so in the only way left, textually.
        let Ok(body) = hcl_edit::parser::parse_body(&text) else {
            f.root |= text.contains("backend") || text.contains("provider \"");
            continue;
        };
        for tf in body.get_blocks("terraform") {
            f.root |= tf.body.get_blocks("backend").next().is_some()
                || tf.body.get_blocks("cloud").next().is_some();
        }
        for p in body.get_blocks("provider") {
            f.root = true;
            if p.labels.first().map(|l| l.as_str()) != Some("aws") {
                continue;
            }
            let literal = |b: &hcl_edit::structure::Body, name: &str| {
                b.get_attribute(name)
                    .map(|a| a.value.as_str().map_or("?".to_string(), str::to_string))
            };
            if let Some(r) = literal(&p.body, "region") {
                f.regions.insert(r);
            }
            for ar in p.body.get_blocks("assume_role") {
                if let Some(arn) = literal(&ar.body, "role_arn") {
                    let account = arn
                        .split(':')
                        .nth(4)
                        .filter(|a| !a.is_empty())
                        .unwrap_or("?");
                    f.accounts.insert(account.to_string());
                }
            }
        }
        for m in body.get_blocks("module") {
            let Some(source) = m
                .body
                .get_attribute("source")
                .and_then(|a| a.value.as_str())
            else {
                continue;
            };
            if (source.starts_with("./") || source.starts_with("../"))
                && let Ok(d) = std::fs::canonicalize(dir.join(source))
            {
                f.calls.push(d);
            }
        }
    }
    any.then_some(f)
}

/// Expands the `roots` entries: a directory is kept as given; a pattern (relative to `base`)
/// gives the roots it reaches. `skip` maps directories to why they are left out.
pub fn expand(
    base: &Path,
    entries: &[String],
    skip: &BTreeMap<PathBuf, String>,
) -> Result<Found, String> {
    let mut found = Found::default();
    let skip_of = |d: &Path| {
        let real = std::fs::canonicalize(d).ok();
        skip.iter()
            .find(|(p, _)| {
                std::fs::canonicalize(base.join(p))
                    .ok()
                    .is_some_and(|s| Some(&s) == real.as_ref())
            })
            .map(|(_, why)| why.clone())
    };
    for entry in entries {
        if !is_pattern(entry) {
            let dir = base.join(entry);
            if let Some(why) = skip_of(&dir) {
                found.skipped.push((dir, why));
                continue;
            }
            let f = facts(&dir).unwrap_or_default();
            found.roots.push(Root {
                dir,
                accounts: f.accounts,
                regions: f.regions,
            });
            continue;
        }
        let parts: Vec<&str> = entry
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        let from = if entry.starts_with('/') {
            Path::new("/")
        } else {
            base
        };
        let mut reached = BTreeSet::new();
        walk(from, &parts, 0, &mut reached);
        let mut candidates: Vec<(PathBuf, Facts)> = reached
            .into_iter()
            .filter_map(|d| facts(&d).map(|f| (d, f)))
            .filter(|(_, f)| f.root)
            .collect();
        // A directory another candidate calls as a module is that root's module, not a root.
        let called: BTreeSet<PathBuf> = candidates
            .iter()
            .flat_map(|(_, f)| f.calls.iter().cloned())
            .collect();
        candidates
            .retain(|(d, _)| std::fs::canonicalize(d).map_or(true, |real| !called.contains(&real)));
        if candidates.is_empty() {
            return Err(format!(
                "`[terraform] roots` entry `{entry}` reaches no Terraform root (a directory whose code configures a backend or a provider)"
            ));
        }
        for (dir, f) in candidates {
            if found.roots.iter().any(|r| r.dir == dir) {
                continue;
            }
            if let Some(why) = skip_of(&dir) {
                found.skipped.push((dir, why));
                continue;
            }
            found.roots.push(Root {
                dir,
                accounts: f.accounts,
                regions: f.regions,
            });
        }
    }
    Ok(found)
}
