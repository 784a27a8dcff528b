//! Files in and out: CSV and JSON Lines for the four row types, Arrow (feature `arrow`).
//!
//! [`DataFiles`] names one file per table; the format follows the extension (`.csv`, `.jsonl`
//! or `.ndjson`).

#[cfg(feature = "arrow")]
pub mod arrow;
pub mod csv;
pub mod jsonl;

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::data::{Dataset, IngestOptions, IngestReport};
use crate::error::{Error, Result};

/// One file per table; absent tables are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DataFiles {
    /// Accounts file.
    pub accounts: Option<PathBuf>,
    /// Users file.
    #[serde(default)]
    pub users: Option<PathBuf>,
    /// Subscriptions file.
    #[serde(default)]
    pub subscriptions: Option<PathBuf>,
    /// Events file.
    #[serde(default)]
    pub events: Option<PathBuf>,
}

impl DataFiles {
    /// `accounts.csv`, `users.csv`, `subscriptions.csv`, `events.csv` in `dir` (missing files skipped).
    pub fn csv_dir(dir: impl AsRef<Path>) -> Self {
        Self::in_dir(dir.as_ref(), "csv")
    }

    /// The same names with `.jsonl`.
    pub fn jsonl_dir(dir: impl AsRef<Path>) -> Self {
        Self::in_dir(dir.as_ref(), "jsonl")
    }

    fn in_dir(dir: &Path, ext: &str) -> Self {
        let f = |n: &str| Some(dir.join(format!("{n}.{ext}"))).filter(|p| p.exists());
        DataFiles { accounts: f("accounts"), users: f("users"), subscriptions: f("subscriptions"), events: f("events") }
    }
}

/// Reports of loading each table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LoadReport {
    /// Accounts.
    pub accounts: IngestReport,
    /// Users.
    pub users: IngestReport,
    /// Subscriptions.
    pub subscriptions: IngestReport,
    /// Events.
    pub events: IngestReport,
}

fn open(path: &Path) -> Result<BufReader<File>> {
    File::open(path).map(BufReader::new).map_err(|e| Error::io(path.display().to_string(), e))
}

fn is_jsonl(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("jsonl" | "ndjson" | "json"))
}

/// A CSV reader of one table: each row or its error, and the line each starts on.
type CsvReader<T> = fn(BufReader<File>, &str) -> Result<csv::ReadRows<T>>;

/// Reads one table file (JSON Lines or CSV by extension) and ingests it as one batch; every row
/// error — from reading or from ingesting — and every row set aside names the file and line.
/// Strict: the first bad row, read or ingested, fails the table. Lenient: rows that cannot be
/// read are set aside like rows that cannot be ingested; `row` is the row's position in the file
/// (0-based, header and blank lines not counted).
fn load<T: serde::de::DeserializeOwned>(
    path: &Path,
    csv: CsvReader<T>,
    options: &IngestOptions,
    ingest: impl FnOnce(&[T]) -> Result<IngestReport>,
) -> Result<IngestReport> {
    let name = path.display().to_string();
    let read = if is_jsonl(path) { jsonl::read_located(open(path)?, &name)? } else { csv(open(path)?, &name)? };
    let locate = |row: usize| read.lines.get(row).map(|l| format!("{name} line {l}"));
    // File positions of the rows handed to ingestion, and the rows refused while reading.
    let mut kept: Vec<usize> = Vec::with_capacity(read.rows.len());
    let mut rows: Vec<T> = Vec::with_capacity(read.rows.len());
    let mut unread: Vec<crate::data::RejectedRow> = Vec::new();
    for (i, r) in read.rows.into_iter().enumerate() {
        match r {
            Ok(row) => {
                kept.push(i);
                rows.push(row);
            }
            Err(e) if options.mode == crate::data::IngestMode::Lenient => unread.push(rejected(i, e, locate(i))),
            Err(e) => return Err(e),
        }
    }
    let at = |row: usize| kept.get(row).copied().unwrap_or(row);
    let mut report = ingest(&rows).map_err(|e| e.at_row(at).located(locate))?;
    for r in &mut report.rejected {
        r.row = at(r.row);
        if r.location.is_none() {
            r.location = locate(r.row);
        }
    }
    if !unread.is_empty() {
        report.rejected.extend(unread);
        report.rejected.sort_by_key(|r| r.row);
    }
    Ok(report)
}

/// A row refused while reading, as a row set aside.
fn rejected(row: usize, e: Error, location: Option<String>) -> crate::data::RejectedRow {
    let code = e.code().to_string();
    match e {
        Error::Row { field, reason, location: at, .. } => {
            crate::data::RejectedRow { row, field, code, reason, location: at.or(location) }
        }
        other => crate::data::RejectedRow { row, field: String::new(), code, reason: other.to_string(), location },
    }
}

impl Dataset {
    /// Loads a dataset from files, one table at a time (accounts first).
    pub fn from_files(files: &DataFiles, options: &IngestOptions) -> Result<(Dataset, LoadReport)> {
        let mut ds = Dataset::new();
        let report = ds.add_files(files, options)?;
        Ok((ds, report))
    }

