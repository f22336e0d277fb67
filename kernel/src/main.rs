//! The kernel image: `kmain`, the boot sequence after `_start`.
//!
//! Built only for `armv7a-none-eabi` (see `cargo xtask build`); on the host
//! this binary just explains that. It must stay a short, readable sequence
//! of calls into the kernel library.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod image {
    use kernel::arch::debug::OptionsUnavailable;
    use kernel::arch::{cpu, debug, devices, mmu, ram, running};
    use kernel_abi::{boot_options, exit};
    use platform::BOARD;

    /// Ticks the boot run waits for before shutting down.
    const BOOT_TICKS: u64 = 100;

    #[no_mangle]
    extern "C" fn kmain() -> ! {
        let detected = ram::detect();
        let space = match mmu::install_kernel_space(detected.end) {
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
            (detected.end - BOARD.ram.base) >> 20,
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

        let mut options_block = [0u8; boot_options::BLOCK_SIZE];
        let options = read_options(&mut options_block);

        if running::has_system() {
            if let Err(error) = running::boot(detected) {
                panic!("cannot start the system: {:?}", error);
            }
            running::start();
        }

        cpu::enable_interrupts();
        run_selftest(options);

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

    /// The boot options the host passed, or none. A missing or damaged
    /// options block on a board whose host passes one is an error said
    /// out loud; a self-test image stops there (it would otherwise run
    /// something other than the test that was asked for).
    fn read_options(block: &mut [u8; boot_options::BLOCK_SIZE]) -> &str {
        match debug::boot_options(block) {
            Ok(text) => {
                if !text.is_empty() {
                    defmt::info!("boot options: {=str}", text);
                }
                text
            }
            Err(OptionsUnavailable::NoHost) => "",
            Err(OptionsUnavailable::Unreadable(error)) => {
                defmt::error!(
                    "boot options: none readable at {=usize:#x}: {=str}; the host must load an options block there (xtask passes QEMU `-device loader,file=OPTIONS,addr={=usize:#x},force-raw=on`)",
                    options_address(),
                    error.describe(),
                    options_address()
                );
                if cfg!(feature = "selftests") {
                    defmt::error!(
                        "boot options: a self-test image cannot run without them; exit status {=i32}",
                        exit::BAD_BOOT_OPTIONS
                    );
                    debug::exit(exit::BAD_BOOT_OPTIONS);
                }
                ""
            }
        }
    }

    fn options_address() -> usize {
        BOARD.qemu.map_or(0, |qemu| qemu.boot_options)
    }

    #[cfg(feature = "selftests")]
    fn run_selftest(options: &str) {
        if let Some(name) = boot_options::value(options, "selftest") {
            kernel::arch::selftest::run(name);
        }
    }

    #[cfg(not(feature = "selftests"))]
    fn run_selftest(_options: &str) {}
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("the kernel runs on armv7a-none-eabi; boot it with `cargo xtask run-qemu`");
    std::process::exit(2);
}
