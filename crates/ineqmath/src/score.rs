//! Aggregation of answer verdicts into the reference `scores.json` shape.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::answer::AnswerEval;
use crate::data::ProblemType;
use crate::method::Method;

/// Counts of one group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Items in the group.
    pub total: usize,
    /// Correct items.
    pub correct: usize,
    /// Incorrect items.
    pub wrong: usize,
    /// 100·correct/total rounded to 2 decimals as Python's `round` does (0 when empty).
    pub accuracy: f64,
}

/// Counts of all items, with the number of empty answer sentences.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct AllCounts {
    /// Items.
    pub total: usize,
    /// Correct items.
    pub correct: usize,
    /// Incorrect items.
    pub wrong: usize,
    /// Accuracy in percent (see [`Counts::accuracy`]).
    pub accuracy: f64,
    /// Items whose answer sentence is `""` (empty responses and error records).
    pub empty_responses: usize,
}

/// The reference `scores.json` entry of one split.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Scores {
    /// All items.
    pub all: AllCounts,
    /// Bound items.
    pub bound: Counts,
    /// Relation items.
    pub relation: Counts,
}

/// Rounds like Python's `round(x, digits)`: correctly rounded from the exact
/// binary value, ties to even.
pub fn py_round(x: f64, digits: usize) -> f64 {
    format!("{x:.digits$}").parse().unwrap_or(x)
}

/// Returns round(100·correct/total, digits) as the reference computes it (0 when total is 0).
pub fn accuracy(correct: usize, total: usize, digits: usize) -> f64 {
    if total == 0 {
        return 0.0;
    }
    py_round(100.0 * correct as f64 / total as f64, digits)
}

/// Aggregates verdicts into one [`Scores`].
pub fn score(evals: &[AnswerEval]) -> Scores {
    let mut s = Scores::default();
    for e in evals {
        let group = match e.ptype {
            ProblemType::Bound => &mut s.bound,
            ProblemType::Relation => &mut s.relation,
        };
        group.total += 1;
        s.all.total += 1;
        if e.is_correct {
            group.correct += 1;
            s.all.correct += 1;
        } else {
            group.wrong += 1;
            s.all.wrong += 1;
        }
        if e.answer_sentence.is_empty() && e.method != Method::Missing {
            s.all.empty_responses += 1;
        }
    }
    s.all.accuracy = accuracy(s.all.correct, s.all.total, 2);
    s.bound.accuracy = accuracy(s.bound.correct, s.bound.total, 2);
    s.relation.accuracy = accuracy(s.relation.correct, s.relation.total, 2);
    s
}

/// Aggregates per `data_split` (records without one count as `"test"`, as in
/// the reference), each split with its own counters.
pub fn scores_by_split(evals: &[AnswerEval]) -> BTreeMap<String, Scores> {
    let mut groups: BTreeMap<String, Vec<AnswerEval>> = BTreeMap::new();
    for e in evals {
        let split = e.data_split.clone().unwrap_or_else(|| "test".into());
        groups.entry(split).or_default().push(e.clone());
    }
    groups.into_iter().map(|(k, v)| (k, score(&v))).collect()
}

/// Counts of each method.
pub fn method_counts(evals: &[AnswerEval]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for e in evals {
        *counts.entry(e.method.name()).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_rounding_ties() {
        assert_eq!(accuracy(6, 96, 1), 6.2);
        assert_eq!(accuracy(18, 96, 1), 18.8);
        assert_eq!(accuracy(54, 100, 2), 54.0);
        assert_eq!(accuracy(1, 3, 2), 33.33);
        assert_eq!(accuracy(0, 0, 2), 0.0);
    }
}
