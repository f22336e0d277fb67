//! A full consistency check of the store, for tests and debugging.
//!
//! It recounts everything from scratch (O(pages), allocates) and compares
//! with the store's tables and counters. It must never modify the store.

use crate::content::Location;
use crate::frame_table::{slots_per_frame, FrameUse};
use crate::frames::FrameProvider;
use crate::page_record::ContentRef;
use crate::slab::NIL;
use crate::store::Store;
use alloc::vec;

impl<P: FrameProvider> Store<P> {
    /// Checks every invariant listed in the [crate documentation](crate):
    /// frames balance (free + whole + packed == total, no frame or slot used
    /// twice, none leaked), reference counts, index consistency, LRU lists,
    /// page counters, pool membership, and that shared content never spans
    /// sharing domains. Returns the first violation found.
    ///
    /// Costs O(stored pages) time and allocates: meant for tests.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        self.frames.audit()?;
        if self.handles.audit()?.len() != self.records.len() as usize {
            return Err("handle table size differs from record count");
        }
        self.dedup.audit()?;
        self.audit_objects()?;

        let mut content_refs = vec![0u32; self.contents.capacity() as usize];
        let mut client_pages = vec![(0u64, 0u64); self.clients.len()];
        let mut pool_pages = vec![0u64; self.pools.capacity() as usize];
        let (mut zero, mut shared) = (0u64, 0u64);
        for (index, record) in self.records.iter() {
            if record.hash != self.handle_hash(&record.key) {
                return Err("record's kept hash differs from its key's");
            }
            if self.find_record(&record.key).map(|(_, found)| found) != Some(index) {
                return Err("record not reachable through the index");
            }
            let pool = self
                .pools
                .get(record.key.pool)
                .ok_or("record in a destroyed pool")?;
            if pool.is_persistent() != record.persistent {
                return Err("record kind differs from its pool");
            }
            pool_pages[record.key.pool as usize] += 1;
            let client = self
                .clients
                .get(usize::from(record.client))
                .ok_or("record of unknown client")?;
            let counts = &mut client_pages[usize::from(record.client)];
            if record.persistent {
                counts.1 += 1;
            } else {
                counts.0 += 1;
            }
            match record.content {
                ContentRef::Zero => zero += 1,
                ContentRef::Block(content) => {
                    let block = self
                        .contents
                        .get(content)
                        .ok_or("record points at freed content")?;
                    content_refs[content as usize] += 1;
                    if block.refs > 1 {
                        shared += 1;
                        if block.domain.is_none() || client.domain != block.domain {
                            return Err("content shared outside its sharing domain");
                        }
                    }
                }
            }
        }

        let mut whole_claims = vec![false; self.frames.capacity() as usize];
        let mut slot_claims = vec![0u8; self.frames.capacity() as usize];
        for (content, block) in self.contents.iter() {
            if block.refs == 0 || block.refs != content_refs[content as usize] {
                return Err("content reference count is wrong");
            }
            if let Some(domain) = block.domain {
                let key = crate::dedup::DedupKey::new(domain, block.hash, content);
                if self.dedup.seek(&key, false) != Some((key, content)) {
                    return Err("shareable content missing from the dedup index");
                }
            }
            match block.location {
                Location::Whole(frame) => {
                    if self.frames.usage(frame) != Some(FrameUse::Whole) {
                        return Err("content in a frame not marked whole");
                    }
                    let claim = &mut whole_claims[frame.0 as usize];
                    if *claim {
                        return Err("frame used twice");
                    }
                    *claim = true;
                }
                Location::Packed {
                    frame,
                    class,
                    slot,
                    len,
                } => {
                    let Some(FrameUse::Packed {
                        class: frame_class,
                        used,
                    }) = self.frames.usage(frame)
                    else {
                        return Err("packed content in a frame not marked packed");
                    };
                    if frame_class != class
                        || u32::from(slot) >= slots_per_frame(class)
                        || used & (1 << slot) == 0
                        || usize::from(len) > crate::frame_table::SLOT_SIZES[usize::from(class)]
                    {
                        return Err("packed content disagrees with its frame");
                    }
                    let claims = &mut slot_claims[frame.0 as usize];
                    if *claims & (1 << slot) != 0 {
                        return Err("slot used twice");
                    }
                    *claims |= 1 << slot;
                }
            }
        }
        for (frame, claimed) in whole_claims.iter().enumerate() {
            let usage = self.frames.usage(crate::frames::FrameId(frame as u32));
            match usage {
                Some(FrameUse::Whole) if !claimed => return Err("whole frame leaked"),
                Some(FrameUse::Packed { used, .. }) if used != slot_claims[frame] => {
                    return Err("packed slot leaked")
                }
                _ => {}
            }
        }
        if self.dedup.len() > self.contents.len() {
            return Err("dedup index lists freed content");
        }

