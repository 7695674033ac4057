//! Aggregation of results lines into benchmark tables.
//!
//! Only the latest line of each unit key counts. Per data set and method, the
//! score of a metric is the mean over the report units with status ok (folds
//! and seeds). Per method, the mean is over the sets it covers (at least one
//! ok report unit). Wins and ranks use the common sets, those covered by
//! every method in the table: on each, the best score wins (ties each count)
//! and methods get fractional ranks (1 = best, ties share the mean rank).
//! The paired comparison of `ldlt-res` against `sll-res` uses the sets both
//! cover; differences within 10⁻¹² count as ties. Every table is given once
//! over all sets and once without the 11 irregular sets.
//!
//! ```
//! use lipnet::uci::{Phase, Record, Status, UnitKey, summarize};
//!
//! let mut lines = Vec::new();
//! for (method, acc) in [("ldlt-res", 0.9), ("sll-res", 0.8)] {
//!     let key = UnitKey::new(Phase::Report, "iris", method, "c".into(), 0, 0);
//!     let mut rec = Record::unfinished(&key, None, Status::Ok, String::new());
//!     rec.clean_acc = Some(acc);
//!     lines.push(rec);
//! }
//! let s = summarize(lines);
//! assert_eq!(s.scopes[0].rows[0].wins[0], 1);
//! assert_eq!(s.scopes[0].paired.as_ref().unwrap().better[0], 1);
//! ```

use super::record::{Metric, Record, Status};
use super::results::ResultsIndex;
use super::suite::{IRREGULAR_SETS, SPEC_METHODS};
use super::unit::Phase;
use crate::report::SAMPLED_SLACK;
use crate::verify::PGD_SLACK;
use serde::Serialize;
use std::collections::BTreeMap;

/// Differences within this distance count as ties.
const TIE: f64 = 1e-12;

/// Methods of the paired comparison: (treatment, baseline).
pub const PAIRED: (&str, &str) = ("ldlt-res", "sll-res");

/// Scores of one method on one data set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SetScore {
    /// Data set name.
    pub dataset: String,
    /// Model id.
    pub method: String,
    /// Report units with status ok.
    pub n_ok: usize,
    /// Report units with status failed or skipped.
    pub n_not_ok: usize,
    /// Mean of each metric of [`Metric::ALL`] over the ok units.
    pub means: [Option<f64>; 5],
}

/// One method's row of a summary table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MethodRow {
    /// Model id.
    pub method: String,
    /// Sets with at least one ok report unit.
    pub sets: usize,
    /// Mean over covered sets of each metric of [`Metric::ALL`].
    pub means: [Option<f64>; 5],
    /// Common sets on which the method has the best score, per metric.
    pub wins: [usize; 5],
    /// Mean fractional rank over the common sets, per metric.
    pub mean_rank: [Option<f64>; 5],
}

/// Paired comparison of two methods over the sets both cover.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Paired {
    /// Treatment method.
    pub method: String,
    /// Baseline method.
    pub baseline: String,
    /// Sets covered by both, per metric.
    pub n_sets: [usize; 5],
    /// Mean of (method − baseline) per metric.
    pub mean_diff: [Option<f64>; 5],
    /// Sets where the method scores higher.
    pub better: [usize; 5],
    /// Sets where it scores lower.
    pub worse: [usize; 5],
    /// Sets with equal scores.
    pub tie: [usize; 5],
}

/// The tables of one set scope.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scope {
    /// Description, such as `all sets`.
    pub label: String,
    /// Sets covered by every method (the basis of wins and ranks).
    pub common_sets: usize,
    /// One row per method.
    pub rows: Vec<MethodRow>,
    /// `ldlt-res` against `sll-res`, when both have results.
    pub paired: Option<Paired>,
}

/// Units that did not finish with status ok, grouped by reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailureGroup {
    /// Phase of the units.
    pub phase: Phase,
    /// Model id.
    pub method: String,
    /// Status (failed or skipped_incomplete).
    pub status: Status,
    /// The recorded error.
    pub error: String,
    /// Number of units.
    pub count: usize,
    /// Data sets involved, sorted, without repeats.
    pub datasets: Vec<String>,
}

/// A trained unit whose measured Lipschitz behaviour exceeds its bound.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// Unit key as text.
    pub unit: String,
    /// Name of the check: `sampled_jacobian`, `pgd` or `lmi`.
    pub check: &'static str,
    /// The measured value.
    pub value: f64,
    /// The bound it exceeds (the tolerance for `lmi`).
    pub bound: f64,
}

