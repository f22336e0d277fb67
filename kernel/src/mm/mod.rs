//! Virtual memory: descriptor encoding, the kernel's address-space layout
//! and the tables built from them.
//!
//! Everything here is plain computation over tables in memory; installing a
//! table into the MMU is `arch`'s job and never happens here.

pub mod boot_alloc;
pub mod boot_table;
pub mod descriptor;
pub mod grant_regions;
pub mod guest_space;
pub mod kernel_space;
pub mod layout;
pub mod phys_access;
pub mod table_pool;
pub mod user_space;

/// Bytes in a small page.
pub const PAGE_SIZE: usize = 4096;
/// Bytes covered by one first-level entry (a section).
pub const SECTION_SIZE: usize = 1 << 20;
/// Entries in a full first-level table.
pub const L1_ENTRIES: usize = 4096;
/// Entries in a second-level table.
pub const L2_ENTRIES: usize = 256;

/// A first-level table, aligned as TTBR0/TTBR1 require (16 KiB).
#[repr(C, align(16384))]
pub struct L1Table(pub [descriptor::L1Entry; L1_ENTRIES]);

impl L1Table {
    /// A table in which every access faults.
    pub const EMPTY: L1Table = L1Table([descriptor::L1Entry::FAULT; L1_ENTRIES]);
}
