//! The member gate and its roles, the cross-site check and the security headers, over the real router.
use app::identity::Role;
use end2end::bootstrap::{ADMIN_EMAIL, OPERATOR_EMAIL, VIEWER_EMAIL};
use end2end::surface::{Needs, SERVER_FUNCTIONS};

use crate::helpers::*;

/// Every registered server function, enumerated: none may answer without an admin.
#[tokio::test]
async fn every_server_function_refuses_without_an_admin_session() {
    let app = spawn_app().await;
    let paths: Vec<(&str, http::Method)> = server_fn::axum::server_fn_paths().collect();
    assert!(paths.iter().any(|(p, _)| *p == "/api/whoami"), "{paths:?}");
    assert!(paths.len() >= 4, "{paths:?}");

    // No session at all.
    for (path, method) in &paths {
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path} without a session");
        assert_eq!(res.json::<app::errors::AppError>().await.unwrap(), app::errors::AppError::Unauthorized);
    }
    // A Cognito user outside the admin group, right after signing in.
    let _ = app.sign_in_user().await;
    for (path, method) in &paths {
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path} as a non-admin");
    }
    // And the same functions work for an admin, so the refusals above mean something.
    app.sign_in_admin().await;
    for (path, method) in &paths {
        let res = call_with_arguments(&app, &app.client, path, method).await;
        // An unknown workspace, or an unknown member of the pool.
        let unknown = [
            "/api/workspace",
            "/api/workspace_drops",
            "/api/workspace_users",
            "/api/suggested_links",
            "/api/reload_linear_users",
            "/api/workspace_projects",
            "/api/unmatched_members",
            "/api/member_sessions",
            "/api/end_member_session",
            "/api/end_member_sessions",
            "/api/reset_second_factor",
        ];
        let expected = if unknown.contains(path) { 404 } else { 200 };
        assert_eq!(res.status(), expected, "{path} as an admin");
    }
}

/// The role each server function needs, from the surface table the security script reads too.
fn role_needed(path: &str) -> Role {
    let f = SERVER_FUNCTIONS.iter().find(|f| f.path == path);
    match f.map(|f| f.needs) {
        Some(Needs::Viewer) => Role::Viewer,
        Some(Needs::Operator) => Role::Operator,
        Some(Needs::Admin) => Role::Admin,
        None => panic!("{path}: which role may call it? Add it to end2end::surface::SERVER_FUNCTIONS"),
    }
}

#[test]
fn the_surface_table_names_every_server_function_and_no_other() {
    let registered: std::collections::BTreeSet<&str> = server_fn::axum::server_fn_paths().map(|(p, _)| p).collect();
    let table: std::collections::BTreeSet<&str> = SERVER_FUNCTIONS.iter().map(|f| f.path).collect();
    assert_eq!(registered, table);
}

