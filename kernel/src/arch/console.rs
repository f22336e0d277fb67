//! The console UART, whichever kind the board has: a PL011 (vexpress-a9)
//! or a 16550 with a 4-byte register stride (Tegra20).
//!
//! Text goes out with `\n` turned into `\r\n`; log records go out byte for
//! byte. This type only sends: it never reads, and it never decides what
//! is written (that is `devices` and `debug`).

use platform::drivers::{ns16550, pl011};

/// The board's console UART, taken over.
pub enum Console {
    /// An Arm PL011.
    Pl011(pl011::Pl011<'static>),
    /// A 16550-compatible UART.
    Ns16550(ns16550::Ns16550<'static>),
}

impl Console {
    /// Sends one byte, waiting while the UART is full.
    pub fn write_byte(&mut self, byte: u8) {
        match self {
            Console::Pl011(uart) => uart.write_byte(byte),
            Console::Ns16550(uart) => uart.write_byte(byte),
        }
    }

    /// Sends `bytes` exactly as given.
    pub fn write_raw(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_byte(byte);
        }
    }

    /// Sends `text` for a terminal: every `\n` becomes `\r\n`.
    pub fn write_text(&mut self, text: &str) {
        for byte in text.bytes() {
            if byte == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(byte);
        }
    }

    /// Waits until everything sent has left the UART.
    pub fn flush(&mut self) {
        match self {
            Console::Pl011(uart) => uart.flush(),
            Console::Ns16550(uart) => uart.flush(),
        }
    }
}
