//! The store's frames: one-page frame capabilities split from the tmem
//! memory (or flip) frame, each mapped in the grant window, then room for
//! more one-page frames the manager gives (absent store frames until they
//! come: `pool_moves`), then the pages of the large memory frame mapped in
//! the pool region, if any — and page flipping, which only the one-page
//! frames take part in (a page of the large frame has no capability of its
//! own to hand out: a put or get that lands on one copies, and it never
//! leaves the store). Store frame ids below the one-page room are
//! one-page frames; the region's pages follow.
//!
//! A put or get in transfer mode brings a one-page frame of the client's
//! (mapped at a spare page). When the store keeps a put's page whole, the
//! incoming frame *becomes* that store frame and the frame it replaces is
//! zeroed and goes back to the client; when an exclusive get frees a page's
//! frame, that frame goes to the client and the incoming one takes its
//! place. Either way each side keeps its count of frames. No system call
//! happens here: the reply's transfer takes the outgoing frame's mapping
//! down. This module must never let a frame go out holding another
//! client's data (a put's outgoing frame is zeroed first; a get's holds
//! exactly the page the client asked for).

use alloc::vec::Vec;
use core::cell::Cell;

use tmem_server::pool_moves::{Place as Mapped, PlaceError, PlacedFrames};
use tmem_store::{FrameId, FrameProvider, Page, Traffic, PAGE_SIZE};
use userlib::ipc::Frame;

/// Where a mapped frame's page is. An absent store frame's entry is
/// [`ABSENT`], whose page is at address 0, which is never mapped: a
/// touch faults rather than strays.
fn page_of(frame: Mapped) -> *mut Page {
    frame.address as *mut Page
}

/// The entry of a one-page store frame the server does not hold.
const ABSENT: Mapped = Mapped {
    slot: 0,
    address: 0,
};

/// Pages mapped together at one address: the part of the large memory
/// frame the store keeps pages in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// Its first page's address.
    pub address: u32,
    /// How many pages.
    pub pages: u32,
}

/// The store's frames: ids below `frames.len()` are the one-page frames
/// (present or [`ABSENT`]), the rest the region's pages in order.
pub struct PoolFrames {
    frames: Vec<Mapped>,
    /// One-page frames present when the store was built: `frames[..boot]`.
    boot: u32,
    region: Region,
    /// A transferred frame the current call brought, which may be adopted.
    incoming: Cell<Option<Mapped>>,
    /// The frame to transfer back, when one was adopted.
    outgoing: Cell<Option<Mapped>>,
    /// Pages moved by adopting frames.
    flipped: u64,
}

impl PoolFrames {
    /// The store's frames, which must be mapped read/write, one page each,
    /// for as long as the store lives (or until detached), and so must the
    /// region's pages; `room` more one-page frames may come.
    pub fn new(mut frames: Vec<Mapped>, room: u32, region: Region) -> PoolFrames {
        let boot = frames.len() as u32;
        frames.resize(frames.len() + room as usize, ABSENT);
        PoolFrames {
            frames,
            boot,
            region,
            incoming: Cell::new(None),
            outgoing: Cell::new(None),
            flipped: 0,
        }
    }

    /// Pages that moved by flipping so far.
    pub fn flipped(&self) -> u64 {
        self.flipped
    }

    /// Offers the frame a transfer-mode call brought (mapped read/write,
    /// one page) for the next put or get to adopt.
    pub fn offer(&self, frame: Mapped) {
        self.incoming.set(Some(frame));
        self.outgoing.set(None);
    }

    /// Ends the call: the frame to send back — the replaced store frame if
    /// the offered one was adopted, else the offered one.
    pub fn settle(&self) -> Option<Mapped> {
        let incoming = self.incoming.take();
        self.outgoing.take().or(incoming)
    }

    /// Whether `memory` is the offered frame's page.
    fn offered(&self, memory: *const Page) -> Option<Mapped> {
        self.incoming
            .get()
            .filter(|frame| frame.address as *const Page == memory)
    }

