//! What the kernel core needs from the machine it runs on, as a trait, so
//! the core's decisions run the same on the target and in host tests.
//!
//! The target implementation lives in `arch`; host tests use a fake that
//! records. Implementations must never call back into the core.

use kernel_abi::log_stream::Source;

use crate::exception::ExceptionKind;
use crate::fault::Fault;

/// A fault a user thread took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserFault {
    /// Which vector.
    pub exception: ExceptionKind,
    /// The faulting instruction.
    pub pc: u32,
    /// The decoded abort, for data and prefetch aborts.
    pub fault: Option<Fault>,
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// Every partition finished or was stopped.
    AllPartitionsEnded,
    /// The description's `stop_after_ms` elapsed.
    TimeLimit,
}

/// Something the kernel core reports as it happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A thread called `thread_exit`.
    ThreadExited { partition: &'a str, thread: &'a str },
    /// A partition's last thread exited.
    PartitionFinished { partition: &'a str },
    /// A partition was stopped because one of its threads faulted.
    PartitionStopped {
        partition: &'a str,
        thread: &'a str,
        fault: UserFault,
    },
    /// A monitor stopped a partition through its PartitionControl
    /// capability.
    PartitionStoppedByMonitor {
        partition: &'a str,
        monitor: &'a str,
    },
    /// A supervisor restarted a stopped partition from its boot image.
    PartitionRestarted {
        partition: &'a str,
        supervisor: &'a str,
        restarts: u8,
    },
    /// A guest thread took an exception and has no exception endpoint
    /// that can take it: it is suspended (its partition runs on).
    GuestThreadSuspended {
        partition: &'a str,
        thread: u16,
        fault: UserFault,
    },
    /// A server left IPC without answering a call that had transferred a
    /// capability to it, and the kernel gave the capability back to the
    /// caller, into slot `slot` of `partition` (see
    /// `kernel_abi::syscall::Syscall::Call`).
    TransferReturned {
        partition: &'a str,
        thread: &'a str,
        server: &'a str,
        slot: u16,
    },
    /// As [`Event::TransferReturned`], but the capability stayed with the
    /// server (in its slot `landed`), for `reason`: the server had shared
    /// it, or neither of the caller's slots for it was empty.
    TransferNotReturned {
        partition: &'a str,
        thread: &'a str,
        server: &'a str,
        landed: u16,
        reason: &'static str,
    },
    /// The run is over.
    RunEnded { reason: EndReason, status: i32 },
}

/// The machine under the kernel core.
pub trait Machine {
    /// Microseconds since boot.
    fn now_us(&self) -> u64;
    /// Copies physical memory (RAM) at `pa` into `buf`.
    fn read_phys(&self, pa: usize, buf: &mut [u8]);
    /// Copies `data` to physical memory (RAM) at `pa`.
    fn write_phys(&mut self, pa: usize, data: &[u8]);
    /// Copies the words `data` to physical memory (RAM) at the word-aligned
    /// `pa`, little-endian (a register frame: one copy, no byte shuffling).
    fn write_phys_words(&mut self, pa: usize, data: &[u32]);
    /// Copies words from physical memory (RAM) at the word-aligned `pa`
    /// into `buf`, little-endian.
    fn read_phys_words(&self, pa: usize, buf: &mut [u32]);
    /// Zeroes `len` bytes of physical memory (RAM) at `pa`.
    fn zero_phys(&mut self, pa: usize, len: usize);
    /// Emits one complete defmt frame as a record from `source`.
    fn emit_log(&mut self, source: Source, frame: &[u8]);
    /// Reports an event.
    fn report(&mut self, event: Event<'_>);
    /// Makes page-table entries just written visible to the MMU, and drops
    /// any translation of `va` cached under `asid` (`None`: only the
    /// barrier, after adding mappings).
    fn page_tables_changed(&mut self, unmapped: Option<(u8, u32)>);
    /// Drops every translation cached under `asid` (a guest address space
    /// was reset: its tables went back to the budget).
    fn address_space_reset(&mut self, asid: u8);
    /// Lets interrupt `irq` through again after its driver handled it.
    fn unmask_irq(&mut self, irq: u32);
}

#[cfg(test)]
pub(crate) mod tests {
    extern crate std;
    use super::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    /// A machine with a window of fake RAM that records what it is told.
    pub(crate) struct FakeMachine {
        pub base: usize,
        pub memory: Vec<u8>,
        pub now: u64,
        pub logs: Vec<(Source, Vec<u8>)>,
        pub events: Vec<String>,
        pub tlb_invalidations: Vec<(u8, u32)>,
        pub asid_resets: Vec<u8>,
        pub unmasked: Vec<u32>,
    }

    impl FakeMachine {
        pub fn new(base: usize, size: usize) -> FakeMachine {
            FakeMachine {
                base,
                memory: std::vec![0; size],
                now: 0,
                logs: Vec::new(),
                events: Vec::new(),
                tlb_invalidations: Vec::new(),
                asid_resets: Vec::new(),
                unmasked: Vec::new(),
            }
        }

        fn range(&self, pa: usize, len: usize) -> core::ops::Range<usize> {
            let start = pa - self.base;
            start..start + len
        }
    }

    impl Machine for FakeMachine {
        fn now_us(&self) -> u64 {
            self.now
        }
        fn read_phys(&self, pa: usize, buf: &mut [u8]) {
            buf.copy_from_slice(&self.memory[self.range(pa, buf.len())]);
        }
        fn write_phys(&mut self, pa: usize, data: &[u8]) {
            let r = self.range(pa, data.len());
            self.memory[r].copy_from_slice(data);
        }
        fn write_phys_words(&mut self, pa: usize, data: &[u32]) {
            assert!(pa.is_multiple_of(4), "word-aligned");
            for (i, word) in data.iter().enumerate() {
                self.write_phys(pa + i * 4, &word.to_le_bytes());
            }
        }
        fn read_phys_words(&self, pa: usize, buf: &mut [u32]) {
            assert!(pa.is_multiple_of(4), "word-aligned");
            for (i, word) in buf.iter_mut().enumerate() {
                let mut bytes = [0u8; 4];
                self.read_phys(pa + i * 4, &mut bytes);
                *word = u32::from_le_bytes(bytes);
            }
        }
        fn zero_phys(&mut self, pa: usize, len: usize) {
            let r = self.range(pa, len);
            self.memory[r].fill(0);
        }
        fn emit_log(&mut self, source: Source, frame: &[u8]) {
            self.logs.push((source, frame.to_vec()));
        }
        fn report(&mut self, event: Event<'_>) {
            self.events.push(std::format!("{event:?}").to_string());
        }
        fn unmask_irq(&mut self, irq: u32) {
            self.unmasked.push(irq);
        }
        fn page_tables_changed(&mut self, unmapped: Option<(u8, u32)>) {
            if let Some((asid, va)) = unmapped {
                self.tlb_invalidations.push((asid, va));
            }
        }
        fn address_space_reset(&mut self, asid: u8) {
            self.asid_resets.push(asid);
        }
    }
}
