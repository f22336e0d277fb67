//! SVG charts of the tmem benchmark figures, drawn with `plotters`' SVG
//! backend (no font files: the SVG names a font family and the viewer
//! draws the text).
//!
//! Charts are made from the figures of one `cargo xtask bench` run and
//! only from them, so the same figures always give the same files. A chart
//! whose figures are missing is not drawn. This module must never compute
//! a figure; it only places the measured ones.

use std::path::{Path, PathBuf};

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

/// One line of a chart: its legend, colour, stroke width and points
/// (position on the x axis, instructions).
struct Line {
    label: String,
    colour: RGBColor,
    width: u32,
    points: Vec<(f64, u64)>,
}

/// What sets one chart apart: its words and its x axis. Points sit at
/// whole-number positions, which `tick` labels.
struct Axes<'a> {
    caption: &'a str,
    x_desc: &'a str,
    y_desc: &'a str,
    /// The labelled positions, `0..=last` (the axis spans half a step more
    /// on each side).
    first: u32,
    last: u32,
    tick: &'a dyn Fn(u32) -> String,
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
        first: 1,
        last: 4,
        tick: &|decade| 10u32.pow(decade).to_string(),
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
        first: 0,
        last: 3,
        tick: &|step| (1u32 << (2 * step)).to_string(),
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
        first: 0,
        last: OPS.len() as u32 - 1,
        tick: &|i| OPS[i as usize].to_string(),
    };
    draw(path, &axes, lines)
}

/// Draws `lines` on `axes` into the SVG file `path`, with a legend.
/// Returns whether there was anything to draw (nothing is written then).
fn draw(path: &Path, axes: &Axes<'_>, lines: Vec<Line>) -> Result<bool, Error> {
    let Some(top) = lines
        .iter()
        .flat_map(|line| line.points.iter().map(|&(_, value)| value))
        .max()
    else {
        return Ok(false);
    };
    let fail = |e: &dyn std::fmt::Display| Error::io(path, std::io::Error::other(e.to_string()));
    let root = SVGBackend::new(path, (720, 460)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let x_range = f64::from(axes.first) - 0.25..f64::from(axes.last) + 0.25;
    let mut chart = ChartBuilder::on(&root)
        .caption(axes.caption, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(x_range, 0u64..top * 11 / 10)
        .map_err(|e| fail(&e))?;
    let label = |x: &f64| {
        let at = x.round();
        let whole = (x - at).abs() < 0.01;
        if whole && (f64::from(axes.first)..=f64::from(axes.last)).contains(&at) {
            (axes.tick)(at as u32)
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .x_desc(axes.x_desc)
        .y_desc(axes.y_desc)
        .x_labels((axes.last - axes.first + 1) as usize)
        .x_label_formatter(&label)
        .draw()
        .map_err(|e| fail(&e))?;
    for line in lines {
        let style = ShapeStyle::from(line.colour).stroke_width(line.width);
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), style))
            .map_err(|e| fail(&e))?
            .label(line.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
        let dot = line.colour.filled();
        chart
            .draw_series(line.points.iter().map(|&point| Circle::new(point, 3, dot)))
            .map_err(|e| fail(&e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))?;
    Ok(true)
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
