//! The pool-move books against a model: a store over a provider whose
//! frames are places, random releases, accepts (right or wrong frames),
//! undelivered releases, queries and puts that fill frames.

use alloc::collections::BTreeSet;
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;
use tmem_protocol::{ControlRequest, ControlResponse, ExchangeMode, Status};
use tmem_store::{FrameId, FrameProvider, Page, PAGE_SIZE};

use super::{Landed, Place, PlaceError, PlacedFrames, PoolMoves};
use crate::{ServerConfig, Service, MAX_CLIENTS};

/// Frames as places: each held id has the place it is mapped at.
struct Placed {
    pages: Vec<Page>,
    places: Vec<Option<Place>>,
}

impl FrameProvider for Placed {
    fn frame_count(&self) -> u32 {
        self.places.len() as u32
    }
    fn present_at_start(&self, id: FrameId) -> bool {
        self.places[id.0 as usize].is_some()
    }
    fn frame(&self, id: FrameId) -> &Page {
        assert!(self.places[id.0 as usize].is_some(), "an absent frame read");
        &self.pages[id.0 as usize]
    }
    fn frame_mut(&mut self, id: FrameId) -> &mut Page {
        assert!(
            self.places[id.0 as usize].is_some(),
            "an absent frame written"
        );
        &mut self.pages[id.0 as usize]
    }
}

impl PlacedFrames for Placed {
    fn attach(&mut self, id: FrameId, place: Place) -> Result<(), PlaceError> {
        let entry = &mut self.places[id.0 as usize];
        assert!(entry.is_none(), "attached over a held frame");
        *entry = Some(place);
        Ok(())
    }
    fn detach(&mut self, id: FrameId) -> Place {
        self.pages[id.0 as usize].fill(0xA5);
        self.places[id.0 as usize]
            .take()
            .expect("detached an absent frame")
    }
}

fn place(n: u16) -> Place {
    Place {
        slot: 100 + n,
        address: 0x1000 * u32::from(n),
    }
}

/// A service over `boot` frames with room for `room` more, and its books.
fn world(boot: u16, room: u16) -> (Service<Placed>, PoolMoves) {
    let mut modes = [None; MAX_CLIENTS];
    modes[0] = Some(ExchangeMode::Copy);
    let config = ServerConfig::new(modes, 0, 0).unwrap();
    let total = boot + room;
    let provider = Placed {
        pages: vec![[0u8; PAGE_SIZE]; usize::from(total)],
        places: (0..total).map(|n| (n < boot).then(|| place(n))).collect(),
    };
    let service = Service::new(config, provider, 4 * u32::from(total.max(1)), 1).unwrap();
    let books = PoolMoves::new((boot..total).rev().map(place).collect());
    (service, books)
}

#[derive(Clone, Debug)]
enum Op {
    Release,
    Accept {
        one_page: bool,
        right_slot: bool,
    },
    Undelivered,
    Query,
    Other,
    /// A persistent put of page `index` (fills a frame).
    Put {
        index: u32,
    },
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
        (0u32..6).prop_map(|index| Op::Put { index }),
    ]
}

proptest! {
    /// Against a model (the frame count and the net moved): a release
    /// gives a frame exactly while the store has a free one, an accept
    /// takes exactly one-page frames in the receive slot while there is
    /// room, every refused frame goes back, the store's capacity never
    /// changes, and every place is an empty one or a store frame's, never
    /// both — or the frame just released.
    #[test]
    fn moves_conserve_frames_and_places(
        ops in proptest::collection::vec(op(), 0..80),
        boot in 0u16..6,
        room in 0u16..6,
    ) {
        let (mut service, mut books) = world(boot, room);
        let all: BTreeSet<u16> = (0..boot + room).map(|n| place(n).slot).collect();
        let client = tmem_store::ClientId(1);
        let pool = service
            .store_mut()
            .new_pool(client, tmem_store::PoolFlags::PERSISTENT, tmem_store::PoolUuid(0))
            .unwrap();
        let (mut frames, mut net) = (u32::from(boot), 0i32);
        let mut last_release = None;
        for op in ops {
            let free = service.store().usage().frames_free;
            match op {
                Op::Release => {
                    let answer = books.answer(&mut service, &ControlRequest::ReleaseFrame, None).unwrap();
                    if free > 0 {
                        frames -= 1;
                        net -= 1;
                        prop_assert!(answer.result.is_ok());
                        prop_assert!(answer.outgoing.is_some());
                        last_release = answer.outgoing;
                    } else {
                        prop_assert_eq!(answer.result, Err(Status::NoMemory), "only persistent pages: none to evict");
                        prop_assert_eq!(answer.outgoing, None);
                        last_release = None;
                    }
                }
                Op::Accept { one_page, right_slot } => {
                    let slot = match books.receive_slot() {
                        Some(slot) if right_slot => slot,
                        _ => 9999,
                    };
                    let landed = Landed { slot, one_page };
                    let answer = books.answer(&mut service, &ControlRequest::AcceptFrame, Some(landed)).unwrap();
                    if one_page && slot != 9999 {
                        frames += 1;
                        net += 1;
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
                        books.unrelease(&mut service, slot);
                        frames += 1;
                        net += 1;
                    }
                }
                Op::Query => {
                    let answer = books.answer(&mut service, &ControlRequest::PoolFrames, None).unwrap();
                    prop_assert_eq!(answer.result, Ok(ControlResponse::PoolFrames {
                        movable: free,
                        net_received: net,
                    }));
                }
                Op::Other => {
                    prop_assert_eq!(books.answer(&mut service, &ControlRequest::Usage, None), None);
                }
                Op::Put { index } => {
                    let _ = service.store_mut().put_page(
                        client, pool, tmem_store::ObjectId([1, 0, 0]), index, &[index as u8 + 1; PAGE_SIZE],
                    );
                }
            }
            let usage = service.store().usage();
            prop_assert_eq!(usage.frames_total, frames);
            prop_assert_eq!(service.store().frame_capacity(), u32::from(boot + room));
            prop_assert_eq!(books.net_received(), net);
            service.store().check_invariants().unwrap();
            let mut seen: BTreeSet<u16> = service.store().provider().places.iter().flatten().map(|p| p.slot).collect();
            prop_assert_eq!(seen.len() as u32, frames);
            for place in &books.empty {
                prop_assert!(seen.insert(place.slot), "a place both empty and a store frame's");
            }
            prop_assert_eq!(&seen, &all);
        }
    }
}

#[test]
fn a_frame_with_a_release_or_query_goes_back() {
    let (mut service, mut books) = world(2, 1);
    let landed = Some(Landed {
        slot: place(2).slot,
        one_page: true,
    });
    for request in [ControlRequest::ReleaseFrame, ControlRequest::PoolFrames] {
        let answer = books.answer(&mut service, &request, landed).unwrap();
        assert_eq!(answer.result, Err(Status::BadRequest));
        assert_eq!(answer.outgoing, landed.map(|l| l.slot));
    }
    assert_eq!(service.store().releasable_frames(), 2);
}
