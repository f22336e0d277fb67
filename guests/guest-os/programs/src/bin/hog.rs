//! The memory hog (arguments: pages, passes, pattern tag): maps that many
//! pages of anonymous memory and, pass after pass, writes every page with
//! that pass's version of the pattern and reads every page back, so that
//! a guest with less RAM than this swaps every page out and in. It prints
//! its result line (`hog: operations .. checked .. mismatches ..`) and
//! exits with the number of mismatches (0: every byte came back). It never trusts the guest
//! kernel: every page is checked.

#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod program {
    use guest_programs::pattern::{self, Expected, PAGE_BYTES};
    use guest_programs::rt::BAD_ARGUMENTS_EXIT;
    use guest_programs::sys;
    use guest_programs::tally::Tally;

    /// The exit status when the guest kernel refuses the memory.
    const NO_MEMORY: i32 = 200;

    fn main(arguments: &[u32]) -> i32 {
        let &[pages, passes, tag] = arguments else {
            return BAD_ARGUMENTS_EXIT;
        };
        let Some(base) = pages.checked_mul(PAGE_BYTES as u32).and_then(sys::mmap) else {
            sys::write(b"hog: mmap refused\n");
            return NO_MEMORY;
        };
        let mut tally = Tally::default();
        for version in 1..=passes {
            for index in 0..pages {
                let address = base + index * PAGE_BYTES as u32;
                // SAFETY: the guest kernel mapped `pages` pages of
                // read/write memory at `base` for this process alone.
                let page = unsafe { &mut *(address as *mut [u8; PAGE_BYTES]) };
                pattern::fill(page, tag, address, version);
                tally.operations += 1;
            }
            for index in 0..pages {
                let address = base + index * PAGE_BYTES as u32;
                // SAFETY: as above; nothing else refers to the page now.
                let page = unsafe { &*(address as *const [u8; PAGE_BYTES]) };
                let wrong = pattern::first_mismatch(page, tag, address, Expected::Version(version));
                tally.check(wrong.is_some());
            }
        }
        sys::write(tally.line("hog").as_bytes());
        sys::munmap(base, pages * PAGE_BYTES as u32);
        tally.status()
    }

    guest_programs::program!(main);
}

#[cfg(not(target_os = "none"))]
fn main() {}
