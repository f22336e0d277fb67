//! The kept frame as the journal's memory: its pages mapped one after
//! another at one address. It must never read or write outside the
//! mapping (every access is bounds-checked and panics rather than stray).

use tmem_store::journal::JournalMemory;
use tmem_store::{Page, PAGE_SIZE};

/// The kept frame, mapped read/write at `address` for as long as the
/// server runs.
pub struct KeptFrame {
    address: u32,
    pages: u32,
}

impl KeptFrame {
    /// The frame mapped at `address`, `pages` pages, read/write, never
    /// unmapped while this lives, and used by nothing else.
    pub fn new(address: u32, pages: u32) -> KeptFrame {
        KeptFrame { address, pages }
    }

    /// Its size in pages.
    pub fn len(&self) -> u32 {
        self.pages
    }

    fn at(&self, n: u32) -> *mut Page {
        assert!(n < self.pages, "a kept page past the frame");
        (self.address + n * PAGE_SIZE as u32) as *mut Page
    }
}

impl JournalMemory for KeptFrame {
    fn pages(&self) -> u32 {
        self.pages
    }

    fn page(&self, n: u32) -> &Page {
        // SAFETY: page `n` is inside the mapping (`at` checks), which
        // stays mapped read/write for `self`'s life (`new`'s contract).
        unsafe { &*self.at(n) }
    }

    fn write(&mut self, n: u32, offset: usize, bytes: &[u8]) {
        if let Ok(page) = <&Page>::try_from(bytes) {
            // A whole page: the word-wise page copy, a fraction of a
            // byte-wise `memcpy`'s cost.
            // SAFETY: as in `page`, and `&mut self` makes it unique.
            return userlib::page::copy(unsafe { &mut *self.at(n) }, page);
        }
        assert!(offset + bytes.len() <= PAGE_SIZE, "a write past a page");
        let to = self.at(n) as *mut u8;
        // SAFETY: the range is inside page `n` (checked above), mapped
        // read/write and referenced by nothing else while `&mut self` is
        // held; `bytes` is ordinary memory outside the kept frame.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), to.add(offset), bytes.len()) };
    }
}
