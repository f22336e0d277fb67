//! The kernel objects a description declares (`[[endpoint]]`,
//! `[[notification]]`, and through [`frames`](super::frames) the frames)
//! and every partition's `caps`: each in a slot of its capability space,
//! naming exactly one known object, with rights that object can carry.
//!
//! This module only checks capabilities and turns them into the boot
//! table's; it must never grant a right the description did not write.

use std::collections::BTreeSet;

use boot_info::{CapInfo, CapObjectInfo};

use super::super::description::{Description, NamedObject, Right};
use super::frames::frames;
use super::{Checker, DescriptionError};

/// Checks `[[endpoint]]`/`[[notification]]` names and every partition's
/// `caps`.
pub(super) fn caps(c: &Checker<'_>, d: &Description) -> Result<Vec<CapInfo>, DescriptionError> {
    let names = |kind: &str, objects: &[NamedObject]| -> Result<(), DescriptionError> {
        let mut seen = BTreeSet::new();
        for (i, o) in objects.iter().enumerate() {
            c.name(&format!("{kind}[{i}].name"), &o.name)?;
            if !seen.insert(o.name.as_str()) {
                return Err(c.err(
                    format!("{kind}[{i}].name"),
                    format!("duplicate {kind} name `{}`", o.name),
                ));
            }
        }
        if objects.len() > boot_info::MAX_ENDPOINTS {
            return Err(c.err(
                kind,
                format!(
                    "at most {} of them: their identifiers are 16 bits",
                    boot_info::MAX_ENDPOINTS
                ),
            ));
        }
        Ok(())
    };
    names("endpoint", &d.endpoints)?;
    names("notification", &d.notifications)?;
    frames(c, d)?;
    let index_of = |objects: &[NamedObject], name: &str| {
        objects
            .iter()
            .position(|o| o.name == name)
            .map(|i| i as u16)
    };
    let mut out = Vec::new();
    for (p_index, p) in d.partitions.iter().enumerate() {
        let mut slots = BTreeSet::new();
        for (k, cap) in p.caps.iter().enumerate() {
            let at = |field: &str| format!("partition[{p_index}].caps[{k}].{field}");
            if cap.slot >= p.cap_slots {
                return Err(c.err(
                    at("slot"),
                    format!(
                        "slot {} is beyond the {} slots of the capability space",
                        cap.slot, p.cap_slots
                    ),
                ));
            }
            if !slots.insert(cap.slot) {
                return Err(c.err(at("slot"), format!("slot {} is given twice", cap.slot)));
            }
            if cap.objects_named() != 1 {
                return Err(c.err(
                    format!("partition[{p_index}].caps[{k}]"),
                    "give exactly one of `endpoint`, `notification`, `frame`, `irq` or `partition_control`",
                ));
            }
            if cap.endpoint.is_none() && cap.badge != 0 {
                return Err(c.err(at("badge"), "only endpoint capabilities carry a badge"));
            }
            let object =
                if let Some(name) = &cap.endpoint {
                    CapObjectInfo::Endpoint(index_of(&d.endpoints, name).ok_or_else(|| {
                        c.err(at("endpoint"), format!("unknown endpoint `{name}`"))
                    })?)
                } else if let Some(name) = &cap.notification {
                    CapObjectInfo::Notification(index_of(&d.notifications, name).ok_or_else(
                        || c.err(at("notification"), format!("unknown notification `{name}`")),
                    )?)
                } else if let Some(number) = cap.irq {
                    if !d.irqs.iter().any(|irq| irq.number == number) {
                        return Err(c.err(
                            at("irq"),
                            format!("interrupt {number} is not bound in any `[[irq]]`"),
                        ));
                    }
                    CapObjectInfo::Irq(number)
                } else if cap.partition_control {
                    CapObjectInfo::PartitionControl
                } else {
                    let name = cap.frame.as_deref().unwrap_or_default();
                    let index = d.frames.iter().position(|f| f.name == name);
                    CapObjectInfo::Frame(
                        index
                            .map(|i| i as u16)
                            .ok_or_else(|| c.err(at("frame"), format!("unknown frame `{name}`")))?,
                    )
                };
            if cap.rights.is_empty() {
                return Err(c.err(at("rights"), "a capability with no rights is useless"));
            }
            if cap.frame.is_none() && cap.rights.contains(&Right::Execute) {
                return Err(c.err(at("rights"), "only frame capabilities carry `execute`"));
            }
            if !cap.partition_control && cap.rights.contains(&Right::Restart) {
                return Err(c.err(
                    at("rights"),
                    "only partition_control capabilities carry `restart`",
                ));
            }
            let rights = cap.rights.iter().fold(0, |bits, right| {
                bits | match right {
                    Right::Read => kernel_abi::cap::Rights::READ.bits(),
                    Right::Write => kernel_abi::cap::Rights::WRITE.bits(),
                    Right::Grant => kernel_abi::cap::Rights::GRANT.bits(),
                    Right::Execute => kernel_abi::cap::Rights::EXECUTE.bits(),
                    Right::Restart => kernel_abi::cap::Rights::RESTART.bits(),
                }
            });
            out.push(CapInfo {
                partition: p_index as u8,
                slot: cap.slot,
                object,
                rights,
                badge: cap.badge,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::rejected;

    #[test]
    fn rejects_bad_capabilities() {
        let ep = r#"{ slot = 0, endpoint = "service", rights = ["read"] }"#;
        rejected(
            ep,
            r#"{ slot = 0, endpoint = "nope", rights = ["read"] }"#,
            "partition[2].caps[0].endpoint",
            "unknown endpoint `nope`",
        );
        rejected(
            ep,
            r#"{ slot = 1, endpoint = "service", rights = ["read"] }"#,
            "partition[2].caps[1].slot",
            "given twice",
        );
        rejected(
            ep,
            r#"{ slot = 16, endpoint = "service", rights = ["read"] }"#,
            "partition[2].caps[0].slot",
            "beyond the 16 slots",
        );
        rejected(
            ep,
            r#"{ slot = 0, endpoint = "service", notification = "bell", rights = ["read"] }"#,
            "partition[2].caps[0]",
            "exactly one",
        );
        rejected(
            ep,
            r#"{ slot = 0, endpoint = "service", rights = [] }"#,
            "partition[2].caps[0].rights",
            "no rights",
        );
        rejected(
            r#"notification = "bell", rights = ["read", "write"] }"#,
            r#"notification = "bell", rights = ["read"], badge = 3 }"#,
            "partition[2].caps[1].badge",
            "only endpoint",
        );
        rejected(
            "[[endpoint]]\nname = \"service\"",
            "[[endpoint]]\nname = \"bell\"\n[[endpoint]]\nname = \"bell\"",
            "endpoint[1].name",
            "duplicate endpoint name",
        );
    }
}
