//! Installing and reconnecting a workspace through the stand-in's consent page, every failure
//! branch with faults injected, and what ends up in Secrets Manager, the registry and the audit log.
use std::collections::HashMap;

use app::wire::{AuditEntry, BundleState, WorkspaceDetail};
use aws_sdk_dynamodb::types::AttributeValue;
use end2end::bootstrap::LOCAL_WEBHOOK_SECRET;
use end2end::linear::seed::{ACME_ID, INITRODE_ID};
use serde_json::Value;

use crate::contract::{assert_cli_shaped_row, bundle_usable, read_registry_row, PlatformReading};
use crate::helpers::*;

async fn secrets_named(app: &TestApp, slug: &str) -> usize {
    let out = app
        .aws
        .secrets
        .list_secrets()
        .filters(
            aws_sdk_secretsmanager::types::Filter::builder()
                .key(aws_sdk_secretsmanager::types::FilterNameStringType::Name)
                .values(format!("bgagent-linear-oauth-{slug}"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.secret_list().iter().filter(|s| s.name() == Some(&format!("bgagent-linear-oauth-{slug}"))).count()
}

async fn audit(app: &TestApp) -> Vec<AuditEntry> {
    app.call(&app.client, "/api/audit").await.json().await.unwrap()
}

async fn detail(app: &TestApp, org_id: &str) -> (u16, String) {
    let res = app.client.post(app.url("/api/workspace")).form(&[("org_id", org_id)]).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn query(location: &str) -> HashMap<String, String> {
    reqwest::Url::parse(&format!("http://x{location}")).unwrap().query_pairs().into_owned().collect()
}

/// The failure code the callback redirected to, after checking it is the connect page.
fn failure(res: &reqwest::Response) -> HashMap<String, String> {
    assert_eq!(res.status(), 303);
    let loc = location(res);
    assert!(loc.starts_with("/workspaces/connect?error="), "{loc}");
    query(&loc)
}

async fn nothing_written(app: &TestApp, org_id: &str, slug: &str) {
    assert!(row(app, org_id).await.is_none(), "no registry row");
    assert_eq!(secrets_named(app, slug).await, 0, "no secret");
}

#[tokio::test]
async fn connect_sends_the_admin_to_linear_with_the_platforms_parameters() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let res = app.client.post(app.url("/linear/connect")).form(&[("workspace", "")]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let url = reqwest::Url::parse(&location(&res)).unwrap();
    assert_eq!(url.path(), "/oauth/authorize");
    let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "read write app:assignable app:mentionable");
    assert_eq!(q["actor"], "app");
    assert_eq!(q["prompt"], "consent");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], app.url("/linear/callback"));
    assert!(q["state"].len() >= 43, "state carries at least 32 random bytes");
    assert!(!url.as_str().contains("local-linear-secret"), "the client secret stays on the server");

    // A GET starts nothing (a GET never changes state): it shows the connect page.
    let res = app.client.get(app.url("/linear/connect")).send().await.unwrap();
    assert_eq!(location(&res), "/workspaces/connect");

    // Without a session, connect and callback send the browser to sign in first.
    let anon = browser(&app.base);
    let res = anon.post(app.url("/linear/connect")).form(&[("workspace", "")]).send().await.unwrap();
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
    let res = anon.get(app.url("/linear/callback?code=x&state=y")).send().await.unwrap();
    assert!(location(&res).starts_with("/login?next="));
}

#[tokio::test]
async fn an_admin_installs_a_workspace_the_platform_can_use_at_once() {
    let first = spawn_app().await;
    // The timing of each backend call is shown only with the debug flag.
    let app = spawn_app_for(first.local.clone(), &[("CONSOLE_DEBUG_TIMING", "1")]).await;
    app.sign_in_admin().await;
    let slug = app.linear.slug(INITRODE_ID).await;
    let res = app.consent(None, INITRODE_ID, "authorize").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/workspaces/{INITRODE_ID}?notice=installed"));
    let timing = res.headers().get("server-timing").expect("Server-Timing with CONSOLE_DEBUG_TIMING=1").to_str().unwrap().to_owned();
    for step in ["linear-token", "linear-graphql", "secrets-write", "dynamodb"] {
        assert!(timing.contains(step), "{timing}");
    }

    // The registry row, as a platform Lambda reads it.
    let item = row(&app, INITRODE_ID).await.expect("registry row");
    assert_cli_shaped_row(&item);
    let PlatformReading::Active { slug: row_slug, secret_arn } = read_registry_row(&item) else { panic!("not active: {item:?}") };
    assert_eq!(row_slug, slug);
    let admin_sub = item["installed_by_platform_user_id"].as_s().unwrap().clone();
    assert_eq!(uuid::Uuid::parse_str(&admin_sub).map(|_| ()), Ok(()), "the admin's Cognito sub");

    // The bundle: the platform's name, tags and JSON, a live refresh token, the stack's webhook secret.
    let described = app.aws.secrets.describe_secret().secret_id(&secret_arn).send().await.unwrap();
    assert_eq!(described.name(), Some(format!("bgagent-linear-oauth-{slug}").as_str()));
    let tags: HashMap<_, _> = described.tags().iter().map(|t| (t.key().unwrap().to_owned(), t.value().unwrap().to_owned())).collect();
    assert_eq!(tags["bgagent:integration"], "linear");
    assert_eq!(tags["bgagent:linear:workspace_slug"], slug);
    let b = bundle(&app, &slug).await.unwrap();
    bundle_usable(&b.to_string()).expect("a Lambda can use the bundle");
    assert_eq!(b["workspace_id"], INITRODE_ID);
    assert_eq!(b["installed_by_platform_user_id"], admin_sub.as_str());
    assert_eq!(b["installed_at"], item["installed_at"].as_s().unwrap().as_str(), "one installation time for both");
    assert_eq!(b["client_id"], "local-linear-client");
    assert_eq!(b["scope"], "read write app:assignable app:mentionable");
    assert_eq!(b["webhook_signing_secret"], LOCAL_WEBHOOK_SECRET, "copied from the stack-wide secret");
    let team_keys: Vec<_> = item["team_keys"].as_l().unwrap().iter().map(|k| k.as_s().unwrap().clone()).collect();
    assert!(!team_keys.is_empty());
    let refreshed = app.linear.refresh(b["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refreshed.status(), 200, "the stored refresh token is the live one");

    // The page shows it, without a token; the audit log has the event.
    let (status, body) = detail(&app, INITRODE_ID).await;
    assert_eq!(status, 200);
    for secret in [b["access_token"].as_str().unwrap(), b["refresh_token"].as_str().unwrap(), "local-linear-secret", LOCAL_WEBHOOK_SECRET] {
        assert!(!body.contains(secret), "a secret reached the browser");
    }
    let d: WorkspaceDetail = serde_json::from_str(&body).unwrap();
    assert!(matches!(d.bundle, BundleState::Present { has_tokens: true, has_webhook_secret: true, .. }));
    assert_eq!(d.summary.name.as_deref(), Some("Initrode"));
    let events = audit(&app).await;
    let install = events.iter().find(|e| e.action == "workspace.install").expect("audited");
    assert_eq!((install.outcome.as_str(), install.target.as_deref()), ("success", Some(INITRODE_ID)));
    assert!(install.detail.as_deref().unwrap().contains(&slug));
}

#[tokio::test]
async fn reconnect_replaces_the_tokens_in_place_and_clears_a_revocation() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let slug = app.linear.slug(ACME_ID).await;
    assert_eq!(app.consent(None, ACME_ID, "authorize").await.status(), 303);
    let first = row(&app, ACME_ID).await.unwrap();
    let old = bundle(&app, &slug).await.unwrap();

    // The platform marks it revoked after a rejected refresh.
    app.aws
        .dynamodb
        .update_item()
        .table_name(&app.local.registry_table)
        .key("linear_workspace_id", AttributeValue::S(ACME_ID.into()))
        .update_expression("SET #s = :r, revoked_at = :t, revoked_reason = :why, revocation_announced_at = :t")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":r", AttributeValue::S("revoked".into()))
        .expression_attribute_values(":t", AttributeValue::S("2026-11-01T00:00:00Z".into()))
        .expression_attribute_values(":why", AttributeValue::S("refresh_token_rejected".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(read_registry_row(&row(&app, ACME_ID).await.unwrap()), PlatformReading::Revoked);

    let res = app.consent(Some(ACME_ID), ACME_ID, "authorize").await;
    assert_eq!(location(&res), format!("/workspaces/{ACME_ID}?notice=reconnected"));
    let item = row(&app, ACME_ID).await.unwrap();
    assert!(matches!(read_registry_row(&item), PlatformReading::Active { .. }));
    for gone in ["revoked_at", "revoked_reason", "revocation_announced_at"] {
        assert!(!item.contains_key(gone), "{gone} not cleared");
    }
    assert_ne!(item["installed_at"], first["installed_at"], "installed_at is rewritten");
    let new = bundle(&app, &slug).await.unwrap();
    assert_ne!(new["refresh_token"], old["refresh_token"]);
    assert_eq!(new["installed_at"], item["installed_at"].as_s().unwrap().as_str());
    assert_eq!(secrets_named(&app, &slug).await, 1, "updated in place, not a second secret");

    // A plain connect of an installed workspace is a reconnect too.
    let res = app.consent(None, ACME_ID, "authorize").await;
    assert_eq!(location(&res), format!("/workspaces/{ACME_ID}?notice=reconnected"));
    assert_eq!(secrets_named(&app, &slug).await, 1);
    let actions: Vec<_> = audit(&app).await.into_iter().map(|e| (e.action, e.outcome)).collect();
    assert_eq!(actions.iter().filter(|a| a.0 == "workspace.reconnect" && a.1 == "success").count(), 2, "{actions:?}");
}

#[tokio::test]
async fn reconnecting_to_another_workspace_writes_nothing_and_names_it() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let initrode = app.linear.slug(INITRODE_ID).await;
    let acme = app.linear.slug(ACME_ID).await;
    app.consent(None, INITRODE_ID, "authorize").await;
    let before = bundle(&app, &initrode).await.unwrap();

    let res = app.consent(Some(INITRODE_ID), ACME_ID, "authorize").await;
    let q = failure(&res);
    assert_eq!(q["error"], "wrong_workspace");
    assert_eq!((q["authorized"].as_str(), q["expected"].as_str()), (acme.as_str(), initrode.as_str()));
    nothing_written(&app, ACME_ID, &acme).await;
    assert_eq!(bundle(&app, &initrode).await.unwrap(), before, "the reconnected workspace is untouched");
    let e = audit(&app).await.into_iter().find(|e| e.action == "workspace.reconnect").unwrap();
    assert_eq!((e.outcome.as_str(), e.target.as_deref()), ("failure", Some(INITRODE_ID)));
    assert!(e.detail.unwrap().contains(&acme));
}

#[tokio::test]
async fn the_state_is_single_use_and_must_match_and_be_fresh() {
    // The test ages the consents in the sessions table itself: the console must read it each time.
    let base = spawn_app().await;
    let app = spawn_app_for(base.local.clone(), &[("CONSOLE_SESSION_CACHE_SECONDS", "0")]).await;
    app.sign_in_admin().await;
    let slug = app.linear.slug(ACME_ID).await;

    // No consent started in this session.
    let res = app.client.get(app.url("/linear/callback?code=abc&state=abc")).send().await.unwrap();
    assert_eq!(failure(&res)["error"], "state_missing");

    // A consent started, but the answer carries another state.
    let callback = app.authorize(None, ACME_ID, "authorize").await;
    let forged = callback.replace("state=", "state=x");
    assert_eq!(failure(&app.client.get(&forged).send().await.unwrap())["error"], "state_mismatch");
    // The genuine answer still works once, and only once.
    assert_eq!(location(&app.client.get(&callback).send().await.unwrap()), format!("/workspaces/{ACME_ID}?notice=installed"));
    assert_eq!(failure(&app.client.get(&callback).send().await.unwrap())["error"], "state_missing");

    // A consent older than ten minutes is refused.
    let callback = app.authorize(None, INITRODE_ID, "authorize").await;
    age_consents(&app, 11 * 60).await;
    let q = failure(&app.client.get(&callback).send().await.unwrap());
    assert_eq!(q["error"], "state_expired");
    assert!(q.contains_key("rid"));
    nothing_written(&app, INITRODE_ID, &app.linear.slug(INITRODE_ID).await).await;
    assert_eq!(secrets_named(&app, &slug).await, 1);
    let outcomes: Vec<_> = audit(&app).await.into_iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes.iter().filter(|o| *o == "refused").count(), 3, "{outcomes:?}");
}

/// Moves every pending consent of the app's sessions `seconds` into the past.
async fn age_consents(app: &TestApp, seconds: i64) {
    for (item, mut data) in sessions_opened(app).await {
        let Some(consents) = data.get_mut("linear_consents").and_then(Value::as_array_mut) else { continue };
        for c in consents.iter_mut() {
            c["expires_at"] = (c["expires_at"].as_i64().unwrap() - seconds).into();
        }
        reseal(app, item, &data).await;
    }
}

#[tokio::test]
async fn cancel_on_linear_is_reported_and_audited() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let res = app.consent(None, ACME_ID, "cancel").await;
    assert_eq!(failure(&res)["error"], "access_denied");
    nothing_written(&app, ACME_ID, &app.linear.slug(ACME_ID).await).await;
    let e = audit(&app).await.into_iter().find(|e| e.action == "workspace.install").unwrap();
    assert_eq!(e.outcome, "failure");
    assert!(e.detail.unwrap().contains("access_denied"));
}

