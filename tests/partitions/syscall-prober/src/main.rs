//! Test partition: makes system calls with bad numbers and bad pointers and
//! checks that each returns the right error (and that the kernel is still
//! there to return it). Logs one line per check and a verdict.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
extern crate alloc;

#[cfg(target_os = "none")]
mod partition {
    use kernel_abi::syscall::SyscallError;
    use userlib::syscall::{self, clock_read_into, log_from, raw_number, result};
    use userlib::Start;

    userlib::entry!(main);

    #[repr(C, align(8))]
    struct Aligned([u8; 16]);
    static mut SCRATCH: Aligned = Aligned([0; 16]);
    /// A frame with a terminator in the middle: a forgery attempt.
    static FORGED: [u8; 4] = [5, 0, 5, 0];

    fn check(
        name: &str,
        got: Result<(), SyscallError>,
        want: Result<(), SyscallError>,
        failures: &mut u32,
    ) {
        let got_name = got.err().map_or("Ok", SyscallError::name);
        if got == want {
            defmt::info!("check {=str}: {=str} as expected", name, got_name);
        } else {
            let want_name = want.err().map_or("Ok", SyscallError::name);
            defmt::error!(
                "check {=str}: got {=str}, wanted {=str}",
                name,
                got_name,
                want_name
            );
            *failures += 1;
        }
    }

    fn main(_: Start) {
        use SyscallError::*;
        let scratch = core::ptr::addr_of_mut!(SCRATCH) as u32;
        let text = main as fn(Start) as *const () as usize as u32;
        let mut failures = 0;
        let f = &mut failures;
        check(
            "unknown number",
            result(raw_number(99, 0, 0)),
            Err(UnknownSyscall),
            f,
        );
        check(
            "huge number",
            result(raw_number(u32::MAX, 0, 0)),
            Err(UnknownSyscall),
            f,
        );
        check("null pointer", clock_read_into(0), Err(NullPointer), f);
        check(
            "unaligned pointer",
            clock_read_into(scratch + 1),
            Err(Unaligned),
            f,
        );
        check(
            "kernel pointer",
            clock_read_into(0xC000_0000),
            Err(KernelAddress),
            f,
        );
        check(
            "pointer wrapping into the kernel",
            log_from(0x7FFF_FFF0, 0x100),
            Err(KernelAddress),
            f,
        );
        check(
            "unmapped pointer",
            clock_read_into(0x4000_0000),
            Err(Unmapped),
            f,
        );
        check(
            "read-only memory for a write",
            clock_read_into(text & !7),
            Err(ReadOnly),
            f,
        );
        check(
            "forged log frame",
            log_from(FORGED.as_ptr() as u32, 4),
            Err(InvalidArgument),
            f,
        );
        check(
            "oversized log frame",
            log_from(scratch, 0x1_0000),
            Err(InvalidArgument),
            f,
        );
        check("null log buffer", log_from(0, 4), Err(NullPointer), f);
        check("valid clock read", clock_read_into(scratch), Ok(()), f);
        let squares: alloc::vec::Vec<u32> = (0..1000).map(|i| i * i).collect();
        let sum: u32 = squares.iter().sum();
        if sum == 332_833_500 {
            defmt::info!("check heap: a vector of 1000 squares sums as expected");
        } else {
            defmt::error!("check heap: sum {=u32}", sum);
            failures += 1;
        }
        if failures == 0 {
            defmt::info!("syscall probe: all checks passed");
        } else {
            defmt::error!("syscall probe: {=u32} checks failed", failures);
        }
        let _ = syscall::clock_us();
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-syscall-prober is a partition for the system tests");
}
