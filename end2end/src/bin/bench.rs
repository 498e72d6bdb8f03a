//! `bench`: the foundation's figures, printed (not asserted). Starts the console binary
//! given in `CONSOLE_BIN` (environment from the bootstrap), then measures: time to first
//! 200 on /healthz, first-load bytes (raw and gzip), SSR throughput and latency of /login
//! at 32 connections on loopback, and RSS idle and under that load.
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 32;
const LOAD_SECONDS: u64 = 10;
/// Bounds the load however fast the server is.
const MAX_REQUESTS: usize = 500_000;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).ok();
    enc.finish().map(|v| v.len()).unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let bin = std::env::var("CONSOLE_BIN").expect("CONSOLE_BIN: the linear-console binary to measure");
    let addr = std::env::var("CONSOLE_ADDR").unwrap_or_else(|_| "127.0.0.1:3500".into());
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder().no_gzip().build().unwrap();

    let started = Instant::now();
    let mut child = Command::new(&bin)
        .env("CONSOLE_ADDR", &addr)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the console");
    let pid = child.id();
    let startup = loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
            if r.status() == 200 {
                break started.elapsed();
            }
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the console did not answer /healthz within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = rss_kib(pid);

    // First load: the sign-in page and everything it pulls in.
    let html = http.get(format!("{base}/login")).send().await.unwrap().bytes().await.unwrap();
    let mut rows = vec![("HTML /login".to_string(), html.len(), gzip_len(&html))];
    for asset in ["/pkg/app.js", "/pkg/app_bg.wasm", "/pkg/app.css"] {
        let body = http.get(format!("{base}{asset}")).send().await.unwrap().bytes().await.unwrap();
        rows.push((asset.to_string(), body.len(), gzip_len(&body)));
    }

    // Load: 32 keep-alive connections, each its own client, for a fixed time.
    let deadline = Instant::now() + Duration::from_secs(LOAD_SECONDS);
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            while Instant::now() < deadline {
                peak.fetch_max(rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let load_start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let url = format!("{base}/login");
        let count = count.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).no_gzip().build().unwrap();
            let mut lat = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline && count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < MAX_REQUESTS {
                let t = Instant::now();
                match client.get(&url).send().await {
                    Ok(r) if r.status() == 200 => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    let elapsed = load_start.elapsed();
    let _ = sampler.await;
    latencies.sort();
    let _ = child.kill();
    let _ = child.wait();

    let kb = |b: usize| b as f64 / 1024.0;
    println!("first load (bytes):");
    let (mut raw, mut gz) = (0, 0);
    for (name, r, g) in &rows {
        println!("  {name:<18} {:>9.1} KiB raw {:>8.1} KiB gzip", kb(*r), kb(*g));
        raw += r;
        gz += g;
    }
    println!("  {:<18} {:>9.1} KiB raw {:>8.1} KiB gzip   (target <= 250 KB gzip)", "total", kb(raw), kb(gz));
    println!(
        "SSR /login, {CONNECTIONS} connections, {LOAD_SECONDS} s: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors   (target >= 3000 req/s, p99 <= 20 ms)",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        errors
    );
    println!(
        "RSS: idle {:.1} MiB, under load {:.1} MiB peak   (target idle <= 40 MB)",
        rss_idle as f64 / 1024.0,
        peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0
    );
    println!("start to first 200 on /healthz: {:.0} ms   (target <= 300 ms)", startup.as_secs_f64() * 1000.0);
}
