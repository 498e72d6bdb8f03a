//! The stand-in over HTTP, as the console will meet it.
use reqwest::redirect::Policy;
use serde_json::{json, Value};

use super::oauth::s256;
use super::seed::{ACME_ID, INITRODE_ID};
use super::{router, Settings, World};

const REDIRECT: &str = "http://127.0.0.1:3000/linear/callback";
const VERIFIER: &str = "a-verifier-of-the-right-length-0123456789-abcdefgh";

async fn spawn() -> (String, reqwest::Client) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(World::shared(Settings::default()))).await.unwrap() });
    (base, reqwest::Client::builder().redirect(Policy::none()).build().unwrap())
}

fn authorize_query(scope: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", "local-linear-client".into()),
        ("redirect_uri", REDIRECT.into()),
        ("response_type", "code".into()),
        ("scope", scope.into()),
        ("state", "st4te".into()),
        ("code_challenge", s256(VERIFIER)),
        ("code_challenge_method", "S256".into()),
        ("actor", "app".into()),
        ("prompt", "consent".into()),
    ]
}

/// Consents for `org_id` and returns the code from the redirect.
async fn consent(base: &str, c: &reqwest::Client, org_id: &str) -> String {
    let mut form = authorize_query("read write app:assignable app:mentionable");
    form.push(("org_id", org_id.into()));
    form.push(("decision", "authorize".into()));
    let res = c.post(format!("{base}/oauth/authorize")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let loc = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.starts_with(REDIRECT) && loc.ends_with("&state=st4te"), "{loc}");
    loc.split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned()
}

async fn exchange(base: &str, c: &reqwest::Client, code: &str, verifier: &str) -> reqwest::Response {
    c.post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", "local-linear-client"),
            ("client_secret", "local-linear-secret"),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
}

