//! The derivation tree (seL4's "CDT"): which capability was derived from
//! which, across every partition, so a revoke can find all copies made
//! from a capability wherever they went.
//!
//! Nodes are global slot numbers (see [`super::layout`]). The forest is
//! kept as doubly linked lists in preorder with each node's depth, in one
//! boot-sized array with an entry per slot and no allocation:
//!
//! - a node's descendants are exactly the run of nodes that follow it
//!   with a greater depth;
//! - its parent is the nearest node before it with a smaller depth.
//!
//! Costs, with `n` slots in the system: adding a root or a child O(1);
//! moving a node to another slot O(1) (its descendants follow, since only
//! its number changes); removing the descendants of a node O(descendants);
//! removing one node O(descendants) (they move up one level); finding a
//! parent O(n) (not needed on any syscall path). Nothing here knows what
//! a capability is, and no operation leaves a link to a free node.

use super::CapError;

/// "No node" in a link.
const NONE: u16 = u16::MAX;

/// One slot's place in the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    prev: u16,
    next: u16,
    depth: u16,
    in_tree: bool,
}

impl Node {
    /// A slot that is in no tree.
    pub const FREE: Node = Node {
        prev: NONE,
        next: NONE,
        depth: 0,
        in_tree: false,
    };
}

impl Default for Node {
    fn default() -> Node {
        Node::FREE
    }
}

fn link(index: Option<usize>) -> u16 {
    index.map_or(NONE, |i| i as u16)
}

fn unlink(value: u16) -> Option<usize> {
    (value != NONE).then_some(usize::from(value))
}

/// The forest over a boot-sized node array.
#[derive(Debug)]
pub struct DerivationTree<'a> {
    nodes: &'a mut [Node],
}

