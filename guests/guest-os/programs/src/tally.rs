//! What a workload found: how many pages (or records) it read back and
//! checked, and how many of those were wrong — lost, stale or foreign —
//! and the one result line a program prints for a test or a user to read:
//! `NAME: operations N checked C mismatches M`. It never allocates.

use crate::report::Line;

/// Checks done and failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Operations done (reads and writes).
    pub operations: u32,
    /// Pages or records read back and checked whole.
    pub checked: u32,
    /// Of those, the ones that were wrong, plus [`fail`](Tally::fail)ures.
    pub mismatches: u32,
}

impl Tally {
    /// Counts one check; `wrong`: it failed.
    pub fn check(&mut self, wrong: bool) {
        self.checked += 1;
        if wrong {
            self.mismatches += 1;
        }
    }

    /// Counts a failure that is not a page's or record's contents (a call
    /// that should have worked and did not).
    pub fn fail(&mut self) {
        self.mismatches += 1;
    }

    /// The result line of the workload `name`.
    pub fn line(&self, name: &str) -> Line {
        let mut line = Line::new();
        line.text(name)
            .text(": operations ")
            .number(self.operations)
            .text(" checked ")
            .number(self.checked)
            .text(" mismatches ")
            .number(self.mismatches)
            .text("\n");
        line
    }

    /// The exit status: 0 when nothing was wrong, else the mismatches (at
    /// most 199; 200 and up are the programs' other failures).
    pub fn status(&self) -> i32 {
        self.mismatches.min(199) as i32
    }
}
