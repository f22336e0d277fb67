//! The pool's movable frames: free one-page frame capabilities the server
//! holds beside its store, which the manager takes
//! ([`ControlRequest::ReleaseFrame`]) and gives back
//! ([`ControlRequest::AcceptFrame`]) by transfer, so the pool grows and
//! shrinks with the manager's policy.
//!
//! The books only: which capability slots hold a free frame, which are
//! empty and can receive one, and the net count moved. Every operation
//! checks first and changes nothing when it refuses, so free plus empty is
//! always the same set of slots. A movable frame never enters the store
//! (tmem-store's frame count is fixed when it is built), so a frame that
//! leaves never holds a page of anyone's. The partition (target only)
//! makes the system calls; this module must never make one.

use alloc::vec::Vec;

use tmem_protocol::{ControlRequest, ControlResponse, Status};

/// A frame that came with a call, as the partition found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Landed {
    /// The slot it landed in.
    pub slot: u16,
    /// Whether it is a one-page frame capability.
    pub one_page: bool,
}

/// What the partition does for a pool move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoveAnswer {
    /// The response, or the refusal.
    pub result: Result<ControlResponse, Status>,
    /// The slot whose frame goes with the reply (a released frame, or a
    /// refused one going back).
    pub outgoing: Option<u16>,
}

/// The books of the movable frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovableFrames {
    free: Vec<u16>,
    empty: Vec<u16>,
    net_received: i32,
}

impl MovableFrames {
    /// Books with frames in the `free` slots and `empty` slots to receive
    /// frames into.
    pub fn new(free: Vec<u16>, empty: Vec<u16>) -> MovableFrames {
        MovableFrames {
            free,
            empty,
            net_received: 0,
        }
    }

    /// Free frames the pool could give now.
    pub fn movable(&self) -> u32 {
        self.free.len() as u32
    }

    /// Frame capabilities held by these books.
    pub fn held(&self) -> u32 {
        self.movable()
    }

    /// Frames taken in less frames given out, since boot.
    pub fn net_received(&self) -> i32 {
        self.net_received
    }

    /// The empty slot a frame coming with the next call lands in.
    pub fn receive_slot(&self) -> Option<u16> {
        self.empty.last().copied()
    }

    fn counts(&self) -> ControlResponse {
        ControlResponse::PoolFrames {
            movable: self.movable(),
            net_received: self.net_received,
        }
    }

    /// Answers `request` if it is a pool move (`None` otherwise: the
    /// service answers it). `landed` is the frame that came with the call.
    /// A frame that came with a call this refuses goes back with the
    /// refusal; with any other request, it is for the caller to handle.
    pub fn answer(
        &mut self,
        request: &ControlRequest,
        landed: Option<Landed>,
    ) -> Option<MoveAnswer> {
        let refuse = |status| MoveAnswer {
            result: Err(status),
            outgoing: landed.map(|l| l.slot),
        };
        Some(match request {
            ControlRequest::ReleaseFrame if landed.is_some() => refuse(Status::BadRequest),
            ControlRequest::ReleaseFrame => match self.free.pop() {
                Some(slot) => {
                    self.empty.push(slot);
                    self.net_received -= 1;
                    MoveAnswer {
                        result: Ok(self.counts()),
                        outgoing: Some(slot),
                    }
                }
                None => refuse(Status::NoMemory),
            },
            ControlRequest::AcceptFrame => match landed {
                Some(frame) if frame.one_page && Some(frame.slot) == self.receive_slot() => {
                    self.empty.pop();
                    self.free.push(frame.slot);
                    self.net_received += 1;
                    MoveAnswer {
                        result: Ok(self.counts()),
                        outgoing: None,
                    }
                }
                Some(frame) if frame.one_page => refuse(Status::NoMemory),
                _ => refuse(Status::BadRequest),
            },
            ControlRequest::PoolFrames if landed.is_some() => refuse(Status::BadRequest),
            ControlRequest::PoolFrames => MoveAnswer {
                result: Ok(self.counts()),
                outgoing: None,
            },
            _ => return None,
        })
    }

