//! Test partition: the RAM at the top of a frame that takes the rest of
//! RAM — on a 1 GiB machine, RAM past the kernel's 768 MiB linear map —
//! is usable by a partition and by the kernel on its behalf.
//!
//! With the frame in slot 0 (read, write), it maps the frame whole in its
//! pool region, checks that the last megabyte reads zero (the kernel
//! zeroed it at boot), writes a pattern of page number and word index into
//! every word of it and reads it all back. Then it unmaps the frame,
//! splits its last page off into slot 1, maps that page in the grant
//! window, and has the kernel write the clock into it (`clock_read`, which
//! the kernel writes through its RAM window when the page lies past the
//! linear map): the clock must land where asked, and the pattern around it
//! must be intact. It logs one line with the counts, which
//! `tests/tmem.rs` reads; it must never stop at the first mismatch.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use kernel_abi::user_layout::{GRANT_WINDOW, POOL_REGION};
    use userlib::ipc::Frame;
    use userlib::{syscall, Start};

    const RAM: Frame = Frame(0);
    const LAST_PAGE: u16 = 1;
    const PAGE_WORDS: u32 = 1024;
    /// Pages checked: the frame's last megabyte.
    const CHECKED: u32 = 256;
    /// Where in the last page the kernel writes the clock (8 bytes).
    const CLOCK_WORD: u32 = 6;

    userlib::entry!(main);

    fn pattern(page: u32, word: u32) -> u32 {
        0xA5A5_0000 ^ (page << 12) ^ word
    }

    fn word_at(address: u32) -> *mut u32 {
        address as *mut u32
    }

    fn main(_start: Start) {
        let pages = match RAM.map(POOL_REGION, true) {
            Ok(pages) if pages >= CHECKED => pages,
            Ok(pages) => return defmt::error!("high ram: only {=u32} pages mapped", pages),
            Err(error) => return defmt::error!("high ram: map failed: {=str}", error.name()),
        };
        let first = pages - CHECKED;
        let address = |page: u32, word: u32| POOL_REGION + page * 4096 + word * 4;
        let (mut not_zero, mut wrong) = (0u32, 0u32);
        for page in first..pages {
            for word in 0..PAGE_WORDS {
                // SAFETY: the frame is mapped read/write at POOL_REGION for
                // `pages` pages, and nothing else in this partition uses it.
                unsafe {
                    let at = word_at(address(page, word));
                    not_zero += u32::from(at.read_volatile() != 0);
                    at.write_volatile(pattern(page, word));
                }
            }
        }
        for page in first..pages {
            for word in 0..PAGE_WORDS {
                // SAFETY: as above.
                let value = unsafe { word_at(address(page, word)).read_volatile() };
                wrong += u32::from(value != pattern(page, word));
            }
        }
        let (clock, around) = kernel_write(pages - 1);
        defmt::info!(
            "high ram: {=u32} pages mapped; the last {=u32}: {=u32} words not zeroed, {=u32} read back wrong; kernel clock write {=bool}, {=u32} words around it wrong",
            pages,
            CHECKED,
            not_zero,
            wrong,
            clock,
            around
        );
    }

    /// Has the kernel write the clock into page `last` of the frame, mapped
    /// alone in the grant window; returns whether it landed and how many
    /// of the page's other words lost their pattern.
    fn kernel_write(last: u32) -> (bool, u32) {
        if let Err(error) = RAM.unmap() {
            defmt::error!("high ram: unmap failed: {=str}", error.name());
            return (false, 0);
        }
        let page = match RAM
            .split(last, LAST_PAGE)
            .and_then(|page| page.map(GRANT_WINDOW, true))
        {
            Ok(_) => GRANT_WINDOW,
            Err(error) => {
                defmt::error!("high ram: split and map failed: {=str}", error.name());
                return (false, 0);
            }
        };
        let before = syscall::clock_us();
        let clock = page + CLOCK_WORD * 4;
        if let Err(error) = syscall::clock_read_into(clock) {
            defmt::error!("high ram: clock_read failed: {=str}", error.name());
            return (false, 0);
        }
        let after = syscall::clock_us();
        // SAFETY: the page is mapped read/write at `page`.
        let written = unsafe {
            u64::from(word_at(clock).read_volatile())
                | (u64::from(word_at(clock + 4).read_volatile()) << 32)
        };
        let mut around = 0;
        for word in (0..PAGE_WORDS).filter(|w| !(CLOCK_WORD..CLOCK_WORD + 2).contains(w)) {
            // SAFETY: as above.
            let value = unsafe { word_at(page + word * 4).read_volatile() };
            around += u32::from(value != pattern(last, word));
        }
        ((before..=after).contains(&written), around)
    }
}

#[cfg(not(target_os = "none"))]
fn main() {}
