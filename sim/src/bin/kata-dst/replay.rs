//! `kata-dst replay`: one run, whatever drove it, shown the same way.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, Result};
use properties::{Catalog, FaultKind};
use runtime_model::Profile;
use serde_json::json;
use sim::corpus::{CaseFile, Expect};
use sim::explore::case::Case;
use sim::replay::{replay as replay_run, Replayed};
use sim::reproduce::{article_command, case_command, file_command};
use sim::scenario::Builtin;

use crate::args::ReplayArgs;
use crate::output::usage;

/// Where the timeline goes: the file, opened before the run so that a place kata-dst
/// cannot write in is refused before any work.
struct TraceOut {
    path: PathBuf,
    file: File,
}

impl TraceOut {
    fn open(path: Option<&Path>) -> Result<Option<TraceOut>> {
        let Some(path) = path else { return Ok(None) };
        match File::create(path) {
            Ok(file) => Ok(Some(TraceOut {
                path: path.to_path_buf(),
                file,
            })),
            Err(e) => usage(format!(
                "--trace-out {}: cannot write it: {e} (valid: a file in a directory that exists and kata-dst can write in)",
                path.display()
            )),
        }
    }

    /// Writes the replay's timeline, named `what` and replayed by `again`.
    fn write(self, r: &Replayed, what: &str, again: &str) -> Result<PathBuf> {
        let run = &r.judged.run;
        let about = json!({
            "tool": "kata-dst",
            "replayed": what,
            "replay": again,
            "trace_hash": format!("{:016x}", run.trace_hash),
            "clock": "simulated node time since the run started",
        });
        let doc = r.trace_events(about).expect("replayed with a timeline");
        let mut out = BufWriter::new(self.file);
        serde_json::to_writer(&mut out, &doc)
            .map_err(std::io::Error::from)
            .and_then(|()| out.flush())
            .map_err(|e| {
                anyhow!(
                    "--trace-out {}: writing the timeline failed: {e} (the report above is whole; free some space and replay again)",
                    self.path.display()
                )
            })?;
        Ok(self.path)
    }
}

pub fn replay(args: ReplayArgs) -> Result<ExitCode> {
    let catalog = Arc::new(Catalog::builtin());
    let trace = TraceOut::open(args.trace_out.as_deref())?;
    let result = replay_with(&args, &catalog, trace);
    if result.is_err() {
        if let Some(path) = &args.trace_out {
            let _ = std::fs::remove_file(path);
        }
    }
    result
}

fn replay_with(
    args: &ReplayArgs,
    catalog: &Arc<Catalog>,
    trace: Option<TraceOut>,
) -> Result<ExitCode> {
    let catalog = catalog.clone();
    let timeline = trace.is_some();
    if let Some(file) = &args.file {
        return replay_file(file, args.profile, args.json, &catalog, trace);
    }
    match (args.profile, args.seed, args.campaign, args.case) {
        (Some(profile), None, Some(campaign), Some(index)) => {
            let generation = args.generation();
            let case = generation.campaign(profile, campaign, 1).case(index);
            let seed = case.madsim_seed;
            let catalog = catalog_for(&case);
            let replayed = replay_run(Arc::new(case), profile, seed, catalog, None, timeline)?;
            let again = case_command(profile, campaign, index, &generation);
            let what = format!("campaign {campaign} case {index}");
            show(&replayed, args.json, &what, &again, None, trace)?;
            Ok(ExitCode::SUCCESS)
        }
        (Some(profile), Some(seed), None, None) => {
            let scenario = args.scenario.unwrap_or(Builtin::Article);
            let replayed = replay_run(
                Arc::new(scenario.scenario()),
                profile,
                seed,
                catalog,
                None,
                timeline,
            )?;
            let again = article_command(scenario, profile, seed);
            let what = format!("scenario {scenario}");
            show(&replayed, args.json, &what, &again, None, trace)?;
            Ok(ExitCode::SUCCESS)
        }
        _ => usage("replay needs a case file, or --profile with --campaign and --case, or --profile with --seed (see kata-dst replay --help)"),
    }
}

