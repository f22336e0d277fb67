//! Shared harness for the system tests: build a test image once per test
//! binary, boot it in QEMU with a timeout, and hand back the decoded log.
//!
//! It never installs anything (`cargo xtask test` provisions first) and
//! never retries: a run that hangs fails its test at the timeout.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use xtask::image::{KernelImage, Profile};
use xtask::session::{Boot, BootReport};
use xtask::system::build_system;
use xtask::toolchain::{self, Install, Toolchain};

pub use kernel_abi::exit;
pub use kernel_abi::log_stream::Source;
pub use xtask::elf::ElfInfo;
pub use xtask::qemu::{BootOptions, Outcome};

/// Longest any single boot may take (wall clock) before it counts as hung.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(60);

/// Exit status of a kernel panic.
pub const PANIC_EXIT_STATUS: i32 = exit::KERNEL_PANIC;

struct Built {
    toolchain: Toolchain,
    qemu: PathBuf,
    elf: PathBuf,
}

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let toolchain = Toolchain::detect(Install::Never)
            .unwrap_or_else(|e| panic!("{e} (run the tests with `cargo xtask test`)"));
        let qemu = toolchain::qemu(Install::Never)
            .unwrap_or_else(|e| panic!("{e} (run the tests with `cargo xtask test`)"));
        let image = KernelImage {
            board: &platform::boards::VEXPRESS_A9,
            profile: Profile::Debug,
            selftests: true,
            system: None,
            features: Vec::new(),
        };
        let elf = image.build(&toolchain).unwrap_or_else(|e| panic!("{e}"));
        Built {
            toolchain,
            qemu,
            elf,
        }
    })
}

/// The test image's ELF.
pub fn kernel_elf() -> ElfInfo {
    ElfInfo::read(&built().elf).unwrap_or_else(|e| panic!("{e}"))
}

/// Boots the test kernel on vexpress-a9 with `options` as its boot
/// options (`selftest=NAME`), and returns what it logged. `name` names the
/// run's files.
pub fn boot(name: &str, options: Option<&str>) -> BootReport {
    let options = BootOptions::Text(options.unwrap_or_default().to_string());
    boot_elf(name, &built().elf, options)
}

/// Boots the kernel ELF at `elf` (the test kernel, perhaps copied
/// elsewhere) with `options`, and returns what it logged.
pub fn boot_elf(name: &str, elf: &Path, options: BootOptions) -> BootReport {
    let built = built();
    let boot = Boot {
        board: &platform::boards::VEXPRESS_A9,
        kernel: elf,
        partitions: Vec::new(),
        options,
        name: format!("test-{name}"),
        timeout: Some(BOOT_TIMEOUT),
        gdb_port: None,
        extra: Vec::new(),
        quiet: true,
    };
    boot.run(&built.qemu, |_| {})
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Where the test kernel's ELF was built.
pub fn kernel_elf_path() -> &'static Path {
    &built().elf
}

/// Builds the system described in `tests/systems/NAME.toml` (or
/// `systems/NAME.toml`), boots it, and returns what it logged.
pub fn boot_system(name: &str) -> BootReport {
    boot_system_file(&system_file(name), name, BOOT_TIMEOUT)
}

/// Where the system `NAME` is described: `tests/systems/NAME.toml`, or
/// else `systems/NAME.toml`.
pub fn system_file(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("systems").join(format!("{name}.toml"));
    if file.is_file() {
        file
    } else {
        root.join("../systems").join(format!("{name}.toml"))
    }
}

/// Builds the system described in `file`, boots it with `timeout`, and
/// returns what it logged; `name` names the run's files.
pub fn boot_system_file(file: &Path, name: &str, timeout: Duration) -> BootReport {
    boot_system_with(file, name, timeout, Vec::new(), None)
}

