//! SVG charts drawn with `plotters`' SVG backend (no font files: the SVG
//! names a font family and the viewer draws the text): the tmem benchmark
//! figures' charts, and the line-chart drawing that every chart of xtask
//! shares ([`draw_charts`]: the demo's plot uses it too).
//!
//! Charts are made from the figures of one `cargo xtask bench` run and
//! only from them, so the same figures always give the same files. A chart
//! whose figures are missing is not drawn. This module must never compute
//! a figure; it only places the measured ones.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::bench::{Figure, Series};
use crate::Error;

/// The modes, in drawing order, with their colours; `inkernel` is the
/// in-kernel baseline (single-page operations only).
const MODES: [(&str, RGBColor); 4] = [
    ("copy", RGBColor(0x1f, 0x77, 0xb4)),
    ("grant_map", RGBColor(0xd6, 0x27, 0x28)),
    ("transfer", RGBColor(0x2c, 0xa0, 0x2c)),
    ("inkernel", RGBColor(0x55, 0x55, 0x55)),
];

/// Single-page operations, in drawing order.
const OPS: [&str; 4] = ["put", "get", "get_exclusive", "flush"];

/// Writes every chart the figures allow into `dir`; returns the files.
pub fn write_all(figures: &[Figure], dir: &Path) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    let runs = dir.join("tmem-pages-per-call.svg");
    if pages_per_call(figures, &runs)? {
        written.push(runs);
    }
    let modes = dir.join("tmem-modes.svg");
    if single_operations(figures, &modes)? {
        written.push(modes);
    }
    let stored = dir.join("tmem-stored-pages.svg");
    if stored_pages(figures, &stored)? {
        written.push(stored);
    }
    Ok(written)
}

/// One line of a chart: its legend, colour, stroke width, whether it is
/// dashed, and its points (position on the x axis, value).
pub(crate) struct Line {
    pub label: String,
    pub colour: RGBColor,
    pub width: u32,
    pub dashed: bool,
    pub points: Vec<(f64, u64)>,
}

/// A chart's x axis.
pub(crate) enum XAxis<'a> {
    /// Points sit at whole-number positions `first..=last`, each labelled
    /// by `tick` (the axis spans a quarter step more on each side).
    Positions {
        first: u32,
        last: u32,
        tick: &'a dyn Fn(u32) -> String,
    },
    /// A continuous quantity from 0 to `end`, labelled with numbers.
    Span { end: f64 },
}

/// What sets one chart apart: its words and its x axis.
pub(crate) struct Axes<'a> {
    pub caption: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    pub x: XAxis<'a>,
}

/// Lines of tmem figures placed by `x` (figures it does not place are
/// left out): one per mode and per group of operations, each group with
/// its stroke width. A group of one operation is labelled "op mode", a
/// larger one by the mode alone.
fn series_lines(
    figures: &[Figure],
    groups: &[(&[&str], u32)],
    x: impl Fn(&Series) -> Option<f64>,
) -> Vec<Line> {
    let mut lines = Vec::new();
    for (mode, colour) in MODES {
        for &(ops, width) in groups {
            let mut points: Vec<(f64, u64)> = figures
                .iter()
                .filter_map(|figure| {
                    let series = Series::of(&figure.name)?;
                    let wanted = series.mode == mode && ops.contains(&series.op.as_str());
                    Some((x(&series).filter(|_| wanted)?, figure.value))
                })
                .collect();
            points.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            let label = match ops {
                [op] => format!("{op} {mode}"),
                _ => mode.to_string(),
            };
            if !points.is_empty() {
                lines.push(Line {
                    label,
                    colour,
                    width,
                    dashed: false,
                    points,
                });
            }
        }
    }
    lines
}

/// Instructions per operation against pages already stored, 10 to 10,000
/// on a log axis, one line per mode and operation. Returns whether there
/// was anything to draw.
fn stored_pages(figures: &[Figure], path: &Path) -> Result<bool, Error> {
    let groups: [(&[&str], u32); 3] = [(&["put"], 2), (&["get"], 1), (&["flush"], 1)];
    let lines = series_lines(figures, &groups, |series| {
        Some(f64::from(series.stored_pages?.max(1)).log10())
    });
    let axes = Axes {
        caption: "tmem: instructions per operation by pages already stored",
        x_desc: "pages already stored",
        y_desc: "instructions per operation",
        x: XAxis::Positions {
            first: 1,
            last: 4,
            tick: &|decade| 10u32.pow(decade).to_string(),
        },
    };
    draw(path, &axes, lines)
}

/// Instructions per page against pages per call (1, 4, 16, 64: evenly
/// spaced), one line per mode and direction. Returns whether there was
/// anything to draw.
fn pages_per_call(figures: &[Figure], path: &Path) -> Result<bool, Error> {
    let groups: [(&[&str], u32); 2] = [(&["put"], 2), (&["get"], 1)];
    let lines = series_lines(figures, &groups, |series| {
        Some(f64::from(series.pages_per_call?.max(1).ilog2()) / 2.0)
    });
    let axes = Axes {
        caption: "tmem: instructions per page by pages per call",
        x_desc: "pages per call",
        y_desc: "instructions per page",
        x: XAxis::Positions {
            first: 0,
            last: 3,
            tick: &|step| (1u32 << (2 * step)).to_string(),
        },
    };
    draw(path, &axes, lines)
}

