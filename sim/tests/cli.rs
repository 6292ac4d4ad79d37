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
