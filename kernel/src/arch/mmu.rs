//! Installing the kernel space in the MMU, moving the RAM window, and
//! reading the MMU back.
//!
//! TTBR1 and TTBCR are accessed with inline `mcr`/`mrc` because
//! `aarch32-cpu` 0.4 has accessors for TTBR0 but not for these two; every
//! other CP15 register goes through that crate.

use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicUsize, Ordering};

use aarch32_cpu::register::Sctlr;
use platform::BOARD;

use super::boot::TTBR_WALK_WBWA;
use crate::mm::descriptor::{Attributes, L1Entry, L2Entry};
use crate::mm::kernel_space::{self, ImageLayout, L2Table, LayoutError};
use crate::mm::{layout, L1Table, L2_ENTRIES, SECTION_SIZE};

/// Second-level tables available for the kernel image's megabytes.
const IMAGE_L2_TABLES: usize = 4;

#[repr(C, align(1024))]
struct ImageTables([L2Table; IMAGE_L2_TABLES]);

static mut KERNEL_L1: L1Table = L1Table::EMPTY;
static mut KERNEL_L2: ImageTables = ImageTables([[L2Entry::FAULT; L2_ENTRIES]; IMAGE_L2_TABLES]);

/// TTBCR.PD0: no table walks through TTBR0 until a partition runs.
const TTBCR_PD0: u32 = 1 << 4;

extern "C" {
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __kernel_end: u8;
    static __svc_stack_guard: u8;
}

/// The image layout the linker produced.
fn image_layout() -> ImageLayout {
    // SAFETY: only the addresses of these linker symbols are taken.
    let addr = |symbol: &u8| symbol as *const u8 as usize;
    // SAFETY: the symbols exist in every kernel link (see link.x).
    unsafe {
        ImageLayout {
            text: addr(&__text_start)..addr(&__text_end),
            rodata: addr(&__rodata_start)..addr(&__rodata_end),
            data: addr(&__data_start)..addr(&__kernel_end),
            guards: [addr(&__svc_stack_guard)],
        }
    }
}

/// What [`install_kernel_space`] set up.
#[derive(Clone, Copy, Debug, defmt::Format)]
pub struct KernelSpace {
    /// Physical address of the first-level table in TTBR1.
    pub l1_physical: usize,
    /// Second-level tables used for the image.
    pub image_tables: usize,
}

/// Builds the kernel space for a machine whose RAM ends at `ram_end` and
/// switches to it: TTBR1 holds the kernel half, TTBCR.N splits at 2 GiB,
/// TTBR0 walks are off, and the boot identity map is gone. Must run once,
/// at boot, on the boot table.
pub fn install_kernel_space(ram_end: usize) -> Result<KernelSpace, LayoutError> {
    let image = image_layout();
    // SAFETY: runs once at boot on one CPU before anything else can use
    // the tables; the MMU is not walking them yet.
    let (l1, l2) = unsafe { (&mut *addr_of_mut!(KERNEL_L1), &mut *addr_of_mut!(KERNEL_L2)) };
    let l2_physical = physical(l2.0.as_ptr() as usize)?;
    let image_tables =
        kernel_space::build(BOARD, ram_end, &image, &mut l1.0, &mut l2.0, l2_physical)?;
    let l1_physical = physical(l1 as *const L1Table as usize)?;
    aarch32_cpu::asm::dsb();
    // SAFETY: the new table maps everything the kernel is using (its image,
    // stacks, RAM and devices) at the same addresses as the boot table, so
    // execution continues; the TLB is flushed before anything relies on the
    // new attributes.
    unsafe {
        core::arch::asm!(
            "mcr p15, 0, {ttbr1}, c2, c0, 1",
            "mcr p15, 0, {ttbcr}, c2, c0, 2",
            "isb",
            "mcr p15, 0, {zero}, c8, c7, 0",
            "mcr p15, 0, {zero}, c7, c5, 6",
            "dsb",
            "isb",
            ttbr1 = in(reg) l1_physical as u32 | TTBR_WALK_WBWA,
            ttbcr = in(reg) layout::TTBCR_N | TTBCR_PD0,
            zero = in(reg) 0u32,
            options(nostack, preserves_flags),
        );
    }
    Ok(KernelSpace {
        l1_physical,
        image_tables,
    })
}

/// The section of RAM (physical) the RAM window maps, or `usize::MAX`
/// (never a section's address) while it maps nothing.
static WINDOW_SECTION: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Maps the 1 MiB section of RAM at physical `section` in the RAM window
/// (`layout::RAM_WINDOW_VIRT`), kernel read/write, never executable, and
/// returns the window's address; what it mapped before is gone. Only
/// `arch::ram` calls it, for RAM beyond the linear map, with interrupts
/// masked (the kernel's rule), so nothing else uses the window meanwhile.
pub fn map_ram_window(section: usize) -> usize {
    debug_assert!(section.is_multiple_of(SECTION_SIZE));
    if WINDOW_SECTION.load(Ordering::Relaxed) != section {
        let index = layout::RAM_WINDOW_VIRT / SECTION_SIZE;
        let entry = L1Entry::section(section, Attributes::KERNEL_DATA);
        // SAFETY: one aligned word of the kernel's first-level table, the
        // window's entry, which nothing but this function writes and
        // nothing holds a reference into (install_kernel_space's ended).
        // Break before make: the old entry is made a fault and its
        // translation dropped (TLBIMVAA: every ASID, as kernel entries
        // are global) before the new one is written; the caches are
        // physically indexed and tagged, so data cached through the old
        // mapping stays right.
        unsafe {
            let slot = addr_of_mut!(KERNEL_L1.0[index]);
            slot.write_volatile(L1Entry::FAULT);
            core::arch::asm!(
                "dsb",
                "mcr p15, 0, {va}, c8, c7, 3",
                "dsb",
                va = in(reg) layout::RAM_WINDOW_VIRT,
                options(nostack, preserves_flags),
            );
            slot.write_volatile(entry);
        }
        aarch32_cpu::asm::dsb();
        aarch32_cpu::asm::isb();
        WINDOW_SECTION.store(section, Ordering::Relaxed);
    }
    layout::RAM_WINDOW_VIRT
}

fn physical(va: usize) -> Result<usize, LayoutError> {
    layout::ram_phys(BOARD, va).ok_or(LayoutError::ImageOutsideRam)
}

/// The MMU and cache state, for the boot log.
#[derive(Clone, Copy, Debug, defmt::Format)]
pub struct MmuState {
    /// SCTLR.M.
    pub mmu: bool,
    /// SCTLR.C.
    pub dcache: bool,
    /// SCTLR.I.
    pub icache: bool,
    /// SCTLR.Z.
    pub branch_prediction: bool,
    /// TTBCR.
    pub ttbcr: u32,
    /// TTBR1.
    pub ttbr1: u32,
}

/// Reads the MMU and cache state back from CP15.
pub fn state() -> MmuState {
    let sctlr = Sctlr::read();
    let (ttbcr, ttbr1): (u32, u32);
    // SAFETY: reading TTBCR and TTBR1 has no side effects.
    unsafe {
        core::arch::asm!(
            "mrc p15, 0, {ttbcr}, c2, c0, 2",
            "mrc p15, 0, {ttbr1}, c2, c0, 1",
            ttbcr = out(reg) ttbcr,
            ttbr1 = out(reg) ttbr1,
            options(nomem, nostack, preserves_flags),
        );
    }
    MmuState {
        mmu: sctlr.m(),
        dcache: sctlr.c(),
        icache: sctlr.i(),
        branch_prediction: sctlr.z(),
        ttbcr,
        ttbr1,
    }
}
