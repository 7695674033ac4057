//! Table helpers, z-scoring, stratified splits and the embedded data sets.

use datasets::split::stratified;
use datasets::{Error, Table, apply_standardize, is_zscored, standardize};
use faer::{Mat, mat};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn small_table() -> Table {
    Table {
        x: mat![[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]],
        y: vec![0, 2, 2, 0],
        n_classes: 3,
    }
}

#[test]
fn table_rows_copies_in_order() {
    let table = small_table();
    let picked = table.rows(&[3, 1, 3]);
    assert_eq!(picked.x, mat![[4.0, 40.0], [2.0, 20.0], [4.0, 40.0]]);
    assert_eq!(picked.y, vec![0, 2, 0]);
    assert_eq!(picked.n_classes, 3);
    assert_eq!((picked.n_rows(), picked.n_features()), (3, 2));
}

#[test]
fn table_class_counts_include_empty_classes() {
    assert_eq!(small_table().class_counts(), vec![2, 0, 2]);
}

#[test]
fn table_check_finite_names_cell() {
    let mut table = small_table();
    assert!(table.check_finite().is_ok());
    table.x[(2, 1)] = f64::NAN;
    let err = table.check_finite().unwrap_err();
    assert!(
        matches!(err, Error::NonFinite { row: 2, col: 1, value } if value.is_nan()),
        "{err:?}"
    );
    assert!(err.to_string().contains("row 2, feature 1"), "{err}");
}

