//! The schedule: windows that name known partitions, last some time and
//! sum to the major frame; every partition that is not passive has a
//! window, no passive one does, and a passive partition can be called by
//! another (it runs only on its callers' time).
//!
//! This module only checks who runs when; it must never reorder or
//! resize a window the description gave.

use boot_info::{Schedule, Window};

use super::super::description::{Description, Right};
use super::{Checker, DescriptionError};

pub(super) fn schedule(
    c: &Checker<'_>,
    d: &Description,
) -> Result<Schedule<'static>, DescriptionError> {
    let s = &d.schedule;
    if s.major_frame_ms == 0 {
        return Err(c.err("schedule.major_frame_ms", "must be greater than 0"));
    }
    if s.windows.is_empty() {
        return Err(c.err("schedule.windows", "at least one window"));
    }
    let mut windows = Vec::new();
    let mut total: u64 = 0;
    for (i, w) in s.windows.iter().enumerate() {
        let partition =
            c.partition_index(&format!("schedule.windows[{i}].partition"), &w.partition, d)?;
        if w.duration_ms == 0 {
            return Err(c.err(
                format!("schedule.windows[{i}].duration_ms"),
                "must be greater than 0",
            ));
        }
        total += u64::from(w.duration_ms);
        windows.push(Window {
            partition,
            duration_ms: w.duration_ms,
        });
    }
    if total != u64::from(s.major_frame_ms) {
        return Err(c.err(
            "schedule.windows",
            format!(
                "windows sum to {total} ms but the major frame is {} ms",
                s.major_frame_ms
            ),
        ));
    }
    for (i, p) in d.partitions.iter().enumerate() {
        let scheduled = windows
            .iter()
            .any(|w: &Window| usize::from(w.partition) == i);
        if p.passive && p.service {
            return Err(c.err(
                format!("partition[{i}].service"),
                format!(
                    "passive partition `{}` never keeps the run going; `service` is for partitions with windows",
                    p.name
                ),
            ));
        }
        if p.passive {
            if scheduled {
                return Err(c.err(
                    format!("partition[{i}].passive"),
                    format!(
                        "passive partition `{}` runs on its callers' time and must have no window",
                        p.name
                    ),
                ));
            }
            continue;
        }
        if !scheduled {
            return Err(c.err(
                format!("partition[{i}]"),
                format!(
                    "partition `{}` has no window in the schedule, so it would never run",
                    p.name
                ),
            ));
        }
    }
    if d.partitions.iter().all(|p| p.passive || p.service) {
        return Err(c.err(
            "partition",
            "every partition is passive or a service: the run would end before anything ran",
        ));
    }
    Ok(Schedule {
        major_frame_ms: s.major_frame_ms,
        windows: windows.into_iter().collect(),
        stop_after_ms: d.system.stop_after_ms,
    })
}

/// Checks that every passive partition can be called: it runs only on its
/// callers' time, so it must receive (`read`) on an endpoint that some
/// other partition holds with `write` (no capability can gain a right, so
/// without one at boot nobody could ever call it and its threads would
/// wait for ever). Runs after `caps`, so every name is known.
pub(super) fn passive_callers(c: &Checker<'_>, d: &Description) -> Result<(), DescriptionError> {
    for (i, p) in d.partitions.iter().enumerate().filter(|(_, p)| p.passive) {
        let served = |name: &str| {
            p.caps.iter().any(|cap| {
                cap.endpoint.as_deref() == Some(name) && cap.rights.contains(&Right::Read)
            })
        };
        let called = d
            .partitions
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != i)
            .flat_map(|(_, other)| &other.caps)
            .any(|cap| {
                cap.rights.contains(&Right::Write) && cap.endpoint.as_deref().is_some_and(served)
            });
        if !called {
            return Err(c.err(
                format!("partition[{i}].passive"),
                format!(
                    "passive partition `{}` runs only on its callers' time, but no other partition can call it: none holds `write` on an endpoint it receives on",
                    p.name
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{check, rejected, GOOD};

    #[test]
    fn rejects_windows_not_summing_to_the_major_frame() {
        rejected(
            "major_frame_ms = 4",
            "major_frame_ms = 5",
            "schedule.windows",
            "sum to 4 ms but the major frame is 5 ms",
        );
        rejected(
            "major_frame_ms = 4",
            "major_frame_ms = 0",
            "schedule.major_frame_ms",
            "greater than 0",
        );
        rejected(
            r#"{ partition = "a", duration_ms = 1 }"#,
            r#"{ partition = "a", duration_ms = 0 }"#,
            "schedule.windows[0].duration_ms",
            "greater than 0",
        );
    }

    #[test]
    fn rejects_partitions_without_a_window() {
        rejected(
            r#"    { partition = "a", duration_ms = 1 },
    { partition = "b", duration_ms = 3 },"#,
            r#"    { partition = "b", duration_ms = 4 },"#,
            "partition[0]",
            "no window",
        );
    }

    #[test]
    fn rejects_a_passive_partition_with_a_window() {
        rejected(
            r#"    { partition = "b", duration_ms = 3 },"#,
            r#"    { partition = "b", duration_ms = 2 },
    { partition = "server", duration_ms = 1 },"#,
            "partition[2].passive",
            "must have no window",
        );
    }

    #[test]
    fn a_service_does_not_keep_the_run_going_and_cannot_be_all_there_is() {
        let b_service =
            "memory_kib = 64\nservice = true\nthreads = [{ name = \"main\", priority = 1";
        let from = "memory_kib = 64\nthreads = [{ name = \"main\", priority = 1";
        let info = check(&GOOD.replacen(from, b_service, 1)).unwrap();
        assert!(info.partitions.get(1).unwrap().service);
        assert!(!info.partitions.get(0).unwrap().service);
        let a_service = "config = { run_ms = 7 }\nservice = true";
        let both =
            GOOD.replacen(from, b_service, 1)
                .replacen("config = { run_ms = 7 }", a_service, 1);
        let error = check(&both).unwrap_err();
        assert_eq!(error.field, "partition", "{error}");
        assert!(error.reason.contains("would end before"), "{error}");
        rejected(
            "passive = true\n",
            "passive = true\nservice = true\n",
            "partition[2].service",
            "never keeps the run going",
        );
    }

    #[test]
    fn rejects_a_passive_partition_nobody_can_call() {
        rejected(
            r#"caps = [{ slot = 0, endpoint = "service", rights = ["write"] }]"#,
            r#"caps = [{ slot = 0, endpoint = "service", rights = ["read"] }]"#,
            "partition[2].passive",
            "no other partition can call",
        );
        rejected(
            r#"caps = [{ slot = 0, endpoint = "service", rights = ["write"] }]"#,
            "",
            "partition[2].passive",
            "no other partition can call",
        );
    }
}
