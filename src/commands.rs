//! The two commands, end to end: read the desired and the live state, compare, render, and
//! (for `check --patch`) write the patch; `snapshot` captures the live state. Decides the exit
//! status; knows no resource family.

use crate::cli::{CheckArgs, ColorChoice, FailOn, Format, SnapshotArgs};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{self, Family};
use crate::{EXIT_DRIFT, EXIT_ERROR, EXIT_OK, desired, diff, live, patch, report};
use std::io::{IsTerminal, Write};

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
            data_dir: cfg.data_dir.clone(),
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

/// Runs `f`; with `DRIFT_REPORT_TIMINGS` set, says on stderr how long it took (for the
/// benchmarks: each phase's share of a run).
fn timed<T>(phase: &str, f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let out = f();
    if std::env::var_os("DRIFT_REPORT_TIMINGS").is_some() {
        eprintln!(
            "drift: {phase}: {:.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    out
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))
}

/// A spinner on stderr while live reads run, only when stderr is a terminal.
fn progress(message: &str) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.set_message(message.to_string());
    // Draw at once: the reads may be over before the first steady tick.
    bar.tick();
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    Some(bar)
}

/// Reads the desired state, then the live state it scopes: from AWS (the account id first,
/// since the code may depend on it) or from a snapshot.
fn read_both(
    cfg: &Config,
    source: &live::Source,
    fams: &[Family],
    states: &[StateText],
) -> Result<(model::State, live::snapshot::Snapshot, live::Scope)> {
    // What the states record of values AWS computed, for the code that refers to them. A state
    // that cannot be read is reported by the three-way view; here it only gives nothing.
    let mut state_attrs = std::collections::HashMap::new();
    for state in states {
        state_attrs.extend(state.attrs.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    match source {
        live::Source::Snapshot(path) => {
            let snap = timed("read the snapshot", || live::snapshot::Snapshot::read(path))?;
            let zones_by_id = snap
                .route53
                .iter()
                .flat_map(|r| &r.zones)
                .map(|z| {
                    (
                        model::dns::canonical_zone_id(&z.id),
                        (z.name.clone(), z.private_zone),
                    )
                })
                .collect();
            let env = desired::Env {
                account_id: Some(snap.account_id.clone()),
                zones_by_id,
                caller_arn: snap.caller_arn.clone(),
                caller_user_id: snap.caller_user_id.clone(),
                region: Some(snap.region.clone()),
                state_attrs,
                remote_states: snap
                    .remote_states
                    .iter()
                    .map(|(k, v)| (k.clone(), Ok(v.clone())))
                    .collect(),
                ..Default::default()
            };
            let desired = timed("load and evaluate the code", || {
                desired::load(&desired_input(cfg), &env)
            })?;
            let scope = live::Scope::from_desired(&desired);
            Ok((desired, snap, scope))
        }
        live::Source::Aws => {
            let rt = runtime()?;
            let bar = progress("reading live state from AWS");
            let session = rt.block_on(live::aws::Session::load(&cfg.aws))?;
            let identity = rt.block_on(session.identity());
            let ok = identity.as_ref().ok();
            let env = desired::Env {
                account_id: ok.map(|i| i.account.clone()),
                caller_arn: ok.and_then(|i| i.arn.clone()),
                caller_user_id: ok.and_then(|i| i.user_id.clone()),
                region: session.region(),
                state_attrs,
                ..Default::default()
            };
            let mut env = env;
            let mut desired = desired::load(&desired_input(cfg), &env)?;
            let mut failed = Vec::new();
            // Other stacks' states the code reads outputs of: read from S3, and the code is
            // read again with their outputs.
            if !desired.remote_states_wanted.is_empty() {
                for source in desired.remote_states_wanted.clone() {
                    let crate::state::tfstate::Source::S3 {
                        bucket,
                        key,
                        region,
                        path_style,
                    } = &source
                    else {
                        continue;
                    };
                    let display = source.display();
                    let read = rt
                        .block_on(live::aws::s3::get_text(
                            &session,
                            bucket,
                            key,
                            region.as_deref(),
                            *path_style,
                        ))
                        .map_err(|e| format!("cannot read {display}: {}", e.render()))
                        .and_then(|text| crate::state::tfstate::outputs(&text, &display));
                    if let Err(message) = &read {
                        failed.push(model::SourceError {
                            source: "terraform remote state".into(),
                            message: message.clone(),
                        });
                    }
                    env.remote_states.insert(display, read);
                }
                desired = desired::load(&desired_input(cfg), &env)?;
            }
            // Zone ids the code names without declaring the zone: AWS says which zones they
            // are, and the code is read again knowing it.
            if !desired.zone_ids_wanted.is_empty() && fams.contains(&Family::Route53) {
                for id in desired.zone_ids_wanted.clone() {
                    match rt.block_on(live::aws::route53::zone_by_id(&session, &id)) {
                        Ok(Some(zone)) => {
                            env.zones_by_id.insert(id, zone);
                        }
                        // No such zone: the records naming it stay not checked, with why.
                        Ok(None) => {}
                        Err(e) => failed.push(model::SourceError {
                            source: "route53".into(),
                            message: format!("cannot read hosted zone {id}: {e}"),
                        }),
                    }
                }
                desired = desired::load(&desired_input(cfg), &env)?;
            }
            desired.errors.extend(failed);
            let scope = live::Scope::from_desired(&desired);
            let mut snap = rt.block_on(live::capture(
                &session,
                identity,
                &scope,
                fams,
                &cfg.postgres,
                &cfg.mysql,
                cfg.secrets.check_values,
            ));
            snap.remote_states = env
                .remote_states
                .iter()
                .filter_map(|(k, v)| {
                    let outputs = v.as_ref().ok()?;
                    Some((
                        k.clone(),
                        crate::state::tfstate::outputs_without_secrets(outputs),
                    ))
                })
                .collect();
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            if std::env::var_os("DRIFT_REPORT_REQUESTS").is_some() {
                eprintln!(
                    "drift: {} AWS requests",
                    session.requests.load(std::sync::atomic::Ordering::Relaxed)
                );
            }
            Ok((desired, snap, scope))
        }
    }
}

/// A state's name, its text (or why it could not be read), and the attributes it records by
/// resource instance address (read once, for the computed values, the verdicts and the patch).
struct StateText {
    name: String,
    text: Result<String>,
    attrs: crate::state::tfstate::Attributes,
}

/// The states for the three-way view: the files given, else `[terraform] state`, else each
/// root's default (its `backend "s3"` object, its `backend "local"` path, or
/// `terraform.tfstate` when present).
fn state_sources(cfg: &Config, given: &[std::path::PathBuf]) -> Vec<crate::state::tfstate::Source> {
    use crate::state::tfstate::Source;
    if !given.is_empty() {
        given.iter().cloned().map(Source::File).collect()
    } else if cfg.state_off {
        Vec::new()
    } else if !cfg.states.is_empty() {
        cfg.states.iter().cloned().map(Source::File).collect()
    } else {
        cfg.roots
            .iter()
            .filter_map(|r| {
                let ws = crate::state::tfstate::workspace(
                    r,
                    cfg.workspace.as_deref(),
                    cfg.data_dir.as_deref(),
                );
                crate::state::tfstate::default_source(r, &ws)
            })
            .collect()
    }
}

/// Reads each state: a file, or an S3 object (`GetObject`, with the same credentials and
/// endpoint settings as the rest of drift).
fn load_states(cfg: &Config, sources: &[crate::state::tfstate::Source]) -> Result<Vec<StateText>> {
    use crate::state::tfstate::Source;
    let mut aws: Option<(tokio::runtime::Runtime, live::aws::Session)> = None;
    let mut out = Vec::new();
    for source in sources {
        let text = match source {
            Source::File(path) => crate::input_file::read_text(path)
                .map_err(|e| Error::read("Terraform state", path, e)),
            Source::S3 {
                bucket,
                key,
                region,
                path_style,
            } => {
                if aws.is_none() {
                    let rt = runtime()?;
                    let session = rt.block_on(live::aws::Session::load(&cfg.aws))?;
                    aws = Some((rt, session));
                }
                let Some((rt, session)) = &aws else {
                    continue;
                };
                rt.block_on(live::aws::s3::get_text(
                    session,
                    bucket,
                    key,
                    region.as_deref(),
                    *path_style,
                ))
            }
        };
        let attrs = text
            .as_deref()
            .map(crate::state::tfstate::attributes)
            .unwrap_or_default();
        out.push(StateText {
            name: source.display(),
            text,
            attrs,
        });
    }
    Ok(out)
}

/// The states at `paths` as one snapshot of what they record, and an error for each that
/// cannot be read.
fn read_states(
    states: &[StateText],
    snap: &live::snapshot::Snapshot,
    desired: &model::State,
    used_from_state: &std::collections::BTreeSet<String>,
) -> (Option<live::snapshot::Snapshot>, Vec<model::SourceError>) {
    // The code's resources: those it declares objects with, and those whose computed values
    // it took from a state (`aws_lb.web.dns_name` → `aws_lb.web`).
    let declared: std::collections::HashSet<String> = desired
        .items
        .iter()
        .filter_map(|i| i.origin.as_ref()?.address.as_deref())
        .map(crate::state::tfstate::base_address)
        .chain(used_from_state.iter().filter_map(|v| {
            v.rsplit_once('.')
                .map(|(resource, _)| crate::state::tfstate::base_address(resource))
        }))
        .collect();
    let mut read = Vec::new();
    let mut errors = Vec::new();
    for StateText { name, text, attrs } in states {
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                errors.push(model::SourceError {
                    source: "terraform state".into(),
                    message: e.render(),
                });
                continue;
            }
        };
        // A state that records none of this code's resources is another root's: using it would
        // call everything it holds "removed from the code".
        if !attrs.is_empty() && !crate::state::tfstate::describes(attrs, &declared) {
            eprintln!(
                "drift: {name} records none of this code's resources (another root's state?): not used"
            );
            continue;
        }
        match crate::state::tfstate::parse(text, name, &snap.account_id, &snap.region) {
            Ok(s) => read.push(s),
            Err(e) => errors.push(model::SourceError {
                source: "terraform state".into(),
                message: e.render(),
            }),
        }
    }
    let merged = (!read.is_empty())
        .then(|| crate::state::tfstate::merge(read, &snap.account_id, &snap.region));
    (merged, errors)
}

