//! The kernel boots: banner, MMU and caches on, a periodic tick, a clean
//! shutdown — and a panic ends the run with a non-zero status. Boot
//! options reach it wherever the image lives, and a self-test image that
//! cannot read them says so and stops.

use system_tests::{
    assert_exited, assert_logged, boot, boot_elf, exit, kernel_elf_path, number_after, BootOptions,
    PANIC_EXIT_STATUS,
};

#[test]
fn boots_with_mmu_and_caches_on_and_exits_zero() {
    let report = boot("boot", None);
    let transcript = assert_exited(&report, 0);
    assert_logged(&report, "tmem-kernel 0.1.0 on vexpress-a9");
    let mmu = report
        .find("mmu: ")
        .unwrap_or_else(|| panic!("{transcript}"));
    assert!(
        mmu.contains("mmu: true, d-cache: true, i-cache: true, branch prediction: true"),
        "{mmu}"
    );
    // TTBCR.N = 1 (user half below 2 GiB) and PD0 until a partition runs.
    assert!(mmu.contains("ttbcr 0x11"), "{mmu}");
    assert_logged(&report, "shutdown: exit status 0");
}

#[test]
fn tick_interrupt_arrives_every_millisecond() {
    let report = boot("tick", None);
    let transcript = report.transcript();
    let line = report
        .find("tick: ")
        .unwrap_or_else(|| panic!("{transcript}"));
    let ticks = number_after(line, "tick:").unwrap();
    let elapsed_us = number_after(line, "interrupts in").unwrap();
    assert_eq!(ticks, 100, "{line}");
    // 100 periods of 1 ms, measured on the global timer: within 2%.
    assert!((98_000..=102_000).contains(&elapsed_us), "{line}");
}

#[test]
fn console_uart_carries_the_banner() {
    let report = boot("uart", None);
    assert!(
        report.uart.contains("tmem-kernel 0.1.0 booting"),
        "{}",
        report.transcript()
    );
}

#[test]
fn kernel_panic_logs_location_and_message_and_exits_non_zero() {
    let report = boot("panic", Some("selftest=panic"));
    let transcript = assert_exited(&report, PANIC_EXIT_STATUS);
    let panic = report
        .find("kernel panic at")
        .unwrap_or_else(|| panic!("{transcript}"));
    assert!(panic.contains("kernel/src/arch/selftest.rs:"), "{panic}");
    assert!(panic.ends_with("selftest panic requested"), "{panic}");
    assert!(report.find("shutdown").is_none(), "{transcript}");
}

#[test]
fn boot_options_reach_a_kernel_whose_path_is_long_and_has_spaces_and_commas() {
    // Issue 18: the options once rode the semihosting command line, which
    // starts with the kernel's path; from a long enough path they were
    // lost and the self test silently skipped.
    let dir = xtask::workspace::target_dir()
        .join("qemu")
        .join("long".repeat(55))
        .join("with space, and comma");
    std::fs::create_dir_all(&dir).unwrap();
    let elf = dir.join("kernel copy.elf");
    std::fs::copy(kernel_elf_path(), &elf).unwrap();
    assert!(elf.as_os_str().len() > 200, "{}", elf.display());
    let report = boot_elf(
        "long-path",
        &elf,
        BootOptions::Text("selftest=panic".into()),
    );
    assert_exited(&report, PANIC_EXIT_STATUS);
    assert_logged(&report, "boot options: selftest=panic");
    assert_logged(&report, "selftest panic requested");
    std::fs::remove_file(&elf).unwrap();
}

#[test]
fn a_self_test_image_without_its_options_block_says_so_and_stops() {
    let report = boot_elf("no-options", kernel_elf_path(), BootOptions::Missing);
    let transcript = assert_exited(&report, exit::BAD_BOOT_OPTIONS);
    let line = report
        .find("boot options: none readable at 0x6000f000")
        .unwrap_or_else(|| panic!("{transcript}"));
    assert!(line.contains("no options block"), "{line}");
    assert!(report.find("tick:").is_none(), "{transcript}");
}

#[test]
fn an_unknown_self_test_stops_the_run_instead_of_being_skipped() {
    let report = boot("unknown-selftest", Some("selftest=no-such-test"));
    assert_exited(&report, exit::BAD_BOOT_OPTIONS);
    assert_logged(&report, "selftest no-such-test: no such self test");
}
