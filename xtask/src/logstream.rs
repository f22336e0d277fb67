//! Decoding the log stream that leaves the machine: records framed as in
//! [`kernel_abi::log_stream`], each a defmt frame decoded with the table
//! of the ELF that produced it.
//!
//! The decoder is fed bytes in whatever chunks they arrive and yields a
//! [`LogEvent`] per complete record. Records from an unknown source or that
//! do not decode are reported as such, never dropped silently and never
//! decoded with the wrong table.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use defmt_decoder::Table;
use kernel_abi::log_stream::{Source, TERMINATOR};

use crate::Error;

/// One decoded log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Who logged it.
    pub source: Source,
    /// Its name: `kernel`, or the partition's name when known.
    pub origin: String,
    /// `TRACE`..`ERROR`, if the frame has a level.
    pub level: Option<String>,
    /// The timestamp as the source formats it.
    pub timestamp: Option<String>,
    /// The formatted message.
    pub message: String,
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>10} {:<5} [{}] {}",
            self.timestamp.as_deref().unwrap_or(""),
            self.level.as_deref().unwrap_or(""),
            self.origin,
            self.message
        )
    }
}

/// What one record decoded to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogEvent {
    /// A log line.
    Line(LogLine),
    /// A record whose first byte names no known source.
    UnknownSource { byte: u8, length: usize },
    /// A record from a known source that did not decode.
    Malformed { source: Source, length: usize },
}

impl fmt::Display for LogEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogEvent::Line(line) => line.fmt(f),
            LogEvent::UnknownSource { byte, length } => {
                write!(
                    f,
                    "(log record of {length} bytes from unknown source {byte})"
                )
            }
            LogEvent::Malformed { source, length } => {
                write!(
                    f,
                    "(malformed log record of {length} bytes from {source:?})"
                )
            }
        }
    }
}

/// A stream decoder for one machine's log output.
#[derive(Default)]
pub struct LogDecoder {
    tables: BTreeMap<Source, Table>,
    names: BTreeMap<Source, String>,
    pending: Vec<u8>,
}

impl LogDecoder {
    /// A decoder that knows no sources yet.
    pub fn new() -> LogDecoder {
        LogDecoder::default()
    }

    /// Decodes `source`'s records with the defmt table of the ELF at `path`.
    pub fn add_elf(&mut self, source: Source, path: &Path) -> Result<(), Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let bad = |reason: String| Error::BadElf {
            path: path.to_path_buf(),
            reason,
        };
        let table = Table::parse(&bytes)
            .map_err(|e| bad(format!("cannot read its defmt table: {e}")))?
            .ok_or_else(|| bad("has no defmt table (was it linked with -Tdefmt.x?)".into()))?;
        self.tables.insert(source, table);
        Ok(())
    }

    /// Shows `source`'s lines under `name` (default: `kernel`, `p0`, ...).
    pub fn name_source(&mut self, source: Source, name: &str) {
        self.names.insert(source, name.to_string());
    }

    fn origin(&self, source: Source) -> String {
        self.names
            .get(&source)
            .cloned()
            .unwrap_or_else(|| match source {
                Source::Kernel => "kernel".to_string(),
                Source::Partition(index) => format!("p{index}"),
            })
    }

    /// Takes more bytes; returns the events for every record they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<LogEvent> {
        let mut events = Vec::new();
        for &byte in bytes {
            self.pending.push(byte);
            if byte == TERMINATOR {
                let record = std::mem::take(&mut self.pending);
                if record.len() > 1 {
                    events.push(self.decode_record(&record));
                }
            }
        }
        events
    }

    /// Bytes received that do not yet form a complete record.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn decode_record(&self, record: &[u8]) -> LogEvent {
        let length = record.len();
        let byte = record[0];
        let Some(source) = Source::from_byte(byte) else {
            return LogEvent::UnknownSource { byte, length };
        };
        let Some(table) = self.tables.get(&source) else {
            return LogEvent::UnknownSource { byte, length };
        };
        let mut decoder = table.new_stream_decoder();
        decoder.received(&record[1..]);
        match decoder.decode() {
            Ok(frame) => LogEvent::Line(LogLine {
                source,
                origin: self.origin(source),
                level: frame.level().map(|l| l.as_str().to_uppercase()),
                timestamp: frame.display_timestamp().map(|t| t.to_string()),
                message: frame.display_message().to_string(),
            }),
            Err(_) => LogEvent::Malformed { source, length },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_split_across_chunks_wait_for_their_terminator() {
        let mut decoder = LogDecoder::new();
        assert!(decoder.feed(&[1, 5, 6]).is_empty());
        assert_eq!(decoder.pending(), 3);
        // Kernel source, but no table registered: reported, not dropped.
        let events = decoder.feed(&[7, 0]);
        assert_eq!(events, vec![LogEvent::UnknownSource { byte: 1, length: 5 }]);
        assert_eq!(decoder.pending(), 0);
    }

    #[test]
    fn stray_terminators_are_ignored() {
        let mut decoder = LogDecoder::new();
        assert!(decoder.feed(&[0, 0, 0]).is_empty());
    }
}
