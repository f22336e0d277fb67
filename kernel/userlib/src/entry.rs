//! `_start`: where every thread begins. The kernel has set `sp`, `r0` (the
//! thread's index), `r1` (0, reserved) and `r2`/`r3` (the partition's
//! configuration's address and length); this records the configuration
//! for [`config`](crate::config::config), calls the partition's entry
//! (named by [`entry!`](crate::entry)) and ends the thread when it returns.

core::arch::global_asm!(
    r#"
    .section .text.start, "ax"
    .arm
    .global _start
_start:
    mov     fp, #0
    mov     lr, #0
    bl      __userlib_start
1:  b       1b
"#
);

extern "C" {
    fn __partition_main(thread: u32);
}

#[no_mangle]
extern "C" fn __userlib_start(thread: u32, _reserved: u32, config: u32, config_len: u32) -> ! {
    crate::config::record(config, config_len);
    // SAFETY: `entry!` defines `__partition_main` with this signature.
    unsafe { __partition_main(thread) };
    crate::syscall::thread_exit()
}
