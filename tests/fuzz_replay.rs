//! Replays the fuzzers' inputs in CI, where libFuzzer is not needed: every seed
//! (`fuzz/seeds/TARGET/`), every input a fuzzer once failed on (`fuzz/regressions/TARGET/`),
//! and cuts of each seed at several places (broken input is the common case) go through the
//! same entry points as `scripts/fuzz`. Any panic fails the test.

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            let data = std::fs::read(e.path()).expect("read input");
            let name = e.path().display().to_string();
            if dir == "seeds" {
                for cut in [data.len() / 3, data.len() / 2, data.len() * 2 / 3] {
                    out.push((format!("{name} cut at {cut}"), data[..cut].to_vec()));
                }
            }
            out.push((name, data));
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
