//! The table printed at the end of a demo run: per guest its peak and
//! final RAM, where its swap-ins came from and its swap-outs went, and its
//! faults; the tmem pool's peak; whether every frame was accounted for.
//!
//! Read from a [`DemoSeries`] only; it must never print anything itself
//! (the caller decides where the text goes).

use std::fmt::Write as _;

use super::series::DemoSeries;

/// One guest's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestSummary {
    /// The guest.
    pub name: String,
    /// The most frames it held at a sample.
    pub peak_ram: u64,
    /// The frames it held at its last sample.
    pub final_ram: u64,
    /// Pages swapped in from tmem.
    pub ins_tmem: u64,
    /// Pages swapped in from the SD card.
    pub ins_sd: u64,
    /// Pages swapped out to tmem.
    pub outs_tmem: u64,
    /// Pages swapped out to the SD card.
    pub outs_sd: u64,
    /// Page faults.
    pub faults: u64,
}

/// The whole summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoSummary {
    /// One row per guest, in the order they first reported.
    pub guests: Vec<GuestSummary>,
    /// The policy the pool lines named.
    pub policy: Option<String>,
    /// The most pages tmem held at a sample, and its capacity then.
    pub pool_peak: Option<(u64, u64)>,
    /// Periods run, frames counted and expected, and whether they agree:
    /// `None` if the demo did not reach its end.
    pub end: Option<(u64, u64, u64, bool)>,
    /// What a swapped page cost in tmem and on the SD card, over every
    /// guest: `(pages, microseconds)` for each, if any guest said.
    pub swap_time: Option<((u64, u64), (u64, u64))>,
    /// Demo lines that did not parse.
    pub malformed: usize,
}

impl DemoSummary {
    /// The summary of `series`.
    pub fn of(series: &DemoSeries) -> DemoSummary {
        let guests = series
            .guests
            .iter()
            .filter_map(|guest| {
                let last = &guest.last()?.sample;
                Some(GuestSummary {
                    name: guest.name.clone(),
                    peak_ram: guest.points.iter().map(|p| p.sample.ram).max()?,
                    final_ram: last.ram,
                    ins_tmem: last.ins_tmem,
                    ins_sd: last.ins_sd,
                    outs_tmem: last.outs_tmem,
                    outs_sd: last.outs_sd,
                    faults: last.faults,
                })
            })
            .collect();
        DemoSummary {
            guests,
            policy: series.policy().map(str::to_string),
            pool_peak: series
                .pool
                .iter()
                .max_by_key(|p| p.tmem_used)
                .map(|p| (p.tmem_used, p.tmem_capacity)),
            end: series
                .end
                .as_ref()
                .map(|e| (e.periods, e.frames_total, e.frames_expected, e.conserved)),
            swap_time: (!series.swaps.is_empty()).then(|| {
                let sum = |f: fn(&crate::demo::record::SwapTime) -> u64| {
                    series.swaps.iter().map(f).sum::<u64>()
                };
                (
                    (sum(|s| s.tmem_pages), sum(|s| s.tmem_us)),
                    (sum(|s| s.sd_pages), sum(|s| s.sd_us)),
                )
            }),
            malformed: series.problems.len(),
        }
    }

