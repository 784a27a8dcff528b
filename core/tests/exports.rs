//! The export manifest (tests/exports.json): the names the bindings export follow the naming
//! rule (Node = camelCase of Python), and every shared result type is a public Rust type of the
//! same name. The Python and Node suites check their own exports against the same file.

use std::path::Path;

use serde_json::Value;

fn camel(snake: &str) -> String {
    let mut out = String::new();
    for (i, part) in snake.split('_').enumerate() {
        let mut chars = part.chars();
        match (i, chars.next()) {
            (0, Some(c)) => out.push(c),
            (_, Some(c)) => out.push(c.to_ascii_uppercase()),
            _ => {}
        }
        out.extend(chars);
    }
    out
}

fn rust_types() -> std::collections::BTreeSet<String> {
    fn walk(dir: &Path, out: &mut std::collections::BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("read src").flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                for line in std::fs::read_to_string(&p).expect("read").lines() {
                    let line = line.trim_start();
                    for prefix in ["pub struct ", "pub enum "] {
                        if let Some(rest) = line.strip_prefix(prefix) {
                            out.insert(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
                        }
                    }
                }
            }
        }
    }
    let mut out = std::collections::BTreeSet::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

#[test]
fn manifest_names_follow_the_rules() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/exports.json");
    let m: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("read manifest")).expect("manifest JSON");
    for pair in m["functions"].as_array().expect("functions") {
        let (py, node) = (pair[0].as_str().expect("python name"), pair[1].as_str().expect("node name"));
        assert_eq!(camel(py), node, "Node name of `{py}`");
    }
    let rust = rust_types();
    let missing: Vec<&str> =
        m["types"].as_array().expect("types").iter().filter_map(Value::as_str).filter(|t| !rust.contains(*t)).collect();
    assert!(missing.is_empty(), "shared types without a public Rust type of the same name: {missing:?}");
    for t in m["binding_types"].as_object().expect("binding_types").keys() {
        assert!(!rust.contains(t), "`{t}` is a Rust type now: list it under `types`");
    }
}
