//! Which thread of the partition is running, from the thread ID the
//! kernel keeps in TPIDRURO (`kernel_abi::user_layout::thread_id`).
//!
//! Reading it is one instruction and no system call. This module must
//! never be used to identify a thread across partitions: ids repeat in
//! every partition.

/// The running thread's id: its index in the partition plus one.
#[inline]
pub fn id() -> u32 {
    let id: u32;
    // SAFETY: reads TPIDRURO (CP15 c13, c0, 3), which user mode may read;
    // no memory, stack or flags are touched.
    unsafe {
        core::arch::asm!(
            "mrc p15, 0, {id}, c13, c0, 3",
            id = out(reg) id,
            options(nomem, nostack, preserves_flags),
        );
    }
    id
}

/// The running thread's index in its partition (what `Start::thread`
/// said when it started).
#[inline]
pub fn index() -> u32 {
    id().wrapping_sub(1)
}
