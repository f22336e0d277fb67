//! The demo's records accumulated over time: each guest's samples in
//! order with the fault rate between them, the pool's samples, the end
//! record, and the demo lines that did not parse.
//!
//! Everything the live view, the summary and the plot show is read from a
//! [`DemoSeries`]; it derives rates and per-period differences from the
//! cumulative counts and nothing else. It must never drop a malformed line
//! silently: each is kept in [`DemoSeries::problems`].

use std::collections::BTreeMap;

use super::record::{
    self, DemoLineError, DemoRecord, EndRecord, GuestSample, PoolSample, SwapTime,
};

/// A guest sample with what follows from the one before it.
#[derive(Clone, Debug, PartialEq)]
pub struct GuestPoint {
    /// The sample as logged.
    pub sample: GuestSample,
    /// Faults per second of virtual time since the guest's previous
    /// sample (since time 0 for its first); `None` if time did not advance
    /// or the cumulative count went down.
    pub faults_per_s: Option<f64>,
}

/// One guest's samples, in the order they were logged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GuestSeries {
    /// The guest's name.
    pub name: String,
    /// Its samples.
    pub points: Vec<GuestPoint>,
}

impl GuestSeries {
    /// The last sample, if any.
    pub fn last(&self) -> Option<&GuestPoint> {
        self.points.last()
    }
}

/// Pages swapped during one period, summed over the guests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeriodIo {
    /// The period.
    pub period: u64,
    /// The latest virtual time a guest reported for it, in milliseconds.
    pub t_ms: u64,
    /// Pages swapped in from tmem.
    pub ins_tmem: u64,
    /// Pages swapped in from the SD card.
    pub ins_sd: u64,
    /// Pages swapped out to tmem.
    pub outs_tmem: u64,
    /// Pages swapped out to the SD card.
    pub outs_sd: u64,
}

/// A demo line that did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoProblem {
    /// Who logged it.
    pub origin: String,
    /// The line.
    pub message: String,
    /// Why it is not a record.
    pub error: DemoLineError,
}

/// Everything the demo logged so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DemoSeries {
    /// One series per guest, in the order the guests first reported.
    pub guests: Vec<GuestSeries>,
    /// The pool's samples, in order.
    pub pool: Vec<PoolSample>,
    /// The end record, once logged.
    pub end: Option<EndRecord>,
    /// Each guest's swap times, as the guests end.
    pub swaps: Vec<SwapTime>,
    /// Demo lines that did not parse.
    pub problems: Vec<DemoProblem>,
}

impl DemoSeries {
    /// An empty series.
    pub fn new() -> DemoSeries {
        DemoSeries::default()
    }

    /// Takes one log line; returns whether it was a demo line (well formed
    /// or not).
    pub fn feed(&mut self, origin: &str, message: &str) -> bool {
        match record::parse(message) {
            None => false,
            Some(Ok(record)) => {
                self.add(record);
                true
            }
            Some(Err(error)) => {
                self.problems.push(DemoProblem {
                    origin: origin.to_string(),
                    message: message.to_string(),
                    error,
                });
                true
            }
        }
    }

    /// Whether any demo record arrived.
    pub fn is_empty(&self) -> bool {
        self.guests.is_empty() && self.pool.is_empty() && self.end.is_none()
    }

    /// Adds one record.
    pub fn add(&mut self, record: DemoRecord) {
        match record {
            DemoRecord::Guest(sample) => self.add_guest(sample),
            DemoRecord::Pool(sample) => self.pool.push(sample),
            DemoRecord::End(end) => self.end = Some(end),
            DemoRecord::Swap(time) => self.swaps.push(time),
        }
    }

    fn add_guest(&mut self, sample: GuestSample) {
        let at = match self.guests.iter().position(|g| g.name == sample.guest) {
            Some(at) => at,
            None => {
                self.guests.push(GuestSeries {
                    name: sample.guest.clone(),
                    points: Vec::new(),
                });
                self.guests.len() - 1
            }
        };
        let series = &mut self.guests[at];
        let (t0, faults0) = series
            .last()
            .map_or((0, 0), |p| (p.sample.t_ms, p.sample.faults));
        let faults_per_s = match (
            sample.t_ms.checked_sub(t0).filter(|&dt| dt > 0),
            sample.faults.checked_sub(faults0),
        ) {
            (Some(dt_ms), Some(faults)) => Some(faults as f64 * 1000.0 / dt_ms as f64),
            _ => None,
        };
        series.points.push(GuestPoint {
            sample,
            faults_per_s,
        });
    }

    /// The latest pool sample.
    pub fn last_pool(&self) -> Option<&PoolSample> {
        self.pool.last()
    }

    /// The policy the pool lines name (the latest one).
    pub fn policy(&self) -> Option<&str> {
        self.last_pool().map(|p| p.policy.as_str())
    }

