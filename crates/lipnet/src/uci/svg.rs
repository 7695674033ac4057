//! SVG plots of a [`Summary`](super::Summary), written as plain SVG 1.1 text.
//!
//! - [`cra_curve`]: mean certified accuracy against ε per method (ε = 0 is the
//!   clean accuracy), over the sets each method covers.
//! - [`paired_scatter`]: one point per data set, `sll-res` on the x axis and
//!   `ldlt-res` on the y axis, with the diagonal y = x; points above it are
//!   sets where `ldlt-res` scores higher.
//!
//! ```
//! use lipnet::uci::{Phase, Record, Status, UnitKey, summarize, svg};
//!
//! let key = UnitKey::new(Phase::Report, "iris", "ldlt-res", "c".into(), 0, 0);
//! let mut rec = Record::unfinished(&key, None, Status::Ok, String::new());
//! rec.clean_acc = Some(0.95);
//! let plot = svg::cra_curve(&summarize(vec![rec]).scopes[0]);
//! assert!(plot.contains("<polyline"));
//! ```

use super::record::Metric;
use super::summary::{PAIRED, Scope, SetScore};
use std::fmt::Write;

const COLORS: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// Plot area in pixels: left, top, width, height.
struct Frame {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

impl Frame {
    /// Maps (x, y) in [0, 1]² to pixels, y upwards.
    fn at(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.left + x * self.width,
            self.top + (1.0 - y) * self.height,
        )
    }
}

/// Renders mean accuracy against ε for every method of `scope`.
pub fn cra_curve(scope: &Scope) -> String {
    let frame = Frame {
        left: 60.0,
        top: 40.0,
        width: 420.0,
        height: 300.0,
    };
    let mut svg = header(680.0, 400.0);
    let title = format!("Mean certified accuracy against ε ({})", scope.label);
    text(&mut svg, 340.0, 22.0, "middle", 15.0, &title);
    y_axis(&mut svg, &frame, "accuracy");

    let ticks = [
        (0.0, "0"),
        (36.0 / 255.0, "36/255"),
        (72.0 / 255.0, "72/255"),
        (108.0 / 255.0, "108/255"),
        (1.0, "1"),
    ];
    for (x, label) in ticks {
        let (px, py) = frame.at(x, 0.0);
        let _ = writeln!(
            svg,
            r##"<line x1="{px:.1}" y1="{py:.1}" x2="{px:.1}" y2="{:.1}" stroke="#000"/>"##,
            py + 5.0
        );
        text(&mut svg, px, py + 18.0, "middle", 11.0, label);
    }
    let (cx, cy) = frame.at(0.5, 0.0);
    text(
        &mut svg,
        cx,
        cy + 38.0,
        "middle",
        12.0,
        "ε (standardized input units)",
    );

    for (m, row) in scope.rows.iter().enumerate() {
        let color = COLORS[m % COLORS.len()];
        let points: Vec<(f64, f64)> = Metric::ALL
            .into_iter()
            .zip(row.means)
            .filter_map(|(metric, v)| Some(frame.at(metric.eps(), v?)))
            .collect();
        polyline(&mut svg, &points, color);
        for &(px, py) in &points {
            let _ = writeln!(
                svg,
                r#"<circle cx="{px:.1}" cy="{py:.1}" r="3" fill="{color}"/>"#
            );
        }
        let ly = frame.top + 10.0 + 18.0 * m as f64;
        let lx = frame.left + frame.width + 20.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{color}" stroke-width="2"/>"#,
            lx + 20.0
        );
        text(
            &mut svg,
            lx + 26.0,
            ly + 4.0,
            "start",
            12.0,
            &format!("{} ({} sets)", row.method, row.sets),
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Renders the per-set scatter of `ldlt-res` against `sll-res` for `metric`;
/// `None` when no set has both.
pub fn paired_scatter(per_set: &[SetScore], metric: Metric, scope_label: &str) -> Option<String> {
    let i = Metric::ALL.iter().position(|&m| m == metric)?;
    let points = paired_points(per_set, i);
    if points.is_empty() {
        return None;
    }
    let frame = Frame {
        left: 60.0,
        top: 40.0,
        width: 360.0,
        height: 360.0,
    };
    let mut svg = header(460.0, 460.0);
    let title = format!(
        "{} per data set, {} ({scope_label})",
        metric.label(),
        PAIRED.0
    );
    text(&mut svg, 230.0, 22.0, "middle", 14.0, &title);
    y_axis(&mut svg, &frame, PAIRED.0);
    for k in 0..=5 {
        let x = k as f64 / 5.0;
        let (px, py) = frame.at(x, 0.0);
        let _ = writeln!(
            svg,
            r##"<line x1="{px:.1}" y1="{py:.1}" x2="{px:.1}" y2="{:.1}" stroke="#000"/>"##,
            py + 5.0
        );
        text(&mut svg, px, py + 18.0, "middle", 11.0, &format!("{x:.1}"));
    }
    let (cx, cy) = frame.at(0.5, 0.0);
    text(&mut svg, cx, cy + 38.0, "middle", 12.0, PAIRED.1);

    let (x0, y0) = frame.at(0.0, 0.0);
    let (x1, y1) = frame.at(1.0, 1.0);
    let _ = writeln!(
        svg,
        r##"<line x1="{x0:.1}" y1="{y0:.1}" x2="{x1:.1}" y2="{y1:.1}" stroke="#999" stroke-dasharray="4 3"/>"##
    );
    for (name, x, y) in &points {
        let (px, py) = frame.at(*x, *y);
        let _ = writeln!(
            svg,
            r##"<circle cx="{px:.1}" cy="{py:.1}" r="3.5" fill="#1f77b4" fill-opacity="0.7"><title>{}: {} {:.3}, {} {:.3}</title></circle>"##,
            escape(name),
            PAIRED.1,
            x,
            PAIRED.0,
            y
        );
    }
    svg.push_str("</svg>\n");
    Some(svg)
}

/// Returns (set, baseline score, method score) for sets with both scores.
fn paired_points(per_set: &[SetScore], i: usize) -> Vec<(String, f64, f64)> {
    let score = |set: &str, method: &str| {
        per_set
            .iter()
            .find(|s| s.dataset == set && s.method == method)
            .and_then(|s| s.means[i])
    };
    let mut sets: Vec<&str> = per_set.iter().map(|s| s.dataset.as_str()).collect();
    sets.dedup();
    sets.into_iter()
        .filter_map(|set| {
            Some((
                set.to_string(),
                score(set, PAIRED.1)?,
                score(set, PAIRED.0)?,
            ))
        })
        .collect()
}

fn header(width: f64, height: f64) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
    )
}

