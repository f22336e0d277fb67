//! A property test of the whole checker: random mutations of the shipped
//! descriptions (a value replaced by a hostile one, a key or list entry
//! removed, a list entry duplicated) are either rejected with the file, a
//! field and a reason, or accepted with every invariant the kernel assumes
//! of its boot table holding, re-derived here from the table alone. The
//! checker must never panic. Test code only.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use boot_info::{BootInfo, CapObjectInfo};
use kernel_abi::cap::Rights;
use platform::boards::VEXPRESS_A9;
use proptest::prelude::*;
use toml::Value;

use super::validate::{parse, validate};

/// The shipped descriptions the mutations start from.
fn bases() -> Vec<(PathBuf, Value)> {
    let dir = crate::workspace::root().join("systems");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let table: toml::Table = toml::from_str(&text).unwrap();
            (path, Value::Table(table))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// One step in a TOML tree.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every value's path, depth first (the root excluded).
fn paths(value: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Table(table) => {
            for (key, child) in table {
                at.push(Step::Key(key.clone()));
                out.push(at.clone());
                paths(child, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                at.push(Step::Index(i));
                out.push(at.clone());
                paths(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// The container holding the last step of `path`.
fn parent<'v>(root: &'v mut Value, path: &[Step]) -> &'v mut Value {
    let mut here = root;
    for step in &path[..path.len() - 1] {
        here = match step {
            Step::Key(key) => here.get_mut(key.as_str()).unwrap(),
            Step::Index(i) => here.get_mut(*i).unwrap(),
        };
    }
    here
}

/// Values a hostile or careless author writes: edges of the integer
/// types, unaligned and huge sizes, empty and unknown names, names that
/// exist elsewhere in the file, wrong types.
fn hostile(choice: u64, names: &[String]) -> Value {
    let numbers: [i64; 16] = [
        0,
        1,
        2,
        3,
        4,
        7,
        32,
        255,
        256,
        4095,
        4096,
        65_535,
        65_536,
        i64::from(u32::MAX),
        1 << 40,
        -1,
    ];
    match choice % 4 {
        0 | 1 => Value::Integer(numbers[(choice / 4) as usize % numbers.len()]),
        2 if !names.is_empty() => Value::String(names[(choice / 4) as usize % names.len()].clone()),
        2 => Value::String(String::new()),
        _ => match (choice / 4) % 4 {
            0 => Value::String(String::new()),
            1 => Value::String("no-such-thing".into()),
            2 => Value::Boolean(choice % 8 == 3),
            _ => Value::String("x".repeat(40)),
        },
    }
}

/// Every string in the tree: the names the file already uses.
fn strings(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Table(table) => table.values().for_each(|v| strings(v, out)),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// Applies mutation `(kind, at, choice)` to `root`.
fn mutate(root: &mut Value, kind: u8, at: usize, choice: u64) {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return;
    }
    let mut names = BTreeSet::new();
    strings(root, &mut names);
    let names: Vec<String> = names.into_iter().collect();
    let path = &all[at % all.len()];
    let container = parent(root, path);
    match (path.last().unwrap(), kind % 4) {
        (Step::Key(key), 0) => {
            container.as_table_mut().unwrap().remove(key);
        }
        (Step::Index(i), 0) => {
            container.as_array_mut().unwrap().remove(*i);
        }
        (Step::Index(i), 1) => {
            let items = container.as_array_mut().unwrap();
            let copy = items[*i].clone();
            items.push(copy);
        }
        (Step::Key(key), _) => {
            container
                .as_table_mut()
                .unwrap()
                .insert(key.clone(), hostile(choice, &names));
        }
        (Step::Index(i), _) => container.as_array_mut().unwrap()[*i] = hostile(choice, &names),
    }
}

/// Why an accepted table breaks what the kernel assumes, if it does.
fn broken_invariant(info: &BootInfo<'_>) -> Option<String> {
    let partitions: Vec<_> = info.partitions.iter().collect();
    let caps: Vec<_> = info.caps.iter().collect();
    let mut slots = BTreeSet::new();
    for cap in &caps {
        let Some(p) = partitions.get(usize::from(cap.partition)) else {
            return Some(format!("{cap:?} names no partition"));
        };
        if cap.slot >= p.cap_slots || !slots.insert((cap.partition, cap.slot)) {
            return Some(format!("{cap:?} is outside or doubles a slot"));
        }
        let known = match cap.object {
            CapObjectInfo::Endpoint(e) => e < info.endpoints,
            CapObjectInfo::Notification(n) => n < info.notifications,
            CapObjectInfo::Frame(f) => usize::from(f) < info.frames.len(),
            CapObjectInfo::Irq(number) => info.irqs.iter().any(|irq| irq.number == number),
            CapObjectInfo::PartitionControl => true,
        };
        if !known || cap.rights == 0 {
            return Some(format!("{cap:?} names no object or has no rights"));
        }
    }
    let windows: Vec<_> = info.schedule.windows.iter().collect();
    let total: u64 = windows.iter().map(|w| u64::from(w.duration_ms)).sum();
    if windows.is_empty() || total != u64::from(info.schedule.major_frame_ms) {
        return Some("the windows do not fill the major frame".into());
    }
    for (i, p) in partitions.iter().enumerate() {
        let scheduled = windows.iter().any(|w| usize::from(w.partition) == i);
        if p.passive == scheduled || p.threads.is_empty() {
            return Some(format!(
                "partition {i} is passive and scheduled, or neither, or threadless"
            ));
        }
        let receives = |e: u16| {
            caps.iter().any(|c| {
                usize::from(c.partition) == i
                    && c.object == CapObjectInfo::Endpoint(e)
                    && c.rights & Rights::READ.bits() != 0
            })
        };
        let called = caps.iter().any(|c| {
            usize::from(c.partition) != i
                && c.rights & Rights::WRITE.bits() != 0
                && matches!(c.object, CapObjectInfo::Endpoint(e) if receives(e))
        });
        if p.passive && !called {
            return Some(format!("passive partition {i} has no caller"));
        }
    }
    for irq in info.irqs.iter() {
        let acked = caps
            .iter()
            .any(|c| c.object == CapObjectInfo::Irq(irq.number));
        let waited = caps.iter().any(|c| {
            c.object == CapObjectInfo::Notification(irq.notification)
                && c.rights & Rights::READ.bits() != 0
        });
        if !acked || !waited {
            return Some(format!(
                "interrupt {} is never acknowledged or waited for",
                irq.number
            ));
        }
    }
    let devices: Vec<_> = info.devices.iter().collect();
    for (i, a) in devices.iter().enumerate() {
        let end = u64::from(a.physical) + u64::from(a.size);
        let ram = VEXPRESS_A9.ram.base as u64..VEXPRESS_A9.ram_max_end() as u64;
        if end > 1 << 32 || (u64::from(a.physical) < ram.end && ram.start < end) {
            return Some(format!("device {i} wraps or lies in RAM"));
        }
        let console = VEXPRESS_A9.console.base() as u64;
        let mpcore = VEXPRESS_A9.mpcore_base as u64;
        if [(console, 0x1000), (mpcore, 0x2000)]
            .iter()
            .any(|&(start, size)| u64::from(a.physical) < start + size && start < end)
        {
            return Some(format!("device {i} is one the kernel drives"));
        }
        if devices[..i]
            .iter()
            .any(|b| a.physical < b.physical + b.size && b.physical < a.physical + a.size)
        {
            return Some(format!("device {i} shares registers with another"));
        }
    }
    None
}

fn check(file: &Path, text: &str) -> Result<BootInfo<'static>, super::DescriptionError> {
    let crates = super::build::workspace_crates().unwrap();
    let name = file.file_stem().unwrap().to_string_lossy().into_owned();
    let d = parse(file, text)?;
    let info = validate(file, &name, &d, &VEXPRESS_A9, crates)?;
    // What `build_system` derives from the description besides the table.
    super::disk::check(file, &d)?;
    crate::fat_image::regions(file, &d)?;
    Ok(info)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn a_mutated_description_is_rejected_with_its_field_or_sound(
        base in any::<usize>(),
        mutations in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u64>()), 1..4),
    ) {
        let bases = bases();
        let (file, mut value) = bases[base % bases.len()].clone();
        for &(kind, at, choice) in &mutations {
            mutate(&mut value, kind, at, choice);
        }
        let text = toml::to_string(&value).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&file, &text)));
        let outcome = outcome.map_err(|_| TestCaseError::fail(format!("the checker panicked on:\n{text}")))?;
        match outcome {
            Err(error) => {
                prop_assert_eq!(&error.file, &file);
                prop_assert!(!error.field.is_empty() && !error.reason.is_empty(), "{}", error);
            }
            Ok(info) => {
                let broken = broken_invariant(&info);
                prop_assert!(broken.is_none(), "{:?} accepted:\n{}", broken, text);
            }
        }
    }
}
