//! Replays the fuzzers' inputs in CI, where libFuzzer is not needed: the repository's own
//! examples (`desired/**/*.tf`, `snapshots/*.json`), every seed (`fuzz/seeds/TARGET/`), every
//! input a fuzzer once failed on (`fuzz/regressions/TARGET/`), and cuts of each example and
//! seed at several places (broken input is the common case) go through the same entry points
//! as `scripts/fuzz`. Any panic fails the test.

use std::path::Path;

/// The repository's example files for a target (they seed the fuzzers too).
fn examples(target: &str) -> Vec<std::path::PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (dir, ext) = match target {
        "terraform" => (repo.join("desired"), "tf"),
        "snapshot" => (repo.join("snapshots"), "json"),
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out
}

/// An input and cuts of it at a third, a half and two thirds.
fn with_cuts(name: &str, data: Vec<u8>, out: &mut Vec<(String, Vec<u8>)>) {
    for cut in [data.len() / 3, data.len() / 2, data.len() * 2 / 3] {
        out.push((format!("{name} cut at {cut}"), data[..cut].to_vec()));
    }
    out.push((name.to_string(), data));
}

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for p in examples(target) {
        let data = std::fs::read(&p).expect("read example");
        with_cuts(&p.display().to_string(), data, &mut out);
    }
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            let data = std::fs::read(e.path()).expect("read input");
            let name = e.path().display().to_string();
            if dir == "seeds" {
                with_cuts(&name, data, &mut out);
            } else {
                out.push((name, data));
            }
        }
    }
    out
}

/// A fuzz target's name and entry point.
type Target = (&'static str, fn(&[u8]));

#[test]
fn fuzz_inputs_never_panic() {
    let targets: [Target; 3] = [
        ("terraform", drift::fuzzing::terraform),
        ("policy", drift::fuzzing::policy),
        ("snapshot", drift::fuzzing::snapshot),
    ];
    for (target, run) in targets {
        let all = inputs(target);
        assert!(!all.is_empty(), "no inputs for {target}");
        for (name, data) in all {
            let result = std::panic::catch_unwind(|| run(&data));
            assert!(result.is_ok(), "{target} panicked on {name}");
        }
    }
}
