//! What the system description asks of the hostile test partition: its typed
//! configuration (`config = { ... }` under its `[[partition]]`), which
//! xtask checks the description against and the partition decodes with
//! `userlib::config`. This module only declares it.

use serde::{Deserialize, Serialize};

/// `config = { role = "victim" }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Which side it plays (see src/main.rs).
    pub role: Role,
}

/// A side of the attack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Derives, maps and revokes 70 copies of its frame.
    FanOutRevoker,
    /// A page server that abuses every frame it is passed.
    HostileServer,
    /// A client that lends and copies its page to the server.
    Victim,
    /// A partition that must see only its own data.
    Bystander,
    /// A memory-manager guest that gives back frames it keeps.
    BalloonCheat,
}