#[test]
fn standardize_fits_on_given_rows() {
    let mut x = mat![[1.0, 7.0], [3.0, 7.0], [5.0, 7.0], [11.0, 9.0]];
    let (mean, std) = standardize(&mut x, &[0, 1, 2]);
    assert_eq!(mean, vec![3.0, 7.0]);
    assert_eq!(std, vec![2.0, 1.0]);
    assert_eq!(x, mat![[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [4.0, 2.0]]);
}

#[test]
fn standardize_uses_sample_std() {
    let mut x = mat![[2.0], [4.0], [4.0], [4.0], [5.0], [5.0], [7.0], [9.0]];
    let all: Vec<usize> = (0..8).collect();
    let (mean, std) = standardize(&mut x, &all);
    assert_eq!(mean, vec![5.0]);
    // Sum of squared deviations 32, divided by n − 1 = 7.
    assert!((std[0] - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
    assert!(is_zscored(&x, 1e-12));
}

#[test]
fn standardize_constant_column_becomes_zero() {
    // 0.1 summed ten times is not exactly 1.0, so a computed mean would be off by an ulp.
    let mut x = Mat::from_fn(10, 1, |_, _| 0.1);
    let all: Vec<usize> = (0..10).collect();
    let (mean, std) = standardize(&mut x, &all);
    assert_eq!(mean, vec![0.1]);
    assert_eq!(std, vec![1.0]);
    assert!((0..10).all(|i| x[(i, 0)] == 0.0));
}

#[test]
fn standardize_edge_fit_sets() {
    let mut x = mat![[3.0], [5.0]];
    let (mean, std) = standardize(&mut x, &[]);
    assert_eq!((mean, std), (vec![0.0], vec![1.0]));
    assert_eq!(x, mat![[3.0], [5.0]]);

    let (mean, std) = standardize(&mut x, &[1]);
    assert_eq!((mean, std), (vec![5.0], vec![1.0]));
    assert_eq!(x, mat![[-2.0], [0.0]]);
}

#[test]
fn apply_standardize_matches_standardize() {
    let original = mat![[1.0, -4.0], [2.5, 0.0], [6.0, 8.0]];
    let mut fitted = original.clone();
    let (mean, std) = standardize(&mut fitted, &[0, 1, 2]);
    let mut applied = original;
    apply_standardize(&mut applied, &mean, &std);
    assert_eq!(applied, fitted);
}

#[test]
fn is_zscored_rejects_shifted_column() {
    let x = mat![[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0]];
    assert!(is_zscored(&x, 1e-12));
    let shifted = mat![[-1.0, 0.5], [0.0, 0.5], [1.0, 0.5]];
    assert!(!is_zscored(&shifted, 1e-3));
    let scaled = mat![[-2.0], [0.0], [2.0]];
    assert!(!is_zscored(&scaled, 1e-3));
}

/// 212 rows of class 0, then 357 of class 1, like breast-cancer.
fn imbalanced_labels() -> Vec<usize> {
    let mut y = vec![0; 212];
    y.extend(vec![1; 357]);
    y
}

#[test]
fn stratified_keeps_class_proportions() {
    let y = imbalanced_labels();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let split = stratified(&y, 2, 0.2, &mut rng).unwrap();
    // round(0.2 · 212) = 42 and round(0.2 · 357) = 71.
    let test_zeros = split.test.iter().filter(|&&i| y[i] == 0).count();
    assert_eq!(test_zeros, 42);
    assert_eq!(split.test.len(), 113);
    assert_eq!(split.train.len(), 456);

    let mut all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..569).collect::<Vec<_>>());
    assert!(split.train.windows(2).all(|w| w[0] < w[1]));
    assert!(split.test.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn stratified_is_seed_deterministic() {
    let y = imbalanced_labels();
    let run = |seed| stratified(&y, 2, 0.25, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap();
    assert_eq!(run(3), run(3));
    assert_ne!(run(3).test, run(4).test);
}

#[test]
fn stratified_rejects_bad_arguments() {
    let y = [0, 1, 0, 1];
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for fraction in [0.0, 1.0, -0.5, f64::NAN] {
        let err = stratified(&y, 2, fraction, &mut rng).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{fraction}: {err:?}"
        );
    }
    let err = stratified(&[0, 3], 2, 0.5, &mut rng).unwrap_err();
    assert!(err.to_string().contains("label 3"), "{err}");
    // round(0.1 · 2) = 0 rows per class: the test set would be empty.
    let err = stratified(&y, 2, 0.1, &mut rng).unwrap_err();
    assert!(err.to_string().contains("0 test rows"), "{err}");
}

#[cfg(feature = "embedded")]
mod embedded {
    use datasets::embedded;

    fn max_value(table: &datasets::Table) -> f64 {
        let mut max = f64::MIN;
        for j in 0..table.n_features() {
            for i in 0..table.n_rows() {
                max = max.max(table.x[(i, j)]);
            }
        }
        max
    }

    #[test]
    fn breast_cancer_shape_and_counts() {
        let table = embedded::breast_cancer();
        assert_eq!((table.n_rows(), table.n_features()), (569, 30));
        assert_eq!(table.n_classes, 2);
        assert_eq!(table.class_counts(), vec![212, 357]);
        assert_eq!(max_value(&table), 4254.0);
        assert!(table.check_finite().is_ok());
    }

    #[test]
    fn digits_shape_and_counts() {
        let table = embedded::digits();
        assert_eq!((table.n_rows(), table.n_features()), (1797, 64));
        assert_eq!(
            table.class_counts(),
            vec![178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
        );
        let whole_0_to_16 = (0..64)
            .flat_map(|j| table.x.col_as_slice(j).to_vec())
            .all(|v| (0.0..=16.0).contains(&v) && v.fract() == 0.0);
        assert!(whole_0_to_16);
        let constant = (0..64)
            .filter(|&j| {
                table
                    .x
                    .col_as_slice(j)
                    .iter()
                    .all(|&v| v == table.x[(0, j)])
            })
            .count();
        assert_eq!(constant, 3);
    }

    #[test]
    fn iris_shape_and_counts() {
        let table = embedded::iris();
        assert_eq!((table.n_rows(), table.n_features()), (150, 4));
        assert_eq!(table.class_counts(), vec![50, 50, 50]);
        let first: Vec<f64> = (0..4).map(|j| table.x[(0, j)]).collect();
        let expected: Vec<f64> = [5.1f32, 3.5, 1.4, 0.2]
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        assert_eq!(first, expected);
    }

    #[test]
    fn by_name_covers_names() {
        for name in embedded::NAMES {
            assert!(embedded::by_name(name).is_ok(), "{name}");
        }
        assert_eq!(embedded::by_name("iris").unwrap(), embedded::iris());
        let err = embedded::by_name("mnist").unwrap_err();
        assert!(
            err.to_string().contains("breast-cancer, digits, iris"),
            "{err}"
        );
    }
}