/// The SD card a system test boots with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disk<'a> {
    /// No card in the slot (no `-drive if=sd`).
    None,
    /// A new empty image at this path, of the size the description needs.
    Fresh(&'a Path),
    /// The image already at this path, kept from an earlier boot.
    Kept(&'a Path),
}

/// Builds the system `NAME` (as [`system_file`] finds it), boots it with
/// `disk` as its SD card and `extra` QEMU arguments, and returns what it
/// logged and how long the boot took in host time (building excluded).
pub fn boot_system_with_disk(name: &str, disk: Disk<'_>, extra: &[&str]) -> (BootReport, Duration) {
    let file = system_file(name);
    let mut args: Vec<String> = extra.iter().map(|a| a.to_string()).collect();
    let path = match disk {
        Disk::None => None,
        Disk::Fresh(path) => Some((path, true)),
        Disk::Kept(path) => Some((path, false)),
    };
    if let Some((path, fresh)) = path {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
        let description =
            xtask::system::validate::parse(&file, &text).unwrap_or_else(|e| panic!("{e}"));
        let plan = xtask::system::disk::check(&file, &description)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("{} has no [[disk]]", file.display()));
        xtask::disk_image::prepare(path, plan.image_bytes, fresh).unwrap_or_else(|e| panic!("{e}"));
        let files =
            xtask::fat_image::regions(&file, &description).unwrap_or_else(|e| panic!("{e}"));
        xtask::disk_image::write_regions(path, &files).unwrap_or_else(|e| panic!("{e}"));
        args.extend(xtask::disk_image::qemu_args(path));
    }
    let mut host_time = Duration::ZERO;
    let report = boot_system_with(&file, name, BOOT_TIMEOUT, args, Some(&mut host_time));
    (report, host_time)
}

/// Builds the system `NAME`, boots it with a new empty SD card image
/// (kept at [`disk_path`]`(NAME)` for the test to read), and returns what
/// it logged and how long the boot took in host time.
pub fn boot_system_on_fresh_disk(name: &str) -> (BootReport, Duration) {
    boot_system_with_disk(name, Disk::Fresh(&disk_path(name)), &[])
}

/// Where system tests keep the disk image named `name`.
pub fn disk_path(name: &str) -> PathBuf {
    xtask::workspace::target_dir()
        .join("qemu")
        .join(format!("test-{name}.disk.img"))
}

fn boot_system_with(
    file: &Path,
    name: &str,
    timeout: Duration,
    extra: Vec<String>,
    host_time: Option<&mut Duration>,
) -> BootReport {
    let built = built();
    let system = build_system(
        &built.toolchain,
        &platform::boards::VEXPRESS_A9,
        Profile::Debug,
        file,
        false,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let boot = Boot {
        board: &platform::boards::VEXPRESS_A9,
        kernel: &system.kernel,
        partitions: system.partitions.clone(),
        options: BootOptions::default(),
        name: format!("system-{name}"),
        timeout: Some(timeout),
        gdb_port: None,
        extra,
        quiet: true,
    };
    let started = std::time::Instant::now();
    let report = boot
        .run(&built.qemu, |_| {})
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(host_time) = host_time {
        *host_time = started.elapsed();
    }
    report
}

/// Parses the first `0x...` hexadecimal number after `marker` in `text`.
pub fn hex_after(text: &str, marker: &str) -> Option<u64> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let digits = rest.trim_start().strip_prefix("0x")?;
    let end = digits
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(digits.len());
    u64::from_str_radix(&digits[..end], 16).ok()
}

/// The run ended with exit status `status` (the test fails, with the
/// whole transcript, if it did not); returns the transcript.
pub fn assert_exited(report: &BootReport, status: i32) -> String {
    let transcript = report.transcript();
    assert_eq!(report.outcome, Outcome::Exited(status), "{transcript}");
    transcript
}

/// The run logged `text` somewhere (the test fails, with the whole
/// transcript, if it did not).
pub fn assert_logged(report: &BootReport, text: &str) {
    assert!(
        report.find(text).is_some(),
        "no {text:?} in:\n{}",
        report.transcript()
    );
}

/// The first decimal number after `marker` in the log line `line` (the
/// test fails, naming both, if there is none).
pub fn count_in(line: &str, marker: &str) -> u64 {
    number_after(line, marker).unwrap_or_else(|| panic!("no number after {marker:?} in: {line}"))
}

/// The tmem manager's (partition `manager`) summary row for `client` —
/// the numbers after its mode — from the row whose mode is `mode`, or
/// from the client's first row when `mode` is `None`.
pub fn tmem_row(report: &BootReport, manager: u8, client: u32, mode: Option<&str>) -> Vec<u64> {
    let rows = report.messages_from(Source::Partition(manager));
    let row = rows
        .iter()
        .find(|m| {
            let mut words = m.split_whitespace();
            words.next() == Some(&client.to_string())
                && mode.is_none_or(|mode| words.next() == Some(mode))
        })
        .unwrap_or_else(|| {
            panic!(
                "no row for client {client} ({mode:?}):\n{}",
                report.transcript()
            )
        });
    row.split_whitespace()
        .skip(2)
        .map(|n| n.parse().unwrap())
        .collect()
}

