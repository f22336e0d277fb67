//! The rejection of a description: which file, which field (a path such as
//! `partition[1].threads[0].stack_kib`) and why, printed as
//! `file: field: reason`.
//!
//! Only the error type lives here; it must never decide what is wrong, and
//! its printed form must never change (users and tests read it).

use std::fmt;
use std::path::PathBuf;

/// A rejected description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescriptionError {
    /// The file.
    pub file: PathBuf,
    /// Where in it.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for DescriptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.file.display(),
            self.field,
            self.reason
        )
    }
}

impl std::error::Error for DescriptionError {}
