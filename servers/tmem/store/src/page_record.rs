//! Per-page metadata: where a stored page's handle points.
//!
//! One record per stored handle, in a bounded arena, found through the
//! handle hash table and linked into its object's page list. A record must
//! never point at content it does not hold a reference on.

use crate::halfsiphash::HalfSip13;
use crate::handle::ObjectId;
use crate::object::object_hasher;

/// Store-wide key of a page: global pool slot, object, page index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct HandleKey {
    pub(crate) pool: u32,
    pub(crate) object: ObjectId,
    pub(crate) index: u32,
}

/// A handle's hash in the handle table and its object's in the object
/// table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyHashes {
    pub(crate) handle: u32,
    pub(crate) object: u32,
}

impl HandleKey {
    /// The hasher that has absorbed this handle's words.
    fn hasher(&self, key: u64) -> HalfSip13 {
        let mut hasher = object_hasher(key, self.pool, self.object);
        hasher.write_u32(self.index);
        hasher
    }

    /// This handle's hash under the index `key`.
    pub(crate) fn hash(&self, key: u64) -> u32 {
        self.hasher(key).finish()
    }

    /// This handle's hash and its object's, in one pass: the object's
    /// words (pool, object id) are a prefix of the handle's, so the object
    /// hash is the prefix finished.
    pub(crate) fn hashes(&self, key: u64) -> KeyHashes {
        let prefix = object_hasher(key, self.pool, self.object);
        let mut handle = prefix;
        handle.write_u32(self.index);
        KeyHashes {
            handle: handle.finish(),
            object: prefix.finish(),
        }
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
    /// `key`'s hash, as the handle table holds it: removing a record never
    /// hashes its key again.
    pub(crate) hash: u32,
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
