//! `security-check`: probes a running console (the local stack) as an attacker would and prints
//! a PASS/FAIL table: every server function and plain route without a session, with each role,
//! and cross-site; bad values in every field of every server function (overlong, NUL, escape
//! sequences, unicode, path tricks, wrong types) answered 4xx with a message, and nothing written;
//! then a consent through the Linear stand-in, and every response and the console's log searched
//! for the tokens and client secret the stand-in issued. Exits 1 on any FAIL.
//!
//! Environment: CONSOLE_BASE (default http://127.0.0.1:3000), LINEAR_BASE_URL, DEMO_PASSWORD,
//! CONSOLE_LOG_FILE (optional), and the bootstrap's variables (AWS_ENDPOINT_URL, AWS_REGION, the
//! table names) to count what is written.
use std::collections::HashMap;
use std::time::Duration;

use end2end::bootstrap::{ADMIN_EMAIL, OPERATOR_EMAIL, VIEWER_EMAIL};
use end2end::surface::{bad_values, with_field, Needs, PLAIN_ROUTES, PUBLIC_POSTS, SERVER_FUNCTIONS};
use reqwest::redirect::Policy;
use reqwest::{Client, Method};

struct Report {
    rows: Vec<(bool, String, String)>,
    /// Every body and header the console sent, for the token scan.
    seen: Vec<String>,
}

impl Report {
    fn check(&mut self, ok: bool, what: impl Into<String>, detail: impl Into<String>) {
        self.rows.push((ok, what.into(), detail.into()));
    }

    async fn keep(&mut self, res: reqwest::Response) -> (u16, String, String) {
        let status = res.status().as_u16();
        let location = res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let headers = format!("{:?}", res.headers());
        let body = res.text().await.unwrap_or_default();
        self.seen.push(format!("{headers}\n{body}"));
        (status, location, body)
    }
}

fn client(origin: &str) -> Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("origin", origin.parse().expect("origin"));
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .default_headers(h)
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

async fn send(c: &Client, method: &str, url: &str, body: &str, content_type: &str) -> reqwest::Response {
    let m = Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = c.request(m, url);
    if method != "GET" {
        req = req.header("content-type", content_type).body(body.to_owned());
    }
    req.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}

async fn signed_in(base: &str, email: &str, password: &str) -> Client {
    let c = client(base);
    let res = c.post(format!("{base}/login")).form(&[("email", email), ("password", password), ("next", "/workspaces")]).send().await;
    let ok = res.as_ref().ok().and_then(|r| r.headers().get("location")).and_then(|v| v.to_str().ok()) == Some("/workspaces");
    assert!(ok, "{email} could not sign in: is the stack running with DEMO_PASSWORD?");
    c
}

/// The platform's tables, from its stack's outputs (as the console finds them).
async fn platform_tables(sdk: &aws_config::SdkConfig) -> Vec<String> {
    let stack = std::env::var("PLATFORM_STACK_NAME").unwrap_or_default();
    let cfn = aws_sdk_cloudformation::Client::new(sdk);
    let out = cfn.describe_stacks().stack_name(&stack).send().await.ok();
    let outputs: Vec<(String, String)> = out
        .iter()
        .flat_map(|o| o.stacks())
        .flat_map(|s| s.outputs())
        .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
        .collect();
    ["LinearWorkspaceRegistryTableName", "LinearUserMappingTableName", "LinearProjectMappingTableName"]
        .iter()
        .filter_map(|k| outputs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()))
        .collect()
}

/// Items in the tables and secrets a refused request could write to (`None`: unreadable).
async fn written(sdk: &aws_config::SdkConfig, tables: &[String]) -> Option<Vec<usize>> {
    let db = aws_sdk_dynamodb::Client::new(sdk);
    let sm = aws_sdk_secretsmanager::Client::new(sdk);
    let mut counts = Vec::new();
    for table in tables {
        counts.push(db.scan().table_name(table).send().await.ok()?.items().len());
    }
    counts.push(sm.list_secrets().max_results(100).send().await.ok()?.secret_list().len());
    Some(counts)
}