/// `drift roots`: the roots the config reaches, one a line, then those skipped.
pub fn roots(config: &std::path::Path) -> Result<i32> {
    let cfg = Config::load(config)?;
    let list = |s: &std::collections::BTreeSet<String>| {
        if s.is_empty() {
            "-".to_string()
        } else {
            s.iter().cloned().collect::<Vec<_>>().join(",")
        }
    };
    let mut out = String::new();
    for r in &cfg.found_roots.roots {
        let dir = desired::terraform::module::display_path(&r.dir);
        out.push_str(&format!(
            "{}\taccounts: {}\tregions: {}\n",
            report::safe_line(&dir),
            list(&r.accounts),
            list(&r.regions)
        ));
    }
    for (dir, why) in &cfg.found_roots.skipped {
        let dir = desired::terraform::module::display_path(dir);
        out.push_str(&format!(
            "skipped {}: {}\n",
            report::safe_line(&dir),
            report::safe_line(why)
        ));
    }
    print_out(&out)?;
    Ok(EXIT_OK)
}

pub fn snapshot(args: &SnapshotArgs) -> Result<i32> {
    let cfg = Config::load(&args.config)?;
    let fams = families(&args.only)?;
    let sources = if args.with_state {
        state_sources(&cfg, &args.state)
    } else {
        Vec::new()
    };
    let states = load_states(&cfg, &sources)?;
    let (desired, mut snap, _) = read_both(&cfg, &live::Source::Aws, &fams, &states)?;
    let used = desired::terraform::value::take_state_uses();
    let mut state_failed = false;
    if args.with_state {
        if sources.is_empty() {
            return Err(Error::Usage(
                "--with-state: no Terraform state found; pass --state PATH or set [terraform] state"
                    .into(),
            ));
        }
        let (recorded, errors) = read_states(&states, &snap, &desired, &used);
        for e in &errors {
            eprintln!("error: {}: {}", e.source, e.message);
        }
        state_failed = !errors.is_empty();
        snap.state = recorded.map(Box::new);
    }
    match &args.output {
        Some(path) => snap.write(path, &files_read(&cfg, None))?,
        None => {
            let mut text = serde_json::to_string_pretty(&snap).unwrap_or_default();
            text.push('\n');
            print_out(&text)?;
        }
    }
    for e in &snap.errors {
        eprintln!("error: {}: {}", e.source, e.message);
    }
    Ok(if snap.errors.is_empty() && !state_failed {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}

pub fn check(args: &CheckArgs) -> Result<i32> {
    let mut cfg = Config::load(&args.config)?;
    let shard = args.shard.map(|k| narrow_to_shard(&mut cfg, k));
    let fams = families(&args.only)?;
    let source = live_source(&cfg, args.live.as_deref())?;
    let sources = state_sources(&cfg, &args.state);
    let states = load_states(&cfg, &sources)?;
    let (desired, snap, scope) = read_both(&cfg, &source, &fams, &states)?;
    let from_state = desired::terraform::value::take_state_uses();
    let live_state = timed("canonicalize the live state", || {
        snap.to_state(&fams, &scope)
    });
    // The states given, else the one a snapshot embeds (`snapshot --with-state`).
    let (recorded, state_errors) = if states.is_empty() {
        (snap.state.as_deref().cloned(), Vec::new())
    } else {
        read_states(&states, &snap, &desired, &from_state)
    };
    let mut report = timed("compare", || diff::compare(&desired, &live_state, &fams));
    let ctx = crate::rules::Context {
        account: Some(snap.account_id.as_str()).filter(|a| !a.is_empty()),
        region: Some(snap.region.as_str()).filter(|r| !r.is_empty()),
        view: Default::default(),
    };
    let violated = crate::rules::check(&desired, Some(&live_state), &fams, &ctx);
    report.summary.violated += violated.len();
    report.findings.extend(violated);
    // The checklist is not an AWS family: `--only` (a look at some families) leaves it out,
    // unless it names the checklist's own, `secret`.
    let with_checklist = args.only.is_empty() || fams.contains(&Family::Secret);
    if let Some(path) = cfg.manifest.as_ref().filter(|_| with_checklist) {
        let display = desired::terraform::module::display_path(path);
        let secrets_read = fams.contains(&Family::Secret).then_some(&snap);
        let checked = crate::checklist::check(path, &display, secrets_read)?;
        add_checklist(&mut report, checked, &fams, &live_state);
    }
    let now = crate::clock::now();
    crate::ignore_rules::apply(&mut report, &cfg.ignores, now.date());
    report.values_from_state = from_state.into_iter().collect();
    // A state that cannot be read costs the three-way view of what it covers, not the run.
    report.errors.extend(state_errors.iter().cloned());
    report.summary.errors = report.errors.len();
    if let Some(recorded) = &recorded {
        let recorded = recorded.to_state(&fams, &scope);
        let complete = state_errors.is_empty();
        crate::state::three_way::annotate(&mut report, &desired, &live_state, &recorded, complete);
    } else if !state_errors.is_empty() {
        // Reported above; --before-apply then exits 1 with the error.
    } else if args.before_apply {
        return Err(Error::Usage(
            "--before-apply needs the Terraform state: pass --state PATH or set [terraform] state"
                .into(),
        ));
    }
    // From here on every output — reports, history, patch — sees `(sensitive value)`.
    let sensitive = report.redact_secrets();
    if let Some(dir) = &args.history {
        let narrowed = !with_checklist;
        let rows = report.checklist.clone();
        let unchecked =
            |kind: &str, id: &str| not_rechecked(kind, id, &fams, &live_state, &rows, narrowed);
        with_history(&mut report, dir, now, &unchecked);
    }
    report.live = report::LiveInfo {
        source: match &source {
            live::Source::Aws => "aws".into(),
            live::Source::Snapshot(p) => desired::terraform::module::display_path(p),
        },
        account_id: Some(snap.account_id.clone()).filter(|a| !a.is_empty()),
        region: Some(snap.region.clone()).filter(|r| !r.is_empty()),
        captured_at: match source {
            live::Source::Aws => None,
            live::Source::Snapshot(_) => Some(snap.captured_at.clone()),
        },
    };
    report.shard = shard;
    let out = Output {
        format: args.format,
        color: args.color,
        history: args.history.as_deref(),
        keep: cfg.history.keep.unwrap_or(90),
    };
    let stored = publish(&report, &out, now)?;
    if args.write_ignores && !report.findings.is_empty() {
        write_ignores(&cfg.path, &report, &cfg.ignores)?;
    }
    // After the report, so a patch that cannot be written still leaves the report printed.
    if let Some(path) = &args.patch {
        let snapshot = match &source {
            live::Source::Snapshot(p) => Some(p.as_path()),
            live::Source::Aws => None,
        };
        let inputs = files_read(&cfg, snapshot);
        write_patch(path, &report, &sensitive, &desired, &snap, &states, &inputs)?;
    }
    Ok(exit_status(
        &report,
        &args.fail_on,
        args.before_apply,
        stored,
    ))
}

/// Keeps only the roots of `shard` (and the services manifest on shard 1).
fn narrow_to_shard(cfg: &mut Config, shard: crate::fleet::shard::Shard) -> report::ShardInfo {
    let (mine, accounts) = crate::fleet::shard::select(&cfg.found_roots.roots, shard);
    cfg.roots = mine.iter().map(|r| r.dir.clone()).collect();
    if shard.index != 1 {
        cfg.manifest = None;
    }
    report::ShardInfo {
        index: shard.index,
        count: shard.count,
        roots: mine
            .iter()
            .map(|r| desired::terraform::module::display_path(&r.dir))
            .collect(),
        accounts: accounts.into_iter().filter(|a| a != "?").collect(),
    }
}

/// Gives each finding its first sighting and age from the runs stored in `dir`; `unchecked`
/// says which of the last run's findings this run did not look at again, and why. A history
/// that cannot be read costs the report its ages (an error in it), not the report.
fn with_history(
    report: &mut report::Report,
    dir: &std::path::Path,
    now: time::OffsetDateTime,
    unchecked: &dyn Fn(&str, &str) -> Option<String>,
) {
    if let Err(e) = crate::history::annotate(report, dir, now, unchecked) {
        report.errors.push(model::SourceError {
            source: "history".into(),
            message: e.render().trim_start_matches("error: ").to_string(),
        });
        report.summary.errors = report.errors.len();
    }
    for f in &mut report.findings {
        if let (Some(first), Some(new)) = (&f.first_seen, f.new) {
            f.age = Some(crate::history::age(first, new, now));
        }
    }
}

/// How a finished report goes out.
struct Output<'a> {
    format: Format,
    color: ColorChoice,
    history: Option<&'a std::path::Path>,
    keep: usize,
}

/// Prints the report in its format, stores it in the history, and fills the GitHub job
/// summary. Returns whether the history was written (a failure there is an error, exit 1,
/// after the report is out).
fn publish(report: &report::Report, out: &Output<'_>, now: time::OffsetDateTime) -> Result<bool> {
    let text = timed("render", || match out.format {
        Format::Human => report::human::render(report, use_color(out.color)),
        Format::Json => report::json::render(report),
        Format::Markdown => report::markdown::render(report),
        Format::Github => report::github::render(report),
        Format::Sarif => report::sarif::render(report),
    });
    print_out(&text)?;
    let mut stored = true;
    if let Some(dir) = out.history {
        let json = report::json::render(report);
        if let Err(e) = crate::history::store(dir, &json, now, out.keep) {
            eprintln!("{}", e.render());
            stored = false;
        }
    }
    if out.format == Format::Github {
        append_step_summary(report)?;
    }
    Ok(stored)
}

/// 1 for an error (a source, the history), 2 for a finding `--fail-on` names (with
/// `--before-apply`: one `terraform apply` would destroy or revert, or a rule violated in the
/// code or after apply), else 0.
fn exit_status(
    report: &report::Report,
    fail_on: &[FailOn],
    before_apply: bool,
    stored: bool,
) -> i32 {
    let fails = |status: report::Status| {
        fail_on.iter().any(|f| match f {
            FailOn::Changed => status == report::Status::Changed,
            FailOn::Missing => status == report::Status::Missing,
            FailOn::Unmanaged => status == report::Status::Unmanaged,
            FailOn::NotChecked => status == report::Status::NotChecked,
            FailOn::Violated => status == report::Status::Violated,
        })
    };
    // A rule that does not hold in the code or after apply fails the pre-apply gate too.
    let before_apply_rule = |f: &report::Finding| {
        f.rule
            .as_ref()
            .is_some_and(|r| r.places.iter().any(|p| *p != "aws"))
    };
    let gate = |f: &report::Finding| {
        if before_apply {
            f.verdict.is_some_and(crate::state::three_way::destructive)
                || (fail_on.contains(&FailOn::Violated) && before_apply_rule(f))
        } else {
            fails(f.status)
        }
    };
    if !report.errors.is_empty() || !stored {
        EXIT_ERROR
    } else if report.findings.iter().any(gate) {
        EXIT_DRIFT
    } else {
        EXIT_OK
    }
}

/// `drift merge`: the shard reports combined, then reported as `check` reports.
pub fn merge(args: &crate::cli::MergeArgs) -> Result<i32> {
    let inputs = args
        .reports
        .iter()
        .map(|path| {
            let display = desired::terraform::module::display_path(path);
            let text = crate::input_file::read_text(path)
                .map_err(|e| format!("{display}: cannot read it: {e}"));
            crate::fleet::merge::Input { display, text }
        })
        .collect();
    let Some(merged) = crate::fleet::merge::merge(inputs) else {
        return Err(Error::Usage(
            "none of the files given is a shard report (`drift check --shard K/N --format json`)"
                .into(),
        ));
    };
    let mut report = merged.report;
    let now = crate::clock::now();
    if let Some(dir) = &args.history {
        // With a shard missing or failed, what the last run found and this one does not
        // may be in the part not looked at: carried forward, never resolved.
        let why = if !merged.missing.is_empty() {
            Some(format!(
                "shard {} did not report",
                merged.missing.join(", ")
            ))
        } else if !report.errors.is_empty() {
            Some("a shard's read failed".to_string())
        } else {
            None
        };
        let unchecked = |_: &str, _: &str| why.clone();
        with_history(&mut report, dir, now, &unchecked);
    }
    let out = Output {
        format: args.format,
        color: args.color,
        history: args.history.as_deref(),
        keep: args.keep,
    };
    let stored = publish(&report, &out, now)?;
    Ok(exit_status(
        &report,
        &args.fail_on,
        args.before_apply,
        stored,
    ))
}

/// The new-service checklist's findings and table in the report; the database column from
/// the database findings the comparison made.
fn add_checklist(
    report: &mut report::Report,
    checked: crate::checklist::Checked,
    fams: &[Family],
    live: &model::State,
) {
    use report::Cell;
    let s = &mut report.summary;
    s.in_sync += checked.in_sync;
    for f in &checked.findings {
        s.count(f.status);
    }
    let databases_read = fams.contains(&Family::Rds) && !live.failed.contains(&Family::Rds);
    let mut rows = checked.rows;
    for row in &mut rows {
        if row.items.contains_key("database") {
            continue;
        }
        let id = checked.databases.get(&row.service);
        let finding = report.findings.iter().find(|f| {
            matches!(
                f.kind,
                model::Kind::PostgresDatabase | model::Kind::MysqlDatabase
            ) && Some(&f.id) == id
        });
        let cell = match finding {
            Some(f) => Cell::from_status(f.status),
            None if databases_read => Cell::InSync,
            None => Cell::NotChecked,
        };
        row.items.insert("database", cell);
    }
    report.findings.extend(checked.findings);
    report.errors.extend(checked.errors);
    report.summary.errors = report.errors.len();
    report.checklist = rows;
}

/// `--write-ignores`: adds a TODO entry per finding to drift.toml — the file a symlink points
/// to, in the style the file uses, with its mode and owner kept; a read-only file is refused.
fn write_ignores(
    path: &std::path::Path,
    report: &report::Report,
    existing: &[crate::config::IgnoreRule],
) -> Result<()> {
    let target = std::fs::canonicalize(path).map_err(|e| Error::read("config file", path, e))?;
    let text = crate::input_file::read_text(&target)
        .map_err(|e| Error::read("config file", &target, e))?;
    let (text, added) =
        crate::ignore_rules::add_entries(&text, report, existing).map_err(|message| {
            Error::Invalid {
                path: target.display().to_string(),
                message,
            }
        })?;
    crate::atomic_file::replace_keeping(&target, text.as_bytes())?;
    eprintln!(
        "drift: added {added} ignore entries with reason \"TODO\" to {}; they ignore nothing until each says why",
        path.display()
    );
    Ok(())
}

/// Why this run did not look again at the object a previous run reported as (`kind`, `id`):
/// its family was left out by `--only`, or its read (or its zone's, its instance's) failed.
/// `None` when it did look.
fn not_rechecked(
    kind: &str,
    id: &str,
    fams: &[model::Family],
    live: &model::State,
    checklist: &[report::ChecklistRow],
    narrowed: bool,
) -> Option<String> {
    let kind = model::Kind::parse(kind)?;
    match kind {
        model::Kind::ServiceChecklist => {
            if narrowed {
                return Some("--only left out the service checklist".into());
            }
            // An item whose file could not be read this run was not looked at again.
            let (service, item) = id.rsplit_once('/')?;
            let errored = checklist
                .iter()
                .any(|r| r.service == service && r.items.get(item) == Some(&report::Cell::Error));
            return errored.then(|| "its file could not be read".into());
        }
        model::Kind::Rule => {
            let rule = crate::rules::RULES
                .iter()
                .find(|r| id.starts_with(&format!("{}/", r.name)))?;
            return rule.families.iter().find_map(|f| {
                if !fams.contains(f) {
                    Some(format!("--only left out {f}"))
                } else if live.failed.contains(f) {
                    Some(format!("the {f} read failed"))
                } else {
                    None
                }
            });
        }
        _ => {}
    }
    let family = kind.family()?;
    if !fams.contains(&family) {
        return Some(format!("--only left out {family}"));
    }
    if live.failed.contains(&family) {
        return Some(format!("the {family} read failed"));
    }
    live.failed_scopes
        .iter()
        .find(|(k, scope)| *k == kind && model::in_scope(kind, id, scope))
        .map(|(_, scope)| format!("the read of {scope} failed"))
}

/// In a GitHub Actions job (`GITHUB_STEP_SUMMARY` set), appends the Markdown report to the
/// job's summary page. GitHub owns that file and reads it after the step: appended, as its
/// documentation asks, not replaced.
fn append_step_summary(report: &report::Report) -> Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let err = |source| Error::Write {
        path: std::path::Path::new(&path).display().to_string(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(err)?;
    f.write_all(report::markdown::render(report).as_bytes())
        .and_then(|_| f.flush())
        .map_err(err)
}

/// `drift report`: the self-contained HTML page of the stored runs.
pub fn html_report(args: &crate::cli::ReportArgs) -> Result<i32> {
    let stored = crate::history::stored_reports(&args.history)?;
    if stored.is_empty() {
        return Err(Error::Usage(format!(
            "no runs stored in `{}`: run `drift check --history {}` first",
            args.history.display(),
            args.history.display()
        )));
    }
    let inputs: Vec<std::path::PathBuf> = stored.iter().map(|(p, _, _)| p.clone()).collect();
    let runs: Vec<_> = stored.into_iter().map(|(_, at, j)| (at, j)).collect();
    let page = report::html::render(&runs);
    crate::atomic_file::write(&args.output, page.as_bytes(), &inputs)?;
    eprintln!(
        "drift: wrote {} ({} runs)",
        args.output.display(),
        runs.len()
    );
    Ok(EXIT_OK)
}

/// `drift completions SHELL`: the completion script, generated from the clap definitions.
pub fn completions(shell: clap_complete::Shell) -> Result<i32> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::Cli::command(), "drift", &mut out);
    print_out(&String::from_utf8_lossy(&out))?;
    Ok(EXIT_OK)
}

