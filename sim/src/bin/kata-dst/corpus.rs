//! `kata-dst corpus`: check every case file's recorded verdicts, or re-record them.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use properties::Catalog;
use sim::corpus::{case_files, check, rerecord};

use crate::args::{CorpusAction, CorpusArgs};
use crate::output::usage;

pub fn corpus(args: CorpusArgs) -> Result<ExitCode> {
    let catalog = Arc::new(Catalog::builtin());
    match args.action {
        CorpusAction::Check { dir } => check_all(&dir, &catalog),
        CorpusAction::Rerecord { dir } => rerecord_all(&dir, &catalog),
    }
}

fn files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    match case_files(dir) {
        Ok(files) if !files.is_empty() => Ok(files),
        Ok(_) => usage(format!("{} holds no case file (*.json)", dir.display())),
        Err(e) => usage(format!(
            "{e} (valid: a directory of case files, such as seeds)"
        )),
    }
}

fn check_all(dir: &Path, catalog: &Arc<Catalog>) -> Result<ExitCode> {
    let mut failed = 0;
    let files = files(dir)?;
    for path in &files {
        match check(path, catalog) {
            Ok(c) => {
                say!("{} {c}", if c.holds() { "ok     " } else { "CHANGED" });
                failed += usize::from(!c.holds());
            }
            Err(e) => return usage(e.to_string()),
        }
    }
    if failed > 0 {
        say!("{failed} of {} case files changed or lack a verdict; if the change is intended: cargo run --release -- corpus rerecord", files.len());
        return Ok(ExitCode::FAILURE);
    }
    say!("every verdict of {} case files holds", files.len());
    Ok(ExitCode::SUCCESS)
}

fn rerecord_all(dir: &Path, catalog: &Arc<Catalog>) -> Result<ExitCode> {
    let mut refused = 0;
    for path in files(dir)? {
        match rerecord(&path, catalog) {
            Ok(c) if c.changed().is_empty() => say!("same    {c}"),
            Ok(c) => say!("updated {c}"),
            Err(e) => {
                eprintln!("error: {e}");
                refused += 1;
            }
        }
    }
    Ok(if refused > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
