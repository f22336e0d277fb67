//! Guest budgets: checking a partition's `guest = { ... }` and turning it
//! into the kernel's [`GuestBudget`], and the system-wide limits on them
//! (ASIDs, guest threads, page tables, RAM).
//!
//! ASIDs: partition `p` has ASID `p + 1` and every guest address space
//! the next one after all partitions'; ARMv7 short descriptors tag TLB
//! entries with 8 bits and ASID 0 is reserved, so a description whose
//! partitions and address spaces together need more than
//! [`MAX_ASIDS`] is rejected here (the kernel would refuse it at boot).
//! This module only checks and converts; it never builds anything.

use std::path::Path;

use boot_info::{
    CapInfo, GuestBudget, PartitionInfo, GUEST_L1_BYTES, GUEST_L2_BOOKKEEPING_BYTES,
    GUEST_L2_BYTES, MAX_ASIDS, MAX_THREADS,
};

use super::description::PartitionSection;
use super::validate::DescriptionError;

/// The most second-level tables in a system (the kernel numbers them in
/// 16 bits, one value kept for "none").
const MAX_PAGE_TABLES: u32 = u16::MAX as u32 - 1;

fn err(file: &Path, field: String, reason: impl Into<String>) -> DescriptionError {
    DescriptionError {
        file: file.to_path_buf(),
        field,
        reason: reason.into(),
    }
}

/// Partition `i`'s guest budget, if it has one: at least one address
/// space and one thread, page tables in whole KiB, its capability slots
/// inside its capability space, and not on a passive partition (guest
/// threads run in their partition's windows).
pub fn budget(
    file: &Path,
    i: usize,
    p: &PartitionSection,
) -> Result<Option<GuestBudget>, DescriptionError> {
    let Some(g) = &p.guest else {
        return Ok(None);
    };
    let at = |field: &str| format!("partition[{i}].guest.{field}");
    if p.passive {
        return Err(err(
            file,
            format!("partition[{i}].guest"),
            "a passive partition has no windows for guest threads to run in",
        ));
    }
    if g.address_spaces == 0 {
        return Err(err(file, at("address_spaces"), "must be greater than 0"));
    }
    if g.threads == 0 || usize::from(g.threads) > MAX_THREADS {
        return Err(err(
            file,
            at("threads"),
            format!("between 1 and {MAX_THREADS}: a thread's ID in its partition is one byte"),
        ));
    }
    let kib_per_table = GUEST_L2_BYTES / 1024;
    if g.page_table_kib == 0 || !g.page_table_kib.is_multiple_of(kib_per_table) {
        return Err(err(
            file,
            at("page_table_kib"),
            format!("must be a positive multiple of {kib_per_table} (one page table)"),
        ));
    }
    let tables = g.page_table_kib / kib_per_table;
    if tables > MAX_PAGE_TABLES {
        return Err(err(
            file,
            at("page_table_kib"),
            format!("at most {} KiB", MAX_PAGE_TABLES * kib_per_table),
        ));
    }
    let needed = u32::from(g.address_spaces) + u32::from(g.threads);
    let first_slot = match g.first_slot {
        Some(slot) => u32::from(slot),
        None => u32::from(p.cap_slots).checked_sub(needed).ok_or_else(|| {
            err(
                file,
                format!("partition[{i}].cap_slots"),
                format!(
                    "{} slots cannot hold the guest budget's {needed} capabilities",
                    p.cap_slots
                ),
            )
        })?,
    };
    if first_slot + needed > u32::from(p.cap_slots) {
        return Err(err(
            file,
            at("first_slot"),
            format!(
                "the guest budget's {needed} capabilities from slot {first_slot} do not fit the {} slots of the capability space",
                p.cap_slots
            ),
        ));
    }
    Ok(Some(GuestBudget {
        address_spaces: g.address_spaces,
        threads: g.threads,
        page_tables: tables as u16,
        first_slot: first_slot as u16,
    }))
}

