//! Install and reconnect links, against moto and the Linear stand-in: made by an admin, used by a
//! browser with no session to install and to reconnect; a used, expired or wrong-workspace link
//! writes nothing and revokes the grant; every unusable link gets the same page.
use end2end::linear::seed::{ACME_ID, INITRODE_ID};

use crate::helpers::*;

/// A link made by the signed-in admin: its token (from the URL shown once).
async fn make_link(app: &TestApp, fields: &[(&str, &str)]) -> String {
    let to = app.submit("create_install_link", fields).await;
    assert!(to.contains("link=made"), "{to}");
    let shown: Option<String> = call_json(app, &app.client, "/api/new_install_link", "").await;
    let url = shown.expect("the new link, shown once");
    assert!(url.starts_with(&app.base), "{url}");
    let again: Option<String> = call_json(app, &app.client, "/api/new_install_link", "").await;
    assert_eq!(again, None, "shown once");
    url.rsplit('/').next().unwrap().to_owned()
}

/// A browser with no console session: opens the link, continues to Linear, consents for
/// `org_id`, and follows Linear back. Where it lands.
async fn use_link(app: &TestApp, token: &str, org_id: &str) -> String {
    let person = browser(&app.url(""));
    let page = person.get(app.url(&format!("/install/{token}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("admin@example.com") && !html.contains(token), "who asks, and never the token");
    let res = person.post(app.url(&format!("/install/{token}"))).form(&[("stated_by", "Lin Admin")]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let authorize = reqwest::Url::parse(&location(&res)).unwrap();
    assert!(authorize.as_str().starts_with(&app.linear.base), "{authorize}");
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("org_id".into(), org_id.into()));
    form.push(("decision".into(), "authorize".into()));
    let back = app.linear.http.post(format!("{}/oauth/authorize", app.linear.base)).form(&form).send().await.unwrap();
    let res = person.get(location(&back)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    location(&res)
}

async fn live_grants(app: &TestApp) -> Vec<String> {
    app.linear.world.lock().await.grants.values().filter(|g| !g.revoked).map(|g| g.org_id.clone()).collect()
}

#[tokio::test]
async fn a_link_installs_a_workspace_for_a_linear_admin_once_as_the_admins_install_would() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let acme = app.linear.slug(ACME_ID).await;
    let token = make_link(&app, &[("only_for", &acme), ("note", "For the agent pilot"), ("hours", "24")]).await;
    let landed = use_link(&app, &token, ACME_ID).await;
    assert_eq!(landed, format!("/install/done?result=installed&workspace={acme}"));
    // What an admin's install writes, with the link's maker as the installer.
    let registry_row = row(&app, ACME_ID).await.expect("the registry row");
    let admin_sub = registry_row["installed_by_platform_user_id"].as_s().unwrap().clone();
    let admin = app.idp().admin_get_user().user_pool_id(&app.local.user_pool_id).username("admin@example.com").send().await.unwrap();
    let sub = admin.user_attributes().iter().find(|a| a.name() == "sub").and_then(|a| a.value()).unwrap();
    assert_eq!(admin_sub, sub);
    assert_eq!(registry_row["status"].as_s().unwrap(), "active");
    crate::contract::bundle_usable(&bundle(&app, &acme).await.unwrap().to_string()).unwrap();
    // The admin sees it used, by whom and for what; the audit event names the link and the person.
    let links: Vec<app::install_links_view::LinkRow> = call_json(&app, &app.client, "/api/install_links", "").await;
    assert_eq!(links[0].status, app::install_links_view::LinkStatus::Used);
    assert!(links[0].used.as_deref().unwrap().contains(&acme) && links[0].used.as_deref().unwrap().contains("Lin Admin"));
    let page = audit_events(&app, ACME_ID, "workspace.install").await;
    let detail = page.entries[0].detail.clone().unwrap();
    assert!(detail.contains("through install link") && detail.contains("Lin Admin"), "{detail}");
    assert_eq!(page.entries[0].actor_email.as_deref(), Some("admin@example.com"));
    // Used: the same page as any link that cannot be used, and nothing written by a second try.
    let person = browser(&app.url(""));
    let used = person.get(app.url(&format!("/install/{token}"))).send().await.unwrap();
    assert_eq!(used.status(), 404);
    let used = used.text().await.unwrap();
    let unknown = person.get(app.url(&format!("/install/{}", "0".repeat(64)))).send().await.unwrap().text().await.unwrap();
    let words = |html: &str| html.split("data-testid=\"link-unusable\"").nth(1).map(|s| s.split("</p>").next().unwrap().to_owned());
    assert_eq!(words(&used), words(&unknown), "one answer for every unusable link");
    assert!(words(&used).is_some());
}

#[tokio::test]
async fn a_reused_link_a_wrong_workspace_and_an_expired_link_write_nothing_and_revoke_the_grant() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, INITRODE_ID).await;
    // A reconnect link for initrode, opened in two browsers: the first consent uses it.
    let token = make_link(&app, &[("org_id", INITRODE_ID)]).await;
    let person = browser(&app.url(""));
    let started = person.post(app.url(&format!("/install/{token}"))).form(&[("stated_by", "")]).send().await.unwrap();
    let authorize = reqwest::Url::parse(&location(&started)).unwrap();
    let initrode = app.linear.slug(INITRODE_ID).await;
    assert_eq!(use_link(&app, &token, INITRODE_ID).await, format!("/install/done?result=reconnected&workspace={initrode}"));
    let grants_before = live_grants(&app).await.len();
    // The second browser's consent comes back after: nothing written, its grant revoked.
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("org_id".into(), INITRODE_ID.into()));
    form.push(("decision".into(), "authorize".into()));
    let back = app.linear.http.post(format!("{}/oauth/authorize", app.linear.base)).form(&form).send().await.unwrap();
    let res = person.get(location(&back)).send().await.unwrap();
    assert!(location(&res).starts_with("/install/done?error=link_unusable&grant=revoked"), "{}", location(&res));
    assert_eq!(live_grants(&app).await.len(), grants_before, "the second grant did not stay live");

    // Bound to acme-eng, consented for initrode: refused, revoked, the link still waits.
    let acme = app.linear.slug(ACME_ID).await;
    let token = make_link(&app, &[("only_for", &acme)]).await;
    let landed = use_link(&app, &token, INITRODE_ID).await;
    assert!(landed.starts_with("/install/done?error=link_wrong_workspace&grant=revoked"), "{landed}");
    assert_eq!(row(&app, ACME_ID).await, None);
    assert_eq!(live_grants(&app).await.len(), grants_before);
    assert_eq!(app.client.get(app.url(&format!("/install/{token}"))).send().await.unwrap().status(), 200, "still waiting");

    // Expired (its expiry moved into the past in the table): the same page as an unknown link.
    let id = console_core::records::install_links::LinkToken::parse(&token).unwrap().id();
    app.aws
        .dynamodb
        .update_item()
        .table_name(&app.local.incidents_table)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S("install-link".into()))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(id))
        .update_expression("SET expires_at = :past")
        .expression_attribute_values(":past", aws_sdk_dynamodb::types::AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let stranger = browser(&app.url(""));
    assert_eq!(stranger.get(app.url(&format!("/install/{token}"))).send().await.unwrap().status(), 404);
    let res = stranger.post(app.url(&format!("/install/{token}"))).form(&[("stated_by", "x")]).send().await.unwrap();
    assert_eq!(location(&res), format!("/install/{token}"), "no consent starts");
}

