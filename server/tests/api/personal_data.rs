//! The personal-data rule: operators and admins see people's emails, a viewer sees every email but
//! their own masked, on pages and in server functions alike; and nobody reads more than 60 pages of
//! people a minute per session.
use end2end::bootstrap::{ADMIN_EMAIL, OPERATOR_EMAIL, VIEWER_EMAIL};

use crate::helpers::*;

/// What a member gets from every way out that lists people (pages and server functions).
async fn every_list_of_people(app: &TestApp, client: &reqwest::Client) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for page in ["/audit", "/users"] {
        let res = client.get(app.url(page)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{page}");
        out.push((page.to_owned(), res.text().await.unwrap()));
    }
    for (f, body) in [("/api/audit", ""), ("/api/audit_search", "query[actor]=&after_change=true"), ("/api/platform_users", "prefix=")] {
        let res = client.post(app.url(f)).header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap();
        assert_eq!(res.status(), 200, "{f}");
        out.push((f.to_owned(), res.text().await.unwrap()));
    }
    out
}

#[tokio::test]
async fn a_viewer_sees_others_emails_masked_everywhere_and_an_operator_sees_them() {
    let app = spawn_app().await;
    app.sign_in_admin().await; // an audit event naming the admin, and the admin is in the pool
    let viewer = browser(&app.base);
    app.sign_in_with(&viewer, VIEWER_EMAIL, PASSWORD).await;
    for (way, body) in every_list_of_people(&app, &viewer).await {
        assert!(!body.contains(ADMIN_EMAIL) && !body.contains("admin%40example.com"), "{way} shows a viewer the admin's email");
        assert!(body.contains("a***@example.com") || body.contains("a***%40example.com"), "{way}: the admin, masked");
    }
    let header = viewer.get(app.url("/workspaces")).send().await.unwrap().text().await.unwrap();
    assert!(header.contains(VIEWER_EMAIL), "a viewer's own email is theirs to see");

    let operator = browser(&app.base);
    app.sign_in_with(&operator, OPERATOR_EMAIL, PASSWORD).await;
    for (way, body) in every_list_of_people(&app, &operator).await {
        assert!(body.contains(ADMIN_EMAIL), "{way}: an operator sees emails");
    }
}

#[tokio::test]
async fn nobody_reads_more_than_sixty_pages_of_people_a_minute_and_a_refused_argument_is_not_counted() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let search = |body: &'static str| {
        app.client.post(app.url("/api/audit_search")).header("content-type", "application/x-www-form-urlencoded").body(body).send()
    };
    for _ in 0..5 {
        assert_eq!(search("query[workspace]=..%2Fx").await.unwrap().status(), 400);
    }
    for n in 0..60 {
        assert_eq!(search("query[actor]=").await.unwrap().status(), 200, "page {n}");
    }
    let refused = search("query[actor]=").await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.text().await.unwrap().contains("Too many pages of people"));
    // The page itself counts against the same budget; other pages do not.
    assert_eq!(app.client.get(app.url("/audit")).send().await.unwrap().status(), 429);
    assert_eq!(app.client.get(app.url("/workspaces")).send().await.unwrap().status(), 200);
    // Another session has its own.
    let other = browser(&app.base);
    app.sign_in_with(&other, OPERATOR_EMAIL, PASSWORD).await;
    assert_eq!(app.call(&other, "/api/audit").await.status(), 200);
}
