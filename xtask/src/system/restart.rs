//! Restart limits: checking a partition's `restart = { max = N }` and
//! turning it into the boot table's `restart_max` (0: never restarted).
//!
//! A restart rebuilds a partition from its boot image and its
//! description; what the description cannot rebuild (a guest kernel's
//! processes) is refused here. This module only checks and converts.

use std::path::Path;

use super::description::PartitionSection;
use super::validate::DescriptionError;

/// The most restarts a description may allow one partition (the kernel
/// counts them in a byte).
pub const MAX_RESTARTS: u32 = u8::MAX as u32;

/// How often partition `i` may be restarted at most: 0 without a
/// `restart` field; otherwise between 1 and [`MAX_RESTARTS`], and never
/// for a guest kernel (its processes are not in the description).
pub fn restart_max(file: &Path, i: usize, p: &PartitionSection) -> Result<u8, DescriptionError> {
    let Some(restart) = &p.restart else {
        return Ok(0);
    };
    let err = |field: &str, reason: String| DescriptionError {
        file: file.to_path_buf(),
        field: format!("partition[{i}].restart{field}"),
        reason,
    };
    if p.guest.is_some() {
        return Err(err(
            "",
            "a guest kernel cannot be restarted: its processes are not in the description".into(),
        ));
    }
    if restart.max == 0 || restart.max > MAX_RESTARTS {
        return Err(err(
            ".max",
            format!(
                "between 1 and {MAX_RESTARTS} (leave `restart` out for a partition that never restarts)"
            ),
        ));
    }
    Ok(restart.max as u8)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::super::validate::{parse, validate};
    use super::*;
    use platform::boards::VEXPRESS_A9;

    const SYSTEM: &str = r#"
[schedule]
major_frame_ms = 2
windows = [{ partition = "supervisor", duration_ms = 1 }, { partition = "worker", duration_ms = 1 }]

[[partition]]
name = "supervisor"
crate = "c"
memory_kib = 64
threads = [{ name = "main", priority = 1, stack_kib = 8 }]
caps = [{ slot = 0, partition_control = true, rights = ["read", "restart"] }]

[[partition]]
name = "worker"
crate = "c"
memory_kib = 64
threads = [{ name = "main", priority = 1, stack_kib = 8 }]
RESTART
"#;

    fn check(restart: &str) -> Result<boot_info::BootInfo<'static>, DescriptionError> {
        check_text(&SYSTEM.replace("RESTART", restart))
    }

    fn check_text(text: &str) -> Result<boot_info::BootInfo<'static>, DescriptionError> {
        let file = Path::new("systems/r.toml");
        let d = parse(file, text)?;
        let crates: BTreeSet<String> = ["c".to_string()].into_iter().collect();
        validate(file, "r", &d, &VEXPRESS_A9, &crates)
    }

    fn max_of(info: &boot_info::BootInfo<'_>, p: usize) -> u8 {
        info.partitions.get(p).unwrap().restart_max
    }

    #[test]
    fn the_restart_limit_reaches_the_boot_table() {
        let info = check("restart = { max = 3 }").unwrap();
        assert_eq!((max_of(&info, 0), max_of(&info, 1)), (0, 3));
        assert_eq!(max_of(&check("").unwrap(), 1), 0, "absent: never");
        assert_eq!(max_of(&check("restart = { max = 255 }").unwrap(), 1), 255);
        let control = info.caps.get(0).unwrap();
        assert_eq!(
            control.rights,
            kernel_abi::cap::Rights::READ
                .union(kernel_abi::cap::Rights::RESTART)
                .bits()
        );
    }

    #[test]
    fn bad_restart_limits_are_rejected_with_field_and_reason() {
        for (text, field, reason) in [
            ("restart = { max = 0 }", "partition[1].restart.max", "between 1 and 255"),
            ("restart = { max = 256 }", "partition[1].restart.max", "between 1 and 255"),
            ("restart = { max = 1, every = 2 }", "", "unknown field `every`"),
            (
                "restart = { max = 1 }\nguest = { address_spaces = 1, threads = 1, page_table_kib = 1 }",
                "partition[1].restart",
                "guest kernel",
            ),
        ] {
            let error = check(text).unwrap_err();
            assert_eq!(error.file, Path::new("systems/r.toml"));
            if !field.is_empty() {
                assert_eq!(error.field, field, "{error}");
            }
            assert!(error.reason.contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn only_partition_control_carries_restart() {
        let text = SYSTEM.replace("RESTART", "").replace(
            "partition_control = true, rights",
            "notification = \"n\", rights",
        ) + "[[notification]]\nname = \"n\"\n";
        let error = check_text(&text).unwrap_err();
        assert_eq!(error.field, "partition[0].caps[0].rights", "{error}");
        assert!(error.reason.contains("only partition_control"), "{error}");
    }
}
