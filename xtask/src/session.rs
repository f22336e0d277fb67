//! One boot of an image under QEMU with its log decoded as it arrives: what
//! `cargo xtask run-qemu` shows live and what system tests assert on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kernel_abi::log_stream::Source;
use platform::Board;

use crate::logstream::{LogDecoder, LogEvent};
use crate::qemu::{BootOptions, Outcome, QemuRun};
use crate::{workspace, Error};

/// How to boot.
#[derive(Clone, Debug)]
pub struct Boot<'a> {
    /// The board (must have a QEMU model).
    pub board: &'static Board,
    /// The kernel ELF.
    pub kernel: &'a Path,
    /// Each partition's name and ELF, in partition order (for decoding
    /// their logs).
    pub partitions: Vec<(String, PathBuf)>,
    /// The kernel's boot options (`selftest=NAME`, ...).
    pub options: BootOptions,
    /// A name for this run's files under `target/qemu/`.
    pub name: String,
    /// Kill the run after this long.
    pub timeout: Option<Duration>,
    /// Wait for gdb on this port.
    pub gdb_port: Option<u16>,
    /// Extra QEMU arguments.
    pub extra: Vec<String>,
    /// Capture QEMU's stderr instead of passing it through.
    pub quiet: bool,
}

/// What a boot produced.
#[derive(Clone, Debug)]
pub struct BootReport {
    /// How it ended.
    pub outcome: Outcome,
    /// Every decoded log event, in order.
    pub events: Vec<LogEvent>,
    /// The console UART's output.
    pub uart: String,
    /// Where the UART output was written.
    pub uart_log: PathBuf,
    /// QEMU's stderr, when captured.
    pub stderr: String,
}

impl BootReport {
    /// The decoded log lines' messages, in order.
    pub fn messages(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter_map(|event| match event {
                LogEvent::Line(line) => Some(line.message.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The first message containing `needle`.
    pub fn find(&self, needle: &str) -> Option<&str> {
        self.messages().into_iter().find(|m| m.contains(needle))
    }

    /// The messages logged by `source`, in order.
    pub fn messages_from(&self, source: Source) -> Vec<&str> {
        self.events
            .iter()
            .filter_map(|event| match event {
                LogEvent::Line(line) if line.source == source => Some(line.message.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Everything, for a failing test's message.
    pub fn transcript(&self) -> String {
        let mut text = format!("outcome: {:?}\n", self.outcome);
        for event in &self.events {
            text.push_str(&event.to_string());
            text.push('\n');
        }
        text.push_str("--- uart ---\n");
        text.push_str(&self.uart);
        if !self.stderr.is_empty() {
            text.push_str("\n--- qemu stderr ---\n");
            text.push_str(&self.stderr);
        }
        text
    }
}

impl Boot<'_> {
    /// Boots, calling `on_event` for each log event as it is decoded.
    pub fn run(
        &self,
        qemu: &Path,
        mut on_event: impl FnMut(&LogEvent),
    ) -> Result<BootReport, Error> {
        let machine = self
            .board
            .qemu
            .ok_or_else(|| Error::NotEmulated(self.board.name.to_string()))?;
        let mut decoder = LogDecoder::new();
        decoder.add_elf(Source::Kernel, self.kernel)?;
        for (index, (name, elf)) in self.partitions.iter().enumerate() {
            let index = u8::try_from(index).map_err(|_| Error::BadElf {
                path: elf.clone(),
                reason: "too many partitions for the log stream".into(),
            })?;
            decoder.add_elf(Source::Partition(index), elf)?;
            decoder.name_source(Source::Partition(index), name);
        }
        let runs = workspace::target_dir().join("qemu");
        let uart_log = runs.join(format!("{}.uart.log", self.name));
        let run = QemuRun {
            machine,
            kernel: self.kernel.to_path_buf(),
            options: self.options.clone(),
            options_file: runs.join(format!("{}.options", self.name)),
            uart_log: uart_log.clone(),
            gdb_port: self.gdb_port,
            extra: self.extra.clone(),
        };
        let mut events = Vec::new();
        let (outcome, stderr) = run.run(qemu, self.timeout, self.quiet, |bytes| {
            for event in decoder.feed(bytes) {
                on_event(&event);
                events.push(event);
            }
        })?;
        let uart = std::fs::read_to_string(&uart_log).unwrap_or_default();
        Ok(BootReport {
            outcome,
            events,
            uart,
            uart_log,
            stderr,
        })
    }
}
