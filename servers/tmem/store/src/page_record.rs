//! Per-page metadata: where a stored page's handle points.
//!
//! One record per stored handle, in a bounded arena, found through the
//! handle hash table and linked into its object's page list. A record must
//! never point at content it does not hold a reference on.

use crate::handle::ObjectId;

/// Store-wide key of a page: global pool slot, object, page index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct HandleKey {
    pub(crate) pool: u32,
    pub(crate) object: ObjectId,
    pub(crate) index: u32,
}

impl HandleKey {
    /// The words hashed to find this handle.
    pub(crate) fn hash_words(&self) -> [u64; 4] {
        let [a, b, c] = self.object.0;
        [
            (u64::from(self.pool) << 32) | u64::from(self.index),
            a,
            b,
            c,
        ]
    }
}

/// What a page's data is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ContentRef {
    /// All zeros: no frame, no content block.
    Zero,
    /// A reference-counted content block.
    Block(u32),
}

/// One stored page.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageRecord {
    pub(crate) key: HandleKey,
    /// Client slot the page is charged to (the client that put it).
    pub(crate) client: u16,
    pub(crate) content: ContentRef,
    pub(crate) persistent: bool,
    /// The object entry this page belongs to, and its neighbours in the
    /// object's page list.
    pub(crate) object_entry: u32,
    pub(crate) prev_in_object: u32,
    pub(crate) next_in_object: u32,
}
