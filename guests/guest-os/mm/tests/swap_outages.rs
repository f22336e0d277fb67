//! Swapping while tmem and the swap device fail, against an independent
//! model of one process's memory: the card refuses reads or writes, tmem
//! refuses stores, cannot be asked for a page, or loses the reply to a
//! store it took. Whatever fails, a process's access either succeeds with
//! the byte it last wrote or fails with a swap or out-of-memory error
//! (never with another byte, never while nothing is failing); once
//! everything works again every byte reads back; the memory manager's
//! invariants and the frontswap accounting hold after every step, and
//! ending the process frees every frame, slot and tmem page.

mod fake;

use std::collections::BTreeMap;

use fake::*;
use guest_mm::*;
use proptest::prelude::*;

/// Pages of the process's one mapping: more than there are frames.
const PAGES: u32 = 12;
/// Swap slots and device blocks: enough for every page.
const SLOTS: u32 = 64;

#[derive(Clone, Debug)]
enum Op {
    Store { page: u32, offset: u32, value: u8 },
    Load { page: u32, offset: u32 },
    Reclaim { frames: u32 },
    Outage(Outage),
}

/// What is failing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Outage {
    device_reads: bool,
    device_writes: bool,
    tmem_loads: bool,
    tmem_store_replies: bool,
}

impl Outage {
    fn any(self) -> bool {
        self != Outage::default()
    }

    fn apply(self, world: &mut World) {
        world.disk.fail_reads = self.device_reads;
        world.disk.fail_writes = self.device_writes;
        if let Some(tmem) = &mut world.tmem {
            tmem.fail_loads = self.tmem_loads;
            tmem.lose_store_replies = self.tmem_store_replies;
        }
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..PAGES, 0..PAGE_SIZE as u32, any::<u8>())
            .prop_map(|(page, offset, value)| Op::Store { page, offset, value }),
        4 => (0..PAGES, 0..PAGE_SIZE as u32).prop_map(|(page, offset)| Op::Load { page, offset }),
        1 => (0..6u32).prop_map(|frames| Op::Reclaim { frames }),
        2 => any::<(bool, bool, bool, bool)>().prop_map(|(a, b, c, d)| Op::Outage(Outage {
            device_reads: a,
            device_writes: b,
            tmem_loads: c,
            tmem_store_replies: d,
        })),
    ]
}

/// What a failure may be while something is failing.
fn is_outage_error(error: &VmError) -> bool {
    matches!(
        error,
        VmError::OutOfMemory | VmError::Swap(SwapError::Device(_) | SwapError::TmemLost)
    )
}

const PROCESS: ProcessId = ProcessId(1);

fn run(frames: u32, tmem_refuse: Option<u8>, ops: Vec<Op>) {
    let mut world = world(frames, SLOTS, tmem_refuse);
    let mut vm = Vm::new(config(frames, SLOTS));
    vm.create_process(PROCESS, HEAP_START).unwrap();
    let base = vm
        .mmap(PROCESS, PAGES * PAGE_SIZE as u32, Protection::ReadWrite)
        .unwrap();
    // The model: every byte written, by offset in the mapping.
    let mut model: BTreeMap<u32, u8> = BTreeMap::new();
    let mut outage = Outage::default();
    for op in ops {
        match op {
            Op::Store {
                page,
                offset,
                value,
            } => {
                let at = page * PAGE_SIZE as u32 + offset;
                match store(&mut vm, &mut world, PROCESS, base + at, value) {
                    Ok(()) => {
                        model.insert(at, value);
                    }
                    Err(error) => assert!(
                        outage.any() && is_outage_error(&error),
                        "{op:?} during {outage:?}: {error:?}"
                    ),
                }
            }
            Op::Load { page, offset } => {
                let at = page * PAGE_SIZE as u32 + offset;
                match load(&mut vm, &mut world, PROCESS, base + at) {
                    Ok(byte) => assert_eq!(
                        byte,
                        model.get(&at).copied().unwrap_or(0),
                        "{op:?} during {outage:?}"
                    ),
                    Err(error) => assert!(
                        outage.any() && is_outage_error(&error),
                        "{op:?} during {outage:?}: {error:?}"
                    ),
                }
            }
            Op::Reclaim { frames } => {
                let result = vm.reclaim(frames, &mut world.backends());
                if let Err(error) = result {
                    assert!(
                        outage.any() && is_outage_error(&error),
                        "{op:?} during {outage:?}: {error:?}"
                    );
                }
            }
            Op::Outage(now) => {
                outage = now;
                outage.apply(&mut world);
            }
        }
        vm.check(&world.ram)
            .unwrap_or_else(|broken| panic!("after {op:?}: {broken}"));
        check_mmu(&vm, &world);
        check_mapped_in_mmu(&vm, &world);
        if let Some(tmem) = &world.tmem {
            assert_eq!(
                tmem.pages.len() as u32,
                vm.pressure().swap_in_tmem,
                "frontswap holds pages for no slot, or slots without their page, after {op:?}"
            );
        }
    }
    Outage::default().apply(&mut world);
    for page in 0..PAGES {
        let first = page * PAGE_SIZE as u32;
        let last = first + PAGE_SIZE as u32 - 1;
        let written = model.range(first..=last).map(|(&at, _)| at);
        for at in written.chain([first, last]) {
            let byte = load(&mut vm, &mut world, PROCESS, base + at);
            assert_eq!(
                byte,
                Ok(model.get(&at).copied().unwrap_or(0)),
                "byte {at:#x} after the outages"
            );
        }
    }
    vm.destroy_process(PROCESS, &mut world.backends()).unwrap();
    let pressure = vm.pressure();
    assert_eq!(pressure.swap_used, 0);
    assert_eq!(pressure.anon_resident, 0);
    assert_eq!(pressure.free_frames + pressure.page_cache, frames);
    if let Some(tmem) = &world.tmem {
        assert!(tmem.pages.is_empty(), "tmem keeps pages of a dead process");
    }
    vm.check(&world.ram).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_byte_survives_tmem_and_card_outages(
        frames in 3..8u32,
        refuse in 0..=100u8,
        ops in prop::collection::vec(op(), 1..200),
    ) {
        run(frames, Some(refuse), ops);
    }

    #[test]
    fn every_byte_survives_card_outages_without_tmem(
        frames in 3..8u32,
        ops in prop::collection::vec(op(), 1..200),
    ) {
        run(frames, None, ops);
    }
}
