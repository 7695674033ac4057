//! Text renderings of a [`Summary`]: markdown, CSV (one row per method and
//! scope) and a per-set TSV. Accuracies appear in percent in markdown and as
//! fractions in CSV and TSV; a missing value is an empty cell (`–` in markdown).
//!
//! ```
//! use lipnet::uci::{Phase, Record, Status, UnitKey, markdown, per_set_tsv, summarize};
//!
//! let key = UnitKey::new(Phase::Report, "iris", "ldlt-res", "c".into(), 0, 0);
//! let mut rec = Record::unfinished(&key, None, Status::Ok, String::new());
//! rec.clean_acc = Some(0.95);
//! let s = summarize(vec![rec]);
//! assert!(markdown(&s).contains("| ldlt-res | 1 | 95.00 |"));
//! assert!(per_set_tsv(&s).contains("iris\tldlt-res\t1\t0\t0.950000"));
//! ```

use super::record::Metric;
use super::suite::IRREGULAR_SETS;
use super::summary::{Paired, Scope, Summary};
use crate::report::SAMPLED_SLACK;
use crate::verify::PGD_SLACK;
use std::fmt::Write;

/// Renders the summary as a markdown document.
pub fn markdown(s: &Summary) -> String {
    let mut out = String::new();
    out.push_str("# UCI-121 benchmark summary\n\n");
    let _ = writeln!(
        out,
        "{} unit keys read (latest line per key), {} report units with status ok. \
         A set's score is the mean over its ok report units (folds and seeds); a method's \
         score is the mean over the sets it covers. Accuracies are in percent. A test point \
         is certified at ε when its margin exceeds √2·L·ε (global rule), with ε in \
         standardized input units.\n",
        s.n_units, s.n_report_ok
    );

    for scope in &s.scopes {
        scope_markdown(&mut out, scope);
    }
    let _ = writeln!(out, "Irregular sets: {}.\n", IRREGULAR_SETS.join(", "));

    violations_markdown(&mut out, s);
    failures_markdown(&mut out, s);
    out
}

fn scope_markdown(out: &mut String, scope: &Scope) {
    let _ = writeln!(out, "## Methods, {}\n", scope.label);
    out.push_str("| method | sets |");
    for metric in Metric::ALL {
        let _ = write!(out, " {} |", metric.label());
    }
    out.push_str(" wins clean | wins CRA 36 | mean rank clean | mean rank CRA 36 |\n");
    out.push_str("|---|---:|");
    out.push_str(&"---:|".repeat(Metric::ALL.len() + 4));
    out.push('\n');

    for row in &scope.rows {
        let _ = write!(out, "| {} | {} |", row.method, row.sets);
        for v in row.means {
            let _ = write!(out, " {} |", percent(v));
        }
        let _ = writeln!(
            out,
            " {} | {} | {} | {} |",
            row.wins[0],
            row.wins[1],
            fixed(row.mean_rank[0], 2),
            fixed(row.mean_rank[1], 2)
        );
    }
    let _ = writeln!(
        out,
        "\nWins and ranks use the {} sets that every method covers (rank 1 = best; \
         ties share wins and ranks).\n",
        scope.common_sets
    );
    if let Some(p) = &scope.paired {
        paired_markdown(out, p);
    }
}

fn paired_markdown(out: &mut String, p: &Paired) {
    let _ = writeln!(
        out,
        "### {} against {}, paired per set\n\n\
         | metric | sets | mean difference (points) | better | worse | tie |\n\
         |---|---:|---:|---:|---:|---:|",
        p.method, p.baseline
    );
    for (i, metric) in Metric::ALL.into_iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            metric.label(),
            p.n_sets[i],
            signed_points(p.mean_diff[i]),
            p.better[i],
            p.worse[i],
            p.tie[i]
        );
    }
    out.push('\n');
}

fn violations_markdown(out: &mut String, s: &Summary) {
    out.push_str("## Certificate checks\n\n");
    let _ = writeln!(
        out,
        "Checked on every ok unit: sampled Jacobian norm ≤ L(1 + {SAMPLED_SLACK:e}), PGD ratio \
         ≤ L(1 + {PGD_SLACK:e}) where measured, LMI λ_max within tolerance for LDLᵀ models.\n"
    );
    if s.violations.is_empty() {
        out.push_str("No violations.\n\n");
        return;
    }
    out.push_str("| unit | check | value | bound |\n|---|---|---:|---:|\n");
    for v in &s.violations {
        let _ = writeln!(
            out,
            "| {} | {} | {:.9} | {:.9} |",
            v.unit, v.check, v.value, v.bound
        );
    }
    out.push('\n');
}

fn failures_markdown(out: &mut String, s: &Summary) {
    out.push_str("## Failed and skipped units\n\n");
    if s.failures.is_empty() {
        out.push_str("None.\n");
        return;
    }
    out.push_str("| phase | method | status | units | reason | data sets |\n");
    out.push_str("|---|---|---|---:|---|---|\n");
    for f in &s.failures {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            f.phase,
            f.method,
            f.status.name(),
            f.count,
            cell(&f.error),
            cell(&list_head(&f.datasets, 12))
        );
    }
}

/// Renders one CSV row per (scope, method).
pub fn csv(s: &Summary) -> String {
    let mut out = String::from("scope,method,sets");
    for prefix in ["mean", "wins", "mean_rank"] {
        for metric in Metric::ALL {
            let _ = write!(out, ",{prefix}_{}", metric.slug());
        }
    }
    out.push('\n');
    for scope in &s.scopes {
        for row in &scope.rows {
            let _ = write!(
                out,
                "{},{},{}",
                csv_field(&scope.label),
                row.method,
                row.sets
            );
            for v in row.means {
                let _ = write!(out, ",{}", fraction(v));
            }
            for w in row.wins {
                let _ = write!(out, ",{w}");
            }
            for r in row.mean_rank {
                let _ = write!(out, ",{}", fraction(r));
            }
            out.push('\n');
        }
    }
    out
}

/// Renders the per-set scores as TSV, one row per (data set, method).
pub fn per_set_tsv(s: &Summary) -> String {
    let mut out = String::from("dataset\tmethod\tn_ok\tn_not_ok");
    for metric in Metric::ALL {
        let _ = write!(out, "\t{}", metric.slug());
    }
    out.push('\n');
    for row in &s.per_set {
        let _ = write!(
            out,
            "{}\t{}\t{}\t{}",
            row.dataset, row.method, row.n_ok, row.n_not_ok
        );
        for v in row.means {
            let _ = write!(out, "\t{}", fraction(v));
        }
        out.push('\n');
    }
    out
}

fn percent(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:.2}", 100.0 * v))
}

fn signed_points(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:+.2}", 100.0 * v))
}

fn fixed(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |v| format!("{v:.digits$}"))
}

fn fraction(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v:.6}"))
}

/// Makes text safe inside a markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Returns the first `n` names joined by commas, then `and k more`.
fn list_head(names: &[String], n: usize) -> String {
    if names.len() <= n {
        return names.join(", ");
    }
    format!("{}, and {} more", names[..n].join(", "), names.len() - n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(csv_field("all sets"), "all sets");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }

    #[test]
    fn list_head_truncates() {
        let names: Vec<String> = (0..5).map(|i| i.to_string()).collect();
        assert_eq!(list_head(&names, 5), "0, 1, 2, 3, 4");
        assert_eq!(list_head(&names, 2), "0, 1, and 3 more");
    }
}
