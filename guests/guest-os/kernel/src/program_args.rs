//! What the guest kernel passes a program it starts: the program's name
//! (its embedded binary) and its argument words, from the description's
//! named parameters ([`ProgramPlan`]). The words are each program's own
//! `Params::to_words` where it has one, so the two sides cannot disagree
//! on the order. Pure; it never fails on a plan `GuestPlan::check`
//! accepted.

extern crate alloc;

use alloc::vec::Vec;

use guest_os_config::{FilePlan, GuestPlan, ProgramPlan};
use guest_programs::{kv, zipf};

/// The pattern key of process `k` of guest `guest`: distinct for every
/// process of guests below 100, so a page of another is never taken for
/// its own.
pub const fn tag(guest: u32, k: u16) -> u32 {
    guest.wrapping_add(100 * k as u32)
}

/// Program `program`'s name and argument words, as process `k` of the
/// guest `plan` describes.
pub fn arguments(plan: &GuestPlan, program: &ProgramPlan, k: u16) -> (&'static str, Vec<u32>) {
    let tag = tag(plan.guest, k);
    let words = match *program {
        ProgramPlan::Hog(hog) => [hog.pages, hog.passes, tag].to_vec(),
        ProgramPlan::Wild => Vec::new(),
        ProgramPlan::Zipf(z) => zipf::Params {
            pages: z.pages,
            operations: z.operations,
            exponent: z.exponent,
            seed: z.seed,
            write_percent: z.write_percent,
            tag,
        }
        .to_words()
        .to_vec(),
        ProgramPlan::Kv(k) => kv::Params {
            keys: k.keys,
            operations: k.operations,
            put_percent: k.put_percent,
            seed: k.seed,
            tag,
        }
        .to_words()
        .to_vec(),
        ProgramPlan::FileScan(scan) => {
            // `GuestPlan::check` refuses a file scan without files; none
            // reads as no files.
            let files = plan.files.unwrap_or(FilePlan {
                files: 0,
                pages_per_file: 0,
                rounds: 0,
                on_card: false,
            });
            [
                files.files,
                files.pages_per_file,
                scan.rounds,
                scan.pause_us,
            ]
            .to_vec()
        }
    };
    (program.name(), words)
}