#[tokio::main]
async fn main() {
    let base = std::env::var("CONSOLE_BASE").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let linear = std::env::var("LINEAR_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:3100".into());
    let password = std::env::var("DEMO_PASSWORD").unwrap_or_else(|_| end2end::bootstrap::DEFAULT_DEMO_PASSWORD.into());
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into());
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    let sdk = end2end::sdk_config(&endpoint, &region).await;
    let mut r = Report { rows: Vec::new(), seen: Vec::new() };
    let form = "application/x-www-form-urlencoded";

    // 1. No session: every server function 401, every plain route to sign-in.
    let anon = client(&base);
    for f in SERVER_FUNCTIONS {
        let (status, _, _) = r.keep(send(&anon, "POST", &format!("{base}{}", f.path), f.args, form).await).await;
        r.check(status == 401, format!("no session      {}", f.path), status.to_string());
    }
    for p in PLAIN_ROUTES {
        let (status, loc, _) = r.keep(send(&anon, p.method, &format!("{base}{}", p.path), p.form, form).await).await;
        r.check(status == 303 && loc.starts_with("/login"), format!("no session      {} {}", p.method, p.path), format!("{status} {loc}"));
    }

    // 2. Each role: allowed calls pass the role check, the others are 403.
    let members = [(Needs::Viewer, VIEWER_EMAIL), (Needs::Operator, OPERATOR_EMAIL), (Needs::Admin, ADMIN_EMAIL)];
    let mut clients = HashMap::new();
    for (role, email) in members {
        clients.insert(role, signed_in(&base, email, &password).await);
    }
    for (role, _) in members {
        let c = &clients[&role];
        for f in SERVER_FUNCTIONS {
            let (status, _, _) = r.keep(send(c, "POST", &format!("{base}{}", f.path), f.args, form).await).await;
            let allowed = role >= f.needs;
            let ok = if allowed { status != 401 && status != 403 && status < 500 } else { status == 403 };
            r.check(ok, format!("as {:<13} {}", role.label(), f.path), format!("{status} (needs {})", f.needs.label()));
        }
        for p in PLAIN_ROUTES {
            let (status, _, _) = r.keep(send(c, p.method, &format!("{base}{}", p.path), p.form, form).await).await;
            let ok = if role >= p.needs { status != 403 && status < 500 } else { status == 403 };
            r.check(ok, format!("as {:<13} {} {}", role.label(), p.method, p.path), format!("{status} (needs {})", p.needs.label()));
        }
    }

    // 3. Cross-site: with an admin's cookie but another site's Origin, every change is refused.
    let admin = &clients[&Needs::Admin];
    for f in SERVER_FUNCTIONS {
        let res = admin
            .post(format!("{base}{}", f.path))
            .header("origin", "https://evil.example")
            .header("content-type", form)
            .body(f.args)
            .send()
            .await;
        let (status, _, _) = r.keep(res.expect("cross-site call")).await;
        r.check(status == 403, format!("cross-site      {}", f.path), status.to_string());
    }
    for path in PUBLIC_POSTS.iter().copied().chain(PLAIN_ROUTES.iter().filter(|p| p.method == "POST").map(|p| p.path)) {
        let res =
            anon.post(format!("{base}{path}")).header("origin", "https://evil.example").header("content-type", form).body("").send().await;
        let (status, _, _) = r.keep(res.expect("cross-site post")).await;
        r.check(status == 403, format!("cross-site      POST {path}"), status.to_string());
    }

    // 4. Bad input, as an admin (who may call everything): 4xx with a message, nothing written.
    let tables = platform_tables(&sdk).await;
    let before = written(&sdk, &tables).await;
    for f in SERVER_FUNCTIONS {
        for (field, kind) in f.fields {
            for (what, value) in bad_values(*kind) {
                let body = with_field(f.args, field, &value);
                let (status, loc, text) = r.keep(send(admin, "POST", &format!("{base}{}", f.path), &body, form).await).await;
                let ok = (400..500).contains(&status) && !text.trim().is_empty() && loc.len() < 1_000;
                r.check(
                    ok,
                    format!("bad input       {} {field}: {what}", f.path),
                    format!("{status} {}", text.chars().take(60).collect::<String>()),
                );
            }
        }
        if !f.args.is_empty() {
            let (status, _, _) =
                r.keep(send(admin, "POST", &format!("{base}{}", f.path), r#"{"org_id":123,"prefix":[]}"#, "application/json").await).await;
            r.check((400..500).contains(&status), format!("wrong types     {}", f.path), status.to_string());
        }
    }
    for (path, body) in [("/linear/connect", "workspace=..%2F..%2Fx"), ("/login", "email=%00&password=x"), ("/login/mfa", "code=%00")] {
        let (status, _, _) = r.keep(send(admin, "POST", &format!("{base}{path}"), body, form).await).await;
        r.check(status < 500, format!("bad input       POST {path}"), status.to_string());
    }
    let after = written(&sdk, &tables).await;
    let same = tables.len() == 3 && before.is_some() && before == after;
    r.check(same, "bad input       nothing written", format!("registry, links, projects, secrets: {before:?} → {after:?}"));

    // 5. A consent through the stand-in, so real tokens exist; then look for them everywhere.
    let res = admin.post(format!("{base}/linear/connect")).form(&[("workspace", "")]).send().await.expect("connect");
    let (_, authorize, _) = r.keep(res).await;
    let plain = Client::builder().redirect(Policy::none()).build().expect("client");
    if let Ok(callback) = end2end::linear::consent(&plain, &linear, &authorize, end2end::linear::seed::INITRODE_ID).await {
        let (status, loc, _) = r.keep(admin.get(&callback).send().await.expect("callback")).await;
        r.check(status == 303 && loc.contains("notice="), "consent         install through the stand-in", loc.clone());
        for page in [loc.as_str(), "/workspaces", "/audit", "/api/workspaces"] {
            let res = if page.starts_with("/api/") {
                admin.post(format!("{base}{page}")).send().await
            } else {
                admin.get(format!("{base}{page}")).send().await
            };
            r.keep(res.expect("page")).await;
        }
    } else {
        r.check(false, "consent         install through the stand-in", authorize);
    }
    // 6. An install link: shown once to its maker (that answer is not scanned); its public pages
    //    (kept and scanned) must not repeat it, nor may the log.
    let made = admin.post(format!("{base}/api/create_install_link")).header("content-type", form).body("hours=1").send().await;
    let shown = admin.post(format!("{base}/api/new_install_link")).header("content-type", form).send().await;
    let link: Option<String> = match (made, shown) {
        (Ok(_), Ok(res)) => res.json::<Option<String>>().await.ok().flatten(),
        _ => None,
    };
    let token = link.as_deref().and_then(|u| u.rsplit('/').next()).unwrap_or("").to_owned();
    r.check(token.len() == 64, "install link    made and shown once", format!("{} characters", token.len()));
    let (status, _, _) = r.keep(send(&anon, "GET", &format!("{base}/install/{token}"), "", form).await).await;
    r.check(status == 200, "install link    its page opens without a session", status.to_string());
    let (status, _, _) = r.keep(send(&anon, "GET", &format!("{base}/install/{}", "f".repeat(64)), "", form).await).await;
    r.check(status == 404, "install link    an unknown link gets the one refusal", status.to_string());
    let (status, loc, _) = r.keep(send(&anon, "POST", &format!("{base}/install/{token}"), "stated_by=probe", form).await).await;
    r.check(
        status == 303 && loc.starts_with(&linear),
        "install link    continues to Linear's consent",
        format!("{status} {}", loc.chars().take(40).collect::<String>()),
    );

    // 7. Personal data: a viewer sees no one's email but their own, from any list of people (pages
    //    and server functions); operators and admins see them; and no session reads more than 60
    //    pages of people a minute.
    let initrode = end2end::linear::seed::INITRODE_ID;
    for (role, email) in members {
        let c = &clients[&role];
        let mut found: Vec<String> = Vec::new();
        for (method, path, body) in [
            ("GET", "/audit".to_owned(), ""),
            ("GET", "/users".to_owned(), ""),
            ("GET", format!("/workspaces/{initrode}/users"), ""),
            ("POST", "/api/audit".to_owned(), ""),
            ("POST", "/api/audit_search".to_owned(), "query[actor]="),
            ("POST", "/api/platform_users".to_owned(), "prefix="),
        ] {
            let url = format!("{base}{path}");
            let (status, _, text) = r.keep(send(c, method, &url, body, form).await).await;
            r.check(status == 200, format!("people          as {:<8} {method} {path}", role.label()), status.to_string());
            found.extend(full_emails(&text));
        }
        let others: Vec<&String> = found.iter().filter(|e| !e.eq_ignore_ascii_case(email)).collect();
        if role == Needs::Viewer {
            r.check(others.is_empty(), "people          a viewer sees no other email in full", format!("{} found", others.len()));
        } else {
            let sees = others.iter().any(|e| e.eq_ignore_ascii_case(ADMIN_EMAIL) || e.eq_ignore_ascii_case(OPERATOR_EMAIL));
            r.check(sees, format!("people          an {} sees people's emails", role.label()), format!("{} found", others.len()));
        }
    }
    let viewer = &clients[&Needs::Viewer];
    let mut first_refusal = None;
    for n in 1..=70 {
        let (status, _, _) = r.keep(send(viewer, "POST", &format!("{base}/api/audit"), "", form).await).await;
        if status == 429 {
            first_refusal = Some(n);
            break;
        }
    }
    r.check(
        first_refusal.is_some_and(|n| n <= 61),
        "people          60 pages a minute per session, then 429",
        format!("first refusal at call {first_refusal:?}"),
    );

    let issued: serde_json::Value =
        Client::new().get(format!("{linear}/_control/issued")).send().await.expect("issued").json().await.expect("issued json");
    let mut secrets: Vec<String> = Vec::new();
    if !token.is_empty() {
        secrets.push(token.clone());
    }
    for key in ["access_tokens", "refresh_tokens"] {
        secrets.extend(issued[key].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)));
    }
    secrets.extend(issued["client_secret"].as_str().map(str::to_owned));
    r.check(secrets.len() >= 3, "token scan      the stand-in issued tokens", format!("{} secrets to look for", secrets.len()));
    let leaked = secrets.iter().filter(|s| r.seen.iter().any(|seen| seen.contains(s.as_str()))).count();
    r.check(leaked == 0, "token scan      every response", format!("{} responses, {leaked} secrets found", r.seen.len()));
    match std::env::var("CONSOLE_LOG_FILE").ok().and_then(|p| std::fs::read_to_string(p).ok()) {
        Some(log) => {
            let found = secrets.iter().filter(|s| log.contains(s.as_str())).count();
            r.check(
                found == 0 && !log.is_empty(),
                "token scan      the console's log",
                format!("{} lines, {found} secrets found", log.lines().count()),
            );
        }
        None => r.check(false, "token scan      the console's log", "CONSOLE_LOG_FILE unreadable"),
    }

    let failed = r.rows.iter().filter(|(ok, _, _)| !ok).count();
    for (ok, what, detail) in &r.rows {
        println!("{}  {what:<70} {detail}", if *ok { "PASS" } else { "FAIL" });
    }
    println!("security-check: {} checks, {} passed, {failed} failed", r.rows.len(), r.rows.len() - failed);
    std::process::exit(if failed == 0 { 0 } else { 1 });
}

/// The emails in `text` written out in full (a masked one, `a***@example.com`, is not), URL-encoded
/// ones too.
fn full_emails(text: &str) -> Vec<String> {
    let local = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-' | '*');
    let domain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-');
    let text = text.replace("%40", "@");
    let mut out = Vec::new();
    for (i, _) in text.match_indices('@') {
        let before: String = text[..i].chars().rev().take_while(|c| local(*c)).collect::<Vec<_>>().into_iter().rev().collect();
        let after: String = text[i + 1..].chars().take_while(|c| domain(*c)).collect();
        let after = after.trim_end_matches(['.', '-']);
        if before.is_empty() || before.ends_with("***") || !after.contains('.') {
            continue;
        }
        out.push(format!("{before}@{after}"));
    }
    out
}
