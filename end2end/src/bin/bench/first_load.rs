//! What a browser with an empty cache downloads for each page: the HTML and the files it links
//! under `/pkg/` (the same hashed JS, wasm and CSS for every page: the islands bundle), raw and as
//! gzip and brotli would carry them; and the time to interactive under Chromium's "Fast 3G".
use std::io::Write;

pub struct Row {
    pub route: String,
    pub html: [usize; 3],
    pub total: [usize; 3],
}

pub fn sizes(bytes: &[u8]) -> [usize; 3] {
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 64 * 1024, 11, 22);
        let _ = w.write_all(bytes);
    }
    [bytes.len(), super::gzip_len(bytes), br.len()]
}

/// The `/pkg/...` files a page links (stylesheet, module preload, wasm preload).
fn linked_assets(html: &str) -> Vec<String> {
    let mut out: Vec<String> = html
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with("/pkg/"))
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Each route's first load, fetched with `client` (signed in where the route needs it).
pub async fn per_route(client: &reqwest::Client, base: &str, routes: &[String]) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut cache = std::collections::HashMap::<String, [usize; 3]>::new();
    for route in routes {
        let res = client.get(format!("{base}{route}")).send().await.map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("{route}: {}", res.status()));
        }
        let html = res.bytes().await.map_err(|e| e.to_string())?;
        let html_sizes = sizes(&html);
        let mut total = html_sizes;
        for asset in linked_assets(&String::from_utf8_lossy(&html)) {
            if !cache.contains_key(&asset) {
                let body = client
                    .get(format!("{base}{asset}"))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .bytes()
                    .await
                    .map_err(|e| e.to_string())?;
                cache.insert(asset.clone(), sizes(&body));
            }
            let s = cache[&asset];
            for i in 0..3 {
                total[i] += s[i];
            }
        }
        rows.push(Row { route: route.clone(), html: html_sizes, total });
    }
    Ok(rows)
}

/// `scripts/tti.mjs` for `url`, its JSON line.
pub fn time_to_interactive(url: &str, cookie: &str) -> Result<String, String> {
    let dir = end2end::manifest_dir();
    let out = std::process::Command::new("node")
        .arg(dir.join("scripts").join("tti.mjs"))
        .arg(url)
        .env("CONSOLE_COOKIE", cookie)
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("node: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let why = err.lines().find(|l| l.contains("Error") || l.starts_with("page.") || l.contains("error")).unwrap_or("failed");
        return Err(why.trim().chars().take(300).collect());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