/// `drift man`: the manual page (roff), generated from the clap definitions, on stdout; with
/// a directory, a page for drift and one per command (`drift-check.1`, …), each listing its
/// options with the same help text as `--help`, so every page `SEE ALSO` names exists.
pub fn man(dir: Option<&std::path::Path>) -> Result<i32> {
    use clap::CommandFactory;
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::Write {
            path: dir.display().to_string(),
            source: e,
        })?;
        let mut root = crate::cli::Cli::command().disable_help_subcommand(true);
        root.build();
        let mut pages = vec![root.clone()];
        pages.extend(root.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
        for cmd in pages {
            let man = clap_mangen::Man::new(cmd);
            let path = dir.join(man.get_filename());
            let mut page = Vec::new();
            man.render(&mut page).map_err(|e| Error::Write {
                path: path.display().to_string(),
                source: e,
            })?;
            crate::atomic_file::write(&path, &page, &[])?;
            eprintln!("drift: wrote {}", path.display());
        }
        return Ok(EXIT_OK);
    }
    let mut out = Vec::new();
    clap_mangen::Man::new(crate::cli::Cli::command())
        .render(&mut out)
        .map_err(|e| Error::Write {
            path: "standard output".into(),
            source: e,
        })?;
    print_out(&String::from_utf8_lossy(&out))?;
    Ok(EXIT_OK)
}

