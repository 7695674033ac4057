//! Risk-versus-n curves as plain SVG text: log–log axes, one solid line per
//! curve R̂₂(n) = a₁/n + a₂/n², a dashed horizontal line at the tolerance r and
//! a dotted vertical line at the observed n.
//!
//! ```
//! use pncrit::plot::{risk_curves_svg, Curve};
//! let curves = [Curve { label: "d = 2".into(), a1: 2.5, a2: 16.9 }];
//! let svg = risk_curves_svg(&curves, 0.02, Some(1599), (20.0, 1e5));
//! assert!(svg.starts_with("<svg") && svg.contains("d = 2"));
//! ```

use std::fmt::Write;

/// One curve R̂₂(n) = a₁/n + a₂/n².
#[derive(Clone, Debug)]
pub struct Curve {
    /// Legend text.
    pub label: String,
    /// First-order coefficient.
    pub a1: f64,
    /// Second-order coefficient.
    pub a2: f64,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 480.0;
const MARGIN: f64 = 60.0;
const COLORS: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];

struct Axes {
    log_x: (f64, f64),
    log_y: (f64, f64),
}

impl Axes {
    fn x(&self, n: f64) -> f64 {
        MARGIN + (n.log10() - self.log_x.0) / (self.log_x.1 - self.log_x.0) * (WIDTH - 2.0 * MARGIN)
    }

    fn y(&self, r: f64) -> f64 {
        HEIGHT
            - MARGIN
            - (r.log10() - self.log_y.0) / (self.log_y.1 - self.log_y.0) * (HEIGHT - 2.0 * MARGIN)
    }
}

fn grid(n_range: (f64, f64)) -> Vec<f64> {
    let (lo, hi) = (n_range.0.log10(), n_range.1.log10());
    (0..=200)
        .map(|k| 10f64.powf(lo + (hi - lo) * k as f64 / 200.0))
        .collect()
}

/// Renders the curves over n ∈ `n_range`; points with R̂₂ ≤ 0 are left out.
pub fn risk_curves_svg(
    curves: &[Curve],
    r: f64,
    observed_n: Option<usize>,
    n_range: (f64, f64),
) -> String {
    let ns = grid(n_range);
    let positive: Vec<f64> = curves
        .iter()
        .flat_map(|c| ns.iter().map(move |n| c.a1 / n + c.a2 / (n * n)))
        .filter(|v| *v > 0.0 && v.is_finite())
        .chain([r])
        .collect();
    let lo = positive.iter().fold(f64::INFINITY, |m, v| m.min(*v));
    let hi = positive.iter().fold(0.0_f64, |m, v| m.max(*v));
    let axes = Axes {
        log_x: (n_range.0.log10(), n_range.1.log10()),
        log_y: (lo.log10().floor(), hi.log10().ceil()),
    };

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    write_axes(&mut svg, &axes);
    for (k, c) in curves.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let points: Vec<String> = ns
            .iter()
            .map(|n| (n, c.a1 / n + c.a2 / (n * n)))
            .filter(|(_, v)| *v > 0.0)
            .map(|(n, v)| format!("{:.2},{:.2}", axes.x(*n), axes.y(v)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#,
            points.join(" ")
        );
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" fill="{color}">{}</text>"#,
            WIDTH - MARGIN + 4.0,
            MARGIN + 14.0 * k as f64,
            escape(&c.label)
        );
    }
    let y_r = axes.y(r);
    let _ = writeln!(
        svg,
        r#"<line x1="{MARGIN}" x2="{}" y1="{y_r:.2}" y2="{y_r:.2}" stroke="black" stroke-dasharray="6,4"/>"#,
        WIDTH - MARGIN
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{:.2}">r = {r}</text>"#,
        MARGIN + 4.0,
        y_r - 4.0
    );
    if let Some(n) = observed_n {
        let x_n = axes.x(n as f64);
        let _ = writeln!(
            svg,
            r#"<line x1="{x_n:.2}" x2="{x_n:.2}" y1="{MARGIN}" y2="{}" stroke="gray" stroke-dasharray="2,3"/>"#,
            HEIGHT - MARGIN
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.2}" y="{}">n = {n}</text>"#,
            x_n + 4.0,
            MARGIN - 6.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn write_axes(svg: &mut String, axes: &Axes) {
    let (x0, x1, y0, y1) = (MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN, MARGIN);
    let _ = writeln!(
        svg,
        r#"<path d="M{x0},{y1} L{x0},{y0} L{x1},{y0}" fill="none" stroke="black"/>"#
    );
    for e in axes.log_x.0.ceil() as i32..=axes.log_x.1.floor() as i32 {
        let x = axes.x(10f64.powi(e));
        let _ = writeln!(
            svg,
            r#"<text x="{x:.2}" y="{}" text-anchor="middle">1e{e}</text>"#,
            y0 + 16.0
        );
    }
    for e in axes.log_y.0 as i32..=axes.log_y.1 as i32 {
        let y = axes.y(10f64.powi(e));
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{y:.2}" text-anchor="end">1e{e}</text>"#,
            x0 - 4.0
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">n (observations)</text>"#,
        (x0 + x1) / 2.0,
        HEIGHT - 16.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">risk R(n) (nats)</text>"#,
        (y0 + y1) / 2.0,
        (y0 + y1) / 2.0
    );
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
