//! Exports of the registry, a workspace's links and its project mappings: the page's view, every
//! matching row, operators and admins only, limited per session, and never a token, a secret or
//! an invite code.
use end2end::linear::seed::{ACME_ID, WEB_APP_PROJECT_ID};

use crate::helpers::*;

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let res = client.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn every_export_holds_the_views_rows_and_no_token_secret_or_invite_code() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    let slug = app.linear.slug(ACME_ID).await;
    // A webhook secret, a link, an invite and a mapping, so each export has something to leak.
    let wh = "lin_wh_export0000000000000000000";
    assert!(app.submit("webhook_secret", &[("org_id", ACME_ID), ("webhook_secret", wh)]).await.contains("notice=webhook_"));
    let invited = app.submit("invite_user", &[("org_id", ACME_ID), ("linear_user_id", &member_id(3))]).await;
    assert!(invited.contains("notice=invited"), "{invited}");
    let fields = [("org_id", ACME_ID), ("project_id", WEB_APP_PROJECT_ID), ("repo", "acme/web"), ("version", "new")];
    assert!(app.submit("map_project", &fields).await.contains("notice=mapped"));
    let b = bundle(&app, &slug).await.unwrap();
    let mut secrets: Vec<String> = ["access_token", "refresh_token", "client_secret", "webhook_signing_secret"]
        .iter()
        .map(|k| b[*k].as_str().unwrap().to_owned())
        .collect();
    let code_row = app.aws.dynamodb.scan().table_name(&app.local.user_mapping_table).send().await.unwrap();
    let code = code_row
        .items()
        .iter()
        .filter_map(|i| i.get("linear_identity").and_then(|v| v.as_s().ok()))
        .find_map(|k| k.strip_prefix("pending#").map(str::to_owned))
        .expect("the invite's code");
    secrets.push(code);

    let projects_users = format!("/workspaces/{ACME_ID}/users.csv?state=invited");
    let users_json = format!("/workspaces/{ACME_ID}/users.json");
    let projects_csv = format!("/workspaces/{ACME_ID}/projects.csv?show=mapped");
    let projects_json = format!("/workspaces/{ACME_ID}/projects.json?q=Initiative");
    let exports = [
        ("/workspaces.csv?q=acme", "acme-eng"),
        ("/workspaces.json?status=healthy", "acme-eng"),
        (projects_users.as_str(), "Dana Whitfield"),
        (users_json.as_str(), "Member 260"),
        (projects_csv.as_str(), "acme/web"),
        (projects_json.as_str(), "Initiative 52"),
    ];
    // Five exports a minute per session: the last ones from a second admin session.
    let second = browser(&app.url(""));
    app.sign_in_with(&second, end2end::bootstrap::ADMIN_EMAIL, PASSWORD).await;
    for (i, (path, expected)) in exports.iter().enumerate() {
        let client = if i < 4 { &app.client } else { &second };
        let (status, body) = get(&app, client, path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(body.contains(expected), "{path} lacks {expected}: {body}");
        for s in &secrets {
            assert!(!body.contains(s.as_str()), "{path} holds a secret");
        }
    }
    // A sixth export within the minute from the first session is refused.
    let (status, _) = get(&app, &app.client, "/workspaces.csv").await;
    assert_eq!(status, 200);
    assert_eq!(get(&app, &app.client, "/workspaces.csv").await.0, 429);
}

#[tokio::test]
async fn an_export_is_the_views_rows_for_operators_not_viewers_and_bad_views_are_refused() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    // The users export is every matching row, not a page of 100.
    let (status, csv) = get(&app, &app.client, &format!("/workspaces/{ACME_ID}/users.csv")).await;
    assert_eq!(status, 200);
    assert_eq!(csv.lines().count(), 1 + 260, "a header and every member");
    assert!(csv.starts_with("linear_user_id,name,email,active,"));
    let (_, unlinked) = get(&app, &app.client, &format!("/workspaces/{ACME_ID}/users.json?state=suggested")).await;
    let rows: Vec<serde_json::Value> = serde_json::from_str(&unlinked).unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r["state"] == "suggested"), "the view's state only");
    // A view the page refuses is refused here too, naming the field.
    let (status, why) = get(&app, &app.client, "/workspaces.csv?status=fine").await;
    assert_eq!(status, 400);
    assert!(why.starts_with("status must be one of"), "{why}");
    let (status, _) = get(&app, &app.client, "/workspaces/not%20an%20id/users.csv").await;
    assert_eq!(status, 400);
    // Viewers read the pages but do not export them.
    let viewer = browser(&app.url(""));
    app.sign_in_with(&viewer, end2end::bootstrap::VIEWER_EMAIL, PASSWORD).await;
    assert_eq!(get(&app, &viewer, "/workspaces.csv").await.0, 403);
    let operator = browser(&app.url(""));
    app.sign_in_with(&operator, end2end::bootstrap::OPERATOR_EMAIL, PASSWORD).await;
    assert_eq!(get(&app, &operator, &format!("/workspaces/{ACME_ID}/projects.json")).await.0, 200);
}

/// A seed member's id (end2end/src/linear/seed.rs).
fn member_id(n: u32) -> String {
    let ns = 0xacceu32;
    format!("{ns:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", n & 0xffff, n % 0xfff, ns % 0xfff, n as u64 * 7919)
}
