//! The balloon: giving frames back frees them cheaply first (clean pages
//! dropped before anything is swapped), never hands out a frame that
//! still holds a page, never touches a frame while it is in the balloon,
//! gives fewer frames when memory cannot be freed, and takes in only the
//! frames it gave — all checked against a model of what each page holds.

mod fake;

use std::collections::{BTreeMap, BTreeSet};

use fake::*;
use guest_mm::*;
use proptest::prelude::*;

const P: ProcessId = ProcessId(1);

fn page(n: u32) -> u32 {
    HEAP_START + n * 0x1000
}

fn setup(frames: u32, slots: u32, tmem: Option<u8>) -> (Vm, World) {
    let mut world = world(frames, slots, tmem);
    let mut vm = Vm::new(config(frames, slots));
    vm.create_process(P, HEAP_START).unwrap();
    vm.brk(P, page(64), &mut world.backends()).unwrap();
    (vm, world)
}

#[test]
fn an_idle_guest_gives_frames_back_and_takes_them_in_again() {
    let (mut vm, mut w) = setup(8, 16, Some(0));
    let given = vm.balloon_out(5, &mut w.backends());
    assert_eq!(given.len(), 5);
    assert_eq!(given.iter().collect::<BTreeSet<_>>().len(), 5, "distinct");
    let pressure = vm.pressure();
    assert_eq!(
        (
            pressure.total_frames,
            pressure.free_frames,
            pressure.ballooned
        ),
        (3, 3, 5)
    );
    vm.check(&w.ram).unwrap();
    vm.balloon_in(&given).unwrap();
    let pressure = vm.pressure();
    assert_eq!((pressure.total_frames, pressure.free_frames), (8, 8));
    assert_eq!(vm.ballooned(), 0);
    vm.check(&w.ram).unwrap();
}

#[test]
fn clean_pages_are_dropped_before_anything_is_swapped() {
    let (mut vm, mut w) = setup(8, 16, Some(0));
    for n in 0..4 {
        store(&mut vm, &mut w, P, page(n), n as u8 + 1).unwrap();
    }
    let mut buffer = vec![0u8; 4 * 4096];
    vm.read_file(FileId(3), 0, &mut buffer, &mut w.backends())
        .unwrap();
    assert_eq!(vm.pressure().free_frames, 0);
    let given = vm.balloon_out(4, &mut w.backends());
    assert_eq!(given.len(), 4);
    let stats = vm.stats();
    assert_eq!(stats.file_evictions, 4, "the file pages went");
    assert_eq!(stats.swap.outs_to_tmem + stats.swap.outs_to_device, 0);
    for n in 0..4 {
        assert_eq!(load(&mut vm, &mut w, P, page(n)), Ok(n as u8 + 1));
    }
    vm.check(&w.ram).unwrap();
}

#[test]
fn a_balloon_larger_than_the_clean_pages_swaps_and_loses_nothing() {
    let (mut vm, mut w) = setup(8, 16, Some(0));
    for n in 0..8 {
        store(&mut vm, &mut w, P, page(n), 0x40 + n as u8).unwrap();
    }
    let given = vm.balloon_out(6, &mut w.backends());
    assert_eq!(given.len(), 6);
    assert!(vm.stats().swap.outs_to_tmem >= 6);
    for n in 0..8 {
        assert_eq!(load(&mut vm, &mut w, P, page(n)), Ok(0x40 + n as u8));
    }
    vm.check(&w.ram).unwrap();
}

#[test]
fn when_nothing_can_be_freed_the_balloon_gives_what_it_can() {
    // No tmem, no swap device: dirty pages cannot leave.
    let (mut vm, mut w) = setup(6, 0, None);
    for n in 0..4 {
        store(&mut vm, &mut w, P, page(n), 9).unwrap();
    }
    let given = vm.balloon_out(5, &mut w.backends());
    assert_eq!(given.len(), 2, "only the two free frames");
    for n in 0..4 {
        assert_eq!(load(&mut vm, &mut w, P, page(n)), Ok(9));
    }
    vm.check(&w.ram).unwrap();
}