    /// The summary as text, a table and a few lines.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let policy = self.policy.as_deref().unwrap_or("(not reported)");
        let _ = writeln!(
            out,
            "demo summary (policy {policy}; RAM in 4 KiB frames, swap in pages)"
        );
        let _ = writeln!(
            out,
            "{:<12} {:>9} {:>9} {:>10} {:>8} {:>11} {:>9} {:>9}",
            "guest",
            "peak RAM",
            "final RAM",
            "ins tmem",
            "ins SD",
            "outs tmem",
            "outs SD",
            "faults"
        );
        for g in &self.guests {
            let _ = writeln!(
                out,
                "{:<12} {:>9} {:>9} {:>10} {:>8} {:>11} {:>9} {:>9}",
                g.name,
                g.peak_ram,
                g.final_ram,
                g.ins_tmem,
                g.ins_sd,
                g.outs_tmem,
                g.outs_sd,
                g.faults
            );
        }
        match self.pool_peak {
            Some((used, capacity)) => {
                let _ = writeln!(out, "tmem pool peak: {used} of {capacity} pages");
            }
            None => {
                let _ = writeln!(out, "tmem pool: not reported");
            }
        }
        match self.end {
            Some((periods, total, expected, conserved)) => {
                let _ = writeln!(
                    out,
                    "frames conserved: {} ({total} counted, {expected} expected, after {periods} periods)",
                    if conserved { "yes" } else { "NO" }
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "frames conserved: unknown (the demo did not reach its end line)"
                );
            }
        }
        if let Some(((tmem_pages, tmem_us), (sd_pages, sd_us))) = self.swap_time {
            let mean = |pages: u64, us: u64| (pages > 0).then(|| us as f64 / pages as f64 / 1000.0);
            let place = |pages: u64, us: u64| match mean(pages, us) {
                Some(ms) => format!("{ms:.3} ms a page ({pages} pages)"),
                None => "no page".to_string(),
            };
            let _ = write!(
                out,
                "swap waits: tmem {}, SD card {}",
                place(tmem_pages, tmem_us),
                place(sd_pages, sd_us)
            );
            match (mean(tmem_pages, tmem_us), mean(sd_pages, sd_us)) {
                (Some(tmem), Some(sd)) if tmem > 0.0 => {
                    let _ = writeln!(out, ": the card is x{:.0} slower", sd / tmem);
                }
                _ => out.push('\n'),
            }
        }
        if self.malformed > 0 {
            let _ = writeln!(
                out,
                "{} demo lines did not parse (see the log)",
                self.malformed
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::series::tests::{guest_line, pool_line};

    #[test]
    fn peaks_finals_and_cumulative_counts_come_from_the_samples() {
        let mut series = DemoSeries::new();
        for line in [
            guest_line("grow", 1, 100, 64, 64, 0, 0, (0, 0), (0, 0), 5),
            guest_line("grow", 2, 200, 150, 160, 20, 1, (30, 2), (40, 3), 90),
            guest_line("grow", 3, 300, 120, 100, 10, 1, (35, 2), (45, 3), 99),
            pool_line(1, 100, 10),
            pool_line(2, 200, 900),
            pool_line(3, 300, 400),
        ] {
            series.feed("m", &line);
        }
        series.feed("m", "demo guest=bad");
        let summary = DemoSummary::of(&series);
        assert_eq!(
            summary.guests,
            [GuestSummary {
                name: "grow".into(),
                peak_ram: 150,
                final_ram: 120,
                ins_tmem: 35,
                ins_sd: 2,
                outs_tmem: 45,
                outs_sd: 3,
                faults: 99,
            }]
        );
        assert_eq!(summary.pool_peak, Some((900, 1000)));
        assert_eq!(summary.end, None);
        let text = summary.text();
        assert!(text.contains("policy selfballoon"), "{text}");
        assert!(text.contains("tmem pool peak: 900 of 1000 pages"), "{text}");
        assert!(text.contains("unknown"), "{text}");
        assert!(text.contains("1 demo lines did not parse"), "{text}");
        let row = text.lines().find(|l| l.starts_with("grow")).unwrap();
        let numbers: Vec<&str> = row.split_whitespace().skip(1).collect();
        assert_eq!(numbers, ["150", "120", "35", "2", "45", "3", "99"]);
    }

    #[test]
    fn the_end_line_says_whether_frames_were_conserved() {
        let mut series = DemoSeries::new();
        series.feed(
            "m",
            "demo end periods=7 frames_total=10 frames_expected=11 conserved=no",
        );
        let text = DemoSummary::of(&series).text();
        assert!(
            text.contains("frames conserved: NO (10 counted, 11 expected, after 7 periods)"),
            "{text}"
        );
    }

    #[test]
    fn swap_waits_are_summed_over_guests_and_compared() {
        let mut series = DemoSeries::new();
        let text = DemoSummary::of(&series).text();
        assert!(
            !text.contains("swap waits"),
            "no swap line, no waits: {text}"
        );
        series.feed(
            "g2",
            "demo swap guest=guest2 tmem_pages=10 tmem_us=150 sd_pages=0 sd_us=0",
        );
        series.feed(
            "g3",
            "demo swap guest=guest3 tmem_pages=10 tmem_us=250 sd_pages=4 sd_us=1300000",
        );
        let summary = DemoSummary::of(&series);
        assert_eq!(summary.swap_time, Some(((20, 400), (4, 1_300_000))));
        let text = summary.text();
        assert!(
            text.contains("swap waits: tmem 0.020 ms a page (20 pages), SD card 325.000 ms a page (4 pages): the card is x16250 slower"),
            "{text}"
        );
        let mut tmem_only = DemoSeries::new();
        tmem_only.feed(
            "g2",
            "demo swap guest=guest2 tmem_pages=10 tmem_us=150 sd_pages=0 sd_us=0",
        );
        let text = DemoSummary::of(&tmem_only).text();
        assert!(
            text.contains("swap waits: tmem 0.015 ms a page (10 pages), SD card no page\n"),
            "{text}"
        );
    }
}
