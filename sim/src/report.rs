//! The per-profile summary of a batch of article seeds, as a table or as JSON.

use serde::Serialize;

use crate::runner::SeedRun;

/// One profile's line of the summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProfileSummary {
    pub profile: String,
    pub seeds: u64,
    pub seeds_with_errors: u64,
    pub errors: u64,
    pub warnings: u64,
    pub first_failing_seed: Option<u64>,
    /// The one command that replays the first failing seed.
    pub replay: Option<String>,
}

/// The command that replays `seed` of `profile`.
pub fn replay_command(profile: &str, seed: u64) -> String {
    format!("cargo run --release -- replay --profile {profile} --seed {seed}")
}

/// The command that replays case `index` of generated campaign `campaign` on `profile`
/// (generated with direct shim calls unless `tasks_only`).
pub fn case_replay_command(profile: &str, campaign: u64, index: u64, tasks_only: bool) -> String {
    let flag = if tasks_only { " --tasks-only" } else { "" };
    format!(
        "cargo run --release -- replay --profile {profile} --campaign {campaign} --case {index}{flag}"
    )
}

/// The command that replays a seed file.
pub fn file_replay_command(path: &std::path::Path) -> String {
    format!("cargo run --release -- replay {}", path.display())
}

/// Summarises the runs of one profile (in seed order).
pub fn summarize(profile: &str, runs: &[SeedRun]) -> ProfileSummary {
    let failing: Vec<&SeedRun> = runs.iter().filter(|r| r.errors > 0).collect();
    let first = failing.iter().map(|r| r.seed).min();
    ProfileSummary {
        profile: profile.to_string(),
        seeds: runs.len() as u64,
        seeds_with_errors: failing.len() as u64,
        errors: runs.iter().map(|r| r.errors).sum(),
        warnings: runs.iter().map(|r| r.warnings).sum(),
        first_failing_seed: first,
        replay: first.map(|s| replay_command(profile, s)),
    }
}

/// The summaries as an aligned text table.
pub fn table(rows: &[ProfileSummary]) -> String {
    let mut out = format!(
        "{:<17} {:>6} {:>16} {:>7} {:>9} {:>19}  {}\n",
        "profile", "seeds", "seeds w/ errors", "errors", "warnings", "first failing seed", "replay"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<17} {:>6} {:>16} {:>7} {:>9} {:>19}  {}\n",
            r.profile,
            r.seeds,
            r.seeds_with_errors,
            r.errors,
            r.warnings,
            r.first_failing_seed
                .map_or("-".to_string(), |s| s.to_string()),
            r.replay.as_deref().unwrap_or("-"),
        ));
    }
    out
}

/// The summaries as one JSON document (an array of objects).
pub fn json(rows: &[ProfileSummary]) -> String {
    #[derive(Serialize)]
    struct Row<'a> {
        profile: &'a str,
        seeds: u64,
        seeds_with_errors: u64,
        errors: u64,
        warnings: u64,
        first_failing_seed: Option<u64>,
        replay: Option<&'a str>,
    }
    let rows: Vec<Row<'_>> = rows
        .iter()
        .map(|r| Row {
            profile: &r.profile,
            seeds: r.seeds,
            seeds_with_errors: r.seeds_with_errors,
            errors: r.errors,
            warnings: r.warnings,
            first_failing_seed: r.first_failing_seed,
            replay: r.replay.as_deref(),
        })
        .collect();
    serde_json::to_string_pretty(&rows).expect("summaries always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn run(seed: u64, errors: u64, warnings: u64) -> SeedRun {
        SeedRun {
            profile: "rs-3.24".into(),
            seed,
            errors,
            warnings,
            rpcs: 1,
            events: 0,
            trace_hash: seed,
            sim_time: Duration::from_secs(1),
            first_error: None,
        }
    }

    #[test]
    fn summary_counts_failing_seeds_and_names_the_first() {
        let s = summarize("rs-3.24", &[run(4, 0, 1), run(5, 2, 0), run(6, 3, 0)]);
        assert_eq!(
            (s.seeds, s.seeds_with_errors, s.errors, s.warnings),
            (3, 2, 5, 1)
        );
        assert_eq!(s.first_failing_seed, Some(5));
        assert_eq!(
            s.replay.as_deref(),
            Some("cargo run --release -- replay --profile rs-3.24 --seed 5")
        );
    }

    #[test]
    fn json_has_the_documented_keys() {
        let s = summarize("go-3.24", &[run(0, 0, 0)]);
        let v: serde_json::Value = serde_json::from_str(&json(&[s])).unwrap();
        let row = &v.as_array().unwrap()[0];
        for key in [
            "profile",
            "seeds",
            "seeds_with_errors",
            "errors",
            "warnings",
            "first_failing_seed",
        ] {
            assert!(row.get(key).is_some(), "missing {key}");
        }
        assert!(row["first_failing_seed"].is_null());
    }
}