#[test]
fn only_frames_the_balloon_gave_come_in_and_an_error_takes_none() {
    let (mut vm, mut w) = setup(6, 8, Some(0));
    let given = vm.balloon_out(2, &mut w.backends());
    let not_given = (0..6).map(Frame).find(|f| !given.contains(f)).unwrap();
    for bad in [
        vec![given[0], not_given],
        vec![given[0], given[0]],
        vec![given[1], Frame(6)],
    ] {
        let bad_frame = *bad.last().unwrap();
        assert_eq!(
            vm.balloon_in(&bad),
            Err(BalloonError::NotBallooned(bad_frame))
        );
        assert_eq!(vm.ballooned(), 2, "nothing taken in");
    }
    vm.check(&w.ram).unwrap();
}

#[derive(Clone, Debug)]
enum Op {
    Store { page: u32, value: u8 },
    Load { page: u32 },
    Out { count: u32 },
    In { pick: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u32..24, any::<u8>()).prop_map(|(page, value)| Op::Store { page, value }),
        3 => (0u32..24).prop_map(|page| Op::Load { page }),
        1 => (0u32..6).prop_map(|count| Op::Out { count }),
        1 => any::<usize>().prop_map(|pick| Op::In { pick }),
    ]
}

proptest! {
    /// Whatever the mix of process accesses and balloon requests: every
    /// byte reads back as the model says, a frame in the balloon is never
    /// mapped or written, and the counts add up.
    #[test]
    fn the_balloon_never_costs_a_byte_nor_touches_its_frames(
        ops in prop::collection::vec(op(), 1..80),
        refuse in 0u8..60,
    ) {
        let frames = 10;
        let (mut vm, mut w) = setup(frames, 64, Some(refuse));
        let mut model: BTreeMap<u32, u8> = BTreeMap::new();
        let mut balloon: Vec<Frame> = Vec::new();
        for op in ops {
            match op {
                Op::Store { page: n, value } => {
                    match store(&mut vm, &mut w, P, page(n), value) {
                        Ok(()) => { model.insert(n, value); }
                        Err(VmError::OutOfMemory) => {}
                        Err(other) => prop_assert!(false, "{other:?}"),
                    }
                }
                Op::Load { page: n } => match load(&mut vm, &mut w, P, page(n)) {
                    Ok(value) => prop_assert_eq!(value, model.get(&n).copied().unwrap_or(0)),
                    Err(VmError::OutOfMemory) => {}
                    Err(other) => prop_assert!(false, "{other:?}"),
                },
                Op::Out { count } => {
                    let given = vm.balloon_out(count, &mut w.backends());
                    prop_assert!(given.len() as u32 <= count);
                    for frame in &given {
                        prop_assert!(!balloon.contains(frame));
                        // Poison it: the guest must never read it again.
                        w.ram.0[frame.0 as usize].fill(0xEE);
                    }
                    balloon.extend(given);
                }
                Op::In { pick } => {
                    if !balloon.is_empty() {
                        let take = pick % (balloon.len() + 1);
                        let back: Vec<Frame> = balloon.drain(..take).collect();
                        prop_assert_eq!(vm.balloon_in(&back), Ok(()));
                    }
                }
            }
            prop_assert_eq!(vm.ballooned(), balloon.len() as u32);
            for frame in &balloon {
                prop_assert!(w.ram.0[frame.0 as usize].iter().all(|&b| b == 0xEE));
                prop_assert!(w.mmu.maps.values().all(|(mapped, _)| mapped != frame));
            }
            let pressure = vm.pressure();
            prop_assert_eq!(pressure.total_frames + pressure.ballooned, frames);
            prop_assert_eq!(vm.check(&w.ram), Ok(()));
        }
    }
}
