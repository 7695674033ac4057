//! The UCI-121 loader on a small collection written into a temporary folder:
//! a one-file set `toy`, a two-file set `duo` whose test file is in raw
//! units, and an incomplete set `gone`. Each error kind comes from a copy of
//! the collection with one file corrupted.

use std::fs;
use std::path::{Path, PathBuf};

use datasets::uci121::{self, UciEntry};
use datasets::{Error, Split};
use tempfile::TempDir;

const TOY_META: &str = "n_entradas= 2\nn_clases= 2\nn_arquivos= 1\nfich1= toy_R.dat\n\
n_patrons1= 8\nn_patrons_entrena= 4\nn_patrons_valida= 4\nn_conxuntos= 1\n";

/// f1 takes -1.5, -0.5, 0.5, 1.5 twice, and f2 is the constant 0.5 in exponent form.
const TOY_DATA: &str = "\tf1\tf2\tclase\n\
1\t-1.5\t5e-1\t0\n2\t-0.5\t5e-1\t1\n3\t0.5\t5e-1\t0\n4\t1.5\t5e-1\t1\n\
5\t-1.5\t5e-1\t0\n6\t-0.5\t5e-1\t1\n7\t0.5\t5e-1\t0\n8\t1.5\t5e-1\t1\n";

const TOY_SELECTION: &str = "0 2 4 6 \n1 3 5 7 \n";

const TOY_FOLDS: &str = "0 1 2 3 4 5 \n6 7 \n2 3 4 5 6 7 \n0 1 \n\
0 1 4 5 6 7 \n2 3 \n7 6 5 3 1 0 \n2 4 \n";

const DUO_META: &str = "n_entradas= 3\nn_clases= 3\nn_arquivos= 2\nfich1= duo_train_R.dat\n\
n_patrons1= 6\nfich2= duo_test_R.dat\nn_patrons2= 3\nn_patrons_entrena= 3\n\
n_patrons_valida= 3\nn_conxuntos= 1\n";

const DUO_TRAIN: &str = "\tf1\tf2\tf3\tclase\n\
1\t1\t10\t0\t0\n2\t2\t20\t0\t1\n3\t3\t30\t0\t2\n4\t4\t40\t0\t0\n5\t5\t50\t0\t1\n6\t6\t60\t0\t2\n";

/// Raw units, and class 2 does not occur.
const DUO_TEST: &str = "\tf1\tf2\tf3\tclase\n1\t100\t7\t1\t0\n2\t200\t8\t1\t1\n3\t300\t9\t1\t0\n";

const DUO_SELECTION: &str = "5 0 1 \n2 3 4 \n";

const DUO_FOLDS: &str = "0 1 2 3 \n4 5 \n2 3 4 5 \n0 1 \n0 1 4 5 \n2 3 \n5 4 3 0 \n1 2 \n";

const GONE_META: &str = "n_entradas= 1\nn_clases= 2\nn_arquivos= 1\nfich1= gone_R.dat\n\
n_patrons1= 4\nn_patrons_entrena= 2\nn_patrons_valida= 2\nn_conxuntos= 1\n";

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Writes the collection into a new temporary folder.
fn collection() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join("toy/toy.txt"), TOY_META);
    write(&root.join("toy/toy_R.dat"), TOY_DATA);
    write(&root.join("toy/conxuntos.dat"), TOY_SELECTION);
    write(&root.join("toy/conxuntos_kfold.dat"), TOY_FOLDS);
    write(&root.join("duo/duo.txt"), DUO_META);
    write(&root.join("duo/duo_train_R.dat"), DUO_TRAIN);
    write(&root.join("duo/duo_test_R.dat"), DUO_TEST);
    write(&root.join("duo/conxuntos.dat"), DUO_SELECTION);
    write(&root.join("duo/conxuntos_kfold.dat"), DUO_FOLDS);
    write(&root.join("gone/gone.txt"), GONE_META);
    write(&root.join("gone/conxuntos.dat"), "0 1 \n2 3 \n");
    write(&root.join("gone/conxuntos_kfold.dat"), TOY_FOLDS);
    // Neither is a data set: a file, and a folder without `<name>.txt`.
    write(&root.join("README.md"), "notes\n");
    write(&root.join("notes/todo.txt"), "nothing\n");
    dir
}

