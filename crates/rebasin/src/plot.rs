//! SVG plot of loss and accuracy over λ, written as plain text.
//!
//! Two panels (loss, accuracy) over λ ∈ [0, 1] (0 = model A, 1 = model B); the
//! naive path and the aligned path in two colours, test curves solid, train
//! curves dashed, the straight line between the endpoints of each curve dotted.
//! The title states the aligned test loss barrier.
//!
//! ```
//! use rebasin::plot::{PlotSeries, render_svg};
//!
//! let s = PlotSeries { label: "aligned test".into(), colour: "#1f77b4", dashed: false,
//!     loss: vec![1.0, 1.2, 1.0], acc: vec![0.9, 0.8, 0.9] };
//! let svg = render_svg("barrier 0.2", &[0.0, 0.5, 1.0], &[s]);
//! assert!(svg.starts_with("<svg"));
//! ```

use std::fmt::Write;

/// One curve of the plot.
#[derive(Clone, Debug)]
pub struct PlotSeries {
    /// Legend text.
    pub label: String,
    /// SVG colour.
    pub colour: &'static str,
    /// Dashed (train) or solid (test).
    pub dashed: bool,
    /// Loss at each λ.
    pub loss: Vec<f64>,
    /// Accuracy at each λ.
    pub acc: Vec<f64>,
}

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 420.0;
const PANEL_W: f64 = 360.0;
const PANEL_H: f64 = 300.0;
const TOP: f64 = 60.0;

/// Renders both panels as an SVG document.
pub fn render_svg(title: &str, lambdas: &[f64], series: &[PlotSeries]) -> String {
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(svg, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"25\" text-anchor=\"middle\" font-size=\"15\">{}</text>",
        WIDTH / 2.0,
        escape(title)
    );
    let loss: Vec<&[f64]> = series.iter().map(|s| s.loss.as_slice()).collect();
    let acc: Vec<&[f64]> = series.iter().map(|s| s.acc.as_slice()).collect();
    panel(&mut svg, 70.0, "loss", lambdas, &loss, series);
    panel(
        &mut svg,
        70.0 + PANEL_W + 90.0,
        "accuracy",
        lambdas,
        &acc,
        series,
    );
    legend(&mut svg, series);
    svg.push_str("</svg>\n");
    svg
}

fn panel(
    svg: &mut String,
    left: f64,
    name: &str,
    lambdas: &[f64],
    curves: &[&[f64]],
    series: &[PlotSeries],
) {
    let (lo, hi) = value_range(curves);
    let x = |l: f64| left + l * PANEL_W;
    let y = |v: f64| TOP + PANEL_H - (v - lo) / (hi - lo) * PANEL_H;
    let _ = writeln!(
        svg,
        "<rect x=\"{left}\" y=\"{TOP}\" width=\"{PANEL_W}\" height=\"{PANEL_H}\" fill=\"none\" stroke=\"black\"/>"
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">λ (0 = A, 1 = B)</text>",
        left + PANEL_W / 2.0,
        TOP + PANEL_H + 35.0
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{name}</text>",
        left + PANEL_W / 2.0,
        TOP - 8.0
    );
    for k in 0..=4 {
        let v = lo + (hi - lo) * k as f64 / 4.0;
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.3}</text>",
            left - 5.0,
            y(v) + 4.0
        );
        let l = k as f64 / 4.0;
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{l:.2}</text>",
            x(l),
            TOP + PANEL_H + 16.0
        );
    }
    for (values, s) in curves.iter().zip(series) {
        if values.is_empty() {
            continue;
        }
        let points: Vec<String> = lambdas
            .iter()
            .zip(values.iter())
            .map(|(&l, &v)| format!("{:.2},{:.2}", x(l), y(v)))
            .collect();
        let dash = if s.dashed {
            " stroke-dasharray=\"6,4\""
        } else {
            ""
        };
        let _ = writeln!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{dash}/>",
            points.join(" "),
            s.colour
        );
        let (first, last) = (values[0], values[values.len() - 1]);
        let _ = writeln!(
            svg,
            "<line x1=\"{:.2}\" y1=\"{:.2}\" x2=\"{:.2}\" y2=\"{:.2}\" stroke=\"{}\" stroke-dasharray=\"1,3\"/>",
            x(0.0),
            y(first),
            x(1.0),
            y(last),
            s.colour
        );
    }
}

fn legend(svg: &mut String, series: &[PlotSeries]) {
    for (i, s) in series.iter().enumerate() {
        let yy = HEIGHT - 20.0;
        let xx = 70.0 + i as f64 * 200.0;
        let dash = if s.dashed {
            " stroke-dasharray=\"6,4\""
        } else {
            ""
        };
        let _ = writeln!(
            svg,
            "<line x1=\"{xx}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\" stroke=\"{}\" stroke-width=\"2\"{dash}/>",
            xx + 30.0,
            s.colour
        );
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            xx + 36.0,
            yy + 4.0,
            escape(&s.label)
        );
    }
}

/// Returns (min, max) over all finite values, widened when flat.
fn value_range(curves: &[&[f64]]) -> (f64, f64) {
    let values = curves
        .iter()
        .flat_map(|c| c.iter().copied())
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