    /// Adds the tables in `files` to this dataset. Each table is one batch.
    pub fn add_files(&mut self, files: &DataFiles, options: &IngestOptions) -> Result<LoadReport> {
        let mut report = LoadReport::default();
        if let Some(p) = &files.accounts {
            report.accounts = load(p, csv::read_accounts_located, options, |rows| self.add_accounts(rows, options))?;
        }
        if let Some(p) = &files.users {
            report.users = load(p, csv::read_users_located, options, |rows| self.add_users(rows, options))?;
        }
        if let Some(p) = &files.subscriptions {
            report.subscriptions =
                load(p, csv::read_subscriptions_located, options, |rows| self.add_subscriptions(rows, options))?;
        }
        if let Some(p) = &files.events {
            report.events = load(p, csv::read_events_located, options, |rows| self.add_events(rows, options))?;
        }
        Ok(report)
    }

    /// Writes `accounts.csv`, `users.csv`, `subscriptions.csv` and `events.csv` into `dir`
    /// (created if needed), all four or none ([`write_files`]). A file that exists is refused
    /// (`invalid_argument`) unless `overwrite`. Text cells that a spreadsheet would run as a
    /// formula are escaped (see [`csv`]).
    pub fn write_csv_dir(&self, dir: impl AsRef<Path>, overwrite: bool) -> Result<()> {
        let dir = dir.as_ref();
        let users = self.users();
        let subscriptions = self.subscriptions();
        let events = self.events();
        let files: Vec<(PathBuf, FileWriter<'_>)> = vec![
            (dir.join("accounts.csv"), Box::new(|w| csv::write_accounts(w, self.accounts()))),
            (dir.join("users.csv"), Box::new(|w| csv::write_users(w, &users))),
            (dir.join("subscriptions.csv"), Box::new(|w| csv::write_subscriptions(w, &subscriptions))),
            (dir.join("events.csv"), Box::new(|w| csv::write_events(w, &events))),
        ];
        create_dir(dir)?;
        write_files(files, overwrite)
    }

    /// Writes the four tables as JSON Lines into `dir`, as [`write_csv_dir`](Self::write_csv_dir)
    /// does (all or none; an existing file refused unless `overwrite`).
    pub fn write_jsonl_dir(&self, dir: impl AsRef<Path>, overwrite: bool) -> Result<()> {
        let dir = dir.as_ref();
        let users = self.users();
        let subscriptions = self.subscriptions();
        let events = self.events();
        let files: Vec<(PathBuf, FileWriter<'_>)> = vec![
            (dir.join("accounts.jsonl"), Box::new(|w| jsonl::write(w, self.accounts()))),
            (dir.join("users.jsonl"), Box::new(|w| jsonl::write(w, &users))),
            (dir.join("subscriptions.jsonl"), Box::new(|w| jsonl::write(w, &subscriptions))),
            (dir.join("events.jsonl"), Box::new(|w| jsonl::write(w, &events))),
        ];
        create_dir(dir)?;
        write_files(files, overwrite)
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))
}

/// Writes `text` to `path` atomically, replacing what is there ([`write_files`]).
pub fn save_text(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let shown = path.display().to_string();
    let write: FileWriter<'_> = Box::new(|w| w.write_all(text.as_bytes()).map_err(|e| Error::io(shown, e)));
    write_files(vec![(path.to_path_buf(), write)], true)
}

/// The text of the file at `path` (`io_error` naming it when it cannot be read).
pub fn load_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path.display().to_string(), e))
}

/// Writes one file's content.
pub type FileWriter<'a> = Box<dyn FnOnce(&mut BufWriter<File>) -> Result<()> + 'a>;

/// Writes several files as one step. A target that is a directory is refused (`io_error`), and
/// unless `overwrite` a target that exists at all (`invalid_argument`), before anything is
/// written; so is a missing parent directory, when creating the first file. Each file is
/// written to a temporary file beside its target (`<name>.tmp-<pid>-<n>`) and flushed to disk
/// (`fsync`); only when every one is written are they renamed over their targets. On any failure
/// while writing, no target is touched and every temporary file is removed. (The renames
/// themselves are atomic one by one; a crash between two of them leaves some targets new.)
pub fn write_files(files: Vec<(PathBuf, FileWriter<'_>)>, overwrite: bool) -> Result<()> {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    if let Some((p, _)) = files.iter().find(|(p, _)| p.is_dir()) {
        return Err(Error::Io { path: p.display().to_string(), reason: "is a directory (nothing was written)".into() });
    }
    if !overwrite {
        if let Some((p, _)) = files.iter().find(|(p, _)| p.exists()) {
            return Err(Error::argument(
                "dir",
                format!("`{}` exists; pass overwrite=true to replace it (nothing was written)", p.display()),
            ));
        }
    }
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len());
    let cleanup = |written: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in written {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for (target, write) in files {
        let mut tmp = target.as_os_str().to_owned();
        tmp.push(format!(".tmp-{}-{call}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let shown = |p: &Path| p.display().to_string();
        let result = (|| {
            let file = File::create(&tmp).map_err(|e| Error::io(shown(&tmp), e))?;
            let mut w = BufWriter::new(file);
            write(&mut w)?;
            w.flush().map_err(|e| Error::io(shown(&tmp), e))?;
            w.get_ref().sync_all().map_err(|e| Error::io(shown(&tmp), e))
        })();
        written.push((tmp, target));
        if let Err(e) = result {
            cleanup(&written);
            return Err(e);
        }
    }
    for (k, (tmp, target)) in written.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, target) {
            cleanup(&written[k..]);
            return Err(Error::io(target.display().to_string(), e));
        }
    }
    Ok(())
}