/// Writes a fresh collection and replaces the first `from` by `to` in `file`.
fn corrupted(file: &str, from: &str, to: &str) -> (TempDir, PathBuf) {
    let dir = collection();
    let path = dir.path().join(file);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "`{from}` not in {file}");
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
    (dir, path)
}

fn load_err(root: &Path, name: &str) -> Error {
    uci121::load(root, name).expect_err("the corrupted set must not load")
}

fn split(train: &[usize], test: &[usize]) -> Split {
    Split {
        train: train.to_vec(),
        test: test.to_vec(),
    }
}

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-12,
        "{actual} differs from {expected}"
    );
}

#[test]
fn list_marks_incomplete_set() {
    let dir = collection();
    let entries = uci121::list(dir.path()).unwrap();
    let expected = vec![
        UciEntry {
            name: "duo".into(),
            complete: true,
            missing: vec![],
        },
        UciEntry {
            name: "gone".into(),
            complete: false,
            missing: vec!["gone_R.dat".into()],
        },
        UciEntry {
            name: "toy".into(),
            complete: true,
            missing: vec![],
        },
    ];
    assert_eq!(entries, expected);
}

#[test]
fn list_without_sets_is_error() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("iris.txt"), TOY_META);
    let err = uci121::list(dir.path()).unwrap_err();
    assert!(matches!(err, Error::NotACollection { .. }), "{err:?}");
    assert!(err.to_string().contains("NORMLAB_UCI121"), "{err}");
}

#[test]
fn load_raw_one_file_set() {
    let dir = collection();
    let set = uci121::load_raw(dir.path(), "toy").unwrap();
    assert_eq!(set.name, "toy");
    assert_eq!(set.meta.n_features, 2);
    assert_eq!(set.meta.n_classes, 2);
    assert_eq!(set.meta.n_files, 1);
    assert_eq!(set.meta.files, vec![("toy_R.dat".to_string(), 8)]);
    assert_eq!(set.meta.n_train_selection, 4);
    assert_eq!(set.meta.n_valid_selection, 4);
    assert_eq!(set.meta.n_selection_splits, 1);
    assert_eq!(set.meta.entries.len(), 8);
    assert_eq!(set.meta.entries[3], ("fich1".into(), "toy_R.dat".into()));

    assert_eq!(set.file1.n_rows(), 8);
    assert_eq!(set.file1.n_features(), 2);
    assert_eq!(set.file1.n_classes, 2);
    assert_eq!(set.file1.y, vec![0, 1, 0, 1, 0, 1, 0, 1]);
    let f1: Vec<f64> = (0..8).map(|i| set.file1.x[(i, 0)]).collect();
    assert_eq!(f1, vec![-1.5, -0.5, 0.5, 1.5, -1.5, -0.5, 0.5, 1.5]);
    assert!((0..8).all(|i| set.file1.x[(i, 1)] == 0.5));
    assert!(set.file2.is_none());

    assert_eq!(set.selection, split(&[0, 2, 4, 6], &[1, 3, 5, 7]));
    assert_eq!(set.folds[0], split(&[0, 1, 2, 3, 4, 5], &[6, 7]));
    assert_eq!(set.folds[3], split(&[7, 6, 5, 3, 1, 0], &[2, 4]));
}

#[test]
fn load_standardizes_one_file_set() {
    let dir = collection();
    let set = uci121::load(dir.path(), "toy").unwrap();
    // f1 has mean 0 and sample variance (2 · (2.25 + 0.25 + 0.25 + 2.25)) / 7 = 10/7.
    let std = (10.0f64 / 7.0).sqrt();
    let raw = [-1.5, -0.5, 0.5, 1.5, -1.5, -0.5, 0.5, 1.5];
    for (row, value) in raw.iter().enumerate() {
        assert_close(set.file1.x[(row, 0)], value / std);
        // The constant column becomes exactly 0.
        assert_eq!(set.file1.x[(row, 1)], 0.0);
    }
    assert!(datasets::is_zscored(&set.file1.x, 1e-12));
}

