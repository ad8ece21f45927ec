//! The command line (clap definitions). Parsing only: `lib.rs` runs what is asked.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Tells whether what runs in AWS still matches the Terraform code and the services manifest.
///
/// Exit status: 0 no drift, 2 drift found, 1 error (a run where a source failed exits 1 even if
/// it also found drift).
#[derive(Debug, Parser)]
#[command(
    name = "drift",
    version,
    about,
    long_about = None,
    after_help = "Exit status: 0 no drift, 2 drift found, 1 error (also when a source failed)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare the desired state with the live state and report the difference.
    Check(CheckArgs),
    /// Capture the live state that `check` would read into a snapshot file.
    Snapshot(SnapshotArgs),
    /// Write the HTML report of the runs stored by `check --history DIR`.
    Report(ReportArgs),
    /// List the Terraform roots the config's `roots` entries (directories or globs such as
    /// `terraform/**`) reach, with the accounts and regions their AWS providers name, and
    /// those skipped with why.
    Roots {
        /// The config file.
        #[arg(short = 'c', long = "config", default_value = "drift.toml")]
        config: PathBuf,
    },
    /// Combine the JSON reports of `check --shard K/N` into one report (every format,
    /// `--history` and `--fail-on` work on it). A shard without a report, a file that is not
    /// a shard report, or two reports for one shard is an error (exit 1) that names it.
    Merge(MergeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell) on stdout.
    Completions { shell: clap_complete::Shell },
    /// Print drift's manual page (roff) on stdout: `drift man > drift.1`; with `--dir DIR`,
    /// write a page for drift and one for each command (`drift-check.1`, …) into DIR.
    Man {
        /// Write every page (drift.1, drift-check.1, …) into this directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

/// A finding status `--fail-on` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum FailOn {
    Changed,
    Missing,
    Unmanaged,
    NotChecked,
    /// A cross-resource rule that does not hold (with `--before-apply`: one that does not hold
    /// in the code or after apply; one failing only in AWS is the nightly report's).
    Violated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Markdown,
    /// GitHub Actions workflow commands (and the Markdown report appended to
    /// `$GITHUB_STEP_SUMMARY` when it is set).
    Github,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The config file.
    #[arg(short = 'c', long = "config", default_value = "drift.toml")]
    pub config: PathBuf,
    /// Where the live state comes from: `aws`, or a snapshot file (overrides `live` in the config).
    #[arg(long)]
    pub live: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to color the human report (`auto`: only on a terminal and without NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Check only these families (comma-separated: kms, route53, rds, secret, cloudfront, s3, elb).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Also write a Terraform patch that makes the code describe what is live.
    #[arg(long)]
    pub patch: Option<PathBuf>,
    /// Which finding statuses make the exit status 2 (comma-separated). Errors always exit 1.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_values_t = [FailOn::Changed, FailOn::Missing, FailOn::Unmanaged, FailOn::Violated]
    )]
    pub fail_on: Vec<FailOn>,
    /// Keep each run's report in DIR and tell what is new, how long each finding has
    /// drifted, and what was resolved since the last run.
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// A Terraform state to compare with too (format 4; repeatable). Default: `[terraform]
    /// state` in the config, else each root's `terraform.tfstate` when there is one.
    #[arg(long, value_name = "PATH")]
    pub state: Vec<PathBuf>,
    /// Exit 2 only for what `terraform apply` would destroy or revert (changes made in AWS,
    /// objects removed from the code); needs a Terraform state.
    #[arg(long)]
    pub before_apply: bool,
    /// Append an `[[ignore]]` entry (reason "TODO") to the config for each current finding.
    #[arg(long)]
    pub write_ignores: bool,
    /// Check only the K-th of N parts of the roots (`2/4`; by account, then root: roots that
    /// share an account stay in one part; the services manifest is part 1's). With `--format
    /// json` the report says which part it is, for `drift merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::fleet::shard::Shard>,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shard reports (`check --shard K/N --format json`), in any order.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to color the human report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Which finding statuses make the exit status 2 (as for `check`).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_values_t = [FailOn::Changed, FailOn::Missing, FailOn::Unmanaged, FailOn::Violated]
    )]
    pub fail_on: Vec<FailOn>,
    /// Exit 2 only for what `terraform apply` would destroy or revert (the shards must have
    /// read a Terraform state).
    #[arg(long)]
    pub before_apply: bool,
    /// Keep the merged report in DIR, as `check --history` does.
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// How many runs the history keeps (as `[history] keep`).
    #[arg(long, default_value_t = 90)]
    pub keep: usize,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The history directory `check --history` writes.
    #[arg(long, value_name = "DIR")]
    pub history: PathBuf,
    /// Where to write the page.
    #[arg(short = 'o', long = "output", default_value = "report.html")]
    pub output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    /// The config file.
    #[arg(short = 'c', long = "config", default_value = "drift.toml")]
    pub config: PathBuf,
    /// Where to write the snapshot (default: standard output).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Capture only these families (comma-separated: kms, route53, rds, secret, cloudfront, s3, elb).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Embed what the Terraform state records, so `check --live FILE` gives the three-way
    /// report offline.
    #[arg(long)]
    pub with_state: bool,
    /// The Terraform state to embed (default as for `check`).
    #[arg(long, value_name = "PATH")]
    pub state: Vec<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn only_takes_a_comma_list() {
        let cli = Cli::parse_from(["drift", "check", "--only", "kms,rds"]);
        let Command::Check(a) = cli.command else {
            panic!("not check")
        };
        assert_eq!(a.only, vec!["kms", "rds"]);
        assert_eq!(a.format, Format::Human);
        assert_eq!(
            a.fail_on,
            vec![
                FailOn::Changed,
                FailOn::Missing,
                FailOn::Unmanaged,
                FailOn::Violated
            ]
        );
    }

    #[test]
    fn fail_on_takes_statuses() {
        let cli = Cli::parse_from(["drift", "check", "--fail-on", "missing,not_checked"]);
        let Command::Check(a) = cli.command else {
            panic!("not check")
        };
        assert_eq!(a.fail_on, vec![FailOn::Missing, FailOn::NotChecked]);
        assert!(Cli::try_parse_from(["drift", "check", "--fail-on", "drifted"]).is_err());
    }
}
