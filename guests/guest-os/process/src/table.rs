//! The process table: every guest process's id, lifecycle state and open
//! files, and the round-robin choice of the next ready process.
//!
//! Lifecycle: `spawn` → [`Ready`](ProcessState::Ready) ⇄
//! [`Sleeping`](ProcessState::Sleeping) → [`Exited`](ProcessState::Exited)
//! or [`Killed`](ProcessState::Killed) → `reap` removes it. An ended
//! process holds no open files and is never chosen to run; its final
//! state stays readable until it is reaped. Ids are never reused while the
//! table lives. The table never grows past its capacity.

use alloc::vec::Vec;

use guest_mm::{FileId, ProcessId};

/// Open files a process may hold at once.
pub const MAX_OPEN_FILES: usize = 8;

/// Why a process was killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillReason {
    /// A memory access outside its areas or against their protection.
    Fault {
        /// The address accessed.
        address: u32,
    },
    /// An undefined instruction.
    Undefined {
        /// Where.
        pc: u32,
    },
    /// No memory for a page it needed.
    OutOfMemory,
    /// A swapped page could not be read back.
    LostPage,
    /// The guest kernel (or its user) ended it.
    Requested,
}

/// Where a process is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessState {
    /// May run.
    Ready,
    /// Waits until the guest's clock reaches `until` (microseconds).
    Sleeping {
        /// When it wakes.
        until: u64,
    },
    /// Ended by `exit`.
    Exited {
        /// Its exit status.
        code: i32,
    },
    /// Ended by the guest kernel.
    Killed {
        /// Why.
        reason: KillReason,
    },
}

impl ProcessState {
    /// Whether the process has not ended.
    pub const fn is_live(self) -> bool {
        matches!(self, ProcessState::Ready | ProcessState::Sleeping { .. })
    }
}

/// A file a process has open, and where it reads next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenFile {
    /// The file.
    pub file: FileId,
    /// The next byte `read` returns.
    pub offset: u32,
}

/// Why a process-table operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessError {
    /// No process has that id (or it was reaped).
    NoSuchProcess(ProcessId),
    /// The process has ended (for an operation on a live one), or has not
    /// (for `reap`).
    NotLive(ProcessId),
    /// The table is full.
    TableFull,
    /// The descriptor is not an open file of the process.
    BadFd(u32),
    /// The process has [`MAX_OPEN_FILES`] open.
    TooManyFiles,
}

#[derive(Clone, Debug)]
struct Entry {
    id: ProcessId,
    state: ProcessState,
    files: [Option<OpenFile>; MAX_OPEN_FILES],
}

/// Every process of the guest.
#[derive(Debug)]
pub struct ProcessTable {
    entries: Vec<Entry>,
    capacity: usize,
    next_id: u32,
    /// The id last chosen to run, for round robin.
    last_run: Option<ProcessId>,
}

impl ProcessTable {
    /// An empty table for at most `capacity` processes (live or not yet
    /// reaped).
    pub fn new(capacity: usize) -> ProcessTable {
        ProcessTable {
            entries: Vec::with_capacity(capacity),
            capacity,
            next_id: 1,
            last_run: None,
        }
    }

    /// Adds a ready process with no open files; returns its new id.
    pub fn spawn(&mut self) -> Result<ProcessId, ProcessError> {
        if self.entries.len() >= self.capacity {
            return Err(ProcessError::TableFull);
        }
        let id = ProcessId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.entries.push(Entry {
            id,
            state: ProcessState::Ready,
            files: [None; MAX_OPEN_FILES],
        });
        Ok(id)
    }

    /// The state of process `id`.
    pub fn state(&self, id: ProcessId) -> Result<ProcessState, ProcessError> {
        self.entry(id).map(|entry| entry.state)
    }

    /// How many processes have not ended.
    pub fn live(&self) -> usize {
        self.entries
            .iter()
            .filter(|entry| entry.state.is_live())
            .count()
    }

    /// Ends live process `id` with status `code`, closing its files.
    pub fn exit(&mut self, id: ProcessId, code: i32) -> Result<(), ProcessError> {
        self.end(id, ProcessState::Exited { code })
    }

    /// Ends live process `id` for `reason`, closing its files.
    pub fn kill(&mut self, id: ProcessId, reason: KillReason) -> Result<(), ProcessError> {
        self.end(id, ProcessState::Killed { reason })
    }