#[test]
fn load_standardizes_each_file_separately() {
    let dir = collection();
    let raw = uci121::load_raw(dir.path(), "duo").unwrap();
    let raw_test = raw.file2.as_ref().unwrap();
    assert_eq!(raw_test.x[(2, 0)], 300.0);
    assert_eq!(raw_test.y, vec![0, 1, 0]);
    assert_eq!(raw_test.class_counts(), vec![2, 1, 0]);

    let set = uci121::load(dir.path(), "duo").unwrap();
    let test = set.file2.as_ref().unwrap();
    // Test column f1 = 100, 200, 300: mean 200, sample std 100.
    assert_close(test.x[(0, 0)], -1.0);
    assert_close(test.x[(1, 0)], 0.0);
    assert_close(test.x[(2, 0)], 1.0);
    // Training column f1 = 1..6: mean 3.5, sample std sqrt(3.5).
    assert_close(set.file1.x[(0, 0)], -2.5 / 3.5f64.sqrt());
    // Constant columns: f3 is 0 in training and 1 in test, both become 0.
    assert!((0..6).all(|i| set.file1.x[(i, 2)] == 0.0));
    assert!((0..3).all(|i| test.x[(i, 2)] == 0.0));
    assert!(datasets::is_zscored(&set.file1.x, 1e-12));
    assert!(datasets::is_zscored(&test.x, 1e-12));
    assert!(!datasets::is_zscored(&raw_test.x, 1e-3));
}

#[test]
fn report_split_one_file_set() {
    let dir = collection();
    let set = uci121::load(dir.path(), "toy").unwrap();
    assert_eq!(uci121::n_report_folds(&set), 4);
    let (train, test) = uci121::report_split(&set, 3).unwrap();
    assert_eq!(train.n_rows(), 6);
    assert_eq!(test.n_rows(), 2);
    assert_eq!(test.y, vec![set.file1.y[2], set.file1.y[4]]);
    assert_eq!(test.x[(1, 0)], set.file1.x[(4, 0)]);
    assert_eq!(train.x[(0, 0)], set.file1.x[(7, 0)]);

    let err = uci121::report_split(&set, 4).unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { name: "fold", .. }),
        "{err:?}"
    );
}

#[test]
fn report_split_two_file_set() {
    let dir = collection();
    let set = uci121::load(dir.path(), "duo").unwrap();
    assert_eq!(uci121::n_report_folds(&set), 1);
    let (train, test) = uci121::report_split(&set, 0).unwrap();
    assert_eq!(&train, &set.file1);
    assert_eq!(Some(&test), set.file2.as_ref());
    assert!(uci121::report_split(&set, 1).is_err());
    // The folds are still read: they index the training file.
    assert_eq!(set.folds[3], split(&[5, 4, 3, 0], &[1, 2]));
}

#[test]
fn selection_split_takes_file1_rows() {
    let dir = collection();
    let set = uci121::load_raw(dir.path(), "duo").unwrap();
    let (train, valid) = uci121::selection_split(&set).unwrap();
    assert_eq!(train.y, vec![2, 0, 1]);
    assert_eq!(valid.y, vec![2, 0, 1]);
    let train_f1: Vec<f64> = (0..3).map(|i| train.x[(i, 0)]).collect();
    assert_eq!(train_f1, vec![6.0, 1.0, 2.0]);
    assert_eq!(valid.x[(2, 1)], 50.0);
}

#[test]
fn load_incomplete_set() {
    let dir = collection();
    let err = load_err(dir.path(), "gone");
    let Error::Incomplete { name, missing } = &err else {
        panic!("expected Incomplete, got {err:?}");
    };
    assert_eq!(name, "gone");
    assert_eq!(missing, &vec!["gone_R.dat".to_string()]);
    assert!(err.to_string().contains("gone_R.dat"), "{err}");
}

#[test]
fn load_unknown_set() {
    let dir = collection();
    for name in ["iris", "notes", "../toy", ""] {
        let err = load_err(dir.path(), name);
        let Error::UnknownDataset { known, .. } = &err else {
            panic!("expected UnknownDataset for `{name}`, got {err:?}");
        };
        assert_eq!(known, &vec!["duo".to_string(), "gone".into(), "toy".into()]);
    }
}

