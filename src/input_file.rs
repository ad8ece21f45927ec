//! Reading the files drift takes as input (`.tf`, `.tfvars`, the manifest, the snapshot, the
//! config, module manifests, `file()`): only regular files (a FIFO would block, a dangling or
//! looping link is an error naming the path, as in terraform), at most `MAX_BYTES`, UTF-8 with
//! an optional byte-order mark (terraform accepts one).
//!
//! Knows nothing of what the files mean.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// The largest input file read (Terraform files, snapshots and manifests are far smaller).
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Reads `path` as text; `what` names it in errors ("Terraform file", "snapshot").
pub fn read(what: &'static str, path: &Path) -> Result<String> {
    read_text(path).map_err(|e| Error::read(what, path, e))
}

/// The same, with the error as an `io::Error` (for callers with their own error shape).
pub fn read_text(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (drift reads only regular files)",
        ));
    }
    if meta.len() > MAX_BYTES {
        return Err(std::io::Error::other(format!(
            "the file has {} bytes; drift reads at most {MAX_BYTES}",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)?
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(std::io::Error::other(format!(
            "the file grew past {MAX_BYTES} bytes while being read"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| std::io::Error::other(format!("not UTF-8 text: {e}")))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}
