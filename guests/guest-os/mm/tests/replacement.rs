//! Page replacement by the clock: referenced pages get a second chance
//! (their bit is taken by unmapping them), unreferenced ones are evicted
//! in hand order, a refault gives a page its bit back, and clean pages are
//! dropped rather than written.

mod fake;

use fake::*;
use guest_mm::anon::AnonPage;
use guest_mm::*;

const P: ProcessId = ProcessId(1);

fn page(n: u32) -> u32 {
    HEAP_START + n * 0x1000
}

fn setup(frames: u32, slots: u32, tmem: Option<u8>) -> (Vm, World) {
    let mut world = world(frames, slots, tmem);
    let mut vm = Vm::new(config(frames, slots));
    vm.create_process(P, HEAP_START).unwrap();
    vm.brk(P, page(16), &mut world.backends()).unwrap();
    (vm, world)
}

fn state(vm: &Vm, n: u32) -> Option<AnonPage> {
    vm.page_state(P, Vpn::containing(page(n)))
}

fn is_swapped(vm: &Vm, n: u32) -> bool {
    matches!(state(vm, n), Some(AnonPage::Swapped { .. }))
}

fn is_resident(vm: &Vm, n: u32) -> bool {
    matches!(state(vm, n), Some(AnonPage::Resident { .. }))
}

#[test]
fn referenced_pages_get_a_second_chance() {
    let (mut vm, mut w) = setup(3, 16, Some(0));
    for n in 0..3 {
        store(&mut vm, &mut w, P, page(n), n as u8 + 1).unwrap();
    }
    // All three are referenced: the hand clears and unmaps each, then
    // evicts the first it finds unreferenced, page 0.
    store(&mut vm, &mut w, P, page(3), 4).unwrap();
    assert!(is_swapped(&vm, 0));
    assert_eq!(w.mmu.unmaps, 3);
    for n in 1..3 {
        assert!(
            matches!(
                state(&vm, n),
                Some(AnonPage::Resident { mapped: false, .. })
            ),
            "page {n} lost its mapping with its referenced bit"
        );
    }
    // Using page 1 again faults (minor) and sets its bit: page 2 goes next.
    assert_eq!(load(&mut vm, &mut w, P, page(1)), Ok(2));
    assert_eq!(vm.stats().minor_refaults, 1);
    store(&mut vm, &mut w, P, page(4), 5).unwrap();
    assert!(is_swapped(&vm, 2), "the unreferenced page is the victim");
    assert!(is_resident(&vm, 1), "the referenced page survived");
    // Every page reads back, wherever it went.
    for n in 0..5 {
        assert_eq!(load(&mut vm, &mut w, P, page(n)), Ok(n as u8 + 1));
    }
    vm.check(&w.ram).unwrap();
    check_mmu(&vm, &w);
}

#[test]
fn a_page_swapped_in_for_reading_stays_in_swap_until_written() {
    let (mut vm, mut w) = setup(1, 16, Some(0));
    store(&mut vm, &mut w, P, page(0), 9).unwrap();
    store(&mut vm, &mut w, P, page(1), 8).unwrap();
    assert!(is_swapped(&vm, 0));
    let kind = vm
        .fault(P, page(0), Access::Read, &mut w.backends())
        .unwrap();
    assert_eq!(kind, FaultKind::SwapIn(SwapPlace::Tmem));
    let Some(AnonPage::Resident {
        dirty: false,
        slot: Some(_),
        ..
    }) = state(&vm, 0)
    else {
        panic!(
            "a page read back is clean and keeps its slot: {:?}",
            state(&vm, 0)
        );
    };
    assert_eq!(
        w.mmu.maps[&(P, Vpn::containing(page(0)))].1,
        Protection::Read
    );
    let outs = vm.stats().swap.outs_to_tmem;
    // Evicting it again writes nothing: the copy in tmem is still good.
    store(&mut vm, &mut w, P, page(1), 7).unwrap();
    assert!(is_swapped(&vm, 0));
    assert_eq!(vm.stats().clean_anon_drops, 1);
    assert_eq!(
        vm.stats().swap.outs_to_tmem,
        outs,
        "a clean page is dropped, not written"
    );
    // A write makes it dirty and frees its slot (and its tmem page).
    let tmem_before = w.tmem.as_ref().unwrap().pages.len();
    store(&mut vm, &mut w, P, page(0), 10).unwrap();
    let Some(AnonPage::Resident {
        dirty: true,
        slot: None,
        ..
    }) = state(&vm, 0)
    else {
        panic!(
            "a written page is dirty without a slot: {:?}",
            state(&vm, 0)
        );
    };
    assert!(w.tmem.as_ref().unwrap().pages.len() <= tmem_before);
    assert_eq!(load(&mut vm, &mut w, P, page(1)), Ok(7));
    assert_eq!(load(&mut vm, &mut w, P, page(0)), Ok(10));
    vm.check(&w.ram).unwrap();
}

