//! The link to whoever is watching: log records out, the boot options in,
//! and the exit status at the end of a run.
//!
//! On a board with [`DebugExit::Semihosting`] records and the exit status
//! go through Arm semihosting (QEMU passes them to the host), and the boot
//! options come in a block the host's loader put in RAM (never the
//! semihosting command line, whose length depends on the image's path). On
//! a board without a host (Tegra20), records go out on the console UART,
//! there are no options, and exiting halts the CPU. Records are
//! self-delimiting (see `kernel_abi::log_stream`); on the UART each
//! record's terminator is sent twice, so losing one of them costs no
//! record, and any other lost byte costs at most the record it was in.
//! Records written before the console is up are dropped. Nothing here may allocate or block on a lock: the
//! logger and the panic handler call it with interrupts off.

use core::cell::UnsafeCell;

use kernel_abi::boot_options::{self, BootOptionsError};
use kernel_abi::log_stream::TERMINATOR;
use platform::{DebugExit, BOARD};
use semihosting::io::{Stdout, Write as _};

use crate::mm::layout;

struct Console(UnsafeCell<Option<Stdout>>);

// SAFETY: only `write_log` touches the handle, and it is only called by the
// logger while it holds its critical section on a single core.
unsafe impl Sync for Console {}

static SEMIHOSTING_OUT: Console = Console(UnsafeCell::new(None));

/// Writes log record bytes to the host: a whole record, or consecutive
/// pieces of one.
pub fn write_log(record: &[u8]) {
    if BOARD.debug_exit != DebugExit::Semihosting {
        super::devices::console_write_raw(record);
        if record.last() == Some(&TERMINATOR) {
            super::devices::console_write_raw(&[TERMINATOR]);
        }
        return;
    }
    // SAFETY: see `Console`: the caller holds the logger's critical section.
    let out = unsafe { &mut *SEMIHOSTING_OUT.0.get() };
    if out.is_none() {
        *out = semihosting::io::stdout().ok();
    }
    // A record the host does not take is lost: there is nowhere else to
    // say so.
    if let Some(Err(_)) = out.as_mut().map(|out| out.write_all(record)) {
        *out = None;
    }
}

/// Why there are no boot options to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionsUnavailable {
    /// The board has no host that passes options (a Tegra board): nothing
    /// was expected.
    NoHost,
    /// The block where the host's loader puts options is missing or
    /// damaged: the host was expected to pass one and did not.
    Unreadable(BootOptionsError),
}

/// Reads the boot options the host's loader put at the board's
/// `boot_options` address (see `kernel_abi::boot_options`) into `buf` and
/// returns their text. Needs the kernel's linear map of RAM (call it after
/// the MMU is on).
pub fn boot_options(buf: &mut [u8; boot_options::BLOCK_SIZE]) -> Result<&str, OptionsUnavailable> {
    let Some(qemu) = BOARD.qemu else {
        return Err(OptionsUnavailable::NoHost);
    };
    if BOARD.debug_exit != DebugExit::Semihosting {
        return Err(OptionsUnavailable::NoHost);
    }
    let Some(va) = layout::ram_virt(BOARD, qemu.boot_options) else {
        return Err(OptionsUnavailable::Unreadable(BootOptionsError::NoBlock));
    };
    // SAFETY: `va` is the linear-map address of a RAM page below the
    // kernel image that nothing in the kernel allocates or writes
    // (`platform::QemuMachine::boot_options`); the block is plain bytes.
    unsafe {
        core::ptr::copy_nonoverlapping(va as *const u8, buf.as_mut_ptr(), buf.len());
    }
    boot_options::decode(buf).map_err(OptionsUnavailable::Unreadable)
}

/// Where the RAM the host gave the machine ends (physical address, one
/// past the last byte), as the host reports it: under QEMU, semihosting
/// `SYS_HEAPINFO`, whose heap limit is the end of the largest gap the
/// loaders left in the largest RAM region (QEMU 7.2,
/// `semihosting/arm-compat-semi.c`) — the end of RAM, since the kernel
/// and the boot options sit at its start. `None` on a board without a
/// host: its RAM is the board's constant.
pub fn reported_ram_end() -> Option<usize> {
    if BOARD.debug_exit != DebugExit::Semihosting {
        return None;
    }
    use semihosting::sys::arm_compat::syscall::{syscall, OperationNumber, ParamRegW};
    // The call's parameter is the address of a word that holds the
    // address of the four-word block QEMU fills (heap base and limit,
    // stack base and limit). The `semihosting` crate's `sys_heapinfo`
    // passes the block itself, so QEMU reads a null pointer from it and
    // writes nothing; hence this call made by hand.
    let mut info = [0usize; 4];
    let mut parameter = [ParamRegW::ptr(info.as_mut_ptr())];
    // SAFETY: SYS_HEAPINFO writes only the four words of `info`, whose
    // address `parameter` holds; both live until the call returns.
    unsafe {
        syscall(
            OperationNumber::SYS_HEAPINFO,
            ParamRegW::block(&mut parameter),
        );
    }
    Some(info[1])
}

/// Ends the run with `status`: the host sees it as the exit status.
pub fn exit(status: i32) -> ! {
    if BOARD.debug_exit == DebugExit::Semihosting {
        semihosting::process::exit(status);
    }
    super::devices::console_flush();
    halt()
}

/// Stops this CPU for good.
pub fn halt() -> ! {
    super::cpu::disable_interrupts();
    loop {
        super::cpu::wait_for_interrupt();
    }
}
