//! Lambda mode end to end: the console binary itself, started as Lambda starts it, against the
//! Runtime API emulator in `end2end/`, fed Function URL events (payload 2.0) and a schedule event.
use std::time::Duration;

use end2end::lambda_api::{Answer, LambdaApi};
use serde_json::{json, Value};

use crate::helpers::*;

const DOMAIN: &str = "abcdefghij.lambda-url.us-east-1.on.aws";

/// A Function URL event, as Lambda delivers one.
fn event(method: &str, path_and_query: &str, headers: &[(&str, &str)], cookies: &[String], body: Option<&str>) -> Value {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let mut h = serde_json::Map::new();
    h.insert("host".into(), json!(DOMAIN));
    h.insert("x-forwarded-proto".into(), json!("https"));
    for (k, v) in headers {
        h.insert((*k).into(), json!(v));
    }
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "cookies": cookies,
        "headers": h,
        "requestContext": {
            "accountId": "123456789012", "apiId": "abcdefghij", "domainName": DOMAIN, "domainPrefix": "abcdefghij",
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "test" },
            "requestId": "r-1", "routeKey": "$default", "stage": "$default", "time": "30/Nov/2026:04:00:00 +0000", "timeEpoch": 1_795_000_000_000u64
        },
        "body": body,
        "isBase64Encoded": false
    })
}

async fn call(api: &LambdaApi, event: Value) -> Value {
    match api.invoke(event, Duration::from_secs(30)).await.expect("an answer") {
        Answer::Response(v) => v,
        Answer::Error(e) => panic!("the function failed: {e}"),
    }
}

fn body(res: &Value) -> String {
    let raw = res["body"].as_str().unwrap_or_default();
    if res["isBase64Encoded"].as_bool() == Some(true) {
        use base64::Engine;
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(raw).unwrap()).unwrap()
    } else {
        raw.to_owned()
    }
}

#[tokio::test]
async fn the_console_binary_serves_function_url_events_and_a_scheduled_sweep() {
    let endpoint = moto_endpoint();
    let local = end2end::bootstrap(&endpoint, "us-east-1", &format!("l{}", &uuid::Uuid::new_v4().simple().to_string()[..10]), PASSWORD)
        .await
        .unwrap();
    let api = LambdaApi::start().await.unwrap();
    let mut console = tokio::process::Command::new(env!("CARGO_BIN_EXE_linear-console"))
        .envs(local.stack_env())
        .env("CONSOLE_PUBLIC_URL", format!("https://{DOMAIN}"))
        .env("AWS_LAMBDA_RUNTIME_API", &api.addr)
        .env("AWS_LAMBDA_FUNCTION_NAME", "linear-console")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("LEPTOS_SITE_ROOT", end2end::manifest_dir().join("..").join("target").join("site"))
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .expect("the console binary");

    // The sign-in page renders through the event conversion.
    let login = call(&api, event("GET", "/login", &[("accept", "text/html")], &[], None)).await;
    assert_eq!(login["statusCode"], 200, "{login}");
    assert!(body(&login).contains("Sign in"), "the page");

    // An admin signs in: a form POST answered with a redirect and the session cookie.
    let origin = format!("https://{DOMAIN}");
    let form = format!("email={}&password={PASSWORD}&next=%2Fworkspaces", end2end::bootstrap::ADMIN_EMAIL.replace('@', "%40"));
    let headers = [("content-type", "application/x-www-form-urlencoded"), ("origin", origin.as_str()), ("accept", "text/html")];
    let signed_in = call(&api, event("POST", "/login", &headers, &[], Some(&form))).await;
    assert_eq!(signed_in["statusCode"], 303, "{signed_in}");
    assert_eq!(signed_in["headers"]["location"], "/workspaces");
    let cookies: Vec<String> = signed_in["cookies"]
        .as_array()
        .expect("Set-Cookie becomes the response's cookies")
        .iter()
        .filter_map(|c| c.as_str()?.split(';').next().map(str::to_owned))
        .collect();
    assert!(cookies.iter().any(|c| c.starts_with("__Host-lc_session=") || c.starts_with("lc_session=")), "{cookies:?}");

    // The cookie survives the conversion back: a page and a server function answer the admin.
    let page = call(&api, event("GET", "/workspaces", &[("accept", "text/html")], &cookies, None)).await;
    assert_eq!(page["statusCode"], 200, "{page}");
    let whoami = call(
        &api,
        event(
            "POST",
            "/api/whoami",
            &[("content-type", "application/x-www-form-urlencoded"), ("origin", origin.as_str())],
            &cookies,
            Some(""),
        ),
    )
    .await;
    assert_eq!(whoami["statusCode"], 200, "{whoami}");
    assert!(body(&whoami).contains(end2end::bootstrap::ADMIN_EMAIL), "{}", body(&whoami));

    // A change posted as a plain form: the server function answers with a redirect.
    let check = call(&api, event("POST", "/api/check_workspace", &headers, &cookies, Some("org_id=no-such-org"))).await;
    assert_eq!(check["statusCode"], 303, "{check}");
    assert_eq!(check["headers"]["location"], "/workspaces/no-such-org?error=not_found");

    // The schedule's event runs the health sweep (no workspace to check in this fresh registry).
    let sweep = call(&api, json!({ "version": "0", "id": "e-1", "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012", "time": "2026-11-30T04:00:00Z", "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123456789012:rule/linear-console-sweep"], "detail": {} })).await;
    assert_eq!(sweep["sweep"], "done", "{sweep}");
    assert_eq!(sweep["checked"], 0);
    console.kill().await.ok();
}
