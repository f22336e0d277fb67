//! What the partition argument asks this client to do. Decoding never
//! fails except on a missing exchange mode, and must never read anything
//! but the argument.

use tmem_client::ExchangeMode;

/// The workload's parameters.
pub struct Plan {
    /// How pages travel.
    pub mode: ExchangeMode,
    /// The client's number, for logs and page patterns (bits 2..7).
    pub client: u32,
    /// Pages to swap out (bits 8..15).
    pub swap_pages: u32,
    /// Pages to put in the private cache (bits 16..23).
    pub cache_pages: u32,
    /// Whether to use the shared pool too (bit 24).
    pub shared: bool,
}

impl Plan {
    /// The plan of `argument`, if its mode bits name a mode.
    pub fn decode(argument: u32) -> Option<Plan> {
        Some(Plan {
            mode: ExchangeMode::from_bits(argument & 0b11)?,
            client: (argument >> 2) & 0x3F,
            swap_pages: (argument >> 8) & 0xFF,
            cache_pages: (argument >> 16) & 0xFF,
            shared: argument & (1 << 24) != 0,
        })
    }

    /// The mode's name, for logs.
    pub fn mode_name(&self) -> &'static str {
        match self.mode {
            ExchangeMode::Copy => "copy",
            ExchangeMode::GrantMap => "grant-map",
            ExchangeMode::Transfer => "transfer",
        }
    }
}
