//! Safe sharing of identical pages within a sharing domain.
//!
//! Contents put by clients of a sharing domain are listed in an index keyed
//! by (domain, content hash). A put looks up candidates with the same hash
//! in its own domain only and compares every byte before sharing one; the
//! hash only narrows the search. At most [`MAX_CANDIDATES`] candidates are
//! compared, which bounds the cost of a put even under deliberate hash
//! collisions. This module must never let a put observe, or share with,
//! content of another domain, and never share on a hash match alone.

use crate::frames::{FrameProvider, Page};
use crate::handle::SharingDomain;
use crate::store::Store;

/// Most same-hash contents compared on one put.
pub(crate) const MAX_CANDIDATES: usize = 4;

/// Key of the content index: domain first, so lookups never leave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DedupKey {
    domain: u32,
    hash: u64,
    content: u32,
}

impl DedupKey {
    pub(crate) fn new(domain: SharingDomain, hash: u64, content: u32) -> Self {
        Self {
            domain: domain.0,
            hash,
            content,
        }
    }
}

/// A 64-bit hash of a page's content (multiply-rotate over 8-byte words).
pub(crate) fn content_hash(page: &Page) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut hash = 0x243f_6a88_85a3_08d3u64;
    for chunk in page.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash ^ u64::from_le_bytes(word))
            .wrapping_mul(K)
            .rotate_left(31);
    }
    hash ^ (hash >> 29)
}

impl<P: FrameProvider> Store<P> {
    /// A content block of `domain` byte-for-byte equal to `page`, if any.
    pub(crate) fn find_identical(
        &mut self,
        domain: SharingDomain,
        hash: u64,
        page: &Page,
    ) -> Option<u32> {
        let mut cursor = DedupKey::new(domain, hash, 0);
        let mut strict = false;
        for _ in 0..MAX_CANDIDATES {
            let (key, content) = self.dedup.seek(&cursor, strict)?;
            if key.domain != domain.0 || key.hash != hash {
                return None;
            }
            if self.content_equals(content, page) {
                return Some(content);
            }
            cursor = key;
            strict = true;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::{VecFrames, PAGE_SIZE};
    use crate::{ClientConfig, ClientId, Config, ObjectId, PoolFlags, PoolUuid};

    #[test]
    fn a_hash_match_alone_never_shares() {
        let client = ClientId(1);
        let domain = SharingDomain(5);
        for compress in [false, true] {
            let config = Config::new(16).client(
                ClientConfig::new(client)
                    .sharing_domain(domain)
                    .compress(compress),
            );
            let mut store = Store::new(config, VecFrames::new(4)).unwrap();
            let pool = store
                .new_pool(client, PoolFlags::PERSISTENT, PoolUuid(0))
                .unwrap();
            let stored = [1u8; PAGE_SIZE];
            store
                .put_page(client, pool, ObjectId([0; 3]), 0, &stored)
                .unwrap();
            let hash = content_hash(&stored);
            // A different page presented with a colliding hash is not shared...
            let mut other = stored;
            other[PAGE_SIZE - 1] = 2;
            assert_eq!(store.find_identical(domain, hash, &other), None);
            // ...the same page is, but only within its own domain.
            assert!(store.find_identical(domain, hash, &stored).is_some());
            assert_eq!(store.find_identical(SharingDomain(6), hash, &stored), None);
        }
    }

    #[test]
    fn hash_depends_on_every_word() {
        let base = [7u8; PAGE_SIZE];
        let reference = content_hash(&base);
        for position in (0..PAGE_SIZE).step_by(509) {
            let mut changed = base;
            changed[position] ^= 1;
            assert_ne!(content_hash(&changed), reference);
        }
    }
}
