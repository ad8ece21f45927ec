//! Writing the files drift produces (`snapshot -o`, `--patch`) so that no reader ever sees a
//! partial file and a failure leaves the old one intact: write a temporary file beside the
//! target, flush it to disk, then rename it over the target. Also refuses to write over a
//! file drift read in the same run (a `.tf`, the snapshot, the config).
//!
//! Knows nothing of what is written.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes `contents` to `path` atomically; `inputs` are the files read in this run, which are
/// never overwritten.
pub fn write(path: &Path, contents: &[u8], inputs: &[PathBuf]) -> Result<()> {
    let err = |source: std::io::Error| Error::Write {
        path: path.display().to_string(),
        source,
    };
    if let Ok(target) = path.canonicalize() {
        if inputs
            .iter()
            .filter_map(|i| i.canonicalize().ok())
            .any(|i| i == target)
        {
            return Err(err(std::io::Error::other(
                "drift read this file in this run; refusing to write over it",
            )));
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp = dir.join(format!(
        ".{name}.drift-{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself reaches the disk with the directory (best effort).
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}
