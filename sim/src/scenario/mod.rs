//! Built-in scenarios.

pub mod article;

/// The names of the built-in scenarios, for the CLI.
pub const SCENARIOS: [&str; 2] = ["article", "article-small"];