#[tokio::test]
async fn linear_failures_leave_nothing_behind() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let slug = app.linear.slug(ACME_ID).await;
    for (endpoint, kind, code) in [
        ("token", "5xx", "exchange_unavailable"),
        ("token", "timeout", "exchange_timeout"),
        ("graphql", "5xx", "linear_api"),
        ("graphql", "error_body", "linear_api"),
        ("graphql", "timeout", "linear_api"),
    ] {
        app.linear.fail(endpoint, 1, kind).await;
        let res = app.consent(None, ACME_ID, "authorize").await;
        assert_eq!(failure(&res)["error"], code, "{endpoint} {kind}");
        nothing_written(&app, ACME_ID, &slug).await;
    }
    // Linear's rate limit on the API.
    app.linear.world.lock().await.settings.rate_limit = 0;
    assert_eq!(failure(&app.consent(None, ACME_ID, "authorize").await)["error"], "linear_rate_limited");
    app.linear.world.lock().await.settings.rate_limit = 1_200;
    // After all that, the same admin can install.
    assert_eq!(location(&app.consent(None, ACME_ID, "authorize").await), format!("/workspaces/{ACME_ID}?notice=installed"));
    let failures = audit(&app).await.into_iter().filter(|e| e.outcome == "failure").count();
    assert_eq!(failures, 6, "every failure audited");
}

