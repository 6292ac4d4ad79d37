//! How the CLI talks: stdout that ends quietly when closed, usage errors as one line
//! and exit 2, other errors as one line and exit 1.

use std::process::ExitCode;

/// `println!` that ends the process quietly when stdout is closed (`kata-dst ... | head`)
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// `print!` with the same care as [`say!`].
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if write!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// An error in what the user gave: one line, exit 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Fails with a [`UsageError`].
pub fn usage<T>(message: impl Into<String>) -> anyhow::Result<T> {
    Err(UsageError(message.into()).into())
}

/// The exit code of a command's result: usage errors exit 2, other errors 1, each
/// printed as one line.
pub fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) if e.is::<UsageError>() => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            let text = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {text}");
            ExitCode::FAILURE
        }
    }
}

/// Prints clap's error as one line with its details (which argument, which values are
/// valid) and the help to read, and returns exit code 2; help and version print as
/// usual and exit 0.
pub fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let text = e.render().to_string();
    let line = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("{line} (see {} --help)", help_of_invocation());
    ExitCode::from(2)
}

/// `kata-dst <subcommand>` if the command line names one, else `kata-dst`.
fn help_of_invocation() -> String {
    let subcommands = ["run", "replay", "explore", "matrix", "corpus", "bench"];
    let mut words = vec!["kata-dst".to_string()];
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(sub) = args.iter().find(|a| subcommands.contains(&a.as_str())) {
        words.push(sub.clone());
        if sub == "corpus" {
            if let Some(action) = args
                .iter()
                .find(|a| ["check", "rerecord"].contains(&a.as_str()))
            {
                words.push(action.clone());
            }
        }
    }
    words.join(" ")
}
