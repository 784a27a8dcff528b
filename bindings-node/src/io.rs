//! Files: `Dataset.fromFiles({accounts, users, subscriptions, events}, options?)` (CSV or JSON
//! Lines by extension), `ds.writeCsv(dir)` and `ds.writeJsonl(dir)`.

use custfit::io::DataFiles;
use custfit::{Dataset as CoreDataset, IngestOptions};
use napi::bindgen_prelude::{Env, Unknown};
use napi_derive::napi;

use crate::arg;
use crate::data::{options_object, Dataset};
use crate::error::Throw;
use crate::health::json;

/// One file per table (`.csv`, `.jsonl` or `.ndjson`); absent tables are skipped.
#[napi(object, object_to_js = false, js_name = "DataFiles")]
pub struct DataFilesJs {
    /// Accounts file.
    pub accounts: Option<String>,
    /// Users file.
    pub users: Option<String>,
    /// Subscriptions file.
    pub subscriptions: Option<String>,
    /// Events file.
    pub events: Option<String>,
}

/// A dataset loaded from files and the report of each table.
#[napi(object, object_from_js = false)]
pub struct LoadedDataset {
    /// The data.
    pub dataset: Dataset,
    /// What was accepted and rejected, per table.
    #[napi(ts_type = "LoadReport")]
    pub report: serde_json::Value,
}

#[napi]
impl Dataset {
    /// Loads a dataset from files, one table per batch, accounts first. Throws `io_error`,
    /// `parse_error`, or the first bad row's code (strict mode).
    #[napi(catch_unwind, ts_args_type = "files: DataFiles, options?: IngestOptions")]
    pub fn from_files(env: &Env, files: Unknown<'_>, options: Option<Unknown<'_>>) -> napi::Result<LoadedDataset> {
        let run = || {
            let files: DataFiles = options_object(Some(&files), "files")?;
            let options: IngestOptions = options_object(options.as_ref(), "options")?;
            CoreDataset::from_files(&files, &options)
        };
        let (ds, r) = run().throw(env)?;
        Ok(LoadedDataset { dataset: Dataset::wrap(ds), report: json(&r).throw(env)? })
    }

    /// Writes `accounts.csv`, `users.csv`, `subscriptions.csv` and `events.csv` into `dir`
    /// (created if missing): all four or none. An existing file is refused (`invalid_argument`)
    /// unless `overwrite` is true. Text cells a spreadsheet would run as a formula (`=…`, `+…`,
    /// `-…`, `@…`) get a `'` in front, which the readers take off again.
    #[napi(catch_unwind, ts_args_type = "dir: string, overwrite?: boolean")]
    pub fn write_csv(&self, env: &Env, dir: Unknown<'_>, overwrite: Option<Unknown<'_>>) -> napi::Result<()> {
        let run = || {
            let dir = arg::string(&dir, "dir")?;
            let overwrite = arg::optional_boolean(overwrite.as_ref(), "overwrite")?.unwrap_or(false);
            self.inner.write_csv_dir(dir, overwrite)
        };
        run().throw(env)
    }

    /// Writes the four tables as JSON Lines (`accounts.jsonl`, …) into `dir`: all four or none;
    /// an existing file is refused unless `overwrite` is true.
    #[napi(catch_unwind, ts_args_type = "dir: string, overwrite?: boolean")]
    pub fn write_jsonl(&self, env: &Env, dir: Unknown<'_>, overwrite: Option<Unknown<'_>>) -> napi::Result<()> {
        let run = || {
            let dir = arg::string(&dir, "dir")?;
            let overwrite = arg::optional_boolean(overwrite.as_ref(), "overwrite")?.unwrap_or(false);
            self.inner.write_jsonl_dir(dir, overwrite)
        };
        run().throw(env)
    }
}
