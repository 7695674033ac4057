//! The UCI-121 loader on the real collection, against the golden per-set
//! table and spot checks. The tests need `NORMLAB_UCI121` (the collection
//! folder) and, for the golden comparisons, `NORMLAB_GOLDEN`. Each test prints a
//! notice and passes when its variable is unset. Relative paths are taken from
//! the workspace root, the folder CI runs in.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use datasets::uci121::{self, UciEntry};
use datasets::{Split, Table, is_zscored};
use serde_json::Value;

/// The sets whose large data file the collection lacks, with that file.
const INCOMPLETE: [(&str, &str); 5] = [
    ("adult", "adult_train_R.dat"),
    ("connect-4", "connect-4_R.dat"),
    ("miniboone", "miniboone_R.dat"),
    ("musk-2", "musk-2_R.dat"),
    ("statlog-shuttle", "statlog-shuttle_train_R.dat"),
];

/// The largest |mean| and |std − 1| of a file that counts as z-scored. The
/// stored 6 significant digits leave deviations below 5·10⁻⁶, and the raw files
/// deviate by more than 0.1.
const ZSCORE_TOL: f64 = 1e-3;

/// Resolves the folder named by `var`, or prints the skip notice and returns `None`.
fn env_dir(var: &str) -> Option<PathBuf> {
    let Some(value) = std::env::var_os(var) else {
        println!("skipped: {var} not set");
        return None;
    };
    let path = PathBuf::from(value);
    let workspace_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = if path.is_relative() {
        workspace_root.join(path)
    } else {
        path
    };
    assert!(path.is_dir(), "{var} = {} is not a folder", path.display());
    Some(path)
}

fn golden_file(name: &str) -> Option<PathBuf> {
    env_dir("NORMLAB_GOLDEN").map(|dir| dir.join("lipnet").join(name))
}

#[test]
fn list_finds_116_complete_sets() {
    let Some(root) = env_dir("NORMLAB_UCI121") else {
        return;
    };
    let entries = uci121::list(&root).unwrap();
    assert_eq!(entries.len(), 121);
    assert_eq!(entries.iter().filter(|entry| entry.complete).count(), 116);
    let incomplete: Vec<UciEntry> = entries
        .into_iter()
        .filter(|entry| !entry.complete)
        .collect();
    let expected: Vec<UciEntry> = INCOMPLETE
        .iter()
        .map(|(name, file)| UciEntry {
            name: name.to_string(),
            complete: false,
            missing: vec![file.to_string()],
        })
        .collect();
    assert_eq!(incomplete, expected);
}

#[test]
fn load_rejects_incomplete_sets() {
    let Some(root) = env_dir("NORMLAB_UCI121") else {
        return;
    };
    for (name, file) in INCOMPLETE {
        match uci121::load(&root, name) {
            Err(datasets::Error::Incomplete { missing, .. }) => assert_eq!(missing, vec![file]),
            other => panic!("{name}: expected Incomplete, got {other:?}"),
        }
    }
}

#[test]
fn sets_table_matches_every_field() {
    let (Some(root), Some(tsv)) = (env_dir("NORMLAB_UCI121"), golden_file("uci121_sets.tsv"))
    else {
        return;
    };
    let text = fs::read_to_string(&tsv).unwrap();
    let mut lines = text.lines();
    let columns: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(columns.len(), 20);
    let entries: HashMap<String, UciEntry> = uci121::list(&root)
        .unwrap()
        .into_iter()
        .map(|entry| (entry.name.clone(), entry))
        .collect();
    let mut n_rows_checked = 0;
    for line in lines {
        let expected: Vec<&str> = line.split('\t').collect();
        assert_eq!(expected.len(), columns.len(), "{line}");
        let name = expected[0];
        let observed = observe_set(&root, &entries[name]);
        for (column, value) in columns.iter().zip(&expected) {
            assert_eq!(&observed[column], value, "set {name}, column {column}");
        }
        n_rows_checked += 1;
    }
    assert_eq!(n_rows_checked, 121);
}

