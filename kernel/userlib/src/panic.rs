//! A panicking thread reports where and why through the log, then ends.
//! Other threads of the partition keep running; a panic never takes the
//! kernel or another partition with it.

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let (file, line) = info
        .location()
        .map_or(("<unknown>", 0), |l| (l.file(), l.line()));
    defmt::error!(
        "panic at {=str}:{=u32}: {}",
        file,
        line,
        defmt::Display2Format(&info.message())
    );
    crate::syscall::thread_exit()
}
