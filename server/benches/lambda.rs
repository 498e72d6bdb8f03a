//! `cargo bench -p server --bench lambda` (run by `make bench`): the console binary in Lambda mode
//! against the Runtime API emulator, next to the same binary serving HTTP. Cold start (process start
//! to the first answered event), then warm `GET /login` in both modes, and the emulator alone (a bare
//! runtime loop with no console) to tell the transport from the console's work. Prints figures;
//! asserts nothing.
use std::time::{Duration, Instant};

use end2end::figures::{ms, percentile};
use end2end::lambda_api::{Answer, LambdaApi};
use serde_json::json;

const COLD_STARTS: usize = 10;
const WARM: usize = 200;

fn login_event() -> serde_json::Value {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/login", "rawQueryString": "", "cookies": [],
        "headers": { "host": "bench.lambda-url.us-east-1.on.aws", "accept": "text/html" },
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "bench.lambda-url.us-east-1.on.aws", "domainPrefix": "bench",
            "http": { "method": "GET", "path": "/login", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench" },
            "requestId": "r", "routeKey": "$default", "stage": "$default", "time": "30/Nov/2026:04:00:00 +0000", "timeEpoch": 0
        },
        "isBase64Encoded": false
    })
}

async fn invoke(api: &LambdaApi) -> Duration {
    let t = Instant::now();
    match api.invoke(login_event(), Duration::from_secs(30)).await {
        Ok(Answer::Response(r)) if r["statusCode"] == 200 => t.elapsed(),
        other => panic!("GET /login through Lambda: {other:?}"),
    }
}

/// The emulator's own cost per event, with no console behind it: a bare runtime loop that polls
/// `next` and posts back a `/login`-sized answer at once (what Lambda mode adds beyond the console's
/// work: two loopback HTTP exchanges and the event's JSON both ways).
async fn transport_floor(body_len: usize) -> Vec<Duration> {
    let api = LambdaApi::start().await.unwrap();
    let base = format!("http://{}/2018-06-01/runtime/invocation", api.addr);
    let answer = json!({ "statusCode": 200, "headers": { "content-type": "text/html; charset=utf-8" }, "body": "x".repeat(body_len), "isBase64Encoded": false });
    let runtime = tokio::spawn(async move {
        let http = reqwest::Client::new();
        loop {
            let Ok(next) = http.get(format!("{base}/next")).send().await else { return };
            let Some(id) = next.headers().get("lambda-runtime-aws-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned) else {
                return;
            };
            let event: serde_json::Value = next.json().await.unwrap_or_default();
            std::hint::black_box(event);
            if http.post(format!("{base}/{id}/response")).body(answer.to_string()).send().await.is_err() {
                return;
            }
        }
    });
    let mut floor = Vec::new();
    for _ in 0..WARM + 1 {
        let t = Instant::now();
        match api.invoke(login_event(), Duration::from_secs(10)).await {
            Ok(Answer::Response(_)) => floor.push(t.elapsed()),
            other => panic!("the bare runtime loop: {other:?}"),
        }
    }
    runtime.abort();
    floor.remove(0);
    floor.sort();
    floor
}

#[tokio::main]
async fn main() {
    let moto = end2end::Moto::start().expect("moto (run `make setup`)");
    let local = end2end::bootstrap(&moto.endpoint, "us-east-1", "bench-lambda", end2end::bootstrap::DEFAULT_DEMO_PASSWORD)
        .await
        .expect("bootstrap");
    let site = end2end::manifest_dir().join("..").join("target").join("site");
    let console = |extra: Vec<(&'static str, String)>| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_linear-console"))
            .envs(local.stack_env())
            .env("LEPTOS_SITE_ROOT", &site)
            .env("RUST_LOG", "warn")
            .envs(extra)
            .kill_on_drop(true)
            .spawn()
            .expect("the console binary")
    };
    let lambda_env = |api: &LambdaApi| {
        vec![
            ("AWS_LAMBDA_RUNTIME_API", api.addr.clone()),
            ("AWS_LAMBDA_FUNCTION_NAME", "linear-console".to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512".to_owned()),
        ]
    };

    // Cold starts: a fresh process each time (its DescribeStacks and first page included).
    let mut cold = Vec::new();
    for _ in 0..COLD_STARTS {
        let api = LambdaApi::start().await.unwrap();
        let started = Instant::now();
        let mut child = console(lambda_env(&api));
        invoke(&api).await;
        cold.push(started.elapsed());
        child.kill().await.ok();
    }
    cold.sort();

    // Warm: one process, many events.
    let api = LambdaApi::start().await.unwrap();
    let mut child = console(lambda_env(&api));
    invoke(&api).await;
    let mut lambda = Vec::new();
    for _ in 0..WARM {
        lambda.push(invoke(&api).await);
    }
    lambda.sort();
    child.kill().await.ok();

    // The same request in server mode.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut server = console(vec![("CONSOLE_ADDR", format!("127.0.0.1:{port}"))]);
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/login");
    let up = Instant::now();
    while http.get(&url).send().await.is_err() {
        assert!(up.elapsed() < Duration::from_secs(20), "the server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut direct = Vec::new();
    let mut page_len = 0;
    for _ in 0..WARM {
        let t = Instant::now();
        let res = http.get(&url).header("accept", "text/html").send().await.unwrap();
        assert_eq!(res.status(), 200);
        page_len = res.bytes().await.unwrap().len();
        direct.push(t.elapsed());
    }
    direct.sort();
    server.kill().await.ok();
    let floor = transport_floor(page_len).await;

    let (lp50, sp50) = (percentile(&lambda, 0.5), percentile(&direct, 0.5));
    println!("lambda cold start (process start to the first answered event), {COLD_STARTS} starts: p50 {:.1} ms, max {:.1} ms (target <= 300 ms)", ms(percentile(&cold, 0.5)), ms(percentile(&cold, 1.0)));
    println!(
        "GET /login warm, {WARM} requests: lambda p50 {:.2} ms p99 {:.2} ms; server p50 {:.2} ms p99 {:.2} ms; ratio {:.2} (target <= 1.2)",
        ms(lp50),
        ms(percentile(&lambda, 0.99)),
        ms(sp50),
        ms(percentile(&direct, 0.99)),
        lp50.as_secs_f64() / sp50.as_secs_f64()
    );
    let fp50 = percentile(&floor, 0.5);
    println!(
        "the emulator alone (a bare runtime loop answering a {page_len}-byte page at once, no console), {WARM} events: p50 {:.2} ms; lambda minus it p50 {:.2} ms against server {:.2} ms: ratio {:.2} (what Lambda mode adds is the transport)",
        ms(fp50),
        ms(lp50.saturating_sub(fp50)),
        ms(sp50),
        lp50.saturating_sub(fp50).as_secs_f64() / sp50.as_secs_f64()
    );
}
