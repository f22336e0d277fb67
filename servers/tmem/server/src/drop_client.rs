//! Dropping a client that is gone: the manager says a partition stopped
//! (or is about to start afresh), and the server closes every pool the
//! client has open, freeing its pages — persistent pages too, since nobody
//! is left to read them back — and forgets its journal records, so a
//! restarted server does not bring them back either.
//!
//! The client is checked before anything changes: an unknown client is
//! refused and the store is untouched. After that nothing can fail. This
//! module must never touch another client's pools, and must never leave a
//! journal record of the dropped client behind.

use tmem_protocol::{ClientId, ControlResponse, Status};
use tmem_store::{FrameProvider, PoolId, MAX_POOLS_PER_CLIENT};

use crate::service::Service;

impl<P: FrameProvider> Service<P> {
    /// Closes every pool of `client` (a shared pool only loses the client
    /// as a member), removes its journal records and thaws it; answers
    /// what was freed.
    pub(crate) fn drop_client(&mut self, client: ClientId) -> Result<ControlResponse, Status> {
        let id = tmem_store::ClientId::from(client);
        let before = self.store.client_info(id)?;
        // Known, so neither this nor a destroy below can fail but for a
        // local id with no pool.
        self.store.thaw(id)?;
        let mut pools = 0;
        for local in 0..MAX_POOLS_PER_CLIENT as u32 {
            let pool = PoolId(local);
            if self.kept_destroy_pool(id, pool).is_ok() {
                pools += 1;
            }
            // Records of a pool the store no longer has (there should be
            // none) go too: the client is gone from the journal.
            if let Some(journal) = self.journal.as_mut() {
                journal.destroy_pool(id, pool);
            }
        }
        // Pages it put into a shared pool that other members still have
        // stay (and stay charged to it until they go).
        let after = self.store.client_info(id)?;
        Ok(ControlResponse::Dropped {
            pools,
            ephemeral_pages: before.ephemeral_pages - after.ephemeral_pages,
            persistent_pages: before.persistent_pages - after.persistent_pages,
        })
    }
}
