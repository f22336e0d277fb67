//! `[[irq]]`: which shared peripheral interrupts signal which
//! notification, and that someone acknowledges and someone waits for each.
//!
//! This module only checks interrupt bindings; it must never bind an
//! interrupt the kernel uses itself or one nobody would ever unmask.

use super::super::description::{Description, Right};
use super::{Checker, DescriptionError};

/// Checks `[[irq]]`: shared peripheral interrupts the kernel does not use,
/// each bound once, to a known notification, with some bits, acknowledged
/// by some partition (an `irq` capability) and waited for by some
/// partition (the notification with `read`).
pub(super) fn irqs(
    c: &Checker<'_>,
    d: &Description,
) -> Result<Vec<boot_info::IrqInfo>, DescriptionError> {
    let mut out = Vec::new();
    for (i, irq) in d.irqs.iter().enumerate() {
        let at = |field: &str| format!("irq[{i}].{field}");
        if !(32..1020).contains(&irq.number) {
            return Err(c.err(
                at("number"),
                "must be a shared peripheral interrupt, 32 to 1019",
            ));
        }
        if d.irqs[..i].iter().any(|other| other.number == irq.number) {
            return Err(c.err(
                at("number"),
                format!("interrupt {} is bound twice", irq.number),
            ));
        }
        if irq.bits == 0 {
            return Err(c.err(at("bits"), "must signal at least one bit"));
        }
        let notification = d
            .notifications
            .iter()
            .position(|n| n.name == irq.notification)
            .ok_or_else(|| {
                c.err(
                    at("notification"),
                    format!("unknown notification `{}`", irq.notification),
                )
            })?;
        let caps = || d.partitions.iter().flat_map(|p| &p.caps);
        if !caps().any(|cap| cap.irq == Some(irq.number)) {
            return Err(c.err(
                at("number"),
                format!(
                    "no partition holds `irq = {}` to acknowledge it: the kernel masks the line at its first interrupt and it would stay masked",
                    irq.number
                ),
            ));
        }
        let waited_on = caps().any(|cap| {
            cap.notification.as_deref() == Some(irq.notification.as_str())
                && cap.rights.contains(&Right::Read)
        });
        if !waited_on {
            return Err(c.err(
                at("notification"),
                format!(
                    "no partition holds notification `{}` with `read` to wait on it: its interrupts would wake nobody",
                    irq.notification
                ),
            ));
        }
        out.push(boot_info::IrqInfo {
            number: irq.number,
            notification: notification as u16,
            bits: irq.bits,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{check, with_irq_on_bell, GOOD, IRQ_ON_BELL};

    #[test]
    fn rejects_bad_interrupt_bindings() {
        let base = with_irq_on_bell(GOOD);
        let check_with = |from: &str, to: &str| check(&base.replacen(from, to, 1));
        assert!(check_with("", "").is_ok());
        let error = check(
            &base
                .replace("number = 40", "number = 29")
                .replace("irq = 40", "irq = 29"),
        )
        .unwrap_err();
        assert_eq!(
            (
                error.field.as_str(),
                error.reason.contains("shared peripheral")
            ),
            ("irq[0].number", true)
        );
        let error = check_with("bits = 1\n", "bits = 0\n").unwrap_err();
        assert_eq!(error.field, "irq[0].bits");
        let error = check_with(
            "notification = \"bell\"\nbits",
            "notification = \"gong\"\nbits",
        )
        .unwrap_err();
        assert_eq!(error.field, "irq[0].notification");
        let with_cap = base.replacen(
            r#"{ slot = 1, notification = "bell", rights = ["read", "write"] },"#,
            r#"{ slot = 1, notification = "bell", rights = ["read", "write"] },
    { slot = 3, irq = 41, rights = ["read"] },"#,
            1,
        );
        let error = check(&with_cap).unwrap_err();
        assert_eq!(error.field, "partition[2].caps[3].irq", "{error}");
    }

    #[test]
    fn an_interrupt_nobody_acknowledges_or_waits_for_is_rejected() {
        let error = check(&(GOOD.to_string() + IRQ_ON_BELL)).unwrap_err();
        assert_eq!(error.field, "irq[0].number", "{error}");
        assert!(error.reason.contains("acknowledge"), "{error}");
        let unwaited = with_irq_on_bell(&GOOD.replacen(
            r#"notification = "bell", rights = ["read", "write"]"#,
            r#"notification = "bell", rights = ["write"]"#,
            1,
        ));
        let error = check(&unwaited).unwrap_err();
        assert_eq!(error.field, "irq[0].notification", "{error}");
        assert!(error.reason.contains("wake nobody"), "{error}");
    }
}
