//! Partitions run in user mode in their own address spaces and time
//! windows: they share the CPU in their windows' ratio, a faulting
//! partition is stopped and reported while the others finish, and bad
//! system-call arguments get errors, never a kernel panic.

use system_tests::{
    assert_exited, assert_logged, boot_system, exit, hex_after, number_after, Source,
};

/// The counts a counter partition reported.
fn counted(report: &xtask::session::BootReport, partition: u8) -> u64 {
    let lines = report.messages_from(Source::Partition(partition));
    let line = lines
        .iter()
        .find(|m| m.starts_with("counted"))
        .unwrap_or_else(|| {
            panic!(
                "partition {partition} reported no count:\n{}",
                report.transcript()
            )
        });
    number_after(line, "counted").unwrap()
}

#[test]
fn windows_in_a_1_to_3_ratio_give_progress_in_that_ratio() {
    let report = boot_system("windows");
    let transcript = assert_exited(&report, exit::CLEAN);
    let light = counted(&report, 0) as f64;
    let heavy = counted(&report, 1) as f64;
    let ratio = heavy / light;
    // Stated tolerance: within 10% of 3.
    assert!(
        (2.7..=3.3).contains(&ratio),
        "heavy/light = {ratio:.3}\n{transcript}"
    );
    // The kernel's own accounting agrees.
    let light_ms = report.find("partition light: finished, ").unwrap();
    let heavy_ms = report.find("partition heavy: finished, ").unwrap();
    let running = |line: &str| number_after(line, "windows,").unwrap() as f64;
    let kernel_ratio = running(heavy_ms) / running(light_ms);
    assert!(
        (2.7..=3.3).contains(&kernel_ratio),
        "{light_ms} / {heavy_ms}"
    );
}

#[test]
fn faulting_partitions_are_stopped_and_reported_and_the_others_finish() {
    let report = boot_system("faults");
    let transcript = assert_exited(&report, exit::PARTITION_FAULT);
    let fault_line = |partition: &str| {
        let prefix = format!("partition {partition}: ");
        report
            .messages()
            .into_iter()
            .find(|m| m.starts_with(&prefix) && m.contains(" of address "))
            .unwrap_or_else(|| panic!("no fault report for {partition}:\n{transcript}"))
            .to_string()
    };
    for partition in ["kernel-read", "unmapped-read", "text-write", "undefined"] {
        let stopped = report
            .find(&format!(
                "partition {partition} stopped: thread main took a"
            ))
            .unwrap_or_else(|| panic!("{partition} not stopped:\n{transcript}"));
        let pc = hex_after(stopped, "at pc").unwrap();
        assert!((0x10_0000..0x11_0000).contains(&pc), "{stopped}");
    }
    let kernel_read = fault_line("kernel-read");
    // The kernel's first megabyte is mapped with pages, the rest with
    // sections: either way user mode gets a permission fault.
    assert!(kernel_read.contains("permission fault ("), "{kernel_read}");
    assert!(
        kernel_read.ends_with("on read of address 0xc0000000"),
        "{kernel_read}"
    );
    let unmapped = fault_line("unmapped-read");
    assert!(
        unmapped.contains("translation fault (section) on read of address 0x40000000"),
        "{unmapped}"
    );
    let text = fault_line("text-write");
    assert!(
        text.contains("permission fault (page) on write of address 0x10"),
        "{text}"
    );
    assert_logged(&report, "partition undefined: undefined instruction");
    // None of them got past its fault.
    for partition in 0..4 {
        let lines = report.messages_from(Source::Partition(partition));
        assert_eq!(
            lines.len(),
            1,
            "partition {partition} went on after its fault: {lines:?}"
        );
    }
    let panicker = report.messages_from(Source::Partition(4));
    let panic = panicker
        .iter()
        .find(|m| m.starts_with("panic at "))
        .unwrap_or_else(|| panic!("{transcript}"));
    assert!(
        panic.contains("fault-injector/src/main.rs:") && panic.ends_with("requested panic"),
        "{panic}"
    );
    assert_logged(&report, "partition panicker: finished");
    assert!(counted(&report, 5) > 0);
    assert_logged(&report, "partition survivor: finished");
}

#[test]
fn bad_system_call_arguments_return_errors() {
    let report = boot_system("syscalls");
    let transcript = assert_exited(&report, exit::CLEAN);
    let prober = report.messages_from(Source::Partition(0));
    let checks: Vec<_> = prober.iter().filter(|m| m.starts_with("check ")).collect();
    assert_eq!(checks.len(), 13, "{transcript}");
    assert!(
        checks.iter().all(|m| m.ends_with("as expected")),
        "{checks:#?}"
    );
    assert!(
        prober.contains(&"syscall probe: all checks passed"),
        "{transcript}"
    );
    assert!(counted(&report, 1) > 0, "the other partition is unharmed");
}

#[test]
fn a_monitor_with_partition_control_reads_and_stops_another_partition() {
    let report = boot_system("monitor");
    let transcript = assert_exited(&report, exit::PARTITION_FAULT);
    assert_eq!(
        report.messages_from(Source::Partition(0)),
        [
            "monitor: partition 1 before: state 0",
            "monitor: stopped partition 1",
            "monitor: partition 1 after: state 2",
            "monitor: no partition 7: InvalidArgument",
        ],
        "{transcript}"
    );
    assert_logged(&report, "partition worker stopped by monitor monitor");
}
