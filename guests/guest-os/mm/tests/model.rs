//! The memory manager against an independent model: whatever the memory
//! pressure, whether pages stayed, went to tmem or to the swap device, or
//! file pages went through cleancache, every byte a process wrote reads
//! back the same, untouched memory reads as zeros, files read as they
//! are, bad addresses fault, and the invariants and the MMU protocol hold
//! after every step. At the end, killing every process frees every frame,
//! slot and frontswap page.

mod fake;

use std::collections::{BTreeMap, BTreeSet};

use fake::*;
use guest_mm::page::page_round_up;
use guest_mm::*;
use proptest::prelude::*;

const PROCESSES: u32 = 3;
const MMAP_FIRST: u32 = LAYOUT.mmap_base >> 12;
const MMAP_END: u32 = LAYOUT.user_top >> 12;

#[derive(Clone, Debug)]
enum Op {
    Mmap {
        process: u32,
        pages: u32,
    },
    Munmap {
        process: u32,
        page: u32,
        pages: u32,
    },
    Brk {
        process: u32,
        delta: i32,
        slack: u32,
    },
    Store {
        process: u32,
        pick: u64,
        value: u8,
    },
    Load {
        process: u32,
        pick: u64,
    },
    CopyToUser {
        process: u32,
        pick: u64,
        len: u32,
        seed: u8,
    },
    CopyFromUser {
        process: u32,
        pick: u64,
        len: u32,
    },
    Exit {
        process: u32,
    },
    ReadFile {
        file: u32,
        offset: u32,
        len: u32,
    },
    Reclaim {
        frames: u32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let process = 1..=PROCESSES;
    prop_oneof![
        2 => (process.clone(), 1..8u32).prop_map(|(process, pages)| Op::Mmap { process, pages }),
        1 => (process.clone(), 0..MMAP_END - MMAP_FIRST, 1..8u32)
            .prop_map(|(process, page, pages)| Op::Munmap { process, page: MMAP_FIRST + page, pages }),
        1 => (process.clone(), -4..8i32, 0..4096u32)
            .prop_map(|(process, delta, slack)| Op::Brk { process, delta, slack }),
        8 => (process.clone(), any::<u64>(), any::<u8>())
            .prop_map(|(process, pick, value)| Op::Store { process, pick, value }),
        6 => (process.clone(), any::<u64>()).prop_map(|(process, pick)| Op::Load { process, pick }),
        1 => (process.clone(), any::<u64>(), 1..9000u32, any::<u8>())
            .prop_map(|(process, pick, len, seed)| Op::CopyToUser { process, pick, len, seed }),
        1 => (process.clone(), any::<u64>(), 1..9000u32)
            .prop_map(|(process, pick, len)| Op::CopyFromUser { process, pick, len }),
        1 => process.clone().prop_map(|process| Op::Exit { process }),
        2 => (0..5u32, 0..40_000u32, 0..9000u32)
            .prop_map(|(file, offset, len)| Op::ReadFile { file, offset, len }),
        1 => (0..12u32).prop_map(|frames| Op::Reclaim { frames }),
    ]
}

/// A process as the model sees it: its mapping pages, its break, and the
/// bytes written (every other byte of a valid page is zero).
#[derive(Default)]
struct ModelProcess {
    mappings: BTreeSet<u32>,
    brk: u32,
    bytes: BTreeMap<u32, u8>,
}

impl ModelProcess {
    fn new() -> ModelProcess {
        ModelProcess {
            brk: HEAP_START,
            ..ModelProcess::default()
        }
    }

    fn heap_pages(&self) -> std::ops::Range<u32> {
        (HEAP_START >> 12)..(page_round_up(self.brk).unwrap() >> 12)
    }

    fn valid(&self, address: u32) -> bool {
        let page = address >> 12;
        self.mappings.contains(&page) || self.heap_pages().contains(&page)
    }

    /// An address: mostly in a valid page, sometimes anywhere.
    fn pick(&self, pick: u64) -> u32 {
        let pages: Vec<u32> = self
            .heap_pages()
            .chain(self.mappings.iter().copied())
            .collect();
        if pages.is_empty() || pick.is_multiple_of(8) {
            return (pick >> 8) as u32 % (LAYOUT.user_top + 0x1000);
        }
        let page = pages[(pick >> 3) as usize % pages.len()];
        (page << 12) + (pick >> 32) as u32 % PAGE_SIZE as u32
    }

    fn forget_pages(&mut self, pages: std::ops::Range<u32>) {
        self.bytes
            .retain(|&address, _| !pages.contains(&(address >> 12)));
    }

