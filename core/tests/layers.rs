//! The import graph of `core/src`: every module may use only modules on a lower layer (or its
//! own), so there is no cycle and nothing reaches up. A new module gets a layer here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Layers from the bottom. Modules on one layer do not use each other.
const LAYERS: &[&[&str]] = &[
    &["error"],
    &["time", "stats", "document"],
    &["data"],
    &["metrics", "sim"],
    &["expr", "io", "activity", "outcome"],
    &["health", "segment"],
    &["churn", "lifecycle", "effectiveness"],
    &["revenue"],
    &["frame"],
    &["play"],
    &["experiment"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `crate::x` paths and the names inside `use crate::{x, y::…}` groups.
fn used_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let body = &group[..group.find('}').unwrap_or(group.len())];
            for part in body.split(',') {
                let name = ident(part.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn no_module_imports_upward_or_sideways() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src");
        let first = rel.components().next().map(|c| c.as_os_str().to_string_lossy().trim_end_matches(".rs").to_string());
        let Some(module) = first.filter(|m| m != "lib") else { continue };
        let Some(own) = layer(&module) else {
            problems.push(format!("module `{module}` has no layer in tests/layers.rs"));
            continue;
        };
        let text = std::fs::read_to_string(&f).expect("read");
        for used in used_modules(&text) {
            if used == module {
                continue;
            }
            // Names that are not modules (items re-exported at the crate root) are checked by
            // their defining module's own imports.
            let Some(theirs) = layer(&used) else { continue };
            if theirs >= own {
                problems.push(format!("{}: `{module}` (layer {own}) uses `{used}` (layer {theirs})", rel.display()));
            }
        }
    }
    assert!(problems.is_empty(), "import graph problems:\n{}", problems.join("\n"));
}

#[test]
fn the_scanner_sees_grouped_imports() {
    let found = used_modules("use crate::{data::Dataset, metrics};\nlet x = crate::health::roc_auc;");
    assert_eq!(found.into_iter().collect::<Vec<_>>(), ["data", "health", "metrics"]);
}
