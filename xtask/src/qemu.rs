//! Running an image under `qemu-system-arm`.
//!
//! QEMU's stdout carries only the semihosting log stream (no monitor, no
//! display, the UART goes to a file), so it can be decoded as it arrives.
//! Runs count instructions: `-icount shift=0` makes one guest instruction
//! one nanosecond of virtual time. `sleep=on` lets virtual time pass at
//! real-time pace while the CPU idles in `wfi`: with `sleep=off`, QEMU 7.2
//! delivers a timer interrupt that arrives during `wfi` one period late
//! (measured: 100 ticks of 1 ms took 200 ms of virtual time). Benchmarks,
//! which never idle in what they measure, are unaffected either way. A run
//! with a timeout is killed when it expires, so a hung kernel fails instead
//! of hanging.
//!
//! No noise: vexpress-a9 has a sound chip (PL041), and without an audio
//! backend of its own QEMU 7.2 probes every audio driver it knows at
//! start-up, printing a "module audio-audio-pa not found" line per missing
//! module and ALSA's complaints on a machine without a sound card. Every
//! run gives the chip a silent backend ([`SILENT_AUDIO`]), which stops the
//! probing; QEMU's real errors still reach stderr.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use platform::QemuMachine;

use crate::Error;

/// A `none` audio backend and the PL041 sound chip bound to it (QEMU 7.2's
/// vexpress machine has no `audiodev` property of its own to set; a
/// `-global` reaches the chip, and an unbound chip would make QEMU probe
/// every audio driver and warn about each it lacks).
pub const SILENT_AUDIO: [&str; 4] = [
    "-audiodev",
    "none,id=silent",
    "-global",
    "pl041.audiodev=silent",
];

/// One QEMU invocation.
#[derive(Clone, Debug)]
pub struct QemuRun {
    /// The emulated machine.
    pub machine: QemuMachine,
    /// The kernel ELF.
    pub kernel: PathBuf,
    /// The kernel's boot options.
    pub options: BootOptions,
    /// Where the options block is written for QEMU to load.
    pub options_file: PathBuf,
    /// Where the console UART is written.
    pub uart_log: PathBuf,
    /// Wait for gdb on this TCP port before starting.
    pub gdb_port: Option<u16>,
    /// Extra arguments, last, as given.
    pub extra: Vec<String>,
}

/// What the kernel is handed as boot options.
///
/// Options travel as a `kernel_abi::boot_options` block that QEMU's generic
/// loader puts at the machine's `boot_options` address before the CPU
/// starts. Never the semihosting command line: that one starts with the
/// kernel's path, so its length depends on where the clone lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BootOptions {
    /// A block carrying this text (`selftest=NAME`, ...; empty for none).
    Text(String),
    /// No block at all, as a hand-written QEMU command line would have it:
    /// only for testing that the kernel says so.
    Missing,
}

