//! drift: compares the desired state (Terraform code and a services manifest) with the live
//! state (AWS and PostgreSQL, or a snapshot of them) and reports the difference.
//!
//! `desired` and `live` read into the canonical `model`; `diff` compares; `report` renders.

pub mod cli;
pub mod config;
pub mod desired;
pub mod diff;
pub mod error;
pub mod live;
pub mod model;
pub mod report;

use clap::Parser;
use cli::{CheckArgs, Cli, ColorChoice, Command, Format};
use config::Config;
use error::{Error, Result};
use model::Family;
use std::io::{IsTerminal, Write};

/// Exit statuses, after `terraform plan -detailed-exitcode`.
pub const EXIT_OK: i32 = 0;
pub const EXIT_ERROR: i32 = 1;
pub const EXIT_DRIFT: i32 = 2;

fn families(only: &[String]) -> Result<Vec<Family>> {
    if only.is_empty() {
        return Ok(Family::ALL.to_vec());
    }
    only.iter()
        .map(|s| {
            Family::parse(s.trim()).ok_or_else(|| {
                Error::Usage(format!(
                    "unknown family `{s}` in --only: use kms, route53 or rds"
                ))
            })
        })
        .collect()
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

fn desired_input(cfg: &Config) -> desired::Input {
    desired::Input {
        terraform: desired::terraform::Input {
            roots: cfg.roots.clone(),
            var_files: cfg.var_files.clone(),
            vars: cfg.vars.clone(),
        },
        manifest: cfg
            .manifest
            .as_ref()
            .map(|p| (p.clone(), desired::terraform::module::display_path(p))),
    }
}

fn live_source(cfg: &Config, flag: Option<&str>) -> Result<live::Source> {
    let chosen = match flag {
        Some(f) => Some(f.to_string()),
        None => cfg.live.clone(),
    };
    match chosen.as_deref() {
        Some("aws") => Ok(live::Source::Aws),
        Some(path) => Ok(live::Source::Snapshot(path.into())),
        None => Err(Error::Usage(format!(
            "no live source: set `live` in `{}` or pass `--live aws|PATH`",
            cfg.path.display()
        ))),
    }
}

fn check(args: &CheckArgs) -> Result<i32> {
    let cfg = Config::load(&args.config)?;
    let fams = families(&args.only)?;
    let source = live_source(&cfg, args.live.as_deref())?;
    let live::Source::Snapshot(path) = &source else {
        return Err(Error::Usage("`--live aws` needs the AWS reader".into()));
    };
    let opened = live::open_snapshot(path)?;
    let env = desired::Env {
        account_id: Some(opened.account_id().to_string()),
        region: Some(opened.snapshot.region.clone()),
    };
    let desired = desired::load(&desired_input(&cfg), &env)?;
    let live_state = opened.state(&fams, &live::Scope::from_desired(&desired));
    let mut report = diff::compare(&desired, &live_state, &fams);
    report.live = report::LiveInfo {
        source: desired::terraform::module::display_path(path),
        account_id: Some(opened.snapshot.account_id.clone()),
        region: Some(opened.snapshot.region.clone()),
        captured_at: Some(opened.snapshot.captured_at.clone()),
    };
    let text = match args.format {
        Format::Human => report::human::render(&report, use_color(args.color)),
        Format::Json => report::json::render(&report),
        Format::Markdown => report::markdown::render(&report),
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (e.g. `| head`) is not an error worth a message.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Ok(if !report.errors.is_empty() {
        EXIT_ERROR
    } else if report.has_drift() {
        EXIT_DRIFT
    } else {
        EXIT_OK
    })
}

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
        Command::Check(a) => check(a),
        Command::Snapshot(_) => Err(Error::Usage("`drift snapshot` needs the AWS reader".into())),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", e.render());
            EXIT_ERROR
        }
    }
}
