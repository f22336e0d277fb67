//! The kernel half of every address space (the table behind TTBR1).
//!
//! The RAM the linear map covers (`layout::linear_map_end`: all of it up
//! to 768 MiB) is mapped read/write, never executable, with sections —
//! except the megabytes holding the kernel image, which get second-level
//! tables so that text is read-only and executable, read-only data is
//! read-only, and data is never executable. A guard page below the kernel
//! stack is left unmapped so an overflow faults instead of corrupting data.
//! Device sections go into the device window; the RAM window is left
//! empty for `arch` to fill. Nothing here is mapped for user mode.

use core::ops::Range;

use super::descriptor::{Attributes, L1Entry, L2Entry};
use super::layout;
use super::{L1_ENTRIES, L2_ENTRIES, PAGE_SIZE, SECTION_SIZE};
use platform::Board;

/// Where the linker put the kernel image, in kernel virtual addresses.
/// Every bound is page aligned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageLayout {
    /// Executable code, including the exception vectors.
    pub text: Range<usize>,
    /// Read-only data.
    pub rodata: Range<usize>,
    /// Data, bss and stacks.
    pub data: Range<usize>,
    /// Pages inside `data` that stay unmapped (stack guards).
    pub guards: [usize; 1],
}

/// Why a kernel space could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// An image bound is not page aligned, or the ranges overlap or are out
    /// of order.
    BadImageLayout,
    /// The image is not inside the linear map of RAM.
    ImageOutsideRam,
    /// More second-level tables are needed than were provided.
    TooFewPageTables { needed: usize, provided: usize },
}

/// One second-level table.
pub type L2Table = [L2Entry; L2_ENTRIES];

/// Fills `l1` (and the first tables of `l2`) with the kernel space for
/// `board` on a machine whose RAM ends at `ram_end`. `l2_phys` is the
/// physical address of `l2[0]`; the tables are contiguous. Returns how
/// many second-level tables were used.
pub fn build(
    board: &Board,
    ram_end: usize,
    image: &ImageLayout,
    l1: &mut [L1Entry; L1_ENTRIES],
    l2: &mut [L2Table],
    l2_phys: usize,
) -> Result<usize, LayoutError> {
    check(image)?;
    let first = image.text.start / SECTION_SIZE;
    let last = (image.data.end - 1) / SECTION_SIZE;
    let needed = last - first + 1;
    if needed > l2.len() {
        return Err(LayoutError::TooFewPageTables {
            needed,
            provided: l2.len(),
        });
    }
    let linear_end = layout::linear_map_end(board, ram_end);
    let mapped = |va: usize| layout::ram_phys(board, va).filter(|&pa| pa < linear_end);
    if mapped(image.text.start).is_none() || mapped(image.data.end - 1).is_none() {
        return Err(LayoutError::ImageOutsideRam);
    }

    l1.fill(L1Entry::FAULT);
    let mut va = layout::RAM_VIRT_BASE;
    while let Some(pa) = mapped(va) {
        l1[va / SECTION_SIZE] = L1Entry::section(pa, Attributes::KERNEL_DATA);
        va += SECTION_SIZE;
    }
    for (table_index, section) in (first..=last).enumerate() {
        let table = &mut l2[table_index];
        for (page, entry) in table.iter_mut().enumerate() {
            let va = section * SECTION_SIZE + page * PAGE_SIZE;
            *entry = match attributes_of(image, va) {
                Some(attrs) => {
                    let pa = layout::ram_phys(board, va).ok_or(LayoutError::ImageOutsideRam)?;
                    L2Entry::small_page(pa, attrs)
                }
                None => L2Entry::FAULT,
            };
        }
        let table_pa = l2_phys + table_index * core::mem::size_of::<L2Table>();
        l1[section] = L1Entry::page_table(table_pa);
    }
    for &section_pa in board.mmio_sections {
        if let Some(va) = layout::device_virt(board, section_pa) {
            l1[va / SECTION_SIZE] = L1Entry::section(section_pa, Attributes::KERNEL_DEVICE);
        }
    }
    Ok(needed)
}

fn check(image: &ImageLayout) -> Result<(), LayoutError> {
    let aligned = |a: usize| a.is_multiple_of(PAGE_SIZE);
    let ranges = [&image.text, &image.rodata, &image.data];
    let ordered = image.text.start < image.text.end
        && image.text.end <= image.rodata.start
        && image.rodata.start <= image.rodata.end
        && image.rodata.end <= image.data.start
        && image.data.start < image.data.end;
    let all_aligned = ranges.iter().all(|r| aligned(r.start) && aligned(r.end))
        && image.guards.iter().all(|&g| aligned(g));
    if ordered && all_aligned {
        Ok(())
    } else {
        Err(LayoutError::BadImageLayout)
    }
}

