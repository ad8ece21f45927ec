//! Writing the files drift produces (`snapshot -o`, `--patch`, history runs, the one edit of
//! drift.toml `--write-ignores` makes) so that no reader ever sees a partial file and a
//! failure leaves the old one intact: write a temporary file beside the target, flush it to
//! disk, then rename it over the target — or link it in under a name no other run has
//! (`create_new`), or replace the user's file keeping its mode and owner (`replace_keeping`).
//! Also refuses to write over a file drift read in the same run (a `.tf`, the snapshot, the
//! config).
//!
//! Knows nothing of what is written.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The folder of `path`, and a fresh temporary file name in it (hidden, named after `path`,
/// the process and a counter).
fn temporary_beside(path: &Path) -> (PathBuf, PathBuf) {
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
    (dir, tmp)
}

/// Writes `contents` to `path` atomically; `inputs` are the files read in this run, which are
/// never overwritten.
pub fn write(path: &Path, contents: &[u8], inputs: &[PathBuf]) -> Result<()> {
    let err = |source: std::io::Error| Error::Write {
        path: path.display().to_string(),
        source,
    };
    if let Ok(target) = path.canonicalize()
        && inputs
            .iter()
            .filter_map(|i| i.canonicalize().ok())
            .any(|i| i == target)
    {
        return Err(err(std::io::Error::other(
            "drift read this file in this run; refusing to write over it",
        )));
    }
    stage(path, contents, |_| Ok(()), |tmp| std::fs::rename(tmp, path)).map_err(err)
}

/// Writes `contents` to a temporary file beside `path`, lets `prepare` set it up, flushes it
/// to disk, then lets `install` put it in place (rename, link); the folder's entry reaches the
/// disk too (best effort). The temporary file never outlives the call.
fn stage(
    path: &Path,
    contents: &[u8],
    prepare: impl FnOnce(&std::fs::File) -> std::io::Result<()>,
    install: impl FnOnce(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let (dir, tmp) = temporary_beside(path);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(contents)?;
        prepare(&f)?;
        f.sync_all()?;
        install(&tmp)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

/// Creates `path` with `contents`, complete or not at all, and never over an existing file:
/// the contents go to a temporary file beside it, reach the disk, and are then linked in
/// under `path`, which fails with `AlreadyExists` if another writer got there first. Where the
/// file system has no hard links, the temporary file is renamed when `path` does not exist.
pub fn create_new(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    stage(
        path,
        contents,
        |_| Ok(()),
        |tmp| match std::fs::hard_link(tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
            Err(_) if !path.exists() => std::fs::rename(tmp, path),
            Err(e) => Err(e),
        },
    )
}

/// Replaces the existing file `path` (already resolved through any symlink) with `contents`,
/// atomically, keeping its permission bits and its owner and group: the one edit drift makes
/// to a file of the user's (`--write-ignores` on drift.toml). A read-only file is refused, not
/// replaced by a writable one.
pub fn replace_keeping(path: &Path, contents: &[u8]) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let err = |source: std::io::Error| Error::Write {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(err)?;
    if meta.permissions().readonly() {
        return Err(err(std::io::Error::other(format!(
            "the file is read-only (mode {:o}): drift does not replace it; make it writable or edit it by hand",
            meta.mode() & 0o7777
        ))));
    }
    let prepare = |f: &std::fs::File| {
        f.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        let own = f.metadata()?;
        if meta.uid() != own.uid() || meta.gid() != own.gid() {
            std::os::unix::fs::fchown(f, Some(meta.uid()), Some(meta.gid())).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "cannot keep its owner {}:{} ({e}); run drift as that user",
                        meta.uid(),
                        meta.gid()
                    ),
                )
            })?;
        }
        Ok(())
    };
    stage(path, contents, prepare, |tmp| std::fs::rename(tmp, path)).map_err(err)
}
