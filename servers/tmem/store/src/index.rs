//! An ordered index (AVL tree) whose nodes live in a pre-reserved arena.
//!
//! It maps keys to `u32` values with O(log n) worst-case insert, remove and
//! "first key at or after" search. The store uses it for the content-hash
//! index of page sharing, where candidates with one hash form a key range and
//! worst-case bounds matter more than the last nanosecond. It must never
//! allocate after construction: when its arena is full, an insert is refused.

use crate::slab::{Slab, NIL};
use core::cmp::Ordering;

struct Node<K> {
    key: K,
    value: u32,
    left: u32,
    right: u32,
    height: u8,
}

/// Returned by [`OrderedIndex::insert`] when every node is in use.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct IndexFull;

/// Balanced search tree over `K` with a fixed node capacity.
pub(crate) struct OrderedIndex<K> {
    nodes: Slab<Node<K>>,
    root: u32,
}

impl<K: Ord + Copy> OrderedIndex<K> {
    pub(crate) fn with_capacity(capacity: u32) -> Self {
        Self {
            nodes: Slab::with_capacity(capacity),
            root: NIL,
        }
    }

    pub(crate) fn len(&self) -> u32 {
        self.nodes.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.nodes.is_full()
    }

    /// The value stored under `key`.
    #[cfg(test)]
    pub(crate) fn get(&self, key: &K) -> Option<u32> {
        let mut cursor = self.root;
        while cursor != NIL {
            let node = &self.nodes[cursor];
            cursor = match key.cmp(&node.key) {
                Ordering::Less => node.left,
                Ordering::Greater => node.right,
                Ordering::Equal => return Some(node.value),
            };
        }
        None
    }

    /// The smallest entry whose key is `>= key` (or `> key` when `strict`).
    pub(crate) fn seek(&self, key: &K, strict: bool) -> Option<(K, u32)> {
        let mut cursor = self.root;
        let mut best = NIL;
        while cursor != NIL {
            let node = &self.nodes[cursor];
            let goes_left = match node.key.cmp(key) {
                Ordering::Greater => true,
                Ordering::Equal => !strict,
                Ordering::Less => false,
            };
            if goes_left {
                best = cursor;
                cursor = node.left;
            } else {
                cursor = node.right;
            }
        }
        self.nodes.get(best).map(|node| (node.key, node.value))
    }

    /// Inserts or replaces the value under `key`.
    pub(crate) fn insert(&mut self, key: K, value: u32) -> Result<(), IndexFull> {
        if let Some(existing) = self.find_node(&key) {
            self.nodes[existing].value = value;
            return Ok(());
        }
        let fresh = self
            .nodes
            .insert(Node {
                key,
                value,
                left: NIL,
                right: NIL,
                height: 1,
            })
            .map_err(|_| IndexFull)?;
        self.root = self.insert_below(self.root, fresh);
        Ok(())
    }

    /// Removes `key`, returning the value it had.
    pub(crate) fn remove(&mut self, key: &K) -> Option<u32> {
        let target = self.find_node(key)?;
        self.root = self.remove_below(self.root, key);
        self.nodes.remove(target).map(|node| node.value)
    }

    fn find_node(&self, key: &K) -> Option<u32> {
        let mut cursor = self.root;
        while cursor != NIL {
            let node = &self.nodes[cursor];
            cursor = match key.cmp(&node.key) {
                Ordering::Less => node.left,
                Ordering::Greater => node.right,
                Ordering::Equal => return Some(cursor),
            };
        }
        None
    }

    fn height(&self, node: u32) -> u8 {
        if node == NIL {
            0
        } else {
            self.nodes[node].height
        }
    }

    fn update_height(&mut self, node: u32) {
        let left = self.height(self.nodes[node].left);
        let right = self.height(self.nodes[node].right);
        self.nodes[node].height = 1 + left.max(right);
    }

    fn rotate_right(&mut self, node: u32) -> u32 {
        let pivot = self.nodes[node].left;
        self.nodes[node].left = self.nodes[pivot].right;
        self.nodes[pivot].right = node;
        self.update_height(node);
        self.update_height(pivot);
        pivot
    }

    fn rotate_left(&mut self, node: u32) -> u32 {
        let pivot = self.nodes[node].right;
        self.nodes[node].right = self.nodes[pivot].left;
        self.nodes[pivot].left = node;
        self.update_height(node);
        self.update_height(pivot);
        pivot
    }

    /// Restores the AVL balance at `node` and returns the subtree's new root.
    fn rebalance(&mut self, node: u32) -> u32 {
        self.update_height(node);
        let left = self.nodes[node].left;
        let right = self.nodes[node].right;
        let left_height = i16::from(self.height(left));
        let right_height = i16::from(self.height(right));
        if left_height - right_height > 1 {
            if self.height(self.nodes[left].left) < self.height(self.nodes[left].right) {
                self.nodes[node].left = self.rotate_left(left);
            }
            return self.rotate_right(node);
        }
        if right_height - left_height > 1 {
            if self.height(self.nodes[right].right) < self.height(self.nodes[right].left) {
                self.nodes[node].right = self.rotate_right(right);
            }
            return self.rotate_left(node);
        }
        node
    }

