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

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use platform::QemuMachine;

use crate::Error;

/// One QEMU invocation.
#[derive(Clone, Debug)]
pub struct QemuRun {
    /// The emulated machine.
    pub machine: QemuMachine,
    /// The kernel ELF.
    pub kernel: PathBuf,
    /// The semihosting command line (`-append`).
    pub append: Option<String>,
    /// Where the console UART is written.
    pub uart_log: PathBuf,
    /// Wait for gdb on this TCP port before starting.
    pub gdb_port: Option<u16>,
    /// Extra arguments, last, as given.
    pub extra: Vec<String>,
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
        if let Some(append) = &self.append {
            args.push("-append".into());
            args.push(append.clone());
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
        if let Some(dir) = self.uart_log.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let mut child = Command::new(qemu)
            .args(self.args())
            // QEMU 7.2's vexpress has a sound chip with no audiodev property
            // to set; this is the way to keep it silent there.
            .env("QEMU_AUDIO_DRV", "none")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> QemuRun {
        QemuRun {
            machine: platform::boards::VEXPRESS_A9.qemu.unwrap(),
            kernel: "/img/kernel.elf".into(),
            append: None,
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
        ] {
            assert!(args.contains(expected), "missing {expected:?} in {args}");
        }
        assert!(!args.contains("-gdb") && !args.contains("-append"));
    }

    #[test]
    fn gdb_waits_and_extra_arguments_come_last() {
        let mut r = run();
        r.gdb_port = Some(1234);
        r.append = Some("selftest=panic".into());
        r.extra = vec!["-d".into(), "int".into()];
        let args = r.args();
        let joined = args.join(" ");
        assert!(joined.contains("-gdb tcp::1234 -S"));
        assert!(joined.contains("-append selftest=panic"));
        assert_eq!(&args[args.len() - 2..], ["-d", "int"]);
    }
}
