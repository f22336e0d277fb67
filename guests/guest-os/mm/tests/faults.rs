//! Faults and the process lifecycle: each fault kind's transition, every
//! error path (segfaults, unknown processes, map refusals, lost swap
//! pages), kernel copies, and killing a process freeing exactly what it
//! held.

mod fake;

use fake::*;
use guest_mm::anon::AnonPage;
use guest_mm::*;

const P: ProcessId = ProcessId(1);
const Q: ProcessId = ProcessId(2);

fn setup(frames: u32, tmem: Option<u8>) -> (Vm, World) {
    let mut world = world(frames, 64, tmem);
    let mut vm = Vm::new(config(frames, 64));
    vm.create_process(P, HEAP_START).unwrap();
    vm.brk(P, HEAP_START + 0x10_000, &mut world.backends())
        .unwrap();
    (vm, world)
}

#[test]
fn a_read_maps_a_zero_page_read_only_and_a_write_makes_it_writable() {
    let (mut vm, mut w) = setup(4, Some(0));
    let at = HEAP_START + 0x10;
    assert_eq!(
        vm.fault(P, at, Access::Read, &mut w.backends()),
        Ok(FaultKind::DemandZero)
    );
    let page = Vpn::containing(at);
    let (frame, protection) = w.mmu.maps[&(P, page)];
    assert_eq!(protection, Protection::Read);
    assert!(
        w.ram.page(frame).iter().all(|&b| b == 0),
        "a demand-zero page is zeroed"
    );
    assert_eq!(
        vm.fault(P, at, Access::Read, &mut w.backends()),
        Ok(FaultKind::Spurious)
    );
    assert_eq!(
        vm.fault(P, at, Access::Write, &mut w.backends()),
        Ok(FaultKind::Dirtied)
    );
    assert_eq!(w.mmu.maps[&(P, page)], (frame, Protection::ReadWrite));
    let stats = vm.stats();
    assert_eq!((stats.faults, stats.demand_zero, stats.dirtied), (3, 1, 1));
}

#[test]
fn a_first_write_maps_the_page_writable_at_once() {
    let (mut vm, mut w) = setup(4, Some(0));
    assert_eq!(
        vm.fault(P, HEAP_START, Access::Write, &mut w.backends()),
        Ok(FaultKind::DemandZero)
    );
    assert_eq!(
        w.mmu.maps[&(P, Vpn::containing(HEAP_START))].1,
        Protection::ReadWrite
    );
}

#[test]
fn segfaults_change_nothing_and_are_counted() {
    let (mut vm, mut w) = setup(4, Some(0));
    let read_only = vm.mmap(P, 0x1000, Protection::Read).unwrap();
    let code = vm.mmap(P, 0x1000, Protection::ReadExecute).unwrap();
    let cases = [
        (0x10, Access::Read, SegfaultReason::NoArea),
        (
            LAYOUT.mmap_base + 0x8_0000,
            Access::Write,
            SegfaultReason::NoArea,
        ),
        (read_only, Access::Write, SegfaultReason::Protection),
        (code, Access::Write, SegfaultReason::Protection),
        (HEAP_START, Access::Execute, SegfaultReason::Protection),
    ];
    for (address, access, reason) in cases {
        assert_eq!(
            vm.fault(P, address, access, &mut w.backends()),
            Err(VmError::Segfault { address, reason }),
            "{address:#x} {access:?}"
        );
    }
    assert_eq!(vm.stats().segfaults, cases.len() as u64);
    assert_eq!(vm.pressure().free_frames, 4);
    assert!(w.mmu.maps.is_empty());
    assert_eq!(
        vm.fault(P, code, Access::Execute, &mut w.backends()),
        Ok(FaultKind::DemandZero)
    );
    assert_eq!(
        w.mmu.maps[&(P, Vpn::containing(code))].1,
        Protection::ReadExecute
    );
}

#[test]
fn unknown_processes_are_errors() {
    let (mut vm, mut w) = setup(4, Some(0));
    let missing = ProcessId(9);
    let e = Err(VmError::NoSuchProcess(missing));
    assert_eq!(
        vm.fault(missing, HEAP_START, Access::Read, &mut w.backends()),
        e.map(|()| FaultKind::Spurious)
    );
    assert_eq!(
        vm.mmap(missing, 0x1000, Protection::ReadWrite),
        e.map(|()| 0)
    );
    assert_eq!(
        vm.munmap(missing, LAYOUT.mmap_base, 0x1000, &mut w.backends()),
        e
    );
    assert_eq!(
        vm.brk(missing, HEAP_START, &mut w.backends()),
        e.map(|()| 0)
    );
    assert_eq!(vm.destroy_process(missing, &mut w.backends()), e);
    assert_eq!(
        vm.copy_to_user(missing, HEAP_START, &[1], &mut w.backends()),
        e
    );
    assert!(vm.areas(missing).is_err());
}

