//! In-process benchmarks (divan) of the three offline phases of `drift check` on generated
//! estates (`bench/generate.py`, run here with python3): loading and evaluating the code,
//! reading and canonicalizing a snapshot, and comparing the two states. Run with
//! `cargo bench --bench estate`; sizes are records (keys = records / 10, instances =
//! records / 20). BENCHMARKS.md has the figures.

use drift::desired::{self, Env};
use drift::live::{Scope, snapshot::Snapshot};
use drift::model::Family;
use std::path::{Path, PathBuf};

const SIZES: &[usize] = &[1_000, 10_000, 50_000];

fn main() {
    divan::main();
}

/// A generated estate of `records` records, written once per size.
fn estate(records: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("drift-bench-estate-{records}"));
    if !dir.join("snapshot.json").is_file() {
        let spec = format!(
            "{},{records},{},{}",
            records / 10,
            records / 20,
            records / 50 + 2
        );
        let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/generate.py");
        let status = std::process::Command::new("python3")
            .arg(generator)
            .arg(spec)
            .arg(&dir)
            .status()
            .expect("python3 runs bench/generate.py");
        assert!(status.success(), "bench/generate.py failed");
    }
    dir
}

fn input(dir: &Path) -> desired::Input {
    desired::Input {
        terraform: desired::terraform::Input {
            roots: vec![dir.join("tf")],
            ..Default::default()
        },
        manifest: Some((dir.join("services.yaml"), "services.yaml".into())),
    }
}

fn env(snap: &Snapshot) -> Env {
    Env {
        account_id: Some(snap.account_id.clone()),
        region: Some(snap.region.clone()),
        ..Default::default()
    }
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn load_and_evaluate_the_code(bencher: divan::Bencher, records: usize) {
    let dir = estate(records);
    let snap = Snapshot::read(&dir.join("snapshot.json")).expect("snapshot");
    let (input, env) = (input(&dir), env(&snap));
    bencher.bench_local(|| desired::load(&input, &env).expect("code loads"));
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn read_and_canonicalize_the_snapshot(bencher: divan::Bencher, records: usize) {
    let dir = estate(records);
    let snap = Snapshot::read(&dir.join("snapshot.json")).expect("snapshot");
    let desired = desired::load(&input(&dir), &env(&snap)).expect("code loads");
    let scope = Scope::from_desired(&desired);
    bencher.bench_local(|| {
        Snapshot::read(&dir.join("snapshot.json"))
            .expect("snapshot")
            .to_state(&Family::ALL, &scope)
    });
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn compare(bencher: divan::Bencher, records: usize) {
    let dir = estate(records);
    let snap = Snapshot::read(&dir.join("snapshot.json")).expect("snapshot");
    let desired = desired::load(&input(&dir), &env(&snap)).expect("code loads");
    let live = snap.to_state(&Family::ALL, &Scope::from_desired(&desired));
    bencher.bench_local(|| drift::diff::compare(&desired, &live, &Family::ALL));
}
