//! *Revoke* and *Remove*: confirmation, every step in order against moto and the stand-in,
//! a failure that stops the later steps, and reruns that finish without doing anything twice.
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use end2end::linear::seed::{ACME_ID, INITRODE_ID};
use serde_json::Value;

use crate::helpers::*;

type Item = HashMap<String, AttributeValue>;

async fn installed(app: &TestApp, org_id: &str) -> (String, Value) {
    let res = app.consent(None, org_id, "authorize").await;
    assert!(location(&res).contains("notice=installed"));
    let slug = app.linear.slug(org_id).await;
    let out = app.aws.secrets.get_secret_value().secret_id(format!("bgagent-linear-oauth-{slug}")).send().await.unwrap();
    (slug, serde_json::from_str(out.secret_string().unwrap()).unwrap())
}

async fn put_mapping(app: &TestApp, item: Vec<(&str, &str)>) {
    let item: Item = item.into_iter().map(|(k, v)| (k.to_owned(), AttributeValue::S(v.to_owned()))).collect();
    app.aws.dynamodb.put_item().table_name(&app.local.user_mapping_table).set_item(Some(item)).send().await.unwrap();
}

async fn mapping_keys(app: &TestApp) -> Vec<String> {
    let out = app.aws.dynamodb.scan().table_name(&app.local.user_mapping_table).send().await.unwrap();
    let mut keys: Vec<String> = out.items().iter().map(|i| i["linear_identity"].as_s().unwrap().clone()).collect();
    keys.sort();
    keys
}

async fn run(app: &TestApp, org_id: &str, confirm: &str, mode: &str) -> String {
    app.submit("remove_workspace", &[("org_id", org_id), ("confirm", confirm), ("delete_links", "on"), ("mode", mode)]).await
}

/// Orphan markers on the row, as the platform writes them after a failed deletion.
async fn record_orphan(app: &TestApp, org_id: &str, arn: &str) {
    app.aws
        .dynamodb
        .update_item()
        .table_name(&app.local.registry_table)
        .key("linear_workspace_id", AttributeValue::S(org_id.into()))
        .update_expression("SET orphaned_oauth_secret_arn = :a, secret_deletion_failed = :t")
        .expression_attribute_values(":a", AttributeValue::S(arn.into()))
        .expression_attribute_values(":t", AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
}

async fn secret_exists(app: &TestApp, slug: &str) -> bool {
    app.aws.secrets.describe_secret().secret_id(format!("bgagent-linear-oauth-{slug}")).send().await.is_ok()
}

#[tokio::test]
async fn revoke_runs_every_step_and_a_rerun_does_nothing_twice() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let (slug, bundle) = installed(&app, ACME_ID).await;
    let link = format!("{ACME_ID}#u-1");
    let legacy = format!("{ACME_ID}#u-legacy");
    put_mapping(
        &app,
        vec![("linear_identity", &link), ("platform_user_id", "sub-1"), ("linear_workspace_id", ACME_ID), ("status", "active")],
    )
    .await;
    put_mapping(&app, vec![("linear_identity", &legacy), ("platform_user_id", "sub-2"), ("status", "active")]).await;
    put_mapping(&app, vec![("linear_identity", "pending#link-abcdefgh"), ("status", "pending"), ("linear_workspace_id", ACME_ID)]).await;
    let other = format!("{INITRODE_ID}#u-9");
    put_mapping(
        &app,
        vec![("linear_identity", &other), ("platform_user_id", "sub-9"), ("linear_workspace_id", INITRODE_ID), ("status", "active")],
    )
    .await;

    // A wrong confirmation does nothing.
    assert_eq!(run(&app, ACME_ID, "acme", "revoke").await, format!("/workspaces/{ACME_ID}?error=confirm_mismatch"));
    assert_eq!(row(&app, ACME_ID).await.unwrap()["status"].as_s().unwrap(), "active");

    let loc = run(&app, ACME_ID, &slug, "revoke").await;
    assert_eq!(loc, format!("/workspaces/{ACME_ID}?steps=mark.done,revoke.done,secret.done,links.done,projects.skipped,row.skipped"));
    // Linear: the grant is gone.
    assert_eq!(app.linear.refresh(bundle["refresh_token"].as_str().unwrap()).await.status(), 400);
    // The registry: revoked as the platform writes it.
    let r = row(&app, ACME_ID).await.unwrap();
    assert_eq!(r["status"].as_s().unwrap(), "revoked");
    assert_eq!(r["revoked_reason"].as_s().unwrap(), "admin_removed");
    assert_eq!(r["revoked_by_platform_user_id"].as_s().unwrap(), r["installed_by_platform_user_id"].as_s().unwrap());
    assert_eq!(crate::contract::read_registry_row(&r), crate::contract::PlatformReading::Revoked);
    assert!(!secret_exists(&app, &slug).await, "the bundle is deleted");
    assert_eq!(mapping_keys(&app).await, vec![other.clone()], "only the other workspace's link is left");
    let revoked_at = r["revoked_at"].clone();

    let loc = run(&app, ACME_ID, &slug, "revoke").await;
    assert_eq!(
        loc,
        format!("/workspaces/{ACME_ID}?steps=mark.already,revoke.already,secret.already,links.already,projects.skipped,row.skipped")
    );
    assert_eq!(row(&app, ACME_ID).await.unwrap()["revoked_at"], revoked_at, "the first revocation's time stands");

    let events: Vec<app::wire::AuditEntry> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    let revokes: Vec<_> = events.iter().filter(|e| e.action == "workspace.revoke").collect();
    assert_eq!(revokes.len(), 2);
    assert!(revokes.iter().all(|e| e.outcome == "success"));
    assert!(revokes.iter().any(|e| e.detail.as_deref().unwrap().contains("links: 3 deleted")), "{revokes:?}");
}

