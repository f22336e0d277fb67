//! The file system calls a process makes: `open` a file of the guest's
//! file set by name, `read` it through the page cache (so a re-read hits
//! the cache, and a page the cache drops goes to cleancache), `close` it.
//! Open files live in the process table ([`ProcessTable`]), which closes
//! every one when the process ends.
//!
//! Each call checks everything before it changes anything: a descriptor
//! that is not open, a name that is no file, a buffer outside the
//! process's writable memory are errors returned to the process (which
//! goes on), and a failed read leaves the file's offset where it was. It
//! must never write a byte into the process that is not the file's.

extern crate alloc;

use alloc::vec;

use guest_mm::{AddressSpaceOps, FileId, ProcessId, PAGE_SIZE};
use guest_os_config::file_set::file_number;
use guest_process::{Errno, ProcessTable};

use crate::machine::Machine;
use crate::process_server::{copy_in, Host};

/// The longest name a file of the guest has (`F0000.DAT`, with room).
pub const NAME_MAX: u32 = 12;

/// The descriptor of a process's first open file: 0 to 2 are the
/// standard streams (1 and 2 the console), never files.
pub const FIRST_FILE_FD: u32 = 3;

/// The process table's descriptor for the process's `fd`.
fn table_fd(fd: u32) -> Result<u32, Errno> {
    fd.checked_sub(FIRST_FILE_FD).ok_or(Errno::BadFd)
}

/// The most bytes one `read` returns (the rest is for the next call).
pub const READ_MAX: u32 = PAGE_SIZE as u32;

/// Who calls: the process's id in memory management (`space`) and in
/// the process table (`id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Its address space in memory management.
    pub space: ProcessId,
    /// Its entry in the process table (its open files).
    pub id: ProcessId,
}

/// `open(path, path_len)`: the new descriptor. The name may be in the
/// process's memory or a constant of its program image.
pub fn open<S: AddressSpaceOps>(
    machine: &mut Machine<'_, S>,
    table: &mut ProcessTable,
    caller: Caller,
    path: u32,
    path_len: u32,
    host: &mut dyn Host,
) -> Result<u32, Errno> {
    if path_len > NAME_MAX {
        return Err(Errno::NameTooLong);
    }
    let mut name = [0u8; NAME_MAX as usize];
    let name = &mut name[..path_len as usize];
    copy_in(machine, host, caller.space, path, name)?;
    let file = file_number(name).map(FileId).ok_or(Errno::NoEntry)?;
    machine.file_size(file).map_err(Errno::from)?;
    let fd = table.open(caller.id, file).map_err(Errno::from)?;
    Ok(fd + FIRST_FILE_FD)
}

/// `read(fd, buffer, len)`: at most [`READ_MAX`] bytes from the file's
/// offset into the process's `buffer`; how many (0 at the end).
pub fn read<S: AddressSpaceOps>(
    machine: &mut Machine<'_, S>,
    table: &mut ProcessTable,
    caller: Caller,
    fd: u32,
    buffer: u32,
    len: u32,
) -> Result<u32, Errno> {
    let fd = table_fd(fd)?;
    let open = table.file(caller.id, fd).map_err(Errno::from)?;
    let len = len.min(READ_MAX);
    if !machine.user_writable(caller.space, buffer, len) {
        return Err(Errno::Fault);
    }
    let mut data = vec![0u8; len as usize];
    let count = machine
        .read_file(open.file, open.offset, &mut data)
        .map_err(Errno::from)?;
    machine
        .copy_to_user(caller.space, buffer, &data[..count])
        .map_err(Errno::from)?;
    // `count` is at most READ_MAX.
    let count = count as u32;
    table.advance(caller.id, fd, count).map_err(Errno::from)?;
    Ok(count)
}

/// `close(fd)`.
pub fn close(table: &mut ProcessTable, caller: Caller, fd: u32) -> Result<u32, Errno> {
    table
        .close(caller.id, table_fd(fd)?)
        .map(|()| 0)
        .map_err(Errno::from)
}
