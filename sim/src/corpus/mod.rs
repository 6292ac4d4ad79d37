//! The corpus: failing cases, each saved under `seeds/` as a small, readable, versioned
//! JSON case file with the property it breaks and the verdict every profile gives it.
//! `kata-dst replay <file>` replays one; `kata-dst corpus check` (and `cargo test`)
//! replays them all on every profile and checks every recorded verdict still holds;
//! `kata-dst corpus rerecord` refreshes the verdicts after a deliberate change.

mod v1;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, Result};
use properties::Catalog;
use runtime_model::Profile;
use serde::{Deserialize, Serialize};

use crate::explore::case::Case;
use crate::explore::engine::judge_case;
use crate::log::LogOutput;

/// The format this kata-dst writes (version 3 added faults to the case).
pub const FORMAT: &str = "kata-dst-case/3";
/// The format before faults: the same fields without `case.faults`, read as is.
pub const FORMAT_V2: &str = "kata-dst-case/2";

/// What a profile does with a case file's case, for the file's property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    Violates,
    Passes,
}

impl Expect {
    fn of(violated: bool) -> Expect {
        if violated {
            Expect::Violates
        } else {
            Expect::Passes
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expect::Violates => "violates",
            Expect::Passes => "passes",
        })
    }
}

/// One case file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// [`FORMAT`].
    pub format: String,
    /// What the case shows, in one line.
    pub title: String,
    /// The property the case violates on `found_on`.
    pub property: String,
    /// The profile the case was found on.
    pub found_on: Profile,
    /// Per profile, whether the case violates `property` there.
    pub expect: BTreeMap<Profile, Expect>,
    pub case: Case,
}

impl CaseFile {
    /// Reads and checks a case file against `catalog`'s property names; the error names
    /// the file, the problem and what to do, in one line.
    pub fn load(path: &Path, catalog: &Catalog) -> Result<CaseFile> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow!(
                "{}: cannot read the case file: {e} (give the path of a case file, such as one under seeds/ or the one `kata-dst explore` printed)",
                path.display()
            )
        })?;
        CaseFile::parse(&text, catalog).map_err(|e| anyhow!("{}: {e}", path.display()))
    }

    /// Parses and checks a case file's text (this format or the older `kata-dst-seed/1`).
    pub fn parse(text: &str, catalog: &Catalog) -> Result<CaseFile, String> {
        let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            format!("not a JSON case file: {e} (restore the file from git, or save the case again with kata-dst explore)")
        })?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) | Some(FORMAT_V2) => {}
            Some(v1::FORMAT) => value = v1::upgrade(value)?,
            Some(other) if is_newer(other) => {
                return Err(format!(
                    "format {other:?} was written by a newer kata-dst (this one reads {FORMAT:?}, {FORMAT_V2:?} and {:?}): update kata-dst to replay it",
                    v1::FORMAT
                ))
            }
            Some(other) => {
                return Err(format!(
                    "format {other:?} is not one this kata-dst reads (valid: {FORMAT:?}, {FORMAT_V2:?}, {:?}); is it a kata-dst case file?",
                    v1::FORMAT
                ))
            }
            None => {
                return Err(format!(
                    "no \"format\" field; expected \"format\": {FORMAT:?} (is it a kata-dst case file?)"
                ))
            }
        }
        let file: CaseFile = serde_json::from_value(value).map_err(|e| {
            format!("not a valid {FORMAT} file: {e} (fix that field, or save the case again with kata-dst explore)")
        })?;
        catalog
            .property(&file.property)
            .map_err(|e| e.to_string())?;
        if file.expect.get(&file.found_on) != Some(&Expect::Violates) {
            return Err(format!(
                "\"expect\" must say the case violates {} on {}, where it was found",
                file.property, file.found_on
            ));
        }
        file.case.validate().map_err(|e| format!("bad case: {e}"))?;
        Ok(file)
    }

    /// The profiles this kata-dst knows that the file records no verdict for.
    pub fn missing_verdicts(&self) -> Vec<Profile> {
        Profile::EVERY
            .into_iter()
            .filter(|p| !self.expect.contains_key(p))
            .collect()
    }

    /// The file's name: `<found_on>-<property>-<hash of the case>.json`.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{:08x}.json",
            self.found_on,
            self.property,
            self.case_hash() as u32
        )
    }

    /// Writes the file as `path`.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)? + "\n";
        std::fs::write(path, text).map_err(|e| anyhow!("cannot write {}: {e}", path.display()))
    }

    /// Writes the file into `dir` under [`CaseFile::file_name`] and returns the path.
    pub fn save(&self, dir: &Path) -> Result<PathBuf> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join(self.file_name());
        self.write(&path)?;
        Ok(path)
    }

    /// A stable hash of the case (FNV-1a over its JSON), for file names.
    fn case_hash(&self) -> u64 {
        let json = serde_json::to_string(&self.case).expect("cases serialize");
        json.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// The verdicts `profile` gives the file's case: whether it violates the file's
    /// property there.
    pub fn verdict_on(&self, profile: Profile, catalog: &Arc<Catalog>) -> Result<Expect> {
        let judged = judge_case(&self.case, profile, LogOutput::Quiet, catalog)?;
        Ok(Expect::of(
            judged.judgement.violation(&self.property).is_some(),
        ))
    }

    /// The verdict of every profile this kata-dst knows.
    pub fn verdicts(&self, catalog: &Arc<Catalog>) -> Result<BTreeMap<Profile, Expect>> {
        Profile::EVERY
            .into_iter()
            .map(|p| Ok((p, self.verdict_on(p, catalog)?)))
            .collect()
    }
}

