//! The site's static files under `/pkg/`: served from the disk copies the `assets` build step
//! compressed (brotli, else gzip, else plain, as the browser accepts), and cached for a year where
//! the name carries the content hash. Pages themselves are never cached (`no-store`, set
//! with the other response headers of the web edge).
use axum::http::{header, HeaderMap, HeaderValue};
use tower_http::services::ServeDir;

/// Files whose name holds their content hash never change: a browser or CDN may keep them.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The plain names (`app.css`, `app.js`) change with every build: the browser asks each time.
pub const REVALIDATE: &str = "no-cache";

/// `app.<16 hex digits>`: the hashed output name the build step records for `name`.
pub fn is_hashed_name(s: &str, name: &str) -> bool {
    s.strip_prefix(name).and_then(|r| r.strip_prefix('.')).is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// How long a file of `/pkg/` may be cached, from its name alone.
pub fn cache_control(path: &str) -> &'static str {
    let file = path.rsplit('/').next().unwrap_or("");
    // `app.<hash>.js`, `app.<hash>_bg.wasm`, `app.<hash>.css`: a 16-hex segment after the first dot.
    let hashed = file.split_once('.').and_then(|(_, rest)| rest.get(..16)).is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    if hashed {
        IMMUTABLE
    } else {
        REVALIDATE
    }
}

/// The headers every `/pkg/` answer gets: its caching, and `Vary` since the body depends on
/// `Accept-Encoding` (a cache must not hand brotli to a browser that asked for gzip).
pub fn set_headers(path: &str, headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control(path)));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
}

/// The `/pkg/` directory, answering with `file.br` or `file.gz` when the browser accepts them.
pub fn service(options: &leptos::config::LeptosOptions) -> ServeDir {
    let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    ServeDir::new(dir).precompressed_br().precompressed_gzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_names_are_cached_for_good() {
        assert_eq!(cache_control("/pkg/app.0123456789abcdef.js"), IMMUTABLE);
        assert_eq!(cache_control("/pkg/app.0123456789abcdef_bg.wasm"), IMMUTABLE);
        assert_eq!(cache_control("/pkg/app.0123456789abcdef.css"), IMMUTABLE);
        assert_eq!(cache_control("/pkg/app.css"), REVALIDATE);
        assert_eq!(cache_control("/pkg/app_bg.wasm"), REVALIDATE);
        assert_eq!(cache_control("/pkg/app.notahexnumber00.js"), REVALIDATE);
        assert_eq!(cache_control("/pkg/output-name"), REVALIDATE);
    }

    #[test]
    fn the_recorded_name_must_be_the_output_name_and_a_hash() {
        assert!(is_hashed_name("app.0123456789abcdef", "app"));
        assert!(!is_hashed_name("app.0123456789abcde", "app"));
        assert!(!is_hashed_name("other.0123456789abcdef", "app"));
        assert!(!is_hashed_name("app.0123456789abcdef/../x", "app"));
    }
}
