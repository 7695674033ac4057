//! The five hand-checked cases, which need no golden file.

mod common;

use std::f64::consts::{FRAC_1_SQRT_2, LN_2, SQRT_2};

use common::{METHODS, assert_close, det, score_all};
use mnn::ZeroRows;

struct Case {
    name: &'static str,
    rows: Vec<f64>,
    n: usize,
    d: usize,
    mnn_raw: f64,
    mnn: f64,
    nuclear: f64,
    h_nats: f64,
    me: f64,
    erank: f64,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "I2",
            rows: vec![1.0, 0.0, 0.0, 1.0],
            n: 2,
            d: 2,
            mnn_raw: 2.0,
            mnn: 1.0,
            nuclear: SQRT_2,
            h_nats: 0.0,
            me: 0.0,
            erank: 1.0,
        },
        Case {
            name: "cross4x2",
            rows: vec![1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, -1.0],
            n: 4,
            d: 2,
            mnn_raw: 2.828427124746,
            mnn: FRAC_1_SQRT_2,
            nuclear: 2.828427124746,
            h_nats: LN_2,
            me: 1.0,
            erank: 2.0,
        },
        Case {
            name: "det16x8",
            rows: det(16, 8),
            n: 16,
            d: 8,
            mnn_raw: 11.309455705843,
            mnn: 0.706840981615,
            nuclear: 11.304994872943,
            h_nats: 2.076364972926,
            me: 0.998520483172,
            erank: 7.975425272273,
        },
        Case {
            name: "det8x16",
            rows: det(8, 16),
            n: 8,
            d: 16,
            mnn_raw: 6.104017076308,
            mnn: 0.763002134538,
            nuclear: 7.476026866616,
            h_nats: 1.942019345783,
            me: 0.700435419868,
            erank: 6.972817292666,
        },
        Case {
            name: "det64x32",
            rows: det(64, 32),
            n: 64,
            d: 32,
            mnn_raw: 44.852146340208,
            mnn: 0.700814786566,
            nuclear: 29.533529392246,
            h_nats: 2.411741142192,
            me: 0.695881397150,
            erank: 11.153363841100,
        },
    ]
}

/// The table gives 12 decimals, so compare to 1e-11 absolute.
fn assert_12_decimals(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-11,
        "{what}: got {actual:.13}, expected {expected:.12}"
    );
}

#[test]
fn hand_checked_cases_match() {
    for case in cases() {
        for method in METHODS {
            let scores = score_all(&case.rows, case.n, case.d, method, ZeroRows::Nan, None);
            let what = |field: &str| format!("{} {method:?} {field}", case.name);
            assert_12_decimals(scores.mnn_raw, case.mnn_raw, &what("mnn_raw"));
            assert_12_decimals(scores.mnn, case.mnn, &what("mnn"));
            assert_12_decimals(scores.nuclear_exact, case.nuclear, &what("nuclear"));
            assert_12_decimals(scores.h_nats, case.h_nats, &what("h_nats"));
            assert_12_decimals(scores.me, case.me, &what("me"));
            assert_12_decimals(scores.erank, case.erank, &what("erank"));
        }
    }
}

#[test]
fn det_generator_spot_values() {
    assert_close(det(16, 8)[0], 0.461615431964962, "det(16,8)[0][0]");
    assert_close(
        det(16, 8)[15 * 8 + 7],
        -0.27857101261882755,
        "det(16,8)[15][7]",
    );
}