#[test]
fn pages_only_read_are_zeros_and_need_no_swap() {
    // No swap at all: untouched pages read as zeros, and a clean zero page
    // is simply dropped when its frame is needed.
    let (mut vm, mut w) = setup(2, 0, None);
    for n in 0..16 {
        assert_eq!(load(&mut vm, &mut w, P, page(n) + 5), Ok(0));
    }
    assert_eq!(vm.stats().clean_anon_drops, 14);
    assert_eq!(vm.pressure().swap_used, 0);
    vm.check(&w.ram).unwrap();
}

#[test]
fn with_every_page_dirty_and_no_swap_memory_runs_out() {
    let (mut vm, mut w) = setup(2, 0, None);
    store(&mut vm, &mut w, P, page(0), 1).unwrap();
    store(&mut vm, &mut w, P, page(1), 2).unwrap();
    assert_eq!(
        store(&mut vm, &mut w, P, page(2), 3),
        Err(VmError::OutOfMemory)
    );
    assert_eq!(vm.reclaim(1, &mut w.backends()), Err(VmError::OutOfMemory));
    // Nothing was lost on the way.
    assert_eq!(load(&mut vm, &mut w, P, page(0)), Ok(1));
    assert_eq!(load(&mut vm, &mut w, P, page(1)), Ok(2));
    vm.check(&w.ram).unwrap();
    check_mmu(&vm, &w);
}

#[test]
fn a_failing_swap_device_with_tmem_off_keeps_pages_resident() {
    let (mut vm, mut w) = setup(2, 8, None);
    store(&mut vm, &mut w, P, page(0), 1).unwrap();
    store(&mut vm, &mut w, P, page(1), 2).unwrap();
    w.disk.fail_writes = true;
    assert_eq!(
        store(&mut vm, &mut w, P, page(2), 3),
        Err(VmError::OutOfMemory)
    );
    assert!(vm.stats().swap.out_failures >= 2);
    assert_eq!(vm.pressure().swap_used, 0, "failed write-outs hold no slot");
    w.disk.fail_writes = false;
    store(&mut vm, &mut w, P, page(2), 3).unwrap();
    for n in 0..3 {
        assert_eq!(load(&mut vm, &mut w, P, page(n)), Ok(n as u8 + 1));
    }
    vm.check(&w.ram).unwrap();
}

#[test]
fn swap_outs_and_ins_are_counted_by_where_they_went() {
    for (refuse, to_tmem) in [(0, true), (100, false)] {
        let (mut vm, mut w) = setup(2, 16, Some(refuse));
        // Six dirty pages through two frames: four go out.
        for n in 0..6 {
            store(&mut vm, &mut w, P, page(n), n as u8).unwrap();
        }
        assert_eq!(vm.pressure().swap_outs, 4);
        // Reading all six back: each comes in once, and the two still
        // dirty (4 and 5) go out when the first two come in; the pages
        // read are clean and dropped without a write.
        for n in 0..6 {
            assert_eq!(load(&mut vm, &mut w, P, page(n)), Ok(n as u8));
        }
        let stats = vm.stats().swap;
        let (outs, ins) = if to_tmem {
            (stats.outs_to_tmem, stats.ins_from_tmem)
        } else {
            (stats.outs_to_device, stats.ins_from_device)
        };
        assert_eq!((outs, ins), (6, 6), "refuse {refuse}%: {stats:?}");
        assert_eq!(stats.outs_to_tmem + stats.outs_to_device, 6);
        assert_eq!(stats.ins_from_tmem + stats.ins_from_device, 6);
        assert_eq!(stats.tmem_refusals, if to_tmem { 0 } else { 6 });
        let pressure = vm.pressure();
        assert_eq!((pressure.swap_outs, pressure.swap_ins), (6, 6));
        assert_eq!(pressure.refaults, pressure.swap_ins);
        assert_eq!(w.disk.writes, if to_tmem { 0 } else { 6 });
    }
}

#[test]
fn reclaim_frees_the_frames_asked_for() {
    let (mut vm, mut w) = setup(4, 16, Some(0));
    for n in 0..4 {
        store(&mut vm, &mut w, P, page(n), 1).unwrap();
    }
    assert_eq!(vm.pressure().free_frames, 0);
    vm.reclaim(3, &mut w.backends()).unwrap();
    assert_eq!(vm.pressure().free_frames, 3);
    assert_eq!(vm.pressure().anon_resident, 1);
    vm.reclaim(10, &mut w.backends()).unwrap();
    assert_eq!(
        vm.pressure().free_frames,
        4,
        "asking for more than there is frees all"
    );
    for n in 0..4 {
        assert_eq!(load(&mut vm, &mut w, P, page(n)), Ok(1));
    }
    vm.check(&w.ram).unwrap();
}

#[test]
fn a_guest_without_frames_is_always_out_of_memory() {
    let (mut vm, mut w) = setup(0, 4, Some(0));
    assert_eq!(load(&mut vm, &mut w, P, page(0)), Err(VmError::OutOfMemory));
    let mut out = [0u8; 4];
    assert_eq!(
        vm.read_file(FileId(1), 0, &mut out, &mut w.backends()),
        Err(VmError::OutOfMemory)
    );
}
