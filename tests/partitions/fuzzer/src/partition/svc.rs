//! Raw system calls with every argument register chosen by the caller, and
//! a check that the kernel preserved the registers it must not touch.
//!
//! userlib's wrappers put well-formed arguments in the right registers;
//! the fuzzer needs the opposite. This module must never interpret a
//! result: it only moves numbers in and out of registers.

/// What a call left in the registers.
#[derive(Clone, Copy, Debug)]
pub struct Returned {
    /// `r0`-`r6`.
    pub r: [u32; 7],
    /// `r7`, `r9`, `r10` and `r12` came back as they went in.
    pub preserved: bool,
}

impl Returned {
    /// The result code (`r0`).
    pub fn code(&self) -> u32 {
        self.r[0]
    }
}

/// Values put in registers the kernel must preserve.
const SENTINELS: [u32; 3] = [0x5E71_0009, 0x5E71_000A, 0x5E71_000C];

/// `svc #0` with `number` in `r7` and `regs` in `r0`-`r6`.
///
/// # Safety
///
/// The kernel may write memory through pointer arguments (`clock_read`)
/// and map frames where `frame_map` says: the caller must make sure no
/// argument lets it write memory this program uses other than scratch
/// space (`generate::sanitize` does this for random calls).
pub unsafe fn svc(number: u32, regs: [u32; 7]) -> Returned {
    let (r0, r1, r2, r3, r4, r5, r6, r7, r9, r10, r12): (
        u32,
        u32,
        u32,
        u32,
        u32,
        u32,
        u32,
        u32,
        u32,
        u32,
        u32,
    );
    // SAFETY: `svc #0` enters the kernel, which returns results in r0-r6
    // and must preserve every other register (checked through the
    // sentinels and r7). r6 may be LLVM's base pointer and cannot be an
    // operand, so it travels through r8 and is saved around the call by
    // hand. The caller vouches for what the kernel may write.
    unsafe {
        core::arch::asm!(
            "push {{r6}}",
            "mov r6, r8",
            "svc #0",
            "mov r8, r6",
            "pop {{r6}}",
            inout("r0") regs[0] => r0,
            inout("r1") regs[1] => r1,
            inout("r2") regs[2] => r2,
            inout("r3") regs[3] => r3,
            inout("r4") regs[4] => r4,
            inout("r5") regs[5] => r5,
            inout("r8") regs[6] => r6,
            inout("r7") number => r7,
            inout("r9") SENTINELS[0] => r9,
            inout("r10") SENTINELS[1] => r10,
            inout("r12") SENTINELS[2] => r12,
        );
    }
    Returned {
        r: [r0, r1, r2, r3, r4, r5, r6],
        preserved: r7 == number && [r9, r10, r12] == SENTINELS,
    }
}

/// `svc #0x123456` — Arm's semihosting call in ARM state — with `r0`
/// `operation`, `r1` `parameter` and `number` in `r7`. From user mode QEMU
/// must leave it to the kernel as an ordinary system call; if it ran the
/// operation instead, a partition could end the run (`SYS_EXIT`).
///
/// # Safety
///
/// As [`svc`], for the kernel's reading of `r0`-`r1` as `number`'s
/// arguments.
pub unsafe fn semihosting_svc(number: u32, operation: u32, parameter: u32) -> Returned {
    let (r0, r1, r7): (u32, u32, u32);
    // SAFETY: as in `svc`; only r0, r1 and r7 carry anything, and the
    // kernel returns a result in r0 (r1-r6 may change: declared clobbered).
    unsafe {
        core::arch::asm!(
            "push {{r6}}",
            "svc #0x123456",
            "pop {{r6}}",
            inout("r0") operation => r0,
            inout("r1") parameter => r1,
            inout("r7") number => r7,
            out("r2") _,
            out("r3") _,
            out("r4") _,
            out("r5") _,
            out("r8") _,
        );
    }
    Returned {
        r: [r0, r1, 0, 0, 0, 0, 0],
        preserved: r7 == number,
    }
}
