//! The timed windows of a benchmark run, found in a trace: every timed
//! loop reads the clock (`clock_read`, the plugin's marker) right before
//! and right after the operations it measures, and logs its figure after.
//! The logger also reads the clock, for each line's timestamp; those
//! reads are told apart by the functions the thread ran since it last
//! left the kernel (the plugin names them at each marker). The remaining
//! reads pair up, in order, into one window per figure. Nothing here
//! decides what a window costs: see `report`.

use crate::bench::Figure;
use crate::Error;

use super::symbols::Symbolizer;
use super::trace::Trace;

/// Functions that read the clock for something other than a timed loop:
/// defmt's timestamp of every log line (inlined into it in release
/// builds, calling `clock_us` in debug builds).
pub const LOGGER_CLOCK_READERS: &[&str] = &["_defmt_timestamp"];

/// One timed loop: the segments from its first clock read to its second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// The segment its first clock read begins.
    pub first: usize,
    /// The segment its second clock read begins (not part of it).
    pub last: usize,
}

/// The timed windows of `trace`, in order: clock reads made by the
/// images in `timers` (the partitions that logged figures), not by their
/// logger, paired.
pub fn windows(trace: &Trace, symbols: &Symbolizer, timers: &[&str]) -> Result<Vec<Window>, Error> {
    let timing: Vec<usize> = (1..trace.segments.len())
        .filter(|&i| {
            let placed: Vec<_> = trace.segments[i]
                .callers
                .iter()
                .filter_map(|id| trace.blocks.get(id))
                .map(|block| symbols.place(block.vaddr, block.insns, &block.code))
                .collect();
            let Some(caller) = placed.last() else {
                return false;
            };
            let logger = placed
                .iter()
                .flat_map(|p| &p.functions)
                .any(|(function, _)| {
                    LOGGER_CLOCK_READERS
                        .iter()
                        .any(|logger| function.contains(logger))
                });
            timers.contains(&caller.image.as_str()) && !logger
        })
        .collect();
    if !timing.len().is_multiple_of(2) {
        return Err(Error::Profile(format!(
            "{} clock reads by {} outside the logger: an odd number cannot pair into timed loops",
            timing.len(),
            timers.join(", ")
        )));
    }
    Ok(timing
        .chunks(2)
        .map(|pair| Window {
            first: pair[0],
            last: pair[1],
        })
        .collect())
}

/// How many operations (or pages) a figure is "per": the whole number n
/// for which the figure, `value` = ⌊E / n⌋ with E the loop's elapsed
/// microseconds × 1000, agrees with the `executed` instructions the
/// plugin counted between the two clock reads (E is `executed` rounded
/// down or up to a microsecond, give or take `slack` instructions of
/// counting error). A log line that states n (`(N calls in ...`) is not
/// needed: the figure and the count fix it. Among several candidates the
/// one that is a multiple of `multiple_of` and nearest executed / value
/// wins. None when no n agrees: the window is not the figure's.
pub fn operations(value: u64, executed: u64, multiple_of: u64, slack: u64) -> Option<u64> {
    if value == 0 {
        return None;
    }
    let low = executed.saturating_sub(slack) / 1000;
    let high = (executed + slack).div_ceil(1000);
    let mut candidates: Vec<u64> = (low..=high)
        .map(|us| us * 1000)
        .flat_map(|elapsed| (elapsed / (value + 1) + 1)..=(elapsed / value))
        .filter(|&n| n > 0)
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    let ideal = executed as f64 / value as f64;
    let distance = |n: &u64| ((*n as f64 - ideal).abs() * 1e6) as u64;
    let multiples: Vec<u64> = candidates
        .iter()
        .copied()
        .filter(|n| n.is_multiple_of(multiple_of.max(1)))
        .collect();
    let pool = if multiples.is_empty() {
        &candidates
    } else {
        &multiples
    };
    pool.iter().copied().min_by_key(distance)
}

/// A figure with its window and the n it is per.
#[derive(Clone, Debug)]
pub struct Matched {
    /// The figure as the benchmark logged it.
    pub figure: Figure,
    /// Its timed loop.
    pub window: Window,
    /// Operations or pages the loop did.
    pub per: u64,
    /// Instructions the plugin counted in the loop.
    pub executed: u64,
}

