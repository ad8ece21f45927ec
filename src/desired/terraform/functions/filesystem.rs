//! Filesystem functions, relative to the calling module's directory as terraform resolves
//! them: `file`, `fileexists`, `templatefile`, `dirname`, `basename`.

use super::strings::nfc;
use super::{Ctx, FResult, string_arg};
use crate::desired::terraform::eval::Scope;
use crate::desired::terraform::value::Value;
use std::path::PathBuf;

pub fn call(name: &str, a: &mut [Value], ctx: &Ctx<'_>) -> FResult {
    let arg = string_arg(a, 0)?;
    let path = || -> PathBuf { ctx.base_dir.join(&arg) };
    match name {
        "file" => read(&path()).map(|t| nfc(&t)),
        "fileexists" => Ok(Value::Bool(path().is_file())),
        "dirname" => Ok(Value::string(match arg.rfind('/') {
            Some(0) => "/".to_string(),
            Some(i) => arg[..i].to_string(),
            None => ".".to_string(),
        })),
        "basename" => Ok(Value::string(
            arg.trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string(),
        )),
        "templatefile" => {
            // As in terraform, a template cannot call `templatefile` (so no template can
            // recurse into itself and exhaust the stack).
            if IN_TEMPLATEFILE.with(|t| t.get()) {
                return Err(
                    "cannot recursively call templatefile from inside templatefile call".into(),
                );
            }
            let p = path();
            let text = read(&p)?;
            let template = hcl_edit::parser::parse_template(&text)
                .map_err(|e| format!("`{}`: invalid template: {}", p.display(), e.message()))?;
            let vars = a[1].as_attrs().ok_or_else(|| {
                format!(
                    "argument 2: an object is required, not a {}",
                    a[1].type_name()
                )
            })?;
            let mut scope = Scope::default();
            for (k, v) in vars {
                scope = scope.with(k, v.clone());
            }
            IN_TEMPLATEFILE.with(|t| t.set(true));
            let _leave = LeaveTemplate;
            ctx.instance
                .eval_template_file(&template, &text, &scope, ctx.file)
                .map_err(|e| format!("`{}`: {}", p.display(), e.message))
        }
        other => Err(format!("`{other}` is not a filesystem function")),
    }
}

fn read(path: &std::path::Path) -> Result<String, String> {
    crate::input_file::read_text(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
}

thread_local! {
    /// Whether a `templatefile` call is being evaluated.
    static IN_TEMPLATEFILE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Ends the `templatefile` call when dropped (on every way out of it).
struct LeaveTemplate;

impl Drop for LeaveTemplate {
    fn drop(&mut self) {
        IN_TEMPLATEFILE.with(|t| t.set(false));
    }
}