/// Everything `lipnet uci summarize` reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Distinct unit keys read.
    pub n_units: usize,
    /// Report units with status ok.
    pub n_report_ok: usize,
    /// Per data set and method scores, sorted by set then method order.
    pub per_set: Vec<SetScore>,
    /// Tables over all sets (index 0) and without the irregular sets (index 1).
    pub scopes: Vec<Scope>,
    /// Failed and skipped units, grouped.
    pub failures: Vec<FailureGroup>,
    /// Certificate violations among ok units.
    pub violations: Vec<Violation>,
}

/// Builds every table from results lines given in file order.
pub fn summarize(records: Vec<Record>) -> Summary {
    let index = ResultsIndex::new(records);
    let latest = index.records();
    let methods = method_order(&latest);
    let per_set = set_scores(&latest, &methods);

    let all = scope("all sets", &per_set, &methods, |_| true);
    let regular = scope("without the 11 irregular sets", &per_set, &methods, |set| {
        !IRREGULAR_SETS.contains(&set)
    });
    Summary {
        n_units: latest.len(),
        n_report_ok: latest
            .iter()
            .filter(|r| r.phase == Phase::Report && r.status == Status::Ok)
            .count(),
        per_set,
        scopes: vec![all, regular],
        failures: failure_groups(&latest),
        violations: violations(&latest),
    }
}

/// Specification order first, then other ids alphabetically.
fn method_order(records: &[&Record]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for r in records {
        if !seen.contains(&r.method) {
            seen.push(r.method.clone());
        }
    }
    let rank = |m: &String| {
        SPEC_METHODS
            .iter()
            .position(|s| s == m)
            .unwrap_or(usize::MAX)
    };
    seen.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    seen
}

fn set_scores(records: &[&Record], methods: &[String]) -> Vec<SetScore> {
    // (dataset, method position) → (sums, counts per metric, n_ok, n_not_ok)
    type Acc = ([f64; 5], [usize; 5], usize, usize);
    let mut acc: BTreeMap<(String, usize), Acc> = BTreeMap::new();
    for r in records.iter().filter(|r| r.phase == Phase::Report) {
        let m = methods.iter().position(|m| *m == r.method).unwrap_or(0);
        let entry = acc.entry((r.dataset.clone(), m)).or_default();
        if r.status != Status::Ok {
            entry.3 += 1;
            continue;
        }
        entry.2 += 1;
        for (i, metric) in Metric::ALL.into_iter().enumerate() {
            if let Some(v) = r.metric(metric) {
                entry.0[i] += v;
                entry.1[i] += 1;
            }
        }
    }

    acc.into_iter()
        .map(|((dataset, m), (sums, counts, n_ok, n_not_ok))| SetScore {
            dataset,
            method: methods[m].clone(),
            n_ok,
            n_not_ok,
            means: std::array::from_fn(|i| (counts[i] > 0).then(|| sums[i] / counts[i] as f64)),
        })
        .collect()
}

fn scope(
    label: &str,
    per_set: &[SetScore],
    methods: &[String],
    keep: impl Fn(&str) -> bool,
) -> Scope {
    // table[set][method][metric]
    let mut table: BTreeMap<&str, Vec<[Option<f64>; 5]>> = BTreeMap::new();
    for s in per_set.iter().filter(|s| keep(&s.dataset)) {
        let row = table
            .entry(s.dataset.as_str())
            .or_insert_with(|| vec![[None; 5]; methods.len()]);
        if let Some(m) = methods.iter().position(|m| *m == s.method) {
            row[m] = s.means;
        }
    }

    let mut rows: Vec<MethodRow> = methods
        .iter()
        .enumerate()
        .map(|(m, name)| method_means(name, m, &table))
        .collect();
    let common = add_wins_and_ranks(&mut rows, &table);
    Scope {
        label: label.to_string(),
        common_sets: common,
        paired: paired(methods, &table),
        rows,
    }
}

fn method_means(name: &str, m: usize, table: &BTreeMap<&str, Vec<[Option<f64>; 5]>>) -> MethodRow {
    let covered: Vec<&[Option<f64>; 5]> = table
        .values()
        .map(|row| &row[m])
        .filter(|v| v.iter().any(Option::is_some))
        .collect();
    MethodRow {
        method: name.to_string(),
        sets: covered.len(),
        means: std::array::from_fn(|i| mean(covered.iter().filter_map(|v| v[i]))),
        wins: [0; 5],
        mean_rank: [None; 5],
    }
}