    /// The frame released from `slot` never left (the reply carrying it
    /// was not delivered): it is free again.
    pub fn unrelease(&mut self, slot: u16) {
        if let Some(at) = self.empty.iter().rposition(|&s| s == slot) {
            self.empty.swap_remove(at);
            self.free.push(slot);
            self.net_received += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::collections::BTreeSet;
    use alloc::vec;

    use proptest::prelude::*;

    use super::*;

    #[derive(Clone, Debug)]
    enum Op {
        Release,
        /// A frame arrives: whether it is one page, whether it landed in
        /// the receive slot.
        Accept {
            one_page: bool,
            right_slot: bool,
        },
        /// A release's reply was not delivered.
        Undelivered,
        Query,
        /// A request that is not a pool move.
        Other,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            Just(Op::Release),
            (any::<bool>(), any::<bool>()).prop_map(|(one_page, right_slot)| Op::Accept {
                one_page,
                right_slot
            }),
            Just(Op::Undelivered),
            Just(Op::Query),
            Just(Op::Other),
        ]
    }

    proptest! {
        /// Against a model (two counters): the pool gives exactly while it
        /// has free frames, takes exactly one-page frames while it has
        /// room, sends every refused frame back, and every slot stays free
        /// or empty, never both.
        #[test]
        fn moves_conserve_frames_and_slots(
            ops in proptest::collection::vec(op(), 0..100),
            free in 0u16..10,
            empty in 0u16..10,
        ) {
            let slots: BTreeSet<u16> = (100..100 + free + empty).collect();
            let mut books = MovableFrames::new(
                (100..100 + free).collect(),
                (100 + free..100 + free + empty).collect(),
            );
            let (mut model_free, mut model_net) = (u32::from(free), 0i32);
            let mut last_release = None;
            for op in ops {
                match op {
                    Op::Release => {
                        let answer = books.answer(&ControlRequest::ReleaseFrame, None).unwrap();
                        if model_free > 0 {
                            model_free -= 1;
                            model_net -= 1;
                            prop_assert!(answer.result.is_ok());
                            last_release = answer.outgoing;
                            prop_assert!(last_release.is_some());
                        } else {
                            prop_assert_eq!(answer.result, Err(Status::NoMemory));
                            prop_assert_eq!(answer.outgoing, None);
                        }
                    }
                    Op::Accept { one_page, right_slot } => {
                        let slot = match books.receive_slot() {
                            Some(slot) if right_slot => slot,
                            _ => 9999,
                        };
                        let landed = Landed { slot, one_page };
                        let answer = books.answer(&ControlRequest::AcceptFrame, Some(landed)).unwrap();
                        if one_page && slot != 9999 {
                            model_free += 1;
                            model_net += 1;
                            prop_assert_eq!(answer.outgoing, None);
                            prop_assert!(answer.result.is_ok());
                        } else {
                            prop_assert!(answer.result.is_err());
                            prop_assert_eq!(answer.outgoing, Some(slot), "a refused frame goes back");
                        }
                        last_release = None;
                    }
                    Op::Undelivered => {
                        if let Some(slot) = last_release.take() {
                            books.unrelease(slot);
                            model_free += 1;
                            model_net += 1;
                        }
                    }
                    Op::Query => {
                        let answer = books.answer(&ControlRequest::PoolFrames, None).unwrap();
                        prop_assert_eq!(answer.result, Ok(ControlResponse::PoolFrames {
                            movable: model_free,
                            net_received: model_net,
                        }));
                        last_release = None;
                    }
                    Op::Other => {
                        prop_assert_eq!(books.answer(&ControlRequest::Usage, None), None);
                    }
                }
                prop_assert_eq!(books.movable(), model_free);
                prop_assert_eq!(books.net_received(), model_net);
                let mut seen: BTreeSet<u16> = books.free.iter().copied().collect();
                prop_assert_eq!(seen.len(), books.free.len());
                for slot in &books.empty {
                    prop_assert!(seen.insert(*slot), "a slot both free and empty");
                }
                prop_assert_eq!(&seen, &slots);
            }
        }
    }

    #[test]
    fn a_frame_with_a_release_or_query_goes_back() {
        let mut books = MovableFrames::new(vec![1, 2], vec![3]);
        let landed = Some(Landed {
            slot: 3,
            one_page: true,
        });
        for request in [ControlRequest::ReleaseFrame, ControlRequest::PoolFrames] {
            let answer = books.answer(&request, landed).unwrap();
            assert_eq!(answer.result, Err(Status::BadRequest));
            assert_eq!(answer.outgoing, Some(3));
        }
        assert_eq!(books.movable(), 2);
    }
}
