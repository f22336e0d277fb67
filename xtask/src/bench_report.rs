//! The source report's table, ours beside it: swap operations per second
//! of virtual time through tmem (each exchange mode) and through the SD
//! card under each device model, with the ratios.
//!
//! Derived from figures `cargo xtask bench` already measures, nothing
//! new: tmem's from `tmem.put.MODE` and `tmem.get.MODE` (instructions per
//! single-page operation, `systems/bench-tmem.toml`), the devices' from
//! `block.MODEL.write` and `block.MODEL.read` (milli-operations per second,
//! `systems/bench-block-model.toml` run once per model). Under
//! `-icount shift=0` one instruction is one nanosecond of virtual time, so
//! 10^9 / instructions is operations per second of a CPU that retires one
//! instruction per cycle at 1 GHz: an upper bound for a 1 GHz Cortex-A9
//! (the Tegra 2's core), whose loads, stores and cache misses take more.
//! A swap operation is a swap-out (put, write) or a swap-in (get, read);
//! the rate given is for the two alternating, `2 / (t_out + t_in)`.
//! This module must never measure or change a figure.

use std::fmt::Write as _;

use crate::bench::Figure;

/// The report's rows: our name for the destination, the report's name,
/// its operations per second.
pub const REPORT: [(&str, &str, f64); 6] = [
    ("tmem", "tmem", 47_846.9),
    ("hdd-5400", "HDD", 63.8),
    ("slc-ssd-2010", "SLC SSD", 146.6),
    ("mlc-ssd-2010", "MLC SSD", 52.4),
    ("usb-stick-2010", "USB stick", 3.7),
    ("microsd-2010", "microSDHC", 3.1),
];

/// tmem's exchange modes, in the table's order (`inkernel`: the same
/// store in the kernel, the baseline).
const TMEM_MODES: [&str; 4] = ["copy", "grant_map", "transfer", "inkernel"];

/// The device models, in the table's order (`sd-a1` has no report figure).
const MODELS: [&str; 6] = [
    "hdd-5400",
    "slc-ssd-2010",
    "mlc-ssd-2010",
    "usb-stick-2010",
    "microsd-2010",
    "sd-a1",
];

/// One row: where swapped pages go and how many operations per second of
/// virtual time.
#[derive(Clone, Debug, PartialEq)]
pub struct SwapRate {
    /// `tmem copy`, `SD hdd-5400`, ...
    pub destination: String,
    /// Swap-outs per second.
    pub outs_per_s: f64,
    /// Swap-ins per second.
    pub ins_per_s: f64,
    /// The report's row name and figure, where it has one.
    pub report: Option<(&'static str, f64)>,
}

impl SwapRate {
    /// Operations per second with swap-outs and swap-ins alternating.
    pub fn per_s(&self) -> f64 {
        2.0 / (1.0 / self.outs_per_s + 1.0 / self.ins_per_s)
    }
}

fn report_figure(ours: &str) -> Option<(&'static str, f64)> {
    REPORT
        .iter()
        .find(|(name, _, _)| *name == ours)
        .map(|&(_, theirs, value)| (theirs, value))
}

/// The rows the figures allow (a destination whose two figures are not
/// both there, or are zero, is left out).
pub fn swap_rates(figures: &[Figure]) -> Vec<SwapRate> {
    let value = |name: String| {
        figures
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value)
            .filter(|&v| v > 0)
    };
    let mut rates = Vec::new();
    for mode in TMEM_MODES {
        let (Some(put), Some(get)) = (
            value(format!("tmem.put.{mode}")),
            value(format!("tmem.get.{mode}")),
        ) else {
            continue;
        };
        rates.push(SwapRate {
            destination: format!("tmem {mode}"),
            outs_per_s: 1e9 / put as f64,
            ins_per_s: 1e9 / get as f64,
            report: report_figure("tmem"),
        });
    }
    for model in MODELS {
        let (Some(write), Some(read)) = (
            value(format!("block.{model}.write")),
            value(format!("block.{model}.read")),
        ) else {
            continue;
        };
        rates.push(SwapRate {
            destination: format!("SD {model}"),
            outs_per_s: write as f64 / 1000.0,
            ins_per_s: read as f64 / 1000.0,
            report: report_figure(model),
        });
    }
    rates
}

