//! *Check now* and *Refresh token*: outcomes recorded on the row and in the audit log, health as
//! the page shows it, the lease, and a race of two consoles and a platform-style refresher.
use app::wire::Health;
use aws_sdk_dynamodb::types::AttributeValue;
use end2end::linear::seed::{ACME_ID, INITRODE_ID};
use serde_json::Value;

use crate::helpers::*;

/// *Check now* or *Refresh token* as the page's form posts it: the query of the page it lands on.
async fn act(app: &TestApp, org_id: &str, action: &str) -> String {
    let endpoint = match action {
        "check" => "check_workspace",
        "refresh" => "refresh_workspace",
        other => panic!("no such button: {other}"),
    };
    let loc = app.submit(endpoint, &[("org_id", org_id)]).await;
    loc.split('?').nth(1).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn check_now_records_what_linear_said_and_the_page_shows_the_health() {
    let app = spawn_app().await;
    installed(&app, ACME_ID).await;
    assert_eq!(detail(&app, ACME_ID).await.summary.health, Health::Healthy);
    assert_eq!(act(&app, ACME_ID, "check").await, "notice=check_ok");
    let r = row(&app, ACME_ID).await.unwrap();
    assert_eq!(r["last_check_result"].as_s().unwrap(), "ok");
    assert!(r.contains_key("last_check_at") && r.contains_key("token_expires_at"));

    // The workspace removed the app on Linear's side: the unexpired token is refused.
    app.linear.control("revoke-grant", serde_json::json!({ "org_id": ACME_ID })).await;
    assert_eq!(act(&app, ACME_ID, "check").await, "notice=check_refused");
    let d = detail(&app, ACME_ID).await;
    assert_eq!(d.summary.health, Health::NeedsReconnect);
    assert_eq!(d.summary.last_check_result.as_deref(), Some("unauthenticated"));

    // Linear unwell: degraded, not dead.
    app.linear.fail("graphql", 1, "5xx").await;
    assert_eq!(act(&app, ACME_ID, "check").await, "notice=check_degraded");
    assert_eq!(detail(&app, ACME_ID).await.summary.health, Health::Degraded);
    let list: Vec<app::wire::WorkspaceSummary> = app.call(&app.client, "/api/workspaces").await.json().await.unwrap();
    assert_eq!(list.iter().find(|w| w.org_id == ACME_ID).unwrap().health, Health::Degraded, "the list agrees");

    let checks: Vec<app::wire::AuditEntry> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    assert_eq!(checks.iter().filter(|e| e.action == "workspace.check").count(), 3);
}

#[tokio::test]
async fn refresh_rotates_and_saves_at_once() {
    let app = spawn_app().await;
    let slug = installed(&app, ACME_ID).await;
    let before = bundle(&app, &slug).await.unwrap();
    assert_eq!(act(&app, ACME_ID, "refresh").await, "notice=refreshed");
    let after = bundle(&app, &slug).await.unwrap();
    assert_ne!(after["refresh_token"], before["refresh_token"]);
    assert_ne!(after["access_token"], before["access_token"]);
    assert_eq!(after["installed_at"], before["installed_at"], "installed_at is not changed by a refresh");
    crate::contract::bundle_usable(&after.to_string()).unwrap();
    assert_eq!(app.linear.refresh(before["refresh_token"].as_str().unwrap()).await.status(), 400, "the old one is spent");
    let r = row(&app, ACME_ID).await.unwrap();
    assert!(r.contains_key("last_refresh_at") && !r.contains_key("last_refresh_error"));
    assert!(!r.contains_key("console_lease_owner"), "the lease is released");
    assert_eq!(r["token_expires_at"].as_s().unwrap(), after["expires_at"].as_str().unwrap());
    assert_eq!(app.linear.refresh(after["refresh_token"].as_str().unwrap()).await.status(), 200, "the saved one is live");
}

#[tokio::test]
async fn refresh_failures_change_nothing_and_a_dead_grant_says_reconnect() {
    let app = spawn_app().await;
    let slug = installed(&app, ACME_ID).await;
    let before = bundle(&app, &slug).await.unwrap();
    app.linear.fail("token", 1, "5xx").await;
    assert_eq!(act(&app, ACME_ID, "refresh").await, "notice=refresh_failed");
    assert_eq!(bundle(&app, &slug).await.unwrap(), before);
    assert_eq!(detail(&app, ACME_ID).await.summary.health, Health::Degraded);

    // Another console instance holds the lease.
    use console_core::ports::RegistryStore;
    let registry = server::adapters::dynamodb::registry::DynamoRegistry::new(app.aws.dynamodb.clone(), app.local.registry_table.clone());
    let acme = console_core::ids::OrgId::parse(ACME_ID).unwrap();
    registry.take_lease(&acme, "someone-else", time::OffsetDateTime::now_utc().unix_timestamp(), 60).await.unwrap();
    assert_eq!(act(&app, ACME_ID, "refresh").await, "notice=refresh_busy");
    registry.release_lease(&acme, "someone-else", None).await.unwrap();

    app.linear.control("revoke-grant", serde_json::json!({ "org_id": ACME_ID })).await;
    assert_eq!(act(&app, ACME_ID, "refresh").await, "notice=grant_dead");
    assert_eq!(row(&app, ACME_ID).await.unwrap()["last_refresh_error"].as_s().unwrap(), "invalid_grant");
    assert_eq!(detail(&app, ACME_ID).await.summary.health, Health::NeedsReconnect);
    let outcomes: Vec<app::wire::AuditEntry> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    assert_eq!(outcomes.iter().filter(|e| e.action == "workspace.refresh").count(), 3);
}

#[tokio::test]
async fn revoked_or_unknown_workspaces_are_not_checked() {
    let app = spawn_app().await;
    installed(&app, INITRODE_ID).await;
    app.aws
        .dynamodb
        .update_item()
        .table_name(&app.local.registry_table)
        .key("linear_workspace_id", AttributeValue::S(INITRODE_ID.into()))
        .update_expression("SET #s = :r")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":r", AttributeValue::S("revoked".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(act(&app, INITRODE_ID, "check").await, "error=not_active");
    assert_eq!(act(&app, INITRODE_ID, "refresh").await, "error=not_active");
    assert_eq!(act(&app, "no-such-org", "refresh").await, "error=not_found");
}

/// A platform Lambda's refresh (contract §5): refresh, then PutSecretValue of the whole bundle;
/// on `invalid_grant`, a changed bundle means someone else won.
async fn platform_refresh(app: &TestApp, slug: &str) -> &'static str {
    let b = bundle(app, slug).await.unwrap();
    let res = app.linear.refresh(b["refresh_token"].as_str().unwrap()).await;
    if res.status() == 400 {
        let now = bundle(app, slug).await.unwrap();
        return if now["refresh_token"] != b["refresh_token"] { "lost the race" } else { "dead" };
    }
    let t: Value = res.json().await.unwrap();
    let mut next = b.clone();
    next["access_token"] = t["access_token"].clone();
    next["refresh_token"] = t["refresh_token"].clone();
    put_bundle(app, slug, &next).await;
    "refreshed"
}

#[tokio::test]
async fn two_consoles_and_a_platform_refresher_racing_for_100_rounds_lose_nothing() {
    let a = spawn_app().await;
    let slug = installed(&a, ACME_ID).await;
    let b = spawn_app_sharing(&a).await;
    b.sign_in_admin().await;
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..100 {
        let (x, y, p) = tokio::join!(act(&a, ACME_ID, "refresh"), act(&b, ACME_ID, "refresh"), platform_refresh(&a, &slug));
        for o in [x, y, p.to_owned()] {
            *seen.entry(o).or_default() += 1;
        }
    }
    assert!(!seen.contains_key("dead") && !seen.contains_key("notice=grant_dead"), "{seen:?}");
    for k in seen.keys() {
        assert!(
            ["notice=refreshed", "notice=already_refreshed", "notice=refresh_busy", "refreshed", "lost the race"].contains(&k.as_str()),
            "unexpected outcome {k}: {seen:?}"
        );
    }
    assert!(seen.get("notice=refreshed").copied().unwrap_or(0) > 0, "{seen:?}");
    let stored = bundle(&a, &slug).await.unwrap();
    assert_eq!(
        a.linear.refresh(stored["refresh_token"].as_str().unwrap()).await.status(),
        200,
        "the stored refresh token is live: {seen:?}"
    );
    println!("race outcomes: {seen:?}");
}
