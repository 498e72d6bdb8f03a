//! The server's shape, checked: each folder is a layer, dependencies point one way
//! (web → services → domain/adapters), nothing below the web edge knows HTTP, the domain calls
//! nothing outside the process, and no two modules import each other in a circle.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every module file of `server/src`, as `a::b::c` (a `mod.rs` names its folder), with its code
/// outside `#[cfg(test)]` modules.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("server/src is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&src).expect("under src").with_extension("");
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

/// The layer a module belongs to: its top folder, or `root` for `lib.rs`, `main.rs`, ...
fn layer(module: &str) -> &str {
    let top = module.split("::").next().unwrap_or("");
    if ["web", "services", "adapters", "domain"].contains(&top) {
        top
    } else {
        "root"
    }
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

/// Layers a layer may use (itself included).
fn allowed(from: &str) -> &'static [&'static str] {
    match from {
        "root" | "web" => &["root", "web", "services", "adapters", "domain"],
        "services" => &["root", "services", "adapters", "domain"],
        "adapters" => &["root", "adapters", "domain"],
        _ => &["domain"],
    }
}

#[test]
fn dependencies_point_one_way_and_nothing_below_the_web_edge_knows_http() {
    let modules = modules();
    assert!(modules.contains_key("web") && modules.contains_key("domain::registry"), "{:?}", modules.keys());
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut wrong = Vec::new();
    for (module, code) in &modules {
        let from = layer(module);
        for target in references(module, code, &known) {
            let to = layer(&target);
            // `root` holds lib.rs (the composition root) and the configuration: below web, only `config` may be used.
            let root_ok = to != "root" || from == "root" || from == "web" || target == "config";
            if !allowed(from).contains(&to) || !root_ok {
                wrong.push(format!("{module} ({from}) uses {target} ({to})"));
            }
        }
        let forbidden: &[&str] = match from {
            "domain" => {
                &["axum::", "tower_sessions", "tower_http", "leptos_axum", "aws_sdk_", "aws_config", "reqwest", "tokio::", "oauth2"]
            }
            "services" | "adapters" => &["axum::", "tower_http", "leptos_axum"],
            _ => &[],
        };
        for f in forbidden {
            if code.contains(f) {
                wrong.push(format!("{module} ({from}) uses {f}"));
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn no_two_modules_import_each_other_in_a_circle() {
    let modules = modules();
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
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(cycle) = visit(node, &graph, &mut state, &mut Vec::new()) {
                panic!("module cycle: {}", cycle.join(" → "));
            }
        }
    }
}

#[test]
fn the_checker_sees_a_cycle_and_an_upward_import() {
    let known: BTreeSet<String> =
        ["web", "web::state", "services", "services::install", "domain", "domain::registry", "adapters::linear", "adapters::linear::oauth"]
            .into_iter()
            .map(str::to_owned)
            .collect();
    let refs = references(
        "services::install",
        "use crate::web::state::AppState;\nuse crate::domain::{registry::Item, self};\nuse super::x;",
        &known,
    );
    assert_eq!(refs, ["domain", "domain::registry", "services", "web::state"].into_iter().map(str::to_owned).collect());
    assert!(!allowed(layer("services::install")).contains(&layer("web::state")), "an upward import is caught");
    let nested = references("adapters::linear", "use super::linear::oauth::X; pub mod oauth; use self::oauth;", &known);
    assert!(nested.contains("adapters::linear::oauth"), "{nested:?}");
}
