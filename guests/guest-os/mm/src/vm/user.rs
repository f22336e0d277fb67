//! The kernel's copies to and from a process's memory (the buffers of
//! `write`, `read` and the like): each page is made resident through the
//! fault path first, so a copy obeys the areas' protections, marks pages
//! referenced and dirty as a process's own access would, and fails with a
//! segfault where the process's access would.
//!
//! A copy must never touch a frame that does not hold the process's page;
//! a copy that fails part-way may have done some of its pages.

use crate::anon::AnonPage;
use crate::error::VmError;
use crate::frame::Frame;
use crate::page::{Vpn, PAGE_SIZE};
use crate::ports::{Access, Backends, ProcessId};

use super::Vm;

impl Vm {
    /// Copies `out.len()` bytes of `process`'s memory from `address`.
    pub fn copy_from_user(
        &mut self,
        process: ProcessId,
        address: u32,
        out: &mut [u8],
        backends: &mut Backends<'_>,
    ) -> Result<(), VmError> {
        self.for_each_page(
            process,
            address,
            out.len(),
            Access::Read,
            backends,
            |memory, frame, within, done| {
                let count = out[done..].len().min(PAGE_SIZE - within);
                out[done..done + count]
                    .copy_from_slice(&memory.page(frame)[within..within + count]);
                count
            },
        )
    }

    /// Copies `data` into `process`'s memory at `address`.
    pub fn copy_to_user(
        &mut self,
        process: ProcessId,
        address: u32,
        data: &[u8],
        backends: &mut Backends<'_>,
    ) -> Result<(), VmError> {
        self.for_each_page(
            process,
            address,
            data.len(),
            Access::Write,
            backends,
            |memory, frame, within, done| {
                let count = data[done..].len().min(PAGE_SIZE - within);
                memory.page_mut(frame)[within..within + count]
                    .copy_from_slice(&data[done..done + count]);
                count
            },
        )
    }

    /// Makes each page of `[address, address + len)` resident for `access`
    /// and calls `copy(memory, frame, offset in page, bytes done so far)`,
    /// which returns how many bytes it did.
    fn for_each_page(
        &mut self,
        process: ProcessId,
        address: u32,
        len: usize,
        access: Access,
        backends: &mut Backends<'_>,
        mut copy: impl FnMut(&mut dyn crate::ports::FrameMemory, Frame, usize, usize) -> usize,
    ) -> Result<(), VmError> {
        if u64::from(address) + len as u64 > u64::from(u32::MAX) + 1 {
            return Err(VmError::Segfault {
                address,
                reason: crate::error::SegfaultReason::NoArea,
            });
        }
        let mut done = 0;
        while done < len {
            let at = address + done as u32;
            let frame = self.resident_frame(process, at, access, backends)?;
            done += copy(&mut *backends.memory, frame, at as usize % PAGE_SIZE, done);
        }
        Ok(())
    }

    /// The frame of the page holding `address`, faulted in for `access`
    /// unless it is already resident and mapped to allow it.
    fn resident_frame(
        &mut self,
        process: ProcessId,
        address: u32,
        access: Access,
        backends: &mut Backends<'_>,
    ) -> Result<Frame, VmError> {
        let page = Vpn::containing(address);
        match self.anon.get(process, page) {
            Some(AnonPage::Resident {
                frame,
                mapped: true,
                dirty,
                ..
            }) if dirty || access != Access::Write => {
                self.table.touch(frame);
                Ok(frame)
            }
            _ => {
                self.fault(process, address, access, backends)?;
                match self.anon.get(process, page) {
                    Some(AnonPage::Resident { frame, .. }) => Ok(frame),
                    _ => Err(VmError::OutOfMemory),
                }
            }
        }
    }
}
