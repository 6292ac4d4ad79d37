//! The corpus: every file under `seeds/` still gives the verdict it recorded on every
//! profile (the bug still reproduces where it did; the fixes still pass) and records a
//! verdict for every profile; the committed #12336 case is small and decided by its
//! schedule, not by madsim's seed; a file of the first format still replays.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use properties::Catalog;
use runtime_model::Profile;
use sim::corpus::{case_files, check, CaseFile, Expect};
use sim::explore::case::Case;
use sim::explore::engine::judge_case;
use sim::log::LogOutput;

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds")
}

fn violates(property: &str, case: &Case, profile: Profile) -> bool {
    let catalog = Arc::new(Catalog::builtin());
    let judged = judge_case(case, profile, LogOutput::Quiet, &catalog).expect("the case runs");
    judged.judgement.violation(property).is_some()
}

#[test]
fn every_case_file_keeps_its_recorded_verdicts_on_every_profile() {
    let files = case_files(&seeds_dir()).expect("seeds/ is readable");
    assert!(!files.is_empty(), "seeds/ holds at least the #12336 case");
    let catalog = Arc::new(Catalog::builtin());
    for file in files {
        let c = check(&file, &catalog).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            c.changed().is_empty(),
            "{c}\nif the change is intended: cargo run --release -- corpus rerecord"
        );
        assert!(
            c.missing.is_empty(),
            "{c}\nrecord the missing verdicts with: cargo run --release -- corpus rerecord"
        );
    }
}

#[test]
fn the_12336_case_is_at_most_five_calls_and_any_madsim_seed_reproduces_it() {
    let file = seeds_dir().join("issue-12336-state-during-delete.json");
    let f = CaseFile::load(&file, &Catalog::builtin()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.property, "state_never_errors_for_known_id");
    assert!(f.case.op_count() <= 5, "{} calls", f.case.op_count());
    for madsim_seed in 0..16 {
        let case = Case {
            madsim_seed,
            ..f.case.clone()
        };
        assert!(
            violates(&f.property, &case, Profile::RS_3_24),
            "madsim seed {madsim_seed}"
        );
        assert!(!violates(&f.property, &case, Profile::GO_3_24));
    }
}

#[test]
fn a_file_of_the_first_format_reads_as_the_same_case() {
    let old = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/issue-12336-seed-v1.json");
    let catalog = Catalog::builtin();
    let old = CaseFile::load(&old, &catalog).unwrap_or_else(|e| panic!("{e}"));
    let now = CaseFile::load(
        &seeds_dir().join("issue-12336-state-during-delete.json"),
        &catalog,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(old.case, now.case);
    assert_eq!(old.expect.get(&Profile::RS_3_24), Some(&Expect::Violates));
}

#[test]
fn the_go_hang_names_the_task_that_blocks_the_shim() {
    let file = seeds_dir().join("go-failed-start-fills-the-exit-slot-and-the-shim-hangs.json");
    let f = CaseFile::load(&file, &Catalog::builtin()).unwrap_or_else(|e| panic!("{e}"));
    let catalog = Arc::new(Catalog::builtin());
    let judged =
        judge_case(&f.case, Profile::GO_3_24, LogOutput::Quiet, &catalog).expect("the case runs");
    let hang = judged
        .judgement
        .violation("no_call_hangs")
        .expect("go-3.24 hangs on this case");
    // The Shutdown gave up on `s.mu`, which the exit watcher holds while it waits to put
    // the container's code in the slot the refused Start's 255 fills (wait.go:94).
    assert!(
        hang.explanation.ends_with(
            "when the run ended, in its shim the exit watcher of pod1-c1 holds the service lock (lock) and waits for room in the exit channel of pod1-c1"
        ),
        "{}",
        hang.explanation
    );
}
