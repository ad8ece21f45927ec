//! drift: compares the desired state (Terraform code and a services manifest) with the live
//! state (AWS and PostgreSQL, or a snapshot of them) and reports the difference.
//!
//! `desired` and `live` read into the canonical `model`; `diff` compares; `report` renders.

mod atomic_file;
pub mod checklist;
pub mod cli;
pub mod clock;
mod commands;
pub mod config;
pub mod desired;
pub mod diff;
pub mod error;
pub mod fleet;
pub mod fuzzing;
pub mod history;
pub mod ignore_rules;
pub mod input_file;
pub mod live;
pub mod model;
pub mod patch;
pub mod report;
pub mod rules;
pub mod secrets;
pub mod state;

use clap::Parser;
use cli::{Cli, Command};

/// Exit statuses, after `terraform plan -detailed-exitcode`.
pub const EXIT_OK: i32 = 0;
pub const EXIT_ERROR: i32 = 1;
pub const EXIT_DRIFT: i32 = 2;

/// Runs drift with these arguments and returns the exit status.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    let result = match &cli.command {
        Command::Check(a) => commands::check(a),
        Command::Snapshot(a) => commands::snapshot(a),
        Command::Report(a) => commands::html_report(a),
        Command::Roots { config } => commands::roots(config),
        Command::Merge(a) => commands::merge(a),
        Command::Completions { shell } => commands::completions(*shell),
        Command::Man { dir } => commands::man(dir.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let text = e.render();
            eprintln!("{}", secrets::redact(&text).unwrap_or(text));
            EXIT_ERROR
        }
    }
}
