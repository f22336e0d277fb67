//! Pages and page numbers: the 4 KiB unit everything in guest memory
//! management moves, and the arithmetic on user addresses.
//!
//! Addresses are 32-bit (ARMv7-A user space). This module must never round
//! an address silently where the caller asked for an exact one: alignment
//! is checked by the callers that care, with [`is_page_aligned`].

/// Bytes in a page (a tmem page, a swap slot, a block of the swap device).
pub const PAGE_SIZE: usize = 4096;

/// log2 of [`PAGE_SIZE`].
pub const PAGE_SHIFT: u32 = 12;

/// The contents of one page.
pub type Page = [u8; PAGE_SIZE];

/// A virtual page number in a process's address space (address >> 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Vpn(pub u32);

impl Vpn {
    /// The page that holds `address`.
    pub const fn containing(address: u32) -> Vpn {
        Vpn(address >> PAGE_SHIFT)
    }

    /// The first address of the page.
    pub const fn base(self) -> u32 {
        self.0 << PAGE_SHIFT
    }

    /// The next page, or `None` past the top of the 32-bit space.
    pub const fn next(self) -> Option<Vpn> {
        if self.0 >= (u32::MAX >> PAGE_SHIFT) {
            None
        } else {
            Some(Vpn(self.0 + 1))
        }
    }
}

/// Whether `value` is a multiple of the page size.
pub const fn is_page_aligned(value: u32) -> bool {
    value & (PAGE_SIZE as u32 - 1) == 0
}

/// How many pages `len` bytes span from a page boundary (rounded up).
pub const fn pages_for(len: u32) -> u32 {
    (len >> PAGE_SHIFT) + (!is_page_aligned(len)) as u32
}

/// `address` rounded up to a page boundary; `None` past the top of the
/// 32-bit space.
pub const fn page_round_up(address: u32) -> Option<u32> {
    pages_for(address).checked_mul(PAGE_SIZE as u32)
}