/// Whether `format` is a case-file format newer than [`FORMAT`] (`kata-dst-case/N`, N > 3).
fn is_newer(format: &str) -> bool {
    let (name, version) = FORMAT.rsplit_once('/').expect("FORMAT is name/version");
    format
        .strip_prefix(name)
        .and_then(|v| v.strip_prefix('/'))
        .and_then(|v| v.parse::<u32>().ok())
        .is_some_and(|v| version.parse::<u32>().is_ok_and(|mine| v > mine))
}

/// Records `case`, which violates `property` on `found_on`, with the verdict of every
/// profile.
pub fn record(
    case: Case,
    property: &str,
    found_on: Profile,
    title: String,
    catalog: &Arc<Catalog>,
) -> Result<CaseFile> {
    let mut file = CaseFile {
        format: FORMAT.to_string(),
        title,
        property: property.to_string(),
        found_on,
        expect: BTreeMap::new(),
        case,
    };
    file.expect = file.verdicts(catalog)?;
    if file.expect.get(&found_on) != Some(&Expect::Violates) {
        return Err(anyhow!(
            "the case no longer violates {property} on {found_on}; nothing recorded"
        ));
    }
    Ok(file)
}

/// Every `*.json` file under `dir`, sorted.
pub fn case_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| anyhow!("cannot read {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// One file's check: every verdict it records, against what the profile gives now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileCheck {
    pub path: PathBuf,
    pub property: String,
    /// (profile, recorded, now) for every profile the file records.
    pub verdicts: Vec<(Profile, Expect, Expect)>,
    /// Profiles the file records no verdict for.
    pub missing: Vec<Profile>,
}

impl FileCheck {
    /// The profiles whose verdict changed.
    pub fn changed(&self) -> Vec<(Profile, Expect, Expect)> {
        self.verdicts
            .iter()
            .copied()
            .filter(|(_, want, got)| want != got)
            .collect()
    }

    /// Whether every verdict holds and none is missing.
    pub fn holds(&self) -> bool {
        self.changed().is_empty() && self.missing.is_empty()
    }
}

impl fmt::Display for FileCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.property)?;
        for (p, want, got) in &self.verdicts {
            if want == got {
                write!(f, "; {got} on {p}")?;
            } else {
                write!(f, "; {got} on {p} (recorded: {want})")?;
            }
        }
        for p in &self.missing {
            write!(f, "; no verdict recorded for {p}")?;
        }
        Ok(())
    }
}

/// Replays `path` on every profile it records and reports each verdict.
pub fn check(path: &Path, catalog: &Arc<Catalog>) -> Result<FileCheck> {
    let file = CaseFile::load(path, catalog)?;
    let verdicts = file
        .expect
        .iter()
        .map(|(&p, &want)| Ok((p, want, file.verdict_on(p, catalog)?)))
        .collect::<Result<_>>()?;
    Ok(FileCheck {
        path: path.to_path_buf(),
        property: file.property.clone(),
        verdicts,
        missing: file.missing_verdicts(),
    })
}

