//! docs/ cannot rot: every command a page shows is run or found where CI runs it, every
//! output it quotes is checked, and every file excerpt is checked against the file.
//!
//! The rules a page follows (docs/README.md states them for writers):
//! - A fenced `sh` block holds commands, one a line (`#` lines are comments, and ` # `
//!   starts a trailing comment). `cargo run --release -- ARGS` (after optional
//!   `NAME=value` assignments) runs the built `kata-dst` with ARGS from the repository's
//!   root; it must exit 0, or the code a `<!-- exit N -->` line right before the block
//!   names. `$OUT` stands for a fresh directory per page, shared by its blocks in order.
//!   `cargo run --release --example NAME` must name an example that `cargo test` runs
//!   (`test = true` in sim/Cargo.toml). Any other command must appear in `.ci/run` or
//!   the CI workflow.
//! - A fenced `output` block quotes the output (stdout, then stderr) of the last command
//!   of the `sh` block before it: each of its lines (`$OUT` substituted, `...` lines
//!   skipped) is found in one output line.
//! - A block right after `<!-- file: PATH -->` is an excerpt of PATH (relative to the
//!   repository's root), found in it verbatim.
//! - Any other fenced block is `text`; nothing else is allowed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sim/ is in the repository")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One fenced block of a page: its info string, its lines, the marker comment right
/// before it, and the line it starts on.
struct Block {
    info: String,
    lines: Vec<String>,
    marker: Option<String>,
    line: usize,
}

/// The fenced blocks of a page, in order.
fn blocks(page: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = page.lines().enumerate();
    let mut previous: Option<&str> = None;
    while let Some((n, line)) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let marker = previous
                .and_then(|p| p.strip_prefix("<!-- "))
                .and_then(|p| p.strip_suffix(" -->"))
                .map(str::to_string);
            let body: Vec<String> = lines
                .by_ref()
                .map(|(_, l)| l)
                .take_while(|l| !l.starts_with("```"))
                .map(str::to_string)
                .collect();
            out.push(Block {
                info: info.trim().to_string(),
                lines: body,
                marker,
                line: n + 1,
            });
            previous = None;
        } else {
            previous = Some(line);
        }
    }
    out
}

/// A command line without its trailing comment, or None for a blank or comment line.
fn command(line: &str) -> Option<&str> {
    let line = line.split(" # ").next().unwrap_or(line).trim();
    (!line.is_empty() && !line.starts_with('#')).then_some(line)
}

