//! The kernel address-space adapter against a fake kernel that enforces
//! what the real one does (a frame capability is mapped at most once, no
//! map over a mapping, a page-table budget): the adapter's record always
//! equals the kernel's page tables, its answers follow a model, and a
//! refused unmap is reported as broken instead of being forgotten.

mod fake_kernel;

use std::collections::BTreeMap;

use fake_kernel::FakeKernel;
use guest_mm::{AddressSpaceOps, Frame, MapError, ProcessId, Protection, Vpn};
use guest_os_kernel::kernel_spaces::{KernelSpaces, SlotLayout};
use proptest::prelude::*;

const LAYOUT: SlotLayout = SlotLayout {
    first_space: 10,
    spaces: 2,
    first_frame: 20,
    frames: 6,
};

fn spaces(budget: usize) -> KernelSpaces<FakeKernel> {
    let kernel = FakeKernel {
        budget,
        ..FakeKernel::default()
    };
    KernelSpaces::new(kernel, LAYOUT)
}

/// The adapter's record, translated to slots, is the kernel's table.
fn agrees(s: &KernelSpaces<FakeKernel>) -> bool {
    let mut record = BTreeMap::new();
    for p in 0..3 {
        for v in 0..8 {
            if let Some((frame, prot)) = s.entry(ProcessId(p), Vpn(v)) {
                let space = LAYOUT.first_space + p as u16;
                let cap = LAYOUT.first_frame + frame.0 as u16;
                record.insert((space, Vpn(v).base()), (cap, prot));
            }
        }
    }
    record == s.calls().tables
}

#[derive(Clone, Debug)]
enum Op {
    Map(u32, u32, u32, Protection),
    Unmap(u32, u32),
    Protect(u32, u32, Protection),
}

fn protection() -> impl Strategy<Value = Protection> {
    prop_oneof![
        Just(Protection::Read),
        Just(Protection::ReadWrite),
        Just(Protection::ReadExecute)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u32..3, 0u32..8, 0u32..8, protection()).prop_map(|(p, v, f, r)| Op::Map(p, v, f, r)),
        (0u32..3, 0u32..8).prop_map(|(p, v)| Op::Unmap(p, v)),
        (0u32..3, 0u32..8, protection()).prop_map(|(p, v, r)| Op::Protect(p, v, r)),
    ]
}

proptest! {
    #[test]
    fn the_record_is_the_kernels_and_answers_follow_the_model(
        ops in prop::collection::vec(op(), 1..60),
        budget in 0usize..8,
    ) {
        let mut s = spaces(budget);
        let mut model: BTreeMap<(u32, u32), (u32, Protection)> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Map(p, v, f, r) => {
                    let got = s.map(ProcessId(p), Vpn(v), Frame(f), r);
                    let want = if p >= 2 || f >= 6 || model.contains_key(&(p, v))
                        || model.values().any(|(mf, _)| *mf == f)
                    {
                        Err(MapError::Refused)
                    } else if model.len() >= budget {
                        Err(MapError::NoPageTables)
                    } else {
                        model.insert((p, v), (f, r));
                        Ok(())
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Unmap(p, v) => {
                    s.unmap(ProcessId(p), Vpn(v));
                    model.remove(&(p, v));
                }
                Op::Protect(p, v, r) => {
                    let got = s.protect(ProcessId(p), Vpn(v), r);
                    let want = match model.get_mut(&(p, v)) {
                        Some(entry) => {
                            entry.1 = r;
                            Ok(())
                        }
                        None => Err(MapError::Refused),
                    };
                    prop_assert_eq!(got, want);
                }
            }
            prop_assert!(agrees(&s));
            for ((p, v), (f, r)) in &model {
                prop_assert_eq!(s.entry(ProcessId(*p), Vpn(*v)), Some((Frame(*f), *r)));
            }
            prop_assert_eq!(s.broken(), 0);
        }
    }
}

#[test]
fn a_refused_unmap_is_reported_broken_and_the_mapping_kept() {
    let mut s = spaces(8);
    assert_eq!(
        s.map(ProcessId(1), Vpn(3), Frame(2), Protection::ReadWrite),
        Ok(())
    );
    let mut kernel = FakeKernel {
        budget: 8,
        refuse_unmaps: true,
        ..FakeKernel::default()
    };
    kernel.tables = s.calls().tables.clone();
    let mut s = KernelSpaces::new(kernel, LAYOUT);
    // A fresh adapter has no record: unmapping what it never mapped does
    // not call the kernel and is not a failure.
    s.unmap(ProcessId(1), Vpn(3));
    assert_eq!(s.broken(), 0);
    // Nor may it map a frame the kernel already has mapped.
    assert_eq!(
        s.map(ProcessId(0), Vpn(0), Frame(2), Protection::Read),
        Err(MapError::Refused)
    );
    assert_eq!(
        s.map(ProcessId(0), Vpn(0), Frame(4), Protection::Read),
        Ok(())
    );
    s.unmap(ProcessId(0), Vpn(0));
    assert_eq!(s.broken(), 1);
    assert_eq!(
        s.entry(ProcessId(0), Vpn(0)),
        Some((Frame(4), Protection::Read))
    );
    assert_eq!(
        s.protect(ProcessId(0), Vpn(0), Protection::ReadWrite),
        Err(MapError::Refused)
    );
    assert_eq!(s.broken(), 2);
    assert_eq!(s.mapped_pages_of(ProcessId(0)), 1);
}

#[test]
fn slots_outside_the_layout_are_refused_without_a_kernel_call() {
    let mut s = spaces(8);
    assert_eq!(
        s.map(ProcessId(2), Vpn(0), Frame(0), Protection::Read),
        Err(MapError::Refused)
    );
    assert_eq!(
        s.map(ProcessId(0), Vpn(0), Frame(6), Protection::Read),
        Err(MapError::Refused)
    );
    assert!(s.calls().tables.is_empty());
    assert_eq!(LAYOUT.space(ProcessId(1)), Some(11));
    assert_eq!(LAYOUT.frame(Frame(5)), Some(25));
}
