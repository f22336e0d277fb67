//! Frames moving between the manager and the store by transfer: the
//! manager takes a free store frame ([`ControlRequest::ReleaseFrame`]) and
//! gives one ([`ControlRequest::AcceptFrame`]), so the pool shrinks and
//! grows with its policy. The store's own accounting decides
//! (`Store::shrink` gives up a free releasable frame, evicting ephemeral
//! pages if it must, never a persistent one; `Store::grow` takes a frame
//! in up to the capacity fixed at boot); these books only keep the
//! *places* — an empty capability slot paired with an unused page of the
//! pool's address range — where a frame can land and be mapped, and the net
//! count moved.
//!
//! Every operation checks first and changes nothing when it refuses: a
//! frame that came with a refused call goes back with the refusal. The
//! partition (target only) makes the system calls, through its provider's
//! [`PlacedFrames`]; this module must never make one.

use alloc::vec::Vec;

use tmem_protocol::{ControlRequest, ControlResponse, Status};
use tmem_store::{FrameId, FrameProvider, GrowError};

use crate::service::Service;

/// A one-page frame capability's slot and the page it is (or would be)
/// mapped at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    /// The capability slot.
    pub slot: u16,
    /// The page's address.
    pub address: u32,
}

/// Why a frame could not be attached at a place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaceError {
    /// It would not map there (not a one-page frame, or the page is taken).
    WouldNotMap,
    /// The store frame is already held.
    Held,
}

/// A provider whose releasable frames are one-page frame capabilities
/// mapped at places.
pub trait PlacedFrames: FrameProvider {
    /// Maps the one-page frame in `place.slot` at `place.address` as store
    /// frame `id` (an absent one). `Err`, and nothing changes, when it
    /// will not map.
    fn attach(&mut self, id: FrameId, place: Place) -> Result<(), PlaceError>;
    /// Unmaps the free store frame `id` and says where its capability is
    /// (it leaves with the reply).
    fn detach(&mut self, id: FrameId) -> Place;
}

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

/// The places frames can land in, and the net count moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolMoves {
    empty: Vec<Place>,
    net_received: i32,
}

impl PoolMoves {
    /// Books with `empty` places to receive frames into: as many as the
    /// store's capacity has room for beyond its boot frames.
    pub fn new(empty: Vec<Place>) -> PoolMoves {
        PoolMoves {
            empty,
            net_received: 0,
        }
    }

    /// Frames taken in less frames given out, since boot.
    pub fn net_received(&self) -> i32 {
        self.net_received
    }

    /// The empty slot a frame coming with the next call lands in.
    pub fn receive_slot(&self) -> Option<u16> {
        self.empty.last().map(|place| place.slot)
    }

    fn counts<P: FrameProvider>(&self, service: &Service<P>) -> ControlResponse {
        ControlResponse::PoolFrames {
            movable: service.store().releasable_frames(),
            net_received: self.net_received,
        }
    }

    /// Answers `request` if it is a pool move (`None` otherwise: the
    /// service answers it). `landed` is the frame that came with the call.
    /// A frame that came with a call this refuses goes back with the
    /// refusal; with any other request, it is for the caller to handle.
    pub fn answer<P: PlacedFrames>(
        &mut self,
        service: &mut Service<P>,
        request: &ControlRequest,
        landed: Option<Landed>,
    ) -> Option<MoveAnswer> {
        let refuse = |status| MoveAnswer {
            result: Err(status),
            outgoing: landed.map(|l| l.slot),
        };
        Some(match request {
            ControlRequest::ReleaseFrame if landed.is_some() => refuse(Status::BadRequest),
            ControlRequest::ReleaseFrame => {
                let released = service
                    .store_mut()
                    .shrink(|frames, id| Ok::<Place, ()>(frames.detach(id)));
                match released {
                    Ok((_, place)) => {
                        self.empty.push(place);
                        self.net_received -= 1;
                        MoveAnswer {
                            result: Ok(self.counts(service)),
                            outgoing: Some(place.slot),
                        }
                    }
                    Err(_) => refuse(Status::NoMemory),
                }
            }
            ControlRequest::AcceptFrame => match (landed, self.empty.last().copied()) {
                (Some(frame), Some(place)) if frame.one_page && frame.slot == place.slot => {
                    match self.take_in(service, place) {
                        Ok(()) => MoveAnswer {
                            result: Ok(self.counts(service)),
                            outgoing: None,
                        },
                        Err(status) => refuse(status),
                    }
                }
                (Some(frame), _) if frame.one_page => refuse(Status::NoMemory),
                _ => refuse(Status::BadRequest),
            },
            ControlRequest::PoolFrames if landed.is_some() => refuse(Status::BadRequest),
            ControlRequest::PoolFrames => MoveAnswer {
                result: Ok(self.counts(service)),
                outgoing: None,
            },
            _ => return None,
        })
    }

    /// The frame at `place` (the last empty place) joins the store.
    fn take_in<P: PlacedFrames>(
        &mut self,
        service: &mut Service<P>,
        place: Place,
    ) -> Result<(), Status> {
        match service
            .store_mut()
            .grow(|frames, id| frames.attach(id, place))
        {
            Ok(_) => {
                self.empty.pop();
                self.net_received += 1;
                Ok(())
            }
            Err(GrowError::Full | GrowError::Provider(_)) => Err(Status::NoMemory),
        }
    }

    /// The frame released from `slot` never left (the reply carrying it
    /// was not delivered): it joins the store again.
    pub fn unrelease<P: PlacedFrames>(&mut self, service: &mut Service<P>, slot: u16) {
        let Some(at) = self.empty.iter().rposition(|place| place.slot == slot) else {
            return;
        };
        let place = self.empty.remove(at);
        self.empty.push(place);
        if self.take_in(service, place).is_err() {
            // Held in its slot, out of the store: counted as held, and
            // the slot receives nothing.
            self.empty.pop();
            self.net_received += 1;
        }
    }
}

#[cfg(test)]
mod tests;