/// What a command line does.
#[derive(Debug, PartialEq)]
enum Kind<'a> {
    /// Run `kata-dst` with these environment assignments and arguments.
    KataDst(Vec<(&'a str, &'a str)>, Vec<&'a str>),
    /// An example `cargo test` runs.
    Example(&'a str),
    /// Something CI runs.
    Ci(&'a str),
}

fn kind(line: &str) -> Kind<'_> {
    let mut words = line.split_whitespace().peekable();
    let mut env = Vec::new();
    while let Some(assignment) = words.peek().and_then(|w| w.split_once('=')) {
        env.push(assignment);
        words.next();
    }
    let rest: Vec<&str> = words.collect();
    match rest.as_slice() {
        ["cargo", "run", "--release", "--", args @ ..] => Kind::KataDst(env, args.to_vec()),
        ["cargo", "run", "--release", "--example", name] if env.is_empty() => Kind::Example(name),
        _ => Kind::Ci(line),
    }
}

/// The examples sim/Cargo.toml declares with `test = true`.
fn tested_examples() -> BTreeSet<String> {
    let manifest = read(&root().join("sim/Cargo.toml"));
    manifest
        .split("[[example]]")
        .skip(1)
        .filter(|section| section.contains("test = true"))
        .filter_map(|section| {
            let name = section.split("name = \"").nth(1)?;
            Some(name.split('"').next()?.to_string())
        })
        .collect()
}

/// Runs `kata-dst` from the repository's root: exit code and output (stdout, stderr).
fn kata_dst(env: &[(&str, &str)], args: &[String]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kata-dst"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .output()
        .expect("kata-dst runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Checks one page of docs/ by its rules (see the module's doc).
fn check_page(name: &str) {
    let path = root().join("docs").join(name);
    let page = read(&path);
    let out_dir = std::env::temp_dir().join(format!(
        "kata-dst-docs-{}-{}",
        std::process::id(),
        name.trim_end_matches(".md")
    ));
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.to_str().expect("a UTF-8 temp dir");
    let ci = read(&root().join(".ci/run")) + &read(&root().join(".github/workflows/ci.yml"));
    let examples = tested_examples();
    let mut last_output: Option<(String, String)> = None;
    for block in blocks(&page) {
        let at = format!("docs/{name}:{}", block.line);
        if let Some(file) = block
            .marker
            .as_deref()
            .and_then(|m| m.strip_prefix("file: "))
        {
            let text = read(&root().join(file));
            let excerpt = block.lines.join("\n");
            assert!(text.contains(&excerpt), "{at}: not an excerpt of {file}");
            continue;
        }
        match block.info.as_str() {
            "sh" => {
                let expected: i32 = match block.marker.as_deref() {
                    Some(m) => m
                        .strip_prefix("exit ")
                        .and_then(|c| c.parse().ok())
                        .unwrap_or_else(|| panic!("{at}: unknown marker `{m}`")),
                    None => 0,
                };
                for line in block.lines.iter().filter_map(|l| command(l)) {
                    match kind(line) {
                        Kind::KataDst(env, args) => {
                            let args: Vec<String> =
                                args.iter().map(|a| a.replace("$OUT", out)).collect();
                            let (code, text) = kata_dst(&env, &args);
                            assert_eq!(code, expected, "{at}: `{line}` exited {code}:\n{text}");
                            last_output = Some((line.to_string(), text));
                        }
                        Kind::Example(example) => assert!(
                            examples.contains(example),
                            "{at}: `{line}`: no example {example} with `test = true` in sim/Cargo.toml"
                        ),
                        Kind::Ci(line) => assert!(
                            ci.contains(line),
                            "{at}: `{line}` is neither kata-dst nor in .ci/run or the workflow"
                        ),
                    }
                }
            }
            "output" => {
                let (line, text) = last_output
                    .as_ref()
                    .unwrap_or_else(|| panic!("{at}: output with no command run before it"));
                for quoted in block.lines.iter().filter(|l| l.trim() != "...") {
                    let quoted = quoted.replace("$OUT", out);
                    let quoted = quoted.trim_end();
                    assert!(
                        text.lines().any(|l| l.contains(quoted)),
                        "{at}: `{line}` did not print `{quoted}`; it printed:\n{text}"
                    );
                }
            }
            "text" => {}
            other => panic!("{at}: a `{other}` block with no `<!-- file: PATH -->` marker"),
        }
    }
    let _ = std::fs::remove_dir_all(&out_dir);
}

/// Every page of docs/, by file name.
fn pages() -> BTreeSet<String> {
    std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".md"))
        .collect()
}

/// The pages each have a test below, docs/README.md links every page, and the
/// repository's README links docs/README.md.
#[test]
fn every_page_is_tested_and_linked() {
    let tested: BTreeSet<String> = [
        "README.md",
        "writing-a-property.md",
        "profile-switches.md",
        "replaying-ci-failures.md",
        "determinism.md",
        "reading-a-replay.md",
        "faults.md",
        "adopting-in-ci.md",
    ]
    .map(String::from)
    .into();
    assert_eq!(pages(), tested);
    let index = read(&root().join("docs/README.md"));
    for page in tested.iter().filter(|p| *p != "README.md") {
        assert!(
            index.contains(&format!("]({page})")),
            "docs/README.md: {page}"
        );
    }
    assert!(read(&root().join("README.md")).contains("](docs/README.md)"));
}

#[test]
fn the_rules_read_blocks_markers_and_commands() {
    let page = "<!-- exit 1 -->\n```sh\ncargo run --release -- explore --out $OUT  # saves\n# a comment\n```\ntext\n```output\nsaved\n```\n";
    let b = blocks(page);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].marker.as_deref(), Some("exit 1"));
    assert_eq!((b[0].info.as_str(), b[0].line), ("sh", 2));
    assert_eq!(b[1].marker, None);
    let cmds: Vec<&str> = b[0].lines.iter().filter_map(|l| command(l)).collect();
    assert_eq!(cmds, ["cargo run --release -- explore --out $OUT"]);
    assert_eq!(
        kind("RUST_LOG=debug cargo run --release -- replay x"),
        Kind::KataDst(vec![("RUST_LOG", "debug")], vec!["replay", "x"])
    );
    assert_eq!(kind("cargo run --release --example e"), Kind::Example("e"));
    assert_eq!(kind("bash .ci/run"), Kind::Ci("bash .ci/run"));
    assert!(tested_examples().contains("custom_property"));
}

#[test]
fn index() {
    check_page("README.md");
}

#[test]
fn writing_a_property() {
    check_page("writing-a-property.md");
}

#[test]
fn profile_switches() {
    check_page("profile-switches.md");
}

#[test]
fn replaying_ci_failures() {
    check_page("replaying-ci-failures.md");
}

#[test]
fn determinism() {
    check_page("determinism.md");
}

#[test]
fn reading_a_replay() {
    check_page("reading-a-replay.md");
}

#[test]
fn faults() {
    check_page("faults.md");
}

#[test]
fn adopting_in_ci() {
    check_page("adopting-in-ci.md");
}
