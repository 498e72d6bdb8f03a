//! Where the console must behave as the platform's own code does (UPSTREAM_CONTRACT.md §9):
//! bundle fields it does not know survive, a reconnect leaves the row an install leaves, the
//! installer stays the installer, vault rows are not shown as healthy, a late-saving refresher is
//! waited for, and expired invites are deleted.
use std::collections::{BTreeSet, HashMap};

use app::wire::Health;
use aws_sdk_dynamodb::types::AttributeValue;
use end2end::linear::seed::{ACME_ID, INITRODE_ID};
use serde_json::Value;

use crate::helpers::*;

async fn set_attributes(app: &TestApp, org_id: &str, attrs: &[(&str, &str)]) {
    let mut req =
        app.aws.dynamodb.update_item().table_name(&app.local.registry_table).key("linear_workspace_id", AttributeValue::S(org_id.into()));
    let mut sets = Vec::new();
    for (i, (k, v)) in attrs.iter().enumerate() {
        sets.push(format!("#a{i} = :v{i}"));
        req = req
            .expression_attribute_names(format!("#a{i}"), *k)
            .expression_attribute_values(format!(":v{i}"), AttributeValue::S((*v).into()));
    }
    req.update_expression(format!("SET {}", sets.join(", "))).send().await.unwrap();
}

#[tokio::test]
async fn bundle_fields_the_console_does_not_know_survive_a_refresh_and_a_reconnect() {
    let app = spawn_app().await;
    let slug = installed(&app, ACME_ID).await;
    let mut b = bundle(&app, &slug).await.unwrap();
    b["agent_runtime_hint"] = Value::String("keep me".into());
    b["vault"] = serde_json::json!({ "provider": "none" });
    put_bundle(&app, &slug, &b).await;

    assert!(app.submit("refresh_workspace", &[("org_id", ACME_ID)]).await.ends_with("notice=refreshed"));
    let refreshed = bundle(&app, &slug).await.unwrap();
    assert_ne!(refreshed["refresh_token"], b["refresh_token"], "it did refresh");
    assert_eq!(refreshed["agent_runtime_hint"], "keep me");
    assert_eq!(refreshed["vault"]["provider"], "none");

    let res = app.consent(Some(ACME_ID), ACME_ID, "authorize").await;
    assert!(location(&res).ends_with("notice=reconnected"));
    let reconnected = bundle(&app, &slug).await.unwrap();
    assert_ne!(reconnected["refresh_token"], refreshed["refresh_token"], "it did reconnect");
    assert_eq!(reconnected["agent_runtime_hint"], "keep me");
    assert_eq!(reconnected["vault"]["provider"], "none");
    crate::contract::bundle_usable(&reconnected.to_string()).unwrap();
}

#[tokio::test]
async fn a_reconnect_leaves_the_row_an_install_leaves_and_keeps_the_installer() {
    let app = spawn_app().await;
    installed(&app, ACME_ID).await;
    let installed_row = row(&app, ACME_ID).await.unwrap();
    let admin_sub = installed_row["installed_by_platform_user_id"].as_s().unwrap().clone();
    // Onboarded to the vault and a gateway once, installed by another admin, revoked since.
    set_attributes(
        &app,
        ACME_ID,
        &[
            ("provider_name", "linear-acme"),
            ("vault_user_id", "vu-1"),
            ("gateway_id", "gw-1"),
            ("gateway_url", "https://gw.example"),
            ("some_future_attribute", "x"),
            ("installed_by_platform_user_id", "sub-first-installer"),
            ("status", "revoked"),
            ("revoked_reason", "vault_consent_required"),
            ("last_check_result", "unauthenticated"),
        ],
    )
    .await;
    let slug = app.linear.slug(ACME_ID).await;
    let mut b = bundle(&app, &slug).await.unwrap();
    b["installed_by_platform_user_id"] = Value::String("sub-first-installer".into());
    put_bundle(&app, &slug, &b).await;

    let res = app.consent(Some(ACME_ID), ACME_ID, "authorize").await;
    assert!(location(&res).ends_with("notice=reconnected"));
    let item = row(&app, ACME_ID).await.unwrap();
    let keys: BTreeSet<&str> = item.keys().map(String::as_str).collect();
    let install: BTreeSet<&str> = installed_row.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = install.iter().copied().chain(["reconnected_by_platform_user_id", "reconnected_at"]).collect();
    assert_eq!(keys, expected, "what an install writes plus who reconnected, nothing else");
    assert_eq!(item["installed_by_platform_user_id"].as_s().unwrap(), "sub-first-installer", "the installer stays the installer");
    assert_eq!(item["reconnected_by_platform_user_id"].as_s().unwrap(), &admin_sub);
    assert_eq!(bundle(&app, &slug).await.unwrap()["installed_by_platform_user_id"], "sub-first-installer", "in the bundle too");
    assert!(matches!(crate::contract::read_registry_row(&item), crate::contract::PlatformReading::Active { .. }));
    assert_eq!(detail(&app, ACME_ID).await.summary.health, Health::Healthy, "no longer vault-managed");
    let events: Vec<app::wire::AuditEntry> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    let reconnect = events.iter().find(|e| e.action == "workspace.reconnect").unwrap();
    assert_eq!(reconnect.actor_sub.as_deref(), Some(admin_sub.as_str()), "the audit log names who reconnected");
}