impl Default for BootOptions {
    fn default() -> BootOptions {
        BootOptions::Text(String::new())
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// QEMU exited with this status (the kernel's, via semihosting).
    Exited(i32),
    /// Killed by a signal.
    Signalled,
    /// Killed by us after the timeout.
    TimedOut(Duration),
}

impl QemuRun {
    /// The full argument list.
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "-M".into(),
            self.machine.machine.into(),
            "-cpu".into(),
            self.machine.cpu.into(),
            "-m".into(),
            format!("{}M", self.machine.memory_mib),
            "-nodefaults".into(),
            "-display".into(),
            "none".into(),
            "-monitor".into(),
            "none".into(),
            "-serial".into(),
            format!("file:{}", self.uart_log.display()),
            "-semihosting-config".into(),
            "enable=on,target=native".into(),
            "-icount".into(),
            "shift=0,sleep=on".into(),
            "-kernel".into(),
            self.kernel.display().to_string(),
        ];
        args.extend(SILENT_AUDIO.iter().map(|arg| arg.to_string()));
        if let BootOptions::Text(_) = self.options {
            args.push("-device".into());
            args.push(format!(
                "loader,file={},addr={:#x},force-raw=on",
                option_value(&self.options_file.display().to_string()),
                self.machine.boot_options
            ));
        }
        if let Some(port) = self.gdb_port {
            args.push("-gdb".into());
            args.push(format!("tcp::{port}"));
            args.push("-S".into());
        }
        args.extend(self.extra.iter().cloned());
        args
    }

    /// Runs QEMU, passing each chunk of its stdout to `on_output` as it
    /// arrives. QEMU's stderr is passed through unless `quiet`, in which
    /// case it is returned.
    pub fn run(
        &self,
        qemu: &std::path::Path,
        timeout: Option<Duration>,
        quiet: bool,
        mut on_output: impl FnMut(&[u8]),
    ) -> Result<(Outcome, String), Error> {
        for file in [&self.uart_log, &self.options_file] {
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
        }
        if let BootOptions::Text(text) = &self.options {
            let block =
                kernel_abi::boot_options::encode(text).map_err(|error| Error::BadBootOptions {
                    options: text.clone(),
                    reason: format!(
                        "{} (at most {} bytes)",
                        error.describe(),
                        kernel_abi::boot_options::MAX_TEXT
                    ),
                })?;
            std::fs::write(&self.options_file, block)
                .map_err(|e| Error::io(&self.options_file, e))?;
        }
        let mut child = Command::new(qemu)
            .args(self.args())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if quiet {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .map_err(|source| Error::Spawn {
                program: qemu.display().to_string(),
                source,
            })?;
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel::<Vec<u8>>();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let stderr_reader = child.stderr.take().map(|mut stderr| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text);
                text
            })
        });
        let start = Instant::now();
        let outcome = loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(chunk) => on_output(&chunk),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().map_err(|e| Error::io(qemu, e))?;
                    break status.code().map_or(Outcome::Signalled, Outcome::Exited);
                }
            }
            if let Some(limit) = timeout {
                if start.elapsed() > limit {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Outcome::TimedOut(limit);
                }
            }
        };
        // Drain what arrived before the pipe closed.
        while let Ok(chunk) = rx.try_recv() {
            on_output(&chunk);
        }
        let _ = reader.join();
        let stderr = stderr_reader
            .and_then(|handle| handle.join().ok())
            .unwrap_or_default();
        Ok((outcome, stderr))
    }
}