#[test]
fn missing_root_and_file() {
    let dir = collection();
    let root = dir.path().join("absent");
    let err = load_err(&root, "toy");
    assert!(
        matches!(&err, Error::MissingFile { path } if *path == root),
        "{err:?}"
    );
    assert!(err.to_string().contains("NORMLAB_UCI121"), "{err}");
    assert!(matches!(
        uci121::list(&root),
        Err(Error::MissingFile { .. })
    ));

    let path = dir.path().join("toy/absent_R.dat");
    let err = uci121::read_data_file(&path, 2, 2, 8).unwrap_err();
    assert!(
        matches!(&err, Error::MissingFile { path: p } if *p == path),
        "{err:?}"
    );
}

#[test]
fn missing_split_file_makes_set_incomplete() {
    let dir = collection();
    fs::remove_file(dir.path().join("toy/conxuntos_kfold.dat")).unwrap();
    let entry = uci121::list(dir.path()).unwrap().remove(2);
    assert_eq!(entry.missing, vec!["conxuntos_kfold.dat".to_string()]);
    assert!(matches!(
        load_err(dir.path(), "toy"),
        Error::Incomplete { .. }
    ));
}

#[test]
fn bad_header_cell() {
    let (dir, path) = corrupted("toy/toy_R.dat", "\tf2\t", "\tg2\t");
    let err = load_err(dir.path(), "toy");
    let Error::Parse {
        path: p,
        line,
        col,
        msg,
    } = &err
    else {
        panic!("expected Parse, got {err:?}");
    };
    assert_eq!(p, &path);
    assert_eq!((*line, *col), (1, 3));
    assert!(msg.contains("`g2`"), "{msg}");
    assert!(
        err.to_string().contains("toy_R.dat: line 1, column 3"),
        "{err}"
    );
}

