//! The `drift` binary: everything happens in the library.

fn main() {
    std::process::exit(drift::run(std::env::args_os()));
}
