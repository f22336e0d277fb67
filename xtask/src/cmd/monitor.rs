//! `cargo xtask monitor`: read a board's console UART (or a captured
//! stream of it) and show the kernel's and partitions' defmt records, each
//! decoded with its own ELF's table, and any plain text (U-Boot, the
//! kernel's banner) as text.
//!
//! The stream is split at record terminators here, so a chunk that is all
//! printable text is shown as text instead of as an undecodable record;
//! every other chunk goes to `xtask::logstream::LogDecoder`. A lost byte
//! costs at most the record it was in. The monitor only reads the port: it
//! never writes to the board.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use kernel_abi::log_stream::{Source, TERMINATOR};
use xtask::image::Profile;
use xtask::logstream::{LogDecoder, LogEvent};
use xtask::{board, system, Error};

#[derive(Args)]
pub struct MonitorArgs {
    /// The board whose image is running (decides which ELF decodes).
    #[arg(long)]
    board: String,
    /// The image was built with --release.
    #[arg(long)]
    release: bool,
    /// Serial port wired to the board's console UART.
    #[arg(
        long,
        value_name = "DEVICE",
        required_unless_present = "from",
        conflicts_with = "from"
    )]
    serial: Option<String>,
    /// Decode a captured stream from this file instead.
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// Baud rate (8N1, no flow control).
    #[arg(long, default_value_t = 115_200)]
    baud: u32,
    /// The system the image holds (built to get the decoding tables).
    #[arg(long, default_value = "tmem-modes")]
    system: String,
    /// Decode the kernel's records with this ELF instead of building the
    /// system (`flash-tegra` prints the ELFs it built).
    #[arg(long, value_name = "FILE")]
    elf: Option<PathBuf>,
    /// With --elf: the ELF of partition 0, 1, ... in order (repeat).
    #[arg(long, value_name = "FILE", requires = "elf")]
    partition_elf: Vec<PathBuf>,
    /// Also save the raw bytes read to this file (for --from later).
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
}

pub fn monitor(args: &MonitorArgs) -> Result<ExitCode, Error> {
    let board = board::find(&args.board)?;
    let (elf, partitions) = match &args.elf {
        Some(elf) => {
            let partitions = args.partition_elf.iter().map(|elf| (None, elf.clone()));
            (elf.clone(), partitions.collect::<Vec<_>>())
        }
        None => {
            let profile = if args.release {
                Profile::Release
            } else {
                Profile::Debug
            };
            let file = system::build::resolve(&args.system);
            let built = system::build_system(&crate::toolchain()?, board, profile, &file, false)?;
            let partitions = built
                .partitions
                .into_iter()
                .map(|(name, elf)| (Some(name), elf))
                .collect();
            (built.kernel, partitions)
        }
    };
    let mut stream = ConsoleStream::new();
    stream.decoder.add_elf(Source::Kernel, &elf)?;
    for (index, (name, partition)) in partitions.iter().enumerate() {
        let index = u8::try_from(index).map_err(|_| Error::BadElf {
            path: partition.clone(),
            reason: "more partitions than a log stream can tell apart".into(),
        })?;
        let source = Source::Partition(index);
        stream.decoder.add_elf(source, partition)?;
        if let Some(name) = name {
            stream.decoder.name_source(source, name);
        }
    }
    eprintln!(
        "monitor: decoding with {} and {} partition ELFs",
        elf.display(),
        partitions.len()
    );
    let mut save = match &args.save {
        Some(path) => Some(std::fs::File::create(path).map_err(|e| Error::io(path, e))?),
        None => None,
    };
    if let Some(path) = &args.from {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        show(&stream.feed(&bytes));
        let left = stream.finish();
        show(&left);
        return Ok(ExitCode::SUCCESS);
    }
    let port_name = args.serial.clone().unwrap_or_default();
    let serial_error = |reason: String| Error::Serial {
        port: port_name.clone(),
        reason,
    };
    let mut port = serialport::new(&port_name, args.baud)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(serialport::StopBits::One)
        .flow_control(serialport::FlowControl::None)
        .timeout(Duration::from_millis(200))
        .open()
        .map_err(|e| serial_error(e.to_string()))?;
    eprintln!(
        "monitor: reading {port_name} at {} 8N1 ({} on {}); Ctrl-C to stop",
        args.baud, board.console_label, board.name
    );
    let mut buffer = [0u8; 4096];
    loop {
        match port.read(&mut buffer) {
            Ok(0) => {}
            Ok(n) => {
                if let Some(file) = save.as_mut() {
                    let path = args.save.as_deref().unwrap_or(Path::new(""));
                    file.write_all(&buffer[..n])
                        .and_then(|()| file.flush())
                        .map_err(|e| Error::io(path, e))?;
                }
                show(&stream.feed(&buffer[..n]));
            }
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {}
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(serial_error(error.to_string())),
        }
    }
}

