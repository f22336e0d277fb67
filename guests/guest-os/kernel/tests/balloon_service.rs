//! The balloon service against a model of the memory manager, over
//! guest-mm's Vm and fake world: each period it reports and moves frames
//! toward the target it is given — giving scrubbed frames back, taking
//! frames only into holes — and when the manager refuses, answers
//! nonsense or is gone, the guest goes on at the size it has; its memory
//! management stays consistent and no page a process wrote changes.

#[path = "../../mm/tests/fake/mod.rs"]
mod fake;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use fake::{config, load, store, world, HEAP_START};
use guest_mm::{Frame, FrameMemory, ProcessId, Vm};
use guest_os_kernel::balloon_service::{BalloonService, Failure, GiveFailure, ManagerLink};
use memory_manager_protocol::{Pressure, ProtocolError, Refusal, Reply};
use proptest::prelude::*;

const FRAMES: u32 = 24;
const P: ProcessId = ProcessId(1);

/// How the model manager answers one period.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Target(u32),
    /// A target, but every give and take is refused.
    Grudging(u32),
    Stop,
    Nonsense,
    Gone,
}

#[derive(Default)]
struct Manager {
    now_us: u64,
    answer: Option<Answer>,
    /// Frames the manager holds for this guest's holes (fungible).
    pool: u32,
    given: Vec<Frame>,
    taken: Vec<Frame>,
    failures: Vec<Failure>,
}

#[derive(Clone)]
struct Link(Rc<RefCell<Manager>>);

impl ManagerLink for Link {
    fn now_us(&self) -> u64 {
        self.0.borrow().now_us
    }

    fn report(&mut self, _pressure: &Pressure) -> Result<Reply, Failure> {
        match self.0.borrow().answer {
            None => Ok(Reply::Target {
                frames: FRAMES,
                period_ms: 10,
            }),
            Some(Answer::Target(frames) | Answer::Grudging(frames)) => Ok(Reply::Target {
                frames,
                period_ms: 10,
            }),
            Some(Answer::Stop) => Ok(Reply::Stop),
            Some(Answer::Nonsense) => Err(Failure::Malformed(ProtocolError::UnknownCode)),
            Some(Answer::Gone) => Err(Failure::Kernel("peer gone")),
        }
    }

    fn give(&mut self, frame: Frame) -> Result<(), GiveFailure> {
        let mut m = self.0.borrow_mut();
        if matches!(m.answer, Some(Answer::Grudging(_))) {
            return Err(GiveFailure {
                failure: Failure::Refused(Refusal::NotOwed),
                kept: true,
            });
        }
        m.pool += 1;
        m.given.push(frame);
        Ok(())
    }

    fn take(&mut self, frame: Frame) -> Result<(), Failure> {
        let mut m = self.0.borrow_mut();
        if matches!(m.answer, Some(Answer::Grudging(_))) || m.pool == 0 {
            return Err(Failure::Refused(Refusal::ReserveEmpty));
        }
        m.pool -= 1;
        m.taken.push(frame);
        Ok(())
    }

    fn failed(&mut self, _what: &'static str, failure: Failure) {
        self.0.borrow_mut().failures.push(failure);
    }
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        // A floor of 2: a process touching a page needs a frame.
        4 => (2u32..FRAMES + 8).prop_map(Answer::Target),
        1 => (2u32..FRAMES).prop_map(Answer::Grudging),
        1 => Just(Answer::Stop),
        1 => Just(Answer::Nonsense),
        1 => Just(Answer::Gone),
    ]
}

fn value(n: u32) -> u8 {
    (n * 7) as u8 | 1
}

proptest! {
    #[test]
    fn the_service_moves_toward_its_target_and_loses_nothing(
        answers in proptest::collection::vec(answer(), 1..12),
        boot_holes in 0u32..12,
        touched in 1u32..16,
    ) {
        let mut w = world(FRAMES, 64, Some(0));
        let mut vm = Vm::new(config(FRAMES, 64));
        let model = Rc::new(RefCell::new(Manager::default()));
        let mut service = BalloonService::connect(Link(model.clone()), FRAMES).unwrap();
        // The guest boots holding FRAMES - boot_holes frames.
        let mut holes: BTreeSet<Frame> = vm.balloon_out(boot_holes, &mut w.backends()).into_iter().collect();
        model.borrow_mut().pool = boot_holes;
        vm.create_process(P, HEAP_START).unwrap();
        vm.brk(P, HEAP_START + 64 * 4096, &mut w.backends()).unwrap();
        for n in 0..touched {
            store(&mut vm, &mut w, P, HEAP_START + n * 4096, value(n)).unwrap();
        }
        for &answer in &answers {
            {
                let mut m = model.borrow_mut();
                m.answer = Some(answer);
                m.now_us += 10_000;
                m.given.clear();
                m.taken.clear();
            }
            prop_assert!(service.due() || service.stopped());
            if service.stopped() {
                break;
            }
            let held_before = vm.pressure().total_frames;
            service.period(&mut vm, &mut w.backends(), true);
            let m = model.borrow();
            for frame in &m.given {
                prop_assert!(w.ram.page(*frame).iter().all(|&b| b == 0), "frame {frame:?} given unscrubbed");
                prop_assert!(holes.insert(*frame), "gave a frame twice");
            }
            for frame in &m.taken {
                prop_assert!(holes.remove(frame), "took a frame into {frame:?}, not a hole");
            }
            let now: BTreeSet<Frame> = vm.ballooned_frames().collect();
            prop_assert_eq!(&now, &holes);
            let held = vm.pressure().total_frames;
            prop_assert_eq!(held + vm.ballooned(), FRAMES);
            match answer {
                Answer::Target(target) => {
                    // With tmem taking every page, the guest reaches its
                    // target unless the manager runs out of frames.
                    if target <= held_before {
                        prop_assert_eq!(held, target);
                    } else {
                        prop_assert!(held == target.min(FRAMES) || m.pool == 0 || vm.ballooned() == 0, "{held} {target}");
                    }
                }
                Answer::Grudging(_) | Answer::Nonsense => prop_assert_eq!(held, held_before, "goes on at its size"),
                Answer::Stop | Answer::Gone => {
                    prop_assert_eq!(held, held_before);
                    prop_assert!(service.stopped());
                }
            }
            vm.check(&w.ram).unwrap();
            drop(m);
            // Every page the process wrote reads back the same.
            for n in 0..touched {
                prop_assert_eq!(load(&mut vm, &mut w, P, HEAP_START + n * 4096), Ok(value(n)));
            }
        }
    }
}

#[test]
fn a_guest_without_a_manager_answering_gets_no_service() {
    let model = Rc::new(RefCell::new(Manager {
        answer: Some(Answer::Gone),
        ..Manager::default()
    }));
    assert!(BalloonService::connect(Link(model.clone()), FRAMES).is_none());
    assert_eq!(model.borrow().failures, [Failure::Kernel("peer gone")]);
}