/// Computes the 20 columns of the golden table through the loader.
fn observe_set(root: &Path, entry: &UciEntry) -> HashMap<&'static str, String> {
    let name = entry.name.as_str();
    let dir = root.join(name);
    let meta = uci121::read_meta(&dir.join(format!("{name}.txt"))).unwrap();
    let (tables, selection, folds) = if entry.complete {
        let set = uci121::load_raw(root, name).unwrap();
        let tables = vec![Some(set.file1), set.file2];
        (tables, set.selection, set.folds.to_vec())
    } else {
        read_present_parts(&dir, &meta)
    };

    let mut row = HashMap::new();
    row.insert("name", name.to_string());
    row.insert("n_features", meta.n_features.to_string());
    row.insert("n_classes", meta.n_classes.to_string());
    row.insert("n_files", meta.n_files.to_string());
    row.insert("sel_train", selection.train.len().to_string());
    row.insert("sel_val", selection.test.len().to_string());
    row.insert(
        "fold_train",
        join(folds.iter().map(|fold| fold.train.len())),
    );
    row.insert("fold_test", join(folds.iter().map(|fold| fold.test.len())));
    row.insert(
        "complete",
        if entry.complete { "yes" } else { "no" }.to_string(),
    );
    row.insert("missing_files", entry.missing.join(","));
    let keys = [
        ("file1", "n_rows1", "bytes1", "zscored1"),
        ("file2", "n_rows2", "bytes2", "zscored2"),
    ];
    for (index, keys) in keys.into_iter().enumerate() {
        let file = meta.files.get(index);
        let table = tables.get(index).and_then(Option::as_ref);
        observe_file(&mut row, keys, &dir, file, table);
    }
    let (counts, majority) = match &tables[0] {
        Some(table) => class_summary(table),
        None => (String::new(), String::new()),
    };
    row.insert("class_counts1", counts);
    row.insert("majority_frac1", majority);
    row
}

/// Fills the name, row count, size and z-score columns of one data file. A
/// file that the set does not have leaves them empty, and an absent file of an
/// incomplete set keeps the row count of the metadata.
fn observe_file(
    row: &mut HashMap<&'static str, String>,
    (file_key, rows_key, bytes_key, zscored_key): FileColumns,
    dir: &Path,
    file: Option<&(String, usize)>,
    table: Option<&Table>,
) {
    row.insert(
        file_key,
        file.map(|(name, _)| name.clone()).unwrap_or_default(),
    );

    let n_rows = table.map(Table::n_rows).or(file.map(|(_, n_rows)| *n_rows));
    row.insert(rows_key, n_rows.map(|n| n.to_string()).unwrap_or_default());

    let bytes = file
        .and_then(|(name, _)| fs::metadata(dir.join(name)).ok())
        .map(|metadata| metadata.len().to_string());
    row.insert(bytes_key, bytes.unwrap_or_default());

    let zscored = match table {
        Some(table) if is_zscored(&table.x, ZSCORE_TOL) => "yes",
        Some(_) => "no",
        None => "",
    };
    row.insert(zscored_key, zscored.to_string());
}

/// Column names for one data file: name, rows, bytes, z-scored flag.
type FileColumns = (&'static str, &'static str, &'static str, &'static str);

/// Reads the present data files and the split files of an incomplete set one
/// by one. Absent data files are `None`.
fn read_present_parts(
    dir: &Path,
    meta: &datasets::UciMeta,
) -> (Vec<Option<Table>>, Split, Vec<Split>) {
    let tables = meta
        .files
        .iter()
        .map(|(file, n_rows)| {
            let path = dir.join(file);
            path.is_file().then(|| {
                uci121::read_data_file(&path, meta.n_features, meta.n_classes, *n_rows).unwrap()
            })
        })
        .collect();
    let n_rows1 = meta.files[0].1;
    let read_pairs = |file: &str, n_lines: usize| {
        let path = dir.join(file);
        let lines = uci121::read_split_file(&path, n_lines, n_rows1).unwrap();
        uci121::pair_lines(&path, lines, n_rows1).unwrap()
    };
    let selection = read_pairs(uci121::SELECTION_FILE, 2).remove(0);
    (tables, selection, read_pairs(uci121::FOLDS_FILE, 8))
}

fn class_summary(table: &Table) -> (String, String) {
    let counts = table.class_counts();
    let majority = *counts.iter().max().unwrap() as f64 / table.n_rows() as f64;
    (join(counts.into_iter()), format!("{majority:.6}"))
}

fn join(values: impl Iterator<Item = usize>) -> String {
    values.map(|v| v.to_string()).collect::<Vec<_>>().join(",")
}