/// Instructions per single-page operation, one line per mode over the
/// operations. Returns whether there was anything to draw.
fn single_operations(figures: &[Figure], path: &Path) -> Result<bool, Error> {
    let lines = series_lines(figures, &[(&OPS, 2)], |series| {
        let single = series.pages_per_call.is_none()
            && series.stored_pages.is_none()
            && series.content.is_none();
        let at = OPS.iter().position(|&op| op == series.op)?;
        single.then_some(at as f64)
    });
    let axes = Axes {
        caption: "tmem: instructions per operation, user-level modes and in-kernel",
        x_desc: "",
        y_desc: "instructions per operation",
        x: XAxis::Positions {
            first: 0,
            last: OPS.len() as u32 - 1,
            tick: &|i| OPS[i as usize].to_string(),
        },
    };
    draw(path, &axes, lines)
}

/// Draws `lines` on `axes` into the SVG file `path`, with a legend.
/// Returns whether there was anything to draw (nothing is written then).
fn draw(path: &Path, axes: &Axes<'_>, lines: Vec<Line>) -> Result<bool, Error> {
    draw_charts(path, vec![(axes, lines)])
}

/// One chart's width and height in the SVG.
const CHART_SIZE: (u32, u32) = (720, 460);

/// Draws `charts` one above the other into the SVG file `path`, each with
/// its legend; a chart with no points is left blank. Returns whether any
/// chart had anything to draw (nothing is written otherwise).
pub(crate) fn draw_charts(path: &Path, charts: Vec<(&Axes<'_>, Vec<Line>)>) -> Result<bool, Error> {
    let has_points = |lines: &[Line]| lines.iter().any(|line| !line.points.is_empty());
    if !charts.iter().any(|(_, lines)| has_points(lines)) {
        return Ok(false);
    }
    let fail = |e: &dyn std::fmt::Display| Error::io(path, std::io::Error::other(e.to_string()));
    let height = CHART_SIZE.1 * charts.len() as u32;
    let root = SVGBackend::new(path, (CHART_SIZE.0, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let areas = root.split_evenly((charts.len(), 1));
    for (area, (axes, lines)) in areas.iter().zip(charts) {
        if has_points(&lines) {
            draw_chart(area, axes, lines).map_err(|e| fail(&e))?;
        }
    }
    root.present().map_err(|e| fail(&e))?;
    Ok(true)
}

/// A drawing error of the SVG backend (which writes with `std::io`).
type SvgError = DrawingAreaErrorKind<std::io::Error>;

/// Draws one chart of `lines` (at least one point among them) on `area`.
fn draw_chart(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    axes: &Axes<'_>,
    lines: Vec<Line>,
) -> Result<(), SvgError> {
    let top = lines
        .iter()
        .flat_map(|line| line.points.iter().map(|&(_, value)| value))
        .max()
        .unwrap_or(0);
    let x_range = match axes.x {
        XAxis::Positions { first, last, .. } => f64::from(first) - 0.25..f64::from(last) + 0.25,
        XAxis::Span { end } => 0.0..end.max(f64::MIN_POSITIVE),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(axes.caption, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(x_range, 0u64..top + top / 10 + 1)?;
    let label = |x: &f64| match axes.x {
        XAxis::Positions { first, last, tick } => {
            let at = x.round();
            let whole = (x - at).abs() < 0.01;
            if whole && (f64::from(first)..=f64::from(last)).contains(&at) {
                tick(at as u32)
            } else {
                String::new()
            }
        }
        XAxis::Span { .. } => {
            // At most three decimals, none trailing: 0.30000000000000004
            // is 0.3.
            let text = format!("{x:.3}");
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(axes.x_desc)
        .y_desc(axes.y_desc)
        .x_label_formatter(&label);
    if let XAxis::Positions { first, last, .. } = axes.x {
        mesh.x_labels((last - first + 1) as usize);
    }
    mesh.draw()?;
    for line in lines {
        let style = ShapeStyle::from(line.colour).stroke_width(line.width);
        let points = line.points.iter().copied();
        let series = if line.dashed {
            chart.draw_series(DashedLineSeries::new(points, 6, 4, style))?
        } else {
            chart.draw_series(LineSeries::new(points, style))?
        };
        series
            .label(line.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
        // Dots only where points are few enough to tell apart.
        if line.points.len() <= 16 {
            let dot = line.colour.filled();
            chart.draw_series(line.points.iter().map(|&point| Circle::new(point, 3, dot)))?;
        }
    }
    // Series over time tend to rise to the right: their legend goes left.
    let legend = match axes.x {
        XAxis::Positions { .. } => SeriesLabelPosition::UpperRight,
        XAxis::Span { .. } => SeriesLabelPosition::UpperLeft,
    };
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::parse_figure;

    fn figures(lines: &[&str]) -> Vec<Figure> {
        lines
            .iter()
            .map(|line| parse_figure(line, "bench-tmem").unwrap())
            .collect()
    }

    #[test]
    fn charts_are_drawn_from_the_figures_there_are_and_repeat_exactly() {
        let dir = crate::workspace::target_dir().join("bench-plot-test");
        let _ = std::fs::remove_dir_all(&dir);
        let figures = figures(&[
            "bench tmem.put.copy.run1: 2906 instructions per page",
            "bench tmem.put.copy.run4: 1859 instructions per page",
            "bench tmem.get.transfer.run4: 2156 instructions per page",
            "bench tmem.put.copy: 2870 instructions per operation",
        ]);
        let written = write_all(&figures, &dir).unwrap();
        assert_eq!(written.len(), 2);
        let first = std::fs::read_to_string(&written[0]).unwrap();
        assert!(first.starts_with("<svg"));
        assert!(first.contains("put copy") && first.contains("get transfer"));
        assert!(!first.contains("grant_map"), "no figures, no line");
        write_all(&figures, &dir).unwrap();
        assert_eq!(std::fs::read_to_string(&written[0]).unwrap(), first);
        let none = write_all(&figures[..0], &dir.join("empty")).unwrap();
        assert!(none.is_empty());
    }
}
