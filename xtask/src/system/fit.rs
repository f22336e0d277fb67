//! Whether a built partition fits the memory its description gives it:
//! the ELF's segments from `USER_BASE`, then the threads' stacks below the
//! top with a guard page between each two — the layout the kernel's loader
//! uses. Checked after the partition's crate is built, so that a
//! too-small `memory_kib` is an error naming the file and field instead of
//! a kernel panic at boot. It only reads what `ElfInfo` found in the ELF.

use std::path::Path;

use kernel_abi::user_layout::{PAGE_SIZE, USER_BASE};

use super::DescriptionError;
use crate::elf::ElfInfo;

/// What a partition needs: the end of its image and its stacks' bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footprint {
    /// One past the last byte of its loaded segments, rounded up to a page.
    pub image_end: u64,
    /// Bytes of stacks and the guard pages between them.
    pub stacks: u64,
}

/// The footprint of `elf` with stacks of `stack_sizes` bytes.
pub fn footprint(elf: &ElfInfo, stack_sizes: &[u32]) -> Footprint {
    let page = u64::from(PAGE_SIZE);
    let image_end = elf
        .segments
        .iter()
        .map(|&(vaddr, _, size)| vaddr + size)
        .max()
        .unwrap_or(u64::from(USER_BASE))
        .div_ceil(page)
        * page;
    let guards = stack_sizes.len().saturating_sub(1) as u64 * page;
    let stacks = stack_sizes.iter().map(|&s| u64::from(s)).sum::<u64>() + guards;
    Footprint { image_end, stacks }
}

/// Refuses partition `index` (`name`, built from `krate`) of `file` if its
/// image and stacks do not fit `memory` bytes.
pub fn check(
    file: &Path,
    index: usize,
    krate: &str,
    memory: u32,
    needs: Footprint,
) -> Result<(), DescriptionError> {
    let image = needs.image_end.saturating_sub(u64::from(USER_BASE));
    if image + needs.stacks <= u64::from(memory) {
        return Ok(());
    }
    let kib = |bytes: u64| bytes.div_ceil(1024);
    Err(DescriptionError {
        file: file.to_path_buf(),
        field: format!("partition[{index}].memory_kib"),
        reason: format!(
            "{} KiB cannot hold `{krate}` ({} KiB of code and data) and its stacks ({} KiB); it needs at least {} KiB",
            kib(u64::from(memory)),
            kib(image),
            kib(needs.stacks),
            kib(image + needs.stacks)
        ),
    })
}

/// Refuses partition `index` of `file` if its image, built from `krate`,
/// has more loadable segments than the kernel's loader takes
/// ([`boot_info::MAX_IMAGE_SEGMENTS`]; empty ones do not count).
pub fn check_segments(
    file: &Path,
    index: usize,
    krate: &str,
    elf: &ElfInfo,
) -> Result<(), DescriptionError> {
    let loaded = elf
        .segments
        .iter()
        .filter(|&&(_, _, size)| size > 0)
        .count();
    if loaded <= boot_info::MAX_IMAGE_SEGMENTS {
        return Ok(());
    }
    Err(DescriptionError {
        file: file.to_path_buf(),
        field: format!("partition[{index}].crate"),
        reason: format!(
            "`{krate}` has {loaded} loadable segments; the kernel loads at most {}",
            boot_info::MAX_IMAGE_SEGMENTS
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: u32 = 1024;

    fn needs(image_kib: u64, stacks_kib: u64) -> Footprint {
        Footprint {
            image_end: u64::from(USER_BASE) + image_kib * 1024,
            stacks: stacks_kib * 1024,
        }
    }

    #[test]
    fn a_partition_that_fits_passes_and_one_that_does_not_names_the_field() {
        let file = Path::new("systems/x.toml");
        assert!(check(file, 0, "guest", 64 * KIB, needs(40, 24)).is_ok());
        let error = check(file, 2, "guest", 64 * KIB, needs(44, 24)).unwrap_err();
        assert_eq!(error.field, "partition[2].memory_kib");
        assert!(
            error.reason.contains("needs at least 68 KiB"),
            "{}",
            error.reason
        );
        assert_eq!(error.file, file);
    }

    #[test]
    fn the_footprint_of_a_real_elf_counts_segments_and_guards() {
        // A minimal ELF32 header with one PT_LOAD at USER_BASE, 0x1800
        // bytes in memory.
        let mut elf = vec![0u8; 52 + 32];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 1; // ELFCLASS32
        elf[5] = 1; // little endian
        elf[6] = 1;
        elf[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        elf[18..20].copy_from_slice(&40u16.to_le_bytes()); // EM_ARM
        elf[20..24].copy_from_slice(&1u32.to_le_bytes());
        elf[28..32].copy_from_slice(&52u32.to_le_bytes()); // e_phoff
        elf[40..42].copy_from_slice(&52u16.to_le_bytes()); // e_ehsize
        elf[42..44].copy_from_slice(&32u16.to_le_bytes()); // e_phentsize
        elf[44..46].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
        let ph = 52;
        elf[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        elf[ph + 8..ph + 12].copy_from_slice(&USER_BASE.to_le_bytes());
        elf[ph + 20..ph + 24].copy_from_slice(&0x1800u32.to_le_bytes()); // p_memsz
        assert!(ElfInfo::parse(Path::new("x.elf"), &elf[..20]).is_err());
        let mut elf = ElfInfo::parse(Path::new("x.elf"), &elf).unwrap();
        let found = footprint(&elf, &[8 * KIB, 4 * KIB]);
        assert_eq!(found.image_end, u64::from(USER_BASE) + 0x2000);
        assert_eq!(found.stacks, 16 * 1024, "two stacks and one guard page");
        let file = Path::new("systems/x.toml");
        assert!(check_segments(file, 1, "x", &elf).is_ok());
        // As many segments as the loader takes, then one more; empty
        // segments are not loaded and do not count.
        let page = u64::from(PAGE_SIZE);
        elf.segments = (0..boot_info::MAX_IMAGE_SEGMENTS as u64)
            .map(|k| (u64::from(USER_BASE) + k * page, 0, page))
            .chain([(0, 0, 0)])
            .collect();
        assert!(check_segments(file, 1, "x", &elf).is_ok());
        elf.segments
            .push((u64::from(USER_BASE) + 64 * page, 0, page));
        let error = check_segments(file, 1, "x", &elf).unwrap_err();
        assert_eq!(error.field, "partition[1].crate");
        assert!(
            error.reason.contains("9 loadable segments"),
            "{}",
            error.reason
        );
    }
}
