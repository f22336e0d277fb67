//! What a user sees of the memory-pressure demo (issue 15): its log lines
//! parsed into records ([`record`]) and accumulated over time
//! ([`series`]), a live view in the terminal while it runs ([`live`]), and
//! at its end a summary table ([`summary`]) and a plot ([`plot`]);
//! `--policy` for the memory manager ([`policy`]).
//!
//! This module only reads what the demo's partitions log; it must never
//! change what the demo does, except through the policy override the user
//! asked for.

pub mod live;
pub mod plot;
pub mod policy;
pub mod record;
pub mod series;
pub mod summary;

pub use series::DemoSeries;
pub use summary::DemoSummary;

/// Where the demo's plots and logs go: `target/demo/`.
pub fn output_dir() -> std::path::PathBuf {
    crate::workspace::target_dir().join("demo")
}
