//! Summary counts of a problem split: types, gold-answer kinds and relation options.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::data::{Problem, ProblemType};
use crate::latex::{Answer, parse_answer};
use crate::relation::RelOption;

/// Counts of one split.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SplitStats {
    /// Problems.
    pub problems: usize,
    /// Bound problems.
    pub bound: usize,
    /// Relation problems.
    pub relation: usize,
    /// Bound golds by kind: `constant`, `symbolic`, `tuple`, `chain`,
    /// `unparsed`, `approximate` or `hidden` (empty answer).
    pub bound_golds: BTreeMap<&'static str, usize>,
    /// Relation golds by option letter, `other` for a non-canonical string,
    /// `hidden` for an empty answer.
    pub relation_golds: BTreeMap<String, usize>,
}

/// Counts the problems of one split.
pub fn split_stats(problems: &[Problem]) -> SplitStats {
    let mut stats = SplitStats {
        problems: problems.len(),
        ..SplitStats::default()
    };
    for p in problems {
        match p.ptype {
            ProblemType::Bound => {
                stats.bound += 1;
                *stats.bound_golds.entry(bound_kind(&p.answer)).or_insert(0) += 1;
            }
            ProblemType::Relation => {
                stats.relation += 1;
                *stats
                    .relation_golds
                    .entry(relation_kind(&p.answer))
                    .or_insert(0) += 1;
            }
        }
    }
    stats
}

/// Classifies a bound gold answer.
pub fn bound_kind(answer: &str) -> &'static str {
    if answer.trim().is_empty() {
        return "hidden";
    }
    match parse_answer(answer) {
        Answer::Tuple(_) => "tuple",
        Answer::Approximate(_) => "approximate",
        Answer::Single(_) if answer.matches('=').count() >= 2 => "chain",
        Answer::Single(part) => match &part.expr {
            Ok(expr) if expr.variables().is_empty() => "constant",
            Ok(_) => "symbolic",
            Err(_) => "unparsed",
        },
    }
}

fn relation_kind(answer: &str) -> String {
    if answer.trim().is_empty() {
        return "hidden".into();
    }
    RelOption::from_canonical(answer).map_or("other".into(), |o| o.letter().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_gold_kinds() {
        assert_eq!(bound_kind("$$C = 3$$"), "constant");
        assert_eq!(bound_kind("$$C = n-1$$"), "symbolic");
        assert_eq!(bound_kind("$$C_1 = 5, C_2 = -3$$"), "tuple");
        assert_eq!(
            bound_kind("$$C = 3 + \\frac{1}{3} = \\frac{10}{3}$$"),
            "chain"
        );
        assert_eq!(bound_kind(""), "hidden");
    }
}
