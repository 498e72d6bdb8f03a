//! `bench`: the console's figures, printed (not asserted). Starts the console binary given in
//! `CONSOLE_BIN` (environment from the bootstrap), then measures: time to first 200 on /healthz,
//! SSR throughput and latency of /login at 32 connections on loopback, RSS idle and under that
//! load, the install callback's latency over 50 installs against moto and an in-process Linear
//! stand-in next to the sum of its backend calls (from `Server-Timing`), AWS calls per page, each
//! route's first load (raw, gzip, brotli) and time to interactive under "Fast 3G", and the load of
//! 200 signed-in sessions (see `load`). `BENCH_ONLY=load`: one install, then the load alone.
mod first_load;
mod load;

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
    let only_load = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "load");
    let addr = std::env::var("CONSOLE_ADDR").unwrap_or_else(|_| "127.0.0.1:3500".into());
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder().no_gzip().build().unwrap();

    // The Linear stand-in, in this process, with the console's callback registered.
    let linear_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let linear_base = format!("http://{}", linear_listener.local_addr().unwrap());
    let settings = end2end::linear::Settings { redirect_uris: vec![format!("{base}/linear/callback")], ..Default::default() };
    let linear_app = end2end::linear::router(end2end::linear::World::shared(settings.clone()));
    tokio::spawn(async move { axum::serve(linear_listener, linear_app).await.unwrap() });

    let started = Instant::now();
    let mut child = Command::new(&bin)
        .env("CONSOLE_ADDR", &addr)
        .env("CONSOLE_DEBUG_TIMING", "1")
        .env("LINEAR_BASE_URL", &linear_base)
        .env("LINEAR_API_URL", &linear_base)
        .env("LINEAR_CLIENT_ID", &settings.client_id)
        .env("LINEAR_CLIENT_SECRET", &settings.client_secret)
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

    // Load: 32 keep-alive connections, each its own client, for a fixed time.
    let deadline = Instant::now() + Duration::from_secs(if only_load { 0 } else { LOAD_SECONDS });
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
    let installs = install_latency(&base, &linear_base, if only_load { 1 } else { INSTALLS }).await;
    let skipped = || "BENCH_ONLY=load".to_owned();
    let trips = if only_load { Err(skipped()) } else { round_trips(&base).await };
    let first = if only_load { Err(skipped()) } else { first_loads(&base).await };
    let load = match std::env::var("AWS_ENDPOINT_URL") {
        Ok(moto) => {
            let sdk = end2end::sdk_config(&moto, &std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into())).await;
            let ddb = aws_sdk_dynamodb::Client::new(&sdk);
            let table = std::env::var("LINEAR_USER_MAPPING_TABLE")
                .unwrap_or_else(|_| format!("{}-LinearUserMapping", std::env::var("LOCAL_PREFIX").unwrap_or_else(|_| "bench".into())));
            load::run(&base, end2end::linear::seed::ACME_ID, &ddb, &table, &moto, pid).await
        }
        Err(_) => Err("AWS_ENDPOINT_URL is not set".into()),
    };
    let _ = child.kill();
    let _ = child.wait();

    match first {
        Ok((rows, ttis)) => {
            let kb = |b: usize| b as f64 / 1000.0;
            println!(
                "first load per route (cold cache: the HTML and the /pkg files it links; KB = 1000 bytes; target <= 250 KB as served):"
            );
            println!("  {:<44} {:>22} {:>32}", "", "HTML raw / gzip / br", "with CSS, JS, wasm: raw / gzip / br");
            for r in rows {
                println!(
                    "  {:<44} {:>6.1} / {:>5.1} / {:>5.1} KB {:>14.1} / {:>6.1} / {:>6.1} KB",
                    r.route,
                    kb(r.html[0]),
                    kb(r.html[1]),
                    kb(r.html[2]),
                    kb(r.total[0]),
                    kb(r.total[1]),
                    kb(r.total[2])
                );
            }
            for t in ttis {
                println!("  time to interactive, Chromium \"Fast 3G\", cold: {t}");
            }
        }
        Err(e) => println!("first load per route: not measured ({e})"),
    }
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
    match trips {
        Ok(pages) => {
            println!("AWS calls per page (warm console, moto's request recorder; target <= 3 each):");
            for (page, calls) in pages {
                println!("  {page:<48} {calls:>3}");
            }
        }
        Err(e) => println!("AWS calls per page: not measured ({e})"),
    }
    match installs {
        Ok((mut callback, mut backend)) => {
            callback.sort();
            backend.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let (p50, p99, b50) = (percentile(&callback, 0.5), percentile(&callback, 0.99), percentile(&backend, 0.5));
            println!(
                "install callback, {} installs: p50 {:.1} ms, p99 {:.1} ms; backend calls p50 {:.1} ms (p99 {:.1} ms); p50 ratio {:.2}   (target p50 <= 150 ms and <= 1.3x the backend sum)",
                callback.len(),
                ms(p50),
                ms(p99),
                ms(b50),
                ms(percentile(&backend, 0.99)),
                p50.as_secs_f64() / b50.as_secs_f64().max(1e-9)
            );
        }
        Err(e) => println!("install callback: not measured ({e})"),
    }
    match load {
        Ok(report) => report.print(),
        Err(e) => println!("load: not measured ({e})"),
    }
}

