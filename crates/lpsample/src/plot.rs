//! SVG line charts of sweep summaries, written as plain SVG text like the other
//! tools of this workspace: one line per scheme against the sample size m on a
//! log axis.
//!
//! - [`distortion_svg`]: median distortion (solid) and 90th percentile (dashed);
//! - [`regression_svg`]: median cost ratio (solid) and max cost ratio (dashed).
//!
//! ```
//! use lpsample::plot::{line_chart_svg, Series};
//!
//! let series = [Series { label: "lewis".into(), points: vec![(10.0, 0.5), (100.0, 0.1)],
//!     dashed: false }];
//! let svg = line_chart_svg("distortion", "m", "distortion", &series);
//! assert!(svg.starts_with("<svg") && svg.contains("lewis"));
//! ```

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::sweep::{DistortionRecord, SweepRecord};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 480.0;
const MARGIN: f64 = 70.0;
const LEGEND_WIDTH: f64 = 150.0;
const COLORS: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];

/// One polyline of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// (x, y) points; x > 0 because the x axis is logarithmic.
    pub points: Vec<(f64, f64)>,
    /// Draw dashed (a secondary statistic of the previous solid series).
    pub dashed: bool,
}

struct Axes {
    log_x: (f64, f64),
    y: (f64, f64),
}

impl Axes {
    fn x(&self, x: f64) -> f64 {
        let span = (self.log_x.1 - self.log_x.0).max(1e-12);
        MARGIN + (x.log10() - self.log_x.0) / span * (WIDTH - LEGEND_WIDTH - MARGIN)
    }

    fn y(&self, y: f64) -> f64 {
        let span = (self.y.1 - self.y.0).max(1e-12);
        HEIGHT - MARGIN - (y - self.y.0) / span * (HEIGHT - 2.0 * MARGIN)
    }
}

/// Renders the series with a log x axis and a linear y axis. Non-finite points
/// and points with x ≤ 0 are left out.
pub fn line_chart_svg(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> String {
    let points: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|(x, y)| *x > 0.0 && x.is_finite() && y.is_finite())
        .collect();
    let axes = axes_for(&points);

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="14">{}</text>"#,
        (WIDTH - LEGEND_WIDTH) / 2.0,
        escape(title)
    );
    write_axes(&mut svg, &axes, x_label, y_label);
    write_series(&mut svg, &axes, series);
    svg.push_str("</svg>\n");
    svg
}

fn axes_for(points: &[(f64, f64)]) -> Axes {
    let fold = |f: fn(f64, f64) -> f64, init: f64, pick: fn(&(f64, f64)) -> f64| {
        points.iter().map(pick).fold(init, f)
    };
    let (x_min, x_max) = (
        fold(f64::min, f64::INFINITY, |p| p.0),
        fold(f64::max, f64::NEG_INFINITY, |p| p.0),
    );
    let (y_min, y_max) = (
        fold(f64::min, f64::INFINITY, |p| p.1),
        fold(f64::max, f64::NEG_INFINITY, |p| p.1),
    );
    if points.is_empty() {
        return Axes {
            log_x: (0.0, 1.0),
            y: (0.0, 1.0),
        };
    }
    let pad = 0.05 * (y_max - y_min).max(1e-9 * y_max.abs().max(1.0));
    Axes {
        log_x: (x_min.log10() - 0.05, x_max.log10() + 0.05),
        y: (y_min - pad, y_max + pad),
    }
}

fn write_axes(svg: &mut String, axes: &Axes, x_label: &str, y_label: &str) {
    let (x0, x1, y0, y1) = (MARGIN, WIDTH - LEGEND_WIDTH, HEIGHT - MARGIN, MARGIN);
    let _ = writeln!(
        svg,
        r#"<path d="M{x0},{y1} L{x0},{y0} L{x1},{y0}" fill="none" stroke="black"/>"#
    );
    for tick in log_ticks(axes.log_x) {
        let x = axes.x(tick);
        let _ = writeln!(
            svg,
            r#"<text x="{x:.2}" y="{}" text-anchor="middle">{tick}</text>"#,
            y0 + 16.0
        );
    }
    for k in 0..=5 {
        let value = axes.y.0 + (axes.y.1 - axes.y.0) * f64::from(k) / 5.0;
        let y = axes.y(value);
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{y:.2}" text-anchor="end">{}</text>"#,
            x0 - 4.0,
            format_tick(value)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        (x0 + x1) / 2.0,
        HEIGHT - 24.0,
        escape(x_label)
    );
    let middle = (y0 + y1) / 2.0;
    let _ = writeln!(
        svg,
        r#"<text x="16" y="{middle}" transform="rotate(-90 16 {middle})" text-anchor="middle">{}</text>"#,
        escape(y_label)
    );
}