/// `value` as one value of a QEMU `-device`/`-drive` style option list,
/// where a comma ends the value unless it is doubled. Every other byte
/// (spaces included) passes through: the arguments reach QEMU without a
/// shell.
pub fn option_value(value: &str) -> String {
    value.replace(',', ",,")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> QemuRun {
        QemuRun {
            machine: platform::boards::VEXPRESS_A9.qemu.unwrap(),
            kernel: "/img/kernel.elf".into(),
            options: BootOptions::default(),
            options_file: "/logs/boot.options".into(),
            uart_log: "/logs/uart.log".into(),
            gdb_port: None,
            extra: vec![],
        }
    }

    fn joined(run: &QemuRun) -> String {
        run.args().join(" ")
    }

    #[test]
    fn deterministic_headless_run_with_semihosting() {
        let args = joined(&run());
        for expected in [
            "-M vexpress-a9",
            "-cpu cortex-a9",
            "-m 256M",
            "-nodefaults",
            "-display none",
            "-serial file:/logs/uart.log",
            "-semihosting-config enable=on,target=native",
            "-icount shift=0,sleep=on",
            "-kernel /img/kernel.elf",
            "-device loader,file=/logs/boot.options,addr=0x6000f000,force-raw=on",
            "-audiodev none,id=silent -global pl041.audiodev=silent",
        ] {
            assert!(args.contains(expected), "missing {expected:?} in {args}");
        }
        assert!(!args.contains("-gdb") && !args.contains("-append"));
        let mut missing = run();
        missing.options = BootOptions::Missing;
        assert!(!joined(&missing).contains("loader"));
    }

    #[test]
    fn paths_with_spaces_and_commas_stay_one_argument_each() {
        let mut r = run();
        let dir = format!("/tmp/{}/with space,comma", "long".repeat(60));
        r.kernel = format!("{dir}/kernel.elf").into();
        r.uart_log = format!("{dir}/uart.log").into();
        r.options_file = format!("{dir}/boot.options").into();
        let args = r.args();
        let after = |flag: &str| {
            let at = args.iter().position(|a| a == flag).unwrap();
            args[at + 1].clone()
        };
        // `-kernel` and `-serial file:` take the rest of their argument
        // verbatim; only option lists need their commas doubled.
        assert_eq!(after("-kernel"), format!("{dir}/kernel.elf"));
        assert_eq!(after("-serial"), format!("file:{dir}/uart.log"));
        let loader = after("-device");
        assert!(
            loader.starts_with(&format!(
                "loader,file=/tmp/{}/with space,,comma/boot.options,addr=",
                "long".repeat(60)
            )),
            "{loader}"
        );
    }

    #[test]
    fn option_values_double_their_commas() {
        assert_eq!(option_value("a b"), "a b");
        assert_eq!(option_value("a,b,,c"), "a,,b,,,,c");
    }

    #[test]
    fn the_options_block_is_written_before_qemu_starts() {
        let dir = std::env::temp_dir().join(format!("xtask-options {}", std::process::id()));
        let mut r = run();
        r.options = BootOptions::Text("selftest=panic".into());
        r.options_file = dir.join("sub dir/boot.options");
        r.uart_log = dir.join("uart.log");
        // A program that does not exist: the block is written first.
        let result = r.run(&dir.join("no-such-qemu"), None, true, |_| {});
        assert!(matches!(result, Err(Error::Spawn { .. })));
        let block: [u8; kernel_abi::boot_options::BLOCK_SIZE] =
            std::fs::read(&r.options_file).unwrap().try_into().unwrap();
        assert_eq!(
            kernel_abi::boot_options::decode(&block),
            Ok("selftest=panic")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn overlong_options_are_refused_before_qemu_starts() {
        let mut r = run();
        r.options = BootOptions::Text("x".repeat(kernel_abi::boot_options::MAX_TEXT + 1));
        let dir = std::env::temp_dir().join(format!("xtask-long-options-{}", std::process::id()));
        r.options_file = dir.join("boot.options");
        r.uart_log = dir.join("uart.log");
        let result = r.run(&dir.join("no-such-qemu"), None, true, |_| {});
        assert!(
            matches!(result, Err(Error::BadBootOptions { .. })),
            "{result:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn qemu_starts_without_a_word_on_stderr_but_its_errors_still_show() {
        // The installed QEMU, paused at reset (-S) for a second, then
        // killed: whatever it printed on the way is noise a user would see.
        let qemu = crate::toolchain::qemu(crate::toolchain::Install::Never)
            .expect("qemu-system-arm is installed (the system tests need it too)");
        let dir = std::env::temp_dir().join(format!("xtask-quiet-{}", std::process::id()));
        let mut r = run();
        r.kernel = dir.join("kernel.bin");
        r.uart_log = dir.join("uart.log");
        r.options_file = dir.join("boot.options");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&r.kernel, [0u8; 64]).unwrap();
        r.extra = vec!["-S".into()];
        let (outcome, stderr) = r
            .run(&qemu, Some(Duration::from_secs(1)), true, |_| {})
            .unwrap();
        assert_eq!(outcome, Outcome::TimedOut(Duration::from_secs(1)));
        assert_eq!(stderr, "", "QEMU printed at start-up");
        // A real error is not silenced.
        r.extra = vec!["-no-such-option".into()];
        let (outcome, stderr) = r
            .run(&qemu, Some(Duration::from_secs(5)), true, |_| {})
            .unwrap();
        assert_ne!(outcome, Outcome::Exited(0));
        assert!(stderr.contains("no-such-option"), "{stderr}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn gdb_waits_and_extra_arguments_come_last() {
        let mut r = run();
        r.gdb_port = Some(1234);
        r.options = BootOptions::Text("selftest=panic".into());
        r.extra = vec!["-d".into(), "int".into()];
        let args = r.args();
        let joined = args.join(" ");
        assert!(joined.contains("-gdb tcp::1234 -S"));
        assert!(!joined.contains("-append"), "options never ride -append");
        assert_eq!(&args[args.len() - 2..], ["-d", "int"]);
    }
}