/// The built-in catalog, with the sometimes situations of the fault kinds the case
/// injects.
fn catalog_for(case: &Case) -> Arc<Catalog> {
    let mut kinds: Vec<FaultKind> = case.faults.iter().map(|f| f.fault.kind()).collect();
    kinds.sort();
    kinds.dedup();
    Arc::new(Catalog::builtin_with_faults(&kinds))
}

/// How a case file's replay compares with the verdict it records: as JSON, and as text.
struct Record {
    json: serde_json::Value,
    text: String,
}

/// Writes the timeline if asked, then prints the report (or its JSON) and the command
/// that replays it again.
fn show(
    r: &Replayed,
    json: bool,
    what: &str,
    again: &str,
    record: Option<Record>,
    trace: Option<TraceOut>,
) -> Result<()> {
    let trace_out = trace.map(|t| t.write(r, what, again)).transpose()?;
    if json {
        let j = &r.judged;
        let violations: Vec<_> = j
            .judgement
            .violations
            .iter()
            .map(|v| {
                json!({
                    "property": v.property,
                    "contract": v.contract,
                    "explanation": v.explanation,
                    "calls": v.calls,
                    "events": v.events,
                })
            })
            .collect();
        let doc = json!({
            "replayed": what,
            "violations": violations,
            "situations": j.judgement.hits,
            "tally": j.run.tally,
            "calls": j.run.history.calls.len(),
            "events": j.run.history.events.len(),
            "trace_hash": format!("{:016x}", j.run.trace_hash),
            "record": record.map(|r| r.json),
            "replay": again,
            "trace_out": trace_out,
        });
        say!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values serialize")
        );
        return Ok(());
    }
    say!("kata-dst replay: {what}");
    say_raw!("{r}");
    if let Some(record) = record {
        say!("\n{}", record.text);
    }
    if let Some(path) = trace_out {
        say!(
            "timeline: {} (Chrome trace-event JSON in simulated time: open it in ui.perfetto.dev or chrome://tracing)",
            path.display()
        );
    }
    say!("replay again: {again}");
    Ok(())
}

fn replay_file(
    path: &Path,
    profile: Option<Profile>,
    json: bool,
    catalog: &Arc<Catalog>,
    trace: Option<TraceOut>,
) -> Result<ExitCode> {
    let file = match CaseFile::load(path, catalog) {
        Ok(file) => file,
        Err(e) => return usage(e.to_string()),
    };
    let on = profile.unwrap_or(file.found_on);
    let seed = file.case.madsim_seed;
    let replayed = replay_run(
        Arc::new(file.case.clone()),
        on,
        seed,
        catalog_for(&file.case),
        Some(&file.property),
        trace.is_some(),
    )?;
    let got = if replayed
        .judged
        .judgement
        .violation(&file.property)
        .is_some()
    {
        Expect::Violates
    } else {
        Expect::Passes
    };
    let recorded: Vec<String> = file
        .expect
        .iter()
        .map(|(p, e)| format!("{p} {e}"))
        .collect();
    let (code, text) = match file.expect.get(&on) {
        Some(&want) if want == got => (
            ExitCode::SUCCESS,
            format!("as recorded: {} {got} on {on}", file.property),
        ),
        Some(&want) => (
            ExitCode::FAILURE,
            format!(
                "DIFFERS from the record: {} {got} on {on}, recorded {want}",
                file.property
            ),
        ),
        None => (
            ExitCode::SUCCESS,
            format!(
                "{} {got} on {on} (no verdict recorded for it)",
                file.property
            ),
        ),
    };
    let record = Record {
        json: json!({
            "property": file.property,
            "profile": on,
            "verdict": got,
            "recorded": file.expect,
            "as_recorded": code == ExitCode::SUCCESS,
        }),
        text: format!("{text}\nrecorded: {}", recorded.join(", ")),
    };
    let what = format!("{}: {}", path.display(), file.title);
    show(
        &replayed,
        json,
        &what,
        &file_command(path, profile),
        Some(record),
        trace,
    )?;
    Ok(code)
}