#[tokio::test]
async fn wrong_client_credentials_are_a_rejected_exchange() {
    let base = spawn_app().await;
    let app = spawn_app_for(base.local.clone(), &[("LINEAR_CLIENT_SECRET", "not-the-secret")]).await;
    app.sign_in_admin().await;
    let q = failure(&app.consent(None, ACME_ID, "authorize").await);
    assert_eq!(q["error"], "exchange_rejected");
    nothing_written(&app, ACME_ID, &app.linear.slug(ACME_ID).await).await;
}

#[tokio::test]
async fn a_url_key_the_platform_would_refuse_is_not_installed() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    app.linear.control("org", serde_json::json!({ "id": INITRODE_ID, "name": "Initrode", "url_key": "in.trode" })).await;
    assert_eq!(failure(&app.consent(None, INITRODE_ID, "authorize").await)["error"], "invalid_slug");
    assert!(row(&app, INITRODE_ID).await.is_none());
    let e = audit(&app).await.into_iter().find(|e| e.action == "workspace.install").unwrap();
    assert!(e.detail.unwrap().contains("in.trode"));
}

#[tokio::test]
async fn a_secrets_manager_failure_writes_no_registry_row() {
    // Secrets Manager answers the session key (sign-in needs it) and refuses every write of a bundle.
    let (app, faults) = spawn_app_with_faults().await;
    app.sign_in_admin().await;
    for write in ["CreateSecret", "PutSecretValue"] {
        faults.fail(write, "", 10);
    }
    let q = failure(&app.consent(None, ACME_ID, "authorize").await);
    assert_eq!(q["error"], "secrets_unavailable");
    assert!(row(&app, ACME_ID).await.is_none());
    let e = audit(&app).await.into_iter().find(|e| e.action == "workspace.install").unwrap();
    assert_eq!(e.outcome, "failure");
}