#[test]
fn spotchecks_match() {
    let (Some(root), Some(path)) = (
        env_dir("NORMLAB_UCI121"),
        golden_file("uci121_spotchecks.json"),
    ) else {
        return;
    };
    let golden: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    let tol = golden["feature_sum_tolerance_abs"].as_f64().unwrap();
    let sets = golden["sets"].as_object().unwrap();
    assert_eq!(sets.len(), 9);
    for (name, expected) in sets {
        check_spot_set(&root.join(name), name, expected, tol);
    }
}

fn check_spot_set(dir: &Path, name: &str, expected: &Value, tol: f64) {
    let meta = uci121::read_meta(&dir.join(format!("{name}.txt"))).unwrap();
    let entries: BTreeMap<String, Value> = meta
        .entries
        .iter()
        .map(|(key, value)| (key.clone(), Value::String(value.clone())))
        .collect();
    let expected_entries: BTreeMap<String, Value> = expected["meta"]
        .as_object()
        .unwrap()
        .clone()
        .into_iter()
        .collect();
    assert_eq!(entries, expected_entries, "{name}: metadata");
    assert_eq!(
        meta.n_files as u64,
        expected["n_files"].as_u64().unwrap(),
        "{name}"
    );

    for (file, n_rows) in &meta.files {
        let spot = &expected["files"][file.as_str()];
        let path = dir.join(file);
        assert_eq!(
            path.is_file(),
            spot["present"].as_bool().unwrap(),
            "{name}/{file}: presence"
        );
        if path.is_file() {
            let table =
                uci121::read_data_file(&path, meta.n_features, meta.n_classes, *n_rows).unwrap();
            check_spot_file(&path, &table, spot, tol);
        }
    }

    let n_rows1 = meta.files[0].1;
    let selection = uci121::read_split_file(&dir.join(uci121::SELECTION_FILE), 2, n_rows1).unwrap();
    check_index_summary(&selection[0], &expected["conxuntos"]["train"], name);
    check_index_summary(&selection[1], &expected["conxuntos"]["val"], name);
    let folds = uci121::read_split_file(&dir.join(uci121::FOLDS_FILE), 8, n_rows1).unwrap();
    let expected_folds = expected["kfold"].as_array().unwrap();
    assert_eq!(expected_folds.len(), 4);
    for (pair, expected) in folds.chunks(2).zip(expected_folds) {
        check_index_summary(&pair[0], &expected["train"], name);
        check_index_summary(&pair[1], &expected["test"], name);
    }
}

fn check_spot_file(path: &Path, table: &Table, spot: &Value, tol: f64) {
    let label = path.display();
    let n_rows = table.n_rows();
    assert_eq!(n_rows as u64, spot["n_rows"].as_u64().unwrap(), "{label}");
    assert_eq!(
        table.n_features() as u64,
        spot["n_features"].as_u64().unwrap(),
        "{label}"
    );
    let first_line = spot["first_row_line"].as_str().unwrap();
    let last_line = spot["last_row_line"].as_str().unwrap();
    assert_eq!(
        row_values(table, 0),
        line_features(first_line),
        "{label}: first row"
    );
    assert_eq!(
        row_values(table, n_rows - 1),
        line_features(last_line),
        "{label}: last row"
    );
    assert_close_rows(&row_values(table, 0), &as_f64s(&spot["first_row"]), &label);
    assert_close_rows(
        &row_values(table, n_rows - 1),
        &as_f64s(&spot["last_row"]),
        &label,
    );
    assert_eq!(
        table.y[0] as u64,
        spot["first_class"].as_u64().unwrap(),
        "{label}"
    );
    assert_eq!(
        table.y[n_rows - 1] as u64,
        spot["last_class"].as_u64().unwrap(),
        "{label}"
    );
    let counts: Vec<u64> = table.class_counts().iter().map(|&c| c as u64).collect();
    assert_eq!(
        counts,
        as_u64s(&spot["class_counts"]),
        "{label}: class counts"
    );
    let sum: f64 = (0..n_rows).flat_map(|i| row_values(table, i)).sum();
    let expected_sum = spot["feature_sum"].as_f64().unwrap();
    assert!(
        (sum - expected_sum).abs() <= tol,
        "{label}: feature sum {sum} vs {expected_sum}"
    );

    let text = fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], first_line, "{label}");
    assert_eq!(lines[lines.len() - 1], last_line, "{label}");
}