    /// Puts live process `id` to sleep until `until`.
    pub fn sleep(&mut self, id: ProcessId, until: u64) -> Result<(), ProcessError> {
        let entry = self.live_entry_mut(id)?;
        entry.state = ProcessState::Sleeping { until };
        Ok(())
    }

    /// Makes ready every process whose sleep ends at or before `now`;
    /// returns how many woke.
    pub fn wake(&mut self, now: u64) -> usize {
        let mut woken = 0;
        for entry in &mut self.entries {
            if let ProcessState::Sleeping { until } = entry.state {
                if until <= now {
                    entry.state = ProcessState::Ready;
                    woken += 1;
                }
            }
        }
        woken
    }

    /// When the earliest sleeper wakes, if any sleeps.
    pub fn next_wakeup(&self) -> Option<u64> {
        self.entries
            .iter()
            .filter_map(|entry| match entry.state {
                ProcessState::Sleeping { until } => Some(until),
                _ => None,
            })
            .min()
    }

    /// The next ready process after the one last chosen (round robin in
    /// spawn order), and remembers it.
    pub fn next_ready(&mut self) -> Option<ProcessId> {
        let start = match self.last_run {
            Some(last) => self
                .entries
                .iter()
                .position(|entry| entry.id > last)
                .unwrap_or(0),
            None => 0,
        };
        let count = self.entries.len();
        let chosen = (0..count)
            .map(|step| &self.entries[(start + step) % count])
            .find(|entry| entry.state == ProcessState::Ready)
            .map(|entry| entry.id)?;
        self.last_run = Some(chosen);
        Some(chosen)
    }

    /// Removes ended process `id`, returning its final state.
    pub fn reap(&mut self, id: ProcessId) -> Result<ProcessState, ProcessError> {
        let at = self.position(id)?;
        let state = self.entries[at].state;
        if state.is_live() {
            return Err(ProcessError::NotLive(id));
        }
        self.entries.remove(at);
        Ok(state)
    }

    /// Opens `file` for live process `id` at offset 0; returns the lowest
    /// free descriptor.
    pub fn open(&mut self, id: ProcessId, file: FileId) -> Result<u32, ProcessError> {
        let entry = self.live_entry_mut(id)?;
        let fd = entry
            .files
            .iter()
            .position(Option::is_none)
            .ok_or(ProcessError::TooManyFiles)?;
        entry.files[fd] = Some(OpenFile { file, offset: 0 });
        Ok(fd as u32)
    }

    /// The open file `fd` of process `id`.
    pub fn file(&self, id: ProcessId, fd: u32) -> Result<OpenFile, ProcessError> {
        let entry = self.entry(id)?;
        entry
            .files
            .get(fd as usize)
            .copied()
            .flatten()
            .ok_or(ProcessError::BadFd(fd))
    }

    /// Moves the offset of open file `fd` of process `id` on by `bytes`
    /// (after a read).
    pub fn advance(&mut self, id: ProcessId, fd: u32, bytes: u32) -> Result<(), ProcessError> {
        let entry = self.live_entry_mut(id)?;
        let open = entry
            .files
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(ProcessError::BadFd(fd))?;
        open.offset = open.offset.saturating_add(bytes);
        Ok(())
    }

    /// Closes open file `fd` of process `id`.
    pub fn close(&mut self, id: ProcessId, fd: u32) -> Result<(), ProcessError> {
        let entry = self.live_entry_mut(id)?;
        let slot = entry
            .files
            .get_mut(fd as usize)
            .filter(|slot| slot.is_some())
            .ok_or(ProcessError::BadFd(fd))?;
        *slot = None;
        Ok(())
    }

    fn end(&mut self, id: ProcessId, state: ProcessState) -> Result<(), ProcessError> {
        let entry = self.live_entry_mut(id)?;
        entry.state = state;
        entry.files = [None; MAX_OPEN_FILES];
        Ok(())
    }

    fn position(&self, id: ProcessId) -> Result<usize, ProcessError> {
        self.entries
            .iter()
            .position(|entry| entry.id == id)
            .ok_or(ProcessError::NoSuchProcess(id))
    }

    fn entry(&self, id: ProcessId) -> Result<&Entry, ProcessError> {
        self.position(id).map(|at| &self.entries[at])
    }

    fn live_entry_mut(&mut self, id: ProcessId) -> Result<&mut Entry, ProcessError> {
        let at = self.position(id)?;
        let entry = &mut self.entries[at];
        if !entry.state.is_live() {
            return Err(ProcessError::NotLive(id));
        }
        Ok(entry)
    }
}
