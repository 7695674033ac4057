//! CSV tables, `.npy` arrays and JSON-lines logs.

use std::fs;
use std::path::{Path, PathBuf};

use datasets::{Error, csv, jsonl, npy};
use faer::{Mat, mat};
use serde::{Deserialize, Serialize};
use tempfile::TempDir;

fn file_with(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, bytes).unwrap();
    path
}

// ---- CSV ----

#[test]
fn csv_header_and_string_labels() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(
        &dir,
        "a.csv",
        b"x1, x2 ,\"label\"\n1,2,\"b\"\n3,4.5,a\n\n-1e2,0,b\n",
    );
    let table = csv::read_table(&path, None).unwrap();
    assert_eq!(table.x, mat![[1.0, 2.0], [3.0, 4.5], [-100.0, 0.0]]);
    assert_eq!(table.y, vec![1, 0, 1]);
    assert_eq!(table.n_classes, 2);
}

#[test]
fn csv_numeric_labels_sort_as_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "n.csv", b"10,0.5\n2,1.5\n10,2.5\n-1,3.5\n");
    let table = csv::read_table(&path, Some(0)).unwrap();
    // No header: every feature field is a number. Labels -1 < 2 < 10.
    assert_eq!(table.y, vec![2, 1, 2, 0]);
    assert_eq!(table.n_classes, 3);
    assert_eq!(table.x, mat![[0.5], [1.5], [2.5], [3.5]]);
}

#[test]
fn csv_tab_and_semicolon_delimiters() {
    let dir = tempfile::tempdir().unwrap();
    let tab = file_with(&dir, "t.tsv", b"a\tb\tc\n1\t2\t0\r\n3\t4\t1\r\n");
    let table = csv::read_table(&tab, None).unwrap();
    assert_eq!(table.x, mat![[1.0, 2.0], [3.0, 4.0]]);
    assert_eq!(table.y, vec![0, 1]);

    let semicolon = file_with(&dir, "s.csv", b"1;2;x\n3;4;y\n");
    let table = csv::read_table(&semicolon, Some(2)).unwrap();
    assert_eq!(table.x, mat![[1.0, 2.0], [3.0, 4.0]]);
}

#[test]
fn csv_bad_token_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "bad.csv", b"a,b,y\n1,2,0\n3,oops,1\n");
    let err = csv::read_table(&path, None).unwrap_err();
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
    assert!(msg.contains("`oops`"), "{msg}");
    assert!(
        err.to_string().contains("bad.csv: line 3, column 2"),
        "{err}"
    );
}

#[test]
fn csv_rejects_non_finite() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "nan.csv", b"1,2,0\nNaN,2,1\n");
    let err = csv::read_table(&path, None).unwrap_err();
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
fn csv_field_count_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "short.csv", b"1,2,0\n3,1\n");
    let err = csv::read_table(&path, None).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Shape {
                line: 2,
                expected: 3,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn csv_label_column_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "l.csv", b"1,2,0\n");
    let err = csv::read_table(&path, Some(3)).unwrap_err();
    assert!(err.to_string().contains("label column 3"), "{err}");
}

#[test]
fn csv_without_rows() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("empty.csv", ""), ("header.csv", "a,b,y\n")] {
        let path = file_with(&dir, name, text.as_bytes());
        let err = csv::read_table(&path, None).unwrap_err();
        assert!(err.to_string().contains("no data rows"), "{name}: {err}");
    }
    let err = csv::read_table(&dir.path().join("absent.csv"), None).unwrap_err();
    assert!(matches!(err, Error::MissingFile { .. }), "{err:?}");
}

// ---- .npy ----