#[tokio::test]
async fn only_admins_make_links_the_public_pages_are_throttled_and_a_revoked_link_opens_nothing() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let token = make_link(&app, &[]).await;
    let operator = browser(&app.url(""));
    app.sign_in_with(&operator, end2end::bootstrap::OPERATOR_EMAIL, PASSWORD).await;
    let res = operator.post(app.url("/api/create_install_link")).form(&[("hours", "24")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = app.form("create_install_link", &[("hours", "500")]).await;
    assert_eq!(location(&res), "/workspaces/connect?link=bad_expiry#install-links");
    // Revoked: opens nothing.
    let links: Vec<app::install_links_view::LinkRow> = call_json(&app, &app.client, "/api/install_links", "").await;
    assert!(app.submit("revoke_install_link", &[("id", &links[0].id)]).await.contains("link=revoked"));
    let stranger = browser(&app.url(""));
    assert_eq!(stranger.get(app.url(&format!("/install/{token}"))).send().await.unwrap().status(), 404);
    // Sixty requests a quarter hour per address, then 429 whatever the link.
    for _ in 0..59 {
        stranger.get(app.url("/install/not-a-link")).send().await.unwrap();
    }
    assert_eq!(stranger.get(app.url("/install/not-a-link")).send().await.unwrap().status(), 429);
}
