//! `kata-dst replay`: one run, whatever drove it, shown the same way.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use properties::Catalog;
use runtime_model::Profile;
use serde_json::json;
use sim::corpus::{CaseFile, Expect};
use sim::explore::case::Case;
use sim::replay::{replay as replay_run, Replayed};
use sim::reproduce::{article_command, case_command, file_command};
use sim::scenario::Builtin;

use crate::args::ReplayArgs;
use crate::output::usage;

pub fn replay(args: ReplayArgs) -> Result<ExitCode> {
    let catalog = Arc::new(Catalog::builtin());
    if let Some(file) = &args.file {
        return replay_file(file, args.profile, args.json, &catalog);
    }
    match (args.profile, args.seed, args.campaign, args.case) {
        (Some(profile), None, Some(campaign), Some(index)) => {
            let generation = args.generation();
            let case = generation.campaign(profile, campaign, 1).case(index);
            let seed = case.madsim_seed;
            let catalog = catalog_for(&case);
            let replayed = replay_run(Arc::new(case), profile, seed, catalog, None)?;
            let again = case_command(profile, campaign, index, &generation);
            show(&replayed, args.json, &format!("campaign {campaign} case {index}"), &again, None);
            Ok(ExitCode::SUCCESS)
        }
        (Some(profile), Some(seed), None, None) => {
            let scenario = args.scenario.unwrap_or(Builtin::Article);
            let replayed = replay_run(Arc::new(scenario.scenario()), profile, seed, catalog, None)?;
            let again = article_command(scenario, profile, seed);
            show(&replayed, args.json, &format!("scenario {scenario}"), &again, None);
            Ok(ExitCode::SUCCESS)
        }
        _ => usage("replay needs a case file, or --profile with --campaign and --case, or --profile with --seed (see kata-dst replay --help)"),
    }
}

/// The built-in catalog, with the failure paths' sometimes situations for a case with
/// faults.
fn catalog_for(case: &Case) -> Arc<Catalog> {
    Arc::new(if case.faults.is_empty() {
        Catalog::builtin()
    } else {
        Catalog::builtin_with_faults()
    })
}

/// How a case file's replay compares with the verdict it records: as JSON, and as text.
struct Record {
    json: serde_json::Value,
    text: String,
}

/// Prints the report (or its JSON) and the command that replays it again.
fn show(r: &Replayed, json: bool, what: &str, again: &str, record: Option<Record>) {
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
        });
        say!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values serialize")
        );
        return;
    }
    say!("kata-dst replay: {what}");
    say_raw!("{r}");
    if let Some(record) = record {
        say!("\n{}", record.text);
    }
    say!("replay again: {again}");
}

fn replay_file(
    path: &Path,
    profile: Option<Profile>,
    json: bool,
    catalog: &Arc<Catalog>,
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
    );
    Ok(code)
}
