//! Extreme scales, rounding-noise rows, tiny shapes and oversized requests.

mod common;

use common::{METHODS, assert_close, det, score_all};
use mnn::{
    EntropyMethod, EntropyNorm, Error, MatrixView, MetricParams, Status, ZeroRows, score_matrix,
};

fn scaled(rows: &[f64], factor: f64) -> Vec<f64> {
    rows.iter().map(|&x| x * factor).collect()
}

#[test]
fn extreme_scales_match_unscaled() {
    let rows = det(12, 7);
    for method in METHODS {
        let base = score_all(&rows, 12, 7, method, ZeroRows::Nan, None);
        for factor in [1e160, 1e-160, 1e300, 1e-300] {
            let what = format!("{method:?} ×{factor:e}");
            let scores = score_all(&scaled(&rows, factor), 12, 7, method, ZeroRows::Nan, None);
            assert_eq!(scores.status, Status::Ok, "{what}");
            assert_close(scores.mnn, base.mnn, &format!("{what} mnn"));
            assert_close(scores.me, base.me, &format!("{what} me"));
            assert_close(scores.erank, base.erank, &format!("{what} erank"));
        }
    }
}

#[test]
fn single_huge_cell_is_scored() {
    let (n, d) = (10, 4);
    for value in [1.0, 1e200, 1e308, f64::MAX, 1e-300, 1e-310, 5e-324] {
        let mut rows = vec![0.0; n * d];
        rows[5] = value;
        let scores = score_all(&rows, n, d, EntropyMethod::Auto, ZeroRows::Skip, None);
        let unit = {
            let mut unit_rows = vec![0.0; n * d];
            unit_rows[5] = 1.0;
            score_all(&unit_rows, n, d, EntropyMethod::Auto, ZeroRows::Skip, None)
        };
        assert_eq!(scores.status, Status::Ok, "cell {value:e}");
        assert_close(scores.mnn, unit.mnn, &format!("cell {value:e} mnn"));
        assert!(scores.mnn > 0.0, "cell {value:e}: mnn {}", scores.mnn);
    }
}

#[test]
fn identical_rows_are_degenerate() {
    let row = [0.1, 0.7, -0.3, 1.0 / 3.0, 2.0f64.sqrt()];
    let rows: Vec<f64> = row.iter().copied().cycle().take(10 * row.len()).collect();
    for zero_rows in [ZeroRows::Nan, ZeroRows::Skip] {
        let scores = score_all(&rows, 10, row.len(), EntropyMethod::Auto, zero_rows, None);
        assert_eq!(scores.status, Status::Degenerate, "{zero_rows:?}");
        assert_eq!(scores.dropped_rows, 10, "{zero_rows:?}");
        assert!(scores.mnn.is_nan(), "{zero_rows:?}: mnn {}", scores.mnn);
    }
}

#[test]
fn many_identical_rows_are_degenerate() {
    let row = [
        0.1,
        -7.3e2,
        3.3e-3,
        1.0 / 3.0,
        2.0f64.sqrt(),
        1e3 / 7.0,
        -0.9,
        5.5,
    ];
    for n in [1000, 100_000] {
        let rows: Vec<f64> = row.iter().copied().cycle().take(n * row.len()).collect();
        let scores = score_all(
            &rows,
            n,
            row.len(),
            EntropyMethod::Auto,
            ZeroRows::Nan,
            None,
        );
        assert_eq!(scores.status, Status::Degenerate, "n = {n}");
        assert_eq!(scores.dropped_rows, n, "n = {n}");
    }
}

#[test]
fn near_identical_row_still_scored() {
    let row = [0.1, 0.7, -0.3, 1.0 / 3.0, 2.0f64.sqrt()];
    let mut rows: Vec<f64> = row.iter().copied().cycle().take(10 * row.len()).collect();
    rows[0] += 1e-10;
    let scores = score_all(
        &rows,
        10,
        row.len(),
        EntropyMethod::Auto,
        ZeroRows::Skip,
        None,
    );
    assert_eq!(scores.status, Status::Ok);
    assert_eq!(scores.dropped_rows, 0);
    assert!(scores.mnn.is_finite(), "mnn {}", scores.mnn);
}

#[test]
fn skip_reports_top_d_zero() {
    let rows = vec![3.0; 20];
    let scores = score_all(&rows, 5, 4, EntropyMethod::Auto, ZeroRows::Skip, None);
    assert_eq!(scores.n_eff, 0);
    assert_eq!(scores.top_d, 0);
}

#[test]
fn hidden_size_one_rejects_ln_d() {
    let rows = [1.0, 2.0, 4.0];
    let view = MatrixView::from_rows_f64(&rows, 3, 1).unwrap();
    let err = score_matrix(view, &MetricParams::default().check().unwrap()).unwrap_err();
    assert!(matches!(err, Error::InvalidParam { .. }), "{err}");
    assert!(err.to_string().contains("--entropy-norm none"), "{err}");

    let params = MetricParams {
        entropy_norm: EntropyNorm::None,
        ..MetricParams::default()
    };
    let scores = score_matrix(view, &params.check().unwrap()).unwrap();
    assert_eq!(scores.status, Status::Ok);
    assert_eq!(scores.me.to_bits(), 0.0f64.to_bits());
}

#[test]
fn two_rows_give_positive_zero() {
    let rows = [1.0, 2.0, 3.0, -1.0, 0.5, 7.0];
    for method in METHODS {
        let scores = score_all(&rows, 2, 3, method, ZeroRows::Nan, None);
        assert!(!scores.me.is_sign_negative(), "{method:?}: {}", scores.me);
        assert!(!scores.h_nats.is_sign_negative(), "{method:?}");
        assert_close(scores.me, 0.0, &format!("{method:?} me"));
    }
}

#[test]
fn bench_shape_over_limit_rejected() {
    let huge = 100_000_000;
    let err = mnn::bench::check_shape(huge, huge, mnn::bench::Operation::Mnn).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("100000000 × 100000000"), "{err}");

    let err = mnn::bench::standard_normal_f32(usize::MAX, 2, 0).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");

    let svd = mnn::bench::Operation::Entropy(EntropyMethod::Svd);
    let err = mnn::bench::check_shape(2, 1 << 20, svd).unwrap_err();
    assert!(err.to_string().contains("Gram matrix"), "{err}");
    assert!(mnn::bench::check_shape(2, 1 << 20, mnn::bench::Operation::Mnn).is_ok());
}

#[test]
fn entropy_buffer_over_limit_rejected() {
    let d = 1 << 16;
    let mut rows = vec![0.0; 2 * d];
    rows[0] = 1.0;
    let params = MetricParams {
        entropy_method: EntropyMethod::Eigh,
        ..MetricParams::default()
    };
    let view = MatrixView::from_rows_f64(&rows, 2, d).unwrap();
    let err = score_matrix(view, &params.check().unwrap()).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
}

#[test]
fn huge_sample_size_rejected() {
    let k = mnn::MAX_ELEMENTS + 1;
    let err = mnn::sampling::sample_indices(usize::MAX, k, 0).unwrap_err();
    assert!(matches!(err, Error::InvalidParam { .. }), "{err}");
    let err = mnn::sampling::python_sample(usize::MAX, k, 123).unwrap_err();
    assert!(matches!(err, Error::InvalidParam { .. }), "{err}");
}