/// Builds a `.npy` file as NumPy writes it, with the header padded to a multiple of 64 bytes.
fn npy_bytes(version: u8, dict: &str, data: &[u8]) -> Vec<u8> {
    let len_size = if version == 1 { 2 } else { 4 };
    let unpadded = 8 + len_size + dict.len() + 1;
    let header = format!(
        "{dict}{}\n",
        " ".repeat(unpadded.next_multiple_of(64) - unpadded)
    );
    let mut bytes = b"\x93NUMPY".to_vec();
    bytes.extend_from_slice(&[version, 0]);
    if version == 1 {
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

fn le_bytes<T: Copy, const N: usize>(values: &[T], to_bytes: fn(T) -> [u8; N]) -> Vec<u8> {
    values.iter().flat_map(|&v| to_bytes(v)).collect()
}

#[test]
fn npy_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.npy");
    let x = Mat::from_fn(5, 3, |i, j| (i as f64 - 2.0) * 0.1 + j as f64 * 1e-300);
    npy::write_matrix(&path, &x).unwrap();
    assert_eq!(npy::read_matrix(&path).unwrap(), x);
    // Only the final file remains: the temporary file was renamed.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn npy_written_header_matches_numpy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.npy");
    npy::write_matrix(&path, &mat![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).unwrap();
    let bytes = fs::read(&path).unwrap();
    let expected = npy_bytes(
        1,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
        &le_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], f64::to_le_bytes),
    );
    assert_eq!(bytes, expected);
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]) as usize + 10, 128);
}

#[test]
fn npy_reads_f32_fortran_order_v2() {
    let dir = tempfile::tempdir().unwrap();
    // Column-major data of [[1, 2, 3], [4, 5, 6]].
    let data = le_bytes(&[1.0f32, 4.0, 2.0, 5.0, 3.0, 6.5], f32::to_le_bytes);
    let dict = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }";
    let path = file_with(&dir, "f.npy", &npy_bytes(2, dict, &data));
    assert_eq!(
        npy::read_matrix(&path).unwrap(),
        mat![[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]]
    );
}

#[test]
fn npy_reads_big_endian_and_integers() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = [0.5f64, -2.0]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let path = file_with(
        &dir,
        "be.npy",
        &npy_bytes(
            1,
            "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }",
            &data,
        ),
    );
    assert_eq!(npy::read_matrix(&path).unwrap(), mat![[0.5], [-2.0]]);

    let data = le_bytes(&[7i32, -3, 0, 1], i32::to_le_bytes);
    let path = file_with(
        &dir,
        "i.npy",
        &npy_bytes(
            1,
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }",
            &data,
        ),
    );
    assert_eq!(
        npy::read_matrix(&path).unwrap(),
        mat![[7.0, -3.0], [0.0, 1.0]]
    );
}

#[test]
fn npy_reads_labels() {
    let dir = tempfile::tempdir().unwrap();
    let data = le_bytes(&[2i64, 0, 1, 9], i64::to_le_bytes);
    let path = file_with(
        &dir,
        "y.npy",
        &npy_bytes(
            1,
            "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }",
            &data,
        ),
    );
    assert_eq!(npy::read_labels(&path).unwrap(), vec![2, 0, 1, 9]);

    let data = le_bytes(&[1.0f64, 3.0], f64::to_le_bytes);
    let path = file_with(
        &dir,
        "yc.npy",
        &npy_bytes(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }",
            &data,
        ),
    );
    assert_eq!(npy::read_labels(&path).unwrap(), vec![1, 3]);
}

#[test]
fn npy_rejects_invalid_labels() {
    let dir = tempfile::tempdir().unwrap();
    let data = le_bytes(&[1i64, -1], i64::to_le_bytes);
    let path = file_with(
        &dir,
        "neg.npy",
        &npy_bytes(
            1,
            "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
            &data,
        ),
    );
    let err = npy::read_labels(&path).unwrap_err();
    assert!(err.to_string().contains("label -1 at position 1"), "{err}");

    let data = le_bytes(&[0.5f64], f64::to_le_bytes);
    let path = file_with(
        &dir,
        "frac.npy",
        &npy_bytes(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
            &data,
        ),
    );
    assert!(matches!(npy::read_labels(&path), Err(Error::Npy { .. })));

    let data = le_bytes(&[0i64; 4], i64::to_le_bytes);
    let path = file_with(
        &dir,
        "sq.npy",
        &npy_bytes(
            1,
            "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }",
            &data,
        ),
    );
    let err = npy::read_labels(&path).unwrap_err();
    assert!(err.to_string().contains("shape [2, 2]"), "{err}");
}