/// Fills wins and mean ranks per metric; returns the number of sets every
/// method covers (for clean accuracy).
fn add_wins_and_ranks(
    rows: &mut [MethodRow],
    table: &BTreeMap<&str, Vec<[Option<f64>; 5]>>,
) -> usize {
    let mut common_clean = 0;
    for i in 0..Metric::ALL.len() {
        let mut rank_sums = vec![0.0; rows.len()];
        let mut n_common = 0;
        for scores in table.values() {
            let values: Option<Vec<f64>> = scores.iter().map(|v| v[i]).collect();
            let Some(values) = values else { continue };
            n_common += 1;
            let best = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for (m, &v) in values.iter().enumerate() {
                if best - v <= TIE {
                    rows[m].wins[i] += 1;
                }
                rank_sums[m] += fractional_rank(v, &values);
            }
        }
        for (row, sum) in rows.iter_mut().zip(rank_sums) {
            row.mean_rank[i] = (n_common > 0).then(|| sum / n_common as f64);
        }
        if i == 0 {
            common_clean = n_common;
        }
    }
    common_clean
}

/// Returns 1 + (number of values above `v`) + (number of other values equal to `v`) / 2.
pub fn fractional_rank(v: f64, values: &[f64]) -> f64 {
    let above = values.iter().filter(|&&w| w - v > TIE).count();
    let equal = values.iter().filter(|&&w| (w - v).abs() <= TIE).count();
    1.0 + above as f64 + (equal as f64 - 1.0) / 2.0
}

fn paired(methods: &[String], table: &BTreeMap<&str, Vec<[Option<f64>; 5]>>) -> Option<Paired> {
    let a = methods.iter().position(|m| m == PAIRED.0)?;
    let b = methods.iter().position(|m| m == PAIRED.1)?;
    let mut p = Paired {
        method: PAIRED.0.to_string(),
        baseline: PAIRED.1.to_string(),
        n_sets: [0; 5],
        mean_diff: [None; 5],
        better: [0; 5],
        worse: [0; 5],
        tie: [0; 5],
    };
    for i in 0..Metric::ALL.len() {
        let diffs: Vec<f64> = table
            .values()
            .filter_map(|row| Some(row[a][i]? - row[b][i]?))
            .collect();
        p.n_sets[i] = diffs.len();
        p.mean_diff[i] = mean(diffs.iter().copied());
        p.better[i] = diffs.iter().filter(|&&d| d > TIE).count();
        p.worse[i] = diffs.iter().filter(|&&d| d < -TIE).count();
        p.tie[i] = diffs.len() - p.better[i] - p.worse[i];
    }
    Some(p)
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn failure_groups(records: &[&Record]) -> Vec<FailureGroup> {
    let mut groups: BTreeMap<(Phase, String, Status, String), Vec<String>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.status != Status::Ok) {
        let error = r.error.clone().unwrap_or_default();
        groups
            .entry((r.phase, r.method.clone(), r.status, error))
            .or_default()
            .push(r.dataset.clone());
    }
    groups
        .into_iter()
        .map(|((phase, method, status, error), mut datasets)| {
            let count = datasets.len();
            datasets.sort();
            datasets.dedup();
            FailureGroup {
                phase,
                method,
                status,
                error,
                count,
                datasets,
            }
        })
        .collect()
}

