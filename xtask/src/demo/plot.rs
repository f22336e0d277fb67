//! The demo's plot: one SVG with three charts over virtual time — memory
//! per guest (RAM held, solid, and balloon target, dashed), the tmem pool
//! (pages used and the manager's reserve; its capacity in the caption) and
//! swap I/O per period (pages in and out, to and from tmem and the SD card,
//! summed over the guests).
//!
//! Drawn with [`crate::bench_plot::draw_charts`], the one way xtask draws
//! a chart. It places the values of a [`DemoSeries`] and must never
//! compute one beyond the per-period differences the series gives.

use std::path::Path;

use plotters::style::RGBColor;

use super::series::DemoSeries;
use crate::bench_plot::{draw_charts, Axes, Line, XAxis};
use crate::Error;

/// Guest colours, in the order guests first reported (then again).
const GUEST_COLOURS: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x8c, 0x56, 0x4b),
];
const TMEM: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
const SD: RGBColor = RGBColor(0xd6, 0x27, 0x28);
const RESERVE: RGBColor = RGBColor(0x55, 0x55, 0x55);

/// The legend of a guest's RAM line.
pub fn ram_label(guest: &str) -> String {
    format!("{guest} RAM held")
}

/// Writes the plot of `series` to the SVG file `path`. Returns whether
/// there was anything to plot (nothing is written otherwise).
pub fn write_svg(series: &DemoSeries, path: &Path) -> Result<bool, Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let seconds = |t_ms: u64| t_ms as f64 / 1000.0;
    let end = series
        .guests
        .iter()
        .flat_map(|g| g.points.iter().map(|p| p.sample.t_ms))
        .chain(series.pool.iter().map(|p| p.t_ms))
        .max()
        .map_or(1.0, seconds);

    let mut memory = Vec::new();
    for (guest, colour) in series.guests.iter().zip(GUEST_COLOURS.iter().cycle()) {
        let line =
            |label: String, width, dashed, value: fn(&super::record::GuestSample) -> u64| Line {
                label,
                colour: *colour,
                width,
                dashed,
                points: guest
                    .points
                    .iter()
                    .map(|p| (seconds(p.sample.t_ms), value(&p.sample)))
                    .collect(),
            };
        memory.push(line(ram_label(&guest.name), 2, false, |s| s.ram));
        memory.push(line(format!("{} target", guest.name), 1, true, |s| {
            s.target
        }));
    }

    let pool_line =
        |label: &str, colour, width, dashed, value: fn(&super::record::PoolSample) -> u64| Line {
            label: label.to_string(),
            colour,
            width,
            dashed,
            points: series
                .pool
                .iter()
                .map(|p| (seconds(p.t_ms), value(p)))
                .collect(),
        };
    // The capacity (all free RAM) would flatten the use to a line at 0:
    // the caption gives it instead.
    let pool = vec![
        pool_line("tmem pages used", TMEM, 2, false, |p| p.tmem_used),
        pool_line("manager's reserve (frames)", RESERVE, 1, true, |p| {
            p.reserve
        }),
    ];

    let io = series.io_per_period();
    let io_line = |label: &str, colour, dashed, value: fn(&super::series::PeriodIo) -> u64| Line {
        label: label.to_string(),
        colour,
        width: if dashed { 1 } else { 2 },
        dashed,
        points: io.iter().map(|p| (seconds(p.t_ms), value(p))).collect(),
    };
    let swap = vec![
        io_line("swap-ins from tmem", TMEM, false, |p| p.ins_tmem),
        io_line("swap-outs to tmem", TMEM, true, |p| p.outs_tmem),
        io_line("swap-ins from SD", SD, false, |p| p.ins_sd),
        io_line("swap-outs to SD", SD, true, |p| p.outs_sd),
    ];

    let policy = series.policy().unwrap_or("policy not reported");
    let captions = [
        format!("demo ({policy}): memory per guest"),
        match series.pool.iter().map(|p| p.tmem_capacity).max() {
            Some(capacity) => format!("tmem pool (capacity {capacity} pages)"),
            None => "tmem pool".to_string(),
        },
        "swap I/O per period, all guests".to_string(),
    ];
    let axes = |caption, y_desc| Axes {
        caption,
        x_desc: "seconds of virtual time",
        y_desc,
        x: XAxis::Span { end },
    };
    let (memory_axes, pool_axes, swap_axes) = (
        axes(captions[0].as_str(), "4 KiB frames"),
        axes(captions[1].as_str(), "pages / frames"),
        axes(captions[2].as_str(), "pages per period"),
    );
    draw_charts(
        path,
        vec![
            (&memory_axes, memory),
            (&pool_axes, pool),
            (&swap_axes, swap),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::series::tests::{guest_line, pool_line};

    fn series(guests: &[&str], periods: u64) -> DemoSeries {
        let mut series = DemoSeries::new();
        for k in 1..=periods {
            for (i, name) in guests.iter().enumerate() {
                let i = i as u64;
                series.feed(
                    "mm",
                    &guest_line(
                        name,
                        k,
                        k * 100,
                        64 + k * i,
                        60 + k,
                        k,
                        i,
                        (k, i),
                        (2 * k, i),
                        10 * k,
                    ),
                );
            }
            series.feed("mm", &pool_line(k, k * 100, 5 * k));
        }
        series
    }

    fn texts(document: &roxmltree::Document<'_>) -> Vec<String> {
        document
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").trim().to_string())
            .collect()
    }

    #[test]
    fn the_plot_is_well_formed_svg_with_one_ram_series_per_guest() {
        // Each test writes in a directory of its own: tests run in
        // parallel, and one clearing another's files made it flaky.
        let dir = crate::workspace::target_dir().join("demo-plot-test/well-formed");
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("demo.svg");
        let guests = ["alpha", "beta", "gamma"];
        assert!(write_svg(&series(&guests, 30), &path).unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        let document = roxmltree::Document::parse(&text).expect("well-formed XML");
        assert!(document.root_element().has_tag_name("svg"));
        let labels = texts(&document);
        for guest in guests {
            let ram = labels.iter().filter(|l| **l == ram_label(guest)).count();
            let target = labels
                .iter()
                .filter(|l| **l == format!("{guest} target"))
                .count();
            assert_eq!((ram, target), (1, 1), "{guest}: {labels:?}");
        }
        for legend in ["tmem pages used", "swap-ins from tmem", "swap-outs to SD"] {
            assert!(labels.iter().any(|l| l == legend), "{legend}: {labels:?}");
        }
        assert!(labels.iter().any(|l| l.contains("demo (selfballoon)")));
        assert!(
            labels
                .iter()
                .any(|l| l == "tmem pool (capacity 1000 pages)"),
            "{labels:?}"
        );
        // Time is labelled in plain seconds.
        assert!(
            labels.iter().any(|l| l == "0.5") && labels.iter().any(|l| l == "3"),
            "{labels:?}"
        );
        // Solid lines are one polyline each: the guests' RAM, the pool's
        // use, two swap-in lines; then the legends' samples.
        let polylines = document
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .count();
        assert!(polylines >= guests.len() + 3, "{polylines}");
        // The same series give the same file.
        write_svg(&series(&guests, 30), &path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn nothing_to_plot_writes_nothing() {
        let path = crate::workspace::target_dir().join("demo-plot-test/empty/none.svg");
        assert!(!write_svg(&DemoSeries::new(), &path).unwrap());
        assert!(!path.exists());
    }

    #[test]
    fn a_run_without_pool_lines_still_plots_its_guests() {
        let path =
            crate::workspace::target_dir().join("demo-plot-test/guests-only/guests-only.svg");
        let mut only_guests = DemoSeries::new();
        only_guests.feed(
            "g",
            &guest_line("solo", 1, 100, 64, 64, 0, 0, (0, 0), (0, 0), 1),
        );
        assert!(write_svg(&only_guests, &path).unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        let document = roxmltree::Document::parse(&text).unwrap();
        assert!(texts(&document).contains(&ram_label("solo")));
    }
}
