//! The architecture's invariants that the compiler alone does not state, checked on the
//! real workspace: which crate may depend on what (from `cargo metadata`, the resolved
//! graph), and that the pure core never reads the clock.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The resolved graph: package id → (name, normal dependencies' ids, all dependencies
/// with their kinds).
struct Graph {
    name: HashMap<String, String>,
    normal: HashMap<String, Vec<String>>,
}

/// The platform the tests run on, from `rustc -vV`: the graph is filtered to it, since
/// that is what links here, and an unfiltered `cargo metadata --offline` needs the
/// manifests of other platforms' crates (Windows consoles and the like), which a fresh
/// machine's registry cache does not hold after building for Linux.
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let output = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .trim()
        .to_string()
}

fn graph() -> Graph {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host_triple()])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
    let name = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let normal = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| {
            let deps = node["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| {
                    d["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].is_null())
                })
                .map(|d| d["pkg"].as_str().unwrap().to_string())
                .collect();
            (node["id"].as_str().unwrap().to_string(), deps)
        })
        .collect();
    Graph { name, normal }
}

impl Graph {
    fn id(&self, name: &str) -> String {
        self.name
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no package {name}"))
    }

    /// Every package `name` links in a normal build.
    fn closure(&self, name: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![self.id(name)];
        while let Some(id) = stack.pop() {
            for dep in self.normal.get(&id).into_iter().flatten() {
                if seen.insert(self.name[dep].clone()) {
                    stack.push(dep.clone());
                }
            }
        }
        seen
    }

    fn direct(&self, name: &str) -> BTreeSet<String> {
        self.normal[&self.id(name)]
            .iter()
            .map(|d| self.name[d].clone())
            .collect()
    }
}

#[test]
fn the_core_links_no_runtime_socket_tls_stack_or_sql() {
    let g = graph();
    let core = g.closure("trustlabel-core");
    for forbidden in [
        "tokio",
        "hyper",
        "rustls",
        "sqlx",
        "axum",
        "mio",
        "socket2",
        "hickory-resolver",
        "trustlabel-collect",
        "trustlabel-store",
        "trustlabel-fleet",
    ] {
        assert!(
            !core.contains(forbidden),
            "trustlabel-core must not depend on {forbidden}"
        );
    }
}

#[test]
fn only_the_store_speaks_sql_and_nothing_in_the_library_links_the_test_fleet() {
    let g = graph();
    for crate_name in [
        "trustlabel-core",
        "trustlabel-collect",
        "trustlabel-fleet",
        "trustlabel",
    ] {
        assert!(
            !g.direct(crate_name).contains("sqlx"),
            "{crate_name} must reach the database through trustlabel-store"
        );
    }
    assert!(g.direct("trustlabel-store").contains("sqlx"));
    for crate_name in ["trustlabel-core", "trustlabel-collect", "trustlabel-store"] {
        assert!(
            !g.closure(crate_name).contains("trustlabel-fleet"),
            "{crate_name} must not link the test fleet"
        );
        assert!(
            !g.closure(crate_name).contains("rcgen"),
            "{crate_name} must not link a certificate generator"
        );
    }
    assert!(
        !g.closure("trustlabel-collect").contains("trustlabel-store"),
        "the collector stores nothing"
    );
}

#[test]
fn the_pure_core_never_reads_the_clock() {
    let mut offending = Vec::new();
    let mut stack = vec![root().join("crates/core/src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !name.ends_with(".rs") || name == "tests.rs" || name == "test_support.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Test modules at the end of a file may use the clock.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for (i, line) in code.lines().enumerate() {
                if ["now_utc()", "SystemTime::now", "Instant::now", "Utc::now"]
                    .iter()
                    .any(|call| line.contains(call))
                {
                    offending.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offending.is_empty(),
        "checks and policy take `now` as a value:\n{}",
        offending.join("\n")
    );
}
