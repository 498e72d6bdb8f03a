//! `cargo bench -p server --bench registry` (run by `make bench`): the registry page with 1,000
//! workspaces in moto (server time per request and bytes; after a change, and within the overview cache), and a health sweep of 1,000 workspaces
//! at concurrency 8 against the Linear stand-in. Prints figures; asserts nothing.
use std::time::Instant;

use end2end::figures::{ms, percentile};

const WORKSPACES: usize = 1_000;
const PAGE_LOADS: usize = 50;
const COLD_LOADS: usize = 10;

#[tokio::main]
async fn main() {
    let moto = end2end::Moto::start().expect("moto (run `make setup`)");
    let password = end2end::bootstrap::DEFAULT_DEMO_PASSWORD;
    let local = end2end::bootstrap(&moto.endpoint, "us-east-1", "bench-registry", password).await.expect("bootstrap");
    let sdk = end2end::sdk_config(&local.endpoint, &local.region).await;
    let aws = server::adapters::AwsClients::from_sdk(&sdk);

    // The Linear stand-in, and 1,000 workspaces whose bundles hold tokens it issued.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let linear = format!("http://{}", listener.local_addr().unwrap());
    let world = end2end::linear::World::shared(end2end::linear::Settings { rate_limit: 100_000, ..Default::default() });
    let app = end2end::linear::router(world.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let tokens = world.lock().await.live_tokens(end2end::linear::seed::ACME_ID, WORKSPACES);
    let now = console_core::time::iso_millis(time::OffsetDateTime::now_utc());
    let later = console_core::time::iso_millis(time::OffsetDateTime::now_utc() + time::Duration::hours(20));
    let seeded = Instant::now();
    let to = end2end::fixtures::LiveWorkspaces {
        dynamodb: &aws.dynamodb,
        secrets: &aws.secrets,
        registry_table: &local.registry_table,
        slug_prefix: "bench",
        now: &now,
        expires_at: &later,
    };
    end2end::fixtures::seed_live_workspaces(&to, tokens).await.expect("seed the workspaces");
    println!("seeded {WORKSPACES} workspaces in {:.1} s", seeded.elapsed().as_secs_f64());

    // The console, in this process, over that moto.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut env: std::collections::HashMap<String, String> = local.env().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    env.insert("CONSOLE_ADDR".into(), addr.to_string());
    env.insert("LINEAR_BASE_URL".into(), linear.clone());
    env.insert("LINEAR_API_URL".into(), linear.clone());
    env.insert("LINEAR_CLIENT_ID".into(), "local-linear-client".into());
    env.insert("LINEAR_CLIENT_SECRET".into(), "local-linear-secret".into());
    let config = server::config::Config::from_map(&env).expect("config");
    let options = server::leptos_options(&config);
    let state = server::build_state_with(config, options, aws.clone()).expect("state");
    let sweep_state = state.clone();
    tokio::spawn(async move { axum::serve(listener, server::router(state)).await.unwrap() });
    let base = format!("http://{addr}");

    // The sweep first: it leaves every row with its token expiry, as a running console would.
    // (The console's own sweeper: the default settings sweep 8 workspaces at a time.)
    let sweeper = sweep_state.services.sweeper.clone();
    let t = Instant::now();
    let report = sweeper.sweep_once().await;
    let sweep_time = t.elapsed();

    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", base.parse().unwrap());
    let browser =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).default_headers(headers).build().unwrap();
    let res = browser
        .post(format!("{base}/login"))
        .form(&[("email", end2end::bootstrap::ADMIN_EMAIL), ("password", password)])
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("set-cookie"), "sign-in");
    // Cold: the overview cache dropped before each load (as after any change), so each load Scans.
    let mut cold = Vec::new();
    for _ in 0..COLD_LOADS {
        sweep_state.services.views.bump();
        let t = Instant::now();
        let body = browser.get(format!("{base}/workspaces")).send().await.unwrap().bytes().await.unwrap();
        cold.push(t.elapsed());
        assert!(body.windows(10).any(|w| w == b"bench-0099"), "the first page (100 rows) rendered");
    }
    cold.sort();
    // Warm: paging, filtering and reloading within the cache's 10 s.
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..PAGE_LOADS {
        let t = Instant::now();
        let body = browser.get(format!("{base}/workspaces")).send().await.unwrap().bytes().await.unwrap();
        times.push(t.elapsed());
        bytes = body.len();
        assert!(body.windows(10).any(|w| w == b"bench-0099"), "the first page (100 rows) rendered");
    }
    times.sort();
    let gz = {
        use std::io::Write;
        let body = browser.get(format!("{base}/workspaces")).send().await.unwrap().bytes().await.unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&body).unwrap();
        enc.finish().unwrap().len()
    };
    println!(
        "registry page, {WORKSPACES} workspaces, {COLD_LOADS} loads after a change (Scan): p50 {:.1} ms, p99 {:.1} ms",
        ms(percentile(&cold, 0.5)),
        ms(percentile(&cold, 0.99)),
    );
    println!(
        "registry page, {WORKSPACES} workspaces, {PAGE_LOADS} loads within the overview cache: p50 {:.1} ms, p99 {:.1} ms, {:.0} KiB HTML ({:.0} KiB gzip)   (target p50 <= 250 ms)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        bytes as f64 / 1024.0,
        gz as f64 / 1024.0
    );
    println!(
        "health sweep, {WORKSPACES} workspaces, concurrency 8: {:.1} s ({} ok, {} failed)   (target <= 30 s)",
        sweep_time.as_secs_f64(),
        report.ok,
        report.failed
    );
    drop(moto);
}
