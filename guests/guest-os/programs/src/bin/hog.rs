//! The memory hog: maps `r0` pages of anonymous memory, writes every page
//! with version 1 of the pattern of guest `r1`, reads every page back,
//! rewrites it with version 2 and reads it back again, so that a guest
//! with less RAM than this swaps every page out and in. It reports the
//! pages checked and mismatches on the console and exits with the number
//! of mismatches (0: every byte came back). It never trusts the guest
//! kernel: every page is checked.

#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod program {
    use guest_programs::pattern::{self, Expected, PAGE_BYTES};
    use guest_programs::report::Line;
    use guest_programs::sys;

    /// The exit status when the guest kernel refuses the memory.
    const NO_MEMORY: i32 = 200;

    fn main(pages: u32, guest: u32) -> i32 {
        let Some(base) = pages.checked_mul(PAGE_BYTES as u32).and_then(sys::mmap) else {
            sys::write(b"hog: mmap refused\n");
            return NO_MEMORY;
        };
        let (mut checked, mut mismatches) = (0u32, 0u32);
        for version in 1..=2 {
            for index in 0..pages {
                let address = base + index * PAGE_BYTES as u32;
                // SAFETY: the guest kernel mapped `pages` pages of
                // read/write memory at `base` for this process alone.
                let page = unsafe { &mut *(address as *mut [u8; PAGE_BYTES]) };
                pattern::fill(page, guest, address, version);
            }
            for index in 0..pages {
                let address = base + index * PAGE_BYTES as u32;
                // SAFETY: as above; nothing else refers to the page now.
                let page = unsafe { &*(address as *const [u8; PAGE_BYTES]) };
                checked += 1;
                if pattern::first_mismatch(page, guest, address, Expected::Version(version))
                    .is_some()
                {
                    mismatches += 1;
                }
            }
        }
        let mut line = Line::new();
        line.text("hog: pages checked ")
            .number(checked)
            .text(" mismatches ")
            .number(mismatches)
            .text("\n");
        sys::write(line.as_bytes());
        sys::munmap(base, pages * PAGE_BYTES as u32);
        mismatches.min(199) as i32
    }

    guest_programs::program!(main);
}

#[cfg(not(target_os = "none"))]
fn main() {}
