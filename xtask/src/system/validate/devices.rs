//! `[[device]]`: device regions a partition maps — page aligned, below
//! 4 GiB, outside RAM, clear of the devices the kernel drives and of each
//! other (a device has one driver), and placed in the partition by
//! [`mappings`](super::mappings).
//!
//! This module only checks devices; it must never let a partition map a
//! device the kernel drives.

use std::collections::BTreeSet;

use boot_info::DeviceRegion;
use kernel_abi::user_layout::PAGE_SIZE;
use platform::Board;

use super::super::description::Description;
use super::mappings::{check_mapping, Taken};
use super::{Checker, DescriptionError};

/// The physical ranges, page-rounded, of the devices the kernel drives
/// itself: a partition that mapped one could mask the scheduler's timer
/// interrupt or write the console under the kernel.
fn kernel_devices(board: &Board) -> Vec<(&'static str, u64, u64)> {
    let page = u64::from(PAGE_SIZE);
    let pages = |what, base: usize, size: u64| {
        let start = base as u64 & !(page - 1);
        (what, start, (base as u64 + size).next_multiple_of(page))
    };
    let mut out = vec![
        pages("the console UART", board.console.base(), page),
        // SCU, GIC CPU interface, timers and GIC distributor: 8 KiB.
        pages("the MPCore private region", board.mpcore_base, 2 * page),
    ];
    if let Some(base) = board.legacy_ictlr {
        out.push(pages("the legacy interrupt controller", base, page));
    }
    if let Some(base) = board.us_timer {
        out.push(pages("the microsecond timer", base, 4));
    }
    out
}

pub(super) fn devices(
    c: &Checker<'_>,
    d: &Description,
    board: &Board,
    taken: &mut Vec<Taken>,
) -> Result<Vec<DeviceRegion>, DescriptionError> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (i, dev) in d.devices.iter().enumerate() {
        let at = |field: &str| format!("device[{i}].{field}");
        let name = c.name(&at("name"), &dev.name)?;
        if !names.insert(dev.name.as_str()) {
            return Err(c.err(at("name"), format!("duplicate device name `{}`", dev.name)));
        }
        let partition = c.partition_index(&at("partition"), &dev.partition, d)?;
        let size = c.pages(&at("size_kib"), dev.size_kib)?;
        if !dev.physical.is_multiple_of(PAGE_SIZE) {
            return Err(c.err(
                at("physical"),
                "must be page aligned (a multiple of 0x1000)",
            ));
        }
        let phys_start = u64::from(dev.physical);
        let phys_end = phys_start + u64::from(size);
        if phys_end > 1 << 32 {
            return Err(c.err(
                at("size_kib"),
                format!(
                    "the registers would end at {phys_end:#x}, beyond the 32-bit physical address space"
                ),
            ));
        }
        if let Some((what, start, _)) = kernel_devices(board)
            .into_iter()
            .find(|&(_, start, end)| phys_start < end && start < phys_end)
        {
            return Err(c.err(
                at("physical"),
                format!(
                    "overlaps {what} at {start:#x}, which the kernel drives: no partition may map it"
                ),
            ));
        }
        if let Some(other) = d.devices[..i].iter().find(|other| {
            let start = u64::from(other.physical);
            phys_start < start + u64::from(other.size_kib) * 1024 && start < phys_end
        }) {
            return Err(c.err(
                at("physical"),
                format!(
                    "overlaps the registers of device `{}` (of partition `{}`): a device has one driver",
                    other.name, other.partition
                ),
            ));
        }
        // The most RAM the board can have: QEMU `-m 1G` puts RAM there.
        let ram_end = board.ram_max_end() as u64;
        if u64::from(dev.physical) < ram_end && (board.ram.base as u64) < phys_end {
            return Err(c.err(
                at("physical"),
                format!("lies in {}'s RAM, not in device space", board.name),
            ));
        }
        let what = format!("device `{}`", dev.name);
        check_mapping(
            c,
            &format!("device[{i}]"),
            d,
            taken,
            partition,
            dev.address,
            size,
            what,
        )?;
        out.push(DeviceRegion {
            name,
            partition,
            physical: dev.physical,
            size,
            address: dev.address,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{check, rejected, GOOD};

    #[test]
    fn rejects_devices_the_kernel_drives_shares_or_that_wrap() {
        rejected(
            "physical = 0x1000a000",
            "physical = 0x10009000",
            "device[0].physical",
            "the console UART",
        );
        rejected(
            "physical = 0x1000a000",
            "physical = 0x1E001000",
            "device[0].physical",
            "the MPCore private region",
        );
        rejected(
            "physical = 0x1000a000\nsize_kib = 4",
            "physical = 0xFFFFF000\nsize_kib = 8",
            "device[0].size_kib",
            "beyond the 32-bit physical address space",
        );
        let twin = "\n[[device]]\nname = \"uart1-again\"\npartition = \"a\"\nphysical = 0x1000a000\nsize_kib = 4\naddress = 0x30000000\n";
        let error = check(&format!("{GOOD}{twin}")).unwrap_err();
        assert_eq!(error.field, "device[1].physical", "{error}");
        assert!(error.reason.contains("device `uart1`"), "{error}");
    }
}