#[test]
fn the_process_table_has_a_limit_and_no_duplicates() {
    let (mut vm, _w) = setup(4, None);
    assert_eq!(
        vm.create_process(P, HEAP_START),
        Err(VmError::ProcessExists(P))
    );
    for id in 2..=4 {
        vm.create_process(ProcessId(id), HEAP_START).unwrap();
    }
    assert_eq!(
        vm.create_process(ProcessId(5), HEAP_START),
        Err(VmError::TooManyProcesses)
    );
    assert_eq!(
        vm.create_process(ProcessId(5), HEAP_START + 1),
        Err(VmError::TooManyProcesses)
    );
}

#[test]
fn a_bad_heap_start_is_refused() {
    let mut vm = Vm::new(config(4, 4));
    assert_eq!(
        vm.create_process(P, HEAP_START + 1),
        Err(VmError::Area(AreaError::Unaligned))
    );
}

#[test]
fn a_refused_map_leaves_the_page_resident_for_a_retry() {
    let (mut vm, mut w) = setup(4, Some(0));
    w.mmu.refuse_maps = 1;
    assert_eq!(
        vm.fault(P, HEAP_START, Access::Write, &mut w.backends()),
        Err(VmError::Map(MapError::NoPageTables))
    );
    assert!(matches!(
        vm.page_state(P, Vpn::containing(HEAP_START)),
        Some(AnonPage::Resident { mapped: false, .. })
    ));
    vm.check(&w.ram).unwrap();
    assert_eq!(
        vm.fault(P, HEAP_START, Access::Write, &mut w.backends()),
        Ok(FaultKind::Refault)
    );
    check_mmu(&vm, &w);
}

#[test]
fn a_swap_page_tmem_lost_fails_the_fault_and_frees_the_frame() {
    let (mut vm, mut w) = setup(1, Some(0));
    store(&mut vm, &mut w, P, HEAP_START, 1).unwrap();
    store(&mut vm, &mut w, P, HEAP_START + 0x1000, 2).unwrap();
    w.tmem.as_mut().unwrap().pages.clear();
    assert_eq!(
        load(&mut vm, &mut w, P, HEAP_START),
        Err(VmError::Swap(SwapError::TmemLost))
    );
    vm.check(&w.ram).unwrap();
    // The guest kills the process; its slot is freed with it.
    vm.destroy_process(P, &mut w.backends()).unwrap();
    assert_eq!(vm.pressure().swap_used, 0);
    assert_eq!(vm.pressure().free_frames, 1);
}

#[test]
fn killing_a_process_frees_exactly_its_frames_slots_and_tmem_pages() {
    let (mut vm, mut w) = setup(4, Some(0));
    vm.create_process(Q, HEAP_START).unwrap();
    vm.brk(Q, HEAP_START + 0x10_000, &mut w.backends()).unwrap();
    for n in 0..8 {
        store(&mut vm, &mut w, P, HEAP_START + n * 0x1000, 1).unwrap();
        store(&mut vm, &mut w, Q, HEAP_START + n * 0x1000, 2).unwrap();
    }
    let tmem_pages = |w: &World, swap: &Vm| {
        (
            w.tmem.as_ref().unwrap().pages.len(),
            swap.pressure().swap_in_tmem,
        )
    };
    let (before, _) = tmem_pages(&w, &vm);
    let p_swapped = vm
        .pages()
        .filter(|&(p, _, s)| p == P && matches!(s, AnonPage::Swapped { .. }))
        .count();
    let p_resident = vm
        .pages()
        .filter(|&(p, _, s)| p == P && matches!(s, AnonPage::Resident { .. }))
        .count() as u32;
    assert!(
        p_swapped > 0 && p_resident > 0,
        "P has pages in tmem and in RAM"
    );
    let free_before = vm.pressure().free_frames;
    vm.destroy_process(P, &mut w.backends()).unwrap();
    let (after, counted) = tmem_pages(&w, &vm);
    assert_eq!(before - after, p_swapped, "tmem lost exactly P's pages");
    assert_eq!(after as u32, counted);
    assert_eq!(vm.pressure().free_frames, free_before + p_resident);
    assert!(w.mmu.maps.keys().all(|&(p, _)| p != P));
    for n in 0..8 {
        assert_eq!(load(&mut vm, &mut w, Q, HEAP_START + n * 0x1000), Ok(2));
    }
    vm.check(&w.ram).unwrap();
}

