//! Writes the Python `TypedDict`s (`bindings-python/python/custfit/types.py`) and the TypeScript
//! interfaces (`bindings-node/types.d.ts`, the header napi puts at the top of `index.d.ts`) from
//! the JSON Schemas of the core's result and document types, so that a result's shape is written
//! once: in the core's serde struct.
//!
//! `custfit-typegen` checks that the committed files equal what it would write (exit 1 and a diff
//! hint when not); `custfit-typegen --write` rewrites them. `make test` runs the check; `make
//! types` the rewrite.

mod model;
mod python;
mod roots;
mod typescript;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn repo_root() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    dir.parent().and_then(Path::parent).unwrap_or(dir).to_path_buf()
}

fn main() -> ExitCode {
    let write = match std::env::args().nth(1).as_deref() {
        None | Some("--check") => false,
        Some("--write") => true,
        Some(other) => {
            eprintln!("custfit-typegen: unknown argument {other:?} (use --check or --write)");
            return ExitCode::from(2);
        }
    };
    let mut g = schemars::generate::SchemaSettings::draft2020_12().for_serialize().into_generator();
    let mut order = roots::register(&mut g);
    let mut defs = g.take_definitions(true);
    roots::rename(&mut defs, &mut order);
    let types = match model::build(&defs, &order) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("custfit-typegen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let root = repo_root();
    let outputs = [
        (root.join("bindings-python/python/custfit/types.py"), python::render(&types)),
        (root.join("bindings-node/types.d.ts"), typescript::render(&types)),
    ];
    let mut stale = Vec::new();
    for (path, text) in &outputs {
        let current = std::fs::read_to_string(path).unwrap_or_default();
        if current == *text {
            continue;
        }
        if write {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("custfit-typegen: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            println!("wrote {}", path.display());
        } else {
            stale.push(path.display().to_string());
        }
    }
    if !stale.is_empty() {
        eprintln!(
            "custfit-typegen: generated types are out of date: {}\nrun `make types` and commit the result",
            stale.join(", ")
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