#[test]
fn npy_rejects_malformed_files() {
    let dir = tempfile::tempdir().unwrap();
    let f8 =
        |shape: &str| format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "magic.npy",
            b"PK\x03\x04 not numpy".to_vec(),
            "magic string",
        ),
        (
            "short.npy",
            npy_bytes(1, &f8("(2, 2)"), &[0; 24]),
            "truncated",
        ),
        (
            "dtype.npy",
            npy_bytes(
                1,
                "{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }",
                &[0; 2],
            ),
            "`<u2`",
        ),
        (
            "rank.npy",
            npy_bytes(1, &f8("(1, 1, 1)"), &[0; 8]),
            "1-D or 2-D",
        ),
        (
            "version.npy",
            {
                let mut bytes = npy_bytes(1, &f8("(1,)"), &[0; 8]);
                bytes[6] = 9;
                bytes
            },
            "version 9",
        ),
        (
            "noshape.npy",
            npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, }", &[0; 8]),
            "no `shape`",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = file_with(&dir, name, &bytes);
        let err = npy::read_matrix(&path).unwrap_err();
        assert!(matches!(err, Error::Npy { .. }), "{name}: {err:?}");
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
}

// ---- JSON lines ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Unit {
    id: u32,
    acc: f64,
}

fn units(n: u32) -> Vec<Unit> {
    (0..n)
        .map(|id| Unit {
            id,
            acc: 0.5 + f64::from(id) / 8.0,
        })
        .collect()
}

fn append_all(path: &Path, records: &[Unit]) {
    for record in records {
        jsonl::append_line(path, record).unwrap();
    }
}

#[test]
fn jsonl_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    append_all(&path, &units(3));
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert_eq!(text.lines().next().unwrap(), r#"{"id":0,"acc":0.5}"#);
    let (records, dropped) = jsonl::read_lines::<Unit>(&path).unwrap();
    assert_eq!(records, units(3));
    assert_eq!(dropped, 0);
}

#[test]
fn jsonl_drops_torn_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    append_all(&path, &units(2));
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"id":2,"ac"#);
    fs::write(&path, &bytes).unwrap();

    let (records, dropped) = jsonl::read_lines::<Unit>(&path).unwrap();
    assert_eq!(records, units(2));
    assert_eq!(dropped, 1);

    // Appending cuts the fragment off instead of gluing a record onto it.
    jsonl::append_line(&path, &units(3)[2]).unwrap();
    let (records, dropped) = jsonl::read_lines::<Unit>(&path).unwrap();
    assert_eq!(records, units(3));
    assert_eq!(dropped, 0);
}

#[test]
fn jsonl_keeps_valid_line_without_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path = file_with(&dir, "r.jsonl", br#"{"id":0,"acc":0.5}"#);
    let (records, dropped) = jsonl::read_lines::<Unit>(&path).unwrap();
    assert_eq!((records.len(), dropped), (1, 0));
    jsonl::append_line(&path, &units(2)[1]).unwrap();
    let (records, _) = jsonl::read_lines::<Unit>(&path).unwrap();
    assert_eq!(records, units(2));
}

#[test]
fn jsonl_corrupt_middle_line_is_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"id\":0,\"acc\":0.5}\n\n{\"id\":1,\"acc\":oops}\n{\"id\":2,\"acc\":0.75}\n";
    let path = file_with(&dir, "r.jsonl", text.as_bytes());
    let err = jsonl::read_lines::<Unit>(&path).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Parse {
                line: 3,
                col: 15,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn jsonl_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = jsonl::read_lines::<Unit>(&dir.path().join("absent.jsonl")).unwrap_err();
    assert!(matches!(err, Error::MissingFile { .. }), "{err:?}");
}
