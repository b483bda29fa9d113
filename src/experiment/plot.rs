//! SVG figures for the report, drawn with `plotters` into strings and written atomically.

use std::path::Path;

use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::io::write_atomic;

/// One named line of a line chart.
pub struct Line {
    /// Legend entry.
    pub name: String,
    /// Points `(x, y)`; non-positive `y` are dropped on a log scale.
    pub points: Vec<(f64, f64)>,
}

/// A bar of a grouped bar chart: its group on the x-axis, its series and its value.
pub struct Bar {
    /// Group label on the x-axis.
    pub group: String,
    /// Series (legend entry).
    pub series: String,
    /// Height.
    pub value: f64,
}

const WIDTH: u32 = 720;
const HEIGHT: u32 = 420;

fn color(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    PALETTE[i % PALETTE.len()]
}

fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::invalid("figure", "", format!("drawing failed: {e}"))
}

fn bounds(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (if log { 1e-3 } else { 0.0 }, 1.0);
    }
    if log {
        (lo / 1.5, hi * 1.5)
    } else {
        let pad = 0.05 * (hi - lo).max(1e-12);
        ((lo - pad).min(0.0f64.max(lo - pad)), hi + pad)
    }
}

/// Draws a line chart with a logarithmic y-axis and optional vertical markers (for example the
/// tuning epoch), and writes it to `path`.
pub fn line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Line],
    markers: &[(f64, &str)],
) -> Result<()> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let x_max = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .fold(1.0f64, f64::max);
        let (y_lo, y_hi) = bounds(
            lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)),
            true,
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x_max, (y_lo..y_hi).log_scale())
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .draw()
            .map_err(plot_error)?;
        for (i, line) in lines.iter().enumerate() {
            let c = color(i);
            let points: Vec<(f64, f64)> = line
                .points
                .iter()
                .copied()
                .filter(|p| p.1 > 0.0 && p.1.is_finite())
                .collect();
            chart
                .draw_series(LineSeries::new(points, c.stroke_width(2)))
                .map_err(plot_error)?
                .label(line.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
        }
        for &(x, label) in markers {
            chart
                .draw_series(LineSeries::new(
                    vec![(x, y_lo), (x, y_hi)],
                    BLACK.mix(0.5).stroke_width(1),
                ))
                .map_err(plot_error)?
                .label(label.to_string())
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.mix(0.5)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    write_atomic(path, svg.as_bytes())
}

/// Draws grouped bars (one colour per series), with a logarithmic y-axis if `log`.
pub fn bar_chart(path: &Path, title: &str, y_label: &str, bars: &[Bar], log: bool) -> Result<()> {
    let mut groups: Vec<String> = Vec::new();
    let mut series: Vec<String> = Vec::new();
    for b in bars {
        if !groups.contains(&b.group) {
            groups.push(b.group.clone());
        }
        if !series.contains(&b.series) {
            series.push(b.series.clone());
        }
    }
    let (lo, hi) = bounds(bars.iter().map(|b| b.value), log);
    let lo = if log { lo } else { lo.min(0.0) };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let n_groups = groups.len().max(1) as f64;
        let labels = groups.clone();
        let formatter = move |x: &f64| {
            let i = x.round() as i64;
            if (x - x.round()).abs() < 1e-6 && i >= 0 && (i as usize) < labels.len() {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        };
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70);
        let width = 0.8 / series.len().max(1) as f64;
        let rects = |i_group: usize, i_series: usize, value: f64, base: f64| {
            let x0 = i_group as f64 - 0.4 + i_series as f64 * width;
            Rectangle::new(
                [(x0, base), (x0 + width * 0.95, value)],
                color(i_series).filled(),
            )
        };
        macro_rules! draw {
            ($chart:expr, $base:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .disable_x_mesh()
                    .x_labels(groups.len() + 1)
                    .x_label_formatter(&formatter)
                    .y_label_formatter(&|v: &f64| {
                        if log {
                            format!("{v:.0e}")
                        } else {
                            format!("{v:.3}")
                        }
                    })
                    .y_desc(y_label)
                    .draw()
                    .map_err(plot_error)?;
                for (s, name) in series.iter().enumerate() {
                    let c = color(s);
                    let items: Vec<_> = bars
                        .iter()
                        .filter(|b| {
                            &b.series == name && b.value.is_finite() && (!log || b.value > 0.0)
                        })
                        .map(|b| {
                            rects(
                                groups.iter().position(|g| *g == b.group).unwrap_or(0),
                                s,
                                b.value,
                                $base,
                            )
                        })
                        .collect();
                    chart
                        .draw_series(items)
                        .map_err(plot_error)?
                        .label(name.clone())
                        .legend(move |(x, y)| {
                            Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled())
                        });
                }
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperRight)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .draw()
                    .map_err(plot_error)?;
            }};
        }
        if log {
            let chart = builder
                .build_cartesian_2d(-0.5..n_groups - 0.5, (lo..hi).log_scale())
                .map_err(plot_error)?;
            draw!(chart, lo);
        } else {
            let chart = builder
                .build_cartesian_2d(-0.5..n_groups - 0.5, lo..hi)
                .map_err(plot_error)?;
            draw!(chart, 0.0);
        }
        root.present().map_err(plot_error)?;
    }
    write_atomic(path, svg.as_bytes())
}
