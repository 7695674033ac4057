//! Agreement between two answer judges on the same items: raw agreement and
//! Cohen's κ of their correct/incorrect verdicts.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::answer::AnswerEval;
use crate::error::{Error, Result};

/// One item on which the two judges disagree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// The item.
    pub data_id: String,
    /// Our verdict (`is_correct`).
    pub ours: bool,
    /// Their verdict.
    pub theirs: bool,
}

/// Agreement of two verdict files over the items both contain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Agreement {
    /// Items present in both files.
    pub shared: usize,
    /// Shared items with the same verdict.
    pub agree: usize,
    /// agree / shared, in [0, 1].
    pub rate: f64,
    /// Cohen's κ of the verdicts. It is `None` when both judges give one
    /// constant verdict, because chance agreement is then 1 and κ undefined.
    pub kappa: Option<f64>,
    /// Counts `[[both correct, ours only], [theirs only, both incorrect]]`.
    pub table: [[u64; 2]; 2],
    /// Shared items with different verdicts, in `data_id` order.
    pub disagree: Vec<Disagreement>,
    /// Items only in our file.
    pub only_ours: Vec<String>,
    /// Items only in their file.
    pub only_theirs: Vec<String>,
}

/// Cohen's κ = (p_o − p_e) / (1 − p_e) of a 2×2 table of two raters, rows our
/// verdict (correct, incorrect), columns theirs. p_o is the diagonal share and
/// p_e the agreement expected from the two marginal distributions.
///
/// Returns `None` for an empty table or when p_e = 1 (κ undefined).
pub fn cohen_kappa(table: [[u64; 2]; 2]) -> Option<f64> {
    let [[a, b], [c, d]] = table.map(|row| row.map(|x| x as f64));
    let n = a + b + c + d;
    if n == 0.0 {
        return None;
    }

    let observed = (a + d) / n;
    let chance = ((a + b) * (a + c) + (c + d) * (b + d)) / (n * n);
    if chance >= 1.0 {
        return None;
    }
    Some((observed - chance) / (1.0 - chance))
}

/// Maps `data_id` to verdict, rejecting a repeated id.
fn verdicts<'a>(path: &Path, evals: &'a [AnswerEval]) -> Result<BTreeMap<&'a str, bool>> {
    let mut map = BTreeMap::new();
    for e in evals {
        if map.insert(e.data_id.as_str(), e.is_correct).is_some() {
            return Err(Error::DuplicateId {
                path: path.to_path_buf(),
                data_id: e.data_id.clone(),
            });
        }
    }
    Ok(map)
}

