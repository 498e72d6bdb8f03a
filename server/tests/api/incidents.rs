//! Incidents and alerts against moto (an SNS topic with an SQS queue subscribed, to read what was
//! published) and a webhook receiver in the test: one incident and one message per channel when a
//! grant dies, nothing more on the next sweep or from a second console, recovery announced, quiet
//! incidents quiet, a failing channel retried with its failure shown, the signature verifiable.
use std::sync::{Arc, Mutex};

use end2end::linear::seed::ACME_ID;

use crate::helpers::*;

const SECRET: &str = "whsec-test-0123456789";

/// One post the receiver got: its timestamp and signature headers, and its body.
type Post = (Option<String>, Option<String>, String);

/// A local webhook receiver: what it was sent, and whether it answers 200 or 500.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Post>>>,
    failing: Arc<Mutex<bool>>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let r = Receiver::default();
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hook/secret-path",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).map(str::to_owned);
                    state.got.lock().unwrap().push((h("x-console-timestamp"), h("x-console-signature"), body));
                    if *state.failing.lock().unwrap() {
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        axum::http::StatusCode::OK
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook/secret-path", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (r, url)
    }

    fn bodies(&self) -> Vec<serde_json::Value> {
        self.got.lock().unwrap().iter().map(|(_, _, b)| serde_json::from_str(b).unwrap()).collect()
    }
}

/// An SQS queue subscribed to the topic: what SNS published.
async fn subscribe(app: &TestApp, topic: &str) -> (aws_sdk_sqs::Client, String) {
    let sdk = end2end::sdk_config(&app.local.endpoint, &app.local.region).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let name = format!("alerts-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let url = sqs.create_queue().queue_name(&name).send().await.unwrap().queue_url.unwrap();
    let arn = format!("arn:aws:sqs:{}:123456789012:{name}", app.local.region);
    aws_sdk_sns::Client::new(&sdk).subscribe().topic_arn(topic).protocol("sqs").endpoint(arn).send().await.unwrap();
    (sqs, url)
}

fn alert_env<'a>(base: &'a TestApp, hook: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("CONSOLE_ALERT_SNS_TOPIC_ARNS", base.local.alert_topic_arn.as_str()),
        ("CONSOLE_ALERT_WEBHOOK_URLS", hook),
        ("CONSOLE_ALERT_WEBHOOK_SECRET", SECRET),
    ];
    env.extend_from_slice(extra);
    env
}

/// A console alerting the local topic and the receiver.
async fn alerting(base: &TestApp, hook: &str, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_for(base.local.clone(), &alert_env(base, hook, extra)).await
}

async fn incidents(app: &TestApp) -> Vec<serde_json::Value> {
    let res = app.client.post(app.url("/api/incidents")).form(&[("query[state]", "")]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_dead_grant_opens_one_incident_announced_once_per_channel_and_its_recovery_too() {
    let base = spawn_app().await;
    let (receiver, hook) = Receiver::start().await;
    let app = alerting(&base, &hook, &[]).await;
    // A second instance, configured the same (as every instance of a deployment is).
    let other = spawn_app_sharing_with(&app, &alert_env(&base, &hook, &[])).await;
    let (sqs, queue) = subscribe(&app, &app.local.alert_topic_arn).await;
    installed(&app, ACME_ID).await;
    let slug = app.linear.slug(ACME_ID).await;

    app.linear.control("revoke-grant", serde_json::json!({ "org_id": ACME_ID })).await;
    // Two consoles sweep at once: one incident, one message per channel.
    let (a, b) = tokio::join!(app.services.sweeper.sweep_once(), other.services.sweeper.sweep_once());
    assert_eq!(a.checked + b.checked, 2);
    let open = incidents(&app).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!((open[0]["kind"].as_str(), open[0]["state"].as_str()), (Some("needs_reconnect"), Some("open")));
    let sns = drain(&sqs, &queue).await;
    assert_eq!(sns.len(), 1, "{sns:?}");
    assert!(sns[0].contains(&slug) && sns[0].contains("Needs reconnect"), "{}", sns[0]);
    let hooks = receiver.bodies();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["event"], "opened");
    // The link is the announcing instance's public URL (the same for every instance of a deployment).
    let link = hooks[0]["link"].as_str().unwrap();
    assert!([&app.base, &other.base].iter().any(|b| link == format!("{b}/workspaces/{ACME_ID}")), "{link}");

    // The signature verifies with the documented recipe.
    let (ts, sig, body) = receiver.got.lock().unwrap()[0].clone();
    assert_eq!(sig.unwrap(), server::adapters::alerting::signature(SECRET, ts.unwrap().parse().unwrap(), &body));

    // Seen again: nothing new.
    app.services.sweeper.sweep_once().await;
    assert_eq!(incidents(&app).await.len(), 1);
    assert!(drain(&sqs, &queue).await.is_empty());
    assert_eq!(receiver.bodies().len(), 1);

    // Reconnected: the next check resolves it and says so, once, with how long it lasted.
    let res = app.consent(Some(ACME_ID), ACME_ID, "authorize").await;
    assert!(location(&res).contains("notice=reconnected"), "{}", location(&res));
    let (_, _) = tokio::join!(app.services.sweeper.sweep_once(), other.services.sweeper.sweep_once());
    let all = incidents(&app).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["state"], "resolved");
    let sns = drain(&sqs, &queue).await;
    assert_eq!(sns.len(), 1, "{sns:?}");
    assert!(sns[0].contains("healthy again after"), "{}", sns[0]);
    assert_eq!(receiver.bodies().len(), 2);
    assert_eq!(receiver.bodies()[1]["event"], "resolved");

    // No incident row or message holds a token.
    let issued: Vec<String> = {
        let w = app.linear.world.lock().await;
        w.access.keys().chain(w.refresh.keys()).cloned().chain([w.settings.client_secret.clone()]).collect()
    };
    let rows = app.aws.dynamodb.scan().table_name(&app.local.incidents_table).send().await.unwrap();
    let everything = format!("{:?}{:?}", rows.items(), receiver.got.lock().unwrap());
    for secret in issued {
        assert!(!everything.contains(&secret), "a token reached an incident row or a message");
    }
}

