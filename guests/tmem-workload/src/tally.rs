//! The workload's own failure counts, with the first few failures logged
//! in full. Counting must never stop the workload.

use tmem_client::TmemClientError;

/// Failures logged in full; later ones are only counted.
const LOGGED: u32 = 4;

/// What went wrong so far.
#[derive(Default)]
pub struct Tally {
    /// Pages that came back with wrong contents, or went missing from a
    /// persistent pool, or came back when they should not have.
    pub mismatches: u32,
    /// Operations that failed with an error.
    pub errors: u32,
    /// Hits in the shared pool.
    pub shared_hits: u32,
}

impl Tally {
    /// Counts a failed operation `what` on page `number`.
    pub fn error(&mut self, what: &str, number: u32, error: TmemClientError) {
        self.errors += 1;
        if self.errors <= LOGGED {
            defmt::error!("{=str} {=u32} failed: {=str}", what, number, error.name());
        }
    }

    /// Counts a page `what` `number` whose contents or presence is wrong.
    pub fn mismatch(&mut self, what: &str, number: u32, detail: &str, offset: u32) {
        self.mismatches += 1;
        if self.mismatches <= LOGGED {
            defmt::error!(
                "{=str} {=u32}: {=str} (byte {=u32})",
                what,
                number,
                detail,
                offset
            );
        }
    }
}