    /// Where the store's frame `id` is.
    fn page(&self, id: FrameId) -> *mut Page {
        let index = id.0 as usize;
        match self.frames.get(index) {
            Some(&frame) => page_of(frame),
            None => {
                let page = (index - self.frames.len()) as u32;
                assert!(page < self.region.pages, "a frame id past the pool");
                (self.region.address + page * PAGE_SIZE as u32) as *mut Page
            }
        }
    }

    /// Whether the store's frame `id` is a one-page frame that can flip.
    fn flips(&self, id: FrameId) -> bool {
        (id.0 as usize) < self.frames.len()
    }

    fn adopt(&mut self, id: FrameId, incoming: Mapped) -> Mapped {
        let index = id.0 as usize;
        let replaced = self.frames[index];
        self.frames[index] = incoming;
        self.incoming.set(None);
        self.outgoing.set(Some(replaced));
        self.flipped += 1;
        replaced
    }
}

impl FrameProvider for PoolFrames {
    fn frame_count(&self) -> u32 {
        self.frames.len() as u32 + self.region.pages
    }

    fn present_at_start(&self, id: FrameId) -> bool {
        id.0 < self.boot || id.0 >= self.frames.len() as u32
    }

    fn releasable_below(&self) -> u32 {
        self.frames.len() as u32
    }

    fn frame(&self, id: FrameId) -> &Page {
        // SAFETY: every frame in the table and every page of the region is
        // mapped read/write for the provider's lifetime (`new`'s and
        // `offer`'s contract), and `page` stops at the region's end.
        unsafe { &*self.page(id) }
    }

    fn frame_mut(&mut self, id: FrameId) -> &mut Page {
        // SAFETY: as in `frame`; `&mut self` makes the borrow unique.
        unsafe { &mut *self.page(id) }
    }

    fn read_page(&self, id: FrameId, out: &mut Page) -> Traffic {
        userlib::page::copy(out, self.frame(id));
        Traffic::copy(PAGE_SIZE)
    }

    fn write_page(&mut self, id: FrameId, page: &Page) -> Traffic {
        match self.offered(page).filter(|_| self.flips(id)) {
            Some(incoming) => {
                let replaced = self.adopt(id, incoming);
                // SAFETY: `replaced` was store frame `id`, mapped read/write;
                // the store holds no reference into it (it is being filled).
                userlib::page::clear(unsafe { &mut *page_of(replaced) });
                Traffic::written(PAGE_SIZE)
            }
            None => {
                userlib::page::copy(self.frame_mut(id), page);
                Traffic::copy(PAGE_SIZE)
            }
        }
    }

    fn take_page(&mut self, id: FrameId, out: &mut Page) -> Traffic {
        match self.offered(out).filter(|_| self.flips(id)) {
            // The page leaves in its own frame; the incoming one is free.
            Some(incoming) => {
                self.adopt(id, incoming);
                Traffic::NONE
            }
            None => self.read_page(id, out),
        }
    }
}

impl PlacedFrames for PoolFrames {
    fn attach(&mut self, id: FrameId, place: Mapped) -> Result<(), PlaceError> {
        let entry = self.frames.get(id.0 as usize).ok_or(PlaceError::Held)?;
        if *entry != ABSENT {
            return Err(PlaceError::Held);
        }
        match Frame(place.slot).map(place.address, true) {
            Ok(1) => {
                self.frames[id.0 as usize] = place;
                Ok(())
            }
            Ok(_) => {
                let _ = Frame(place.slot).unmap();
                Err(PlaceError::WouldNotMap)
            }
            Err(_) => Err(PlaceError::WouldNotMap),
        }
    }

    fn detach(&mut self, id: FrameId) -> Mapped {
        let Some(entry) = self.frames.get_mut(id.0 as usize) else {
            return ABSENT;
        };
        let frame = core::mem::replace(entry, ABSENT);
        if Frame(frame.slot).unmap().is_err() {
            defmt::error!("tmem server: a released frame would not unmap");
        }
        frame
    }
}

const _: () = assert!(PAGE_SIZE == 4096);
