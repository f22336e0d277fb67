//! Exit statuses of a run, as the host sees them (QEMU's exit status).

/// Every partition ended by itself (or there were none).
pub const CLEAN: i32 = 0;
/// The run ended, but at least one partition was stopped (by a fault, or
/// by a monitor through a PartitionControl capability).
pub const PARTITION_FAULT: i32 = 3;
/// A self-test image could not read the boot options it needs (no
/// options block, a damaged one, or a self test it does not know): it
/// stops at once instead of silently running something else.
pub const BAD_BOOT_OPTIONS: i32 = 4;
/// The kernel panicked.
pub const KERNEL_PANIC: i32 = 101;