/// How the page at `va` inside the image's megabytes is mapped; `None`
/// leaves it unmapped.
fn attributes_of(image: &ImageLayout, va: usize) -> Option<Attributes> {
    if image.guards.contains(&va) {
        None
    } else if image.text.contains(&va) {
        Some(Attributes::KERNEL_TEXT)
    } else if image.rodata.contains(&va) {
        Some(Attributes::KERNEL_RODATA)
    } else {
        Some(Attributes::KERNEL_DATA)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::mm::descriptor::{L1Kind, SmallPageBits};
    use platform::boards::VEXPRESS_A9;
    use std::vec;

    fn image() -> ImageLayout {
        ImageLayout {
            text: 0xC001_4000..0xC002_0000,
            rodata: 0xC002_0000..0xC002_8000,
            data: 0xC002_8000..0xC010_8000,
            guards: [0xC003_0000],
        }
    }

    fn built() -> (
        std::boxed::Box<[L1Entry; L1_ENTRIES]>,
        std::vec::Vec<L2Table>,
    ) {
        let mut l1 = std::boxed::Box::new([L1Entry::FAULT; L1_ENTRIES]);
        let mut l2 = vec![[L2Entry::FAULT; L2_ENTRIES]; 4];
        let used = build(
            &VEXPRESS_A9,
            0x7000_0000,
            &image(),
            &mut l1,
            &mut l2,
            0x6100_0000,
        )
        .unwrap();
        assert_eq!(used, 2);
        (l1, l2)
    }

    #[test]
    fn image_megabytes_use_page_tables_and_the_rest_sections() {
        let (l1, _) = built();
        assert_eq!(l1[0xC00], L1Entry::page_table(0x6100_0000));
        assert_eq!(l1[0xC01], L1Entry::page_table(0x6100_0400));
        assert_eq!(l1[0xC02].kind(), L1Kind::Section { base: 0x6020_0000 });
        assert_eq!(l1[0xCFF].kind(), L1Kind::Section { base: 0x6FF0_0000 });
        assert_eq!(l1[0xD00].kind(), L1Kind::Fault);
        assert_eq!(l1[0xF00].kind(), L1Kind::Section { base: 0x1000_0000 });
        // Nothing below the kernel half, and no identity map.
        assert!(l1[..0x800].iter().all(|e| e.kind() == L1Kind::Fault));
    }

    #[test]
    fn the_linear_map_covers_the_ram_the_machine_has_up_to_768_mib() {
        let mut l1 = std::boxed::Box::new([L1Entry::FAULT; L1_ENTRIES]);
        let mut l2 = vec![[L2Entry::FAULT; L2_ENTRIES]; 4];
        // -m 128M: nothing past 0x6800_0000 is mapped.
        build(&VEXPRESS_A9, 0x6800_0000, &image(), &mut l1, &mut l2, 0).unwrap();
        assert_eq!(l1[0xC7F].kind(), L1Kind::Section { base: 0x67F0_0000 });
        assert_eq!(l1[0xC80].kind(), L1Kind::Fault);
        // -m 1G: 768 MiB, and neither the RAM window nor anything past it.
        build(&VEXPRESS_A9, 0xA000_0000, &image(), &mut l1, &mut l2, 0).unwrap();
        assert_eq!(l1[0xEFF].kind(), L1Kind::Section { base: 0x8FF0_0000 });
        assert_eq!(l1[0xF00].kind(), L1Kind::Section { base: 0x1000_0000 });
        let window = layout::RAM_WINDOW_VIRT / SECTION_SIZE;
        assert!(l1[window..].iter().all(|e| e.kind() == L1Kind::Fault));
        // An image past the RAM there is is refused.
        assert_eq!(
            build(&VEXPRESS_A9, 0x6010_0000, &image(), &mut l1, &mut l2, 0),
            Err(LayoutError::ImageOutsideRam)
        );
    }

    #[test]
    fn text_is_executable_read_only_and_data_is_not_executable() {
        let (_, l2) = built();
        let page = |va: usize| l2[(va >> 20) - 0xC00][(va >> 12) & 0xFF];
        let text = page(0xC001_4000).bits();
        assert!(!text.contains(SmallPageBits::XN) && text.contains(SmallPageBits::AP2));
        let rodata = page(0xC002_0000).bits();
        assert!(rodata.contains(SmallPageBits::XN | SmallPageBits::AP2));
        let data = page(0xC002_8000).bits();
        assert!(data.contains(SmallPageBits::XN) && !data.contains(SmallPageBits::AP2));
        assert_eq!(page(0xC002_8000).page(), Some(0x6002_8000));
        assert_eq!(page(0xC003_0000), L2Entry::FAULT, "stack guard");
        // The boot code below the text is plain data once the kernel runs.
        assert!(page(0xC001_0000).bits().contains(SmallPageBits::XN));
    }

    #[test]
    fn rejects_bad_layouts() {
        let mut l1 = std::boxed::Box::new([L1Entry::FAULT; L1_ENTRIES]);
        let mut l2 = vec![[L2Entry::FAULT; L2_ENTRIES]; 1];
        let r = build(&VEXPRESS_A9, 0x7000_0000, &image(), &mut l1, &mut l2, 0);
        assert_eq!(
            r,
            Err(LayoutError::TooFewPageTables {
                needed: 2,
                provided: 1
            })
        );
        let mut unaligned = image();
        unaligned.rodata.start += 4;
        assert_eq!(
            build(&VEXPRESS_A9, 0x7000_0000, &unaligned, &mut l1, &mut l2, 0),
            Err(LayoutError::BadImageLayout)
        );
        let outside = ImageLayout {
            text: 0xD000_0000..0xD000_1000,
            rodata: 0xD000_1000..0xD000_1000,
            data: 0xD000_1000..0xD000_2000,
            guards: [0xD000_1000],
        };
        assert_eq!(
            build(&VEXPRESS_A9, 0x7000_0000, &outside, &mut l1, &mut l2, 0),
            Err(LayoutError::ImageOutsideRam)
        );
    }
}