/// Returns the ticks 1, 2, 5 × 10^e inside the log10 range.
fn log_ticks(log_range: (f64, f64)) -> Vec<f64> {
    let mut ticks = Vec::new();
    for exponent in log_range.0.floor() as i32..=log_range.1.ceil() as i32 {
        for mantissa in [1.0, 2.0, 5.0] {
            let tick = mantissa * 10f64.powi(exponent);
            if (log_range.0..=log_range.1).contains(&tick.log10()) {
                ticks.push(tick);
            }
        }
    }
    ticks
}

fn format_tick(value: f64) -> String {
    let text = format!("{value:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn write_series(svg: &mut String, axes: &Axes, series: &[Series]) {
    let mut color_index = 0;
    for (k, line) in series.iter().enumerate() {
        if !line.dashed && k > 0 {
            color_index += 1;
        }
        let color = COLORS[color_index % COLORS.len()];
        let dash = if line.dashed {
            r#" stroke-dasharray="6,4""#
        } else {
            ""
        };
        let points: Vec<String> = line
            .points
            .iter()
            .filter(|(x, y)| *x > 0.0 && x.is_finite() && y.is_finite())
            .map(|(x, y)| format!("{:.2},{:.2}", axes.x(*x), axes.y(*y)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{color}" stroke-width="1.5"{dash} points="{}"/>"#,
            points.join(" ")
        );
        let legend_y = MARGIN + 16.0 * k as f64;
        let legend_x = WIDTH - LEGEND_WIDTH + 10.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{legend_x}" x2="{}" y1="{legend_y}" y2="{legend_y}" stroke="{color}" stroke-width="1.5"{dash}/>"#,
            legend_x + 24.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" fill="{color}">{}</text>"#,
            legend_x + 30.0,
            legend_y + 4.0,
            escape(&line.label)
        );
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Groups values by scheme, then by m (ascending), each group sorted.
fn group(
    records: impl Iterator<Item = (String, f64, f64)>,
) -> BTreeMap<String, Vec<(f64, Vec<f64>)>> {
    let mut groups: BTreeMap<String, BTreeMap<u64, Vec<f64>>> = BTreeMap::new();
    for (scheme, m, value) in records {
        groups
            .entry(scheme)
            .or_default()
            .entry(m.to_bits())
            .or_default()
            .push(value);
    }
    groups
        .into_iter()
        .map(|(scheme, by_m)| {
            let mut sizes: Vec<(f64, Vec<f64>)> = by_m
                .into_iter()
                .map(|(bits, mut values)| {
                    values.sort_by(f64::total_cmp);
                    (f64::from_bits(bits), values)
                })
                .collect();
            sizes.sort_by(|a, b| a.0.total_cmp(&b.0));
            (scheme, sizes)
        })
        .collect()
}

/// Returns the nearest-rank quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let index = (q * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn two_statistics(
    groups: BTreeMap<String, Vec<(f64, Vec<f64>)>>,
    solid: (&str, f64),
    dashed: (&str, f64),
) -> Vec<Series> {
    let mut series = Vec::new();
    for (scheme, sizes) in groups {
        for ((name, q), is_dashed) in [(solid, false), (dashed, true)] {
            series.push(Series {
                label: format!("{scheme} {name}"),
                points: sizes.iter().map(|(m, v)| (*m, quantile(v, q))).collect(),
                dashed: is_dashed,
            });
        }
    }
    series
}

/// Renders median and 90th-percentile distortion against m, one colour per scheme.
pub fn distortion_svg(records: &[DistortionRecord]) -> String {
    let p = records.first().map_or(f64::NAN, |r| r.p);
    let groups = group(
        records
            .iter()
            .map(|r| (r.scheme.clone(), r.m, r.distortion)),
    );
    let series = two_statistics(groups, ("median", 0.5), ("p90", 0.9));
    let title = format!("probe distortion, p = {p}");
    line_chart_svg(
        &title,
        "expected sample size m",
        "distortion |ρ − 1|",
        &series,
    )
}

/// Renders median and max cost ratio ‖Ax̃ − b‖_p / OPT against m, one colour per scheme.
pub fn regression_svg(records: &[SweepRecord]) -> String {
    let p = records.first().map_or(f64::NAN, |r| r.p);
    let groups = group(
        records
            .iter()
            .map(|r| (r.scheme.clone(), r.m, r.cost_ratio)),
    );
    let series = two_statistics(groups, ("median", 0.5), ("max", 1.0));
    let title = format!("sampled ℓp regression, p = {p}");
    line_chart_svg(
        &title,
        "expected sample size m",
        "cost ratio ‖Ax̃ − b‖ / OPT",
        &series,
    )
}