/// Writes to standard output. A closed pipe (`| head`) is no error worth a message; any other
/// failure (a full disk behind `>`) is an error, so a report is never silently lost.
fn print_out(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Write {
            path: "standard output".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Every file this run read: the config, the snapshot, the manifest, the Terraform code and
/// variable files. drift never writes over one of them.
fn files_read(cfg: &Config, snapshot: Option<&std::path::Path>) -> Vec<std::path::PathBuf> {
    let mut out = vec![cfg.path.clone()];
    out.extend(snapshot.map(std::path::Path::to_path_buf));
    out.extend(cfg.manifest.clone());
    out.extend(cfg.var_files.iter().cloned());
    out.extend(desired::terraform::files_read());
    out
}

/// Writes the Terraform patch and lists on stderr the findings it does not cover.
fn write_patch(
    path: &std::path::Path,
    report: &report::Report,
    sensitive: &std::collections::BTreeSet<(model::Kind, String)>,
    desired: &model::State,
    snap: &live::snapshot::Snapshot,
    states: &[StateText],
    inputs: &[std::path::PathBuf],
) -> Result<()> {
    // A sensitive value is never written into the code, and a declaration an override
    // file changes is the override's to change.
    let overridden = crate::desired::terraform::overridden();
    let mut patchable = report.clone();
    patchable.findings.retain(|f| {
        let why = if sensitive.contains(&(f.kind, f.id.clone())) {
            Some("it carries a sensitive value".to_string())
        } else {
            f.origin
                .as_ref()
                .filter(|o| overridden.contains(&(o.file.clone(), o.line)))
                .map(|o| {
                    format!(
                        "an override file changes its declaration at {}:{}; change it there by hand",
                        o.file, o.line
                    )
                })
        };
        if let Some(why) = &why {
            eprintln!(
                "drift: not in the patch: {} \"{}\": {why}",
                f.kind,
                crate::report::safe_line(&f.id)
            );
        }
        why.is_none()
    });
    let report = &patchable;
    let zone_ids = snap
        .route53
        .iter()
        .flat_map(|r| &r.zones)
        .map(|z| {
            (
                model::dns::in_account(
                    &model::dns::zone_scope(&model::dns::canonical_name(&z.name), z.private_zone),
                    z.account.as_deref(),
                ),
                model::dns::canonical_zone_id(&z.id),
            )
        })
        .collect();
    let state_records = states
        .iter()
        .flat_map(|state| crate::state::tfstate::record_addresses(&state.attrs))
        .collect();
    let ctx = patch::Context {
        desired,
        zone_ids,
        state_records,
    };
    let built = patch::build(report, &ctx);
    crate::atomic_file::write(path, built.unified_diff().as_bytes(), inputs)?;
    eprintln!(
        "drift: wrote {} ({} finding(s) in {} file(s))",
        path.display(),
        built.covered.len(),
        built.files.len()
    );
    for s in &built.skipped {
        eprintln!(
            "drift: not in the patch: {} \"{}\": {}",
            s.kind, s.id, s.reason
        );
    }
    Ok(())
}
