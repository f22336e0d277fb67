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

/// Instructions per operation against pages already stored (log scale),
/// one line per mode and operation. Returns whether there was anything
/// to draw.
fn stored_pages(figures: &[Figure], path: &Path) -> Result<bool, Error> {
    let mut lines = Vec::new();
    for (mode, colour) in MODES {
        for (op, width) in [("put", 2), ("get", 1), ("flush", 1)] {
            let mut points: Vec<(u32, u64)> = figures
                .iter()
                .filter_map(|figure| {
                    let series = Series::of(&figure.name)?;
                    (series.op == op && series.mode == mode)
                        .then_some((series.stored_pages?, figure.value))
                })
                .collect();
            points.sort_unstable();
            if !points.is_empty() {
                lines.push((format!("{op} {mode}"), colour, width, points));
            }
        }
    }
    let Some(top) = lines
        .iter()
        .flat_map(|(_, _, _, points)| points.iter().map(|&(_, value)| value))
        .max()
    else {
        return Ok(false);
    };
    let root = SVGBackend::new(path, (720, 460)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_error(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "tmem: instructions per operation by pages already stored",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d((10u32..10_000u32).log_scale(), 0u64..top * 11 / 10)
        .map_err(|e| plot_error(path, e))?;
    chart
        .configure_mesh()
        .x_desc("pages already stored")
        .y_desc("instructions per operation")
        .x_label_formatter(&|pages| pages.to_string())
        .draw()
        .map_err(|e| plot_error(path, e))?;
    for (label, colour, width, points) in lines {
        let style = ShapeStyle::from(colour).stroke_width(width);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), style))
            .map_err(|e| plot_error(path, e))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&point| Circle::new(point, 3, colour.filled())),
            )
            .map_err(|e| plot_error(path, e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_error(path, e))?;
    root.present().map_err(|e| plot_error(path, e))?;
    Ok(true)
}

fn plot_error(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::io(path, std::io::Error::other(error.to_string()))
}

/// Instructions per page against pages per call (1..64), one line per
/// mode and direction. Returns whether there was anything to draw.
fn pages_per_call(figures: &[Figure], path: &Path) -> Result<bool, Error> {
    let mut lines = Vec::new();
    for (mode, colour) in MODES {
        for (op, dashed) in [("put", false), ("get", true)] {
            let mut points: Vec<(u32, u64)> = figures
                .iter()
                .filter_map(|figure| {
                    let series = Series::of(&figure.name)?;
                    (series.op == op && series.mode == mode)
                        .then_some((series.pages_per_call?, figure.value))
                })
                .collect();
            points.sort_unstable();
            if !points.is_empty() {
                lines.push((format!("{op} {mode}"), colour, dashed, points));
            }
        }
    }
    let Some(top) = lines
        .iter()
        .flat_map(|(_, _, _, points)| points.iter().map(|&(_, value)| value))
        .max()
    else {
        return Ok(false);
    };
    let root = SVGBackend::new(path, (720, 460)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_error(path, e))?;
    // Runs are 1, 4, 16, 64 pages: evenly spaced on a log-4 axis, labelled
    // with the page counts.
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "tmem: instructions per page by pages per call",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.25f64..3.25f64, 0u64..top * 11 / 10)
        .map_err(|e| plot_error(path, e))?;
    chart
        .configure_mesh()
        .x_desc("pages per call")
        .y_desc("instructions per page")
        .x_labels(4)
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 0.01 && (0.0..=3.0).contains(&x.round()) {
                (1u32 << (2 * x.round() as u32)).to_string()
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(|e| plot_error(path, e))?;
    let position = |pages: u32| f64::from(pages.max(1).ilog2()) / 2.0;
    for (label, colour, dashed, points) in lines {
        let points: Vec<(f64, u64)> = points.iter().map(|&(p, v)| (position(p), v)).collect();
        let style = ShapeStyle::from(colour).stroke_width(if dashed { 1 } else { 2 });
        chart
            .draw_series(LineSeries::new(points.iter().copied(), style))
            .map_err(|e| plot_error(path, e))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&point| Circle::new(point, 3, colour.filled())),
            )
            .map_err(|e| plot_error(path, e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_error(path, e))?;
    root.present().map_err(|e| plot_error(path, e))?;
    Ok(true)
}

/// Instructions per single-page operation, one line per mode over the
/// operations. Returns whether there was anything to draw.
fn single_operations(figures: &[Figure], path: &Path) -> Result<bool, Error> {
    let value_of = |op: &str, mode: &str| {
        figures.iter().find_map(|figure| {
            let series = Series::of(&figure.name)?;
            (series.op == op
                && series.mode == mode
                && series.pages_per_call.is_none()
                && series.stored_pages.is_none()
                && series.content.is_none())
            .then_some(figure.value)
        })
    };
    let lines: Vec<_> = MODES
        .iter()
        .map(|&(mode, colour)| {
            let points: Vec<(i32, u64)> = OPS
                .iter()
                .enumerate()
                .filter_map(|(i, op)| Some((i as i32, value_of(op, mode)?)))
                .collect();
            (mode, colour, points)
        })
        .filter(|(_, _, points)| !points.is_empty())
        .collect();
    let Some(top) = lines
        .iter()
        .flat_map(|(_, _, points)| points.iter().map(|&(_, value)| value))
        .max()
    else {
        return Ok(false);
    };
    let root = SVGBackend::new(path, (720, 460)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_error(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "tmem: instructions per operation, user-level modes and in-kernel",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5f64..3.5f64, 0u64..top * 11 / 10)
        .map_err(|e| plot_error(path, e))?;
    chart
        .configure_mesh()
        .x_labels(OPS.len())
        .x_label_formatter(&|x| {
            let i = x.round() as usize;
            if (x - x.round()).abs() < 0.01 && i < OPS.len() {
                OPS[i].to_string()
            } else {
                String::new()
            }
        })
        .y_desc("instructions per operation")
        .draw()
        .map_err(|e| plot_error(path, e))?;
    for (mode, colour, points) in lines {
        let points: Vec<(f64, u64)> = points.iter().map(|&(i, v)| (f64::from(i), v)).collect();
        let style = ShapeStyle::from(colour).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), style))
            .map_err(|e| plot_error(path, e))?
            .label(mode)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&point| Circle::new(point, 3, colour.filled())),
            )
            .map_err(|e| plot_error(path, e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_error(path, e))?;
    root.present().map_err(|e| plot_error(path, e))?;
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
