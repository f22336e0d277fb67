//! Test partition: one node of the scale stress system (`tests/scale.rs`),
//! which puts many of them, each with a window of its own, in a ring and
//! a tree. It only computes and logs what its IPC brought; whether that is
//! right is for the test to judge, so it must never log a figure it did
//! not get through IPC.
//!
//! Its configuration is [`test_scale_ring::config::Node`]. Threads:
//!
//! - 0, the ring server: answers calls on the endpoint in slot 0 (from
//!   node `node - 1`'s callers) with `[ring_reply(word 3, node), badge]`
//!   until each of the `callers` callers has said goodbye (a one-word
//!   send), then logs how many calls it answered, the sum of their word 3
//!   and how many came with a badge other than `node - 1 + 1`.
//! - 1, the tree node: receives one `[child, subtree sum]` send on the
//!   endpoint in slot 2 from each of its children (nodes `2 node + 1` and
//!   `2 node + 2` that exist), adds its own value `node * node + 1`, logs
//!   its subtree's sum and sends `[node, sum]` to its parent through slot 3
//!   (none for node 0, the root).
//! - 2 and up, ring callers: `rounds` calls each through slot 1 to node
//!   `node + 1` (mod `nodes`) with `[node, thread, round, seed]`, checking
//!   each reply; they log the sum of the replies' first words and the
//!   number of wrong replies, then say goodbye.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use test_scale_ring::config::Node;
    use userlib::ipc::Endpoint;
    use userlib::Start;

    const RING_IN: Endpoint = Endpoint(0);
    const RING_OUT: Endpoint = Endpoint(1);
    const TREE_IN: Endpoint = Endpoint(2);
    const TREE_UP: Endpoint = Endpoint(3);
    /// The one word of a caller's goodbye.
    const GOODBYE: u32 = 0x600D_B1E5;

    userlib::entry!(main);

    fn main(start: Start) {
        let node: Node = match userlib::config() {
            Ok(node) => node,
            Err(error) => return defmt::error!("scale ring: {=str}", error.name()),
        };
        match start.thread {
            0 => ring_server(node),
            1 => tree_node(node),
            thread => ring_caller(node, thread),
        }
    }

    /// Word 3 of caller `thread` of node `node`'s call in round `round`.
    fn seed(node: u32, thread: u32, round: u32) -> u32 {
        (node << 16 | thread << 8 | round).wrapping_mul(0x9E37_79B1)
    }

    /// The ring server of node `server`'s answer to `word`.
    fn ring_reply(word: u32, server: u32) -> u32 {
        word.rotate_left(5) ^ server.wrapping_mul(0x0100_0193)
    }

    fn ring_server(node: Node) {
        let expected_badge = (node.index + node.nodes - 1) % node.nodes + 1;
        let (mut calls, mut sum, mut wrong_badges, mut goodbyes) = (0u32, 0u32, 0u32, 0u32);
        let mut message = RING_IN.recv();
        loop {
            let request = match message {
                Ok(request) => request,
                Err(error) => return defmt::error!("ring server: failed: {=str}", error.name()),
            };
            if request.badge != expected_badge {
                wrong_badges += 1;
            }
            let reply = if request.len == 1 && request.words[0] == GOODBYE {
                goodbyes += 1;
                if goodbyes == node.callers {
                    break;
                }
                [0, 0]
            } else {
                calls += 1;
                sum = sum.wrapping_add(request.words[3]);
                [ring_reply(request.words[3], node.index), request.badge]
            };
            message = RING_IN.reply_recv(&reply);
        }
        defmt::info!(
            "ring server {=u32}: {=u32} calls, word sum {=u32}, {=u32} wrong badges",
            node.index,
            calls,
            sum,
            wrong_badges
        );
    }

    fn ring_caller(node: Node, thread: u32) {
        let next = (node.index + 1) % node.nodes;
        let (mut sum, mut wrong) = (0u32, 0u32);
        for round in 0..node.rounds {
            let word = seed(node.index, thread, round);
            match RING_OUT.call(&[node.index, thread, round, word]) {
                Ok(reply) => {
                    if reply.words[..2] != [ring_reply(word, next), node.index + 1] {
                        wrong += 1;
                    }
                    sum = sum.wrapping_add(reply.words[0]);
                }
                Err(error) => {
                    return defmt::error!("ring caller: call failed: {=str}", error.name())
                }
            }
        }
        defmt::info!(
            "ring caller {=u32}.{=u32}: {=u32} calls, reply sum {=u32}, {=u32} wrong",
            node.index,
            thread,
            node.rounds,
            sum,
            wrong
        );
        if let Err(error) = RING_OUT.send(&[GOODBYE]) {
            defmt::error!("ring caller: goodbye failed: {=str}", error.name());
        }
    }

    fn tree_node(node: Node) {
        let children = (1..=2)
            .map(|k| 2 * node.index + k)
            .filter(|&child| child < node.nodes)
            .count();
        let mut sum = node.index * node.index + 1;
        let mut wrong = 0u32;
        for _ in 0..children {
            match TREE_IN.recv() {
                Ok(message) => {
                    let child = message.words[0];
                    if message.badge != child.wrapping_add(1)
                        || child.checked_sub(1).map(|c| c / 2) != Some(node.index)
                    {
                        wrong += 1;
                    }
                    sum = sum.wrapping_add(message.words[1]);
                }
                Err(error) => return defmt::error!("tree node: recv failed: {=str}", error.name()),
            }
        }
        defmt::info!(
            "tree node {=u32}: subtree sum {=u32}, {=u32} wrong senders",
            node.index,
            sum,
            wrong
        );
        if node.index != 0 {
            if let Err(error) = TREE_UP.send(&[node.index, sum]) {
                defmt::error!("tree node: send failed: {=str}", error.name());
            }
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-scale-ring is a partition for the system tests");
}
