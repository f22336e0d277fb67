//! The boot-options block: how the host hands the kernel its options
//! (`selftest=NAME`, ...) without depending on where anything lives.
//!
//! QEMU's semihosting command line is the `-kernel` path followed by the
//! `-append` text, so its length depends on the directory of the clone the
//! image was built in. Instead, xtask writes this fixed-size block to a file
//! and has QEMU's generic loader put it at a fixed RAM address
//! (`platform::QemuMachine::boot_options`) before the CPU starts:
//!
//! ```text
//! offset 0   magic  "TMEMOPT1"
//! offset 8   u32 LE length of the text (0..=MAX_TEXT)
//! offset 12  u32 LE FNV-1a checksum of the length word and the text
//! offset 16  the text: UTF-8, words separated by ASCII whitespace
//! ..256      zero
//! ```
//!
//! Both sides use [`encode`] and [`decode`], so they cannot disagree. This
//! module only frames bytes; it must never interpret the options (that is
//! the kernel's business) and must never accept a block it cannot verify.

/// The first eight bytes of a block.
pub const MAGIC: [u8; 8] = *b"TMEMOPT1";
/// Size of a block in bytes (the loader writes exactly this many).
pub const BLOCK_SIZE: usize = 256;
/// Where the text starts in a block.
const TEXT_OFFSET: usize = 16;
/// The longest option text a block holds.
pub const MAX_TEXT: usize = BLOCK_SIZE - TEXT_OFFSET;

/// Why a block cannot be made or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootOptionsError {
    /// The block does not start with [`MAGIC`]: nobody put options there.
    NoBlock,
    /// The length word exceeds [`MAX_TEXT`] (reading), or the text is
    /// longer than that (writing).
    TooLong(u32),
    /// The checksum does not match: the block is damaged.
    BadChecksum {
        /// What the block says.
        stored: u32,
        /// What its contents hash to.
        computed: u32,
    },
    /// The text is not UTF-8.
    NotUtf8,
}

impl BootOptionsError {
    /// A short description for logs.
    pub const fn describe(self) -> &'static str {
        match self {
            BootOptionsError::NoBlock => "no options block (magic missing)",
            BootOptionsError::TooLong(_) => "options text too long",
            BootOptionsError::BadChecksum { .. } => "options block checksum mismatch",
            BootOptionsError::NotUtf8 => "options text is not UTF-8",
        }
    }
}

/// FNV-1a over `bytes`, continuing from `hash`.
const fn fnv1a(mut hash: u32, bytes: &[u8]) -> u32 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u32;
        hash = hash.wrapping_mul(0x0100_0193);
        i += 1;
    }
    hash
}

const FNV_OFFSET: u32 = 0x811C_9DC5;

fn checksum(length: [u8; 4], text: &[u8]) -> u32 {
    fnv1a(fnv1a(FNV_OFFSET, &length), text)
}

/// The block carrying `text`.
pub fn encode(text: &str) -> Result<[u8; BLOCK_SIZE], BootOptionsError> {
    let bytes = text.as_bytes();
    if bytes.len() > MAX_TEXT {
        return Err(BootOptionsError::TooLong(
            u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        ));
    }
    let mut block = [0u8; BLOCK_SIZE];
    let length = (bytes.len() as u32).to_le_bytes();
    block[..8].copy_from_slice(&MAGIC);
    block[8..12].copy_from_slice(&length);
    block[12..16].copy_from_slice(&checksum(length, bytes).to_le_bytes());
    block[TEXT_OFFSET..TEXT_OFFSET + bytes.len()].copy_from_slice(bytes);
    Ok(block)
}

/// The text a block carries, after checking its magic, length and checksum.
pub fn decode(block: &[u8; BLOCK_SIZE]) -> Result<&str, BootOptionsError> {
    if block[..8] != MAGIC {
        return Err(BootOptionsError::NoBlock);
    }
    let length = [block[8], block[9], block[10], block[11]];
    let len = u32::from_le_bytes(length);
    if len as usize > MAX_TEXT {
        return Err(BootOptionsError::TooLong(len));
    }
    let text = &block[TEXT_OFFSET..TEXT_OFFSET + len as usize];
    let stored = u32::from_le_bytes([block[12], block[13], block[14], block[15]]);
    let computed = checksum(length, text);
    if stored != computed {
        return Err(BootOptionsError::BadChecksum { stored, computed });
    }
    core::str::from_utf8(text).map_err(|_| BootOptionsError::NotUtf8)
}

/// The value of the first `key=value` word in `text`, if any.
pub fn value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.split_ascii_whitespace().find_map(|word| {
        word.strip_prefix(key)
            .and_then(|rest| rest.strip_prefix('='))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for text in ["", "selftest=panic", "a=1 b=2  c=3"] {
            let block = encode(text).unwrap();
            assert_eq!(decode(&block), Ok(text));
        }
        let longest = "x".repeat(MAX_TEXT);
        assert_eq!(decode(&encode(&longest).unwrap()), Ok(longest.as_str()));
    }

    #[test]
    fn overlong_text_is_refused_when_writing() {
        let text = "x".repeat(MAX_TEXT + 1);
        assert_eq!(
            encode(&text),
            Err(BootOptionsError::TooLong(MAX_TEXT as u32 + 1))
        );
    }

    #[test]
    fn empty_damaged_and_forged_blocks_are_refused() {
        assert_eq!(decode(&[0; BLOCK_SIZE]), Err(BootOptionsError::NoBlock));
        let good = encode("selftest=panic").unwrap();
        let mut flipped = good;
        flipped[TEXT_OFFSET + 3] ^= 0x20;
        assert!(matches!(
            decode(&flipped),
            Err(BootOptionsError::BadChecksum { .. })
        ));
        let mut long = good;
        long[8..12].copy_from_slice(&(MAX_TEXT as u32 + 1).to_le_bytes());
        assert_eq!(
            decode(&long),
            Err(BootOptionsError::TooLong(MAX_TEXT as u32 + 1))
        );
        let mut shorter = good;
        shorter[8] -= 1;
        assert!(
            decode(&shorter).is_err(),
            "the length word is covered by the checksum"
        );
        let mut bad_utf8 = encode("ab").unwrap();
        bad_utf8[TEXT_OFFSET] = 0xFF;
        let length = [2, 0, 0, 0];
        let sum = checksum(length, &bad_utf8[TEXT_OFFSET..TEXT_OFFSET + 2]);
        bad_utf8[12..16].copy_from_slice(&sum.to_le_bytes());
        assert_eq!(decode(&bad_utf8), Err(BootOptionsError::NotUtf8));
    }

    #[test]
    fn values_are_found_by_key() {
        let text = "quiet selftest=data-abort selftesting=no";
        assert_eq!(value(text, "selftest"), Some("data-abort"));
        assert_eq!(value(text, "quiet"), None, "a bare word has no value");
        assert_eq!(value(text, "missing"), None);
        assert_eq!(value("selftest=", "selftest"), Some(""));
    }

    #[test]
    fn every_error_has_a_description() {
        for error in [
            BootOptionsError::NoBlock,
            BootOptionsError::TooLong(1),
            BootOptionsError::BadChecksum {
                stored: 1,
                computed: 2,
            },
            BootOptionsError::NotUtf8,
        ] {
            assert!(!error.describe().is_empty());
        }
    }
}
