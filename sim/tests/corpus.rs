//! The seed corpus: every file under `seeds/` still gives the verdict it recorded on
//! every profile (the bug still reproduces where it did; the fixes still pass), and the
//! committed #12336 case is small and decided by its schedule, not by madsim's seed.

use std::path::{Path, PathBuf};

use sim::corpus::{seed_files, Expect, Seed};
use sim::explore::engine::run_and_judge;
use sim::runner::LogOutput;

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds")
}

fn violates(seed: &Seed, case: &sim::explore::case::Case, profile: runtime_model::Profile) -> bool {
    let (_, judgement) = run_and_judge(case, profile, LogOutput::Quiet).expect("the case runs");
    judgement.violation(&seed.property).is_some()
}

#[test]
fn every_seed_file_keeps_its_recorded_verdicts() {
    let files = seed_files(&seeds_dir()).expect("seeds/ is readable");
    assert!(!files.is_empty(), "seeds/ holds at least the #12336 case");
    for file in files {
        let seed = Seed::load(&file).unwrap_or_else(|e| panic!("{e}"));
        for (profile, want) in &seed.expect {
            let profile = runtime_model::Profile::by_name(profile).expect("validated");
            let got = if violates(&seed, &seed.case, profile) {
                Expect::Violates
            } else {
                Expect::Passes
            };
            assert_eq!(
                got,
                *want,
                "{}: {} on {profile}",
                file.display(),
                seed.property
            );
        }
    }
}

#[test]
fn the_12336_case_is_at_most_five_calls_and_any_madsim_seed_reproduces_it() {
    let file = seeds_dir().join("issue-12336-state-during-delete.json");
    let seed = Seed::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seed.property, "state_never_errors_for_known_id");
    assert!(seed.case.op_count() <= 5, "{} calls", seed.case.op_count());
    for madsim_seed in 0..16 {
        let case = sim::explore::case::Case {
            seed: madsim_seed,
            ..seed.case.clone()
        };
        assert!(
            violates(&seed, &case, runtime_model::Profile::RS_3_24),
            "madsim seed {madsim_seed}"
        );
        assert!(!violates(&seed, &case, runtime_model::Profile::GO_3_24));
    }
}
