//! The kernel image: `kmain`, the boot sequence after `_start`.
//!
//! Built only for `armv7a-none-eabi` (see `cargo xtask build`); on the host
//! this binary just explains that. It must stay a short, readable sequence
//! of calls into the kernel library.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod image {
    use kernel::arch::{cpu, debug, devices, mmu, running};
    use platform::BOARD;

    /// Ticks the boot run waits for before shutting down.
    const BOOT_TICKS: u64 = 100;

    #[no_mangle]
    extern "C" fn kmain() -> ! {
        let space = match mmu::install_kernel_space() {
            Ok(space) => space,
            Err(error) => panic!("cannot build the kernel space: {:?}", error),
        };
        if let Err(error) = devices::init() {
            panic!("cannot bring up devices: {:?}", error);
        }
        devices::console_write(concat!(
            "tmem-kernel ",
            env!("CARGO_PKG_VERSION"),
            " booting\n"
        ));
        defmt::info!(
            "tmem-kernel {=str} on {=str}: {=usize} MiB RAM at {=usize:#x}",
            env!("CARGO_PKG_VERSION"),
            BOARD.name,
            BOARD.ram.size >> 20,
            BOARD.ram.base
        );
        defmt::info!(
            "kernel space: L1 table at {=usize:#x}, {=usize} page tables for the image",
            space.l1_physical,
            space.image_tables
        );
        let mmu = mmu::state();
        defmt::info!(
            "mmu: {=bool}, d-cache: {=bool}, i-cache: {=bool}, branch prediction: {=bool}, ttbcr {=u32:#x}, ttbr1 {=u32:#x}",
            mmu.mmu,
            mmu.dcache,
            mmu.icache,
            mmu.branch_prediction,
            mmu.ttbcr,
            mmu.ttbr1
        );

        if running::has_system() {
            if let Err(error) = running::boot() {
                panic!("cannot start the system: {:?}", error);
            }
            running::start();
        }

        cpu::enable_interrupts();
        run_selftest();

        // Spin rather than `wfi`: time that passes executing instructions is
        // exact under QEMU's `-icount`, while idle time follows the host's
        // clock (`sleep=on`) and stretches when the host is busy.
        let start = devices::uptime_us();
        while devices::ticks() < BOOT_TICKS {
            core::hint::spin_loop();
        }
        let elapsed = devices::uptime_us() - start;
        defmt::info!(
            "tick: {=u64} interrupts in {=u64} us (period {=u32} us)",
            devices::ticks(),
            elapsed,
            devices::TICK_PERIOD_US
        );
        defmt::info!("shutdown: exit status 0");
        debug::exit(0)
    }

    #[cfg(feature = "selftests")]
    fn run_selftest() {
        let mut buf = [core::mem::MaybeUninit::uninit(); 128];
        let line = debug::command_line(&mut buf).unwrap_or("");
        for word in line.split_ascii_whitespace() {
            if let Some(name) = word.strip_prefix("selftest=") {
                kernel::arch::selftest::run(name);
            }
        }
    }

    #[cfg(not(feature = "selftests"))]
    fn run_selftest() {}
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("the kernel runs on armv7a-none-eabi; boot it with `cargo xtask run-qemu`");
    std::process::exit(2);
}
