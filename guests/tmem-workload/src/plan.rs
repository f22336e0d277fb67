//! What the system description asks this client to do: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it; it must never read
//! anything but the plan.

use serde::{Deserialize, Serialize};
use tmem_protocol::ExchangeMode;

/// The workload's parameters:
/// `config = { mode = "copy", client = 1, swap_pages = 5, cache_pages = 20 }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// How pages travel (`"copy"`, `"grant-map"`, `"transfer"`).
    pub mode: ExchangeMode,
    /// The client's number, for logs and page patterns.
    pub client: u32,
    /// Pages to swap out through frontswap.
    pub swap_pages: u32,
    /// Pages to put in the private cache through cleancache.
    pub cache_pages: u32,
    /// Whether to use the shared pool (UUID 7) too.
    #[serde(default)]
    pub shared: bool,
}

impl Plan {
    /// The mode's name, for logs.
    pub fn mode_name(&self) -> &'static str {
        match self.mode {
            ExchangeMode::Copy => "copy",
            ExchangeMode::GrantMap => "grant-map",
            ExchangeMode::Transfer => "transfer",
        }
    }
}
