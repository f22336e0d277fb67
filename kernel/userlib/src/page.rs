//! Whole-page copy and clear, the inner loop of every page exchange.
//!
//! On the target these move 32 bytes per instruction pair with `ldm`/`stm`
//! (fully unrolled: 256 instructions a copy, 136 a clear), against about
//! one instruction per byte for the compiler's `memcpy`; elsewhere they are
//! plain slice operations. They only move bytes between memory the caller
//! already holds references to; they must never be given anything but
//! whole, word-aligned pages (the types guarantee it).

/// Bytes of a page.
pub const PAGE_SIZE: usize = 4096;

/// A page, aligned as the block moves need.
pub type Page = [u8; PAGE_SIZE];

/// Copies `src` into `dst`.
pub fn copy(dst: &mut Page, src: &Page) {
    #[cfg(target_os = "none")]
    if (dst.as_ptr() as usize | src.as_ptr() as usize).is_multiple_of(4) {
        // SAFETY: both pointers are word aligned and name 4096 valid bytes
        // (a `&mut Page` and a `&Page`, which cannot overlap); the block
        // moves touch exactly those bytes and the listed registers.
        unsafe {
            core::arch::asm!(
                ".rept 128",
                "ldmia r1!, {{r2, r3, r4, r5, r8, r10, r12, lr}}",
                "stmia r0!, {{r2, r3, r4, r5, r8, r10, r12, lr}}",
                ".endr",
                inout("r0") dst.as_mut_ptr() => _,
                inout("r1") src.as_ptr() => _,
                out("r2") _, out("r3") _, out("r4") _, out("r5") _,
                out("r8") _, out("r10") _, out("r12") _, out("lr") _,
                options(nostack, preserves_flags),
            );
        }
        return;
    }
    dst.copy_from_slice(src);
}

/// Fills `page` with zeros.
pub fn clear(page: &mut Page) {
    #[cfg(target_os = "none")]
    if (page.as_ptr() as usize).is_multiple_of(4) {
        // SAFETY: the pointer is word aligned and names 4096 valid bytes;
        // the stores touch exactly those bytes and the listed registers.
        unsafe {
            core::arch::asm!(
                "mov r2, #0", "mov r3, #0", "mov r4, #0", "mov r5, #0",
                "mov r8, #0", "mov r10, #0", "mov r12, #0", "mov lr, #0",
                ".rept 128",
                "stmia r0!, {{r2, r3, r4, r5, r8, r10, r12, lr}}",
                ".endr",
                inout("r0") page.as_mut_ptr() => _,
                out("r2") _, out("r3") _, out("r4") _, out("r5") _,
                out("r8") _, out("r10") _, out("r12") _, out("lr") _,
                options(nostack, preserves_flags),
            );
        }
        return;
    }
    page.fill(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_and_clears_whole_pages() {
        let mut src = [0u8; PAGE_SIZE];
        for (i, byte) in src.iter_mut().enumerate() {
            *byte = (i * 7) as u8;
        }
        let mut dst = [0u8; PAGE_SIZE];
        copy(&mut dst, &src);
        assert_eq!(dst, src);
        clear(&mut dst);
        assert_eq!(dst, [0u8; PAGE_SIZE]);
    }
}
