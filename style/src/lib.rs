//! Tailwind utility classes to CSS at build time, in pure Rust (encre-css).
//! The generator scans the UI sources for class names and emits only the rules they use.
pub mod assets;

use std::path::{Path, PathBuf};

/// Base rules that are not utilities: the page font and the focus ring fallback.
const BASE_CSS: &str = include_str!("../input.css");

/// The encre-css configuration: class-based dark mode (`<html class="dark">`).
pub fn config() -> encre_css::Config {
    let mut config = encre_css::Config::default();
    config.theme.dark_mode = encre_css::config::DarkMode::new_class(".dark");
    config
}

/// CSS for every class that appears in `sources`, after the preflight and base rules.
pub fn generate<'a>(sources: impl IntoIterator<Item = &'a str>) -> String {
    let utilities = encre_css::generate(sources, &config());
    format!("{utilities}\n{BASE_CSS}")
}

/// Every `.rs` file under `dir`, sorted so the output is stable.
pub fn rust_sources(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_rules_for_used_classes_only() {
        let css = generate([r#"class="bg-indigo-600 px-4 hover:bg-indigo-500""#]);
        assert!(css.contains(".bg-indigo-600"), "{css}");
        assert!(css.contains(".px-4"));
        assert!(css.contains("hover\\:bg-indigo-500:hover"));
        assert!(!css.contains(".bg-red-500"));
    }

    #[test]
    fn dark_variant_follows_the_html_class() {
        let css = generate([r#"class="dark:bg-slate-950""#]);
        assert!(css.contains(".dark .dark\\:bg-slate-950"), "{css}");
        assert!(!css.contains("prefers-color-scheme"));
    }

    #[test]
    fn every_class_of_the_ui_compiles() {
        // Run-time CARGO_MANIFEST_DIR: a build shared by two clones must read this clone's UI.
        let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
        let dir = Path::new(&manifest).join("../app/src");
        let files: Vec<String> = rust_sources(&dir).unwrap().iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
        let css = generate(files.iter().map(String::as_str));
        for class in ["min-h-screen", "dark\\:bg-slate-950", "focus\\:ring-indigo-500", "rounded-md", "divide-y"] {
            assert!(css.contains(class), "missing {class}");
        }
    }
}
