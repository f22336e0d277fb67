//! The software MMU against a model of page tables: a translation reaches
//! a frame exactly when a mapping is there and its protection allows the
//! access, and a request that breaks the map/unmap protocol is refused
//! and changes nothing.

use std::collections::BTreeMap;

use guest_mm::{Access, AddressSpaceOps, Frame, MapError, ProcessId, Protection, Vpn};
use guest_os_kernel::SoftMmu;
use proptest::prelude::*;

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
        (0u32..3, 0u32..8, 0u32..16, protection()).prop_map(|(p, v, f, r)| Op::Map(p, v, f, r)),
        (0u32..3, 0u32..8).prop_map(|(p, v)| Op::Unmap(p, v)),
        (0u32..3, 0u32..8, protection()).prop_map(|(p, v, r)| Op::Protect(p, v, r)),
    ]
}

proptest! {
    #[test]
    fn translations_follow_the_mappings(ops in prop::collection::vec(op(), 0..64)) {
        let mut mmu = SoftMmu::new();
        let mut model: BTreeMap<(u32, u32), (u32, Protection)> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Map(p, v, f, r) => {
                    let result = mmu.map(ProcessId(p), Vpn(v), Frame(f), r);
                    match model.entry((p, v)) {
                        std::collections::btree_map::Entry::Occupied(_) => {
                            prop_assert_eq!(result, Err(MapError::Refused));
                        }
                        std::collections::btree_map::Entry::Vacant(entry) => {
                            prop_assert_eq!(result, Ok(()));
                            entry.insert((f, r));
                        }
                    }
                }
                Op::Unmap(p, v) => {
                    mmu.unmap(ProcessId(p), Vpn(v));
                    model.remove(&(p, v));
                }
                Op::Protect(p, v, r) => {
                    let result = mmu.protect(ProcessId(p), Vpn(v), r);
                    match model.get_mut(&(p, v)) {
                        Some(entry) => {
                            prop_assert_eq!(result, Ok(()));
                            entry.1 = r;
                        }
                        None => prop_assert_eq!(result, Err(MapError::Refused)),
                    }
                }
            }
            prop_assert_eq!(mmu.mapped_pages(), model.len());
        }
        for p in 0..3 {
            prop_assert_eq!(mmu.mapped_pages_of(ProcessId(p)), model.keys().filter(|k| k.0 == p).count());
            for v in 0..8 {
                for access in [Access::Read, Access::Write, Access::Execute] {
                    let want = model.get(&(p, v)).and_then(|&(f, r)| {
                        let allowed = matches!(
                            (r, access),
                            (_, Access::Read)
                                | (Protection::ReadWrite, Access::Write)
                                | (Protection::ReadExecute, Access::Execute)
                        );
                        allowed.then_some(Frame(f))
                    });
                    prop_assert_eq!(mmu.translate(ProcessId(p), Vpn(v), access), want);
                }
            }
        }
    }
}
