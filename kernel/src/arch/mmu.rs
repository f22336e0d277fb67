//! Installing the kernel space in the MMU, and reading the MMU back.
//!
//! TTBR1 and TTBCR are accessed with inline `mcr`/`mrc` because
//! `aarch32-cpu` 0.4 has accessors for TTBR0 but not for these two; every
//! other CP15 register goes through that crate.

use core::ptr::addr_of_mut;

use aarch32_cpu::register::Sctlr;
use platform::BOARD;

use super::boot::TTBR_WALK_WBWA;
use crate::mm::kernel_space::{self, ImageLayout, L2Table, LayoutError};
use crate::mm::{descriptor::L2Entry, layout, L1Table, L2_ENTRIES};

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

/// Builds the kernel space and switches to it: TTBR1 holds the kernel half,
/// TTBCR.N splits at 2 GiB, TTBR0 walks are off, and the boot identity map
/// is gone. Must run once, at boot, on the boot table.
pub fn install_kernel_space() -> Result<KernelSpace, LayoutError> {
    let image = image_layout();
    // SAFETY: runs once at boot on one CPU before anything else can use
    // the tables; the MMU is not walking them yet.
    let (l1, l2) = unsafe { (&mut *addr_of_mut!(KERNEL_L1), &mut *addr_of_mut!(KERNEL_L2)) };
    let l2_physical = physical(l2.0.as_ptr() as usize)?;
    let image_tables = kernel_space::build(BOARD, &image, &mut l1.0, &mut l2.0, l2_physical)?;
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