/// Pairs the `figures` a run logged (in order) with its `windows`, and
/// checks each pair: the plugin's count must agree with the figure.
pub fn match_figures(
    trace: &Trace,
    windows: &[Window],
    figures: &[Figure],
) -> Result<Vec<Matched>, Error> {
    let timed: Vec<&Figure> = figures
        .iter()
        .filter(|f| f.unit == "instructions")
        .collect();
    if timed.len() != windows.len() {
        return Err(Error::Profile(format!(
            "{} timed loops in the trace but {} figures in instructions in the log: \
             this system's loops are not bracketed by clock reads one to one",
            windows.len(),
            timed.len()
        )));
    }
    timed
        .into_iter()
        .zip(windows)
        .map(|(figure, &window)| {
            let executed = trace.executed_between(window.first, window.last);
            let multiple = crate::bench::Series::of(&figure.name)
                .and_then(|s| s.pages_per_call)
                .map_or(1, u64::from);
            let per = operations(figure.value, executed, multiple, 200).ok_or_else(|| {
                Error::Profile(format!(
                    "{}: the plugin counted {executed} instructions in its loop, which no whole \
                     number of operations at {} each explains",
                    figure.name, figure.value
                ))
            })?;
            Ok(Matched {
                figure: figure.clone(),
                window,
                per,
                executed,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::symbols::Image;

    #[test]
    fn the_operation_count_is_the_one_the_clock_and_the_figure_allow() {
        // 64 pages at 859.4 instructions: 55,000 instructions, the clock
        // read 55 us; ⌊55000 / 64⌋ = 859.
        assert_eq!(operations(859, 55_000, 1, 200), Some(64));
        assert_eq!(operations(859, 55_150, 1, 200), Some(64));
        // A run of 16 pages: 64 pages, not the 63 or 65 a looser check allows.
        assert_eq!(operations(1_484, 95_000, 16, 200), Some(64));
        // Nothing explains a count far from any multiple.
        assert_eq!(operations(100_000, 55_000, 1, 200), None);
        assert_eq!(operations(0, 55_000, 1, 200), None);
    }

    #[test]
    fn logger_clock_reads_are_skipped_and_the_rest_paired_with_figures() {
        let code = |byte: u8| vec![byte; 4];
        let prober = Image::from_parts(
            "prober",
            vec![(0x10_0000, [code(1), code(2)].concat())],
            vec![
                (0x10_0000, 4, "measure".into()),
                (0x10_0004, 4, "_defmt_timestamp".into()),
            ],
        );
        let server = Image::from_parts(
            "server",
            vec![(0x10_0000, code(3))],
            vec![(0x10_0000, 4, "main".into())],
        );
        let symbols = Symbolizer::new(vec![prober, server]);
        // Blocks: 0 the timed loop's clock read, 1 the logger's, 2 work,
        // 3 a clock read by a partition that logs no figures.
        let text = "qemu-profile 1\n\
                    tb 0 100000 1 01010101\ntb 1 100004 1 02020202\ntb 2 200000 1 00000000\n\
                    tb 3 100000 1 03030303\nmark 5 3\n\
                    mark 10 0\nexec 2 64000 0 0\nmark 64010 0\nmark 64100 1,0\nexec 2 5 0 0\n\
                    end 64200\n";
        let trace = Trace::parse(text, "t").unwrap();
        assert!(windows(&trace, &symbols, &["server"]).is_err());
        let found = windows(&trace, &symbols, &["prober"]).unwrap();
        assert_eq!(found, [Window { first: 2, last: 3 }]);
        let figure = |name: &str, value| Figure {
            name: name.into(),
            unit: "instructions".into(),
            value,
            system: "s".into(),
            traffic: None,
        };
        let matched = match_figures(&trace, &found, &[figure("tmem.put.copy", 1000)]).unwrap();
        assert_eq!((matched[0].per, matched[0].executed), (64, 64_000));
        assert!(match_figures(&trace, &found, &[]).is_err());
        assert!(match_figures(&trace, &found, &[figure("x", 100_000)]).is_err());
    }
}
