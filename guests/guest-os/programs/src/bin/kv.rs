//! The key-value store (arguments: `kv::Params` as words): maps its
//! table and a version word per key, runs the gets and puts
//! (`guest_programs::kv`), prints its result line (`kv: operations ..
//! checked .. mismatches ..`) and exits with the number of mismatches.
//! Every record a get finds is checked.

#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod program {
    use guest_programs::kv::{self, Params};
    use guest_programs::rt::BAD_ARGUMENTS_EXIT;
    use guest_programs::sys;

    /// The exit status when the guest kernel refuses the memory.
    const NO_MEMORY: i32 = 200;

    fn main(arguments: &[u32]) -> i32 {
        let Some(params) = Params::from_words(arguments) else {
            return BAD_ARGUMENTS_EXIT;
        };
        let (Some(table_bytes), Some(version_bytes)) =
            (params.table_bytes(), params.keys.checked_mul(4))
        else {
            return BAD_ARGUMENTS_EXIT;
        };
        let (Some(table), Some(versions)) = (sys::mmap(table_bytes), sys::mmap(version_bytes))
        else {
            sys::write(b"kv: mmap refused\n");
            return NO_MEMORY;
        };
        // SAFETY: the guest kernel mapped these many bytes of demand-zero
        // read/write memory at `table` and `versions` for this process
        // alone; they are page aligned and nothing else refers to them.
        let (table, versions) = unsafe {
            (
                core::slice::from_raw_parts_mut(table as *mut u32, table_bytes as usize / 4),
                core::slice::from_raw_parts_mut(versions as *mut u32, params.keys as usize),
            )
        };
        let Some(tally) = kv::run(&params, table, versions) else {
            sys::write(b"kv: bad parameters\n");
            return BAD_ARGUMENTS_EXIT;
        };
        sys::write(tally.line("kv").as_bytes());
        tally.status()
    }

    guest_programs::program!(main);
}

#[cfg(not(target_os = "none"))]
fn main() {}
