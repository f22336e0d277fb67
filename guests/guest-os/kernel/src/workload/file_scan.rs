//! The file reader: reads a set of files whole, round after round,
//! through the page cache, and checks every byte against the file's
//! contents. When the set is larger than the guest's free RAM, the page
//! cache drops pages between rounds and (with tmem on) cleancache catches
//! them, so later rounds hit cleancache instead of the device. A short
//! read or a wrong byte is a mismatch (the checker the file-scan program
//! uses too: `guest_programs::file_check`).

use guest_mm::{FileId, Page, PAGE_SIZE};

use super::{Ending, WorkloadResult};
use crate::config::FilePlan;
use crate::machine::Machine;
use guest_programs::file_check::first_wrong_byte;

/// Reads files `0..plan.files` (each of `size` bytes), `plan.rounds`
/// times; `page` is its buffer.
pub fn run(
    machine: &mut Machine<'_>,
    plan: FilePlan,
    size: u32,
    page: &mut Page,
) -> WorkloadResult {
    let mut result = WorkloadResult::default();
    for _round in 0..plan.rounds {
        for file in (0..plan.files).map(FileId) {
            for offset in (0..size).step_by(PAGE_SIZE) {
                let want = (size - offset).min(PAGE_SIZE as u32) as usize;
                let read = match machine.read_file(file, offset, page) {
                    Ok(read) => read,
                    Err(error) => {
                        result.ending = Ending::from(error);
                        return result;
                    }
                };
                let wrong = first_wrong_byte(file.0, offset, want, &page[..read])
                    .map(|at| at.min(PAGE_SIZE - 1));
                result.checked(offset, page, wrong);
            }
        }
    }
    result
}
