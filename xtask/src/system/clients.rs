//! The clients of a server the description configures (`[tmem]`,
//! `[[disk]]`): which partition serves, and who may call it as which
//! client. Such a server knows its clients only by the badge on the
//! capability a call came through, so client `k` must hold a capability
//! with `write` to the server's service endpoint badged `k`, and no other
//! partition may hold one with a badge that is not its own client number
//! (it could act as that client: read its pages, write its blocks).
//!
//! This module only checks; it never builds a configuration.

use std::path::Path;

use super::description::{Description, Right};
use super::DescriptionError;

/// A server the description configures, as found in it.
pub struct Served<'d> {
    /// The file, for errors.
    pub file: &'d Path,
    /// The description.
    pub d: &'d Description,
    /// The server partition's index.
    pub server: usize,
    /// The name of its service endpoint.
    pub service: &'d str,
}

impl Served<'_> {
    fn err(&self, field: String, reason: String) -> DescriptionError {
        DescriptionError {
            file: self.file.to_path_buf(),
            field,
            reason,
        }
    }

    /// Checks that partition `client` can call the server as client
    /// `badge`: it holds a capability with `write` to the service
    /// endpoint badged `badge`. `field` names its entry.
    pub fn reaches(
        &self,
        field: String,
        client: usize,
        badge: u32,
    ) -> Result<(), DescriptionError> {
        let reaches = self.d.partitions[client].caps.iter().any(|cap| {
            cap.endpoint.as_deref() == Some(self.service)
                && cap.badge == badge
                && cap.rights.contains(&Right::Write)
        });
        if reaches {
            return Ok(());
        }
        Err(self.err(
            field,
            format!(
                "`{}` needs a capability with `write` to endpoint `{}` badged {badge} (it is client {badge})",
                self.d.partitions[client].name, self.service
            ),
        ))
    }

    /// Checks that every capability to the service endpoint outside the
    /// server carries its holder's own client number: `clients[k]` is
    /// client `k + 1`'s partition index.
    pub fn no_stray_badges(&self, clients: &[usize]) -> Result<(), DescriptionError> {
        for (p, partition) in self.d.partitions.iter().enumerate() {
            if p == self.server {
                continue;
            }
            for (k, cap) in partition.caps.iter().enumerate() {
                if cap.endpoint.as_deref() != Some(self.service) {
                    continue;
                }
                let owner = usize::try_from(cap.badge)
                    .ok()
                    .and_then(|badge| badge.checked_sub(1))
                    .and_then(|index| clients.get(index));
                let reason = match owner {
                    Some(&owner) if owner == p => continue,
                    Some(&owner) => format!(
                        "badge {} on endpoint `{}` would let `{}` act as client {}, but client {} is `{}`",
                        cap.badge,
                        self.service,
                        partition.name,
                        cap.badge,
                        cap.badge,
                        self.d.partitions[owner].name
                    ),
                    None => format!(
                        "endpoint `{}` is served by `{}`, which has no client {} (clients are 1 to {})",
                        self.service,
                        self.d.partitions[self.server].name,
                        cap.badge,
                        clients.len()
                    ),
                };
                return Err(self.err(format!("partition[{p}].caps[{k}].badge"), reason));
            }
        }
        Ok(())
    }

    /// Checks that the server partition is built from `krate`, the crate
    /// whose configuration the section becomes. `field` names the
    /// section's `server`.
    pub fn is_crate(&self, field: &str, krate: &str) -> Result<(), DescriptionError> {
        let p = &self.d.partitions[self.server];
        if p.krate == krate {
            return Ok(());
        }
        Err(self.err(
            field.to_string(),
            format!(
                "partition `{}` is crate `{}`, but this section configures crate `{krate}`",
                p.name, p.krate
            ),
        ))
    }
}
