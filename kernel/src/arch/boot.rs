//! Reset entry: from the loader's jump (MMU off, physical addresses) to
//! `kmain` running at the kernel's linked, upper-half address.
//!
//! `_start` lives in `.text.boot`, linked at its physical load address. It
//! parks every CPU but the first, cleans and invalidates the L1 data cache
//! and the TLBs, turns the MMU and caches on with the compile-time
//! [`boot_table`](crate::mm::boot_table) (which maps RAM both at its physical
//! address and in the upper half), and jumps up. The upper-half code sets a
//! stack for every exception mode, zeroes `.bss`, sets VBAR and calls
//! `kmain`. Nothing here may use a stack before the stacks are set.

use crate::mm::boot_table::boot_table;
use crate::mm::L1Table;

/// The table the MMU is switched on with; read by `_start` only.
#[link_section = ".boot.l1"]
#[no_mangle]
#[used]
static BOOT_L1: L1Table = boot_table(platform::BOARD);

/// TTBR walk attributes: inner and outer write-back write-allocate
/// (IRGN = RGN = 0b01, with the Multiprocessing Extensions' IRGN split).
pub const TTBR_WALK_WBWA: u32 = (1 << 6) | (0b01 << 3);

/// SCTLR bits `_start` sets: MMU, D-cache, branch prediction, I-cache.
const SCTLR_ON: u32 = (1 << 0) | (1 << 2) | (1 << 11) | (1 << 12);
/// SCTLR bits `_start` clears: alignment check, high vectors, TEX remap,
/// access flag.
const SCTLR_OFF: u32 = (1 << 1) | (1 << 13) | (1 << 28) | (1 << 29);

core::arch::global_asm!(
    r#"
    .section .text.boot, "ax"
    .arm
    .global _start
_start:
    cpsid   aif
    @ Only CPU 0 boots; the others sleep for good.
    mrc     p15, 0, r0, c0, c0, 5
    ands    r0, r0, #3
    bne     .Lpark

    @ MMU and caches off while the tables change.
    mrc     p15, 0, r0, c1, c0, 0
    bic     r0, r0, #1
    bic     r0, r0, #4
    bic     r0, r0, #0x1000
    mcr     p15, 0, r0, c1, c0, 0
    isb

    @ Clean and invalidate L1 D-cache by set/way: the loader may have
    @ left lines dirty. r1 = log2(line bytes), r2 = way, r3 = sets - 1,
    @ r4 = way shift.
    mov     r0, #0
    mcr     p15, 2, r0, c0, c0, 0
    isb
    mrc     p15, 1, r0, c0, c0, 0
    and     r1, r0, #7
    add     r1, r1, #4
    ldr     r2, =0x3FF
    and     r2, r2, r0, lsr #3
    ldr     r3, =0x7FFF
    and     r3, r3, r0, lsr #13
    clz     r4, r2
.Lway:
    mov     r5, r3
.Lset:
    lsl     r6, r2, r4
    orr     r6, r6, r5, lsl r1
    mcr     p15, 0, r6, c7, c14, 2
    subs    r5, r5, #1
    bge     .Lset
    subs    r2, r2, #1
    bge     .Lway
    dsb

    @ Invalidate I-cache, branch predictor and TLBs.
    mov     r0, #0
    mcr     p15, 0, r0, c7, c5, 0
    mcr     p15, 0, r0, c7, c5, 6
    mcr     p15, 0, r0, c8, c7, 0
    dsb
    isb

    @ Boot table in both TTBRs; TTBCR.N = 0 so TTBR0 walks everything.
    ldr     r0, =BOOT_L1
    orr     r0, r0, #{ttbr_walk}
    mcr     p15, 0, r0, c2, c0, 0
    mcr     p15, 0, r0, c2, c0, 1
    mov     r0, #0
    mcr     p15, 0, r0, c2, c0, 2
    mov     r0, #1
    mcr     p15, 0, r0, c3, c0, 0
    isb

    mrc     p15, 0, r0, c1, c0, 0
    ldr     r1, ={sctlr_off}
    bic     r0, r0, r1
    ldr     r1, ={sctlr_on}
    orr     r0, r0, r1
    mcr     p15, 0, r0, c1, c0, 0
    isb
    ldr     r0, =__high_entry
    bx      r0

.Lpark:
    wfi
    b       .Lpark
    .ltorg

    .section .text.__high_entry, "ax"
    .arm
    .global __high_entry
__high_entry:
    cps     #0x12
    ldr     sp, =__irq_stack_top
    cps     #0x11
    ldr     sp, =__fiq_stack_top
    cps     #0x17
    ldr     sp, =__abt_stack_top
    cps     #0x1B
    ldr     sp, =__und_stack_top
    cps     #0x1F
    ldr     sp, =__sys_stack_top
    cps     #0x13
    ldr     sp, =__svc_stack_top

    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
.Lzero:
    cmp     r0, r1
    strlo   r2, [r0], #4
    blo     .Lzero

    ldr     r0, =__vectors
    mcr     p15, 0, r0, c12, c0, 0
    isb
    bl      kmain
.Lhang:
    wfi
    b       .Lhang
    .ltorg
"#,
    ttbr_walk = const TTBR_WALK_WBWA,
    sctlr_on = const SCTLR_ON,
    sctlr_off = const SCTLR_OFF,
);
