//! JSON Lines: one JSON object per line, in the serde form of the row types.

use std::io::{BufRead, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::csv::ReadRows;
use crate::error::{Error, Result};

/// Reads one value per non-blank line; the error names the 1-based line. A UTF-8 byte-order mark
/// at the start of the file is skipped (as the CSV reader does; editors on Windows write one).
pub fn read<T: DeserializeOwned, R: BufRead>(reader: R, what: &str) -> Result<Vec<T>> {
    read_located(reader, what)?.all()
}

/// [`read`], each value or the error that refused it, with the 1-based line of each.
pub(crate) fn read_located<T: DeserializeOwned, R: BufRead>(reader: R, what: &str) -> Result<ReadRows<T>> {
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| Error::io(what, e))?;
        let line = if i == 0 { line.strip_prefix('\u{feff}').unwrap_or(&line) } else { &line };
        if line.trim().is_empty() {
            continue;
        }
        let message = |e: serde_json::Error| crate::document::plain_serde_message(&e.to_string());
        rows.push(serde_json::from_str(line).map_err(|e| Error::parse(format!("{what} line {}", i + 1), message(e))));
        lines.push(i as u64 + 1);
    }
    Ok(ReadRows { rows, lines })
}

/// Writes one value per line.
pub fn write<T: Serialize, W: Write>(mut w: W, rows: &[T]) -> Result<()> {
    for r in rows {
        serde_json::to_writer(&mut w, r).map_err(|e| Error::io("JSON Lines output", e))?;
        w.write_all(b"\n").map_err(|e| Error::io("JSON Lines output", e))?;
    }
    w.flush().map_err(|e| Error::io("JSON Lines output", e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_byte_order_mark_is_skipped() {
        let text = "\u{feff}{\"a\": 1}\n\n{\"a\": 2}\n";
        let rows: Vec<serde_json::Value> = super::read(text.as_bytes(), "rows").expect("reads");
        assert_eq!(rows.len(), 2);
        let bad = "{\"a\": 1}\n\u{feff}{\"a\": 2}\n";
        assert!(super::read::<serde_json::Value, _>(bad.as_bytes(), "rows").is_err(), "only at the start of the file");
    }
}