async fn refresh(base: &str, c: &reqwest::Client, token: &str) -> reqwest::Response {
    c.post(format!("{base}/oauth/token"))
        .basic_auth("local-linear-client", Some("local-linear-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap()
}

async fn gql(base: &str, c: &reqwest::Client, token: &str, query: &str, vars: Value) -> reqwest::Response {
    c.post(format!("{base}/graphql")).bearer_auth(token).json(&json!({ "query": query, "variables": vars })).send().await.unwrap()
}

async fn tokens(base: &str, c: &reqwest::Client, org: &str) -> Value {
    let code = consent(base, c, org).await;
    exchange(base, c, &code, VERIFIER).await.json().await.unwrap()
}

#[tokio::test]
async fn the_consent_page_validates_and_offers_every_workspace() {
    let (base, c) = spawn().await;
    let page = c.get(format!("{base}/oauth/authorize")).query(&authorize_query("read,write")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for text in ["Authorize", "Cancel", "acme-eng", "initrode", "<code>write</code>"] {
        assert!(html.contains(text), "{text} missing");
    }
    for (key, value, message) in [
        ("client_id", "other", "Unknown client_id"),
        ("redirect_uri", "http://evil.example/cb", "Invalid redirect_uri"),
        ("response_type", "token", "response_type"),
        ("code_challenge_method", "plain", "PKCE"),
    ] {
        let mut q = authorize_query("read");
        q.retain(|(k, _)| *k != key);
        q.push((key, value.into()));
        let res = c.get(format!("{base}/oauth/authorize")).query(&q).send().await.unwrap();
        assert_eq!(res.status(), 400, "{key}");
        assert!(res.text().await.unwrap().contains(message), "{key}");
    }
}

#[tokio::test]
async fn cancel_redirects_with_access_denied() {
    let (base, c) = spawn().await;
    let mut form = authorize_query("read");
    form.push(("decision", "cancel".into()));
    let res = c.post(format!("{base}/oauth/authorize")).form(&form).send().await.unwrap();
    let loc = res.headers()["location"].to_str().unwrap();
    assert!(loc.starts_with(&format!("{REDIRECT}?error=access_denied")) && loc.ends_with("state=st4te"), "{loc}");
}

#[tokio::test]
async fn codes_need_the_pkce_verifier_and_work_once() {
    let (base, c) = spawn().await;
    let code = consent(&base, &c, INITRODE_ID).await;
    let wrong = exchange(&base, &c, &code, "not-the-verifier").await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(exchange(&base, &c, &code, VERIFIER).await.status(), 400, "a failed exchange still used the code");

    let code = consent(&base, &c, INITRODE_ID).await;
    let ok: Value = exchange(&base, &c, &code, VERIFIER).await.json().await.unwrap();
    assert_eq!(ok["token_type"], "Bearer");
    assert_eq!(ok["expires_in"], 86399);
    assert_eq!(ok["scope"], "read write app:assignable app:mentionable");
    assert_eq!(exchange(&base, &c, &code, VERIFIER).await.status(), 400, "codes are single-use");

    let res = gql(
        &base,
        &c,
        ok["access_token"].as_str().unwrap(),
        "query { viewer { id name email } organization { id name urlKey } teams(first: 100) { nodes { key } } }",
        Value::Null,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-ratelimit-requests-remaining"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["organization"]["urlKey"], "initrode");
    assert!(body["data"]["viewer"]["email"].as_str().unwrap().ends_with("@oauthapp.linear.app"));
    assert_eq!(body["data"]["teams"]["nodes"], json!([{ "key": "CORE" }]));
}

#[tokio::test]
async fn refresh_rotates_and_a_used_refresh_token_is_invalid_grant() {
    let (base, c) = spawn().await;
    let first = tokens(&base, &c, ACME_ID).await;
    let old = first["refresh_token"].as_str().unwrap();
    let second: Value = refresh(&base, &c, old).await.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    let reuse = refresh(&base, &c, old).await;
    assert_eq!(reuse.status(), 400);
    assert_eq!(reuse.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(refresh(&base, &c, second["refresh_token"].as_str().unwrap()).await.status(), 200);

    let bad = c
        .post(format!("{base}/oauth/token"))
        .basic_auth("local-linear-client", Some("wrong"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert_eq!(bad.json::<Value>().await.unwrap()["error"], "invalid_client");
}

#[tokio::test]
async fn revoke_kills_the_grant_and_a_second_revoke_is_400() {
    let (base, c) = spawn().await;
    let t = tokens(&base, &c, ACME_ID).await;
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(c.post(format!("{base}/oauth/revoke")).bearer_auth(access).send().await.unwrap().status(), 200);
    assert_eq!(
        c.post(format!("{base}/oauth/revoke"))
            .form(&[("refresh_token", t["refresh_token"].as_str().unwrap())])
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    let res = gql(&base, &c, access, "query { viewer { id } }", Value::Null).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().await.unwrap()["errors"][0]["extensions"]["code"], "AUTHENTICATION_ERROR");
    assert_eq!(refresh(&base, &c, t["refresh_token"].as_str().unwrap()).await.status(), 400);
}

#[tokio::test]
async fn users_page_through_every_member_disabled_included_on_request() {
    let (base, c) = spawn().await;
    let t = tokens(&base, &c, ACME_ID).await;
    let access = t["access_token"].as_str().unwrap();
    let query = "query Users($after: String) { users(first: 50, after: $after, includeDisabled: true) { nodes { id name email displayName active admin guest app } pageInfo { hasNextPage endCursor } } }";
    let (mut all, mut after, mut pages) = (Vec::new(), Value::Null, 0);
    loop {
        let body: Value = gql(&base, &c, access, query, json!({ "after": after })).await.json().await.unwrap();
        let users = &body["data"]["users"];
        all.extend(users["nodes"].as_array().unwrap().clone());
        pages += 1;
        if users["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = users["pageInfo"]["endCursor"].clone();
    }
    assert_eq!((all.len(), pages), (260, 6));
    assert!(all.iter().any(|u| u["active"] == false));
    assert!(all.iter().any(|u| u["guest"] == true) && all.iter().any(|u| u["app"] == true));
    let active_only: Value =
        gql(&base, &c, access, "query { users(first: 250) { nodes { id active } pageInfo { hasNextPage endCursor } } }", Value::Null)
            .await
            .json()
            .await
            .unwrap();
    let nodes = active_only["data"]["users"]["nodes"].as_array().unwrap();
    let disabled = all.iter().filter(|u| u["active"] == false).count();
    assert_eq!(nodes.len(), 260 - disabled, "without includeDisabled the disabled are hidden");
    assert!(nodes.iter().all(|u| u["active"] == true));
}

#[tokio::test]
async fn the_control_api_injects_faults_revocations_and_short_lifetimes() {
    let (base, c) = spawn().await;
    let t = tokens(&base, &c, ACME_ID).await;
    let control = |path: &str, body: Value| c.post(format!("{base}/_control/{path}")).json(&body).send();

    control("fail", json!({ "endpoint": "token", "count": 2 })).await.unwrap();
    for _ in 0..2 {
        assert_eq!(refresh(&base, &c, t["refresh_token"].as_str().unwrap()).await.status(), 503);
    }
    let fresh: Value = refresh(&base, &c, t["refresh_token"].as_str().unwrap()).await.json().await.unwrap();
    assert!(fresh["access_token"].is_string(), "the faults were used up and the refresh token still works");

    control("revoke-grant", json!({ "org_id": ACME_ID })).await.unwrap();
    assert_eq!(gql(&base, &c, fresh["access_token"].as_str().unwrap(), "query { viewer { id } }", Value::Null).await.status(), 401);

    control("token-lifetime", json!({ "seconds": 1 })).await.unwrap();
    let short = tokens(&base, &c, INITRODE_ID).await;
    assert_eq!(short["expires_in"], 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(gql(&base, &c, short["access_token"].as_str().unwrap(), "query { viewer { id } }", Value::Null).await.status(), 401);

    control("reset", json!({})).await.unwrap();
    assert_eq!(tokens(&base, &c, INITRODE_ID).await["expires_in"], 86399);
}

#[tokio::test]
async fn control_api_shapes_scope_orgs_and_graphql_errors_and_lists_what_was_issued() {
    let (base, c) = spawn().await;
    let control = |path: &'static str, body: Value| {
        let c = c.clone();
        let base = base.clone();
        async move { c.post(format!("{base}/_control/{path}")).json(&body).send().await.unwrap().status() }
    };
    assert_eq!(control("scope-format", json!({ "array": true })).await, 204);
    let code = consent(&base, &c, ACME_ID).await;
    let tokens: Value = exchange(&base, &c, &code, VERIFIER).await.json().await.unwrap();
    assert_eq!(tokens["scope"], json!(["read", "write", "app:assignable", "app:mentionable"]));

    assert_eq!(control("org", json!({ "id": INITRODE_ID, "name": "Initrode", "url_key": "in.trode" })).await, 204);
    assert_eq!(control("org", json!({ "id": "new-org", "name": "New", "url_key": "new-org", "teams": ["NEW"] })).await, 204);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(control("fail", json!({ "endpoint": "graphql", "count": 1, "kind": "error_body" })).await, 204);
    let gql = |q: &'static str| c.post(format!("{base}/graphql")).bearer_auth(access).json(&json!({ "query": q })).send();
    let res = gql("{ organization { id urlKey } }").await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR");
    let body: Value = gql("{ organization { id urlKey } teams { nodes { key } } }").await.unwrap().json().await.unwrap();
    assert_eq!(body["data"]["organization"]["urlKey"], "acme-eng");
    assert_eq!(body["data"]["teams"]["pageInfo"]["hasNextPage"], false);

    let page = c.get(format!("{base}/oauth/authorize")).query(&authorize_query("read")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("in.trode") && page.contains("New (new-org)"), "the consent page lists the changed orgs");

    let issued: Value = c.get(format!("{base}/_control/issued")).send().await.unwrap().json().await.unwrap();
    assert_eq!(issued["access_tokens"], json!([access]));
    assert_eq!(issued["refresh_tokens"], json!([tokens["refresh_token"]]));
    assert_eq!(issued["client_secret"], "local-linear-secret");
}
