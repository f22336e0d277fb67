//! A system at the scale the description now allows: 64 partitions (21
//! passive echo servers, each called by two or three clients through
//! badged endpoints, with a doorbell notification per group), every
//! client's calls answered and every result checked. The description is
//! generated here; nothing in it is fixed by a compile-time maximum.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use system_tests::{boot_system_file, exit, Outcome, Source};

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
    let transcript = report.transcript();
    assert_eq!(report.outcome, Outcome::Exited(exit::CLEAN), "{transcript}");
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