#[tokio::test]
async fn every_route_and_server_function_checks_the_callers_role() {
    let app = spawn_app().await;
    let paths: Vec<(&str, http::Method)> = server_fn::axum::server_fn_paths().collect();
    for (email, role) in [(VIEWER_EMAIL, Role::Viewer), (OPERATOR_EMAIL, Role::Operator), (ADMIN_EMAIL, Role::Admin)] {
        let client = browser(&app.base);
        let res = app.sign_in_with(&client, email, PASSWORD).await;
        assert_eq!(location(&res), "/audit", "{email} signs in");
        for (path, method) in &paths {
            let res = call_with_arguments(&app, &client, path, method).await;
            let allowed = role.allows(role_needed(path));
            if allowed {
                assert_ne!(res.status(), 403, "{path} as {role:?}");
                assert!(res.status() != 401, "{path} as {role:?}");
            } else {
                assert_eq!(res.status(), 403, "{path} as {role:?}");
                assert!(res.text().await.unwrap().contains(role.label()), "{path}: the refusal names the role");
            }
        }
        // The plain routes: consent (admin), its callback (admin), the CSV export (operator).
        let connect = client.post(app.url("/linear/connect")).form(&[("workspace", "")]).send().await.unwrap();
        assert_eq!(connect.status() == 403, !role.allows(Role::Admin), "connect as {role:?}");
        let callback = client.get(app.url("/linear/callback?code=x&state=y")).send().await.unwrap();
        assert_eq!(callback.status() == 403, !role.allows(Role::Admin), "callback as {role:?}");
        let csv = client.get(app.url("/audit.csv")).send().await.unwrap();
        assert_eq!(csv.status() == 403, !role.allows(Role::Operator), "CSV as {role:?}");
        // Pages: every role reads them; the buttons a role may not use are not there.
        let page = client.get(app.url("/workspaces")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert_eq!(html.contains("data-testid=\"connect-workspace\""), role.allows(Role::Admin), "connect button as {role:?}");
        assert!(html.contains("data-testid=\"role\"") && html.contains(role.label()), "the header names the role");
        let audit = client.get(app.url("/audit")).send().await.unwrap().text().await.unwrap();
        assert_eq!(audit.contains("data-testid=\"audit-csv\""), role.allows(Role::Operator), "CSV link as {role:?}");
    }
}

/// Calls a server function with well-formed arguments (an unknown workspace is a 404 from the
/// function itself, past the role check).
async fn call_with_arguments(app: &TestApp, client: &reqwest::Client, path: &str, method: &http::Method) -> reqwest::Response {
    let args = SERVER_FUNCTIONS.iter().find(|f| f.path == path).map(|f| f.args).unwrap_or("");
    client
        .request(method.clone(), app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(args)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn pages_redirect_to_sign_in_and_back() {
    let app = spawn_app().await;
    for (path, next) in [("/workspaces", "/workspaces"), ("/audit?x=1", "/audit%3Fx%3D1"), ("/", "/"), ("/users", "/users")] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(location(&res), format!("/login?next={next}"));
    }
    let login = app.client.get(app.url("/login?next=/users")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    assert!(login.text().await.unwrap().contains("value=\"/users\""));
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let evil = [("origin", "http://evil.example"), ("sec-fetch-site", "cross-site")];
    for (h, v) in evil {
        let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let res = plain.post(app.url("/login")).header(h, v).form(&[("email", ADMIN_EMAIL), ("password", PASSWORD)]).send().await.unwrap();
        assert_eq!(res.status(), 403, "sign-in with {h}: {v}");
        assert!(set_cookie(&res).is_none());
    }
    // A signed-in admin's browser, tricked by another site: the cookie goes along, the request does not.
    let res = app.client.post(app.url("/api/whoami")).header("sec-fetch-site", "cross-site").send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = app.client.post(app.url("/logout")).header("origin", "http://evil.example").send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.call(&app.client, "/api/whoami").await.status(), 200, "the refused sign-out changed nothing");
    // Same-origin fetches still work.
    let res = app.client.post(app.url("/api/whoami")).header("sec-fetch-site", "same-origin").send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn pages_carry_a_nonce_csp_and_are_not_cached() {
    let app = spawn_app().await;
    let login = app.client.get(app.url("/login")).send().await.unwrap();
    let csp = login.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("nonce").to_owned();
    assert_eq!(login.headers()["x-content-type-options"], "nosniff");
    assert_eq!(login.headers()["referrer-policy"], "same-origin");
    assert_eq!(login.headers()["cross-origin-opener-policy"], "same-origin");
    assert!(login.headers()["permissions-policy"].to_str().unwrap().contains("camera=()"));
    assert!(login.headers().get("strict-transport-security").is_none(), "no HSTS over plain http");
    let html = login.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "scripts carry the header's nonce");

    app.sign_in_admin().await;
    let page = app.client.get(app.url("/workspaces")).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    let csp2 = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(!csp2.contains(&nonce), "a fresh nonce per response");
    let api = app.call(&app.client, "/api/whoami").await;
    assert_eq!(api.headers()["cache-control"], "no-store");
    assert!(api.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn https_public_urls_get_secure_cookies() {
    let base = spawn_app().await;
    let app = spawn_app_for(base.local.clone(), &[("CONSOLE_PUBLIC_URL", "https://console.example.com")]).await;
    let client = browser("https://console.example.com");
    let res = app.sign_in_with(&client, ADMIN_EMAIL, PASSWORD).await;
    let cookie = set_cookie(&res).expect("cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
    // The `__Host-` prefix: browsers then refuse it from any other host, or without Secure and Path=/.
    assert!(cookie.starts_with("__Host-lc_session="), "{cookie}");
    assert!(cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
    assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    let page = client.get(app.url("/workspaces")).send().await.unwrap();
    assert_eq!(page.status(), 200, "the prefixed cookie is the session's");
}

/// A plain form post (no wasm yet) after the session ended goes to sign in, not to a JSON 401;
/// and a Referer that is not this console's is never a place leptos may send the admin back to.
#[tokio::test]
async fn plain_form_posts_without_a_session_go_to_sign_in_and_foreign_referers_are_dropped() {
    let app = spawn_app().await;
    let res = app.form("check_workspace", &[("org_id", "x")]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/login".to_owned()));

    app.sign_in_admin().await;
    // A malformed post (a required field missing) fails inside leptos, which sends a plain form
    // back to its Referer: an outside one is dropped first.
    let res = app
        .client
        .post(app.url("/api/remove_workspace"))
        .header("accept", "text/html")
        .header("referer", "https://evil.example/phish")
        .form(&[("org_id", "x")])
        .send()
        .await
        .unwrap();
    let to = location(&res);
    assert!(to.is_empty() || (to.starts_with('/') && !to.starts_with("//")), "stays on the console: {} to {to:?}", res.status());
    let res = app
        .client
        .post(app.url("/api/remove_workspace"))
        .header("accept", "text/html")
        .header("referer", app.url("/workspaces/x"))
        .form(&[("org_id", "x")])
        .send()
        .await
        .unwrap();
    assert!(location(&res).starts_with(&app.url("/workspaces/x?")), "the console's own page is kept: {}", location(&res));
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_anything_reads_it() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let big = "q=".to_owned() + &"a".repeat(server::BODY_LIMIT + 1);
    for path in ["/login", "/api/link_user", "/api/whoami"] {
        let res = app
            .client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413, "{path}");
    }
}

#[tokio::test]
async fn the_csv_export_is_limited_per_session() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    for i in 0..5 {
        assert_eq!(app.client.get(app.url("/audit.csv")).send().await.unwrap().status(), 200, "export {i}");
    }
    let res = app.client.get(app.url("/audit.csv")).send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "60");
    // Another session is not held back.
    let other = browser(&app.base);
    app.sign_in_with(&other, ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(other.get(app.url("/audit.csv")).send().await.unwrap().status(), 200);
}
