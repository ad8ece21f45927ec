//! One Terraform module directory, parsed: its `.tf` and `.tf.json` files (kept with their
//! text for positions; a `.tf.json` file as the native text `json_config` makes of it, with
//! positions mapped back to the JSON file), and the declarations drift evaluates — variables, locals, resources, data
//! sources, module calls and outputs. Parsing only; evaluation is `eval.rs`.

use crate::error::{Error, Location, Result};
use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A parsed `.tf` file and its text, for turning spans into `file:line:col`.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The path as shown to users (relative to the working directory when possible).
    pub display: String,
    pub text: String,
    /// Where each line of `text` starts, computed on the first location asked for.
    pub line_starts: std::sync::OnceLock<Vec<usize>>,
    /// For a `.tf.json` file (whose `text` is the native text made of it): the JSON text, and
    /// for each line of `text` the JSON line it comes from.
    pub json: Option<(String, Vec<usize>)>,
}

impl SourceFile {
    pub fn location(&self, offset: usize) -> Location {
        let starts = self
            .line_starts
            .get_or_init(|| crate::error::line_starts(&self.text));
        let at = Location::at_offset_in(&self.display, &self.text, starts, offset);
        match &self.json {
            None => at,
            Some((json, lines)) => {
                let line = lines.get(at.line.saturating_sub(1)).copied().unwrap_or(1);
                let mut mapped = Location::new(&self.display, line, 1);
                mapped.source_line = json.lines().nth(line - 1).map(str::to_string);
                mapped
            }
        }
    }

    /// Whether the file is JSON configuration (`--patch` writes native syntax only).
    pub fn is_json(&self) -> bool {
        self.json.is_some()
    }

    pub fn line_of(&self, span: Option<std::ops::Range<usize>>) -> usize {
        span.map_or(1, |s| self.location(s.start).line)
    }
}

/// A declaration with the file it is in.
#[derive(Debug, Clone)]
pub struct Decl<T> {
    pub file: usize,
    pub item: T,
}

#[derive(Debug, Clone)]
pub struct ResourceDecl {
    pub rtype: String,
    pub name: String,
    pub block: Block,
}

#[derive(Debug, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub files: Vec<SourceFile>,
    pub variables: BTreeMap<String, Decl<Block>>,
    pub locals: BTreeMap<String, Decl<Expression>>,
    pub resources: BTreeMap<(String, String), Decl<ResourceDecl>>,
    pub data: BTreeMap<(String, String), Decl<ResourceDecl>>,
    pub module_calls: BTreeMap<String, Decl<Block>>,
    /// `provider "aws"` blocks by configuration name: `aws`, `aws.west`.
    pub providers: BTreeMap<String, Decl<Block>>,
    pub outputs: BTreeMap<String, Decl<Expression>>,
}

/// The `source` of a module call, as written (terraform requires a literal string).
pub fn call_source(call: &Block) -> Option<&str> {
    call.body
        .get_attribute("source")
        .and_then(|a| a.value.as_str())
}

/// Shows `path` relative to the working directory when it is inside it.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = cwd
        .as_deref()
        .and_then(|c| path.strip_prefix(c).ok())
        .unwrap_or(path);
    let s = rel.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// hcl-edit 0.10 reads a heredoc whose closing marker is on the very next line on to the next
/// line with that marker further down, swallowing everything between; terraform reads `""`.
/// Such a heredoc is rewritten to `""` padded with spaces before parsing, so that every byte
/// offset (and so every span, line and column) stays where it was. This goes when hcl-edit
/// reads such heredocs as terraform does.
pub fn empty_heredocs(text: &str) -> std::borrow::Cow<'_, str> {
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .scan(0, |at, l| {
            let start = *at;
            *at += l.len();
            Some((start, l))
        })
        .collect();
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for pair in lines.windows(2) {
        let ((start, line), (next_start, next)) = (pair[0], pair[1]);
        let body = line.trim_end_matches(['\n', '\r']);
        let Some(pos) = body.rfind("<<") else {
            continue;
        };
        let marker = body[pos + 2..].trim_start_matches('-');
        let is_marker = !marker.is_empty()
            && marker.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && marker
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let closing = next.trim_end_matches(['\n', '\r']);
        if is_marker && closing.trim() == marker {
            let opener = body.len() - pos;
            edits.push((
                start + pos,
                opener,
                format!("\"\"{}", " ".repeat(opener - 2)),
            ));
            edits.push((next_start, closing.len(), " ".repeat(closing.len())));
        }
    }
    if edits.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for (at, len, with) in edits.into_iter().rev() {
        out.replace_range(at..at + len, &with);
    }
    std::borrow::Cow::Owned(out)
}

