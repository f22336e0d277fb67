//! The exception vector table and the common entry path.
//!
//! Every exception switches to Supervisor mode and stores a [`TrapFrame`]
//! below the supervisor stack pointer (`srsdb` for the return address and
//! SPSR, then r0-r12, the SVC link register and the user sp/lr), calls
//! [`exception_entry`] with it, and returns by restoring the frame that
//! call returns. While a thread (or the idle loop) runs, the supervisor
//! stack pointer is left just past that thread's saved registers in its
//! thread control block, so the entry stores them there directly — no
//! copy — and then switches to the kernel stack; when the kernel itself
//! is interrupted (supervisor mode), the frame goes on the kernel stack.
//! The per-mode stacks are never used for frames. IRQs go to the
//! device layer (and ticks on to the scheduler), system calls and faults
//! from user mode to the running system; anything else — an exception in
//! the kernel itself — is reported with its decoded cause and ends in a
//! panic.

use aarch32_cpu::register::{Dfar, Dfsr, Ifar, Ifsr};

use crate::exception::{ExceptionKind, Mode, TrapFrame, TRAP_FRAME_SIZE};
use crate::fault::Fault;
use crate::machine::UserFault;

use super::devices::{self, Irq};
use super::running;

macro_rules! entry_stub {
    ($name:literal, $lr_adjust:literal, $vector:literal) => {
        concat!(
            "    .global ",
            $name,
            "\n",
            $name,
            ":\n",
            "    sub     lr, lr, #",
            $lr_adjust,
            "\n",
            "    srsdb   sp!, #0x13\n",
            "    cps     #0x13\n",
            "    push    {{r0-r12, lr}}\n",
            "    sub     sp, sp, #8\n",
            "    stmia   sp, {{sp, lr}}^\n",
            "    mov     r0, sp\n",
            "    mov     r1, #",
            $vector,
            "\n",
            "    b       __exception_common\n",
        )
    };
}

