//! The frame and swap-slot allocators: everything handed out once, lowest
//! first; exhaustion is `None`; a double or foreign free is an error and
//! changes nothing.

use guest_mm::*;

#[test]
fn frames_are_handed_out_once_until_exhausted() {
    let mut frames = FrameAllocator::new(3);
    let got: Vec<Frame> = (0..3).map(|_| frames.allocate().unwrap()).collect();
    assert_eq!(got, [Frame(0), Frame(1), Frame(2)]);
    assert_eq!(frames.allocate(), None);
    assert_eq!(frames.free_count(), 0);
    frames.release(Frame(1)).unwrap();
    assert!(frames.is_free(Frame(1)));
    assert_eq!(frames.allocate(), Some(Frame(1)));
}

#[test]
fn a_frame_freed_twice_or_not_ours_is_refused() {
    let mut frames = FrameAllocator::new(2);
    let frame = frames.allocate().unwrap();
    frames.release(frame).unwrap();
    assert_eq!(frames.release(frame), Err(FrameError::AlreadyFree(frame)));
    assert_eq!(frames.release(Frame(2)), Err(FrameError::NotOurs(Frame(2))));
    assert_eq!(frames.free_count(), 2);
    assert_eq!(frames.total(), 2);
}

#[test]
fn a_guest_without_frames_has_none_to_give() {
    let mut frames = FrameAllocator::new(0);
    assert_eq!(frames.allocate(), None);
    assert_eq!(frames.release(Frame(0)), Err(FrameError::NotOurs(Frame(0))));
}

#[test]
fn slots_are_handed_out_once_and_counted() {
    let mut slots = SwapSlots::new(2);
    let a = slots.allocate().unwrap();
    let b = slots.allocate().unwrap();
    assert_ne!(a, b);
    assert_eq!(slots.allocate(), None);
    assert_eq!(slots.used(), 2);
    assert!(slots.in_use(a));
    slots.release(a).unwrap();
    assert!(!slots.in_use(a));
    assert_eq!(slots.release(a), Err(swap_slots::SlotError::AlreadyFree(a)));
    assert_eq!(
        slots.release(SwapSlot(9)),
        Err(swap_slots::SlotError::NotOurs(SwapSlot(9)))
    );
    assert_eq!(slots.used(), 1);
    assert!(!slots.in_use(SwapSlot(9)));
}