/// Draws the y axis from 0 to 1 with grid lines every 0.2 and its label.
fn y_axis(svg: &mut String, frame: &Frame, label: &str) {
    for k in 0..=5 {
        let y = k as f64 / 5.0;
        let (px, py) = frame.at(0.0, y);
        let _ = writeln!(
            svg,
            r##"<line x1="{px:.1}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#ddd"/>"##,
            px + frame.width
        );
        text(svg, px - 8.0, py + 4.0, "end", 11.0, &format!("{y:.1}"));
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#000"/>"##,
        frame.left, frame.top, frame.width, frame.height
    );
    let (cx, cy) = (frame.left - 45.0, frame.top + frame.height / 2.0);
    let _ = writeln!(
        svg,
        r#"<text x="{cx:.1}" y="{cy:.1}" text-anchor="middle" font-size="12" transform="rotate(-90 {cx:.1} {cy:.1})">{}</text>"#,
        escape(label)
    );
}

fn polyline(svg: &mut String, points: &[(f64, f64)], color: &str) {
    let coords: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let _ = writeln!(
        svg,
        r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
        coords.join(" ")
    );
}

fn text(svg: &mut String, x: f64, y: f64, anchor: &str, size: f64, content: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="{size}">{}</text>"#,
        escape(content)
    );
}

/// Escapes the XML special characters of text content.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_special_characters() {
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }

    #[test]
    fn scatter_needs_both_methods() {
        let only = SetScore {
            dataset: "iris".into(),
            method: "ldlt-res".into(),
            n_ok: 1,
            n_not_ok: 0,
            means: [Some(0.9); 5],
        };
        assert!(paired_scatter(std::slice::from_ref(&only), Metric::Clean, "all sets").is_none());
        let other = SetScore {
            method: "sll-res".into(),
            ..only.clone()
        };
        let svg = paired_scatter(&[only, other], Metric::Clean, "all sets").unwrap();
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(svg.ends_with("</svg>\n"));
    }
}
