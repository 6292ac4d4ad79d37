//! The kata-dst command line: bad input gets one line that says what is valid, and exit
//! code 2; `--json` prints the documented document; every failure prints the one
//! command that replays it, and that command replays it.

use std::process::Command;

fn kata_dst_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kata-dst"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("kata-dst runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn kata_dst(args: &[&str]) -> (i32, String, String) {
    kata_dst_env(args, &[])
}

fn assert_usage_error_env(args: &[&str], env: &[(&str, &str)], must_contain: &str) {
    let (code, stdout, stderr) = kata_dst_env(args, env);
    assert_eq!(code, 2, "{args:?}: {stderr}");
    assert!(stdout.is_empty(), "{args:?} printed {stdout}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.contains(must_contain), "{args:?}: {stderr}");
}

fn assert_usage_error(args: &[&str], must_contain: &str) {
    assert_usage_error_env(args, &[], must_contain);
}

#[test]
fn unknown_names_list_the_valid_ones() {
    assert_usage_error(
        &["--profile", "rs-9"],
        "unknown profile 'rs-9' (valid: rs-3.24, rs-3.24+pr12337, go-3.24, rs-main, runc-v2)",
    );
    assert_usage_error(
        &["replay", "--profile", "nope", "--seed", "1"],
        "valid: rs-3.24, rs-3.24+pr12337, go-3.24, rs-main, runc-v2",
    );
    assert_usage_error(
        &["--scenario", "chaos"],
        "invalid value 'chaos' for '--scenario <SCENARIO>' [possible values: article, article-small]",
    );
    assert_usage_error(
        &["explore", "--property", "nope"],
        "unknown property 'nope' (valid: any, state_never_errors_for_known_id, ",
    );
    assert_usage_error(
        &["matrix", "--property", "nope"],
        "unknown property 'nope' (valid: state_never_errors_for_known_id, ",
    );
}

#[test]
fn malformed_numbers_say_what_is_valid() {
    assert_usage_error(
        &["--seeds", "ten"],
        "'ten' is not a count (valid: a whole number of at least 1)",
    );
    assert_usage_error(&["--seeds", "0"], "is not a count");
    assert_usage_error(
        &["replay", "--profile", "go-3.24", "--seed", "-3"],
        "is not a number",
    );
    assert_usage_error(&["--bogus"], "unexpected argument '--bogus'");
    assert_usage_error(
        &["matrix", "--jobs", "100000"],
        "'100000' is not a number of workers (valid: a whole number from 1 to 256)",
    );
}

/// clap's detail lines (which argument is missing, which values are valid) stay on the
/// one line, and a subcommand's error points to that subcommand's help.
#[test]
fn clap_errors_keep_their_details_and_point_to_the_right_help() {
    assert_usage_error(
        &["replay", "--campaign", "0"],
        "the following required arguments were not provided: --case <CASE> (see kata-dst replay --help)",
    );
    assert_usage_error(&["matrix", "--bogus"], "(see kata-dst matrix --help)");
    assert_usage_error(
        &[
            "replay",
            "--profile",
            "go-3.24",
            "--seed",
            "1",
            "--tasks-only",
        ],
        "the argument '--seed <SEED>' cannot be used with '--tasks-only'",
    );
}

#[test]
fn a_seed_range_past_the_last_seed_is_refused_not_run_empty() {
    assert_usage_error(
        &["--first-seed", "18446744073709551615", "--seeds", "2"],
        "goes past the last madsim seed",
    );
}

#[test]
fn a_bad_proptest_cases_is_a_usage_error() {
    assert_usage_error_env(
        &["matrix"],
        &[("PROPTEST_CASES", "abc")],
        "PROPTEST_CASES=\"abc\" is not a count",
    );
}

#[test]
fn json_summary_has_the_documented_keys_and_violations_per_property() {
    let (code, stdout, stderr) = kata_dst(&[
        "--json",
        "--seeds",
        "1",
        "--profile",
        "go-3.24",
        "--scenario",
        "article-small",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let row = &doc.as_array().expect("an array")[0];
    for key in [
        "profile",
        "seeds",
        "seeds_with_errors",
        "errors",
        "warnings",
        "first_failing_seed",
        "replay",
        "violations",
    ] {
        assert!(row.get(key).is_some(), "missing {key} in {row}");
    }
    assert_eq!(row["profile"], "go-3.24");
    assert_eq!(row["violations"]["state_never_errors_for_known_id"], 0);
}

#[test]
fn a_scenario_replay_shows_lanes_log_metric_and_verdicts() {
    let (code, stdout, stderr) = kata_dst(&["replay", "--profile", "rs-3.24", "--seed", "0"]);
    assert_eq!(code, 0, "{stderr}");
    for expected in [
        "| lane ",
        "* < Unknown: failed to find container race-te",
        "get state for race-test-",
        "its error chain:\nfailed to handle message handler TaskRequest\n\nCaused by:\n    0: state process\n    1: failed to find container race-test-",
        "state_never_errors_for_known_id VIOLATED: ",
        "replay again: cargo run --release -- replay --profile rs-3.24 --seed 0",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in\n{stdout}");
    }
    assert!(
        !stdout.contains("\\\\n"),
        "the shim's message is escaped twice:\n{stdout}"
    );
}

/// A fresh scratch directory under the target directory (removed first).
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

#[test]
fn a_bad_case_file_gets_one_line_naming_the_file_and_the_problem() {
    let dir = scratch("bad-case-files");
    let outdated = dir.join("outdated.json");
    std::fs::write(&outdated, r#"{"format": "kata-dst-seed/0"}"#).unwrap();
    let path = outdated.to_str().unwrap();
    assert_usage_error(
        &["replay", path],
        &format!("{path}: format \"kata-dst-seed/0\""),
    );
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{ not json").unwrap();
    let path = broken.to_str().unwrap();
    assert_usage_error(&["replay", path], &format!("{path}: not a JSON case file"));
    let newer = dir.join("newer.json");
    std::fs::write(&newer, r#"{"format": "kata-dst-case/9"}"#).unwrap();
    let path = newer.to_str().unwrap();
    assert_usage_error(
        &["replay", path],
        &format!("{path}: format \"kata-dst-case/9\" was written by a newer kata-dst"),
    );
    let missing = dir.join("missing.json");
    let path = missing.to_str().unwrap();
    assert_usage_error(
        &["replay", path],
        &format!("{path}: cannot read the case file"),
    );
    assert_usage_error(&["replay", path], "(give the path of a case file");
    assert_usage_error(&["replay"], "replay needs a case file");
    assert_usage_error(
        &["corpus", "check", dir.to_str().unwrap()],
        "broken.json: not a JSON case file",
    );
}

const CASE_12336: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../seeds/issue-12336-state-during-delete.json"
);

#[test]
fn replaying_the_12336_case_file_shows_lanes_log_and_verdict() {
    let (code, stdout, stderr) = kata_dst(&["replay", CASE_12336]);
    assert_eq!(code, 0, "{stderr}");
    for expected in [
        "schedule (each step at its time",
        "| lane 0",
        "| lane 1",
        "* < Unknown: failed to find container pod1-c1",
        "get state for pod1-c1",
        "state_never_errors_for_known_id VIOLATED: ",
        "as recorded: state_never_errors_for_known_id violates on rs-3.24",
        "replay again: cargo run --release -- replay ",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    let (code, stdout, _) = kata_dst(&["replay", CASE_12336, "--profile", "go-3.24"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("as recorded: state_never_errors_for_known_id passes on go-3.24"));
    assert!(
        stdout.contains("-state-during-delete.json --profile go-3.24\n"),
        "the replay-again line keeps --profile:\n{stdout}"
    );
}

#[test]
fn replay_json_has_the_verdicts_and_the_record() {
    let (code, stdout, stderr) = kata_dst(&["replay", CASE_12336, "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let v = doc["violations"].as_array().expect("violations");
    assert!(v
        .iter()
        .any(|v| v["property"] == "state_never_errors_for_known_id"
            && v["calls"].as_array().is_some_and(|c| !c.is_empty())));
    assert_eq!(doc["record"]["as_recorded"], true);
    assert!(doc["replay"]
        .as_str()
        .is_some_and(|r| r.starts_with("cargo run --release -- replay ")));
}

#[test]
fn explore_saves_a_shrunk_case_that_replays_with_the_printed_command() {
    let dir = scratch("explore-out");
    let out = dir.to_str().unwrap();
    let (code, stdout, stderr) = kata_dst(&["explore", "--tasks-only", "--out", out]);
    assert_eq!(code, 1, "a violation found exits 1: {stderr}");
    let saved = stdout
        .lines()
        .find_map(|l| l.strip_prefix("saved: "))
        .expect("a saved line");
    let replay = stdout
        .lines()
        .find_map(|l| l.strip_prefix("replay: cargo run --release -- replay "))
        .expect("a replay line");
    assert_eq!(saved, replay);
    let (code, stdout, stderr) = kata_dst(&["replay", saved]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("as recorded: state_never_errors_for_known_id violates on rs-3.24"));
}

#[test]
fn explore_refuses_an_unwritable_out_before_searching() {
    let dir = scratch("explore-unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = file.join("under-a-file");
    assert_usage_error(
        &["explore", "--out", out.to_str().unwrap()],
        "valid: a directory kata-dst can create and write in",
    );
}

#[test]
fn explore_json_names_the_file_and_its_replay() {
    let dir = scratch("explore-json");
    let (code, stdout, stderr) = kata_dst(&[
        "explore",
        "--tasks-only",
        "--json",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let found = &doc["found"];
    assert_eq!(found["property"], "state_never_errors_for_known_id");
    assert!(found["file"]
        .as_str()
        .is_some_and(|f| std::path::Path::new(f).exists()));
    assert!(found["shrunk_calls"].as_u64().is_some_and(|n| n >= 1));
}

#[test]
fn matrix_json_has_the_documented_keys_and_filters() {
    let (code, stdout, stderr) = kata_dst(&["matrix", "--cases", "20", "--json"]);
    assert!(code == 0 || code == 1, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let cells = doc["matrix"].as_array().expect("a matrix array");
    let properties = properties::Catalog::builtin().properties().count();
    assert_eq!(
        cells.len(),
        runtime_model::Profile::EVERY.len() * properties,
        "every profile x every property"
    );
    for cell in cells {
        for key in [
            "profile",
            "property",
            "cases",
            "violations",
            "first_failure",
        ] {
            assert!(cell.get(key).is_some(), "missing {key} in {cell}");
        }
    }
    let mission = cells
        .iter()
        .find(|c| c["profile"] == "go-3.24" && c["property"] == "state_never_errors_for_known_id")
        .unwrap();
    assert_eq!(mission["first_failure"], serde_json::Value::Null);
    assert!(doc["sometimes"].as_array().is_some_and(|s| !s.is_empty()));
    let (_, stdout, stderr) = kata_dst(&[
        "matrix",
        "--cases",
        "20",
        "--json",
        "--profile",
        "go-3.24",
        "--property",
        "no_call_hangs",
        "--tasks-only",
    ]);
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let cells = doc["matrix"].as_array().expect("a matrix array");
    assert_eq!(cells.len(), 1, "{doc}");
    assert_eq!(cells[0]["property"], "no_call_hangs");
    assert_eq!(doc["tasks_only"], true);
}

#[test]
fn corpus_check_passes_on_the_committed_corpus() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../seeds");
    let (code, stdout, stderr) = kata_dst(&["corpus", "check", dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("every verdict of "), "{stdout}");
}

#[test]
fn bench_json_has_the_documented_keys() {
    let (code, stdout, stderr) = kata_dst(&[
        "bench",
        "--json",
        "--cases",
        "100",
        "--long",
        "200",
        "--starts",
        "2",
        "--article-seeds",
        "1",
        "--stress-runs",
        "0",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    for key in [
        "generated_cases_per_sec_1core",
        "generated_cases_per_sec_all",
        "article_seeds_per_sec_all",
        "sim_speedup",
        "peak_rss_mb",
        "rss_growth_pct",
        "ms_to_first_violation_median",
        "article_ms_to_first_error_median",
        "stress_ms_to_first_error_median",
        "detection_ratio",
        "shrink_ms",
    ] {
        assert!(doc.get(key).is_some(), "missing {key} in {doc}");
    }
    assert!(doc["generated_cases_per_sec_all"]
        .as_f64()
        .is_some_and(|v| v > 0.0));
    assert!(doc["ms_to_first_violation_median"]
        .as_f64()
        .is_some_and(|v| v > 0.0));
    assert!(doc["article_ms_to_first_error_median"]
        .as_f64()
        .is_some_and(|v| v > 0.0));
    assert_eq!(
        doc["stress_ms_to_first_error_median"],
        serde_json::Value::Null
    );
}

/// A RUSTFLAGS in the environment replaces `.cargo/config.toml`'s `--cfg madsim`: the
/// build stops at once with the fix, not minutes later with errors that never name it.
#[test]
fn a_build_without_cfg_madsim_stops_with_the_fix() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = scratch("no-cfg-madsim");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["check", "--quiet", "-p", "madsim-cfg", "--target-dir"])
        .arg(&target)
        .current_dir(&root)
        .env("RUSTFLAGS", "-C debuginfo=0")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("must be built with `--cfg madsim`")
            && stderr.contains("Fix: unset RUSTFLAGS"),
        "{stderr}"
    );
}

#[test]
fn a_bad_shard_or_budget_gets_one_line_and_exit_2() {
    for command in ["explore", "matrix"] {
        for bad in ["3/2", "0/0", "a/b", "1/0", "2"] {
            assert_usage_error(
                &[command, "--shard", bad],
                &format!("'{bad}' is not a shard (valid: I/N with whole numbers 1 <= I <= N"),
            );
        }
        for bad in ["soon", "0s", "-5m", "5"] {
            assert_usage_error(
                &[command, "--budget", bad],
                &format!("'{bad}' is not a duration (valid: a positive time such as 90s"),
            );
        }
    }
}

/// The per-case facts a matrix document sums up, per (profile, property or situation):
/// how many cases, how many violated or reached it, and the lowest violating index.
fn matrix_counts(doc: &serde_json::Value) -> Vec<(String, u64, u64, Option<u64>)> {
    let first_index = |c: &serde_json::Value| {
        c["first_failure"]
            .as_str()
            .map(|r| r.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
    };
    let mut rows: Vec<_> = doc["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                format!("{} {}", c["profile"], c["property"]),
                c["cases"].as_u64().unwrap(),
                c["violations"].as_u64().unwrap(),
                first_index(c),
            )
        })
        .collect();
    rows.extend(doc["sometimes"].as_array().unwrap().iter().map(|s| {
        (
            format!("{} {}", s["profile"], s["situation"]),
            s["cases"].as_u64().unwrap(),
            s["hits"].as_u64().unwrap(),
            None,
        )
    }));
    rows
}

#[test]
fn the_shards_of_a_matrix_add_up_to_the_whole_matrix() {
    let run = |shard: &str| {
        let (code, stdout, stderr) = kata_dst(&[
            "matrix",
            "--cases",
            "25",
            "--json",
            "--profile",
            "rs-3.24",
            "--shard",
            shard,
        ]);
        assert!(code == 0 || code == 1, "{stderr}");
        let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
        assert_eq!(doc["shard"], shard);
        doc
    };
    let whole = matrix_counts(&run("1/1"));
    let shards: Vec<_> = ["1/3", "2/3", "3/3"]
        .iter()
        .map(|s| matrix_counts(&run(s)))
        .collect();
    assert_eq!(shards.iter().map(|s| s[0].1).collect::<Vec<_>>(), [9, 8, 8]);
    let added: Vec<_> = (0..whole.len())
        .map(|row| {
            let cells: Vec<_> = shards.iter().map(|s| &s[row]).collect();
            assert!(cells.iter().all(|c| c.0 == whole[row].0));
            (
                whole[row].0.clone(),
                cells.iter().map(|c| c.1).sum::<u64>(),
                cells.iter().map(|c| c.2).sum::<u64>(),
                cells.iter().filter_map(|c| c.3).min(),
            )
        })
        .collect();
    assert_eq!(added, whole);
    assert!(
        whole.iter().any(|r| r.2 > 0),
        "some cell violates: {whole:?}"
    );
}

#[test]
fn a_budget_names_the_cases_it_ran_and_no_progress_goes_to_a_pipe() {
    let dir = scratch("explore-budget");
    let (code, stdout, stderr) = kata_dst(&[
        "explore",
        "--profile",
        "runc-v2",
        "--property",
        "any",
        "--budget",
        "300ms",
        "--shard",
        "2/3",
        "--json",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.is_empty(),
        "no progress line when stderr is not a terminal: {stderr:?}"
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let cases = doc["cases"].as_u64().expect("cases");
    assert!(cases >= 1, "{doc}");
    assert_eq!(doc["shard"], "2/3");
    assert_eq!(
        doc["index_bound"].as_u64(),
        Some(3 * (cases - 1) + 2),
        "{doc}"
    );
    let (code, stdout, stderr) = kata_dst(&[
        "explore",
        "--profile",
        "runc-v2",
        "--property",
        "any",
        "--budget",
        "1s",
        "--cases",
        "5",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr:?}");
    assert!(
        stdout.contains("no violation in 5 cases (indices 0..5)")
            && stdout.contains("the same cases again: --campaign 0 --shard 1/1 --cases 5"),
        "{stdout}"
    );
}

/// Checks `doc` is trace-event JSON as chrome://tracing and Perfetto read it: every event
/// has its phase's fields, every track is named, and slices on a track never overlap.
/// Returns the events that are not metadata.
fn valid_trace_events(doc: &serde_json::Value) -> Vec<serde_json::Value> {
    use std::collections::{BTreeMap, BTreeSet};
    let events = doc["traceEvents"].as_array().expect("a traceEvents array");
    let mut named = BTreeSet::new();
    let mut processes = BTreeSet::new();
    let mut shown = Vec::new();
    for e in events {
        let (pid, tid) = (
            e["pid"].as_u64().expect("pid"),
            e["tid"].as_u64().expect("tid"),
        );
        assert!(e["name"].is_string(), "{e}");
        match e["ph"].as_str().expect("ph") {
            "M" => {
                assert!(e["args"]["name"].is_string(), "{e}");
                match e["name"].as_str().unwrap() {
                    "process_name" => processes.insert(pid),
                    "thread_name" => named.insert((pid, tid)),
                    other => panic!("unexpected metadata {other}"),
                };
            }
            "X" => {
                assert!(e["ts"].as_f64().is_some_and(|t| t >= 0.0), "{e}");
                assert!(e["dur"].as_f64().is_some_and(|d| d >= 0.0), "{e}");
                shown.push(e.clone());
            }
            "i" => {
                assert!(e["ts"].as_f64().is_some_and(|t| t >= 0.0), "{e}");
                assert_eq!(e["s"], "t", "{e}");
                shown.push(e.clone());
            }
            other => panic!("unexpected phase {other}: {e}"),
        }
    }
    let mut tracks: BTreeMap<(u64, u64), Vec<(f64, f64)>> = BTreeMap::new();
    for e in &shown {
        let key = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        assert!(
            named.contains(&key) && processes.contains(&key.0),
            "unnamed track: {e}"
        );
        if e["ph"] == "X" {
            let ts = e["ts"].as_f64().unwrap();
            tracks
                .entry(key)
                .or_default()
                .push((ts, ts + e["dur"].as_f64().unwrap()));
        }
    }
    for (key, mut slices) in tracks {
        slices.sort_by(|a, b| a.partial_cmp(b).unwrap());
        for w in slices.windows(2) {
            assert!(
                w[1].0 >= w[0].1 - 1e-6,
                "overlapping slices on {key:?}: {w:?}"
            );
        }
    }
    shown
}

#[test]
fn trace_out_writes_valid_trace_events_with_a_slice_per_call() {
    let dir = scratch("trace-out");
    let forms: [&[&str]; 3] = [
        &["replay", CASE_12336],
        &[
            "replay",
            "--profile",
            "rs-3.24",
            "--campaign",
            "0",
            "--case",
            "21",
        ],
        &[
            "replay",
            "--profile",
            "go-3.24",
            "--seed",
            "1",
            "--scenario",
            "article-small",
        ],
    ];
    for (n, form) in forms.iter().enumerate() {
        let file = dir.join(format!("run-{n}.json"));
        let file = file.to_str().unwrap();
        let (code, plain, stderr) = kata_dst(&[*form, &["--json"][..]].concat());
        assert_eq!(code, 0, "{form:?}: {stderr}");
        let (code, traced, stderr) =
            kata_dst(&[*form, &["--json", "--trace-out", file][..]].concat());
        assert_eq!(code, 0, "{form:?}: {stderr}");
        let plain: serde_json::Value = serde_json::from_str(&plain).unwrap();
        let traced: serde_json::Value = serde_json::from_str(&traced).unwrap();
        assert_eq!(
            plain["trace_hash"], traced["trace_hash"],
            "{form:?}: the timeline changed the run"
        );
        assert_eq!(traced["trace_out"], file);
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).expect("JSON");
        let events = valid_trace_events(&doc);
        let cat = |c: &'static str| events.iter().filter(move |e| e["cat"] == c);
        let mut calls: Vec<u64> = cat("call")
            .map(|e| e["args"]["call"].as_u64().unwrap())
            .collect();
        calls.sort();
        let recorded = traced["calls"].as_u64().unwrap();
        assert_eq!(
            calls,
            (0..recorded).collect::<Vec<_>>(),
            "{form:?}: one slice per call"
        );
        assert!(cat("call").all(|e| e["ph"] == "X"));
        assert!(
            cat("agent_rpc").count() > 0,
            "{form:?}: shim -> agent slices"
        );
        assert!(cat("lock_hold").count() > 0, "{form:?}: lock holds");
        let mut history_events: Vec<u64> = events
            .iter()
            .filter_map(|e| e["args"]["event"].as_u64())
            .collect();
        history_events.sort();
        assert_eq!(
            history_events,
            (0..traced["events"].as_u64().unwrap()).collect::<Vec<_>>(),
            "{form:?}: one instant per history event"
        );
        assert_eq!(doc["otherData"]["trace_hash"], traced["trace_hash"]);
    }
    // The #12336 case: its evidence is flagged, the SIGKILL's end of the process is on the
    // guest's ground-truth track, and containerd's error line is on the timeline.
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run-0.json")).unwrap()).unwrap();
    let events = valid_trace_events(&doc);
    assert!(events
        .iter()
        .any(|e| e["args"]["evidence"] == true && e["name"] == "State pod1-c1"));
    assert!(events
        .iter()
        .any(|e| e["name"] == "guest exit pod1-c1 (code 137)"));
    assert!(events.iter().any(|e| e["cat"] == "log"
        && e["name"]
            .as_str()
            .unwrap()
            .starts_with("get state for pod1-c1")));
}

#[test]
fn a_trace_out_kata_dst_cannot_write_is_refused_before_the_run() {
    let dir = scratch("trace-out-unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = file.join("under-a-file.json");
    assert_usage_error(
        &["replay", CASE_12336, "--trace-out", out.to_str().unwrap()],
        "valid: a file in a directory that exists and kata-dst can write in",
    );
    assert_usage_error(
        &[
            "replay",
            "--profile",
            "go-3.24",
            "--seed",
            "1",
            "--trace-out",
            dir.join("no/such/dir.json").to_str().unwrap(),
        ],
        "--trace-out ",
    );
    // A replay that fails leaves no half-written timeline behind.
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{ not json").unwrap();
    let trace = dir.join("trace.json");
    assert_usage_error(
        &[
            "replay",
            broken.to_str().unwrap(),
            "--trace-out",
            trace.to_str().unwrap(),
        ],
        "not a JSON case file",
    );
    assert!(!trace.exists());
}

#[test]
fn a_bad_fault_kind_lists_the_valid_ones() {
    assert_usage_error(
        &["matrix", "--fault", "vm-explode"],
        "unknown fault 'vm-explode' (valid: vm-crash, shim-crash, process-exit",
    );
    assert_usage_error(&["explore", "--fault", ""], "valid: vm-crash");
}

#[test]
fn a_fault_campaign_prints_its_swarm_and_replays_with_its_flags() {
    let (_, stdout, stderr) = kata_dst(&[
        "matrix",
        "--fault",
        "vm-crash",
        "--profile",
        "runc-v2",
        "--cases",
        "30",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect(&stderr);
    assert_eq!(doc["swarm"]["weights"][0][0], "vm-crash");
    assert_eq!(doc["swarm"]["weights"].as_array().unwrap().len(), 1);
    // Only the injected kind's situations are counted, beside the built-in ones.
    let builtin = [
        "state_during_delete",
        "state_in_delete_window",
        "kill_during_delete",
        "state_during_create",
    ];
    let situations: Vec<&str> = doc["sometimes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["situation"].as_str())
        .filter(|s| !builtin.contains(s))
        .collect();
    assert!(!situations.is_empty());
    assert!(
        situations.iter().all(|s| s.starts_with("vm_crash_")),
        "{situations:?}"
    );
    let (code, stdout, stderr) = kata_dst(&[
        "replay",
        "--profile",
        "rs-3.24",
        "--campaign",
        "0",
        "--case",
        "0",
        "--faults",
        "--fault",
        "vm-crash",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        doc["replay"],
        "cargo run --release -- replay --profile rs-3.24 --campaign 0 --case 0 --faults --fault vm-crash"
    );
    let violated: Vec<&str> = doc["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["property"].as_str())
        .collect();
    assert!(
        violated.contains(&"exit_status_matches_the_guest"),
        "{violated:?}"
    );
}