/// Compares our verdicts with theirs over the `data_id`s both contain.
///
/// # Errors
/// [`Error::DuplicateId`] when a file repeats an id; [`Error::Invalid`] when
/// the files share no id.
pub fn compare(ours: (&Path, &[AnswerEval]), theirs: (&Path, &[AnswerEval])) -> Result<Agreement> {
    let a = verdicts(ours.0, ours.1)?;
    let b = verdicts(theirs.0, theirs.1)?;

    let mut table = [[0u64; 2]; 2];
    let mut disagree = Vec::new();
    for (id, &x) in &a {
        let Some(&y) = b.get(id) else { continue };
        table[usize::from(!x)][usize::from(!y)] += 1;
        if x != y {
            disagree.push(Disagreement {
                data_id: id.to_string(),
                ours: x,
                theirs: y,
            });
        }
    }

    let shared = table.iter().flatten().sum::<u64>() as usize;
    if shared == 0 {
        return Err(Error::Invalid(format!(
            "{} and {} share no data_id, so there is nothing to compare; pass two verdict files of the same split",
            ours.0.display(),
            theirs.0.display()
        )));
    }
    let only = |x: &BTreeMap<&str, bool>, y: &BTreeMap<&str, bool>| -> Vec<String> {
        x.keys()
            .filter(|id| !y.contains_key(*id))
            .map(|id| id.to_string())
            .collect()
    };
    let agree = shared - disagree.len();
    Ok(Agreement {
        shared,
        agree,
        rate: agree as f64 / shared as f64,
        kappa: cohen_kappa(table),
        table,
        disagree,
        only_ours: only(&a, &b),
        only_theirs: only(&b, &a),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::AnswerMode;
    use crate::data::ProblemType;
    use crate::method::Method;
    use crate::rules::Rules;

    fn eval(id: &str, correct: bool) -> AnswerEval {
        AnswerEval {
            data_id: id.into(),
            ptype: ProblemType::Bound,
            data_split: Some("dev".into()),
            ground_truth: String::new(),
            answer_sentence: String::new(),
            extracted: None,
            is_solved: true,
            is_correct: correct,
            method: Method::StrictRule,
            abs_diff: None,
            rules: Rules::Strict,
            mode: AnswerMode::Det,
            llm: None,
        }
    }

    /// Table [[20, 5], [10, 15]], n = 50: p_o = 35/50 = 0.7; our marginals
    /// 25/25, theirs 30/20, so p_e = (25·30 + 25·20)/2500 = 0.5 and
    /// κ = (0.7 − 0.5)/(1 − 0.5) = 0.4.
    #[test]
    fn kappa_of_hand_computed_table() {
        let kappa = cohen_kappa([[20, 5], [10, 15]]).unwrap();
        assert!((kappa - 0.4).abs() < 1e-12, "{kappa}");
    }

    /// Perfect agreement gives 1; agreement at chance level gives 0; a
    /// constant verdict on both sides leaves κ undefined.
    #[test]
    fn kappa_limits() {
        assert_eq!(cohen_kappa([[7, 0], [0, 3]]), Some(1.0));
        assert!(cohen_kappa([[1, 1], [1, 1]]).unwrap().abs() < 1e-12);
        assert_eq!(cohen_kappa([[4, 0], [0, 0]]), None);
        assert_eq!(cohen_kappa([[0, 0], [0, 0]]), None);
    }

    /// The same table built from verdict lists, with one id on each side only.
    #[test]
    fn compare_counts_shared_items() {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        let cells = [
            (true, true, 20),
            (true, false, 5),
            (false, true, 10),
            (false, false, 15),
        ];
        let mut i = 0;
        for (x, y, count) in cells {
            for _ in 0..count {
                ours.push(eval(&i.to_string(), x));
                theirs.push(eval(&i.to_string(), y));
                i += 1;
            }
        }
        ours.push(eval("ours-only", true));
        theirs.push(eval("theirs-only", false));

        let p = Path::new("x");
        let agreement = compare((p, &ours), (p, &theirs)).unwrap();
        assert_eq!((agreement.shared, agreement.agree), (50, 35));
        assert_eq!(agreement.table, [[20, 5], [10, 15]]);
        assert!((agreement.rate - 0.7).abs() < 1e-12);
        assert!((agreement.kappa.unwrap() - 0.4).abs() < 1e-12);
        assert_eq!(agreement.disagree.len(), 15);
        assert_eq!(agreement.only_ours, ["ours-only"]);
        assert_eq!(agreement.only_theirs, ["theirs-only"]);
    }

    #[test]
    fn no_shared_ids_is_an_error() {
        let p = Path::new("a.jsonl");
        let err = compare((p, &[eval("0", true)]), (p, &[eval("1", true)])).unwrap_err();
        assert!(err.to_string().contains("share no data_id"), "{err}");
    }

    #[test]
    fn repeated_id_is_an_error() {
        let p = Path::new("a.jsonl");
        let twice = [eval("0", true), eval("0", false)];
        let err = compare((p, &twice), (p, &[eval("0", true)])).unwrap_err();
        assert!(matches!(err, Error::DuplicateId { .. }), "{err}");
    }
}