fn show(items: &[Shown]) {
    for item in items {
        println!("{item}");
    }
}

/// One thing to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// A decoded (or undecodable) record.
    Record(LogEvent),
    /// A line of plain text.
    Text(String),
    /// Bytes left at the end of a capture without a terminator.
    Unfinished(usize),
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shown::Record(event) => event.fmt(f),
            Shown::Text(line) => write!(f, "{:>10} {:<5} [uart] {line}", "", ""),
            Shown::Unfinished(n) => write!(f, "({n} bytes at the end form no complete record)"),
        }
    }
}

/// Bytes a text line may hold: printable ASCII, tab, CR, and the escape
/// that starts terminal control sequences.
fn is_text_byte(byte: u8) -> bool {
    matches!(byte, 0x20..=0x7E | b'\t' | b'\r' | b'\n' | 0x1B)
}

/// The console stream, split into text and records.
pub struct ConsoleStream {
    /// Decodes records.
    pub decoder: LogDecoder,
    pending: Vec<u8>,
}

impl ConsoleStream {
    /// A stream with no ELF known yet.
    pub fn new() -> ConsoleStream {
        ConsoleStream {
            decoder: LogDecoder::new(),
            pending: Vec::new(),
        }
    }

    /// Takes more bytes; returns what they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Shown> {
        let mut shown = Vec::new();
        for &byte in bytes {
            if byte == TERMINATOR {
                let chunk = std::mem::take(&mut self.pending);
                if chunk.is_empty() {
                    continue;
                }
                if chunk.iter().all(|&b| is_text_byte(b)) {
                    push_text(&chunk, &mut shown);
                } else {
                    let mut record = chunk;
                    record.push(TERMINATOR);
                    shown.extend(self.decoder.feed(&record).into_iter().map(Shown::Record));
                }
                continue;
            }
            self.pending.push(byte);
            // Text arrives without terminators (U-Boot's prompt): show each
            // complete line at once rather than at the next record.
            if byte == b'\n' && self.pending.iter().all(|&b| is_text_byte(b)) {
                let line = std::mem::take(&mut self.pending);
                push_text(&line, &mut shown);
            }
        }
        shown
    }

    /// Ends the stream: whatever is left is shown as text or counted.
    pub fn finish(&mut self) -> Vec<Shown> {
        let rest = std::mem::take(&mut self.pending);
        let mut shown = Vec::new();
        if rest.is_empty() {
        } else if rest.iter().all(|&b| is_text_byte(b)) {
            push_text(&rest, &mut shown);
        } else {
            shown.push(Shown::Unfinished(rest.len()));
        }
        shown
    }
}

fn push_text(chunk: &[u8], shown: &mut Vec<Shown>) {
    let text = String::from_utf8_lossy(chunk);
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if !line.trim().is_empty() {
            shown.push(Shown::Text(line.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_records_are_told_apart() {
        let mut stream = ConsoleStream::new();
        let mut input = b"## Starting application at 0x01000000 ...\r\n".to_vec();
        input.extend_from_slice(b"tmem-kernel 0.1.0 booting\r\n\0");
        // A kernel record (no table loaded: reported, not dropped), its
        // terminator doubled as the kernel sends it on a UART.
        input.extend_from_slice(&[1, 0x85, 0x33, 0x07, 0, 0]);
        let shown = stream.feed(&input);
        assert_eq!(
            shown,
            vec![
                Shown::Text("## Starting application at 0x01000000 ...".into()),
                Shown::Text("tmem-kernel 0.1.0 booting".into()),
                Shown::Record(LogEvent::UnknownSource { byte: 1, length: 5 }),
            ]
        );
        assert!(stream.finish().is_empty());
    }

    #[test]
    fn a_prompt_without_newline_shows_at_the_end_and_binary_leftovers_are_counted() {
        let mut stream = ConsoleStream::new();
        assert!(stream.feed(b"Tegra20 (Harmony) # ").is_empty());
        assert_eq!(
            stream.finish(),
            vec![Shown::Text("Tegra20 (Harmony) # ".into())]
        );
        assert!(stream.feed(&[1, 0x85, 0x10]).is_empty());
        assert_eq!(stream.finish(), vec![Shown::Unfinished(3)]);
    }

    #[test]
    fn lines_format_like_log_lines() {
        assert_eq!(
            Shown::Text("hello".into()).to_string(),
            "                 [uart] hello"
        );
    }
}
