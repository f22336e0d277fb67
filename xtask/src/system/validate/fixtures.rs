//! The test fixtures the checker's tests share: a good description, ways
//! to change it, and helpers that check a text and expect a rejection at a
//! field.
//!
//! Test-only; it must never hold a test itself or relax what a test
//! asserts.

use std::collections::BTreeSet;
use std::path::Path;

use boot_info::BootInfo;
use platform::boards::VEXPRESS_A9;

use super::{parse, validate, DescriptionError};

pub(super) const GOOD: &str = r#"
[system]
stop_after_ms = 500

[schedule]
major_frame_ms = 4
windows = [
    { partition = "a", duration_ms = 1 },
    { partition = "b", duration_ms = 3 },
]

[[partition]]
name = "a"
crate = "guest-counter"
memory_kib = 64
config = { run_ms = 7 }
threads = [{ name = "main", priority = 2, stack_kib = 8 }, { name = "helper", priority = 1, stack_kib = 4 }]

[[partition]]
name = "b"
crate = "guest-counter"
config = { run_ms = 1 }
memory_kib = 64
threads = [{ name = "main", priority = 1, stack_kib = 8 }]
caps = [{ slot = 0, endpoint = "service", rights = ["write"] }]

[[shared_memory]]
name = "ring"
size_kib = 8
map = [
    { partition = "a", address = 0x10000000, access = "read-write" },
    { partition = "b", address = 0x20000000, access = "read" },
]

[[device]]
name = "uart1"
partition = "b"
physical = 0x1000a000
size_kib = 4
address = 0x30000000

[[endpoint]]
name = "service"

[[notification]]
name = "bell"

[[partition]]
name = "server"
crate = "guest-counter"
config = { run_ms = 1 }
memory_kib = 64
passive = true
threads = [{ name = "main", priority = 9, stack_kib = 8 }]
caps = [
    { slot = 0, endpoint = "service", rights = ["read"] },
    { slot = 1, notification = "bell", rights = ["read", "write"] },
]
"#;

/// Interrupt 40 bound to the good description's notification `bell`.
pub(super) const IRQ_ON_BELL: &str = "\n[[irq]]\nnumber = 40\nnotification = \"bell\"\nbits = 1\n";

/// `text` (the good description or a change of it) with
/// [`IRQ_ON_BELL`] and the server holding interrupt 40 to acknowledge it.
pub(super) fn with_irq_on_bell(text: &str) -> String {
    let server_cap = r#"    { slot = 0, endpoint = "service", rights = ["read"] },
"#;
    assert!(text.contains(server_cap), "test bug: no server capability");
    text.replacen(
        server_cap,
        &format!("{server_cap}    {{ slot = 2, irq = 40, rights = [\"read\"] }},\n"),
        1,
    ) + IRQ_ON_BELL
}

pub(super) fn crates() -> BTreeSet<String> {
    ["guest-counter".to_string()].into_iter().collect()
}

pub(super) fn check(text: &str) -> Result<BootInfo<'static>, DescriptionError> {
    let file = Path::new("systems/test.toml");
    let d = parse(file, text)?;
    validate(file, "test", &d, &VEXPRESS_A9, &crates())
}

/// Replaces `from` with `to` in the good description and expects the
/// result to be rejected at `field` with a reason containing `reason`.
pub(super) fn rejected(from: &str, to: &str, field: &str, reason: &str) {
    assert!(GOOD.contains(from), "test bug: {from:?} not in GOOD");
    let error = check(&GOOD.replacen(from, to, 1)).unwrap_err();
    assert_eq!(error.file, Path::new("systems/test.toml"));
    assert_eq!(error.field, field, "{error}");
    assert!(error.reason.contains(reason), "{error}");
}

/// `GOOD` with `extra` more passive partitions of `threads` threads,
/// receiving on the endpoint `b` calls.
pub(super) fn with_partitions(extra: usize, threads: usize) -> String {
    let thread = |t: usize| format!("{{ name = \"t{t}\", priority = 1, stack_kib = 4 }}");
    let threads: Vec<String> = (0..threads).map(thread).collect();
    let mut text = GOOD.to_string();
    for p in 0..extra {
        text += &format!(
                "\n[[partition]]\nname = \"extra-{p}\"\ncrate = \"guest-counter\"\nconfig = {{ run_ms = 1 }}\nmemory_kib = {}\npassive = true\nthreads = [{}]\ncaps = [{{ slot = 0, endpoint = \"service\", rights = [\"read\"] }}]\n",
                (threads.len() as u32 + 2) * 8,
                threads.join(", ")
            );
    }
    text
}