impl<'a> DerivationTree<'a> {
    /// An empty forest over `nodes` (at most `u16::MAX` of them; any more
    /// are never used).
    pub fn new(nodes: &'a mut [Node]) -> DerivationTree<'a> {
        let usable = nodes.len().min(usize::from(NONE));
        let nodes = &mut nodes[..usable];
        nodes.fill(Node::FREE);
        DerivationTree { nodes }
    }

    /// How many nodes it can hold.
    pub fn capacity(&self) -> usize {
        self.nodes.len()
    }

    /// Whether `index` is in the forest.
    pub fn contains(&self, index: usize) -> bool {
        self.nodes.get(index).is_some_and(|n| n.in_tree)
    }

    fn node(&self, index: usize) -> Result<Node, CapError> {
        let node = *self.nodes.get(index).ok_or(CapError::OutOfRange)?;
        if node.in_tree {
            Ok(node)
        } else {
            Err(CapError::EmptySlot)
        }
    }

    fn free_slot(&self, index: usize) -> Result<(), CapError> {
        match self.nodes.get(index) {
            None => Err(CapError::OutOfRange),
            Some(n) if n.in_tree => Err(CapError::SlotOccupied),
            Some(_) => Ok(()),
        }
    }

    /// How many ancestors `index` has.
    pub fn depth(&self, index: usize) -> Result<usize, CapError> {
        Ok(usize::from(self.node(index)?.depth))
    }

    /// Adds `index` as a root (a capability from the system description).
    pub fn insert_root(&mut self, index: usize) -> Result<(), CapError> {
        self.free_slot(index)?;
        self.nodes[index] = Node {
            in_tree: true,
            ..Node::FREE
        };
        Ok(())
    }

    /// Adds `child` as the newest child of `parent`.
    pub fn insert_child(&mut self, parent: usize, child: usize) -> Result<(), CapError> {
        let p = self.node(parent)?;
        self.free_slot(child)?;
        // Depths stay below the node count, which fits a u16.
        self.nodes[child] = Node {
            prev: parent as u16,
            next: p.next,
            depth: p.depth + 1,
            in_tree: true,
        };
        if let Some(next) = unlink(p.next) {
            self.nodes[next].prev = child as u16;
        }
        self.nodes[parent].next = child as u16;
        Ok(())
    }

    /// The node `index` was derived from, if any.
    pub fn parent(&self, index: usize) -> Result<Option<usize>, CapError> {
        let depth = self.node(index)?.depth;
        let mut cursor = unlink(self.nodes[index].prev);
        while let Some(i) = cursor {
            if self.nodes[i].depth < depth {
                return Ok(Some(i));
            }
            cursor = unlink(self.nodes[i].prev);
        }
        Ok(None)
    }

    /// Calls `visit` with every descendant of `index`, parents first.
    pub fn for_each_descendant(
        &self,
        index: usize,
        mut visit: impl FnMut(usize),
    ) -> Result<(), CapError> {
        let depth = self.node(index)?.depth;
        let mut cursor = unlink(self.nodes[index].next);
        while let Some(i) = cursor.filter(|&i| self.nodes[i].depth > depth) {
            visit(i);
            cursor = unlink(self.nodes[i].next);
        }
        Ok(())
    }

    /// Whether anything was derived from `index` (its successor in
    /// preorder is deeper). O(1).
    pub fn has_descendants(&self, index: usize) -> Result<bool, CapError> {
        let depth = self.node(index)?.depth;
        Ok(unlink(self.nodes[index].next).is_some_and(|next| self.nodes[next].depth > depth))
    }

    /// Whether `descendant` was derived, directly or not, from `ancestor`.
    pub fn is_descendant(&self, descendant: usize, ancestor: usize) -> Result<bool, CapError> {
        let mut found = false;
        self.for_each_descendant(ancestor, |i| found |= i == descendant)?;
        Ok(found)
    }

    /// Removes every descendant of `index` (which stays), calling `removed`
    /// with each, parents first.
    pub fn remove_descendants(
        &mut self,
        index: usize,
        mut removed: impl FnMut(usize),
    ) -> Result<(), CapError> {
        let depth = self.node(index)?.depth;
        let mut cursor = unlink(self.nodes[index].next);
        while let Some(i) = cursor.filter(|&i| self.nodes[i].depth > depth) {
            cursor = unlink(self.nodes[i].next);
            self.nodes[i] = Node::FREE;
            removed(i);
        }
        self.nodes[index].next = link(cursor);
        if let Some(next) = cursor {
            self.nodes[next].prev = index as u16;
        }
        Ok(())
    }

    /// Removes `index` alone: its children become children of its parent
    /// (roots, if it was one).
    pub fn remove(&mut self, index: usize) -> Result<(), CapError> {
        let node = self.node(index)?;
        let mut cursor = unlink(node.next);
        while let Some(i) = cursor.filter(|&i| self.nodes[i].depth > node.depth) {
            self.nodes[i].depth -= 1;
            cursor = unlink(self.nodes[i].next);
        }
        if let Some(prev) = unlink(node.prev) {
            self.nodes[prev].next = node.next;
        }
        if let Some(next) = unlink(node.next) {
            self.nodes[next].prev = node.prev;
        }
        self.nodes[index] = Node::FREE;
        Ok(())
    }

    /// Moves node `from` to the free `to`, keeping its place: its parent
    /// and descendants are unchanged.
    pub fn relocate(&mut self, from: usize, to: usize) -> Result<(), CapError> {
        let node = self.node(from)?;
        self.free_slot(to)?;
        if let Some(prev) = unlink(node.prev) {
            self.nodes[prev].next = to as u16;
        }
        if let Some(next) = unlink(node.next) {
            self.nodes[next].prev = to as u16;
        }
        self.nodes[to] = node;
        self.nodes[from] = Node::FREE;
        Ok(())
    }

    /// Checks the structure (for tests): links are mutual and only between
    /// nodes in the tree, a list starts at depth 0, and depth grows by at
    /// most one from a node to the next.
    pub fn check(&self) -> Result<(), &'static str> {
        for (i, node) in self.nodes.iter().enumerate() {
            if !node.in_tree {
                if *node != Node::FREE {
                    return Err("free node with links");
                }
                continue;
            }
            match unlink(node.prev) {
                None if node.depth != 0 => return Err("list head below depth 0"),
                None => {}
                Some(p) => {
                    let prev = self.nodes.get(p).ok_or("prev out of range")?;
                    if !prev.in_tree || usize::from(prev.next) != i {
                        return Err("prev link not mutual");
                    }
                }
            }
            if let Some(n) = unlink(node.next) {
                let next = self.nodes.get(n).ok_or("next out of range")?;
                if !next.in_tree || usize::from(next.prev) != i {
                    return Err("next link not mutual");
                }
                if next.depth > node.depth + 1 {
                    return Err("depth jumps by more than one");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn descendants(tree: &DerivationTree<'_>, index: usize) -> Vec<usize> {
        let mut out = Vec::new();
        tree.for_each_descendant(index, |i| out.push(i)).unwrap();
        out
    }

    /// 0 -> {1 -> {3}, 2}, 4 alone.
    fn sample(nodes: &mut [Node]) -> DerivationTree<'_> {
        let mut tree = DerivationTree::new(nodes);
        tree.insert_root(0).unwrap();
        tree.insert_child(0, 2).unwrap();
        tree.insert_child(0, 1).unwrap();
        tree.insert_child(1, 3).unwrap();
        tree.insert_root(4).unwrap();
        tree
    }

    #[test]
    fn parents_and_descendants_follow_derivation() {
        let mut nodes = [Node::FREE; 6];
        let tree = sample(&mut nodes);
        tree.check().unwrap();
        assert_eq!(tree.parent(3), Ok(Some(1)));
        assert_eq!(tree.parent(2), Ok(Some(0)));
        assert_eq!(tree.parent(1), Ok(Some(0)));
        assert_eq!(tree.parent(0), Ok(None));
        assert_eq!(descendants(&tree, 0), [1, 3, 2]);
        assert_eq!(descendants(&tree, 1), [3]);
        assert!(descendants(&tree, 4).is_empty());
        assert_eq!(tree.is_descendant(3, 0), Ok(true));
        assert_eq!(tree.is_descendant(2, 1), Ok(false));
        assert_eq!(tree.depth(3), Ok(2));
        assert_eq!(tree.parent(5), Err(CapError::EmptySlot));
        assert_eq!(tree.parent(6), Err(CapError::OutOfRange));
    }

    #[test]
    fn inserting_into_used_or_missing_nodes_fails() {
        let mut nodes = [Node::FREE; 6];
        let mut tree = sample(&mut nodes);
        assert_eq!(tree.insert_root(0), Err(CapError::SlotOccupied));
        assert_eq!(tree.insert_child(0, 1), Err(CapError::SlotOccupied));
        assert_eq!(tree.insert_child(5, 5), Err(CapError::EmptySlot));
        assert_eq!(tree.insert_child(0, 9), Err(CapError::OutOfRange));
        tree.check().unwrap();
    }

    #[test]
    fn removing_descendants_keeps_the_node_and_its_siblings() {
        let mut nodes = [Node::FREE; 6];
        let mut tree = sample(&mut nodes);
        let mut removed = Vec::new();
        tree.remove_descendants(1, |i| removed.push(i)).unwrap();
        assert_eq!(removed, [3]);
        assert_eq!(descendants(&tree, 0), [1, 2]);
        removed.clear();
        tree.remove_descendants(0, |i| removed.push(i)).unwrap();
        assert_eq!(removed, [1, 2]);
        assert!(tree.contains(0) && tree.contains(4));
        assert!(!tree.contains(1) && !tree.contains(2) && !tree.contains(3));
        tree.check().unwrap();
    }

    #[test]
    fn removing_a_node_reparents_its_children() {
        let mut nodes = [Node::FREE; 6];
        let mut tree = sample(&mut nodes);
        tree.remove(1).unwrap();
        assert_eq!(tree.parent(3), Ok(Some(0)));
        assert_eq!(descendants(&tree, 0), [3, 2]);
        tree.remove(0).unwrap();
        assert_eq!(tree.parent(3), Ok(None), "children of a root become roots");
        assert_eq!(tree.parent(2), Ok(None));
        assert!(descendants(&tree, 3).is_empty());
        tree.check().unwrap();
        assert_eq!(tree.remove(0), Err(CapError::EmptySlot));
    }

    #[test]
    fn relocating_keeps_parent_and_descendants() {
        let mut nodes = [Node::FREE; 6];
        let mut tree = sample(&mut nodes);
        tree.relocate(1, 5).unwrap();
        assert_eq!(tree.parent(5), Ok(Some(0)));
        assert_eq!(tree.parent(3), Ok(Some(5)));
        assert_eq!(descendants(&tree, 0), [5, 3, 2]);
        assert!(!tree.contains(1));
        assert_eq!(tree.relocate(5, 4), Err(CapError::SlotOccupied));
        assert_eq!(tree.relocate(1, 1), Err(CapError::EmptySlot));
        tree.check().unwrap();
    }
}
