//! The link to whoever is watching: log records out, the boot command line
//! in, and the exit status at the end of a run.
//!
//! On a board with [`DebugExit::Semihosting`] all three go through Arm
//! semihosting (QEMU passes them to the host). On a board without a host
//! (Tegra20), records go out on the console UART, there is no command
//! line, and exiting halts the CPU. Records are self-delimiting (see
//! `kernel_abi::log_stream`); on the UART each record's terminator is sent
//! twice, so losing one of them costs no record, and any other lost byte
//! costs at most the record it was in. Records written before the console
//! is up are dropped. Nothing here may allocate or block on a lock: the
//! logger and the panic handler call it with interrupts off.

use core::cell::UnsafeCell;

use kernel_abi::log_stream::TERMINATOR;
use platform::{DebugExit, BOARD};
use semihosting::io::{Stdout, Write as _};

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

/// Reads the boot command line (QEMU's `-append`) into `buf`.
pub fn command_line(buf: &mut [core::mem::MaybeUninit<u8>]) -> Option<&str> {
    if BOARD.debug_exit != DebugExit::Semihosting {
        return None;
    }
    let bytes = semihosting::sys::arm_compat::sys_get_cmdline_uninit(buf).ok()?;
    core::str::from_utf8(bytes).ok()
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
