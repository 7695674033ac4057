//! Bounds and invariances of the metrics on seeded random matrices with
//! N, d in [2, 300].

mod common;

use common::{METHODS, score_all};
use mnn::metrics::preprocess::row_pass;
use mnn::{
    EntropyMethod, Layout, MatrixView, MetricParams, MetricSet, Scores, ZeroRows, score_matrix,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CASES: u64 = 12;

struct Sample {
    rows: Vec<f64>,
    n: usize,
    d: usize,
}

/// Draws a seeded matrix with uniform entries in [−1, 1) plus a random offset per
/// column, so that centring matters.
fn sample(seed: u64) -> Sample {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = rng.random_range(2..=300);
    let d = rng.random_range(2..=300);
    let offsets: Vec<f64> = (0..d).map(|_| rng.random_range(-3.0..3.0)).collect();
    let mut rows = Vec::with_capacity(n * d);
    for _ in 0..n {
        for offset in &offsets {
            rows.push(rng.random_range(-1.0..1.0) + offset);
        }
    }
    Sample { rows, n, d }
}

fn score(sample: &Sample) -> Scores {
    score_all(
        &sample.rows,
        sample.n,
        sample.d,
        EntropyMethod::Auto,
        ZeroRows::Nan,
        None,
    )
}

fn assert_rel(actual: f64, expected: f64, tolerance: f64, what: &str) {
    let scale = expected.abs().max(1e-300);
    assert!(
        (actual - expected).abs() <= tolerance * scale.max(1.0),
        "{what}: got {actual:.17e}, expected {expected:.17e}"
    );
}

fn assert_same_scores(actual: &Scores, expected: &Scores, what: &str) {
    assert_rel(actual.mnn, expected.mnn, 1e-10, &format!("{what} mnn"));
    assert_rel(
        actual.h_nats,
        expected.h_nats,
        1e-10,
        &format!("{what} h_nats"),
    );
    assert_rel(
        actual.erank,
        expected.erank,
        1e-10,
        &format!("{what} erank"),
    );
    assert_rel(
        actual.nuclear_exact,
        expected.nuclear_exact,
        1e-10,
        &format!("{what} nuclear"),
    );
}

#[test]
fn squared_column_norms_sum_to_n() {
    for seed in 0..CASES {
        let s = sample(seed);
        let pass = row_pass(&s.rows, s.n, s.d).unwrap();
        let total: f64 = pass.col_sq_sums.iter().sum();
        assert_rel(total, s.n as f64, 1e-12, &format!("seed {seed} Σc²"));
    }
}

#[test]
fn mnn_within_bounds() {
    for seed in 0..CASES {
        let s = sample(seed);
        let scores = score(&s);
        let (n, d) = (s.n as f64, s.d as f64);
        let upper = (n.min(d) / n).sqrt();
        assert!(
            scores.mnn <= upper * (1.0 + 1e-12),
            "seed {seed}: mnn {} > {upper}",
            scores.mnn
        );
        if s.n >= s.d {
            let lower = 1.0 / n.sqrt();
            assert!(
                scores.mnn >= lower * (1.0 - 1e-12),
                "seed {seed}: mnn {} < {lower}",
                scores.mnn
            );
        }
    }
}

#[test]
fn column_norm_sum_bounds_nuclear_norm() {
    for seed in 0..CASES {
        let s = sample(seed);
        let scores = score_all(
            &s.rows,
            s.n,
            s.d,
            EntropyMethod::Auto,
            ZeroRows::Nan,
            Some(s.d),
        );
        assert!(
            scores.mnn_raw >= scores.nuclear_exact * (1.0 - 1e-12),
            "seed {seed}: Σc {} < ‖Z‖_* {}",
            scores.mnn_raw,
            scores.nuclear_exact
        );
    }
}

#[test]
fn entropy_within_bounds() {
    for seed in 0..CASES {
        let s = sample(seed);
        let scores = score(&s);
        let rank_cap = ((s.n - 1).min(s.d)) as f64;
        assert!(
            scores.h_nats >= -1e-12,
            "seed {seed}: H {} < 0",
            scores.h_nats
        );
        assert!(
            scores.h_nats <= rank_cap.ln() + 1e-12,
            "seed {seed}: H {} > ln {rank_cap}",
            scores.h_nats
        );
        assert!(
            scores.erank >= 1.0 - 1e-12,
            "seed {seed}: erank {}",
            scores.erank
        );
        assert!(
            scores.erank <= rank_cap * (1.0 + 1e-12),
            "seed {seed}: erank {}",
            scores.erank
        );
    }
}

#[test]
fn two_rows_have_zero_entropy() {
    let s = Sample {
        rows: vec![0.3, -1.2, 4.0, 2.5, 0.1, 0.7, -0.4, 1.9],
        n: 2,
        d: 4,
    };
    for method in METHODS {
        let scores = score_all(&s.rows, s.n, s.d, method, ZeroRows::Nan, None);
        assert!(
            scores.h_nats.abs() < 1e-12,
            "{method:?}: H {}",
            scores.h_nats
        );
    }
}

#[test]
fn entropy_methods_agree() {
    for seed in 0..CASES {
        let s = sample(seed);
        let reference = score_all(&s.rows, s.n, s.d, EntropyMethod::Svd, ZeroRows::Nan, None);
        for method in [
            EntropyMethod::Auto,
            EntropyMethod::Gram,
            EntropyMethod::Eigh,
        ] {
            let scores = score_all(&s.rows, s.n, s.d, method, ZeroRows::Nan, None);
            assert_rel(
                scores.h_nats,
                reference.h_nats,
                1e-10,
                &format!("seed {seed} {method:?}"),
            );
        }
    }
}

#[test]
fn invariant_under_row_permutation() {
    for seed in 0..CASES {
        let s = sample(seed);
        let mut rows = Vec::with_capacity(s.rows.len());
        for i in (0..s.n).rev() {
            rows.extend_from_slice(&s.rows[i * s.d..(i + 1) * s.d]);
        }
        let permuted = Sample {
            rows,
            n: s.n,
            d: s.d,
        };
        assert_same_scores(&score(&permuted), &score(&s), &format!("seed {seed}"));
    }
}

#[test]
fn invariant_under_column_permutation() {
    for seed in 0..CASES {
        let s = sample(seed);
        let order: Vec<usize> = (0..s.d).map(|j| (j * 7 + 3) % s.d).collect();
        let mut rows = Vec::with_capacity(s.rows.len());
        for i in 0..s.n {
            rows.extend(order.iter().map(|&j| s.rows[i * s.d + j]));
        }
        let permuted = Sample {
            rows,
            n: s.n,
            d: s.d,
        };
        // A map j ↦ 7j + 3 mod d is a permutation only when gcd(7, d) = 1.
        if !s.d.is_multiple_of(7) {
            assert_same_scores(&score(&permuted), &score(&s), &format!("seed {seed}"));
        }
    }
}

#[test]
fn invariant_under_adding_a_row_vector() {
    for seed in 0..CASES {
        let s = sample(seed);
        let shift: Vec<f64> = (0..s.d).map(|j| (j as f64 * 0.31).sin() * 10.0).collect();
        let rows = s
            .rows
            .chunks_exact(s.d)
            .flat_map(|row| row.iter().zip(&shift).map(|(x, c)| x + c))
            .collect();
        let shifted = Sample {
            rows,
            n: s.n,
            d: s.d,
        };
        let (a, b) = (score(&shifted), score(&s));
        assert_rel(a.mnn, b.mnn, 1e-9, &format!("seed {seed} mnn"));
        assert_rel(a.h_nats, b.h_nats, 1e-9, &format!("seed {seed} h"));
        assert_rel(
            a.nuclear_exact,
            b.nuclear_exact,
            1e-9,
            &format!("seed {seed} nuclear"),
        );
    }
}

/// Applies five seeded Householder reflections to the hidden axes: R → RQ.
fn rotate(s: &Sample, seed: u64) -> Sample {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut rows = s.rows.clone();
    for _ in 0..5 {
        let v: Vec<f64> = (0..s.d).map(|_| rng.random_range(-1.0..1.0)).collect();
        let v_sq: f64 = v.iter().map(|x| x * x).sum();
        for row in rows.chunks_exact_mut(s.d) {
            let dot: f64 = row.iter().zip(&v).map(|(x, y)| x * y).sum();
            let factor = 2.0 * dot / v_sq;
            row.iter_mut().zip(&v).for_each(|(x, y)| *x -= factor * y);
        }
    }
    Sample {
        rows,
        n: s.n,
        d: s.d,
    }
}

#[test]
fn rotation_keeps_entropy_and_nuclear_norm() {
    for seed in 0..CASES {
        let s = sample(seed);
        let (a, b) = (score(&rotate(&s, seed)), score(&s));
        assert_rel(a.h_nats, b.h_nats, 1e-9, &format!("seed {seed} h"));
        assert_rel(a.erank, b.erank, 1e-9, &format!("seed {seed} erank"));
        assert_rel(
            a.nuclear_exact,
            b.nuclear_exact,
            1e-9,
            &format!("seed {seed} nuclear"),
        );
    }
}

#[test]
fn rotation_changes_mnn() {
    for seed in 0..CASES {
        let s = sample(seed);
        let (a, b) = (score(&rotate(&s, seed)), score(&s));
        assert!(
            (a.mnn - b.mnn).abs() > 1e-6 * b.mnn,
            "seed {seed}: MNN {} unchanged",
            b.mnn
        );
    }
}

#[test]
fn row_scaling_changes_values() {
    for seed in 0..CASES {
        let s = sample(seed);
        let rows = s
            .rows
            .chunks_exact(s.d)
            .enumerate()
            .flat_map(|(i, row)| row.iter().map(move |x| x * (1.0 + i as f64)))
            .collect();
        let scaled = Sample {
            rows,
            n: s.n,
            d: s.d,
        };
        let (a, b) = (score(&scaled), score(&s));
        assert!((a.mnn - b.mnn).abs() > 1e-9, "seed {seed}: mnn unchanged");
        assert!(
            (a.h_nats - b.h_nats).abs() > 1e-9,
            "seed {seed}: H unchanged"
        );
    }
}

fn entropy_opts() -> mnn::MetricOpts {
    MetricParams {
        metrics: MetricSet {
            mnn: true,
            entropy: true,
            nuclear: false,
        },
        ..MetricParams::default()
    }
    .check()
    .unwrap()
}

#[test]
fn f32_and_f64_inputs_agree() {
    for seed in 0..CASES {
        let s = sample(seed);
        let rows32: Vec<f32> = s.rows.iter().map(|&x| x as f32).collect();
        let view32 = MatrixView::from_rows_f32(&rows32, s.n, s.d).unwrap();
        let a = score_matrix(view32, &entropy_opts()).unwrap();
        let b = score(&s);
        assert_rel(a.mnn, b.mnn, 1e-6, &format!("seed {seed} mnn"));
        assert_rel(a.h_nats, b.h_nats, 1e-6, &format!("seed {seed} h"));
    }
}

#[test]
fn row_and_column_major_bit_identical() {
    for seed in 0..CASES {
        let s = sample(seed);
        let mut columns = Vec::with_capacity(s.rows.len());
        for j in 0..s.d {
            columns.extend((0..s.n).map(|i| s.rows[i * s.d + j]));
        }
        let rows = MatrixView::from_rows_f64(&s.rows, s.n, s.d).unwrap();
        let cols =
            MatrixView::new(mnn::Elements::F64(&columns), s.n, s.d, Layout::ColMajor).unwrap();
        let a = score_matrix(rows, &entropy_opts()).unwrap();
        let b = score_matrix(cols, &entropy_opts()).unwrap();
        assert_eq!(a.mnn.to_bits(), b.mnn.to_bits(), "seed {seed} mnn");
        assert_eq!(a.h_nats.to_bits(), b.h_nats.to_bits(), "seed {seed} h");
    }
}

#[test]
fn skip_policy_drops_zero_rows() {
    let rows = vec![0.0, 0.0, 1.0, 2.0, -1.0, -2.0, 3.0, 1.0, -3.0, -1.0];
    let skipped = score_all(&rows, 5, 2, EntropyMethod::Auto, ZeroRows::Skip, None);
    assert_eq!(skipped.n_eff, 4);
    assert_eq!(skipped.dropped_rows, 1);
    assert!(skipped.mnn.is_finite());

    let nan = score_all(&rows, 5, 2, EntropyMethod::Auto, ZeroRows::Nan, None);
    assert_eq!(nan.status, mnn::Status::Degenerate);
    assert!(nan.mnn.is_nan());
}

#[test]
fn non_finite_entry_is_an_error() {
    let rows = vec![1.0, 2.0, 3.0, f64::NAN, 5.0, 6.0];
    let view = MatrixView::from_rows_f64(&rows, 3, 2).unwrap();
    let err = score_matrix(view, &entropy_opts()).unwrap_err();
    assert!(
        matches!(err, mnn::Error::NonFinite { row: 1, col: 1, .. }),
        "unexpected error {err}"
    );
}

#[test]
fn top_d_above_hidden_size_is_an_error() {
    let rows = vec![1.0, 2.0, 3.0, 4.0];
    let view = MatrixView::from_rows_f64(&rows, 2, 2).unwrap();
    let params = MetricParams {
        top_d: Some(3),
        ..MetricParams::default()
    };
    let err = score_matrix(view, &params.check().unwrap()).unwrap_err();
    assert!(
        matches!(err, mnn::Error::InvalidParam { name: "top_d", .. }),
        "{err}"
    );
}

#[test]
fn zero_top_d_is_rejected() {
    let params = MetricParams {
        top_d: Some(0),
        ..MetricParams::default()
    };
    assert!(params.check().is_err());
}

#[test]
fn seeded_sample_is_reproducible() {
    let first = mnn::sampling::sample_indices(805, 10, 7).unwrap();
    let second = mnn::sampling::sample_indices(805, 10, 7).unwrap();
    assert_eq!(first, second);

    let mut sorted = first.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 10);
    assert!(sorted.iter().all(|&i| i < 805));
}

#[test]
fn sample_larger_than_population_is_rejected() {
    assert!(mnn::sampling::sample_indices(3, 4, 0).is_err());
    assert!(mnn::sampling::python_sample(3, 4, 0).is_err());
}
