//! The `drift` binary: everything happens in the library, on a thread with room for the
//! deepest reference chain the evaluator accepts (`eval::MAX_DEPTH`).

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let code = std::thread::Builder::new()
        .name("drift".into())
        .stack_size(1 << 30)
        .spawn(move || drift::run(args))
        .map(|t| t.join().unwrap_or(drift::EXIT_ERROR))
        .unwrap_or_else(|e| {
            eprintln!("error: cannot start drift's thread: {e}");
            drift::EXIT_ERROR
        });
    std::process::exit(code);
}
