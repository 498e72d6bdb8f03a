//! The site's files as a browser gets them: pages link the build's hashed names, which are
//! served compressed from the build step's copies and cached for good; pages are never cached.
use std::io::Read;

use crate::helpers::*;

/// A built site like `make build` leaves it: the three files, then the `assets` step.
fn built_site() -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("console-site-{}", uuid::Uuid::new_v4().simple()));
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("app.js"), "export default function init() {} // ".repeat(200)).unwrap();
    std::fs::write(pkg.join("app_bg.wasm"), b"\0asm\x01\0\0\0".repeat(500)).unwrap();
    std::fs::write(pkg.join("app.css"), "body { margin: 0 } ".repeat(300)).unwrap();
    style::assets::finish(&pkg, "app").unwrap();
    root
}

#[tokio::test]
async fn pages_link_hashed_files_served_compressed_and_cached_for_good() {
    let site = built_site();
    let hashed = std::fs::read_to_string(site.join("pkg/output-name")).unwrap().trim().to_owned();
    let endpoint = moto_endpoint();
    let local = end2end::bootstrap(&endpoint, "us-east-1", &unique_prefix(), PASSWORD).await.expect("bootstrap");
    let app = spawn_app_serving(local, &site).await;

    let page = app.client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store", "a page is never cached");
    let html = page.text().await.unwrap();
    for file in [format!("/pkg/{hashed}.css"), format!("/pkg/{hashed}.js"), format!("/pkg/{hashed}_bg.wasm")] {
        assert!(html.contains(&format!("\"{file}\"")), "the page links {file}");
    }
    assert!(!html.contains("\"/pkg/app.js\""), "not the plain name");

    let js = format!("/pkg/{hashed}.js");
    let plain = std::fs::read(site.join("pkg/app.js")).unwrap();
    let get = |encoding: &'static str| {
        let c = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
        let url = app.url(&js);
        async move { c.get(url).header("accept-encoding", encoding).send().await.unwrap() }
    };

    let br = get("gzip, deflate, br").await;
    assert_eq!(br.status(), 200);
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(br.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(br.headers()["vary"], "accept-encoding");
    let body = br.bytes().await.unwrap();
    assert!(body.len() < plain.len() / 5, "the brotli copy is sent, not the file");
    let mut out = Vec::new();
    brotli::Decompressor::new(body.as_ref(), 4096).read_to_end(&mut out).unwrap();
    assert_eq!(out, plain);

    let gz = get("gzip").await;
    assert_eq!(gz.headers()["content-encoding"], "gzip", "gzip where brotli is not accepted");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz.bytes().await.unwrap().as_ref()).read_to_end(&mut out).unwrap();
    assert_eq!(out, plain);

    let identity = get("identity").await;
    assert!(identity.headers().get("content-encoding").is_none());
    assert_eq!(identity.bytes().await.unwrap().as_ref(), plain.as_slice());

    // The plain names stay (the error page's stylesheet) but are asked for again each time.
    let css = app.client.get(app.url("/pkg/app.css")).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["cache-control"], "no-cache");
    let missing = app.client.get(app.url("/pkg/app.0000000000000000.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["cache-control"], "no-store", "a miss is not cached for a year");
    let _ = std::fs::remove_dir_all(site);
}
