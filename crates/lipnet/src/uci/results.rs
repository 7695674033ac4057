//! The results file: JSON lines, one per finished unit, appended by a single
//! writer and synced after each line, so an interrupted sweep loses at most
//! the line being written.
//!
//! On reading, a last line without its newline that does not parse (a torn
//! write) is dropped; the next append cuts it off. When a key occurs more than
//! once (a unit rerun by `--retry-failed`), the later line wins.
//!
//! ```
//! use lipnet::uci::{Phase, Record, ResultsIndex, Status, UnitKey, read_results};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("uci.jsonl");
//! let key = UnitKey::new(Phase::Report, "iris", "mlp", "none".into(), 0, 0);
//! let rec = Record::unfinished(&key, None, Status::Failed, "diverged".into());
//! datasets::jsonl::append_line(&path, &rec).unwrap();
//!
//! let log = read_results(&path).unwrap();
//! let index = ResultsIndex::new(log.records);
//! assert!(index.is_finished(&key, false));
//! assert!(!index.is_finished(&key, true)); // --retry-failed reruns it
//! ```

use super::error::{UciError, UciResult};
use super::record::{Record, SCHEMA, Status};
use super::unit::UnitKey;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The parsed content of a results file.
#[derive(Clone, Debug, Default)]
pub struct ResultsLog {
    /// Every complete line, in file order.
    pub records: Vec<Record>,
    /// 1 when a torn last line was dropped, else 0.
    pub dropped_torn: usize,
}

/// Reads a results file; a missing file reads as empty.
///
/// # Errors
///
/// - [`UciError::Data`] with the line and column of a line that is not a
///   valid record (other than a torn last line), or when the file cannot be read.
/// - [`UciError::Schema`] for a line of another schema version.
pub fn read_results(path: &Path) -> UciResult<ResultsLog> {
    if !path.exists() {
        return Ok(ResultsLog::default());
    }
    let (records, dropped_torn) = datasets::jsonl::read_lines::<Record>(path)?;
    if let Some(pos) = records.iter().position(|r| r.schema != SCHEMA) {
        return Err(UciError::Schema {
            path: path.to_path_buf(),
            line: pos + 1,
            found: records[pos].schema,
            expected: SCHEMA,
        });
    }
    if dropped_torn > 0 {
        tracing::warn!(
            path = %path.display(),
            "dropped a torn last line (an interrupted write); its unit will run again"
        );
    }
    Ok(ResultsLog {
        records,
        dropped_torn,
    })
}

/// Reads several results files, for summaries of sharded sweeps.
///
/// # Errors
///
/// [`UciError::MissingResults`] for a file that does not exist, and the
/// errors of [`read_results`].
pub fn read_all_results(paths: &[impl AsRef<Path>]) -> UciResult<Vec<Record>> {
    let mut all = Vec::new();
    for path in paths {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(UciError::MissingResults {
                path: path.to_path_buf(),
            });
        }
        all.extend(read_results(path)?.records);
    }
    Ok(all)
}

/// The latest line of every unit key.
#[derive(Clone, Debug, Default)]
pub struct ResultsIndex {
    latest: HashMap<UnitKey, Record>,
    slots: HashSet<UnitKey>,
}

impl ResultsIndex {
    /// Indexes records given in file order (later lines win).
    pub fn new(records: impl IntoIterator<Item = Record>) -> Self {
        let mut index = Self::default();
        for r in records {
            index.insert(r);
        }
        index
    }

    /// Adds a record, replacing any earlier line of the same key.
    pub fn insert(&mut self, record: Record) {
        self.slots.insert(slot_of(&record.key()));
        self.latest.insert(record.key(), record);
    }

    /// Returns the latest line of `key`.
    pub fn get(&self, key: &UnitKey) -> Option<&Record> {
        self.latest.get(key)
    }

    /// Returns true when `key` needs no run: it has a line, and that line is
    /// not a failure to retry.
    pub fn is_finished(&self, key: &UnitKey, retry_failed: bool) -> bool {
        match self.latest.get(key) {
            None => false,
            Some(r) => !(retry_failed && r.status == Status::Failed),
        }
    }

    /// Returns true when some line exists for the key's (phase, dataset,
    /// method, fold, seed) under any configuration; used for time projections.
    pub fn has_slot(&self, key: &UnitKey) -> bool {
        self.slots.contains(&slot_of(key))
    }

    /// Returns the number of indexed keys.
    pub fn len(&self) -> usize {
        self.latest.len()
    }

    /// Returns true when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    /// Returns the latest records, sorted by key.
    pub fn records(&self) -> Vec<&Record> {
        let mut out: Vec<&Record> = self.latest.values().collect();
        out.sort_by_key(|r| r.key());
        out
    }
}

/// Returns the key with its configuration id blanked.
fn slot_of(key: &UnitKey) -> UnitKey {
    UnitKey {
        config_id: String::new(),
        ..key.clone()
    }
}

/// Appends one record and syncs it to disk.
///
/// # Errors
///
/// [`UciError::Data`] when the file cannot be opened or written.
pub fn append_record(path: &Path, record: &Record) -> UciResult<()> {
    datasets::jsonl::append_line(path, record)?;
    Ok(())
}

/// Checks that a results file can be created: its folder exists and the path
/// is not a folder.
///
/// # Errors
///
/// [`UciError::Invalid`] naming the path and the fix.
pub fn check_results_path(path: &Path) -> UciResult<()> {
    if path.is_dir() {
        return Err(UciError::invalid(
            "results",
            path.display(),
            "it is a folder; give a file name such as runs/uci.jsonl",
        ));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(UciError::invalid(
            "results",
            path.display(),
            format!(
                "the folder {} does not exist; create it first",
                dir.display()
            ),
        ));
    }
    Ok(())
}
