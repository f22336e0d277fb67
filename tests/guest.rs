//! Guest address spaces, thread control and exception IPC (issue 12): a
//! guest kernel (tests/partitions/guest-kernel) loads seven processes from
//! their ELF images into address spaces of their own and serves their
//! system calls and page faults; processes that read memory that is not
//! theirs fault and their guest kernel is told; a looping process keeps
//! to its guest kernel's windows; bad arguments are refused; and revoking
//! a frame mapped into three processes unmaps it from all three.

use system_tests::{assert_exited, assert_logged, boot_system, exit, number_after, Source};

#[test]
fn a_guest_kernel_runs_its_processes_and_the_kernel_holds_them_to_their_spaces() {
    let report = boot_system("guest");
    let transcript = assert_exited(&report, exit::CLEAN);
    let kernel = report.messages_from(Source::Partition(0));
    let has = |line: &str| kernel.contains(&line);
    let starting = |prefix: &str| kernel.iter().filter(|m| m.starts_with(prefix)).count();

    // Served system calls, demand paging and exit codes.
    for line in [
        "process 0: hello from the first process",
        // A process's `svc` is its guest kernel's, whatever the number:
        // 5 is the kernel's `call`, but a process has no capabilities.
        "process 0: unknown system call 5",
        "process 0 exited with code 0x0",
        "process 1: second process: wrote and read back three demand-mapped pages",
        "process 1 exited with code 0x6",
        "process 2: third process: the clock advanced while it spun",
        "process 2 exited with code 0x3",
    ] {
        assert!(has(line), "missing {line:?}\n{transcript}");
    }
    // Another process's memory, the guest kernel's, the kernel's: each
    // faults, and the guest kernel is told the address.
    for prefix in [
        "process 3 faulted: read of 0x10000 ",
        "process 4 faulted: read of 0x100000 ",
        "process 5 faulted: read of 0xc0000000 ",
    ] {
        assert_eq!(starting(prefix), 1, "missing {prefix:?}\n{transcript}");
    }
    // The looper ran in the guest kernel's windows and the counter beside
    // it finished its work in its own.
    assert!(
        starting("looping process suspended at pc 0x6000") == 1,
        "{transcript}"
    );
    let counter = report.messages_from(Source::Partition(2));
    assert!(
        counter.iter().any(|m| m.starts_with("counted ")),
        "{transcript}"
    );
    let summary = report
        .find("partition counter: finished, ")
        .unwrap_or_else(|| panic!("no summary\n{transcript}"));
    let windows = number_after(summary, "finished, ");
    let running = number_after(summary, "of windows, ");
    assert!(
        windows.is_some_and(|w| w >= 40) && running == windows,
        "the counter ran in every millisecond of its windows: {summary}"
    );

    // Bad arguments.
    for line in [
        "foreign address space received: true",
        "check bind to another partition's space: WrongPartition",
        "check reset another partition's space: WrongPartition",
        "check map a frame it does not hold: EmptySlot",
        "check map at an unaligned address: Unaligned",
        "check map in the kernel half: KernelAddress",
        "check map at kernel memory: KernelAddress",
        "check map writable and executable: InvalidArgument",
        "check map writable through a read-only frame: MissingRights",
        "check map a good page: ok",
        "check map it again elsewhere: SlotOccupied",
        "check unmap it: ok",
        "check raise a process above the guest kernel: InvalidArgument",
        // 16 tables, 7 in use by the seven processes.
        "page-table budget: 9 more tables, then NoPageTable",
        "check reset: ok",
        "check map after the reset: ok",
    ] {
        assert!(has(line), "missing {line:?}\n{transcript}");
    }
    assert!(
        report
            .messages_from(Source::Partition(1))
            .contains(&"address space handed over"),
        "{transcript}"
    );

    // One frame in three processes: each reads it, then after the revoke
    // each faults on it, and the revoked copies are gone.
    assert_eq!(
        kernel
            .iter()
            .filter(|m| m.ends_with("exited with code 0x5eed"))
            .count(),
        3,
        "{transcript}"
    );
    assert!(has("check revoke the shared frame: ok"), "{transcript}");
    assert!(has("check map a revoked copy: EmptySlot"), "{transcript}");
    for k in 0..3 {
        let prefix = format!("process {k} faulted: read of 0x70000 ");
        assert_eq!(starting(&prefix), 1, "missing {prefix:?}\n{transcript}");
    }
    assert!(
        has("process 3: undefined instruction at 0x40000, killed"),
        "{transcript}"
    );
    assert!(has("guest kernel: done"), "{transcript}");
    assert!(report.find("failed").is_none(), "{transcript}");
    assert_logged(&report, "kernel invariants hold");
}

#[test]
fn stopping_a_guest_kernel_stops_its_processes() {
    let report = boot_system("guest-stop");
    let transcript = assert_exited(&report, exit::PARTITION_FAULT);
    assert_logged(&report, "the looper runs; the guest kernel now faults");
    assert_logged(&report, "partition guest-kernel stopped");
    // The counter runs on for 150 ms; had the looper outlived its guest
    // kernel, it would have run in every one of the guest kernel's
    // windows since.
    let summary = report
        .find("partition guest-kernel: stopped, ")
        .unwrap_or_else(|| panic!("no summary\n{transcript}"));
    let windows = number_after(summary, "stopped, ").unwrap_or(0);
    let running = number_after(summary, "of windows, ").unwrap_or(u64::MAX);
    assert!(
        windows >= 60 && running <= 15,
        "the guest kernel's windows went unused after the stop: {summary}"
    );
    assert_logged(&report, "kernel invariants hold");
}
