//! The store's frames: one-page frame capabilities split from the tmem
//! memory frame, each mapped in the grant window — and page flipping.
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

use tmem_store::{FrameId, FrameProvider, Page, Traffic, PAGE_SIZE};

/// A one-page frame capability and where it is mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapped {
    /// Its capability slot.
    pub slot: u16,
    /// Its address in the grant window.
    pub address: u32,
}

impl Mapped {
    fn page(self) -> *mut Page {
        self.address as *mut Page
    }
}

/// The store's frames.
pub struct PoolFrames {
    frames: Vec<Mapped>,
    /// A transferred frame the current call brought, which may be adopted.
    incoming: Cell<Option<Mapped>>,
    /// The frame to transfer back, when one was adopted.
    outgoing: Cell<Option<Mapped>>,
    /// Pages moved by adopting frames.
    flipped: u64,
}

impl PoolFrames {
    /// The store's frames, which must be mapped read/write, one page each,
    /// for as long as the store lives.
    pub fn new(frames: Vec<Mapped>) -> PoolFrames {
        PoolFrames {
            frames,
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
        self.frames.len() as u32
    }

    fn frame(&self, id: FrameId) -> &Page {
        // SAFETY: every frame in the table is mapped read/write, one page,
        // for the provider's lifetime (`new`'s and `offer`'s contract), and
        // the store asks only for ids below `frame_count`.
        unsafe { &*self.frames[id.0 as usize].page() }
    }

    fn frame_mut(&mut self, id: FrameId) -> &mut Page {
        // SAFETY: as in `frame`; `&mut self` makes the borrow unique.
        unsafe { &mut *self.frames[id.0 as usize].page() }
    }

    fn read_page(&self, id: FrameId, out: &mut Page) -> Traffic {
        userlib::page::copy(out, self.frame(id));
        Traffic::copy(PAGE_SIZE)
    }

    fn write_page(&mut self, id: FrameId, page: &Page) -> Traffic {
        match self.offered(page) {
            Some(incoming) => {
                let replaced = self.adopt(id, incoming);
                // SAFETY: `replaced` was store frame `id`, mapped read/write;
                // the store holds no reference into it (it is being filled).
                userlib::page::clear(unsafe { &mut *replaced.page() });
                Traffic::written(PAGE_SIZE)
            }
            None => {
                userlib::page::copy(self.frame_mut(id), page);
                Traffic::copy(PAGE_SIZE)
            }
        }
    }

    fn take_page(&mut self, id: FrameId, out: &mut Page) -> Traffic {
        match self.offered(out) {
            // The page leaves in its own frame; the incoming one is free.
            Some(incoming) => {
                self.adopt(id, incoming);
                Traffic::NONE
            }
            None => self.read_page(id, out),
        }
    }
}

const _: () = assert!(PAGE_SIZE == 4096);
