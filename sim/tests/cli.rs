//! The kata-dst command line: bad input gets one line that lists the valid choices, and
//! exit code 2; `--json` prints the documented document.

use std::process::Command;

fn kata_dst(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kata-dst"))
        .args(args)
        .output()
        .expect("kata-dst runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_usage_error(args: &[&str], must_contain: &str) {
    let (code, stdout, stderr) = kata_dst(args);
    assert_eq!(code, 2, "{args:?}: {stderr}");
    assert!(stdout.is_empty(), "{args:?} printed {stdout}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.contains(must_contain), "{args:?}: {stderr}");
}

#[test]
fn unknown_profile_lists_the_profiles() {
    assert_usage_error(
        &["--profile", "rs-9"],
        "unknown profile 'rs-9' (valid: rs-3.24, rs-3.24+pr12337, go-3.24)",
    );
    assert_usage_error(
        &["replay", "--profile", "nope", "--seed", "1"],
        "valid: rs-3.24, rs-3.24+pr12337, go-3.24",
    );
}

#[test]
fn unknown_scenario_lists_the_scenarios() {
    assert_usage_error(
        &["--scenario", "chaos"],
        "unknown scenario 'chaos' (valid: article, article-small)",
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
}

#[test]
fn json_summary_has_the_documented_keys() {
    let (code, stdout, stderr) = kata_dst(&["--json", "--seeds", "1", "--profile", "go-3.24"]);
    assert_eq!(code, 0, "{stderr}");
    let keys = [
        "profile",
        "seeds",
        "seeds_with_errors",
        "errors",
        "warnings",
        "first_failing_seed",
    ];
    for key in keys {
        assert!(
            stdout.contains(&format!("\"{key}\"")),
            "missing {key} in {stdout}"
        );
    }
    assert!(stdout.trim_start().starts_with('['));
    assert!(stdout.contains("\"profile\": \"go-3.24\""));
}

#[test]
fn replay_prints_the_error_chain_and_the_command_again() {
    let (code, stdout, stderr) = kata_dst(&["replay", "--profile", "rs-3.24", "--seed", "0"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("get state for race-test-"));
    assert!(stdout.contains("its error chain:\nfailed to handle message handler TaskRequest\n\nCaused by:\n    0: state process\n    1: failed to find container race-test-"));
    assert!(
        stdout.contains("replay again: cargo run --release -- replay --profile rs-3.24 --seed 0")
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
fn a_bad_seed_file_gets_one_line_naming_the_file_and_the_problem() {
    let dir = scratch("bad-seeds");
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
    assert_usage_error(&["replay", path], &format!("{path}: not a JSON seed file"));
    let missing = dir.join("missing.json");
    let path = missing.to_str().unwrap();
    assert_usage_error(
        &["replay", path],
        &format!("{path}: cannot read the seed file"),
    );
    assert_usage_error(&["replay"], "replay needs a seed file");
    assert_usage_error(
        &["explore", "--property", "nope"],
        "unknown property 'nope' (valid: any, state_never_errors_for_known_id, ",
    );
}

#[test]
fn replaying_the_12336_seed_shows_lanes_log_and_verdict() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../seeds/issue-12336-state-during-delete.json"
    );
    let (code, stdout, stderr) = kata_dst(&["replay", file]);
    assert_eq!(code, 0, "{stderr}");
    for expected in [
        "schedule (each step at its time",
        "| lane 0",
        "| lane 1",
        "*< Unknown: failed to find container pod1-c1",
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
    let (code, stdout, _) = kata_dst(&["replay", file, "--profile", "go-3.24"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("as recorded: state_never_errors_for_known_id passes on go-3.24"));
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
fn matrix_json_has_the_documented_keys() {
    let (code, stdout, stderr) = kata_dst(&["matrix", "--seeds", "20", "--json"]);
    assert!(code == 0 || code == 1, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let cells = doc["matrix"].as_array().expect("a matrix array");
    let properties = sim::explore::judge::property_names().len();
    assert_eq!(
        cells.len(),
        3 * properties,
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
