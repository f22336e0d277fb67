//! Growing and shrinking the store by a frame: the one way frames enter
//! and leave it after it is built (the system's manager moves memory
//! between guests and the tmem pool this way).
//!
//! The capacity — frame ids, and the metadata reserved for
//! [`Config::max_pages`](crate::Config::max_pages) pages — is fixed when
//! the store is built; growing past it is refused. A frame leaves only
//! free: when none of the releasable frames is free, ephemeral pages are
//! evicted by the fair-share policy, as a put under pressure does, until
//! one is; a persistent page is never evicted, and when only persistent
//! pages (or frames the provider keeps) are left the shrink is refused.
//! Each operation checks before it changes anything; the provider's part
//! (mapping the frame in, or out) runs before the store's books change, and
//! when it fails the books are as they were.

use crate::frames::{FrameId, FrameProvider};
use crate::store::Store;

/// Why [`Store::grow`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrowError<E> {
    /// Every frame id is in use: the store is at its capacity.
    Full,
    /// The provider could not attach the frame (its error).
    Provider(E),
}

/// Why [`Store::shrink`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShrinkError<E> {
    /// No releasable frame is free, and evicting every ephemeral page did
    /// not free one (persistent pages and frames the provider keeps hold
    /// the rest).
    NoFreeFrame,
    /// The provider could not detach the frame (its error); the frame
    /// stays the store's, free.
    Provider(E),
}

impl<P: FrameProvider> Store<P> {
    /// Adds a frame: `attach` makes the provider hold it under the id it is
    /// given (an absent one), and from then on it is a free frame of the
    /// store. Returns that id.
    pub fn grow<E>(
        &mut self,
        attach: impl FnOnce(&mut P, FrameId) -> Result<(), E>,
    ) -> Result<FrameId, GrowError<E>> {
        let id = self.frames.vacant().ok_or(GrowError::Full)?;
        attach(&mut self.provider, id).map_err(GrowError::Provider)?;
        // Point of no return: the id was vacant and the provider holds it.
        let added = self.frames.add_vacant();
        debug_assert_eq!(added, Some(id));
        Ok(id)
    }

    /// Gives up a free releasable frame (one with an id below the
    /// provider's [`releasable_below`](FrameProvider::releasable_below)),
    /// evicting ephemeral pages first if none is free: `detach` makes the
    /// provider let it go, and its result is returned with the id.
    pub fn shrink<R, E>(
        &mut self,
        detach: impl FnOnce(&mut P, FrameId) -> Result<R, E>,
    ) -> Result<(FrameId, R), ShrinkError<E>> {
        let below = self.provider.releasable_below();
        let id = loop {
            if let Some(id) = self.frames.free_below(below) {
                break id;
            }
            if !self.evict_one(None) {
                return Err(ShrinkError::NoFreeFrame);
            }
        };
        let detached = detach(&mut self.provider, id).map_err(ShrinkError::Provider)?;
        // Point of no return: the frame was free and the provider let it go.
        let removed = self.frames.remove_free(id);
        debug_assert!(removed);
        Ok((id, detached))
    }

    /// Frames [`shrink`](Self::shrink) could give up now without evicting
    /// a page: free frames below the provider's `releasable_below`.
    /// O(releasable frames).
    pub fn releasable_frames(&self) -> u32 {
        self.frames
            .free_count_below(self.provider.releasable_below())
    }

    /// The most frames the store can hold (the provider's frame ids).
    pub fn frame_capacity(&self) -> u32 {
        self.frames.capacity()
    }
}
