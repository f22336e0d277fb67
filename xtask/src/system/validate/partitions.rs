//! Each partition's own settings: its name, crate, memory, threads and
//! their stacks, capability slots, configuration, guest budget and
//! restart limit — and, once capabilities are known, that its pager slot
//! holds an endpoint it can write to.
//!
//! This module checks partitions' own sections; it must never decide what
//! depends on the schedule, on other capabilities than the pager's, or on
//! the board's RAM (see `schedule`, `caps` and `ram`).

use std::collections::BTreeSet;

use boot_info::{CapInfo, CapObjectInfo, PartitionInfo, ThreadInfo, MAX_PARTITIONS, MAX_THREADS};
use kernel_abi::user_layout::{PAGE_SIZE, USER_BASE};

use super::super::description::Description;
use super::{Checker, DescriptionError};

/// Checks the partitions' own settings and returns their boot-table
/// entries and the memory they take.
pub(super) fn partitions(
    c: &Checker<'_>,
    d: &Description,
    crates: &BTreeSet<String>,
) -> Result<(Vec<PartitionInfo<'static>>, u64), DescriptionError> {
    let file = c.file;
    if d.partitions.is_empty() {
        return Err(c.err("partition", "a system needs at least one partition"));
    }
    if d.partitions.len() > MAX_PARTITIONS {
        return Err(c.err(
            "partition",
            format!("at most {MAX_PARTITIONS} partitions: each needs an ASID of its own, and ARMv7 has {MAX_PARTITIONS}"),
        ));
    }
    let mut partitions = Vec::new();
    let mut names = BTreeSet::new();
    let mut total_memory: u64 = 0;
    for (i, p) in d.partitions.iter().enumerate() {
        let at = |field: &str| format!("partition[{i}].{field}");
        let name = c.name(&at("name"), &p.name)?;
        if !names.insert(p.name.as_str()) {
            return Err(c.err(at("name"), format!("duplicate partition name `{}`", p.name)));
        }
        if !crates.contains(&p.krate) {
            return Err(c.err(
                at("crate"),
                format!("no package `{}` in the workspace", p.krate),
            ));
        }
        let memory = c.pages(&at("memory_kib"), p.memory_kib)?;
        if u64::from(USER_BASE) + u64::from(memory)
            > u64::from(kernel_abi::user_layout::POOL_REGION)
        {
            return Err(c.err(
                at("memory_kib"),
                "the partition's memory would reach the pool region, IPC buffers and grant window",
            ));
        }
        total_memory += u64::from(memory);
        if p.threads.is_empty() || p.threads.len() > MAX_THREADS {
            return Err(c.err(
                at("threads"),
                format!("between 1 and {MAX_THREADS} threads: a thread's ID in its partition is one byte"),
            ));
        }
        let mut threads = Vec::new();
        let mut thread_names = BTreeSet::new();
        let mut stacks: u64 = 0;
        for (t, thread) in p.threads.iter().enumerate() {
            let at_t = |field: &str| format!("partition[{i}].threads[{t}].{field}");
            let name = c.name(&at_t("name"), &thread.name)?;
            if !thread_names.insert(thread.name.as_str()) {
                return Err(c.err(
                    at_t("name"),
                    format!("duplicate thread name `{}`", thread.name),
                ));
            }
            let stack_size = c.pages(&at_t("stack_kib"), thread.stack_kib)?;
            stacks += u64::from(stack_size + PAGE_SIZE);
            threads.push(ThreadInfo {
                name,
                priority: thread.priority,
                stack_size,
            });
        }
        if stacks >= u64::from(memory) {
            return Err(c.err(
                at("memory_kib"),
                format!(
                    "{} KiB cannot hold the threads' stacks and guard pages ({} KiB) and any code",
                    p.memory_kib,
                    stacks / 1024
                ),
            ));
        }
        if p.cap_slots == 0 || p.cap_slots > 256 {
            return Err(c.err(at("cap_slots"), "between 1 and 256 slots"));
        }
        partitions.push(PartitionInfo {
            name,
            memory_size: memory,
            elf_offset: 0,
            elf_size: 0,
            config: super::super::config::bytes(file, i, p)?.leak(),
            threads: threads.into_iter().collect(),
            passive: p.passive,
            service: p.service,
            cap_slots: p.cap_slots,
            pager: p.pager,
            guest: super::super::guest::budget(file, i, p)?,
            restart_max: super::super::restart::restart_max(file, i, p)?,
        });
    }
    Ok((partitions, total_memory))
}

/// Checks that every partition's `pager` slot holds an endpoint
/// capability with `write`. Runs after `caps`.
pub(super) fn pagers(
    c: &Checker<'_>,
    d: &Description,
    caps: &[CapInfo],
) -> Result<(), DescriptionError> {
    for (i, p) in d.partitions.iter().enumerate() {
        let Some(slot) = p.pager else { continue };
        let is_pager_cap = |cap: &CapInfo| {
            usize::from(cap.partition) == i
                && cap.slot == slot
                && matches!(cap.object, CapObjectInfo::Endpoint(_))
                && cap.rights & kernel_abi::cap::Rights::WRITE.bits() != 0
        };
        if !caps.iter().any(is_pager_cap) {
            return Err(c.err(
                format!("partition[{i}].pager"),
                format!("slot {slot} holds no endpoint capability with `write`"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use boot_info::{MAX_PARTITIONS, MAX_THREADS};

    use super::super::fixtures::{check, rejected, with_partitions};

    #[test]
    fn sizes_are_limited_only_by_asids_and_thread_ids() {
        let many = check(&with_partitions(MAX_PARTITIONS - 3, 1)).unwrap();
        assert_eq!(many.partitions.len(), MAX_PARTITIONS);
        let error = check(&with_partitions(MAX_PARTITIONS - 2, 1)).unwrap_err();
        assert_eq!(error.file, Path::new("systems/test.toml"));
        assert_eq!(error.field, "partition");
        assert!(error.reason.contains("needs an ASID"), "{error}");

        let threads = check(&with_partitions(1, MAX_THREADS)).unwrap();
        assert_eq!(
            threads.partitions.get(3).unwrap().threads.len(),
            MAX_THREADS
        );
        let error = check(&with_partitions(1, MAX_THREADS + 1)).unwrap_err();
        assert_eq!(error.field, "partition[3].threads");
        assert!(error.reason.contains("one byte"), "{error}");
    }

    #[test]
    fn rejects_duplicate_names() {
        rejected(
            r#"name = "b"
crate"#,
            r#"name = "a"
crate"#,
            "partition[1].name",
            "duplicate partition name `a`",
        );
        rejected(
            r#"{ name = "helper""#,
            r#"{ name = "main""#,
            "partition[0].threads[1].name",
            "duplicate thread name",
        );
    }

    #[test]
    fn rejects_unknown_crates() {
        rejected(
            r#"crate = "guest-counter"
memory_kib = 64
config"#,
            r#"crate = "no-such-guest"
memory_kib = 64
config"#,
            "partition[0].crate",
            "no package `no-such-guest`",
        );
    }

    #[test]
    fn rejects_stacks_that_do_not_fit() {
        rejected(
            "memory_kib = 64\nconfig",
            "memory_kib = 20\nconfig",
            "partition[0].memory_kib",
            "cannot hold the threads' stacks",
        );
    }
}
