//! Where a shared or device region may sit in a partition's address
//! space: page aligned, in user space, clear of the IPC buffers, the pool
//! region, the grant window, the partition's own memory and every region
//! it already maps.
//!
//! This module only places regions in virtual memory; it must never judge
//! the physical side of a device (see [`devices`](super::devices)).

use kernel_abi::user_layout::{PAGE_SIZE, USER_BASE, USER_TOP};

use super::super::description::Description;
use super::{Checker, DescriptionError};

/// A mapping a partition already has, to check new ones against.
pub(super) struct Taken {
    partition: u8,
    start: u64,
    end: u64,
    what: String,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn check_mapping(
    c: &Checker<'_>,
    field: &str,
    d: &Description,
    taken: &mut Vec<Taken>,
    partition: u8,
    address: u32,
    size: u32,
    what: String,
) -> Result<(), DescriptionError> {
    if !address.is_multiple_of(PAGE_SIZE) {
        return Err(c.err(
            format!("{field}.address"),
            "must be page aligned (a multiple of 0x1000)",
        ));
    }
    let start = u64::from(address);
    let end = start + u64::from(size);
    let buffers = u64::from(kernel_abi::syscall::IPC_BUFFERS);
    if start < buffers + u64::from(PAGE_SIZE) * boot_info::MAX_THREADS as u64 && buffers < end {
        return Err(c.err(
            format!("{field}.address"),
            format!("overlaps the threads' IPC buffers at {buffers:#x}"),
        ));
    }
    let pool = u64::from(kernel_abi::user_layout::POOL_REGION);
    if start < pool + u64::from(kernel_abi::user_layout::POOL_REGION_SIZE) && pool < end {
        return Err(c.err(
            format!("{field}.address"),
            format!("overlaps the pool region at {pool:#x}, where large frames are mapped"),
        ));
    }
    let window = u64::from(kernel_abi::user_layout::GRANT_WINDOW);
    if start < window + u64::from(kernel_abi::user_layout::GRANT_WINDOW_SIZE) && window < end {
        return Err(c.err(
            format!("{field}.address"),
            format!("overlaps the grant window at {window:#x}, where frames are mapped"),
        ));
    }
    if start < u64::from(USER_BASE) || end > u64::from(USER_TOP) {
        return Err(c.err(
            format!("{field}.address"),
            format!("must lie in user space, {USER_BASE:#x}..{USER_TOP:#x}"),
        ));
    }
    let own = &d.partitions[usize::from(partition)];
    let own_end = u64::from(USER_BASE) + u64::from(own.memory_kib) * 1024;
    if start < own_end {
        return Err(c.err(
            format!("{field}.address"),
            format!(
                "overlaps the memory of partition `{}` ({USER_BASE:#x}..{own_end:#x})",
                own.name
            ),
        ));
    }
    if let Some(other) = taken
        .iter()
        .find(|t| t.partition == partition && start < t.end && t.start < end)
    {
        return Err(c.err(
            format!("{field}.address"),
            format!("overlaps {}", other.what),
        ));
    }
    taken.push(Taken {
        partition,
        start,
        end,
        what,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::rejected;

    #[test]
    fn rejects_overlapping_and_misplaced_regions() {
        rejected(
            "address = 0x10000000",
            "address = 0x00108000",
            "shared_memory[0].map[0].address",
            "overlaps the memory of partition `a`",
        );
        rejected(
            "address = 0x10000000",
            "address = 0x10000800",
            "shared_memory[0].map[0].address",
            "page aligned",
        );
        rejected(
            "address = 0x30000000",
            "address = 0x20001000",
            "device[0].address",
            "overlaps shared region `ring`",
        );
        rejected(
            "address = 0x30000000",
            "address = 0x90000000",
            "device[0].address",
            "user space",
        );
        rejected(
            "address = 0x30000000",
            "address = 0x7DFFF000",
            "device[0].address",
            "overlaps the pool region",
        );
        rejected(
            "physical = 0x1000a000",
            "physical = 0x60000000",
            "device[0].physical",
            "RAM",
        );
        rejected(
            "physical = 0x1000a000",
            "physical = 0x1000a010",
            "device[0].physical",
            "page aligned",
        );
    }
}