#[tokio::test]
async fn a_registry_failure_after_the_secret_is_finished_without_a_second_secret() {
    let base = spawn_app().await;
    let table = format!("{}-late", base.local.registry_table);
    let app = spawn_app_for(base.local.clone(), &[("LINEAR_REGISTRY_TABLE", &table)]).await;
    app.sign_in_admin().await;
    let slug = app.linear.slug(ACME_ID).await;

    let q = failure(&app.consent(None, ACME_ID, "authorize").await);
    assert_eq!((q["error"].as_str(), q["workspace"].as_str()), ("registry_unfinished", slug.as_str()));
    let saved = bundle(&app, &slug).await.expect("the tokens were saved first");
    let e = audit(&app).await.into_iter().find(|e| e.action == "workspace.install").unwrap();
    assert!(e.detail.unwrap().contains("bgagent-linear-oauth-"), "the audit says where the tokens are");

    // Still failing: the page says so again and keeps the way to finish.
    let res = app.form("finish_install", &[]).await;
    assert_eq!(failure(&res)["error"], "registry_unfinished");

    // DynamoDB is back: finishing writes the row from the saved bundle.
    end2end::bootstrap::create_registry_table(&app.aws.dynamodb, &table).await.unwrap();
    let res = app.form("finish_install", &[]).await;
    assert_eq!(location(&res), format!("/workspaces/{ACME_ID}?notice=installed"));
    let item = app
        .aws
        .dynamodb
        .get_item()
        .table_name(&table)
        .key("linear_workspace_id", AttributeValue::S(ACME_ID.into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert!(matches!(read_registry_row(&item), PlatformReading::Active { .. }));
    assert_eq!(secrets_named(&app, &slug).await, 1);
    assert_eq!(bundle(&app, &slug).await.unwrap(), saved, "finishing reuses the saved tokens");
    assert_eq!(app.linear.refresh(saved["refresh_token"].as_str().unwrap()).await.status(), 200, "and they are live");
    assert_eq!(failure(&app.form("finish_install", &[]).await)["error"], "nothing_to_finish");
}

#[tokio::test]
async fn without_a_stack_webhook_secret_the_admin_is_asked_for_one() {
    let app = spawn_app().await;
    app.aws.secrets.put_secret_value().secret_id(&app.local.webhook_secret_arn).secret_string("REPLACE_ME").send().await.unwrap();
    app.sign_in_admin().await;
    let slug = app.linear.slug(ACME_ID).await;
    let res = app.consent(None, ACME_ID, "authorize").await;
    assert_eq!(location(&res), format!("/workspaces/{ACME_ID}?notice=installed&webhook=missing"));
    assert!(bundle(&app, &slug).await.unwrap().get("webhook_signing_secret").is_none(), "REPLACE_ME is not copied");
    let page = app.client.get(app.url(&location(&res))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"webhook-form\""), "the page asks for the secret");

    let refused = app.submit("webhook_secret", &[("org_id", ACME_ID), ("webhook_secret", "whsec_not-linear")]).await;
    assert_eq!(refused, format!("/workspaces/{ACME_ID}?error=webhook_invalid"));
    let saved = app.submit("webhook_secret", &[("org_id", ACME_ID), ("webhook_secret", "lin_wh_admin0000pasted0000value")]).await;
    assert_eq!(saved, format!("/workspaces/{ACME_ID}?notice=webhook_saved"));
    let b = bundle(&app, &slug).await.unwrap();
    assert_eq!(b["webhook_signing_secret"], "lin_wh_admin0000pasted0000value");
    bundle_usable(&b.to_string()).unwrap();
    let page = app.client.get(app.url(&format!("/workspaces/{ACME_ID}"))).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("lin_wh_admin0000pasted0000value"), "never echoed back");
    assert!(page.contains("data-testid=\"replace-webhook\""), "a present secret can be replaced");

    // Rotated in Linear: replaced here, the rest of the bundle as it was.
    let before = bundle(&app, &slug).await.unwrap();
    let replaced = app.submit("webhook_secret", &[("org_id", ACME_ID), ("webhook_secret", "lin_wh_rotated000000000000000000")]).await;
    assert_eq!(replaced, format!("/workspaces/{ACME_ID}?notice=webhook_replaced"));
    let after = bundle(&app, &slug).await.unwrap();
    assert_eq!(after["webhook_signing_secret"], "lin_wh_rotated000000000000000000");
    assert_eq!(
        (after["access_token"].clone(), after["refresh_token"].clone()),
        (before["access_token"].clone(), before["refresh_token"].clone())
    );
    bundle_usable(&after.to_string()).unwrap();

    // A new install keeps the bundle's secret rather than asking again.
    let res = app.consent(Some(ACME_ID), ACME_ID, "authorize").await;
    assert_eq!(location(&res), format!("/workspaces/{ACME_ID}?notice=reconnected"));
    assert_eq!(bundle(&app, &slug).await.unwrap()["webhook_signing_secret"], "lin_wh_rotated000000000000000000");
}