/// Parses the first decimal number after `marker` in `text`.
pub fn number_after(text: &str, marker: &str) -> Option<u64> {
    let rest = text[text.find(marker)? + marker.len()..].trim_start();
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// What the tmem manager (partition `manager`) says of the server once the
/// guests are done: the store's invariants hold, every frame the server
/// holds is reachable by it alone (a client window by its client), and its
/// count of frames agrees with the kernel's.
pub fn assert_tmem_server_consistent(report: &BootReport, manager: u8) {
    let transcript = report.transcript();
    let lines = report.messages_from(Source::Partition(manager));
    assert!(
        lines.contains(&"tmem store invariants hold"),
        "{transcript}"
    );
    assert!(
        lines.iter().any(
            |m| m.starts_with("tmem isolation:") && m.contains("reachable by the server alone")
        ),
        "a frame the server holds is reachable by another partition:\n{transcript}"
    );
    assert!(
        lines
            .iter()
            .any(|m| m.starts_with("tmem frames: the server holds")
                && m.contains("as the kernel counts")),
        "the server's frame count and the kernel's differ:\n{transcript}"
    );
}

/// The first line of `partition` that starts with `prefix` (the test
/// fails, with the whole transcript, if there is none).
pub fn line<'a>(report: &'a BootReport, partition: u8, prefix: &str) -> &'a str {
    report
        .messages_from(Source::Partition(partition))
        .into_iter()
        .find(|m| m.starts_with(prefix))
        .unwrap_or_else(|| {
            panic!(
                "no {prefix:?} from partition {partition}:\n{}",
                report.transcript()
            )
        })
}

/// The kernel's count of RAM pages at one moment ("at boot", "at the
/// end"): per partition name, and the whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Census {
    /// RAM pages each partition owns, by name.
    pub owned: std::collections::BTreeMap<String, i64>,
    /// Pages of RAM.
    pub ram: i64,
    /// Pages owned by partitions.
    pub by_partitions: i64,
    /// Pages owned by none (the kernel's own and free).
    pub by_none: i64,
}

impl Census {
    /// Every page is a partition's or no one's: the partitions' counts add
    /// up to their total, and with the unowned pages to all of RAM.
    pub fn assert_whole(&self, transcript: &str) {
        assert_eq!(
            self.owned.values().sum::<i64>(),
            self.by_partitions,
            "{transcript}"
        );
        assert_eq!(
            self.by_partitions + self.by_none,
            self.ram,
            "all of RAM: {transcript}"
        );
    }
}

/// The kernel's census `when` ("at boot", "at the end").
pub fn census(report: &BootReport, when: &str) -> Census {
    let prefix = format!("frames {when}: ");
    let mut owned = std::collections::BTreeMap::new();
    let mut whole = None;
    for m in report.messages_from(Source::Kernel) {
        let Some(rest) = m.strip_prefix(&prefix) else {
            continue;
        };
        if let Some(rest) = rest.strip_prefix("partition ") {
            let (name, count) = rest.split_once(" owns ").unwrap_or_else(|| panic!("{m}"));
            let pages = number_after(&format!("x {count}"), "x").unwrap_or_else(|| panic!("{m}"));
            owned.insert(name.to_string(), pages as i64);
        } else {
            let ram = number_after(&format!("x {rest}"), "x").unwrap_or_else(|| panic!("{m}"));
            let by_partitions =
                number_after(rest, "pages of RAM,").unwrap_or_else(|| panic!("{m}"));
            let by_none =
                number_after(rest, "owned by partitions,").unwrap_or_else(|| panic!("{m}"));
            whole = Some((ram as i64, by_partitions as i64, by_none as i64));
        }
    }
    let (ram, by_partitions, by_none) =
        whole.unwrap_or_else(|| panic!("no kernel count {when}:\n{}", report.transcript()));
    Census {
        owned,
        ram,
        by_partitions,
        by_none,
    }
}

/// For a system in which no partition gives frames to another: the
/// kernel's census at the end is the one at boot, partition by partition
/// (a stopped or restarted partition included: nothing it held leaked),
/// and each adds up to all of RAM.
pub fn assert_no_frame_leaked(report: &BootReport) {
    let transcript = report.transcript();
    let boot = census(report, "at boot");
    let end = census(report, "at the end");
    boot.assert_whole(&transcript);
    end.assert_whole(&transcript);
    assert_eq!(
        boot, end,
        "the kernel's census at the end differs from boot:\n{transcript}"
    );
}