#[test]
fn munmap_and_a_shrinking_brk_free_pages_and_regrown_memory_is_zero() {
    let (mut vm, mut w) = setup(8, Some(0));
    let map = vm.mmap(P, 0x3000, Protection::ReadWrite).unwrap();
    for n in 0..3 {
        store(&mut vm, &mut w, P, map + n * 0x1000, 5).unwrap();
    }
    store(&mut vm, &mut w, P, HEAP_START + 0x5000, 6).unwrap();
    vm.munmap(P, map + 0x1000, 0x1000, &mut w.backends())
        .unwrap();
    assert!(matches!(
        load(&mut vm, &mut w, P, map + 0x1000),
        Err(VmError::Segfault { .. })
    ));
    assert_eq!(load(&mut vm, &mut w, P, map + 0x2000), Ok(5));
    vm.brk(P, HEAP_START + 0x1000, &mut w.backends()).unwrap();
    assert_eq!(vm.pressure().anon_resident, 2);
    vm.brk(P, HEAP_START + 0x10_000, &mut w.backends()).unwrap();
    assert_eq!(load(&mut vm, &mut w, P, HEAP_START + 0x5000), Ok(0));
    assert_eq!(
        vm.munmap(P, HEAP_START, 0x1000, &mut w.backends()),
        Err(VmError::Area(AreaError::NotAMapping))
    );
    vm.check(&w.ram).unwrap();
}

#[test]
fn kernel_copies_obey_protections_and_stop_at_the_first_bad_page() {
    let (mut vm, mut w) = setup(2, Some(50));
    let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
    vm.copy_to_user(P, HEAP_START + 0x123, &data, &mut w.backends())
        .unwrap();
    let mut out = vec![0u8; data.len()];
    vm.copy_from_user(P, HEAP_START + 0x123, &mut out, &mut w.backends())
        .unwrap();
    assert_eq!(out, data);

    let read_only = vm.mmap(P, 0x1000, Protection::Read).unwrap();
    assert_eq!(
        vm.copy_to_user(P, read_only, &[1], &mut w.backends()),
        Err(VmError::Segfault {
            address: read_only,
            reason: SegfaultReason::Protection
        })
    );
    // The heap ends at HEAP_START + 0x10000: a copy across it writes the
    // heap part and fails at the end.
    let end = HEAP_START + 0x10_000;
    assert_eq!(
        vm.copy_to_user(P, end - 2, &[7, 8, 9], &mut w.backends()),
        Err(VmError::Segfault {
            address: end,
            reason: SegfaultReason::NoArea
        })
    );
    assert_eq!(load(&mut vm, &mut w, P, end - 1), Ok(8));
    let mut wrap = [0u8; 4];
    assert!(matches!(
        vm.copy_from_user(P, u32::MAX - 1, &mut wrap, &mut w.backends()),
        Err(VmError::Segfault { .. })
    ));
    vm.check(&w.ram).unwrap();
}

#[test]
fn the_pressure_report_adds_up() {
    let (mut vm, mut w) = setup(3, Some(0));
    let map = vm.mmap(P, 0x4000, Protection::ReadWrite).unwrap();
    for n in 0..4 {
        store(&mut vm, &mut w, P, map + n * 0x1000, 1).unwrap();
    }
    let mut buf = [0u8; 100];
    vm.read_file(FileId(1), 0, &mut buf, &mut w.backends())
        .unwrap();
    let report = vm.pressure();
    assert_eq!(report.total_frames, 3);
    assert_eq!(
        report.committed,
        16 + 4,
        "heap of 16 pages and a mapping of 4"
    );
    assert_eq!(
        report.free_frames + report.anon_resident + report.page_cache,
        3
    );
    assert_eq!(report.page_cache, 1);
    assert_eq!(report.swap_slots, 64);
    assert_eq!(report.swap_used, 4 - report.anon_resident);
    assert_eq!(report.swap_in_tmem, report.swap_used);
}