#[tokio::test]
async fn app_credentials_are_reused_from_an_active_bundle_when_not_configured() {
    let base = spawn_app().await;
    base.sign_in_admin().await;
    let unconfigured = spawn_app_for(base.local.clone(), &[("LINEAR_CLIENT_ID", ""), ("LINEAR_CLIENT_SECRET", "")]).await;
    unconfigured.sign_in_admin().await;
    let info: Value = unconfigured.call(&unconfigured.client, "/api/connect_info").await.json().await.unwrap();
    assert_eq!(info["credentials"], "Missing");
    let res = unconfigured.client.post(unconfigured.url("/linear/connect")).form(&[("workspace", "")]).send().await.unwrap();
    assert_eq!(failure(&res)["error"], "no_credentials");

    // One workspace installed with configured credentials; its bundle now carries them.
    base.consent(None, ACME_ID, "authorize").await;
    let app = spawn_app_for(base.local.clone(), &[("LINEAR_CLIENT_ID", ""), ("LINEAR_CLIENT_SECRET", "")]).await;
    app.sign_in_admin().await;
    let info: Value = app.call(&app.client, "/api/connect_info").await.json().await.unwrap();
    assert_eq!(info["credentials"]["Reused"]["client_id"], "local-linear-client");
    assert!(!info.to_string().contains("local-linear-secret"));
    let res = app.consent(None, INITRODE_ID, "authorize").await;
    assert_eq!(location(&res), format!("/workspaces/{INITRODE_ID}?notice=installed"));
    assert_eq!(bundle(&app, &app.linear.slug(INITRODE_ID).await).await.unwrap()["client_secret"], "local-linear-secret");
}