    /// Pages swapped in each period, summed over the guests: each guest's
    /// cumulative counts less its previous sample's (a count that went
    /// down counts as 0), in period order.
    pub fn io_per_period(&self) -> Vec<PeriodIo> {
        let mut periods: BTreeMap<u64, PeriodIo> = BTreeMap::new();
        for guest in &self.guests {
            let mut before: Option<&GuestSample> = None;
            for point in &guest.points {
                let now = &point.sample;
                let delta = |count: fn(&GuestSample) -> u64| {
                    count(now).saturating_sub(before.map_or(0, count))
                };
                let io = periods.entry(now.period).or_insert(PeriodIo {
                    period: now.period,
                    ..PeriodIo::default()
                });
                io.t_ms = io.t_ms.max(now.t_ms);
                io.ins_tmem += delta(|s| s.ins_tmem);
                io.ins_sd += delta(|s| s.ins_sd);
                io.outs_tmem += delta(|s| s.outs_tmem);
                io.outs_sd += delta(|s| s.outs_sd);
                before = Some(now);
            }
        }
        periods.into_values().collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A guest line with the given values (cache and committed follow ram).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn guest_line(
        name: &str,
        period: u64,
        t_ms: u64,
        ram: u64,
        target: u64,
        tmem: u64,
        sd: u64,
        ins: (u64, u64),
        outs: (u64, u64),
        faults: u64,
    ) -> String {
        format!(
            "demo guest={name} period={period} t_ms={t_ms} ram={ram} target={target} committed={ram} cache=1 tmem={tmem} sd={sd} ins_tmem={} ins_sd={} outs_tmem={} outs_sd={} faults={faults}",
            ins.0, ins.1, outs.0, outs.1
        )
    }

    pub(crate) fn pool_line(period: u64, t_ms: u64, used: u64) -> String {
        format!("demo pool period={period} t_ms={t_ms} policy=selfballoon reserve=16 tmem_used={used} tmem_capacity=1000")
    }

    #[test]
    fn faults_per_second_come_from_the_cumulative_count_and_the_time() {
        let mut series = DemoSeries::new();
        for line in [
            guest_line("a", 1, 500, 64, 64, 0, 0, (0, 0), (0, 0), 10),
            guest_line("b", 1, 500, 64, 64, 0, 0, (0, 0), (0, 0), 0),
            guest_line("a", 2, 1000, 80, 90, 5, 0, (2, 0), (5, 0), 110),
            // Time did not advance: no rate.
            guest_line("a", 3, 1000, 80, 90, 5, 0, (2, 0), (5, 0), 120),
            guest_line("a", 4, 3000, 80, 90, 5, 0, (2, 0), (5, 0), 520),
        ] {
            assert!(series.feed("manager", &line));
        }
        let a = &series.guests[0];
        assert_eq!(a.name, "a");
        let rates: Vec<Option<f64>> = a.points.iter().map(|p| p.faults_per_s).collect();
        assert_eq!(rates, [Some(20.0), Some(200.0), None, Some(200.0)]);
        assert_eq!(series.guests[1].points[0].faults_per_s, Some(0.0));
        assert_eq!(series.guests.len(), 2);
    }

    #[test]
    fn a_count_that_goes_down_gives_no_rate() {
        let mut series = DemoSeries::new();
        series.feed(
            "m",
            &guest_line("a", 1, 100, 1, 1, 0, 0, (0, 0), (0, 0), 50),
        );
        series.feed(
            "m",
            &guest_line("a", 2, 200, 1, 1, 0, 0, (0, 0), (0, 0), 40),
        );
        assert_eq!(series.guests[0].points[1].faults_per_s, None);
    }

    #[test]
    fn swap_io_per_period_sums_the_guests_differences() {
        let mut series = DemoSeries::new();
        for line in [
            guest_line("a", 1, 100, 1, 1, 0, 0, (1, 0), (4, 1), 0),
            guest_line("b", 1, 101, 1, 1, 0, 0, (0, 2), (0, 0), 0),
            guest_line("a", 2, 200, 1, 1, 0, 0, (3, 0), (4, 1), 0),
            guest_line("b", 2, 202, 1, 1, 0, 0, (5, 2), (1, 7), 0),
        ] {
            series.feed("m", &line);
        }
        assert_eq!(
            series.io_per_period(),
            [
                PeriodIo {
                    period: 1,
                    t_ms: 101,
                    ins_tmem: 1,
                    ins_sd: 2,
                    outs_tmem: 4,
                    outs_sd: 1
                },
                PeriodIo {
                    period: 2,
                    t_ms: 202,
                    ins_tmem: 2 + 5,
                    ins_sd: 0,
                    outs_tmem: 1,
                    outs_sd: 7
                },
            ]
        );
    }

    #[test]
    fn malformed_lines_are_kept_with_their_reason_and_other_lines_ignored() {
        let mut series = DemoSeries::new();
        assert!(!series.feed("g1", "booting"));
        assert!(series.is_empty());
        assert!(series.feed("g1", "demo guest=g1 period=x"));
        assert!(series.feed("mm", &pool_line(1, 100, 7)));
        assert!(series.feed(
            "mm",
            "demo end periods=1 frames_total=5 frames_expected=5 conserved=yes"
        ));
        assert_eq!(series.problems.len(), 1);
        assert_eq!(series.problems[0].origin, "g1");
        assert_eq!(
            series.problems[0].error,
            DemoLineError::NotANumber {
                key: "period",
                value: "x".into()
            }
        );
        assert!(series.guests.is_empty());
        assert_eq!(series.policy(), Some("selfballoon"));
        assert!(series.end.as_ref().unwrap().conserved);
        assert!(!series.is_empty());
    }
}
