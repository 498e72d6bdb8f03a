//! Password guessing is slowed, then refused, per account and per client address, across console
//! instances (the counts live in DynamoDB), with the same answer as a wrong password.
use aws_sdk_dynamodb::types::AttributeValue;
use end2end::bootstrap::{ADMIN_EMAIL, USER_EMAIL};

use crate::helpers::*;

/// A console behind one trusted proxy, so each test client can claim its own address.
async fn behind_a_proxy() -> TestApp {
    let base = spawn_app().await;
    spawn_app_for(base.local.clone(), &[("CONSOLE_TRUSTED_PROXY_HOPS", "1")]).await
}

async fn try_sign_in(app: &TestApp, from: &str, email: &str, password: &str) -> String {
    let res = browser(&app.base)
        .post(app.url("/login"))
        .header("x-forwarded-for", from)
        .form(&[("email", email), ("password", password), ("next", "/audit")])
        .send()
        .await
        .unwrap();
    location(&res)
}

const REFUSED: &str = "/login?error=invalid&next=/audit";

async fn audit_actions(app: &TestApp) -> Vec<(String, String)> {
    let out = app.aws.dynamodb.scan().table_name(&app.local.audit_table).send().await.unwrap();
    out.items()
        .iter()
        .map(|i| (i["action"].as_s().unwrap().clone(), i.get("detail").and_then(|d| d.as_s().ok()).cloned().unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn after_five_failures_the_next_try_must_wait_even_with_the_right_password() {
    let app = behind_a_proxy().await;
    for _ in 0..5 {
        assert_eq!(try_sign_in(&app, "198.51.100.1", ADMIN_EMAIL, "Wrong-password-1").await, REFUSED);
    }
    let counter = counter(&app, account_key(ADMIN_EMAIL)).await;
    assert_eq!(counter["count"].as_n().unwrap(), "5", "five failures counted: {counter:?}");
    // Right after the fifth failure (its time moved ahead a little, so a slow machine cannot let
    // the one-second wait pass first), the right password gets the same answer: the account waits.
    set_last(&app, account_key(ADMIN_EMAIL), 30).await;
    assert_eq!(try_sign_in(&app, "198.51.100.2", ADMIN_EMAIL, PASSWORD).await, REFUSED);
    // Other accounts sign in meanwhile, from the same address too.
    assert_eq!(try_sign_in(&app, "198.51.100.1", USER_EMAIL, PASSWORD).await, "/forbidden?group=linear-console-admins");
    let throttled: Vec<_> = audit_actions(&app).await.into_iter().filter(|(a, _)| a == "sign_in.throttled").collect();
    assert_eq!(throttled.len(), 1, "the threshold is audited once: {throttled:?}");
    assert!(throttled[0].1.contains("5 failed sign-ins"), "{throttled:?}");

    // Once the wait has passed, it may try again.
    set_last(&app, account_key(ADMIN_EMAIL), -2).await;
    assert_eq!(try_sign_in(&app, "198.51.100.2", ADMIN_EMAIL, PASSWORD).await, "/audit", "after the wait");
    // A success forgets the account's failures: a slip afterwards does not wait.
    assert_eq!(try_sign_in(&app, "198.51.100.2", ADMIN_EMAIL, "Wrong-password-1").await, REFUSED);
    assert_eq!(try_sign_in(&app, "198.51.100.2", ADMIN_EMAIL, PASSWORD).await, "/audit");
}

async fn counter(app: &TestApp, id: String) -> std::collections::HashMap<String, AttributeValue> {
    let out = app.aws.dynamodb.get_item().table_name(&app.local.sessions_table).key("id", AttributeValue::S(id)).send().await.unwrap();
    out.item.expect("a counter")
}

/// Moves a counter's last failure to `offset` seconds from now.
async fn set_last(app: &TestApp, id: String, offset: i64) {
    let at = time::OffsetDateTime::now_utc().unix_timestamp() + offset;
    app.aws
        .dynamodb
        .update_item()
        .table_name(&app.local.sessions_table)
        .key("id", AttributeValue::S(id))
        .update_expression("SET #l = :l")
        .expression_attribute_names("#l", "last")
        .expression_attribute_values(":l", AttributeValue::N(at.to_string()))
        .send()
        .await
        .unwrap();
}

/// Writes a counter as twenty failures a moment ago would have left it.
async fn seed_lock(app: &TestApp, id: String, count: i64) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let n = |v: i64| AttributeValue::N(v.to_string());
    app.aws
        .dynamodb
        .put_item()
        .table_name(&app.local.sessions_table)
        .item("id", AttributeValue::S(id))
        .item("count", n(count))
        .item("first", n(now - 300))
        .item("last", n(now - 5))
        .item("expires_at", n(now + 1800))
        .send()
        .await
        .unwrap();
}

fn account_key(email: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(email.as_bytes());
    format!("throttle#account#{}", d.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>())
}

#[tokio::test]
async fn a_locked_account_is_refused_everywhere_and_a_locked_address_for_every_account() {
    let app = behind_a_proxy().await;
    let other = spawn_app_sharing(&app).await;
    seed_lock(&app, account_key(ADMIN_EMAIL), 20).await;
    assert_eq!(try_sign_in(&app, "203.0.113.5", ADMIN_EMAIL, PASSWORD).await, REFUSED, "locked account");
    // The other instance has no trusted proxy: its clients are the loopback peer; still locked.
    let res = other.sign_in(ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(location(&res), REFUSED, "the lock is shared by every instance");

    seed_lock(&app, "throttle#address#192.0.2.66".to_owned(), 100).await;
    assert_eq!(try_sign_in(&app, "192.0.2.66", USER_EMAIL, PASSWORD).await, REFUSED, "locked address");
    assert_eq!(try_sign_in(&app, "192.0.2.67", USER_EMAIL, PASSWORD).await, "/forbidden?group=linear-console-admins");
    // A forged X-Forwarded-For entry left of the proxy's does not move the client elsewhere.
    assert_eq!(try_sign_in(&app, "192.0.2.67, 192.0.2.66", USER_EMAIL, PASSWORD).await, REFUSED);
}

#[tokio::test]
async fn a_proxy_without_trusted_hops_is_said_on_the_settings_page() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let settings: app::wire::SettingsView = call_json(&app, &app.client, "/api/settings", "").await;
    assert!(!settings.proxy_without_hops, "no proxy seen yet");
    let res = app.client.get(app.url("/login")).header("x-forwarded-for", "203.0.113.9").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let settings: app::wire::SettingsView = call_json(&app, &app.client, "/api/settings", "").await;
    assert!(settings.proxy_without_hops);
    let page = app.client.get(app.url("/settings")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"proxy-warning\""));
}