#[tokio::test]
async fn a_scope_array_from_an_older_linear_app_is_stored_space_separated() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    app.linear.control("scope-format", serde_json::json!({ "array": true })).await;
    app.consent(None, ACME_ID, "authorize").await;
    let b = bundle(&app, &app.linear.slug(ACME_ID).await).await.unwrap();
    assert_eq!(b["scope"], "read write app:assignable app:mentionable");
}

#[tokio::test]
async fn reconnecting_an_unknown_workspace_is_refused_before_linear() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let res =
        app.client.post(app.url("/linear/connect")).form(&[("workspace", "00000000-0000-4000-8000-000000000000")]).send().await.unwrap();
    assert_eq!(failure(&res)["error"], "unknown_workspace");
    let (status, _) = detail(&app, "00000000-0000-4000-8000-000000000000").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_slug_whose_bundle_belongs_to_another_organization_is_not_overwritten() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let slug = app.linear.slug(ACME_ID).await;
    let other = serde_json::json!({ "workspace_id": "another-org", "workspace_slug": slug, "access_token": "keep-me" }).to_string();
    app.aws.secrets.create_secret().name(format!("bgagent-linear-oauth-{slug}")).secret_string(&other).send().await.unwrap();
    let q = failure(&app.consent(None, ACME_ID, "authorize").await);
    assert_eq!((q["error"].as_str(), q["workspace"].as_str()), ("slug_in_use", slug.as_str()));
    assert_eq!(bundle(&app, &slug).await.unwrap()["access_token"], "keep-me");
    assert!(row(&app, ACME_ID).await.is_none());
}

