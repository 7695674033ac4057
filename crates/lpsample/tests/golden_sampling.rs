//! Capped Bernoulli inclusion probabilities against the golden cases.

mod common;

use common::{assert_close, golden_json, vector};
use lpsample::sampling::inclusion_probabilities;

#[test]
fn sampling_probabilities_golden() {
    let Some(golden) = golden_json("sampling.json") else {
        return;
    };
    let tol = golden["tolerance"].as_f64().unwrap();
    for (k, case) in golden["cases"].as_array().unwrap().iter().enumerate() {
        let scores = vector(&case["scores"]);
        let m = case["m"].as_f64().unwrap();
        let result = inclusion_probabilities(&scores, m).unwrap();
        let what = format!("case {k}");

        assert_close(&result.q, &vector(&case["q"]), tol, &what);
        assert_eq!(result.clamped, case["clamped"].as_bool().unwrap(), "{what}");
        let sum: f64 = result.q.iter().sum();
        assert!(
            (sum - case["sum_q"].as_f64().unwrap()).abs() < tol,
            "{what}: sum"
        );
        assert!(
            (result.expected_size - sum).abs() < tol,
            "{what}: expected size"
        );
        match case["multiplier"].as_f64() {
            // The golden multiplier is rounded to 12 significant digits, so a
            // value above 1 carries up to 5e-12 rounding error.
            Some(c) => {
                let multiplier = result.multiplier.unwrap();
                assert!(
                    (multiplier - c).abs() < 1e-11 * c.max(1.0),
                    "{what}: multiplier {multiplier} vs {c}"
                );
            }
            None => assert_eq!(result.multiplier, None, "{what}"),
        }
    }
}