#[tokio::test]
async fn a_vault_row_is_shown_as_not_usable_unless_its_bundle_holds_tokens() {
    // The rows and bundles are changed behind the console's back (as the platform would): nothing reused.
    let app = spawn_app_without_caches().await;
    let slug = installed(&app, ACME_ID).await;
    set_attributes(&app, ACME_ID, &[("provider_name", "linear-acme"), ("vault_user_id", "vu-1")]).await;
    // The bundle still holds tokens the platform reads: judged like any other workspace.
    assert_eq!(detail(&app, ACME_ID).await.summary.health, Health::Healthy);

    // A vault bundle without tokens: the platform resolves no token and drops every event.
    let mut b = bundle(&app, &slug).await.unwrap();
    b["access_token"] = Value::String(String::new());
    b["refresh_token"] = Value::String(String::new());
    put_bundle(&app, &slug, &b).await;
    let d = detail(&app, ACME_ID).await;
    assert_eq!(d.summary.health, Health::VaultManaged);
    assert_eq!(d.summary.health.label(), "Vault: not usable");
    let list: Vec<app::wire::WorkspaceSummary> = app.call(&app.client, "/api/workspaces").await.json().await.unwrap();
    let listed = list.iter().find(|w| w.org_id == ACME_ID).unwrap();
    assert_ne!(listed.health, Health::Healthy, "never healthy on the overview either");
}

#[tokio::test]
async fn invalid_grant_waits_for_a_refresher_that_saves_a_moment_later() {
    let app = spawn_app().await;
    let slug = installed(&app, ACME_ID).await;
    let before = bundle(&app, &slug).await.unwrap();
    // A platform Lambda refreshes (our refresh token is spent from now on) and saves 1.5 s later.
    let res = app.linear.refresh(before["refresh_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);
    let issued: Value = res.json().await.unwrap();
    let mut next = before.clone();
    next["access_token"] = issued["access_token"].clone();
    next["refresh_token"] = issued["refresh_token"].clone();
    let late = {
        let secrets = app.aws.secrets.clone();
        let slug = slug.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            secrets
                .put_secret_value()
                .secret_id(format!("bgagent-linear-oauth-{slug}"))
                .secret_string(next.to_string())
                .send()
                .await
                .unwrap();
        })
    };
    let loc = app.submit("refresh_workspace", &[("org_id", ACME_ID)]).await;
    late.await.unwrap();
    assert!(loc.ends_with("notice=already_refreshed"), "not called dead on one read: {loc}");
    let r = row(&app, ACME_ID).await.unwrap();
    assert_ne!(r.get("last_refresh_error").and_then(|v| v.as_s().ok()).map(String::as_str), Some("invalid_grant"));
    assert_eq!(detail(&app, ACME_ID).await.summary.health, Health::Healthy);
}

fn invite(org_id: &str, code: &str, ttl: i64) -> HashMap<String, AttributeValue> {
    [
        ("linear_identity", AttributeValue::S(format!("pending#{code}"))),
        ("status", AttributeValue::S("pending".into())),
        ("linear_workspace_id", AttributeValue::S(org_id.into())),
        ("linear_user_id", AttributeValue::S("u-1".into())),
        ("ttl", AttributeValue::N(ttl.to_string())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

async fn mapping_keys(app: &TestApp) -> BTreeSet<String> {
    let out = app.aws.dynamodb.scan().table_name(&app.local.user_mapping_table).consistent_read(true).send().await.unwrap();
    out.items().iter().map(|i| i["linear_identity"].as_s().unwrap().clone()).collect()
}

#[tokio::test]
async fn the_sweep_deletes_expired_invites_the_platform_would_still_redeem() {
    let app = spawn_app().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for item in [
        invite(ACME_ID, "link-aaaa2222", now - 60),
        invite(INITRODE_ID, "link-bbbb3333", now - 3600),
        invite(ACME_ID, "link-cccc4444", now + 3600),
    ] {
        app.aws.dynamodb.put_item().table_name(&app.local.user_mapping_table).set_item(Some(item)).send().await.unwrap();
    }
    let sweeper = app.services.sweeper.clone();
    assert_eq!(sweeper.delete_expired_invites().await, 2);
    assert_eq!(mapping_keys(&app).await, BTreeSet::from(["pending#link-cccc4444".to_owned()]), "the live invite stays");
    assert_eq!(sweeper.delete_expired_invites().await, 0, "nothing twice");
}
