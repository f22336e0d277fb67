//! The balloon service's link to the memory manager on the target: calls
//! on the manager's endpoint, and the capability work that moves a guest
//! RAM frame — guest RAM is held as one-page frame capabilities, frame `f`
//! in slot `FIRST_FRAME + f`, mapped at `RAM_BASE + f * 4 KiB`; a frame in
//! the balloon is an empty slot and an unmapped hole.
//!
//! It must never leave a frame the guest still holds unmapped, nor map
//! anything but a one-page frame into a hole.

use guest_mm::{Frame as VmFrame, PAGE_SIZE};
use guest_os_kernel::balloon_service::{Failure, GiveFailure, ManagerLink};
use kernel_abi::cap::{GrantKind, Rights};
use kernel_abi::syscall::SyscallError;
use memory_manager_protocol::{Pressure, Reply, Request};
use userlib::ipc::{cap_delete, Carry, Endpoint, Frame, Grant, IpcBuffer};
use userlib::syscall::clock_us;

/// The memory manager's endpoint: capability slot 7 (needed with `balloon = true`).
pub const MANAGER: u16 = 7;
/// Guest RAM frame `f`'s one-page capability is in slot `FIRST_FRAME + f`.
pub const FIRST_FRAME: u16 = 16;

/// Whether `slot` holds a capability (a frame-unmap probe: only an empty
/// slot says `EmptySlot`). Unmaps the frame in it if it was mapped: use
/// it only on slots that are not.
pub fn holds(slot: u16) -> bool {
    !matches!(Frame(slot).unmap(), Err(SyscallError::EmptySlot))
}

/// Deletes the capability in `slot`, a frame the guest cannot use; a
/// failure is logged, since the frame then stays in a slot the balloon
/// counts as a hole.
fn discard(slot: u16) {
    if let Err(error) = cap_delete(slot) {
        defmt::error!(
            "guest: balloon: slot {=u16}: an unusable frame could not be deleted: {=str}",
            slot,
            error.name()
        );
    }
}

/// The link.
pub struct KernelLink {
    guest: u32,
    ram_base: u32,
    buffer: IpcBuffer,
}

impl KernelLink {
    /// For guest `guest` (logs), RAM mapped from `ram_base`, calling from
    /// thread `thread` (its IPC buffer).
    pub fn new(guest: u32, ram_base: u32, thread: u32) -> KernelLink {
        KernelLink {
            guest,
            ram_base,
            buffer: IpcBuffer::of_thread(thread),
        }
    }

    /// Maps RAM frame `frame`'s capability at its place; true if it is a
    /// one-page frame now mapped there.
    pub fn map(&self, frame: VmFrame) -> bool {
        let page = Frame(slot(frame));
        match page.map(self.ram_base + frame.0 * PAGE_SIZE as u32, true) {
            Ok(1) => true,
            Ok(_) => {
                // Not one page: take it down again, and say so if even
                // that fails (the hole then holds a stray mapping).
                if let Err(error) = page.unmap() {
                    defmt::error!(
                        "guest: balloon: slot {=u16}: a frame of the wrong size stays mapped: {=str}",
                        page.0,
                        error.name()
                    );
                }
                false
            }
            Err(_) => false,
        }
    }
}

fn slot(frame: VmFrame) -> u16 {
    FIRST_FRAME + frame.0 as u16
}

fn kernel(error: SyscallError) -> Failure {
    Failure::Kernel(error.name())
}

impl ManagerLink for KernelLink {
    fn now_us(&self) -> u64 {
        clock_us()
    }

    fn report(&mut self, pressure: &Pressure) -> Result<Reply, Failure> {
        self.buffer
            .write(pressure)
            .map_err(|_| Failure::Kernel("the report does not fit the IPC buffer"))?;
        let answer = Endpoint(MANAGER)
            .call_with(&[Request::Report.word()], Carry::BUFFER)
            .map_err(kernel)?;
        Reply::decode(Request::Report, &answer.words[..usize::from(answer.len)])
            .map_err(Failure::Malformed)
    }

    fn give(&mut self, frame: VmFrame) -> Result<(), GiveFailure> {
        let at = slot(frame);
        let keep = |failure| GiveFailure {
            failure,
            kept: true,
        };
        Frame(at).unmap().map_err(|e| keep(kernel(e)))?;
        let grant = Grant {
            slot: at,
            kind: GrantKind::Transfer,
            rights: Rights::NONE,
        };
        // A refused frame comes back with the reply, into the same slot.
        let answer = Endpoint(MANAGER).call_with(
            &[Request::Give.word()],
            Carry {
                grant: Some(grant),
                receive: Some(at),
                buffer: false,
            },
        );
        let outcome = match answer {
            Ok(answer) => {
                match Reply::decode(Request::Give, &answer.words[..usize::from(answer.len)]) {
                    Ok(Reply::Done) => Ok(()),
                    Ok(Reply::Refused(why)) => Err(Failure::Refused(why)),
                    Ok(Reply::Stop) => Err(Failure::Stopped),
                    Ok(Reply::Target { .. }) => Err(Failure::Unexpected),
                    Err(error) => Err(Failure::Malformed(error)),
                }
            }
            Err(error) => Err(kernel(error)),
        };
        if !holds(at) {
            // The frame left; whatever the answer said, it is gone.
            return outcome.map_err(|failure| GiveFailure {
                failure,
                kept: false,
            });
        }
        let failure = outcome.err().unwrap_or(Failure::Unexpected);
        if self.map(frame) {
            Err(keep(failure))
        } else {
            discard(at);
            Err(GiveFailure {
                failure,
                kept: false,
            })
        }
    }

    fn take(&mut self, frame: VmFrame) -> Result<(), Failure> {
        let at = slot(frame);
        let answer = Endpoint(MANAGER)
            .call_with(&[Request::Take.word()], Carry::receive(Some(at)))
            .map_err(kernel)?;
        if answer.granted == Some((at, GrantKind::Transfer)) {
            // A frame arrived: whatever the words say, it is ours now.
            if self.map(frame) {
                return Ok(());
            }
            // Not a one-page frame: the hole stays a hole.
            discard(at);
            return Err(Failure::Unexpected);
        }
        match Reply::decode(Request::Take, &answer.words[..usize::from(answer.len)]) {
            Ok(Reply::Refused(why)) => Err(Failure::Refused(why)),
            Ok(Reply::Stop) => Err(Failure::Stopped),
            Ok(Reply::Done | Reply::Target { .. }) => Err(Failure::Unexpected),
            Err(error) => Err(Failure::Malformed(error)),
        }
    }

    fn failed(&mut self, what: &'static str, failure: Failure) {
        defmt::warn!(
            "guest {=u32}: balloon: {=str} failed: {=str}; it goes on at its size",
            self.guest,
            what,
            failure.name()
        );
    }
}
