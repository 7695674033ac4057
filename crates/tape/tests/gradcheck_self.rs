//! The gradient checker itself: it must report wrong gradients and count checks.

mod common;

use common::{uniform, weighted_sum};
use faer::Mat;
use tape::{GradcheckOptions, ParamStore, gradcheck};

/// Cholesky reads only the lower triangle while its gradient is symmetric, so on
/// a non-symmetric parameter the upper-triangle entries disagree with finite
/// differences. The checker must flag that.
#[test]
fn detects_gradient_mismatch() {
    let mut store = ParamStore::new();
    let mut a0 = uniform(3, 3, "mismatch/a");
    for i in 0..3 {
        a0[(i, i)] += 4.0;
    }
    let ia = store.add("a", a0).unwrap();
    let report = gradcheck(
        &store,
        |t, s| {
            let a = t.param(s, ia);
            let p = t.cholesky(a)?;
            Ok(weighted_sum(t, p, "mismatch"))
        },
        &GradcheckOptions::default(),
    )
    .unwrap();
    assert!(!report.passed(), "the mismatch went unnoticed: {report:?}");
    assert!(
        report.max_rel_error > 0.5,
        "error only {:e}",
        report.max_rel_error
    );
    assert_eq!(report.checks, 9);
    assert!(report.worst.starts_with("a["), "worst: {}", report.worst);
}

#[test]
fn counts_entries_and_directions() {
    let mut store = ParamStore::new();
    let ismall = store.add("small", uniform(2, 3, "count/s")).unwrap();
    let ilarge = store.add("large", uniform(10, 10, "count/l")).unwrap();
    let opts = GradcheckOptions {
        directions: 5,
        ..GradcheckOptions::default()
    };
    let report = gradcheck(
        &store,
        |t, s| {
            let a = t.param(s, ismall);
            let b = t.param(s, ilarge);
            let sa = t.tanh(a);
            let sb = t.tanh(b);
            let la = weighted_sum(t, sa, "count/a");
            let lb = weighted_sum(t, sb, "count/b");
            Ok(t.add(la, lb))
        },
        &opts,
    )
    .unwrap();
    assert_eq!(report.checks, 6 + 5);
    assert!(report.passed(), "{report:?}");
}

#[test]
fn param_without_gradient_is_checked_as_zero() {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(2, 2, "nograd/a")).unwrap();
    let _unused = store.add("unused", Mat::zeros(1, 2)).unwrap();
    let report = gradcheck(
        &store,
        |t, s| {
            let a = t.param(s, ia);
            let e = t.exp(a);
            Ok(t.sum(e))
        },
        &GradcheckOptions::default(),
    )
    .unwrap();
    assert_eq!(report.checks, 6);
    assert!(report.passed(), "{report:?}");
}

#[test]
fn propagates_loss_errors() {
    let mut store = ParamStore::new();
    let ia = store.add("a", faer::mat![[-1.0, 0.0], [0.0, 1.0]]).unwrap();
    let result = gradcheck(
        &store,
        |t, s| {
            let a = t.param(s, ia);
            let p = t.cholesky(a)?;
            Ok(t.sum(p))
        },
        &GradcheckOptions::default(),
    );
    assert!(matches!(result, Err(tape::Error::Cholesky { .. })));
}
