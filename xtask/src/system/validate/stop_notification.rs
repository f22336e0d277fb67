//! `[system] stop_notification`: the notification the kernel signals to
//! ask partitions to stop.
//!
//! This is the only check of that index (the kernel trusts it); it must
//! never accept a notification an interrupt also signals or that nobody
//! waits on.

use super::super::description::{Description, Right};
use super::{Checker, DescriptionError};

/// Checks `[system] stop_notification`: a declared `[[notification]]`
/// that no `[[irq]]` signals (a stop's bits would read as interrupts) and
/// that some partition holds with the read right, to wait on it (else a
/// stop wakes nobody). The kernel trusts the index it is given: this is
/// the only check.
pub(super) fn stop_notification(
    c: &Checker<'_>,
    d: &Description,
) -> Result<Option<u16>, DescriptionError> {
    const FIELD: &str = "system.stop_notification";
    let Some(name) = &d.system.stop_notification else {
        return Ok(None);
    };
    let index = d.notifications.iter().position(|n| &n.name == name);
    let index = index.ok_or_else(|| {
        c.err(
            FIELD,
            format!("unknown notification `{name}` (declare it as a [[notification]])"),
        )
    })?;
    if let Some(irq) = d.irqs.iter().find(|irq| &irq.notification == name) {
        return Err(c.err(
            FIELD,
            format!(
                "notification `{name}` is signalled by interrupt {}: a stop's bits would read as its interrupts",
                irq.number
            ),
        ));
    }
    let waited_on = d.partitions.iter().flat_map(|p| &p.caps).any(|cap| {
        cap.notification.as_deref() == Some(name.as_str()) && cap.rights.contains(&Right::Read)
    });
    if !waited_on {
        return Err(c.err(
            FIELD,
            format!(
                "no partition holds notification `{name}` with the `read` right to wait on it: a stop would wake nobody"
            ),
        ));
    }
    Ok(Some(index as u16))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::fixtures::{check, with_irq_on_bell, GOOD};

    #[test]
    fn the_stop_notification_names_a_declared_notification() {
        assert_eq!(check(GOOD).unwrap().stop_notification, None);
        let with = |name: &str| {
            GOOD.replacen(
                "stop_after_ms = 500\n",
                &format!("stop_after_ms = 500\nstop_notification = \"{name}\"\n"),
                1,
            )
        };
        assert_eq!(check(&with("bell")).unwrap().stop_notification, Some(0));
        let error = check(&with("gong")).unwrap_err();
        assert_eq!(error.file, Path::new("systems/test.toml"));
        assert_eq!(error.field, "system.stop_notification");
        assert!(
            error.reason.contains("unknown notification `gong`"),
            "{error}"
        );
    }

    #[test]
    fn a_stop_notification_an_interrupt_signals_or_nobody_waits_on_is_rejected() {
        let stops_on_bell = GOOD.replacen(
            "stop_after_ms = 500\n",
            "stop_after_ms = 500\nstop_notification = \"bell\"\n",
            1,
        );
        let error = check(&with_irq_on_bell(&stops_on_bell)).unwrap_err();
        assert_eq!(error.file, Path::new("systems/test.toml"));
        assert_eq!(error.field, "system.stop_notification");
        assert!(
            error.reason.contains("signalled by interrupt 40"),
            "{error}"
        );
        let write_only = stops_on_bell.replacen(
            r#"notification = "bell", rights = ["read", "write"]"#,
            r#"notification = "bell", rights = ["write"]"#,
            1,
        );
        assert_ne!(write_only, stops_on_bell, "test bug: no cap to change");
        let error = check(&write_only).unwrap_err();
        assert_eq!(error.file, Path::new("systems/test.toml"));
        assert_eq!(error.field, "system.stop_notification");
        assert!(error.reason.contains("wake nobody"), "{error}");
    }
}
