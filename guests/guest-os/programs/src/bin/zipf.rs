//! Random access with a Zipf skew (arguments: `zipf::Params` as words):
//! maps the page set and a version word per page, runs the touches
//! (`guest_programs::zipf`), prints its result line (`zipf: operations ..
//! checked .. mismatches ..`) and exits with the number of mismatches.
//! It never trusts the guest kernel: every page it reads is checked.

#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod program {
    use guest_programs::pattern::PAGE_BYTES;
    use guest_programs::rt::BAD_ARGUMENTS_EXIT;
    use guest_programs::sys;
    use guest_programs::zipf::{self, Params};

    /// The exit status when the guest kernel refuses the memory.
    const NO_MEMORY: i32 = 200;

    fn main(arguments: &[u32]) -> i32 {
        let Some(params) = Params::from_words(arguments) else {
            return BAD_ARGUMENTS_EXIT;
        };
        let Some(bytes) = params.pages.checked_mul(PAGE_BYTES as u32) else {
            return BAD_ARGUMENTS_EXIT;
        };
        let (Some(base), Some(versions)) = (sys::mmap(bytes), sys::mmap(params.pages * 4)) else {
            sys::write(b"zipf: mmap refused\n");
            return NO_MEMORY;
        };
        // SAFETY: the guest kernel mapped `bytes` bytes of demand-zero
        // read/write memory at `base`, and a word per page at `versions`,
        // for this process alone; nothing else refers to them.
        let (memory, versions) = unsafe {
            (
                core::slice::from_raw_parts_mut(base as *mut u8, bytes as usize),
                core::slice::from_raw_parts_mut(versions as *mut u32, params.pages as usize),
            )
        };
        let Some(tally) = zipf::run(&params, base, memory, versions) else {
            sys::write(b"zipf: bad parameters\n");
            return BAD_ARGUMENTS_EXIT;
        };
        sys::write(tally.line("zipf").as_bytes());
        tally.status()
    }

    guest_programs::program!(main);
}

#[cfg(not(target_os = "none"))]
fn main() {}