/// Signs the demo admin in (no cookie store: the session cookie is kept to hand to Chromium),
/// then measures every page's first load and the time to interactive of `/login` and `/workspaces`.
async fn first_loads(base: &str) -> Result<(Vec<first_load::Row>, Vec<String>), String> {
    let password = load::demo_password();
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_gzip().build().map_err(|e| e.to_string())?;
    let res = plain
        .post(format!("{base}/login"))
        .header("origin", base)
        .form(&[("email", end2end::bootstrap::ADMIN_EMAIL), ("password", password.as_str())])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("lc_session="))
        .and_then(|c| c.split(';').next())
        .ok_or("the demo admin could not sign in")?
        .to_owned();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", cookie.parse().map_err(|_| "cookie")?);
    let signed_in = reqwest::Client::builder().no_gzip().default_headers(headers).build().map_err(|e| e.to_string())?;
    let org = end2end::linear::seed::ACME_ID;
    let mut rows = first_load::per_route(&plain, base, &["/login".to_owned()]).await?;
    let routes = [
        "/workspaces".to_owned(),
        format!("/workspaces/{org}"),
        format!("/workspaces/{org}/users"),
        "/users".to_owned(),
        "/audit".to_owned(),
        "/incidents".to_owned(),
        "/settings".to_owned(),
        "/profile".to_owned(),
    ];
    rows.extend(first_load::per_route(&signed_in, base, &routes).await?);
    let ttis = [("/login", ""), ("/workspaces", cookie.as_str())]
        .into_iter()
        .map(|(route, cookie)| {
            first_load::time_to_interactive(&format!("{base}{route}"), cookie).unwrap_or_else(|e| format!("{route}: not measured ({e})"))
        })
        .collect();
    Ok((rows, ttis))
}

const INSTALLS: usize = 50;

/// AWS calls of each page, as moto's request recorder saw them: each page is loaded once (so the
/// console's caches are warm), then again while recording. Counts every service (DynamoDB, Secrets
/// Manager, Cognito). Needs a workspace installed (the install latency's).
async fn round_trips(base: &str) -> Result<Vec<(String, usize)>, String> {
    let moto = std::env::var("AWS_ENDPOINT_URL").map_err(|_| "AWS_ENDPOINT_URL is not set")?;
    let browser = load::signed_in_admin(base).await?;
    let plain = reqwest::Client::new();
    let recorder = |action: &'static str| {
        let (plain, moto) = (plain.clone(), moto.clone());
        async move { plain.post(format!("{moto}/moto-api/recorder/{action}")).send().await.map(|_| ()).map_err(|e| e.to_string()) }
    };
    let org = end2end::linear::seed::ACME_ID;
    let pages = [
        "/workspaces".to_owned(),
        format!("/workspaces/{org}"),
        format!("/workspaces/{org}/users"),
        "/audit".to_owned(),
        "/users".to_owned(),
        "/incidents".to_owned(),
    ];
    let mut out = Vec::new();
    for page in pages {
        browser.get(format!("{base}{page}")).send().await.map_err(|e| e.to_string())?.bytes().await.map_err(|e| e.to_string())?;
        recorder("reset-recording").await?;
        recorder("start-recording").await?;
        let res = browser.get(format!("{base}{page}")).send().await.map_err(|e| e.to_string())?;
        let ok = res.status().is_success();
        res.bytes().await.map_err(|e| e.to_string())?;
        recorder("stop-recording").await?;
        let recording = plain.get(format!("{moto}/moto-api/recorder/download-recording")).send().await.map_err(|e| e.to_string())?;
        let text = recording.text().await.map_err(|e| e.to_string())?;
        let calls = text.lines().filter(|l| !l.trim().is_empty()).count();
        out.push((if ok { page } else { format!("{page} (not 200)") }, calls));
    }
    Ok(out)
}

/// Signs in as the demo admin, then runs `INSTALLS` consents (the first an install, the rest
/// reconnects of the same workspace): the callback's time, and the summed `Server-Timing` durations.
async fn install_latency(base: &str, linear: &str, installs: usize) -> Result<(Vec<Duration>, Vec<Duration>), String> {
    let browser = load::signed_in_admin(base).await?;
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().map_err(|e| e.to_string())?;
    let loc = |r: &reqwest::Response| r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let (mut callback, mut backend) = (Vec::new(), Vec::new());
    for _ in 0..installs {
        let res = browser.post(format!("{base}/linear/connect")).form(&[("workspace", "")]).send().await.map_err(|e| e.to_string())?;
        let back = end2end::linear::consent(&plain, linear, &loc(&res), end2end::linear::seed::ACME_ID).await?;
        let t = Instant::now();
        let res = browser.get(&back).send().await.map_err(|e| e.to_string())?;
        let took = t.elapsed();
        if !loc(&res).contains("notice=") {
            return Err(format!("install failed: {}", loc(&res)));
        }
        let timing = res.headers().get("server-timing").and_then(|v| v.to_str().ok()).unwrap_or("");
        let sum: f64 = timing.split(',').filter_map(|m| m.split("dur=").nth(1)).filter_map(|d| d.trim().parse::<f64>().ok()).sum();
        callback.push(took);
        backend.push(Duration::from_secs_f64(sum / 1000.0));
    }
    Ok((callback, backend))
}
