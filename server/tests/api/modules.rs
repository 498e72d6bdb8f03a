//! The crates' module graphs, checked: no two modules of the app or of the server use each other
//! in a circle (a module's parent only declares it). The layering itself is the compiler's: the
//! rules are a crate of their own (`console-core`) whose dependency tree holds no web framework
//! and no AWS SDK (`end2end/scripts/core-deps.sh`, run by `make test`).
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every module file under `src`, as `a::b::c` (a `mod.rs` names its folder), with its code
/// outside `#[cfg(test)]` modules.
fn modules(src: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("the sources are readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(src).expect("under src").with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            let code = std::fs::read_to_string(&path).expect("readable");
            let code = match code.find("#[cfg(test)]") {
                Some(i) => code[..i].to_owned(),
                None => code,
            };
            (parts.join("::"), code)
        })
        .collect()
}

/// The modules a module's code names (`crate::a::b::{c, d}`, `super::x`), resolved to module files.
fn references(module: &str, code: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let parent: Vec<&str> = {
        let mut p: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
        p.pop();
        p
    };
    let mut paths: Vec<Vec<String>> = Vec::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent.iter().map(|s| s.to_string()).collect::<Vec<_>>())] {
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            // `crate::` inside a longer identifier (`some_crate::`) is not ours.
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{' || c == '}' || c == ',' || c == ' '))
                .unwrap_or(rest.len());
            let text = &rest[..end];
            let (head, group) = match text.find('{') {
                Some(b) => (&text[..b], text[b + 1..].split('}').next().unwrap_or("")),
                None => (text, ""),
            };
            let head: Vec<String> =
                base.iter().cloned().chain(head.split("::").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)).collect();
            if group.is_empty() {
                paths.push(head);
            } else {
                for item in group.split(',') {
                    let mut p = head.clone();
                    p.extend(item.split("::").map(str::trim).filter(|s| !s.is_empty() && *s != "self").map(str::to_owned));
                    paths.push(p);
                }
            }
        }
    }
    paths
        .into_iter()
        .filter_map(|p| (1..=p.len()).rev().map(|n| p[..n].join("::")).find(|m| known.contains(m)))
        .filter(|m| m != module)
        .collect()
}

/// The first cycle of the module graph under `src`, as a path, if there is one.
fn cycle(src: &Path) -> Option<Vec<String>> {
    let modules = modules(src);
    assert!(modules.len() > 5, "{src:?} holds the crate's modules");
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    // A module's parent (`services` for `services::install`) only declares it: not an edge.
    let graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|(m, code)| {
            let refs = references(m, code, &known).into_iter().filter(|t| !t.starts_with(&format!("{m}::"))).collect();
            (m.clone(), refs)
        })
        .collect();
    // Depth-first search for a back edge; reports the first cycle with its path.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_owned(), 1);
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|p| p == next).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, graph, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(node.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    graph.keys().find_map(|node| {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0 {
            visit(node, &graph, &mut state, &mut Vec::new())
        } else {
            None
        }
    })
}

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name).join("src")
}

#[test]
fn no_two_modules_of_the_app_use_each_other_in_a_circle() {
    if let Some(c) = cycle(&crate_src("app")) {
        panic!("app module cycle: {}", c.join(" → "));
    }
}

#[test]
fn no_two_modules_of_the_server_or_the_core_use_each_other_in_a_circle() {
    for name in ["server", "core"] {
        if let Some(c) = cycle(&crate_src(name)) {
            panic!("{name} module cycle: {}", c.join(" → "));
        }
    }
}

#[test]
fn the_checker_sees_a_cycle() {
    let dir = std::env::temp_dir().join(format!("cycle-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("b")).unwrap();
    for (file, code) in [
        ("lib.rs", "pub mod a; pub mod b; pub mod c; pub mod d; pub mod e; pub mod f;"),
        ("a.rs", "use crate::b::Thing;"),
        ("b/mod.rs", "pub mod x; use crate::c::{self, y};"),
        ("b/x.rs", ""),
        ("c.rs", "use super::a::Thing;"),
        ("d.rs", ""),
        ("e.rs", ""),
        ("f.rs", ""),
    ] {
        std::fs::write(dir.join(file), code).unwrap();
    }
    let found = cycle(&dir).expect("a → b → c → a");
    assert_eq!(found.first(), found.last());
    assert!(found.contains(&"a".to_owned()) && found.contains(&"c".to_owned()), "{found:?}");
    std::fs::write(dir.join("c.rs"), "").unwrap();
    assert_eq!(cycle(&dir), None, "without c's import there is none");
    let _ = std::fs::remove_dir_all(dir);
}