/// Parses HCL text; a syntax error says `file:line:col` and shows the line.
pub fn parse_hcl(text: &str, display: &str) -> Result<Body> {
    let text = empty_heredocs(text);
    hcl_edit::parser::parse_body(&text).map_err(|e| {
        let loc = e.location();
        let mut location = Location::new(display, loc.line(), loc.column());
        location.source_line = Some(e.line().to_string());
        Error::input(location, format!("invalid HCL: {}", e.message()))
    })
}

fn label(block: &Block, i: usize) -> Option<String> {
    block.labels.get(i).map(|l| l.as_str().to_string())
}

impl Module {
    /// Reads and parses every `.tf` and `.tf.json` file of `dir` (not subdirectories), in
    /// name order as terraform does.
    pub fn load(dir: &Path) -> Result<Module> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| Error::read("module directory", dir, e))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            // Links included: a dangling or looping one is an error when read, as in terraform.
            .filter(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                name.is_some_and(|n| n.ends_with(".tf") || n.ends_with(".tf.json")) && !p.is_dir()
            })
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(Error::Invalid {
                path: display_path(dir),
                message: "no `.tf` or `.tf.json` files in this module directory".into(),
            });
        }
        let mut module = Module {
            dir: dir.to_path_buf(),
            ..Module::default()
        };
        for path in paths {
            let text = crate::input_file::read("Terraform file", &path)?;
            let display = display_path(&path);
            let (text, json) = if path.to_string_lossy().ends_with(".tf.json") {
                let c = super::json_config::convert(&text).map_err(|e| {
                    let mut at = Location::new(&display, e.line, e.column);
                    at.source_line = text.lines().nth(e.line - 1).map(str::to_string);
                    Error::input(at, e.message)
                })?;
                (c.text, Some((text, c.lines)))
            } else {
                (text, None)
            };
            let body = match parse_hcl(&text, &display) {
                Ok(b) => b,
                // A JSON file's text is drift's: say where in the JSON file.
                Err(Error::Input { location, message }) if json.is_some() => {
                    let file = SourceFile {
                        path: path.clone(),
                        display: display.clone(),
                        text: text.clone(),
                        line_starts: Default::default(),
                        json: json.clone(),
                    };
                    let starts = crate::error::line_starts(&text);
                    let offset = starts
                        .get(location.line.saturating_sub(1))
                        .copied()
                        .unwrap_or(0);
                    return Err(Error::input(file.location(offset), message));
                }
                Err(e) => return Err(e),
            };
            let file = module.files.len();
            module.files.push(SourceFile {
                path: path.clone(),
                display,
                text,
                line_starts: Default::default(),
                json,
            });
            module.index(file, body)?;
        }
        Ok(module)
    }

    /// A module of one file given as text (fuzzing and tests): parsed and indexed as `load`
    /// would, with `dir` as its directory.
    pub fn from_text(dir: &Path, name: &str, text: &str) -> Result<Module> {
        let path = dir.join(name);
        let display = display_path(&path);
        let body = parse_hcl(text, &display)?;
        let mut module = Module {
            dir: dir.to_path_buf(),
            ..Module::default()
        };
        module.files.push(SourceFile {
            path,
            display,
            text: text.to_string(),
            line_starts: Default::default(),
            json: None,
        });
        module.index(0, body)?;
        Ok(module)
    }

    /// Files `body`'s declarations under `file`. The blocks move into the declarations: the
    /// syntax tree is kept once, not once per file and again per declaration.
    fn index(&mut self, file: usize, body: Body) -> Result<()> {
        let blocks = body.into_iter().filter_map(|s| s.into_block().ok());
        for block in blocks {
            let ident = block.ident.as_str().to_string();
            let need = |n: usize| -> Result<Vec<String>> {
                let labels: Vec<String> = (0..n).filter_map(|i| label(&block, i)).collect();
                if labels.len() == n {
                    Ok(labels)
                } else {
                    Err(Error::input(
                        self.files[file].location(block.span().map_or(0, |s| s.start)),
                        format!("a `{ident}` block needs {n} label(s)"),
                    ))
                }
            };
            let here = block.span().map_or(0, |s| s.start);
            match ident.as_str() {
                "variable" => {
                    let l = need(1)?;
                    if let Some(prev) = self.variables.get(&l[0]) {
                        let at = (prev.file, prev.item.span().map_or(0, |s| s.start));
                        return Err(self.duplicate("variable", &l[0], at, (file, here)));
                    }
                    self.variables
                        .insert(l[0].clone(), Decl { file, item: block });
                }
                "locals" => {
                    for attr in block.body.attributes() {
                        if let Some(prev) = self.locals.get(attr.key.as_str()) {
                            let at = (prev.file, prev.item.span().map_or(0, |s| s.start));
                            let this = (file, attr.span().map_or(here, |s| s.start));
                            return Err(self.duplicate("local value", attr.key.as_str(), at, this));
                        }
                        self.locals.insert(
                            attr.key.as_str().to_string(),
                            Decl {
                                file,
                                item: attr.value.clone(),
                            },
                        );
                    }
                }
                "resource" | "data" => {
                    let l = need(2)?;
                    let decl = Decl {
                        file,
                        item: ResourceDecl {
                            rtype: l[0].clone(),
                            name: l[1].clone(),
                            block,
                        },
                    };
                    let map = if ident == "resource" {
                        &mut self.resources
                    } else {
                        &mut self.data
                    };
                    if let Some(prev) = map.get(&(l[0].clone(), l[1].clone())) {
                        let at = (prev.file, prev.item.block.span().map_or(0, |s| s.start));
                        let what = if ident == "resource" {
                            "resource"
                        } else {
                            "data source"
                        };
                        let name = format!("{}.{}", l[0], l[1]);
                        return Err(self.duplicate(what, &name, at, (file, here)));
                    }
                    map.insert((l[0].clone(), l[1].clone()), decl);
                }
                "provider" => {
                    let l = need(1)?;
                    let alias = block
                        .body
                        .get_attribute("alias")
                        .and_then(|a| a.value.as_str().map(str::to_string));
                    let name = match alias {
                        Some(a) => format!("{}.{a}", l[0]),
                        None => l[0].clone(),
                    };
                    if let Some(prev) = self.providers.get(&name) {
                        let at = (prev.file, prev.item.span().map_or(0, |s| s.start));
                        return Err(self.duplicate(
                            "provider configuration",
                            &name,
                            at,
                            (file, here),
                        ));
                    }
                    self.providers.insert(name, Decl { file, item: block });
                }
                "module" => {
                    let l = need(1)?;
                    if let Some(prev) = self.module_calls.get(&l[0]) {
                        let at = (prev.file, prev.item.span().map_or(0, |s| s.start));
                        return Err(self.duplicate("module call", &l[0], at, (file, here)));
                    }
                    self.module_calls
                        .insert(l[0].clone(), Decl { file, item: block });
                }
                "output" => {
                    let l = need(1)?;
                    if let Some(prev) = self.outputs.get(&l[0]) {
                        let at = (prev.file, prev.item.span().map_or(0, |s| s.start));
                        return Err(self.duplicate("output", &l[0], at, (file, here)));
                    }
                    if let Some(v) = block.body.get_attribute("value") {
                        self.outputs.insert(
                            l[0].clone(),
                            Decl {
                                file,
                                item: v.value.clone(),
                            },
                        );
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Terraform's error for a second declaration of one name: at the second, naming the first.
    fn duplicate(
        &self,
        what: &str,
        name: &str,
        first: (usize, usize),
        second: (usize, usize),
    ) -> Error {
        let prev = self.files[first.0].location(first.1);
        Error::input(
            self.files[second.0].location(second.1),
            format!(
                "duplicate {what} `{name}`: it was already declared at {}:{}:{}",
                prev.path, prev.line, prev.column
            ),
        )
    }
}
