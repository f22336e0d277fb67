//! The kernel's half of a process's memory: mapping the guest's frames into
//! process address spaces (issue 12's AddressSpace capability).
//!
//! The A9 has no hardware access flag and no dirty bit that software can
//! rely on here, so memory management learns that a page was used by
//! unmapping it and seeing it fault again, and that it was written by
//! mapping it read-only first. These calls are all it needs. A mapping is
//! never writable and executable at once.

use crate::frame::Frame;
use crate::page::Vpn;

/// A guest process, by the guest kernel's process number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcessId(pub u32);

/// What a process may do with a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    /// Read only.
    Read,
    /// Read and write.
    ReadWrite,
    /// Read and execute.
    ReadExecute,
}

/// What a process did that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A load.
    Read,
    /// A store.
    Write,
    /// An instruction fetch.
    Execute,
}

impl Protection {
    /// Whether a page with this protection permits `access`.
    pub const fn allows(self, access: Access) -> bool {
        matches!(
            (self, access),
            (_, Access::Read)
                | (Protection::ReadWrite, Access::Write)
                | (Protection::ReadExecute, Access::Execute)
        )
    }

    /// This protection less the right to write.
    pub const fn without_write(self) -> Protection {
        match self {
            Protection::ReadWrite => Protection::Read,
            other => other,
        }
    }
}

/// Why the kernel would not map a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The address space's page-table budget is spent.
    NoPageTables,
    /// The kernel refused the arguments (a revoked frame, a dead address
    /// space).
    Refused,
}

/// Map, unmap and re-protect single pages of process address spaces.
pub trait AddressSpaceOps {
    /// Maps `frame` at `page` of `process` with `protection`. The page is
    /// not mapped before the call.
    fn map(
        &mut self,
        process: ProcessId,
        page: Vpn,
        frame: Frame,
        protection: Protection,
    ) -> Result<(), MapError>;

    /// Removes the mapping at `page` of `process`, with the TLB
    /// maintenance that makes the process fault on its next access. It
    /// cannot fail: an implementation that cannot unmap must stop the
    /// guest, since the frame is about to be reused.
    fn unmap(&mut self, process: ProcessId, page: Vpn);

    /// Changes the protection of the mapped `page` of `process`.
    fn protect(
        &mut self,
        process: ProcessId,
        page: Vpn,
        protection: Protection,
    ) -> Result<(), MapError>;
}