/// `value` with thousands separators and one decimal.
fn grouped(value: f64) -> String {
    let text = format!("{value:.1}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "0"));
    let mut out = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    format!("{out}.{fraction}")
}

/// The table as text: one row per destination, ours and the report's
/// operations per second and their ratio, and how many times faster tmem
/// copy is than each device, ours and the report's. Empty if the figures
/// allow no row.
pub fn swap_table(figures: &[Figure]) -> String {
    let rates = swap_rates(figures);
    if rates.is_empty() {
        return String::new();
    }
    let tmem_copy = rates
        .iter()
        .find(|r| r.destination == "tmem copy")
        .map(SwapRate::per_s);
    let tmem_report = report_figure("tmem").map(|(_, v)| v);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "swap operations per second of virtual time (1 instruction = 1 ns under -icount: an upper bound for a 1 GHz Cortex-A9)"
    );
    let _ = writeln!(
        out,
        "{:<22} {:>12} {:>12} {:>12} {:>20} {:>9} {:>16} {:>9}",
        "destination",
        "outs/s",
        "ins/s",
        "ops/s",
        "report",
        "ours/rep",
        "tmem copy/device",
        "report"
    );
    for rate in &rates {
        let per_s = rate.per_s();
        let (report, versus) = match rate.report {
            Some((name, value)) => (
                format!("{name} {}", grouped(value)),
                format!("x{:.2}", per_s / value),
            ),
            None => ("-".into(), "-".into()),
        };
        let faster = |tmem: Option<f64>, device: Option<f64>| match (tmem, device) {
            (Some(tmem), Some(device)) if !rate.destination.starts_with("tmem") => {
                format!("x{:.0}", tmem / device)
            }
            _ => "-".into(),
        };
        let _ = writeln!(
            out,
            "{:<22} {:>12} {:>12} {:>12} {:>20} {:>9} {:>16} {:>9}",
            rate.destination,
            grouped(rate.outs_per_s),
            grouped(rate.ins_per_s),
            grouped(per_s),
            report,
            versus,
            faster(tmem_copy, Some(per_s)),
            faster(tmem_report, rate.report.map(|(_, v)| v)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(name: &str, value: u64) -> Figure {
        Figure {
            name: name.into(),
            unit: "instructions".into(),
            value,
            system: "s".into(),
            traffic: None,
        }
    }

    #[test]
    fn tmem_rates_are_a_billion_over_the_instructions_per_operation() {
        let rates = swap_rates(&[figure("tmem.put.copy", 2500), figure("tmem.get.copy", 2000)]);
        assert_eq!(rates.len(), 1);
        let copy = &rates[0];
        assert_eq!(copy.destination, "tmem copy");
        assert_eq!((copy.outs_per_s, copy.ins_per_s), (400_000.0, 500_000.0));
        // Alternating: two operations in 4,500 ns.
        assert!((copy.per_s() - 2e9 / 4500.0).abs() < 1e-6);
        assert_eq!(copy.report, Some(("tmem", 47_846.9)));
    }

    #[test]
    fn device_rates_are_the_measured_milli_operations_per_second() {
        let rates = swap_rates(&[
            figure("block.microsd-2010.write", 3000),
            figure("block.microsd-2010.read", 3000),
            figure("block.sd-a1.write", 250_000),
            figure("block.sd-a1.read", 500_000),
            // Half a pair: no row.
            figure("block.hdd-5400.write", 55_000),
        ]);
        let names: Vec<&str> = rates.iter().map(|r| r.destination.as_str()).collect();
        assert_eq!(names, ["SD microsd-2010", "SD sd-a1"]);
        assert_eq!(rates[0].per_s(), 3.0);
        assert_eq!(rates[0].report, Some(("microSDHC", 3.1)));
        assert_eq!(rates[1].report, None);
        assert!((rates[1].per_s() - 2.0 / (1.0 / 250.0 + 1.0 / 500.0)).abs() < 1e-9);
    }

    #[test]
    fn the_table_puts_ours_beside_the_reports_with_the_ratios() {
        let table = swap_table(&[
            figure("tmem.put.copy", 3000),
            figure("tmem.get.copy", 3000),
            figure("block.microsd-2010.write", 3100),
            figure("block.microsd-2010.read", 3100),
        ]);
        let row = |start: &str| {
            table
                .lines()
                .find(|l| l.starts_with(start))
                .unwrap_or_else(|| panic!("{start} in\n{table}"))
                .split_whitespace()
                .collect::<Vec<_>>()
        };
        // 10^9 / 3000 = 333,333.3 ops/s, x6.97 the report's 47,846.9.
        assert_eq!(
            row("tmem copy"),
            [
                "tmem",
                "copy",
                "333,333.3",
                "333,333.3",
                "333,333.3",
                "tmem",
                "47,846.9",
                "x6.97",
                "-",
                "-"
            ]
        );
        // tmem copy is 333,333.3 / 3.1 = x107527 faster than the card;
        // the report's tmem 47,846.9 / 3.1 = x15434.
        assert_eq!(
            row("SD microsd-2010"),
            [
                "SD",
                "microsd-2010",
                "3.1",
                "3.1",
                "3.1",
                "microSDHC",
                "3.1",
                "x1.00",
                "x107527",
                "x15434"
            ]
        );
        assert!(table.contains("upper bound for a 1 GHz Cortex-A9"));
        assert_eq!(swap_table(&[]), "");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(47_846.9), "47,846.9");
        assert_eq!(grouped(3.086), "3.1");
        assert_eq!(grouped(1_234_567.0), "1,234,567.0");
        assert_eq!(grouped(999.96), "1,000.0");
    }
}
