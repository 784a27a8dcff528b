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

macro_rules! load_table {
    ($path:expr, $csv:path, $ty:ty) => {{
        let p: &Path = $path;
        if is_jsonl(p) {
            jsonl::read::<$ty, _>(open(p)?, &p.display().to_string())?
        } else {
            $csv(open(p)?)?
        }
    }};
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
            let rows = load_table!(p, csv::read_accounts, crate::data::Account);
            report.accounts = self.add_accounts(&rows, options)?;
        }
        if let Some(p) = &files.users {
            let rows = load_table!(p, csv::read_users, crate::data::User);
            report.users = self.add_users(&rows, options)?;
        }
        if let Some(p) = &files.subscriptions {
            let rows = load_table!(p, csv::read_subscriptions, crate::data::Subscription);
            report.subscriptions = self.add_subscriptions(&rows, options)?;
        }
        if let Some(p) = &files.events {
            let rows = load_table!(p, csv::read_events, crate::data::Event);
            report.events = self.add_events(&rows, options)?;
        }
        Ok(report)
    }

    /// Writes `accounts.csv`, `users.csv`, `subscriptions.csv` and `events.csv` into `dir`.
    pub fn write_csv_dir(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        let create = |n: &str| {
            let p = dir.join(n);
            File::create(&p).map(BufWriter::new).map_err(|e| Error::io(p.display().to_string(), e))
        };
        csv::write_accounts(create("accounts.csv")?, self.accounts())?;
        csv::write_users(create("users.csv")?, &self.users())?;
        csv::write_subscriptions(create("subscriptions.csv")?, &self.subscriptions())?;
        csv::write_events(create("events.csv")?, &self.events())?;
        Ok(())
    }

    /// Writes the four tables as JSON Lines into `dir`.
    pub fn write_jsonl_dir(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        let create = |n: &str| {
            let p = dir.join(n);
            File::create(&p).map(BufWriter::new).map_err(|e| Error::io(p.display().to_string(), e))
        };
        jsonl::write(create("accounts.jsonl")?, self.accounts())?;
        jsonl::write(create("users.jsonl")?, &self.users())?;
        jsonl::write(create("subscriptions.jsonl")?, &self.subscriptions())?;
        jsonl::write(create("events.jsonl")?, &self.events())?;
        Ok(())
    }
}