/// The feature tokens of a data line, parsed by the standard library, which
/// rounds correctly: the loader must reproduce them bit for bit.
fn line_features(line: &str) -> Vec<f64> {
    let fields: Vec<&str> = line.split('\t').collect();
    fields[1..fields.len() - 1]
        .iter()
        .map(|field| field.parse().unwrap())
        .collect()
}

/// Compares with the fixture's JSON numbers to 4 ulps, because serde_json
/// without its `float_roundtrip` feature may parse a decimal 1 ulp off (it
/// reads `1.11301e-18` as 1.1130100000000001e-18).
fn assert_close_rows(actual: &[f64], expected: &[f64], label: &impl std::fmt::Display) {
    assert_eq!(actual.len(), expected.len(), "{label}");
    for (a, e) in actual.iter().zip(expected) {
        assert!(
            (a - e).abs() <= 4.0 * f64::EPSILON * e.abs(),
            "{label}: {a} vs {e}"
        );
    }
}

/// Compares length, first three, last and sum of one line of indices.
fn check_index_summary(indices: &[usize], expected: &Value, name: &str) {
    assert_eq!(
        indices.len() as u64,
        expected["len"].as_u64().unwrap(),
        "{name}: length"
    );
    let first3: Vec<u64> = indices.iter().take(3).map(|&i| i as u64).collect();
    assert_eq!(
        first3,
        as_u64s(&expected["first3"]),
        "{name}: first indices"
    );
    assert_eq!(
        *indices.last().unwrap() as u64,
        expected["last"].as_u64().unwrap(),
        "{name}: last index"
    );
    let sum: u64 = indices.iter().map(|&i| i as u64).sum();
    assert_eq!(sum, expected["sum"].as_u64().unwrap(), "{name}: index sum");
}

fn row_values(table: &Table, row: usize) -> Vec<f64> {
    (0..table.n_features()).map(|j| table.x[(row, j)]).collect()
}

fn as_f64s(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn as_u64s(value: &Value) -> Vec<u64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

/// The two-file sets that store one file off-scale: the test file in raw units
/// (annealing to spect) or a training file that is not z-scored (monks, spectf).
const IRREGULAR: [&str; 11] = [
    "annealing",
    "hayes-roth",
    "hill-valley",
    "horse-colic",
    "image-segmentation",
    "soybean",
    "spect",
    "monks-1",
    "monks-2",
    "monks-3",
    "spectf",
];

#[test]
fn load_zscores_irregular_files() {
    let Some(root) = env_dir("NORMLAB_UCI121") else {
        return;
    };
    for name in IRREGULAR {
        let raw = uci121::load_raw(&root, name).unwrap();
        let raw_flags = [
            is_zscored(&raw.file1.x, ZSCORE_TOL),
            is_zscored(&raw.file2.unwrap().x, ZSCORE_TOL),
        ];
        assert!(
            raw_flags.contains(&false),
            "{name}: one raw file should be off-scale"
        );

        let set = uci121::load(&root, name).unwrap();
        let test = set.file2.as_ref().unwrap();
        assert!(is_zscored(&set.file1.x, 1e-9), "{name}: training file");
        assert!(is_zscored(&test.x, 1e-9), "{name}: test file");
        assert_eq!(uci121::n_report_folds(&set), 1);
        let (train, test_split) = uci121::report_split(&set, 0).unwrap();
        assert_eq!(train.n_rows(), set.meta.files[0].1, "{name}");
        assert_eq!(test_split.n_rows(), set.meta.files[1].1, "{name}");
    }
}

#[test]
fn iris_quick_checks() {
    let Some(root) = env_dir("NORMLAB_UCI121") else {
        return;
    };
    let raw = uci121::load_raw(&root, "iris").unwrap();
    assert_eq!(
        row_values(&raw.file1, 0),
        vec![-0.897674, 1.02861, -1.33679, -1.30859]
    );
    assert_eq!(raw.file1.y[0], 0);

    let set = uci121::load(&root, "iris").unwrap();
    // Re-standardizing a file stored z-scored to 6 digits moves values by < 10⁻⁵.
    assert!((set.file1.x[(0, 0)] - -0.897674).abs() < 1e-5);
    let (train, valid) = uci121::selection_split(&set).unwrap();
    assert_eq!((train.n_rows(), valid.n_rows()), (75, 75));
    for fold in 0..4 {
        let (train, test) = uci121::report_split(&set, fold).unwrap();
        assert_eq!((train.n_rows(), test.n_rows()), (113, 37), "fold {fold}");
    }
}