#[tokio::test]
async fn a_reconnect_under_a_renamed_slug_retires_the_old_bundle() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let old_slug = app.linear.slug(ACME_ID).await;
    app.consent(None, ACME_ID, "authorize").await;
    let old_arn = row(&app, ACME_ID).await.unwrap()["oauth_secret_arn"].as_s().unwrap().clone();

    let new_slug = format!("{old_slug}-renamed");
    app.linear.control("org", serde_json::json!({ "id": ACME_ID, "name": "Acme Engineering", "url_key": new_slug })).await;
    let res = app.consent(Some(ACME_ID), ACME_ID, "authorize").await;
    assert_eq!(location(&res), format!("/workspaces/{ACME_ID}?notice=reconnected"));
    let item = row(&app, ACME_ID).await.unwrap();
    assert_eq!(
        read_registry_row(&item),
        PlatformReading::Active { slug: new_slug.clone(), secret_arn: item["oauth_secret_arn"].as_s().unwrap().clone() }
    );
    assert!(bundle(&app, &new_slug).await.is_some());
    assert!(app.aws.secrets.describe_secret().secret_id(&old_arn).send().await.is_err(), "the superseded bundle is gone at once");
    let e = audit(&app).await.into_iter().find(|e| e.action == "workspace.reconnect").unwrap();
    assert!(e.detail.unwrap().contains(&format!("previous bundle {old_arn} deleted")));
    // Nothing blocks the platform's CLI from creating a bundle under the old name again (a
    // deletion scheduled for later would make CreateSecret fail for 7 days).
    app.aws
        .secrets
        .create_secret()
        .name(format!("bgagent-linear-oauth-{old_slug}"))
        .secret_string("{}")
        .send()
        .await
        .expect("the old name is free");
}

#[tokio::test]
async fn registry_writes_refuse_a_row_that_changed_since_it_was_read() {
    use console_core::error::StoreError;
    use console_core::ids::{OrgId, UrlKey};
    use console_core::ports::RegistryStore;
    use console_core::records::registry::{Expect, InstallRecord};
    let app = spawn_app().await;
    let registry = server::adapters::dynamodb::registry::DynamoRegistry::new(app.aws.dynamodb.clone(), app.local.registry_table.clone());
    let record = InstallRecord {
        org_id: OrgId::parse("org-race").unwrap(),
        slug: UrlKey::parse("race-ws").unwrap(),
        name: "Race".into(),
        secret_arn: "arn:x".into(),
        consented_by: "sub".into(),
        installed_at: "2026-11-23T10:00:00.000Z".into(),
        team_keys: vec![],
        token_expires_at: "2026-11-24T10:00:00.000Z".into(),
    };
    let row = record.row(None);
    registry.put_install(&row, &Expect::Absent).await.unwrap();
    let conflict = registry.put_install(&row, &Expect::Absent).await.unwrap_err();
    assert!(matches!(conflict, StoreError::Conflict), "someone installed it meanwhile");
    let stale = Expect::InstalledAt(Some("2026-01-01T00:00:00.000Z".into()));
    assert!(matches!(registry.put_install(&row, &stale).await, Err(StoreError::Conflict)));
    let current = Expect::InstalledAt(Some("2026-11-23T10:00:00.000Z".into()));
    registry.put_install(&row, &current).await.unwrap();
}

