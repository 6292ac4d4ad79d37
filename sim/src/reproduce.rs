//! The one command that replays each kind of run, printed with every failure.

use std::path::Path;

use runtime_model::Profile;

use crate::explore::generation::Generation;
use crate::scenario::Builtin;

/// Replays madsim seed `seed` of the built-in scenario `scenario` on `profile`.
pub fn article_command(scenario: Builtin, profile: Profile, seed: u64) -> String {
    let flag = match scenario {
        Builtin::Article => String::new(),
        other => format!(" --scenario {other}"),
    };
    format!("cargo run --release -- replay --profile {profile} --seed {seed}{flag}")
}

/// Replays case `index` of generated campaign `campaign` on `profile`, generated with
/// `generation`'s options.
pub fn case_command(
    profile: Profile,
    campaign: u64,
    index: u64,
    generation: &Generation,
) -> String {
    format!(
        "cargo run --release -- replay --profile {profile} --campaign {campaign} --case {index}{}",
        generation.flags()
    )
}

/// Replays a case file, on `profile` if given (else on the profile it was found on).
pub fn file_command(path: &Path, profile: Option<Profile>) -> String {
    let flag = profile.map_or(String::new(), |p| format!(" --profile {p}"));
    format!("cargo run --release -- replay {}{flag}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_name_everything_a_replay_needs() {
        assert_eq!(
            article_command(Builtin::Article, Profile::RS_3_24, 5),
            "cargo run --release -- replay --profile rs-3.24 --seed 5"
        );
        assert!(article_command(Builtin::ArticleSmall, Profile::GO_3_24, 1)
            .ends_with("--seed 1 --scenario article-small"));
        let tasks_only = Generation {
            tasks_only: true,
            faults: None,
        };
        assert!(case_command(Profile::GO_3_24, 2, 9, &tasks_only)
            .ends_with("--profile go-3.24 --campaign 2 --case 9 --tasks-only"));
        assert!(
            file_command(Path::new("seeds/x.json"), Some(Profile::GO_3_24))
                .ends_with("replay seeds/x.json --profile go-3.24")
        );
    }
}