#[tokio::test]
async fn acknowledged_and_snoozed_incidents_stay_quiet_and_the_page_acts_on_them() {
    let base = spawn_app().await;
    let (receiver, hook) = Receiver::start().await;
    // Reminders after one minute, so a sweep can be due one.
    let app = alerting(&base, &hook, &[("CONSOLE_ALERT_REMINDER_MINUTES", "1")]).await;
    installed(&app, ACME_ID).await;
    app.linear.control("revoke-grant", serde_json::json!({ "org_id": ACME_ID })).await;
    app.submit("check_workspace", &[("org_id", ACME_ID)]).await;
    assert_eq!(receiver.bodies().len(), 1, "*Check now* opens and announces it too");

    let to = app.submit("acknowledge_incident", &[("org_id", ACME_ID), ("kind", "needs_reconnect"), ("note", "on it")]).await;
    assert!(to.starts_with("/incidents?") && to.contains("notice=acknowledged"), "{to}");
    let i = &incidents(&app).await[0];
    assert_eq!((i["state"].as_str(), i["note"].as_str()), (Some("acknowledged"), Some("on it")));
    // Make the incident old enough for a reminder: an acknowledged one gets none.
    age_incidents(&app, 120).await;
    app.services.sweeper.sweep_once().await;
    assert_eq!(receiver.bodies().len(), 1, "acknowledged: no reminder");

    let events: Vec<serde_json::Value> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    assert!(events.iter().any(|e| e["action"] == "incident.acknowledge"));
    // A viewer may read incidents but not act on them.
    let viewer = browser(&app.base);
    app.sign_in_with(&viewer, end2end::bootstrap::VIEWER_EMAIL, PASSWORD).await;
    let res = viewer
        .post(app.url("/api/snooze_incident"))
        .form(&[("org_id", ACME_ID), ("kind", "needs_reconnect"), ("span", "1h")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn an_unacknowledged_incident_is_reminded_once() {
    let base = spawn_app().await;
    let (receiver, hook) = Receiver::start().await;
    let app = alerting(&base, &hook, &[("CONSOLE_ALERT_REMINDER_MINUTES", "1")]).await;
    installed(&app, ACME_ID).await;
    app.linear.control("revoke-grant", serde_json::json!({ "org_id": ACME_ID })).await;
    app.services.sweeper.sweep_once().await;
    age_incidents(&app, 120).await;
    app.services.sweeper.sweep_once().await;
    app.services.sweeper.sweep_once().await;
    let events: Vec<String> = receiver.bodies().iter().map(|b| b["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events, ["opened", "reminder"], "one reminder, not one per sweep");
}

#[tokio::test]
async fn a_failing_channel_is_retried_and_its_failure_shown() {
    let base = spawn_app().await;
    let (receiver, hook) = Receiver::start().await;
    *receiver.failing.lock().unwrap() = true;
    // No page reuse: the sweep's retry is another actor's change, which a page shows within the
    // pages' 10 s by design; this test reads the delivery's state right after each sweep.
    let app = alerting(&base, &hook, &[("CONSOLE_OVERVIEW_CACHE_SECONDS", "0")]).await;
    installed(&app, ACME_ID).await;
    app.linear.control("revoke-grant", serde_json::json!({ "org_id": ACME_ID })).await;
    app.services.sweeper.sweep_once().await;
    assert_eq!(receiver.got.lock().unwrap().len(), 3, "tried at once, three times");
    let i = &incidents(&app).await[0];
    let hook_delivery =
        i["deliveries"].as_array().unwrap().iter().find(|d| d["channel"].as_str().unwrap().starts_with("webhook")).unwrap().clone();
    assert_eq!((hook_delivery["delivered"].as_bool(), hook_delivery["error"].as_str()), (Some(false), Some("HTTP 500")), "{hook_delivery}");
    let label = hook_delivery["channel"].as_str().unwrap();
    assert!(label.starts_with("webhook 127.0.0.1:") && !label.contains("secret-path"), "the URL's secret path is not shown: {label}");

    // The receiver recovers; the sweep's retry (once due) delivers it.
    *receiver.failing.lock().unwrap() = false;
    due_now(&app).await;
    app.services.sweeper.sweep_once().await;
    let i = &incidents(&app).await[0];
    let hook_delivery =
        i["deliveries"].as_array().unwrap().iter().find(|d| d["channel"].as_str().unwrap().starts_with("webhook")).unwrap().clone();
    assert_eq!((hook_delivery["delivered"].as_bool(), hook_delivery["attempts"].as_u64()), (Some(true), Some(4)), "{hook_delivery}");
}

#[tokio::test]
async fn a_snoozed_incident_gets_no_reminder_and_snoozed_until_resolved_no_recovery_message() {
    let base = spawn_app().await;
    let (receiver, hook) = Receiver::start().await;
    let app = alerting(&base, &hook, &[("CONSOLE_ALERT_REMINDER_MINUTES", "1")]).await;
    installed(&app, ACME_ID).await;
    app.linear.control("revoke-grant", serde_json::json!({ "org_id": ACME_ID })).await;
    app.services.sweeper.sweep_once().await;
    let to = app.submit("snooze_incident", &[("org_id", ACME_ID), ("kind", "needs_reconnect"), ("span", "1h")]).await;
    assert_eq!(to, "/incidents?notice=snoozed");
    age_incidents(&app, 120).await;
    app.services.sweeper.sweep_once().await;
    assert_eq!(receiver.bodies().len(), 1, "snoozed for an hour: no reminder");
    assert!(incidents(&app).await[0]["snoozed_until"].is_string());

    app.submit("snooze_incident", &[("org_id", ACME_ID), ("kind", "needs_reconnect"), ("span", "resolved")]).await;
    app.consent(Some(ACME_ID), ACME_ID, "authorize").await;
    app.services.sweeper.sweep_once().await;
    assert_eq!(incidents(&app).await[0]["state"], "resolved");
    assert_eq!(receiver.bodies().len(), 1, "snoozed until resolved: its resolution is not announced either");
}

/// Moves every open incident's first sighting `seconds` into the past.
async fn age_incidents(app: &TestApp, seconds: i64) {
    for item in partition(app, "open").await {
        let first: i64 = item["first_seen"].as_n().unwrap().parse().unwrap();
        set(app, &item, "first_seen", (first - seconds).to_string()).await;
    }
}

/// Makes every failed delivery due for its retry now.
async fn due_now(app: &TestApp) {
    for item in partition(app, "alert").await.iter().filter(|i| i.contains_key("next_at")) {
        set(app, item, "next_at", "0".into()).await;
    }
}

type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// Every item of one partition of the incidents table.
async fn partition(app: &TestApp, pk: &str) -> Vec<Item> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let out = app
        .aws
        .dynamodb
        .query()
        .table_name(&app.local.incidents_table)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", AttributeValue::S(pk.into()))
        .send()
        .await
        .unwrap();
    out.items().to_vec()
}

/// Sets a number attribute of an item of the incidents table.
async fn set(app: &TestApp, item: &Item, name: &str, value: String) {
    use aws_sdk_dynamodb::types::AttributeValue;
    app.aws
        .dynamodb
        .update_item()
        .table_name(&app.local.incidents_table)
        .key("pk", item["pk"].clone())
        .key("sk", item["sk"].clone())
        .update_expression("SET #a = :v")
        .expression_attribute_names("#a", name)
        .expression_attribute_values(":v", AttributeValue::N(value))
        .send()
        .await
        .unwrap();
}
#[tokio::test]
async fn settings_list_the_channels_without_secrets_and_a_test_alert_reaches_one() {
    let base = spawn_app().await;
    let (receiver, hook) = Receiver::start().await;
    let slack = "http://127.0.0.1:9/services/T000/B000/very-secret";
    let app = alerting(&base, &hook, &[("CONSOLE_ALERT_SLACK_WEBHOOK_URLS", slack)]).await;
    app.sign_in_admin().await;
    let res = app.call(&app.client, "/api/settings").await;
    let settings: serde_json::Value = res.json().await.unwrap();
    let channels = settings["channels"].as_array().unwrap();
    let kinds: Vec<&str> = channels.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["sns", "slack", "webhook"]);
    assert!(!settings.to_string().contains("very-secret") && !settings.to_string().contains("secret-path"), "{settings}");
    assert_eq!(settings["webhook_signed"], true);

    // The webhook is channel 2: a test alert reaches it; the unreachable Slack URL says it failed.
    assert_eq!(app.submit("test_alert", &[("channel", "2")]).await, "/settings?notice=test_sent&channel=2");
    assert_eq!(receiver.bodies().last().unwrap()["event"], "test");
    assert_eq!(app.submit("test_alert", &[("channel", "1")]).await, "/settings?error=test_failed&channel=1");
    let events: Vec<serde_json::Value> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    let tests: Vec<&serde_json::Value> = events.iter().filter(|e| e["action"] == "alert.test").collect();
    assert_eq!(tests.len(), 2);
    assert!(!serde_json::to_string(&tests).unwrap().contains("very-secret"));
    let page = app.client.get(app.url("/settings")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"test-alert\"") && !page.contains("very-secret"));
}

#[tokio::test]
async fn a_delivery_claimed_but_never_sent_is_sent_by_a_later_sweep() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let base = spawn_app().await;
    let (receiver, hook) = Receiver::start().await;
    let app = alerting(&base, &hook, &[]).await;
    installed(&app, ACME_ID).await;
    app.linear.control("revoke-grant", serde_json::json!({ "org_id": ACME_ID })).await;
    app.services.sweeper.sweep_once().await;
    assert_eq!(receiver.bodies().len(), 1);
    // As if the instance that claimed the webhook's delivery died before sending it: the claim's
    // two minutes have passed and no outcome was recorded.
    let claims = partition(&app, "alert").await;
    let claim = claims.iter().find(|i| i["channel"].as_s().unwrap().starts_with("webhook")).unwrap();
    app.aws
        .dynamodb
        .update_item()
        .table_name(&app.local.incidents_table)
        .key("pk", claim["pk"].clone())
        .key("sk", claim["sk"].clone())
        .update_expression("SET delivered = :f")
        .expression_attribute_values(":f", AttributeValue::Bool(false))
        .send()
        .await
        .unwrap();
    set(&app, claim, "attempts", "0".into()).await;
    set(&app, claim, "next_at", "0".into()).await;
    app.services.sweeper.sweep_once().await;
    assert_eq!(receiver.bodies().len(), 2, "the sweep sent it");
    assert_eq!(receiver.bodies()[1]["event"], "opened");

    // A fresh claim is due for that retry two minutes after it was made, until its outcome is recorded.
    use console_core::ports::{Delivery, IncidentStore, CLAIM_SECONDS};
    let store = server::adapters::dynamodb::incidents::DynamoIncidents::new(app.aws.dynamodb.clone(), app.local.incidents_table.clone());
    let d = Delivery {
        incident_id: "probe".into(),
        event: "opened".into(),
        channel: 0,
        channel_label: "sns probe".into(),
        delivered: false,
        attempts: 0,
        error: None,
        at: 1_000,
        next_at: None,
        message: "{}".into(),
    };
    assert!(store.claim(&d).await.unwrap());
    assert!(!store.claim(&d).await.unwrap(), "claimed once");
    let kept = store.deliveries().await.unwrap().into_iter().find(|x| x.incident_id == "probe").unwrap();
    assert_eq!(kept.next_at, Some(1_000 + CLAIM_SECONDS));
}
