//! A line of text built on the stack: what a program writes to the
//! console. It never allocates and never panics: text past the end of
//! the line is dropped.

/// Up to 96 bytes of text.
#[derive(Debug)]
pub struct Line {
    bytes: [u8; 96],
    len: usize,
}

impl Default for Line {
    fn default() -> Line {
        Line::new()
    }
}

impl Line {
    /// An empty line.
    pub const fn new() -> Line {
        Line {
            bytes: [0; 96],
            len: 0,
        }
    }

    /// Appends `text`, as much of it as fits.
    pub fn text(&mut self, text: &str) -> &mut Line {
        for &byte in text.as_bytes() {
            self.push(byte);
        }
        self
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// Appends `value` in decimal.
    pub fn number(&mut self, value: u32) -> &mut Line {
        let mut digits = [0u8; 10];
        let mut at = digits.len();
        let mut rest = value;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for &digit in &digits[at..] {
            self.push(digit);
        }
        self
    }

    /// The text so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}
