//! Control requests from the system's manager: statistics, weights, caps,
//! freeze and thaw, flushing, audits, and dropping a client that is gone
//! (`drop_client`).
//!
//! Only messages that arrive on the control endpoint come here; the
//! partition code must never route a client's message to this module.
//! Clients are named by number, as the system description numbers them.

use tmem_protocol::{ClientId, ControlRequest, ControlResponse, StatsScope, Status};
use tmem_store::FrameProvider;

use crate::service::Service;

/// What the partition knows about its frames (the library cannot see
/// capabilities).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameCounts {
    /// Frame capabilities held.
    pub held: u32,
    /// Pages moved by flipping frames.
    pub flipped: u64,
}

impl<P: FrameProvider> Service<P> {
    /// Answers a control request; `frames` is the partition's own count of
    /// the frame capabilities it holds and of the pages it flipped.
    pub fn control(
        &mut self,
        request: ControlRequest,
        frames: FrameCounts,
    ) -> Result<ControlResponse, Status> {
        let store = self.store_mut();
        let id = |client: ClientId| tmem_store::ClientId::from(client);
        Ok(match request {
            ControlRequest::Freeze { client } => {
                store.freeze(id(client))?;
                ControlResponse::Done
            }
            ControlRequest::Thaw { client } => {
                store.thaw(id(client))?;
                ControlResponse::Done
            }
            ControlRequest::FlushPages { count } => ControlResponse::Flushed {
                pages: store.flush_pages(count),
            },
            ControlRequest::QueryFreeable => ControlResponse::Freeable {
                pages: store.freeable_pages(),
            },
            ControlRequest::SetWeight { client, weight } => {
                store.set_weight(id(client), weight)?;
                ControlResponse::Done
            }
            ControlRequest::SetPersistentCap { client, cap } => {
                store.set_persistent_cap(id(client), cap)?;
                ControlResponse::Done
            }
            ControlRequest::SetCompression { client, on } => {
                store.set_compression(id(client), on)?;
                ControlResponse::Done
            }
            ControlRequest::Stats(StatsScope::Global) => {
                ControlResponse::Stats(store.global_stats().into())
            }
            ControlRequest::Stats(StatsScope::Client(client)) => {
                ControlResponse::Stats(store.client_stats(id(client))?.into())
            }
            ControlRequest::Stats(StatsScope::Pool { client, pool }) => {
                ControlResponse::Stats(store.pool_stats(id(client), pool.into())?.into())
            }
            ControlRequest::Usage => ControlResponse::Usage(store.usage().into()),
            ControlRequest::ClientInfo { client } => {
                let mut info: tmem_protocol::ClientInfo = store.client_info(id(client))?.into();
                info.exchange = self
                    .caller(client.0)
                    .map_or(0, |caller| caller.mode().bits() as u8);
                ControlResponse::ClientInfo(info)
            }
            ControlRequest::CheckInvariants => {
                store.check_invariants().map_err(|_| Status::Corrupted)?;
                ControlResponse::Done
            }
            ControlRequest::Traffic => {
                let traffic = store.traffic();
                ControlResponse::Traffic(tmem_protocol::PageTraffic {
                    read: traffic.read,
                    written: traffic.written,
                })
            }
            // Pool moves pass capabilities: the partition answers them
            // with `pool_moves` before asking the service.
            ControlRequest::ReleaseFrame
            | ControlRequest::AcceptFrame
            | ControlRequest::PoolFrames => return Err(Status::NotSupported),
            ControlRequest::DropClient { client } => return self.drop_client(client),
            ControlRequest::Frames => ControlResponse::Frames {
                held: frames.held,
                flipped: frames.flipped,
            },
        })
    }
}
