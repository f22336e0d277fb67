//! The kernel boots: banner, MMU and caches on, a periodic tick, a clean
//! shutdown — and a panic ends the run with a non-zero status.

use system_tests::{boot, number_after, Outcome, PANIC_EXIT_STATUS};

#[test]
fn boots_with_mmu_and_caches_on_and_exits_zero() {
    let report = boot("boot", None);
    let transcript = report.transcript();
    assert_eq!(report.outcome, Outcome::Exited(0), "{transcript}");
    assert!(
        report.find("tmem-kernel 0.1.0 on vexpress-a9").is_some(),
        "{transcript}"
    );
    let mmu = report
        .find("mmu: ")
        .unwrap_or_else(|| panic!("{transcript}"));
    assert!(
        mmu.contains("mmu: true, d-cache: true, i-cache: true, branch prediction: true"),
        "{mmu}"
    );
    // TTBCR.N = 1 (user half below 2 GiB) and PD0 until a partition runs.
    assert!(mmu.contains("ttbcr 0x11"), "{mmu}");
    assert!(
        report.find("shutdown: exit status 0").is_some(),
        "{transcript}"
    );
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
    let transcript = report.transcript();
    assert_eq!(
        report.outcome,
        Outcome::Exited(PANIC_EXIT_STATUS),
        "{transcript}"
    );
    let panic = report
        .find("kernel panic at")
        .unwrap_or_else(|| panic!("{transcript}"));
    assert!(panic.contains("kernel/src/arch/selftest.rs:"), "{panic}");
    assert!(panic.ends_with("selftest panic requested"), "{panic}");
    assert!(report.find("shutdown").is_none(), "{transcript}");
}
