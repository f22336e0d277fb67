//! Unexpected exceptions in the kernel are reported with their decoded
//! cause, the mode, the pc and the fault address, and end the run with a
//! non-zero status.

use system_tests::{assert_exited, assert_logged, boot, hex_after, kernel_elf, PANIC_EXIT_STATUS};

/// The unmapped kernel address the self tests touch (layout: the section
/// after the RAM window at 0xF100_0000, unmapped whatever RAM there is).
const UNMAPPED: u64 = 0xF110_0000;

fn text_range() -> std::ops::Range<u64> {
    let elf = kernel_elf();
    elf.symbol("__text_start").unwrap()..elf.symbol("__text_end").unwrap()
}

#[test]
fn undefined_instruction_reports_mode_and_pc_in_kernel_text() {
    let report = boot("undef", Some("selftest=undefined-instruction"));
    let transcript = assert_exited(&report, PANIC_EXIT_STATUS);
    let line = report
        .find("unexpected undefined instruction in svc mode")
        .unwrap_or_else(|| panic!("{transcript}"));
    let pc = hex_after(line, "at pc").unwrap();
    assert!(
        text_range().contains(&pc),
        "pc {pc:#x} outside kernel text: {line}"
    );
    assert_eq!(pc % 4, 0, "{line}");
}

#[test]
fn data_abort_is_decoded_with_address_and_access() {
    let report = boot("dabt", Some("selftest=data-abort"));
    let transcript = assert_exited(&report, PANIC_EXIT_STATUS);
    assert_logged(&report, "unexpected data abort in svc mode");
    let line = report
        .find("translation fault (section) on read of address")
        .unwrap_or_else(|| panic!("{transcript}"));
    assert_eq!(hex_after(line, "of address"), Some(UNMAPPED), "{line}");
    assert_eq!(hex_after(line, "dfsr"), Some(0x5), "{line}");
}

#[test]
fn prefetch_abort_is_decoded_with_address() {
    let report = boot("pabt", Some("selftest=prefetch-abort"));
    let transcript = assert_exited(&report, PANIC_EXIT_STATUS);
    let line = report
        .find("translation fault (section) on execute of address")
        .unwrap_or_else(|| panic!("{transcript}"));
    assert_eq!(hex_after(line, "of address"), Some(UNMAPPED), "{line}");
    let report_line = report.find("unexpected prefetch abort").unwrap();
    assert_eq!(
        hex_after(report_line, "at pc"),
        Some(UNMAPPED),
        "{report_line}"
    );
}

#[test]
fn kernel_stack_overflow_hits_the_guard_page_and_is_reported() {
    let report = boot("stack-overflow", Some("selftest=stack-overflow"));
    let transcript = assert_exited(&report, PANIC_EXIT_STATUS);
    let line = report
        .find("kernel stack overflow")
        .unwrap_or_else(|| panic!("{transcript}"));
    let guard = kernel_elf().symbol("__svc_stack_guard").unwrap();
    let address = hex_after(line, "data abort at").unwrap();
    assert!((guard..guard + 4096).contains(&address), "{line}");
}
