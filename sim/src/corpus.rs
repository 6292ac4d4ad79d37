//! The seed corpus: a failing case, saved as a small, readable, versioned JSON file under
//! `seeds/`, with the property it breaks and the verdict every profile gives it.
//! `kata-dst replay <file>` replays one; `cargo test` replays them all and checks every
//! recorded verdict still holds (the bug still reproduces where it did, the fixes still
//! pass).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use runtime_model::Profile;
use serde::{Deserialize, Serialize};

use crate::explore::case::Case;
use crate::explore::engine::run_and_judge;
use crate::explore::judge::property_names;
use crate::runner::LogOutput;

/// The format this kata-dst writes and reads.
pub const FORMAT: &str = "kata-dst-seed/1";

/// What a profile does with a seed's case, for the seed's property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    Violates,
    Passes,
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expect::Violates => "violates",
            Expect::Passes => "passes",
        })
    }
}

/// One seed file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// [`FORMAT`].
    pub format: String,
    /// What the case shows, in one line.
    pub title: String,
    /// The property the case violates on `found_on`.
    pub property: String,
    /// The profile the case was found on.
    pub found_on: String,
    /// Per profile, whether the case violates `property` there.
    pub expect: BTreeMap<String, Expect>,
    pub case: Case,
}

impl Seed {
    /// The profile the seed was found on.
    pub fn profile(&self) -> Profile {
        Profile::by_name(&self.found_on).expect("validated on load")
    }

    /// Reads and checks a seed file; the error names the file and the problem.
    pub fn load(path: &Path) -> Result<Seed> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow!("{}: cannot read the seed file: {e}", path.display()))?;
        Seed::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
    }

    /// Parses and checks a seed file's text.
    pub fn parse(text: &str) -> Result<Seed, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not a JSON seed file: {e}"))?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(format!(
                    "format {other:?} is not one this kata-dst reads ({FORMAT:?}); re-record the case with `kata-dst explore`"
                ))
            }
            None => return Err(format!("no \"format\" field; expected \"format\": {FORMAT:?}")),
        }
        let seed: Seed =
            serde_json::from_value(value).map_err(|e| format!("not a valid {FORMAT} file: {e}"))?;
        let valid_profiles = Profile::names();
        for name in std::iter::once(&seed.found_on).chain(seed.expect.keys()) {
            if Profile::by_name(name).is_none() {
                return Err(format!("unknown profile {name:?}; valid: {valid_profiles}"));
            }
        }
        if !property_names().contains(&seed.property.as_str()) {
            return Err(format!(
                "unknown property {:?}; valid: {}",
                seed.property,
                property_names().join(", ")
            ));
        }
        if seed.expect.get(&seed.found_on) != Some(&Expect::Violates) {
            return Err(format!(
                "\"expect\" must say the case violates {} on {}, where it was found",
                seed.property, seed.found_on
            ));
        }
        seed.case.validate().map_err(|e| format!("bad case: {e}"))?;
        Ok(seed)
    }

    /// Writes the seed as `<dir>/<found_on>-<property>-<hash>.json` and returns the path.
    pub fn save(&self, dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join(format!(
            "{}-{}-{:08x}.json",
            self.found_on,
            self.property,
            self.case_hash() as u32
        ));
        let text = serde_json::to_string_pretty(self)? + "\n";
        std::fs::write(&path, text).map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    }

    /// A stable hash of the case (FNV-1a over its JSON), for file names.
    fn case_hash(&self) -> u64 {
        let json = serde_json::to_string(&self.case).expect("cases serialize");
        json.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}

/// Records `case`, which violates `property` on `found_on`, with the verdict of every
/// profile.
pub fn record(case: Case, property: &str, found_on: Profile, title: String) -> Result<Seed> {
    let mut expect = BTreeMap::new();
    for profile in Profile::ALL {
        let (_, judgement) = run_and_judge(&case, profile, LogOutput::Quiet)?;
        let verdict = if judgement.violation(property).is_some() {
            Expect::Violates
        } else {
            Expect::Passes
        };
        expect.insert(profile.name.to_string(), verdict);
    }
    if expect.get(found_on.name) != Some(&Expect::Violates) {
        return Err(anyhow!(
            "the case no longer violates {property} on {found_on}; nothing recorded"
        ));
    }
    Ok(Seed {
        format: FORMAT.to_string(),
        title,
        property: property.to_string(),
        found_on: found_on.name.to_string(),
        expect,
        case,
    })
}

/// Every `*.json` file under `dir`, sorted.
pub fn seed_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| anyhow!("cannot read {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::case::{ClientOp, Step, Via};
    use crate::latency::Latencies;

    fn seed() -> Seed {
        Seed {
            format: FORMAT.into(),
            title: "t".into(),
            property: "state_never_errors_for_known_id".into(),
            found_on: "rs-3.24".into(),
            expect: [("rs-3.24".to_string(), Expect::Violates)].into(),
            case: Case {
                seed: 7,
                pods: 1,
                containers_per_pod: 1,
                latencies: Latencies::default(),
                list_order: crate::containerd::ListOrder::ById,
                lanes: vec![vec![Step {
                    at_us: 5,
                    op: ClientOp::Create,
                    container: "pod1-c1".into(),
                    via: Via::Tasks,
                }]],
            },
        }
    }

    fn text_with(edit: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v = serde_json::to_value(seed()).unwrap();
        edit(&mut v);
        v.to_string()
    }

    #[test]
    fn a_written_seed_reads_back_the_same() {
        let text = serde_json::to_string_pretty(&seed()).unwrap();
        assert_eq!(Seed::parse(&text), Ok(seed()));
        assert!(text.contains("\"op\": \"create\""), "{text}");
    }

    #[test]
    fn an_outdated_format_says_which_format_is_read() {
        let err = Seed::parse(&text_with(|v| v["format"] = "kata-dst-seed/0".into())).unwrap_err();
        assert!(err.contains("\"kata-dst-seed/0\""), "{err}");
        assert!(err.contains(FORMAT), "{err}");
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = Seed::parse(&text_with(|v| v["property"] = "no_such".into())).unwrap_err();
        assert!(err.contains("state_never_errors_for_known_id"), "{err}");
        let err = Seed::parse(&text_with(|v| v["found_on"] = "rs-9".into())).unwrap_err();
        assert!(err.contains("rs-3.24"), "{err}");
    }

    #[test]
    fn a_bad_case_or_a_stray_field_is_refused() {
        let err = Seed::parse(&text_with(|v| {
            v["case"]["lanes"][0][0]["container"] = "x".into()
        }))
        .unwrap_err();
        assert!(err.contains("bad case"), "{err}");
        let err = Seed::parse(&text_with(|v| v["extra"] = 1.into())).unwrap_err();
        assert!(err.contains("extra"), "{err}");
        assert!(Seed::parse("{")
            .unwrap_err()
            .contains("not a JSON seed file"));
    }

    #[test]
    fn the_found_profile_must_be_expected_to_violate() {
        let err =
            Seed::parse(&text_with(|v| v["expect"]["rs-3.24"] = "passes".into())).unwrap_err();
        assert!(err.contains("where it was found"), "{err}");
    }
}
