//! A system at the scale the description now allows: 64 partitions (21
//! passive echo servers, each called by two or three clients through
//! badged endpoints, with a doorbell notification per group), every
//! client's calls answered and every result checked; and a stress system
//! of 64 partitions with 1,152 threads (18 each: more regions per address
//! space than a fixed table of 16 held) and a window each, doing IPC in a
//! ring (each partition calls the next) and a tree (subtree sums fan in to
//! the root), every partition's sums checked against ones computed here.
//! The descriptions are generated here; nothing in them is fixed by a
//! compile-time maximum.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use system_tests::{assert_exited, boot_system_file, exit, Source};

/// Groups of one server and its clients.
const GROUPS: usize = 21;

/// The clients of group `group`: two each, and a third in group 0 (64
/// partitions in all).
fn clients(group: usize) -> usize {
    if group == 0 {
        3
    } else {
        2
    }
}

/// Writes the description under target/ and returns its path.
fn describe() -> PathBuf {
    let mut text = String::from(
        "[system]\ndescription = \"scale: 64 partitions, 21 servers and their clients\"\n\n",
    );
    let client_names: Vec<String> = (0..GROUPS)
        .flat_map(|g| (0..clients(g)).map(move |c| format!("client-{g}-{c}")))
        .collect();
    writeln!(
        text,
        "[schedule]\nmajor_frame_ms = {}\nwindows = [",
        client_names.len()
    )
    .unwrap();
    for name in &client_names {
        writeln!(text, "    {{ partition = \"{name}\", duration_ms = 1 }},").unwrap();
    }
    text.push_str("]\n\n");
    for g in 0..GROUPS {
        writeln!(text, "[[endpoint]]\nname = \"echo-{g}\"\n").unwrap();
        writeln!(text, "[[notification]]\nname = \"doorbell-{g}\"\n").unwrap();
    }
    for g in 0..GROUPS {
        writeln!(
            text,
            "[[partition]]\nname = \"server-{g}\"\ncrate = \"test-ipc-echo\"\nconfig = {{ role = \"echo\" }}\nmemory_kib = 64\npassive = true\n\
             threads = [{{ name = \"main\", priority = 10, stack_kib = 8 }}]\n\
             caps = [{{ slot = 0, endpoint = \"echo-{g}\", rights = [\"read\"] }}]\n"
        )
        .unwrap();
        for c in 0..clients(g) {
            let badge = c + 1;
            writeln!(
                text,
                "[[partition]]\nname = \"client-{g}-{c}\"\ncrate = \"test-ipc-client\"\nmemory_kib = 64\nconfig = {{ role = \"ping-pong\" }}\n\
                 threads = [{{ name = \"main\", priority = 1, stack_kib = 8 }}, {{ name = \"doorbell\", priority = 2, stack_kib = 4 }}]\n\
                 caps = [\n    {{ slot = 0, endpoint = \"echo-{g}\", rights = [\"write\"], badge = {badge} }},\n    \
                 {{ slot = 1, notification = \"doorbell-{g}\", rights = [\"read\", \"write\"] }},\n    \
                 {{ slot = 2, endpoint = \"echo-{g}\", rights = [\"write\"], badge = {badge} }},\n]\n"
            )
            .unwrap();
        }
    }
    let dir = xtask::workspace::target_dir().join("scale-systems");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("scale-64.toml");
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn sixty_four_partitions_boot_and_every_client_is_answered() {
    let file = describe();
    let report = boot_system_file(&file, "scale-64", Duration::from_secs(120));
    let transcript = assert_exited(&report, exit::CLEAN);
    let mut partition = 0u8;
    let mut answered = 0;
    for g in 0..GROUPS {
        assert!(
            report
                .messages_from(Source::Partition(partition))
                .contains(&"echo server ready"),
            "server {g}:\n{transcript}"
        );
        partition += 1;
        for c in 0..clients(g) {
            let expected = format!("ping-pong: 100 calls answered, server saw badge {}", c + 1);
            let lines = report.messages_from(Source::Partition(partition));
            assert!(
                lines.contains(&expected.as_str()),
                "client {g}-{c} (partition {partition}):\n{transcript}"
            );
            assert!(lines.contains(&"doorbell rang: bits 0x5"), "{transcript}");
            answered += 1;
            partition += 1;
        }
    }
    assert_eq!((partition, answered), (64, 43));
    assert!(report.find("failed").is_none(), "{transcript}");
}

/// Nodes of the stress system: one partition each.
const NODES: u32 = 64;
/// Ring callers per node (each node has a ring server and a tree node
/// besides: `NODES * (CALLERS + 2)` threads in all).
const CALLERS: u32 = 16;
/// Calls per ring caller.
const ROUNDS: u32 = 16;

/// The stress system: `NODES` partitions of `test-scale-ring`, each with
/// its own window, in a ring (node n's callers call node n + 1's server)
/// and a binary tree (node n sends its subtree's sum to node (n - 1) / 2).
fn describe_stress() -> PathBuf {
    let mut text = format!(
        "[system]\ndescription = \"scale: {NODES} partitions, {} threads, IPC in a ring and a tree\"\n\n",
        NODES * (CALLERS + 2)
    );
    writeln!(text, "[schedule]\nmajor_frame_ms = {NODES}\nwindows = [").unwrap();
    for n in 0..NODES {
        writeln!(text, "    {{ partition = \"node-{n}\", duration_ms = 1 }},").unwrap();
    }
    text.push_str("]\n\n");
    for n in 0..NODES {
        writeln!(text, "[[endpoint]]\nname = \"ring-{n}\"\n").unwrap();
        writeln!(text, "[[endpoint]]\nname = \"tree-{n}\"\n").unwrap();
    }
    for n in 0..NODES {
        let config =
            format!("{{ index = {n}, nodes = {NODES}, callers = {CALLERS}, rounds = {ROUNDS} }}");
        let threads: Vec<String> = ["ring-server", "tree"]
            .into_iter()
            .map(String::from)
            .chain((0..CALLERS).map(|c| format!("caller-{c}")))
            .map(|name| format!("{{ name = \"{name}\", priority = 1, stack_kib = 4 }}"))
            .collect();
        let badge = n + 1;
        let mut caps = vec![
            format!("{{ slot = 0, endpoint = \"ring-{n}\", rights = [\"read\"] }}"),
            format!(
                "{{ slot = 1, endpoint = \"ring-{}\", rights = [\"write\"], badge = {badge} }}",
                (n + 1) % NODES
            ),
            format!("{{ slot = 2, endpoint = \"tree-{n}\", rights = [\"read\"] }}"),
        ];
        if n != 0 {
            caps.push(format!(
                "{{ slot = 3, endpoint = \"tree-{}\", rights = [\"write\"], badge = {badge} }}",
                (n - 1) / 2
            ));
        }
        writeln!(
            text,
            "[[partition]]\nname = \"node-{n}\"\ncrate = \"test-scale-ring\"\nmemory_kib = 192\nconfig = {config}\n\
             threads = [{}]\ncaps = [\n    {},\n]\n",
            threads.join(", "),
            caps.join(",\n    ")
        )
        .unwrap();
    }
    let dir = xtask::workspace::target_dir().join("scale-systems");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("scale-stress.toml");
    std::fs::write(&file, text).unwrap();
    file
}

/// What the test expects, computed here independently of the partitions:
/// the seed of a call and the server's answer, as `test-scale-ring`
/// documents them.
fn seed(node: u32, thread: u32, round: u32) -> u32 {
    (node << 16 | thread << 8 | round).wrapping_mul(0x9E37_79B1)
}

fn ring_reply(word: u32, server: u32) -> u32 {
    word.rotate_left(5) ^ server.wrapping_mul(0x0100_0193)
}

/// The sum of `node * node + 1` over the subtree of `node`.
fn subtree_sum(node: u32) -> u32 {
    if node >= NODES {
        return 0;
    }
    (node * node + 1) + subtree_sum(2 * node + 1) + subtree_sum(2 * node + 2)
}

#[test]
fn a_ring_and_a_tree_of_sixty_four_partitions_carry_every_message() {
    let file = describe_stress();
    let report = boot_system_file(&file, "scale-stress", Duration::from_secs(120));
    let transcript = assert_exited(&report, exit::CLEAN);
    for n in 0..NODES {
        let lines = report.messages_from(Source::Partition(n as u8));
        let previous = (n + NODES - 1) % NODES;
        let word_sum = (0..CALLERS)
            .flat_map(|c| (0..ROUNDS).map(move |r| seed(previous, c + 2, r)))
            .fold(0u32, u32::wrapping_add);
        let server = format!(
            "ring server {n}: {} calls, word sum {word_sum}, 0 wrong badges",
            CALLERS * ROUNDS
        );
        assert!(
            lines.contains(&server.as_str()),
            "node {n}: {server}\n{transcript}"
        );
        for c in 0..CALLERS {
            let thread = c + 2;
            let reply_sum = (0..ROUNDS)
                .map(|r| ring_reply(seed(n, thread, r), (n + 1) % NODES))
                .fold(0u32, u32::wrapping_add);
            let caller =
                format!("ring caller {n}.{thread}: {ROUNDS} calls, reply sum {reply_sum}, 0 wrong");
            assert!(
                lines.contains(&caller.as_str()),
                "node {n}: {caller}\n{transcript}"
            );
        }
        let tree = format!(
            "tree node {n}: subtree sum {}, 0 wrong senders",
            subtree_sum(n)
        );
        assert!(
            lines.contains(&tree.as_str()),
            "node {n}: {tree}\n{transcript}"
        );
        assert_eq!(lines.len(), CALLERS as usize + 2, "node {n}: {lines:?}");
    }
    assert!(report.find("failed").is_none(), "{transcript}");
}