        let mut members = vec![0u32; self.pools.capacity() as usize];
        for (slot, client) in self.clients.iter().enumerate() {
            for &pool in &client.pools {
                if pool != NIL {
                    members[pool as usize] += 1;
                }
            }
            if (client.ephemeral_pages, client.persistent_pages) != client_pages[slot] {
                return Err("client page counters are wrong");
            }
            let on_list = self.lru.audit(slot as u16, self.records.len().into())?;
            if on_list != client.ephemeral_pages {
                return Err("LRU list length differs from ephemeral pages");
            }
            for record in self.lru.walk(slot as u16) {
                let record = self.records.get(record).ok_or("LRU holds a freed record")?;
                if record.persistent || usize::from(record.client) != slot {
                    return Err("LRU holds a wrong page");
                }
            }
        }
        for (slot, pool) in self.pools.iter() {
            if pool.members == 0 || pool.members != members[slot as usize] {
                return Err("pool membership count is wrong");
            }
            if pool.pages != pool_pages[slot as usize] {
                return Err("pool page counter is wrong");
            }
        }
        let ephemeral: u64 = client_pages.iter().map(|counts| counts.0).sum();
        let persistent: u64 = client_pages.iter().map(|counts| counts.1).sum();
        if ephemeral != self.ephemeral_pages
            || persistent != self.persistent_pages
            || zero != self.zero_pages
            || shared != self.shared_pages
        {
            return Err("store-wide page counters are wrong");
        }
        Ok(())
    }

    /// Object entries: table, per-pool object lists, per-object page lists.
    fn audit_objects(&self) -> Result<(), &'static str> {
        if self.object_table.audit()?.len() != self.objects.len() as usize {
            return Err("object table size differs from object count");
        }
        let mut listed_objects = 0u32;
        let mut listed_pages = 0u32;
        for (pool_slot, pool) in self.pools.iter() {
            let mut previous = NIL;
            let mut cursor = pool.first_object;
            while cursor != NIL {
                let object = self
                    .objects
                    .get(cursor)
                    .ok_or("pool lists a freed object")?;
                if object.pool != pool_slot || object.prev_in_pool != previous {
                    return Err("broken pool object list");
                }
                if object.hash != self.object_hash(object.pool, object.object) {
                    return Err("object's kept hash differs from its key's");
                }
                if self
                    .find_object(object.pool, object.object)
                    .map(|(_, found)| found)
                    != Some(cursor)
                {
                    return Err("object not reachable through the object table");
                }
                let (mut count, mut previous_page, mut page) = (0u32, NIL, object.first_page);
                while page != NIL {
                    let record = self.records.get(page).ok_or("object lists a freed page")?;
                    if record.object_entry != cursor
                        || record.prev_in_object != previous_page
                        || record.key.pool != pool_slot
                        || record.key.object != object.object
                    {
                        return Err("broken object page list");
                    }
                    count += 1;
                    if count > self.records.len() {
                        return Err("object page list loops");
                    }
                    previous_page = page;
                    page = record.next_in_object;
                }
                if count == 0 || count != object.pages {
                    return Err("object page count is wrong");
                }
                listed_pages += count;
                listed_objects += 1;
                if listed_objects > self.objects.len() {
                    return Err("pool object list loops");
                }
                previous = cursor;
                cursor = object.next_in_pool;
            }
        }
        if listed_objects != self.objects.len() || listed_pages != self.records.len() {
            return Err("objects or pages missing from the lists");
        }
        Ok(())
    }
}