#[tokio::test]
async fn backend_timings_stay_private_without_the_debug_flag() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let res = app.consent(None, INITRODE_ID, "authorize").await;
    assert_eq!(res.status(), 303);
    assert!(res.headers().get("server-timing").is_none(), "Server-Timing without CONSOLE_DEBUG_TIMING");
}

/// Grants at the stand-in that are still live (not revoked).
async fn live_grants(app: &TestApp) -> Vec<String> {
    app.linear.world.lock().await.grants.values().filter(|g| !g.revoked).map(|g| g.org_id.clone()).collect()
}

async fn says_revoked(app: &TestApp, res: &reqwest::Response, action: &str) {
    assert_eq!(failure(res)["grant"], "revoked", "the page says so");
    let e = audit(app).await.into_iter().find(|e| e.action == action).unwrap();
    assert!(e.detail.unwrap().contains("the tokens Linear issued were revoked"), "the audit says so");
}

#[tokio::test]
async fn every_refusal_after_linear_issued_tokens_revokes_them() {
    // An invalid url key.
    let app = spawn_app().await;
    app.sign_in_admin().await;
    app.linear.control("org", serde_json::json!({ "id": INITRODE_ID, "name": "Initrode", "url_key": "in.trode" })).await;
    let res = app.consent(None, INITRODE_ID, "authorize").await;
    assert_eq!(failure(&res)["error"], "invalid_slug");
    says_revoked(&app, &res, "workspace.install").await;
    assert_eq!(live_grants(&app).await, Vec::<String>::new());

    // A url key whose bundle is another organization's.
    let slug = app.linear.slug(ACME_ID).await;
    let other = serde_json::json!({ "workspace_id": "another-org", "workspace_slug": slug, "access_token": "keep-me" }).to_string();
    app.aws.secrets.create_secret().name(format!("bgagent-linear-oauth-{slug}")).secret_string(&other).send().await.unwrap();
    let res = app.consent(None, ACME_ID, "authorize").await;
    assert_eq!(failure(&res)["error"], "slug_in_use");
    assert_eq!(live_grants(&app).await, Vec::<String>::new());

    // A reconnect that Linear authorized for another workspace: only the stored grant stays live.
    let app = spawn_app().await;
    app.sign_in_admin().await;
    app.consent(None, INITRODE_ID, "authorize").await;
    let res = app.consent(Some(INITRODE_ID), ACME_ID, "authorize").await;
    assert_eq!(failure(&res)["error"], "wrong_workspace");
    says_revoked(&app, &res, "workspace.reconnect").await;
    assert_eq!(live_grants(&app).await, vec![INITRODE_ID.to_owned()]);
}

#[tokio::test]
async fn a_failed_secrets_manager_write_revokes_the_tokens_and_a_failed_revocation_is_recorded() {
    let (app, faults) = spawn_app_with_faults().await;
    app.sign_in_admin().await;
    faults.fail("CreateSecret", "", 1);
    faults.fail("PutSecretValue", "", 1);
    let res = app.consent(None, ACME_ID, "authorize").await;
    assert_eq!(failure(&res)["error"], "secrets_unavailable");
    says_revoked(&app, &res, "workspace.install").await;
    assert_eq!(live_grants(&app).await, Vec::<String>::new());

    // Linear cannot be reached to revoke: the page and the audit event say the grant may be live.
    faults.fail("CreateSecret", "", 1);
    faults.fail("PutSecretValue", "", 1);
    app.linear.fail("revoke", 2, "5xx").await;
    let res = app.consent(None, ACME_ID, "authorize").await;
    assert_eq!(failure(&res)["grant"], "revoke_failed");
    let events = audit(&app).await;
    let e = events.iter().find(|e| e.action == "workspace.install").unwrap();
    assert!(e.detail.as_deref().unwrap().contains("revoking the tokens Linear issued FAILED"), "{e:?}");
    assert_eq!(live_grants(&app).await, vec![ACME_ID.to_owned()], "the grant left live is the one the audit names");
    let page = app.client.get(app.url(&location(&res))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"grant-fate\""), "the connect page says what to do");
}
