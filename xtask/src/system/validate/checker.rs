//! The checks every section of a description shares: making an error for a
//! field, a name (non-empty, short enough for the boot table), a size in
//! whole pages that fits user space, and a reference to a partition by
//! name.
//!
//! These helpers only check and convert one value; they must never hold
//! state across fields or know which section calls them.

use std::path::Path;

use boot_info::{Name, MAX_NAME};
use kernel_abi::user_layout::{PAGE_SIZE, USER_BASE, USER_TOP};

use super::super::description::Description;
use super::DescriptionError;

pub(super) struct Checker<'a> {
    pub(super) file: &'a Path,
}

impl Checker<'_> {
    pub(super) fn err(
        &self,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> DescriptionError {
        DescriptionError {
            file: self.file.to_path_buf(),
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(super) fn name(&self, field: &str, name: &str) -> Result<Name, DescriptionError> {
        if name.is_empty() {
            return Err(self.err(field, "must not be empty"));
        }
        Name::try_from(name).map_err(|_| self.err(field, format!("longer than {MAX_NAME} bytes")))
    }

    pub(super) fn pages(&self, field: &str, kib: u32) -> Result<u32, DescriptionError> {
        if kib == 0 {
            return Err(self.err(field, "must be greater than 0"));
        }
        if !kib.is_multiple_of(PAGE_SIZE / 1024) {
            return Err(self.err(field, "must be a multiple of 4 (whole 4 KiB pages)"));
        }
        kib.checked_mul(1024)
            .filter(|&bytes| bytes < USER_TOP - USER_BASE)
            .ok_or_else(|| self.err(field, "larger than user space"))
    }

    pub(super) fn partition_index(
        &self,
        field: &str,
        name: &str,
        d: &Description,
    ) -> Result<u8, DescriptionError> {
        d.partitions
            .iter()
            .position(|p| p.name == name)
            .map(|i| i as u8)
            .ok_or_else(|| self.err(field, format!("unknown partition `{name}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::rejected;

    #[test]
    fn rejects_bad_names() {
        rejected(
            r#"name = "a""#,
            r#"name = """#,
            "partition[0].name",
            "must not be empty",
        );
        rejected(
            r#"name = "a""#,
            r#"name = "a-name-that-is-far-too-long-to-keep""#,
            "partition[0].name",
            "longer than 24",
        );
    }

    #[test]
    fn rejects_zero_and_unaligned_sizes() {
        rejected(
            r#"priority = 2, stack_kib = 8"#,
            r#"priority = 2, stack_kib = 0"#,
            "partition[0].threads[0].stack_kib",
            "greater than 0",
        );
        rejected(
            r#"priority = 2, stack_kib = 8"#,
            r#"priority = 2, stack_kib = 6"#,
            "partition[0].threads[0].stack_kib",
            "multiple of 4",
        );
        rejected(
            "memory_kib = 64\nconfig",
            "memory_kib = 0\nconfig",
            "partition[0].memory_kib",
            "greater than 0",
        );
        rejected(
            "size_kib = 8",
            "size_kib = 3",
            "shared_memory[0].size_kib",
            "multiple of 4",
        );
    }

    #[test]
    fn rejects_unknown_partitions() {
        rejected(
            r#"{ partition = "b", duration_ms = 3 }"#,
            r#"{ partition = "c", duration_ms = 3 }"#,
            "schedule.windows[1].partition",
            "unknown partition `c`",
        );
        rejected(
            r#"{ partition = "b", address = 0x20000000"#,
            r#"{ partition = "z", address = 0x20000000"#,
            "shared_memory[0].map[1].partition",
            "unknown partition `z`",
        );
        rejected(
            r#"partition = "b"
physical"#,
            r#"partition = "q"
physical"#,
            "device[0].partition",
            "unknown partition `q`",
        );
    }
}