#[tokio::test]
async fn a_failure_at_linear_stops_the_later_steps_and_a_rerun_finishes() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let (slug, _) = installed(&app, ACME_ID).await;
    app.linear.fail("revoke", 1, "5xx").await;
    let loc = run(&app, ACME_ID, &slug, "remove").await;
    assert_eq!(loc, format!("/workspaces/{ACME_ID}?steps=mark.done,revoke.failed,secret.notrun,links.notrun,projects.notrun,row.notrun"));
    // The platform stopped using the workspace before Linear was asked: no active row holds
    // tokens that may be dead.
    assert_eq!(row(&app, ACME_ID).await.unwrap()["status"].as_s().unwrap(), "revoked", "marked revoked first");
    assert!(secret_exists(&app, &slug).await, "the tokens are kept so the rerun can revoke them");
    let page = app.client.get(app.url(&loc)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Not finished: a step failed"), "the page reports each step");

    let loc = run(&app, ACME_ID, &slug, "remove").await;
    assert_eq!(
        loc,
        format!("/workspaces?removed={slug}&steps=mark.already,revoke.done,secret.done,links.already,projects.skipped,row.done")
    );
    assert!(row(&app, ACME_ID).await.is_none(), "Remove deletes the row last");
    assert!(!secret_exists(&app, &slug).await);
    let events: Vec<app::wire::AuditEntry> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    let outcomes: Vec<_> = events.iter().filter(|e| e.action == "workspace.remove").map(|e| e.outcome.as_str()).collect();
    assert_eq!(outcomes, vec!["success", "failure"], "newest first");
}

/// A link, a legacy link and an invite of `org_id`, for the link step to delete.
async fn three_links(app: &TestApp, org_id: &str) {
    let link = format!("{org_id}#u-1");
    let legacy = format!("{org_id}#u-legacy");
    put_mapping(
        app,
        vec![("linear_identity", &link), ("platform_user_id", "sub-1"), ("linear_workspace_id", org_id), ("status", "active")],
    )
    .await;
    put_mapping(app, vec![("linear_identity", &legacy), ("platform_user_id", "sub-2"), ("status", "active")]).await;
    put_mapping(app, vec![("linear_identity", "pending#link-abcdefgh"), ("status", "pending"), ("linear_workspace_id", org_id)]).await;
}

#[tokio::test]
async fn a_failure_marking_the_row_stops_before_the_secret_and_a_rerun_finishes() {
    let (app, faults) = spawn_app_with_faults().await;
    app.sign_in_admin().await;
    let (slug, _) = installed(&app, ACME_ID).await;
    faults.fail("UpdateItem", &app.local.registry_table, 1);
    let loc = run(&app, ACME_ID, &slug, "revoke").await;
    assert_eq!(
        loc,
        format!("/workspaces/{ACME_ID}?steps=mark.failed,revoke.notrun,secret.notrun,links.notrun,projects.notrun,row.skipped")
    );
    assert_eq!(row(&app, ACME_ID).await.unwrap()["status"].as_s().unwrap(), "active", "the failed mark wrote nothing");
    assert!(secret_exists(&app, &slug).await, "the secret stays while the row still points at it");
    let live = bundle(&app, &slug).await.unwrap();
    assert_eq!(app.linear.refresh(live["refresh_token"].as_str().unwrap()).await.status(), 200, "nothing was revoked at Linear either");

    let loc = run(&app, ACME_ID, &slug, "revoke").await;
    assert_eq!(loc, format!("/workspaces/{ACME_ID}?steps=mark.done,revoke.done,secret.done,links.already,projects.skipped,row.skipped"));
    assert_eq!(row(&app, ACME_ID).await.unwrap()["status"].as_s().unwrap(), "revoked");
    assert!(!secret_exists(&app, &slug).await);
}

