//! The exception vector table and the common entry path.
//!
//! Every exception switches to Supervisor mode and pushes a
//! [`TrapFrame`] on the kernel stack (`srsdb` for the return address and
//! SPSR, then r0-r12, the SVC link register and the user sp/lr), calls
//! [`exception_entry`] with it, and returns by restoring the frame. The
//! per-mode stacks are therefore never used for frames. IRQs go to the
//! device layer; anything else the kernel does not yet expect is reported
//! with its decoded cause and ends in a panic.

use aarch32_cpu::register::{Dfar, Dfsr, Ifar, Ifsr};

use crate::exception::{ExceptionKind, TrapFrame, TRAP_FRAME_SIZE};
use crate::fault::Fault;

use super::devices;

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
    entry_stub!("__undef_entry", "4", "1"),
    entry_stub!("__svc_entry", "0", "2"),
    entry_stub!("__pabt_entry", "4", "3"),
    entry_stub!("__dabt_entry", "8", "4"),
    entry_stub!("__irq_entry", "4", "6"),
    entry_stub!("__fiq_entry", "4", "7"),
    r#"
__exception_common:
    bl      exception_entry
    ldmia   sp, {{sp, lr}}^
    nop
    add     sp, sp, #8
    pop     {{r0-r12, lr}}
    rfeia   sp!
"#,
);

const _: () = assert!(TRAP_FRAME_SIZE == 72, "entry code pushes 18 words");

/// Rust side of every exception.
#[no_mangle]
extern "C" fn exception_entry(frame: &mut TrapFrame, vector: u32) {
    match ExceptionKind::from_vector(vector) {
        Some(ExceptionKind::Irq) => devices::handle_irq(),
        Some(kind) => unexpected(kind, frame),
        None => panic!("exception entry with unknown vector {}", vector),
    }
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
            fault.kind.describe(),
            fault.access.describe(),
            fault.address,
            register,
            status
        );
    }
    panic!("unexpected {} in {} mode", kind.describe(), mode);
}
