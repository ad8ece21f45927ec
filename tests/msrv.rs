//! The minimum Rust version, checked: `rust-version` in Cargo.toml is at least what every
//! locked dependency declares (so a toolchain that satisfies it builds the lock file), the
//! README states the same version, and the toolchain running the tests meets it.

use crate::support::repo;

/// `1.94.1` → (1, 94, 1); a missing patch is 0.
fn version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.trim().split('.').map(|p| {
        p.parse::<u64>()
            .unwrap_or_else(|_| panic!("not a version: {text}"))
    });
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

#[test]
fn rust_version_covers_every_locked_dependency_and_the_readme_says_it() {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).expect("Cargo.toml"))
            .expect("Cargo.toml parses");
    let ours = manifest["package"]["rust-version"]
        .as_str()
        .expect("rust-version is set")
        .to_string();
    let metadata = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(repo())
        .output()
        .expect("cargo metadata");
    assert!(
        metadata.status.success(),
        "{}",
        String::from_utf8_lossy(&metadata.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&metadata.stdout).expect("metadata");
    let mut needs: Vec<(String, String)> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| {
            let rv = p["rust_version"].as_str()?;
            (version(rv) > version(&ours)).then(|| {
                (
                    format!("{} {}", p["name"].as_str().unwrap_or("?"), p["version"]),
                    rv.to_string(),
                )
            })
        })
        .collect();
    needs.sort();
    assert!(
        needs.is_empty(),
        "rust-version {ours} is below what locked dependencies need: {needs:?}"
    );
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    assert!(
        readme.contains(&format!("drift needs Rust {ours} or newer")),
        "the README must state the minimum Rust version {ours}"
    );
    let rustc = std::process::Command::new(std::env::var("RUSTC").unwrap_or("rustc".into()))
        .arg("--version")
        .output()
        .expect("rustc --version");
    let text = String::from_utf8_lossy(&rustc.stdout);
    let running = text.split_whitespace().nth(1).expect("rustc version");
    let running = running.split('-').next().unwrap_or(running);
    assert!(
        version(running) >= version(&ours),
        "this toolchain ({running}) is older than rust-version {ours}"
    );
}
