//! The board's RAM budget: partitions, guest memory, shared regions and
//! frames must fit what the board has below the linear map's limit, after
//! the kernel's reserve, and a frame that takes the rest must find enough
//! left.
//!
//! This module only adds up and compares; it must never place anything in
//! physical memory (the kernel does that at boot).

use platform::Board;

use super::super::description::{Description, FrameSize};
use super::super::reserve::KERNEL_RESERVE;
use super::{Checker, DescriptionError};

/// The least RAM the board must have left for a frame that takes the rest
/// (the kernel starts that frame on a 1 MiB boundary).
pub const REST_MINIMUM: u64 = 2 << 20;
/// The linear map's limit (kernel/src/mm/layout.rs: 0xC000_0000..0xF000_0000).
pub(in crate::system) const RAM_VIRT_MAX: u64 = 0x3000_0000;

/// Checks that `total_memory` (everything counted so far) and the fixed
/// frames fit `board`, leaving enough for a frame that takes the rest.
pub(super) fn ram_budget(
    c: &Checker<'_>,
    d: &Description,
    board: &Board,
    mut total_memory: u64,
) -> Result<(), DescriptionError> {
    total_memory += d
        .frames
        .iter()
        .map(|f| u64::from(f.size_kib.fixed_kib()) * 1024)
        .sum::<u64>();
    let budget = (board.ram.size as u64)
        .min(RAM_VIRT_MAX)
        .saturating_sub(KERNEL_RESERVE);
    if total_memory > budget {
        return Err(c.err(
            "partition",
            format!(
                "partitions and shared memory need {} KiB, but {} has only {} KiB for them",
                total_memory / 1024,
                board.name,
                budget / 1024
            ),
        ));
    }
    if let Some(i) = d.frames.iter().position(|f| f.size_kib == FrameSize::Rest) {
        if total_memory + REST_MINIMUM > budget {
            return Err(c.err(
                format!("frame[{i}].size_kib"),
                format!(
                    "\"rest\" needs at least {} KiB left on {}, and only {} KiB are",
                    REST_MINIMUM / 1024,
                    board.name,
                    budget - total_memory
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::super::reserve::KERNEL_RESERVE;
    use super::super::fixtures::{check, rejected, GOOD};

    #[test]
    fn rejects_oversized_memory() {
        rejected(
            "memory_kib = 64\nthreads",
            "memory_kib = 300000\nthreads",
            "partition",
            "has only",
        );
    }

    #[test]
    fn one_frame_may_take_the_rest_of_ram() {
        let frame =
            |name: &str, size: &str| format!("\n[[frame]]\nname = \"{name}\"\nsize_kib = {size}\n");
        let text = format!("{GOOD}{}{}", frame("small", "8"), frame("pool", "\"rest\""));
        let info = check(&text).unwrap();
        assert_eq!(
            info.frames.iter().collect::<Vec<_>>(),
            [8 * 1024, boot_info::FRAME_REST]
        );

        let two = format!("{text}{}", frame("again", "\"rest\""));
        let error = check(&two).unwrap_err();
        assert_eq!(error.field, "frame[2].size_kib", "{error}");
        assert!(error.reason.contains("only one"), "{error}");

        let word = format!("{GOOD}{}", frame("pool", "\"all\""));
        let error = check(&word).unwrap_err();
        assert!(error.reason.contains("\"rest\""), "{error}");

        // Everything else takes all but 1 MiB of what the board has for
        // partitions: too little is left for the rest.
        let budget_kib = (256 << 10) - (KERNEL_RESERVE >> 10) as u32;
        let others = 2 * 64 + 8;
        let big = GOOD.replacen(
            "memory_kib = 64\nconfig",
            &format!("memory_kib = {}\nconfig", budget_kib - others - 1024),
            1,
        );
        assert!(check(&big).is_ok(), "test bug: the big system must fit");
        let error = check(&format!("{big}{}", frame("pool", "\"rest\""))).unwrap_err();
        assert_eq!(error.field, "frame[0].size_kib", "{error}");
        assert!(error.reason.contains("left"), "{error}");
    }
}