core::arch::global_asm!(
    r#"
    .section .text.vectors, "ax"
    .arm
    .balign 32
    .global __vectors
__vectors:
    b       .
    b       __undef_entry
    b       __svc_entry
    b       __pabt_entry
    b       __dabt_entry
    b       .
    b       __irq_entry
    b       __fiq_entry
"#,
    r#"
    .global __exception_entry_start
__exception_entry_start:
    @ A data abort taken while an entry stub itself was storing a frame
    @ means the kernel stack has run into its guard page: report that on
    @ a stack of its own instead of faulting forever.
    .global __dabt_entry
__dabt_entry:
    push    {{r0, r1}}
    sub     r0, lr, #8
    ldr     r1, =__exception_entry_start
    cmp     r0, r1
    blo     1f
    ldr     r1, =__exception_entry_end
    cmp     r0, r1
    bhs     1f
    cps     #0x13
    ldr     sp, =__emergency_stack_top
    b       kernel_stack_overflow
1:  pop     {{r0, r1}}
    b       __dabt_frame
"#,
    entry_stub!("__undef_entry", "4", "1"),
    // A system call: already in Supervisor mode with the return address
    // in lr (no adjustment, no mode change). From user mode it goes
    // straight to `syscall_entry` on the kernel stack and returns inline;
    // from any other mode (a kernel bug) to the common path, which
    // reports it.
    r#"
    .global __svc_entry
__svc_entry:
    srsdb   sp!, #0x13
    push    {{r0-r12, lr}}
    sub     sp, sp, #8
    stmia   sp, {{sp, lr}}^
    mov     r0, sp
    mrs     r2, spsr
    and     r2, r2, #0x1f
    cmp     r2, #0x10
    movne   r1, #2
    bne     __exception_common
    ldr     sp, =__svc_stack_top
    bl      syscall_entry
    mov     sp, r0
    ldmia   sp, {{sp, lr}}^
    nop
    add     sp, sp, #8
    pop     {{r0-r12, lr}}
    rfeia   sp!
"#,
    entry_stub!("__pabt_entry", "4", "3"),
    entry_stub!("__dabt_frame", "8", "4"),
    entry_stub!("__irq_entry", "4", "6"),
    entry_stub!("__fiq_entry", "4", "7"),
    r#"
__exception_common:
    @ A thread's (user mode) or the idle loop's (system mode) registers
    @ were just stored in place, in its thread control block: run the
    @ kernel on its own stack. Interrupted in supervisor mode, the kernel
    @ itself stored them on that stack, which it keeps using.
    ldr     r2, [r0, #68]
    and     r2, r2, #0x1f
    cmp     r2, #0x13
    ldrne   sp, =__svc_stack_top
    bl      exception_entry
    @ r0: the registers to resume; the stack pointer is left just past
    @ them, where the next exception stores them again.
    mov     sp, r0
    .global __exception_return
__exception_return:
    ldmia   sp, {{sp, lr}}^
    nop
    add     sp, sp, #8
    pop     {{r0-r12, lr}}
    rfeia   sp!
    .global __exception_entry_end
__exception_entry_end:
    .ltorg
"#,
);

const _: () = assert!(TRAP_FRAME_SIZE == 72, "entry code pushes 18 words");

/// Rust side of every exception: handles it and returns the registers to
/// resume.
#[no_mangle]
extern "C" fn exception_entry(frame: *mut TrapFrame, vector: u32) -> *mut TrapFrame {
    let Some(kind) = ExceptionKind::from_vector(vector) else {
        panic!("exception entry with unknown vector {}", vector);
    };
    // SAFETY: the entry code just stored the frame; these reads make no
    // reference to it (for a thread, the running system owns it).
    let (psr, pc) = unsafe { ((*frame).spsr, (*frame).pc) };
    let mode = Mode::from_psr(psr);
    if mode == Mode::Supervisor {
        // SAFETY: the kernel itself was interrupted: the frame is on the
        // kernel stack, below this call's, and nothing else refers to it.
        let frame = unsafe { &mut *frame };
        match kind {
            // Only before a system runs (the boot tick demo) are interrupts
            // on in supervisor mode.
            ExceptionKind::Irq => {
                devices::handle_irq();
            }
            _ => unexpected(kind, frame),
        }
        return frame;
    }
    match kind {
        ExceptionKind::Irq => match devices::handle_irq() {
            Irq::Tick => running::on_tick(),
            Irq::Device(id) => running::on_device_irq(id),
            Irq::Other => running::resume(),
        },
        // A system call from user mode went to `syscall_entry`.
        ExceptionKind::Undefined | ExceptionKind::PrefetchAbort | ExceptionKind::DataAbort
            if mode == Mode::User =>
        {
            running::on_user_fault(user_fault(kind, pc))
        }
        // SAFETY: a fault in the idle loop is a kernel bug; the system
        // stops here, so this reference is the last use of the frame.
        _ => unexpected(kind, unsafe { &*frame }),
    }
}

/// Rust side of a system call from user mode (the entry stub checked the
/// mode; the thread's registers are in its thread control block): handles
/// it and returns the registers to resume. The hot path: no vector or
/// mode decode.
#[no_mangle]
extern "C" fn syscall_entry() -> *mut TrapFrame {
    running::on_syscall()
}

/// The decoded cause of a user thread's fault.
fn user_fault(kind: ExceptionKind, pc: u32) -> UserFault {
    let fault = match kind {
        ExceptionKind::DataAbort => {
            Some(Fault::data_abort(Dfsr::read().raw_value(), Dfar::read().0))
        }
        ExceptionKind::PrefetchAbort => Some(Fault::prefetch_abort(
            Ifsr::read().raw_value(),
            Ifar::read().0,
        )),
        _ => None,
    };
    UserFault {
        exception: kind,
        pc,
        fault,
    }
}

/// The kernel stack overflowed into its guard page.
#[no_mangle]
extern "C" fn kernel_stack_overflow() -> ! {
    panic!(
        "kernel stack overflow (data abort at {:#x})",
        Dfar::read().0
    );
}

/// Reports an exception the kernel has no handler for, then panics.
fn unexpected(kind: ExceptionKind, frame: &TrapFrame) -> ! {
    let mode = frame.interrupted_mode().describe();
    defmt::error!(
        "unexpected {=str} in {=str} mode at pc {=u32:#x} (lr {=u32:#x}, spsr {=u32:#x})",
        kind.describe(),
        mode,
        frame.pc,
        frame.lr_svc,
        frame.spsr
    );
    let fault = match kind {
        ExceptionKind::DataAbort => {
            let dfsr = Dfsr::read().raw_value();
            Some((Fault::data_abort(dfsr, Dfar::read().0), "dfsr", dfsr))
        }
        ExceptionKind::PrefetchAbort => {
            let ifsr = Ifsr::read().raw_value();
            Some((Fault::prefetch_abort(ifsr, Ifar::read().0), "ifsr", ifsr))
        }
        _ => None,
    };
    if let Some((fault, register, status)) = fault {
        defmt::error!(
            "{=str} on {=str} of address {=u32:#x} ({=str} {=u32:#x})",
            fault.kind().describe(),
            fault.access.describe(),
            fault.address,
            register,
            status
        );
    }
    panic!("unexpected {} in {} mode", kind.describe(), mode);
}