/// The system-wide checks, once every partition and capability is known:
/// no description capability in a guest budget's slots (so no pager
/// either: a pager's slot must hold an endpoint capability), ASIDs
/// and guest threads and page tables within the kernel's limits. Returns
/// the RAM the budgets take (first-level tables, page tables and their
/// bookkeeping).
pub fn check_system(
    file: &Path,
    partitions: &[PartitionInfo],
    caps: &[CapInfo],
) -> Result<u64, DescriptionError> {
    let mut asids = partitions.len();
    let mut tables = 0u32;
    let mut memory = 0u64;
    for (i, p) in partitions.iter().enumerate() {
        let Some(g) = p.guest else { continue };
        let slots = u32::from(g.first_slot)..g.end_slot();
        if let Some((k, cap)) = caps
            .iter()
            .filter(|cap| usize::from(cap.partition) == i)
            .enumerate()
            .find(|(_, cap)| slots.contains(&u32::from(cap.slot)))
        {
            return Err(err(
                file,
                format!("partition[{i}].caps[{k}].slot"),
                format!(
                    "slot {} is taken by the guest budget's capabilities (slots {}..{})",
                    cap.slot, slots.start, slots.end
                ),
            ));
        }
        asids += usize::from(g.address_spaces);
        if asids > MAX_ASIDS {
            return Err(err(
                file,
                format!("partition[{i}].guest.address_spaces"),
                format!(
                    "the partitions and guest address spaces need {asids} ASIDs, but ARMv7 has {MAX_ASIDS} (8 bits, 0 reserved)"
                ),
            ));
        }
        tables += u32::from(g.page_tables);
        if tables > MAX_PAGE_TABLES {
            return Err(err(
                file,
                format!("partition[{i}].guest.page_table_kib"),
                format!("at most {MAX_PAGE_TABLES} page tables in a system"),
            ));
        }
        memory += u64::from(g.address_spaces) * u64::from(GUEST_L1_BYTES)
            + u64::from(g.page_tables) * u64::from(GUEST_L2_BYTES + GUEST_L2_BOOKKEEPING_BYTES);
    }
    Ok(memory)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use boot_info::BootInfo;
    use platform::boards::VEXPRESS_A9;

    use super::*;
    use crate::system::validate::{parse, validate};

    /// A guest kernel `k` beside a plain partition `p`.
    const GOOD: &str = r#"
[schedule]
major_frame_ms = 2
windows = [{ partition = "k", duration_ms = 1 }, { partition = "p", duration_ms = 1 }]

[[endpoint]]
name = "exceptions"

[[partition]]
name = "k"
crate = "guest-counter"
config = { run_ms = 1 }
memory_kib = 64
cap_slots = 64
threads = [{ name = "main", priority = 5, stack_kib = 8 }]
caps = [{ slot = 0, endpoint = "exceptions", rights = ["read", "write"] }]
guest = { address_spaces = 4, threads = 8, page_table_kib = 32 }

[[partition]]
name = "p"
crate = "guest-counter"
config = { run_ms = 1 }
memory_kib = 64
threads = [{ name = "main", priority = 1, stack_kib = 8 }]
"#;

    fn check(text: &str) -> Result<BootInfo<'static>, DescriptionError> {
        let file = Path::new("systems/guest.toml");
        let d = parse(file, text)?;
        let crates: BTreeSet<String> = ["guest-counter".to_string()].into();
        validate(file, "guest", &d, &VEXPRESS_A9, &crates)
    }

    fn rejected(from: &str, to: &str, field: &str, reason: &str) {
        assert!(GOOD.contains(from), "test bug: {from:?} not in GOOD");
        let error = check(&GOOD.replacen(from, to, 1)).unwrap_err();
        assert_eq!(error.file, Path::new("systems/guest.toml"));
        assert_eq!(error.field, field, "{error}");
        assert!(error.reason.contains(reason), "{error}");
    }

    const BUDGET: &str = "guest = { address_spaces = 4, threads = 8, page_table_kib = 32 }";

    #[test]
    fn a_budget_takes_the_last_slots_by_default() {
        let info = check(GOOD).unwrap();
        assert_eq!(
            info.partitions.get(0).unwrap().guest,
            Some(GuestBudget {
                address_spaces: 4,
                threads: 8,
                page_tables: 32,
                first_slot: 52,
            })
        );
        assert_eq!(info.partitions.get(1).unwrap().guest, None);
        let placed = check(&GOOD.replacen(
            BUDGET,
            "guest = { address_spaces = 4, threads = 8, page_table_kib = 32, first_slot = 8 }",
            1,
        ))
        .unwrap();
        let budget = placed.partitions.get(0).unwrap().guest.unwrap();
        assert_eq!((budget.space_slot(3), budget.thread_slot(0)), (11, 12));
        assert_eq!(budget.end_slot(), 20);
    }

    #[test]
    fn rejects_empty_or_misplaced_budgets() {
        let field = |f: &str| format!("partition[0].guest.{f}");
        rejected(
            "address_spaces = 4",
            "address_spaces = 0",
            &field("address_spaces"),
            "greater than 0",
        );
        rejected(
            "threads = 8,",
            "threads = 0,",
            &field("threads"),
            "between 1 and",
        );
        rejected(
            "page_table_kib = 32",
            "page_table_kib = 0",
            &field("page_table_kib"),
            "positive multiple",
        );
        rejected(
            "page_table_kib = 32 }",
            "page_table_kib = 32, first_slot = 60 }",
            &field("first_slot"),
            "do not fit",
        );
        rejected(
            "cap_slots = 64",
            "cap_slots = 8",
            "partition[0].cap_slots",
            "cannot hold the guest budget's 12 capabilities",
        );
        rejected(
            "page_table_kib = 32 }",
            "page_table_kib = 32, first_slot = 0 }",
            "partition[0].caps[0].slot",
            "taken by the guest budget",
        );
        rejected(
            "cap_slots = 64",
            "cap_slots = 64\npassive = true",
            "partition[0].guest",
            "passive",
        );
    }

    #[test]
    fn frames_may_carry_execute_and_nothing_else_may() {
        let frame = GOOD.replacen(
            "[[partition]]",
            "[[frame]]\nname = \"code\"\nsize_kib = 8\n\n[[partition]]",
            1,
        );
        let with_frame = frame.replacen(
            "caps = [{ slot = 0, endpoint = \"exceptions\", rights = [\"read\", \"write\"] }]",
            "caps = [{ slot = 0, endpoint = \"exceptions\", rights = [\"read\", \"write\"] }, { slot = 1, frame = \"code\", rights = [\"read\", \"execute\"] }]",
            1,
        );
        let info = check(&with_frame).unwrap();
        assert_eq!(info.caps.get(1).unwrap().rights, 0b1001);
        rejected(
            "rights = [\"read\", \"write\"]",
            "rights = [\"read\", \"execute\"]",
            "partition[0].caps[0].rights",
            "only frame capabilities carry `execute`",
        );
    }

    #[test]
    fn rejects_more_asids_or_guest_threads_than_the_kernel_has() {
        // Both partitions guest kernels with 128 slots of budget each.
        let both = |spaces_k: u16, spaces_p: u16, threads: u16| {
            let budget = |spaces: u16| {
                format!(
                    "cap_slots = 256\nguest = {{ address_spaces = {spaces}, threads = {threads}, page_table_kib = 4 }}"
                )
            };
            let text = GOOD
                .replacen("cap_slots = 64\n", "", 1)
                .replacen(BUDGET, &budget(spaces_k), 1)
                .replacen(
                    "threads = [{ name = \"main\", priority = 1, stack_kib = 8 }]",
                    &format!(
                        "threads = [{{ name = \"main\", priority = 1, stack_kib = 8 }}]\n{}",
                        budget(spaces_p)
                    ),
                    1,
                );
            check(&text)
        };
        assert!(
            both(127, 126, 1).is_ok(),
            "2 partitions + 253 spaces: ASIDs 1..=255"
        );
        let error = both(127, 127, 1).unwrap_err();
        assert_eq!(error.field, "partition[1].guest.address_spaces");
        assert!(error.reason.contains("need 256 ASIDs"), "{error}");
        assert!(both(1, 1, 254).is_ok(), "254 guest threads in each budget");
        let error = both(1, 1, 255).unwrap_err();
        assert_eq!(error.field, "partition[0].guest.threads");
        assert!(error.reason.contains("between 1 and 254"), "{error}");
    }
}