/// Refreshes `path`'s verdicts for every profile (and its format); the file is left
/// as it is if its case no longer violates its property where it was found. Returns
/// what the verdicts were and are.
pub fn rerecord(path: &Path, catalog: &Arc<Catalog>) -> Result<FileCheck> {
    let mut file = CaseFile::load(path, catalog)?;
    let now = file.verdicts(catalog)?;
    let check = FileCheck {
        path: path.to_path_buf(),
        property: file.property.clone(),
        verdicts: now
            .iter()
            .map(|(&p, &got)| (p, file.expect.get(&p).copied().unwrap_or(got), got))
            .collect(),
        missing: Vec::new(),
    };
    if now.get(&file.found_on) != Some(&Expect::Violates) {
        return Err(anyhow!(
            "{}: the case no longer violates {} on {}, where it was found; left as it was (delete the file if the bug is fixed)",
            path.display(),
            file.property,
            file.found_on
        ));
    }
    file.expect = now;
    file.format = FORMAT.to_string();
    file.write(path)?;
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::case::{Action, Step, Target, Via};
    use crate::latency::Latencies;
    use properties::Op;

    fn file() -> CaseFile {
        CaseFile {
            format: FORMAT.into(),
            title: "t".into(),
            property: "state_never_errors_for_known_id".into(),
            found_on: Profile::RS_3_24,
            expect: [(Profile::RS_3_24, Expect::Violates)].into(),
            case: Case {
                madsim_seed: 7,
                pods: 1,
                containers_per_pod: 1,
                latencies: Latencies::default(),
                list_order: crate::containerd::ListOrder::ById,
                lanes: vec![vec![Step {
                    at_us: 5,
                    action: Action::Call(Op::Create, Target::Container { pod: 1, index: 1 }),
                    via: Via::Tasks,
                }]],
                faults: Vec::new(),
            },
        }
    }

    fn parse(text: &str) -> Result<CaseFile, String> {
        CaseFile::parse(text, &Catalog::builtin())
    }

    fn text_with(edit: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v = serde_json::to_value(file()).unwrap();
        edit(&mut v);
        v.to_string()
    }

    #[test]
    fn a_written_file_reads_back_the_same() {
        let text = serde_json::to_string_pretty(&file()).unwrap();
        assert_eq!(parse(&text), Ok(file()));
        assert!(text.contains("\"op\": \"create\""), "{text}");
        assert!(text.contains("\"found_on\": \"rs-3.24\""), "{text}");
    }

    #[test]
    fn an_unknown_format_says_which_formats_are_read() {
        let err = parse(&text_with(|v| v["format"] = "kata-dst-seed/0".into())).unwrap_err();
        assert!(err.contains("\"kata-dst-seed/0\""), "{err}");
        assert!(err.contains(FORMAT) && err.contains(v1::FORMAT), "{err}");
    }

    #[test]
    fn a_newer_format_says_to_update_kata_dst() {
        let err = parse(&text_with(|v| v["format"] = "kata-dst-case/4".into())).unwrap_err();
        assert!(err.contains("written by a newer kata-dst"), "{err}");
        assert!(err.contains("update kata-dst"), "{err}");
        assert!(!is_newer("kata-dst-case/3") && !is_newer("kata-dst-case/x"));
        assert!(!is_newer("kata-dst-case/2"));
        assert!(parse(&text_with(|v| v["format"] = FORMAT_V2.into())).is_ok());
        assert!(!is_newer("other-case/9"));
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = parse(&text_with(|v| v["property"] = "no_such".into())).unwrap_err();
        assert!(err.contains("state_never_errors_for_known_id"), "{err}");
        let err = parse(&text_with(|v| v["found_on"] = "rs-9".into())).unwrap_err();
        assert!(err.contains("valid: rs-3.24"), "{err}");
    }

    #[test]
    fn a_bad_case_or_a_stray_field_is_refused() {
        let err = parse(&text_with(|v| {
            v["case"]["lanes"][0][0]["target"] =
                serde_json::json!({"container": {"pod": 2, "index": 1}})
        }))
        .unwrap_err();
        assert!(err.contains("bad case"), "{err}");
        let err = parse(&text_with(|v| v["extra"] = 1.into())).unwrap_err();
        assert!(err.contains("extra"), "{err}");
        assert!(parse("{").unwrap_err().contains("not a JSON case file"));
    }

    #[test]
    fn the_found_profile_must_be_expected_to_violate() {
        let err = parse(&text_with(|v| v["expect"]["rs-3.24"] = "passes".into())).unwrap_err();
        assert!(err.contains("where it was found"), "{err}");
    }

    #[test]
    fn missing_verdicts_name_the_profiles_without_one() {
        assert_eq!(
            file().missing_verdicts(),
            vec![
                Profile::RS_3_24_PR12337,
                Profile::GO_3_24,
                Profile::RS_MAIN,
                Profile::RUNC_V2
            ]
        );
    }
}