    /// Recursion depth is the tree height: at most ~1.44·log2(capacity).
    fn insert_below(&mut self, subtree: u32, fresh: u32) -> u32 {
        if subtree == NIL {
            return fresh;
        }
        if self.nodes[fresh].key < self.nodes[subtree].key {
            let left = self.insert_below(self.nodes[subtree].left, fresh);
            self.nodes[subtree].left = left;
        } else {
            let right = self.insert_below(self.nodes[subtree].right, fresh);
            self.nodes[subtree].right = right;
        }
        self.rebalance(subtree)
    }

    fn remove_below(&mut self, subtree: u32, key: &K) -> u32 {
        if subtree == NIL {
            return NIL;
        }
        match key.cmp(&self.nodes[subtree].key) {
            Ordering::Less => {
                let left = self.remove_below(self.nodes[subtree].left, key);
                self.nodes[subtree].left = left;
                self.rebalance(subtree)
            }
            Ordering::Greater => {
                let right = self.remove_below(self.nodes[subtree].right, key);
                self.nodes[subtree].right = right;
                self.rebalance(subtree)
            }
            Ordering::Equal => {
                let left = self.nodes[subtree].left;
                let right = self.nodes[subtree].right;
                if left == NIL {
                    return right;
                }
                if right == NIL {
                    return left;
                }
                let (rest, successor) = self.detach_min(right);
                self.nodes[successor].left = left;
                self.nodes[successor].right = rest;
                self.rebalance(successor)
            }
        }
    }

    /// Removes the smallest node of `subtree` from it: (new subtree, node).
    fn detach_min(&mut self, subtree: u32) -> (u32, u32) {
        let left = self.nodes[subtree].left;
        if left == NIL {
            return (self.nodes[subtree].right, subtree);
        }
        let (rest, min) = self.detach_min(left);
        self.nodes[subtree].left = rest;
        (self.rebalance(subtree), min)
    }

    /// Checks ordering, balance and heights; returns the number of nodes.
    pub(crate) fn audit(&self) -> Result<u32, &'static str> {
        let (count, _) = self.audit_below(self.root, None, None)?;
        if count != self.nodes.len() {
            return Err("index: reachable nodes differ from allocated nodes");
        }
        Ok(count)
    }

    fn audit_below(
        &self,
        node: u32,
        low: Option<&K>,
        high: Option<&K>,
    ) -> Result<(u32, u8), &'static str> {
        if node == NIL {
            return Ok((0, 0));
        }
        let entry = self.nodes.get(node).ok_or("index: link to a free node")?;
        if low.is_some_and(|low| entry.key <= *low) || high.is_some_and(|high| entry.key >= *high) {
            return Err("index: keys out of order");
        }
        let (left_count, left_height) = self.audit_below(entry.left, low, Some(&entry.key))?;
        let (right_count, right_height) = self.audit_below(entry.right, Some(&entry.key), high)?;
        if left_height.abs_diff(right_height) > 1 {
            return Err("index: unbalanced node");
        }
        let height = 1 + left_height.max(right_height);
        if height != entry.height {
            return Err("index: stale height");
        }
        Ok((left_count + right_count + 1, height))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn behaves_like_a_btreemap(ops in proptest::collection::vec((0u8..3, 0u16..200, any::<u32>()), 0..400)) {
            let mut index = OrderedIndex::with_capacity(150);
            let mut model = BTreeMap::new();
            for (op, key, value) in ops {
                match op {
                    0 => {
                        let fits = model.contains_key(&key) || model.len() < 150;
                        let result = index.insert(key, value);
                        prop_assert_eq!(result.is_ok(), fits);
                        if fits { model.insert(key, value); }
                    }
                    1 => prop_assert_eq!(index.remove(&key), model.remove(&key)),
                    _ => {
                        prop_assert_eq!(index.get(&key), model.get(&key).copied());
                        prop_assert_eq!(index.seek(&key, false), model.range(key..).next().map(|(k, v)| (*k, *v)));
                        let strict = model.range(key..).find(|(k, _)| **k > key).map(|(k, v)| (*k, *v));
                        prop_assert_eq!(index.seek(&key, true), strict);
                    }
                }
                prop_assert_eq!(index.audit(), Ok(model.len() as u32));
            }
        }
    }

    #[test]
    fn sequential_inserts_stay_logarithmic() {
        let mut index = OrderedIndex::with_capacity(1 << 16);
        for key in 0..(1u32 << 16) {
            index.insert(key, key).unwrap();
        }
        assert!(index.height(index.root) <= 24);
        assert_eq!(index.insert(70_000, 0), Err(IndexFull));
        for key in (0..(1u32 << 16)).step_by(2) {
            assert_eq!(index.remove(&key), Some(key));
        }
        assert_eq!(index.audit(), Ok(1 << 15));
    }
}