#[tokio::test]
async fn a_failed_secret_deletion_is_recorded_as_an_orphan_and_retry_deletes_it() {
    let (app, faults) = spawn_app_with_faults().await;
    app.sign_in_admin().await;
    let (slug, _) = installed(&app, ACME_ID).await;
    three_links(&app, ACME_ID).await;
    let arn = row(&app, ACME_ID).await.unwrap()["oauth_secret_arn"].as_s().unwrap().clone();
    faults.fail("DeleteSecret", "", 1);
    let loc = run(&app, ACME_ID, &slug, "remove").await;
    // The links do not depend on the secret and still go; the row stays as the orphan's record.
    assert_eq!(loc, format!("/workspaces/{ACME_ID}?steps=mark.done,revoke.done,secret.failed,links.done,projects.skipped,row.notrun"));
    let r = row(&app, ACME_ID).await.unwrap();
    assert_eq!(r["secret_deletion_failed"].as_bool().unwrap(), &true);
    assert_eq!(r["orphaned_oauth_secret_arn"].as_s().unwrap(), &arn);
    assert!(r["secret_deletion_error"].as_s().unwrap().contains("injected fault"));
    assert!(secret_exists(&app, &slug).await);
    assert!(mapping_keys(&app).await.is_empty());

    let page = app.client.get(app.url(&loc)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"orphan-warning\"") && page.contains(&arn), "the page warns with the ARN");
    assert!(page.contains("action=\"/api/retry_orphan\"") && page.contains("data-testid=\"orphan-retry\""), "and offers the retry");

    // Retry deletion: the secret goes, the markers go, the row stays revoked.
    assert_eq!(app.submit("retry_orphan", &[("org_id", ACME_ID)]).await, format!("/workspaces/{ACME_ID}?notice=orphan_deleted"));
    assert!(!secret_exists(&app, &slug).await);
    let r = row(&app, ACME_ID).await.unwrap();
    assert!(!r.contains_key("orphaned_oauth_secret_arn") && !r.contains_key("secret_deletion_failed"), "{r:?}");
    assert_eq!(r["status"].as_s().unwrap(), "revoked");

    let loc = run(&app, ACME_ID, &slug, "remove").await;
    assert_eq!(
        loc,
        format!("/workspaces?removed={slug}&steps=mark.already,revoke.already,secret.already,links.already,projects.skipped,row.done")
    );
    let events: Vec<app::wire::AuditEntry> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    assert!(events.iter().any(|e| e.action == "workspace.orphan_retry" && e.outcome == "success"));
}

#[tokio::test]
async fn retry_refuses_to_delete_the_bundle_an_active_workspace_uses() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let (slug, _) = installed(&app, ACME_ID).await;
    let arn = row(&app, ACME_ID).await.unwrap()["oauth_secret_arn"].as_s().unwrap().clone();
    record_orphan(&app, ACME_ID, &arn).await;
    assert_eq!(app.submit("retry_orphan", &[("org_id", ACME_ID)]).await, format!("/workspaces/{ACME_ID}?error=orphan_in_use"));
    assert!(secret_exists(&app, &slug).await, "the live bundle is kept");
}

#[tokio::test]
async fn a_failure_deleting_links_keeps_the_row_and_a_rerun_deletes_them() {
    let (app, faults) = spawn_app_with_faults().await;
    app.sign_in_admin().await;
    let (slug, _) = installed(&app, ACME_ID).await;
    three_links(&app, ACME_ID).await;
    faults.fail("DeleteItem", &app.local.user_mapping_table, 1);
    let loc = run(&app, ACME_ID, &slug, "remove").await;
    assert_eq!(loc, format!("/workspaces/{ACME_ID}?steps=mark.done,revoke.done,secret.done,links.failed,projects.notrun,row.notrun"));
    assert_eq!(mapping_keys(&app).await.len(), 3, "nothing deleted before the failure");
    assert_eq!(row(&app, ACME_ID).await.unwrap()["status"].as_s().unwrap(), "revoked");

    let loc = run(&app, ACME_ID, &slug, "remove").await;
    assert_eq!(
        loc,
        format!("/workspaces?removed={slug}&steps=mark.already,revoke.already,secret.already,links.done,projects.skipped,row.done")
    );
    assert!(mapping_keys(&app).await.is_empty());
    assert!(row(&app, ACME_ID).await.is_none());
}

#[tokio::test]
async fn deleting_the_bundle_keeps_the_record_of_another_orphaned_secret() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let (slug, _) = installed(&app, ACME_ID).await;
    // A bundle left behind earlier (say, by a urlKey rename) is recorded on the row.
    let old = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bgagent-linear-oauth-old-AbCdEf";
    record_orphan(&app, ACME_ID, old).await;
    let loc = run(&app, ACME_ID, &slug, "revoke").await;
    assert!(loc.contains("secret.done"), "{loc}");
    assert!(!secret_exists(&app, &slug).await);
    let r = row(&app, ACME_ID).await.unwrap();
    assert_eq!(r["orphaned_oauth_secret_arn"].as_s().unwrap(), old, "the other orphan is still recorded");
}