#[test]
fn header_column_count() {
    let (dir, _) = corrupted("toy/toy_R.dat", "\tclase", "\tf3\tclase");
    let err = load_err(dir.path(), "toy");
    assert!(
        matches!(
            err,
            Error::Shape {
                line: 1,
                expected: 4,
                found: 5,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn data_line_column_count() {
    let (dir, path) = corrupted("toy/toy_R.dat", "3\t0.5\t5e-1\t0\n", "3\t0.5\t0\n");
    let err = load_err(dir.path(), "toy");
    let Error::Shape {
        path: p,
        line,
        expected,
        found,
        ..
    } = &err
    else {
        panic!("expected Shape, got {err:?}");
    };
    assert_eq!(p, &path);
    assert_eq!((*line, *expected, *found), (4, 4, 3));
    assert!(err.to_string().contains("line 4: expected 4"), "{err}");
}

#[test]
fn bad_feature_token() {
    let (dir, path) = corrupted("toy/toy_R.dat", "2\t-0.5\t", "2\t-0.5x\t");
    let err = load_err(dir.path(), "toy");
    let Error::Parse {
        path: p,
        line,
        col,
        msg,
    } = &err
    else {
        panic!("expected Parse, got {err:?}");
    };
    assert_eq!(p, &path);
    assert_eq!((*line, *col), (3, 2));
    assert!(msg.contains("`-0.5x`"), "{msg}");
}

#[test]
fn non_finite_feature() {
    let (dir, _) = corrupted("toy/toy_R.dat", "4\t1.5\t", "4\tinf\t");
    let err = load_err(dir.path(), "toy");
    assert!(
        matches!(&err, Error::Parse { line: 5, col: 2, msg, .. } if msg.contains("finite")),
        "{err:?}"
    );
}

#[test]
fn row_number_out_of_sequence() {
    let (dir, _) = corrupted("toy/toy_R.dat", "\n6\t", "\n9\t");
    let err = load_err(dir.path(), "toy");
    assert!(
        matches!(
            err,
            Error::Parse {
                line: 7,
                col: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn class_not_below_n_classes() {
    let (dir, _) = corrupted("toy/toy_R.dat", "\t5e-1\t1\n", "\t5e-1\t2\n");
    let err = load_err(dir.path(), "toy");
    assert!(
        matches!(&err, Error::Parse { line: 3, col: 4, msg, .. } if msg.contains("class 2")),
        "{err:?}"
    );
}

#[test]
fn row_count_differs_from_meta() {
    let (dir, _) = corrupted("toy/toy.txt", "n_patrons1= 8", "n_patrons1= 9");
    let err = load_err(dir.path(), "toy");
    assert!(
        matches!(
            err,
            Error::Shape {
                line: 9,
                expected: 9,
                found: 8,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn meta_missing_key() {
    let (dir, path) = corrupted("toy/toy.txt", "n_clases= 2\n", "");
    let err = load_err(dir.path(), "toy");
    let Error::Meta { path: p, key, .. } = &err else {
        panic!("expected Meta, got {err:?}");
    };
    assert_eq!(p, &path);
    assert_eq!(key, "n_clases");
    assert!(err.to_string().contains("is missing"), "{err}");
}

#[test]
fn meta_invalid_values() {
    let cases = [
        ("n_entradas= 2", "n_entradas= two", "n_entradas"),
        ("n_arquivos= 1", "n_arquivos= 3", "n_arquivos"),
        ("n_conxuntos= 1", "n_conxuntos= 2", "n_conxuntos"),
        ("fich1= toy_R.dat", "fich1= ../duo/duo_test_R.dat", "fich1"),
        ("n_clases= 2\n", "n_clases= 2\nn_clases= 3\n", "n_clases"),
    ];
    for (from, to, expected_key) in cases {
        let (dir, _) = corrupted("toy/toy.txt", from, to);
        let err = load_err(dir.path(), "toy");
        assert!(
            matches!(&err, Error::Meta { key, .. } if key == expected_key),
            "{to}: {err:?}"
        );
    }
}

#[test]
fn meta_line_without_equals() {
    let (dir, _) = corrupted("toy/toy.txt", "n_clases= 2", "n_clases 2");
    let err = load_err(dir.path(), "toy");
    assert!(
        matches!(
            err,
            Error::Parse {
                line: 2,
                col: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn split_index_out_of_range() {
    let (dir, path) = corrupted(
        "toy/conxuntos_kfold.dat",
        "0 1 4 5 6 7 \n",
        "0 1 4 5 6 8 \n",
    );
    let err = load_err(dir.path(), "toy");
    let Error::IndexOutOfRange {
        path: p,
        line,
        index,
        n_rows,
    } = &err
    else {
        panic!("expected IndexOutOfRange, got {err:?}");
    };
    assert_eq!(p, &path);
    assert_eq!((*line, *index, *n_rows), (5, 8, 8));
    assert!(err.to_string().contains("line 5"), "{err}");
}

#[test]
fn split_duplicate_index() {
    let (dir, path) = corrupted("toy/conxuntos.dat", "1 3 5 7", "1 3 5 3");
    let err = load_err(dir.path(), "toy");
    let Error::DuplicateIndex {
        path: p,
        line,
        index,
    } = &err
    else {
        panic!("expected DuplicateIndex, got {err:?}");
    };
    assert_eq!(p, &path);
    assert_eq!((*line, *index), (2, 3));
}

#[test]
fn split_overlapping_pair() {
    let (dir, path) = corrupted("toy/conxuntos_kfold.dat", "\n0 1 \n", "\n0 5 \n");
    let err = load_err(dir.path(), "toy");
    let Error::OverlappingSplit {
        path: p,
        train_line,
        test_line,
        index,
    } = &err
    else {
        panic!("expected OverlappingSplit, got {err:?}");
    };
    assert_eq!(p, &path);
    assert_eq!((*train_line, *test_line, *index), (3, 4, 5));
    assert!(err.to_string().contains("lines 3 and 4"), "{err}");
}

#[test]
fn split_bad_token() {
    let (dir, _) = corrupted("toy/conxuntos.dat", "0 2 4 6", "0 2 -4 6");
    let err = load_err(dir.path(), "toy");
    assert!(
        matches!(
            err,
            Error::Parse {
                line: 1,
                col: 3,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn split_line_count() {
    let (dir, _) = corrupted("toy/conxuntos_kfold.dat", "\n2 4 \n", "\n");
    let err = load_err(dir.path(), "toy");
    assert!(
        matches!(
            err,
            Error::Shape {
                expected: 8,
                found: 7,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn selection_length_differs_from_meta() {
    let (dir, _) = corrupted("toy/toy.txt", "n_patrons_valida= 4", "n_patrons_valida= 3");
    let err = load_err(dir.path(), "toy");
    assert!(
        matches!(
            err,
            Error::Shape {
                line: 2,
                expected: 3,
                found: 4,
                ..
            }
        ),
        "{err:?}"
    );
}
