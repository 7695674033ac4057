//! CSV class names: numbering, numeric equality and mapping to known classes.

use datasets::csv::read_table_with_classes;

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn numeric_labels_match_by_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "a.csv", "x,y\n1,1\n2,1.0\n3,10\n4,2\n");
    let (table, names) = read_table_with_classes(&path, None, None).unwrap();
    assert_eq!(names, vec!["1", "2", "10"]);
    assert_eq!(table.y, vec![0, 0, 2, 1]);
    assert_eq!(table.n_classes, 3);
}

#[test]
fn known_classes_keep_their_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "b.csv", "x,fruit\n1,cherry\n2,banana\n");
    let known = vec![
        "apple".to_string(),
        "banana".to_string(),
        "cherry".to_string(),
    ];
    let (table, names) = read_table_with_classes(&path, None, Some(&known)).unwrap();
    assert_eq!(table.y, vec![2, 1]);
    assert_eq!(table.n_classes, 3);
    assert_eq!(names, known);
}

#[test]
fn unknown_label_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "c.csv", "x,fruit\n1,durian\n");
    let known = vec!["apple".to_string()];
    let err = read_table_with_classes(&path, None, Some(&known))
        .unwrap_err()
        .to_string();
    assert!(err.contains("`durian`"), "{err}");
    assert!(err.contains("apple"), "{err}");
}

#[test]
fn replace_check_rejects_folders_and_links() {
    let dir = tempfile::tempdir().unwrap();
    assert!(datasets::check_replaceable(&dir.path().join("new.npy")).is_ok());

    let file = write(dir.path(), "plain.npy", "x");
    assert!(datasets::check_replaceable(&file).is_ok());

    let err = datasets::check_replaceable(dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a regular file"), "{err}");

    #[cfg(unix)]
    {
        let link = dir.path().join("link.npy");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let err = datasets::check_replaceable(&link).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }
}