    fn read(&self, address: u32) -> u8 {
        self.bytes.get(&address).copied().unwrap_or(0)
    }

    /// The lowest page where `pages` free mmap pages start.
    fn lowest_gap(&self, pages: u32) -> Option<u32> {
        (MMAP_FIRST..=MMAP_END.saturating_sub(pages))
            .find(|&start| (start..start + pages).all(|page| !self.mappings.contains(&page)))
    }

    /// The first address of `[address, address + len)` in an invalid page.
    fn first_invalid(&self, address: u32, len: u32) -> Option<u32> {
        let end = u64::from(address) + u64::from(len);
        let mut at = u64::from(address);
        while at < end {
            if at > u64::from(u32::MAX) || !self.valid(at as u32) {
                return Some(at as u32);
            }
            at = (at & !0xfff) + 0x1000;
        }
        None
    }
}

fn pid(process: u32) -> ProcessId {
    ProcessId(process)
}

fn is_segfault(result: &Result<impl std::fmt::Debug, VmError>) -> bool {
    matches!(result, Err(VmError::Segfault { .. }))
}

fn run(frames: u32, tmem: Option<u8>, ops: Vec<Op>) {
    let mut world = world(frames, 1024, tmem);
    let mut vm = Vm::new(config(frames, 1024));
    let mut model: BTreeMap<u32, ModelProcess> = BTreeMap::new();
    for process in 1..=PROCESSES {
        vm.create_process(pid(process), HEAP_START).unwrap();
        model.insert(process, ModelProcess::new());
    }
    for op in ops {
        apply(&mut vm, &mut world, &mut model, &op);
        vm.check(&world.ram)
            .unwrap_or_else(|broken| panic!("after {op:?}: {broken}"));
        check_mmu(&vm, &world);
        check_mapped_in_mmu(&vm, &world);
        if let Some(tmem) = &world.tmem {
            assert_eq!(
                tmem.pages.len() as u32,
                vm.pressure().swap_in_tmem,
                "frontswap leaked after {op:?}"
            );
        }
    }
    for process in 1..=PROCESSES {
        vm.destroy_process(pid(process), &mut world.backends())
            .unwrap();
    }
    let pressure = vm.pressure();
    assert_eq!(pressure.swap_used, 0);
    assert_eq!(pressure.anon_resident, 0);
    assert_eq!(pressure.free_frames + pressure.page_cache, frames);
    assert!(world.mmu.maps.is_empty());
    if let Some(tmem) = &world.tmem {
        assert!(tmem.pages.is_empty());
    }
    vm.check(&world.ram).unwrap();
}

fn apply(vm: &mut Vm, world: &mut World, model: &mut BTreeMap<u32, ModelProcess>, op: &Op) {
    match *op {
        Op::Mmap { process, pages } => {
            let expected = model[&process].lowest_gap(pages);
            let result = vm.mmap(pid(process), pages * 4096, Protection::ReadWrite);
            match (result, expected) {
                (Ok(address), Some(page)) => {
                    assert_eq!(address >> 12, page, "mmap placed away from the lowest gap");
                    model
                        .get_mut(&process)
                        .unwrap()
                        .mappings
                        .extend(page..page + pages);
                }
                (Err(VmError::Area(AreaError::NoSpace)), None) => {}
                (result, expected) => panic!("{op:?}: {result:?}, model expected {expected:?}"),
            }
        }
        Op::Munmap {
            process,
            page,
            pages,
        } => {
            let result = vm.munmap(
                pid(process),
                page << 12,
                pages * 4096,
                &mut world.backends(),
            );
            if page + pages > MMAP_END {
                assert_eq!(result, Err(VmError::Area(AreaError::OutOfRange)));
            } else {
                assert_eq!(result, Ok(()));
                let process = model.get_mut(&process).unwrap();
                process
                    .mappings
                    .retain(|p| !(page..page + pages).contains(p));
                process.forget_pages(page..page + pages);
            }
        }
        Op::Brk {
            process,
            delta,
            slack,
        } => {
            let old = model[&process].brk;
            let new =
                (i64::from(old) + i64::from(delta) * 4096 + i64::from(slack) - 2048).max(0) as u32;
            let result = vm.brk(pid(process), new, &mut world.backends());
            if new < HEAP_START {
                assert_eq!(result, Err(VmError::Area(AreaError::BelowHeap)));
            } else if page_round_up(new).unwrap() > LAYOUT.mmap_base {
                assert_eq!(result, Err(VmError::Area(AreaError::NoSpace)));
            } else {
                assert_eq!(result, Ok(new));
                let process = model.get_mut(&process).unwrap();
                let old_end = page_round_up(old).unwrap() >> 12;
                let new_end = page_round_up(new).unwrap() >> 12;
                process.forget_pages(new_end..old_end.max(new_end));
                process.brk = new;
            }
        }
        Op::Store {
            process,
            pick,
            value,
        } => {
            let address = model[&process].pick(pick);
            let result = store(vm, world, pid(process), address, value);
            if model[&process].valid(address) {
                assert_eq!(result, Ok(()), "{op:?} at {address:#x}");
                model
                    .get_mut(&process)
                    .unwrap()
                    .bytes
                    .insert(address, value);
            } else {
                assert!(is_segfault(&result), "{op:?} at {address:#x}: {result:?}");
            }
        }
        Op::Load { process, pick } => {
            let address = model[&process].pick(pick);
            let result = load(vm, world, pid(process), address);
            if model[&process].valid(address) {
                assert_eq!(
                    result,
                    Ok(model[&process].read(address)),
                    "{op:?} at {address:#x}"
                );
            } else {
                assert!(is_segfault(&result), "{op:?} at {address:#x}: {result:?}");
            }
        }
        Op::CopyToUser {
            process,
            pick,
            len,
            seed,
        } => {
            let address = model[&process].pick(pick);
            let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(3) ^ seed).collect();
            let result = vm.copy_to_user(pid(process), address, &data, &mut world.backends());
            let stop = model[&process].first_invalid(address, len);
            match stop {
                None => assert_eq!(result, Ok(()), "{op:?} at {address:#x}"),
                Some(_) => assert!(is_segfault(&result), "{op:?} at {address:#x}: {result:?}"),
            }
            let written = stop.map_or(len, |stop| stop - address);
            let process = model.get_mut(&process).unwrap();
            for i in 0..written {
                process.bytes.insert(address + i, data[i as usize]);
            }
        }
        Op::CopyFromUser { process, pick, len } => {
            let address = model[&process].pick(pick);
            let mut out = vec![0u8; len as usize];
            let result = vm.copy_from_user(pid(process), address, &mut out, &mut world.backends());
            match model[&process].first_invalid(address, len) {
                None => {
                    assert_eq!(result, Ok(()), "{op:?} at {address:#x}");
                    for (i, &byte) in out.iter().enumerate() {
                        let at = address + i as u32;
                        assert_eq!(byte, model[&process].read(at), "{op:?}: byte at {at:#x}");
                    }
                }
                Some(_) => assert!(is_segfault(&result), "{op:?} at {address:#x}: {result:?}"),
            }
        }
        Op::Exit { process } => {
            vm.destroy_process(pid(process), &mut world.backends())
                .unwrap();
            assert!(world.mmu.maps.keys().all(|&(p, _)| p != pid(process)));
            assert!(vm.pages().all(|(p, _, _)| p != pid(process)));
            vm.create_process(pid(process), HEAP_START).unwrap();
            model.insert(process, ModelProcess::new());
        }
        Op::ReadFile { file, offset, len } => {
            let id = FileId(file);
            let mut out = vec![0u8; len as usize];
            let result = vm.read_file(id, offset, &mut out, &mut world.backends());
            match world.files.sizes.get(file as usize) {
                None => assert_eq!(result, Err(VmError::File(FileError::NoSuchFile))),
                Some(&size) => {
                    let expected = len.min(size.saturating_sub(offset)) as usize;
                    assert_eq!(result, Ok(expected), "{op:?}");
                    for (i, &byte) in out[..expected].iter().enumerate() {
                        assert_eq!(byte, file_byte(id, offset + i as u32), "{op:?} byte {i}");
                    }
                }
            }
        }
        Op::Reclaim { frames } => {
            let want = frames.min(vm.config().frames);
            assert_eq!(vm.reclaim(want, &mut world.backends()), Ok(()));
            assert!(vm.pressure().free_frames >= want);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_page_reads_back_with_tmem_refusing_at_random(
        frames in 3..10u32,
        refuse in 0..=100u8,
        ops in prop::collection::vec(op(), 1..150),
    ) {
        run(frames, Some(refuse), ops);
    }

    #[test]
    fn every_page_reads_back_with_tmem_off(
        frames in 3..10u32,
        ops in prop::collection::vec(op(), 1..150),
    ) {
        run(frames, None, ops);
    }

    #[test]
    fn every_page_reads_back_with_plenty_of_ram(
        ops in prop::collection::vec(op(), 1..100),
    ) {
        run(64, Some(30), ops);
    }
}
