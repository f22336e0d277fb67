//! guest-mm's [`Cleancache`] port over `tmem_client::Cleancache`: page
//! `index` of file `FileId(n)` is page `index` of object `n` in a private
//! ephemeral pool, or, with `shared_files` in the guest's plan, page
//! `index` of object `file_set::shared_file_key(n, plan)` in the system's
//! shared pool, where every guest with the same file finds it.
//!
//! Ephemeral pages may vanish at any time, so every failure — a refusal,
//! a lost reply — is a miss on get and a refusal on put; it must never
//! report a hit whose page the server did not send.

use core::cell::RefCell;

use guest_mm::{Cleancache, FileId, Page};
use guest_os_config::file_set::shared_file_key;
use guest_os_config::FilePlan;
use tmem_client::{CleancacheStats, ObjectId, PoolId, TmemClientError, Transport};

/// The guest's cleancache pool over a shared transport.
pub struct TmemCleancache<'t, T: Transport> {
    transport: &'t RefCell<T>,
    cleancache: tmem_client::Cleancache,
    pool: PoolId,
    /// The file set whose keys name pages in the shared pool; `None`: the
    /// pool is private.
    shared: Option<FilePlan>,
}

impl<'t, T: Transport> TmemCleancache<'t, T> {
    /// Opens a private ephemeral pool through `transport`.
    pub fn open(transport: &'t RefCell<T>) -> Result<TmemCleancache<'t, T>, TmemClientError> {
        let mut cleancache = tmem_client::Cleancache::new();
        let pool = cleancache.init_fs(&mut *transport.borrow_mut())?;
        Ok(TmemCleancache {
            transport,
            cleancache,
            pool,
            shared: None,
        })
    }

    /// Joins the shared ephemeral pool `uuid` for the pages of `files`.
    pub fn open_shared(
        transport: &'t RefCell<T>,
        uuid: u8,
        files: FilePlan,
    ) -> Result<TmemCleancache<'t, T>, TmemClientError> {
        let mut cleancache = tmem_client::Cleancache::new();
        let pool = cleancache.init_shared_fs(&mut *transport.borrow_mut(), u128::from(uuid))?;
        Ok(TmemCleancache {
            transport,
            cleancache,
            pool,
            shared: Some(files),
        })
    }

    /// The tmem object that holds `file`'s pages in this pool.
    fn object(&self, file: FileId) -> ObjectId {
        match &self.shared {
            None => object_of(file),
            Some(files) => ObjectId(shared_file_key(file.0, files)),
        }
    }

    /// tmem-client's counters.
    pub fn stats(&self) -> CleancacheStats {
        self.cleancache.stats()
    }
}

/// The tmem object that holds `file`'s pages in a private pool.
pub const fn object_of(file: FileId) -> ObjectId {
    ObjectId([file.0 as u64, 0, 0])
}

impl<T: Transport> Cleancache for TmemCleancache<'_, T> {
    fn get_page(&mut self, file: FileId, index: u32, out: &mut Page) -> bool {
        let mut transport = self.transport.borrow_mut();
        self.cleancache
            .get_page(&mut *transport, self.pool, self.object(file), index, out)
            .unwrap_or(false)
    }

    fn put_page(&mut self, file: FileId, index: u32, page: &Page) -> bool {
        let mut transport = self.transport.borrow_mut();
        self.cleancache
            .put_page(&mut *transport, self.pool, self.object(file), index, page)
            .is_ok()
    }
}