fn violations(records: &[&Record]) -> Vec<Violation> {
    let mut out = Vec::new();
    for r in records.iter().filter(|r| r.status == Status::Ok) {
        let Some(lip) = r.lip_bound else { continue };
        let unit = r.key().to_string();
        let mut check = |name, value: Option<f64>, bound: f64| {
            if let Some(value) = value.filter(|&v| v > bound) {
                out.push(Violation {
                    unit: unit.clone(),
                    check: name,
                    value,
                    bound,
                });
            }
        };
        check(
            "sampled_jacobian",
            r.sampled_jac_max,
            lip * (1.0 + SAMPLED_SLACK),
        );
        check("pgd", r.pgd_ratio, lip * (1.0 + PGD_SLACK));
        check("lmi", r.lmi_max_eig, crate::verify::lmi_tolerance(lip));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uci::record::Cra;
    use crate::uci::unit::UnitKey;

    fn line(set: &str, method: &str, fold: usize, acc: f64, status: Status) -> Record {
        let key = UnitKey::new(Phase::Report, set, method, "c".into(), fold, 0);
        let mut r = Record::unfinished(&key, None, status, "why".into());
        if status == Status::Ok {
            r.clean_acc = Some(acc);
            r.cra = Some(Cra {
                eps36: acc / 2.0,
                eps72: acc / 3.0,
                eps108: acc / 4.0,
                eps255: 0.0,
            });
            r.lip_bound = Some(1.0);
            r.sampled_jac_max = Some(0.5);
        }
        r
    }

    #[test]
    fn ranks_share_ties() {
        assert_eq!(fractional_rank(0.9, &[0.9, 0.8, 0.9]), 1.5);
        assert_eq!(fractional_rank(0.8, &[0.9, 0.8, 0.9]), 3.0);
        assert_eq!(fractional_rank(0.5, &[0.5]), 1.0);
    }

    #[test]
    fn set_means_average_folds() {
        let s = summarize(vec![
            line("a", "ldlt-res", 0, 0.6, Status::Ok),
            line("a", "ldlt-res", 1, 0.8, Status::Ok),
            line("a", "ldlt-res", 2, 0.0, Status::Failed),
        ]);
        assert_eq!(s.per_set.len(), 1);
        assert!((s.per_set[0].means[0].unwrap() - 0.7).abs() < 1e-12);
        assert_eq!(s.per_set[0].n_ok, 2);
        assert_eq!(s.per_set[0].n_not_ok, 1);
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].count, 1);
    }

    #[test]
    fn later_line_of_a_key_wins() {
        let s = summarize(vec![
            line("a", "mlp", 0, 0.0, Status::Failed),
            line("a", "mlp", 0, 0.5, Status::Ok),
        ]);
        assert!(s.failures.is_empty());
        assert_eq!(s.scopes[0].rows[0].means[0], Some(0.5));
    }

    #[test]
    fn paired_counts_and_irregular_scope() {
        let s = summarize(vec![
            line("iris", "ldlt-res", 0, 0.9, Status::Ok),
            line("iris", "sll-res", 0, 0.8, Status::Ok),
            line("monks-1", "ldlt-res", 0, 0.5, Status::Ok),
            line("monks-1", "sll-res", 0, 0.7, Status::Ok),
            line("wine", "ldlt-res", 0, 0.6, Status::Ok),
            line("wine", "sll-res", 0, 0.6, Status::Ok),
        ]);
        let all = s.scopes[0].paired.as_ref().unwrap();
        assert_eq!((all.better[0], all.worse[0], all.tie[0]), (1, 1, 1));
        assert!((all.mean_diff[0].unwrap() - (0.1 - 0.2) / 3.0).abs() < 1e-12);
        let regular = s.scopes[1].paired.as_ref().unwrap();
        assert_eq!(regular.n_sets[0], 2);
        assert_eq!((regular.better[0], regular.worse[0]), (1, 0));
        assert_eq!(s.scopes[0].rows[0].wins[0], 2);
        assert_eq!(s.scopes[0].rows[1].wins[0], 2);
        assert_eq!(s.scopes[0].common_sets, 3);
    }

    #[test]
    fn wins_only_on_common_sets() {
        let s = summarize(vec![
            line("iris", "ldlt-res", 0, 0.9, Status::Ok),
            line("iris", "sll-res", 0, 0.8, Status::Ok),
            line("wine", "ldlt-res", 0, 0.1, Status::Ok),
        ]);
        let rows = &s.scopes[0].rows;
        assert_eq!(rows[0].sets, 2);
        assert_eq!(rows[1].sets, 1);
        assert_eq!(s.scopes[0].common_sets, 1);
        assert_eq!(rows[0].wins[0], 1);
        assert_eq!(rows[1].wins[0], 0);
        assert_eq!(rows[0].mean_rank[0], Some(1.0));
        assert_eq!(rows[1].mean_rank[0], Some(2.0));
    }

    #[test]
    fn violations_are_flagged() {
        let mut bad = line("iris", "ldlt-res", 0, 0.9, Status::Ok);
        bad.sampled_jac_max = Some(1.01);
        bad.lmi_max_eig = Some(-0.5);
        let s = summarize(vec![bad, line("iris", "ldlt-res", 1, 0.9, Status::Ok)]);
        assert_eq!(s.violations.len(), 1);
        assert_eq!(s.violations[0].check, "sampled_jacobian");
    }
}
