//! The served files' final form: content-hashed names, so browsers and CloudFront may keep them
//! for a year (`immutable`), and brotli and gzip copies beside each, so the server sends
//! compressed bytes without compressing on every request.
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// What `wasm-bindgen` and the style step leave in the package directory, under `name`.
pub fn built_files(name: &str) -> [String; 3] {
    [format!("{name}.js"), format!("{name}_bg.wasm"), format!("{name}.css")]
}

/// The file that tells the server the hashed output name (one line, e.g. `app.0123456789abcdef`).
pub const OUTPUT_NAME_FILE: &str = "output-name";

/// `name.<16 hex digits>` over the three files together: one name for the JS, the wasm and the
/// CSS, which are built together and must be loaded together.
pub fn hashed_name(name: &str, contents: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for c in contents {
        h.update((c.len() as u64).to_le_bytes());
        h.update(c);
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{name}.{hex}")
}

/// Whether `file` is one of an earlier build's hashed copies (or their compressed siblings).
pub fn is_stale_copy(file: &str, name: &str, current: &str) -> bool {
    let Some(rest) = file.strip_prefix(name).and_then(|r| r.strip_prefix('.')) else { return false };
    let hash = rest.get(..16).unwrap_or("");
    hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) && !file.starts_with(current)
}

/// Brotli at its best quality (a build step, paid once) and gzip at level 9.
pub fn compressed(bytes: &[u8]) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 64 * 1024, 11, 22);
        w.write_all(bytes)?;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    Ok((br, gz.finish()?))
}

/// Writes `bytes` as `path` with `path.br` and `path.gz` beside it.
pub fn write_with_compressed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (br, gz) = compressed(bytes)?;
    std::fs::write(path, bytes)?;
    std::fs::write(path.with_extension(ext_plus(path, "br")), br)?;
    std::fs::write(path.with_extension(ext_plus(path, "gz")), gz)
}

fn ext_plus(path: &Path, more: &str) -> String {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) => format!("{e}.{more}"),
        None => more.to_owned(),
    }
}

/// Gives the build in `pkg` its hashed copies, compresses every served file and records the
/// hashed name for the server. Returns that name.
pub fn finish(pkg: &Path, name: &str) -> std::io::Result<String> {
    let files = built_files(name);
    let contents = files.iter().map(|f| std::fs::read(pkg.join(f))).collect::<Result<Vec<_>, _>>()?;
    let hashed = hashed_name(name, &contents.iter().map(Vec::as_slice).collect::<Vec<_>>());
    for entry in std::fs::read_dir(pkg)? {
        let file = entry?.file_name().to_string_lossy().into_owned();
        if is_stale_copy(&file, name, &hashed) {
            std::fs::remove_file(pkg.join(&file))?;
        }
    }
    for (file, bytes) in built_files(name).iter().zip(&contents) {
        // The plain names stay too (the self-contained error page links the CSS by its plain name).
        write_with_compressed(&pkg.join(file), bytes)?;
    }
    for (file, bytes) in built_files(&hashed).iter().zip(&contents) {
        write_with_compressed(&pkg.join(file), bytes)?;
    }
    std::fs::write(pkg.join(OUTPUT_NAME_FILE), format!("{hashed}\n"))?;
    Ok(hashed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_changes_with_any_of_the_three_files() {
        let a = hashed_name("app", &[b"js", b"wasm", b"css"]);
        assert!(a.starts_with("app.") && a.len() == "app.".len() + 16, "{a}");
        assert_eq!(a, hashed_name("app", &[b"js", b"wasm", b"css"]), "same build, same name");
        assert_ne!(a, hashed_name("app", &[b"js", b"wasm", b"css2"]));
        assert_ne!(a, hashed_name("app", &[b"jsw", b"asm", b"css"]), "where one file ends counts");
    }

    #[test]
    fn only_earlier_hashed_copies_are_stale() {
        let current = "app.0123456789abcdef";
        assert!(is_stale_copy("app.fedcba9876543210.js", "app", current));
        assert!(is_stale_copy("app.fedcba9876543210_bg.wasm.br", "app", current));
        assert!(!is_stale_copy("app.0123456789abcdef.js", "app", current));
        assert!(!is_stale_copy("app.js", "app", current));
        assert!(!is_stale_copy("app_bg.wasm.gz", "app", current));
        assert!(!is_stale_copy("output-name", "app", current));
    }

    #[test]
    fn compressed_copies_read_back_to_the_original() {
        use std::io::Read;
        let text = "a served file ".repeat(500);
        let (br, gz) = compressed(text.as_bytes()).unwrap();
        assert!(br.len() < text.len() / 10 && gz.len() < text.len() / 10);
        let mut out = String::new();
        flate2::read::GzDecoder::new(gz.as_slice()).read_to_string(&mut out).unwrap();
        assert_eq!(out, text);
        let mut out = String::new();
        brotli::Decompressor::new(br.as_slice(), 4096).read_to_string(&mut out).unwrap();
        assert_eq!(out, text);
    }
}
