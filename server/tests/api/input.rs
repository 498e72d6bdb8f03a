//! Bad input is the client's mistake: every field and argument is checked at the edge, answered
//! with a 400 that names it, never echoed unbounded into a URL or header, and nothing is written.
use end2end::linear::seed::ACME_ID;

use crate::helpers::*;

/// Items in the console's own tables that a refused request could have written.
async fn written(app: &TestApp) -> (usize, usize) {
    let scan = |t: String| {
        let db = app.aws.dynamodb.clone();
        async move { db.scan().table_name(t).send().await.unwrap().items().len() }
    };
    (scan(app.local.user_mapping_table.clone()).await, scan(app.local.registry_table.clone()).await)
}

#[tokio::test]
async fn malformed_fields_answer_400_naming_the_field_and_write_nothing() {
    let app = spawn_app().await;
    installed(&app, ACME_ID).await;
    let before = written(&app).await;
    let long = "a".repeat(100_000);
    // (server function, urlencoded fields, the field the message must name)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        ("workspace", vec![("org_id", "../../etc/passwd")], "org_id"),
        ("workspace", vec![("org_id", "a\0b")], "org_id"),
        ("workspace", vec![("org_id", &long)], "org_id"),
        ("check_workspace", vec![("org_id", "x y")], "org_id"),
        ("link_user", vec![("org_id", ACME_ID), ("linear_user_id", "a#b"), ("platform_user_id", "s")], "linear_user_id"),
        ("link_user", vec![("org_id", ACME_ID), ("linear_user_id", "u"), ("platform_user_id", "s"), ("q", &long)], "q"),
        ("unlink_user", vec![("org_id", ACME_ID), ("linear_user_id", "u"), ("platform_user_id", "s"), ("state", "bogus")], "state"),
        ("reload_users", vec![("org_id", ACME_ID), ("page", "-1")], "page"),
        ("revoke_invite", vec![("org_id", ACME_ID), ("code", "<script>")], "code"),
        ("unlink_identity", vec![("identity", "a b"), ("platform_user_id", "s")], "identity"),
        ("platform_users", vec![("prefix", "a\"b")], "prefix"),
        ("platform_users", vec![("prefix", "\u{7}")], "prefix"),
        ("platform_users", vec![("prefix", "a"), ("next", "../")], "next"),
        ("platform_users", vec![("prefix", "a"), ("next", "<b>")], "next"),
        ("platform_users", vec![("prefix", "a"), ("next", "éabc")], "next"),
        // Shaped like a page token, but not one the pool gave: still the client's mistake.
        ("platform_users", vec![("prefix", "a"), ("next", "bm90LWEtdG9rZW4=")], "next"),
        ("audit_search", vec![("query[from]", "yesterday")], "from"),
        ("audit_search", vec![("query[before]", "2026-11-30|")], "before"),
        ("remove_workspace", vec![("org_id", ACME_ID), ("confirm", &long), ("mode", "revoke")], "confirm"),
    ];
    for (endpoint, fields, field) in &cases {
        for accept in ["application/json", "text/html"] {
            let res = app.client.post(app.url(&format!("/api/{endpoint}"))).header("accept", accept).form(fields).send().await.unwrap();
            let status = res.status();
            let location = location(&res);
            let body = res.text().await.unwrap();
            assert_eq!(status, 400, "{endpoint} {field} ({accept}): {body}");
            assert!(body.contains(field), "{endpoint}: the message names {field}: {body}");
            assert!(location.len() < 1_000, "{endpoint}: nothing unbounded in Location");
        }
    }
    assert_eq!(written(&app).await, before, "nothing was written");
}

#[tokio::test]
async fn arguments_of_the_wrong_type_or_missing_are_400_not_500() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let res = app
        .client
        .post(app.url("/api/workspace"))
        .header("content-type", "application/json")
        .body(r#"{"org_id":123}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "{}", res.text().await.unwrap());
    let res = app.client.post(app.url("/api/remove_workspace")).form(&[("org_id", ACME_ID)]).send().await.unwrap();
    assert_eq!(res.status(), 400, "a missing argument");
    assert!(res.text().await.unwrap().contains("could not be read"));
}

#[tokio::test]
async fn plain_routes_refuse_malformed_input_with_400() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let res = app.client.post(app.url("/linear/connect")).form(&[("workspace", "../x")]).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("workspace"));
    for q in ["from=yesterday", "workspace=%00", "actor=a%0Ab"] {
        let res = app.client.get(app.url(&format!("/audit.csv?{q}"))).send().await.unwrap();
        assert_eq!(res.status(), 400, "{q}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("ValidationException"), "{q}: {body}");
    }
    let page = app.client.get(app.url("/workspaces/..%2F..%2Fx")).send().await.unwrap();
    assert_eq!(page.status(), 400, "a malformed workspace id in a page's URL");
}

#[tokio::test]
async fn a_path_with_a_trailing_or_doubled_slash_goes_to_its_page_not_to_an_error() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    for (path, to) in [("/workspaces/", "/workspaces"), ("/workspaces//users?q=a", "/workspaces/users?q=a"), ("/audit/", "/audit")] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 308, "{path}");
        assert_eq!(location(&res), to);
    }
    assert_eq!(app.client.get(app.url("/workspaces")).send().await.unwrap().status(), 200);
}
