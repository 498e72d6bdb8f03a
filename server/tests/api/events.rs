//! The lifecycle event stream (issue 22, part 2) against moto: connecting, linking and revoking
//! each put exactly one event on the console's EventBridge bus, which a rule delivers to an SQS
//! queue read here; each matches the documented schema and holds no token; a put the bus refuses
//! is tried again, and when refused three times recorded in the audit log with the whole event,
//! the change standing, and *Send again* on the audit page puts that event on the bus, once.
use end2end::linear::seed::INITRODE_ID;

use crate::helpers::*;

/// A bus of this test's own (moto's default bus is shared by every test), a rule on it for the
/// console's events, and the queue it delivers to.
async fn bus_to_queue(local: &end2end::Local) -> (String, aws_sdk_sqs::Client, String) {
    let sdk = end2end::sdk_config(&local.endpoint, &local.region).await;
    let (events, sqs) = (aws_sdk_eventbridge::Client::new(&sdk), aws_sdk_sqs::Client::new(&sdk));
    let name = format!("{}-bus", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    events.create_event_bus().name(&name).send().await.unwrap();
    let url = sqs.create_queue().queue_name(format!("{name}-q")).send().await.unwrap().queue_url.unwrap();
    let arn = format!("arn:aws:sqs:{}:123456789012:{name}-q", local.region);
    let pattern = serde_json::json!({ "source": ["linear-console"] }).to_string();
    events.put_rule().name("console-events").event_bus_name(&name).event_pattern(pattern).send().await.unwrap();
    let target = aws_sdk_eventbridge::types::Target::builder().id("queue").arn(arn).build().unwrap();
    events.put_targets().rule("console-events").event_bus_name(&name).targets(target).send().await.unwrap();
    (name, sqs, url)
}

/// The events delivered so far (EventBridge's whole event: `source`, `detail-type`, `detail`, …).
async fn delivered(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<serde_json::Value> {
    drain(sqs, url).await.iter().map(|m| serde_json::from_str(m).unwrap()).collect()
}

/// Uma (user@example.com) is a suggestion in initrode: her id and the pool's sub.
async fn uma(app: &TestApp) -> (String, String) {
    let id = {
        let world = app.linear.world.lock().await;
        let org = world.orgs.iter().find(|o| o.id == INITRODE_ID).unwrap();
        org.users.iter().find(|u| u.email == "user@example.com").unwrap().id.clone()
    };
    let users: app::user_links_view::WorkspaceUsers =
        call_json(app, &app.client, "/api/workspace_users", &format!("org_id={INITRODE_ID}&query[q]=user%40example.com")).await;
    let sub = users.rows[0].platform_user.as_ref().expect("a suggestion").sub.clone();
    (id, sub)
}

#[tokio::test]
async fn connecting_linking_and_revoking_each_put_one_event_of_the_schema_and_no_token() {
    let local = end2end::bootstrap(&moto_endpoint(), "us-east-1", &unique_prefix(), PASSWORD).await.expect("bootstrap");
    let (bus, sqs, queue) = bus_to_queue(&local).await;
    let app = spawn_app_for(local, &[("CONSOLE_EVENT_BUS", &bus)]).await;
    let slug = installed(&app, INITRODE_ID).await;
    let tokens = bundle(&app, &slug).await.expect("the bundle");
    let (user, sub) = uma(&app).await;
    app.submit("link_user", &[("org_id", INITRODE_ID), ("linear_user_id", &user), ("platform_user_id", &sub)]).await;
    app.submit("remove_workspace", &[("org_id", INITRODE_ID), ("confirm", &slug), ("delete_links", ""), ("mode", "revoke")]).await;

    let events = delivered(&sqs, &queue).await;
    let types: Vec<&str> = events.iter().map(|e| e["detail-type"].as_str().unwrap_or_default()).collect();
    assert_eq!(types, vec!["Workspace Connected", "Person Linked", "Workspace Revoked"], "exactly one each");
    for e in &events {
        assert_eq!(e["source"], "linear-console");
        let d = &e["detail"];
        assert_eq!(d["version"], 1, "{d}");
        assert_eq!(d["workspace"]["org_id"], INITRODE_ID);
        assert_eq!(d["actor"]["email"], end2end::bootstrap::ADMIN_EMAIL);
        assert_eq!(d["outcome"], "success");
        assert!(d["request_id"].as_str().is_some_and(|r| r.len() == 36), "the request id to quote: {d}");
        assert!(d["id"].as_str().is_some_and(|i| !i.is_empty()) && d["at"].as_str().is_some_and(|a| a.ends_with('Z')));
        let text = e.to_string();
        for secret in ["access_token", "refresh_token"] {
            let value = tokens[secret].as_str().unwrap();
            assert!(!text.contains(value), "an event carries the {secret}");
        }
    }
    assert_eq!(events[1]["detail"]["event"], "person.linked");
}

#[tokio::test]
async fn a_put_the_bus_refuses_is_tried_again_then_recorded_and_the_change_stands() {
    let local = end2end::bootstrap(&moto_endpoint(), "us-east-1", &unique_prefix(), PASSWORD).await.expect("bootstrap");
    let (bus, sqs, queue) = bus_to_queue(&local).await;
    let faults = Faults::default();
    let aws = faults.clients(&local).await;
    let app = spawn_app_with(local, &[("CONSOLE_EVENT_BUS", &bus)], aws).await;
    // Refused twice: the third try takes it.
    faults.fail("PutEvents", "", 2);
    installed(&app, INITRODE_ID).await;
    assert_eq!(faults.remaining("PutEvents"), 0);
    let events = delivered(&sqs, &queue).await;
    assert_eq!(events.len(), 1, "one event, not three");

    // Refused three times: recorded with the whole event; the link is made.
    let (user, sub) = uma(&app).await;
    faults.fail("PutEvents", "", 3);
    let to = app.submit("link_user", &[("org_id", INITRODE_ID), ("linear_user_id", &user), ("platform_user_id", &sub)]).await;
    assert!(to.contains("notice=linked"), "{to}");
    assert!(delivered(&sqs, &queue).await.is_empty());
    let kept = audit_events(&app, INITRODE_ID, "event.undelivered").await;
    assert_eq!(kept.entries.len(), 1);
    let detail = kept.entries[0].detail.clone().unwrap_or_default();
    assert!(
        detail.contains("person.linked")
            && detail.contains(&format!("event bus {bus}"))
            && detail.contains("\"detail-type\":\"Person Linked\""),
        "{detail}"
    );
    assert_eq!(audit_events(&app, INITRODE_ID, "user.link").await.entries[0].outcome, "success", "the change stands");

    // Send again, from the audit page: the same event (its id) reaches the bus once.
    let page = app.client.get(app.url("/audit?action=event.")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"send-again\"") && page.contains("Send again"), "the button on the row");
    let key = kept.entries[0].key.clone();
    let kept_id = console_core::lifecycle::Undelivered::parse(&detail).expect("the kept event").id;
    let to = app.submit("send_event_again", &[("key", &key)]).await;
    assert_eq!(to, "/audit?action=event.&notice=resent");
    let resent = delivered(&sqs, &queue).await;
    assert_eq!(resent.len(), 1);
    assert_eq!((resent[0]["detail-type"].as_str(), resent[0]["detail"]["id"].as_str()), (Some("Person Linked"), Some(kept_id.as_str())));
    assert_eq!(resent[0]["detail"]["event"], "person.linked");
    let again = app.submit("send_event_again", &[("key", &key)]).await;
    assert!(again.contains("error=already_sent"), "{again}");
    assert!(delivered(&sqs, &queue).await.is_empty(), "sent once");
    let page = app.client.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("Sent again by {}", end2end::bootstrap::ADMIN_EMAIL)), "the row says who sent it");
    assert!(!page.contains("data-testid=\"send-again\""));
    let audited = audit_events(&app, INITRODE_ID, "event.resent").await;
    assert_eq!(audited.entries.len(), 1, "one send, audited; the refusal to send twice writes nothing");
    assert!(audited.entries[0].detail.as_deref().is_some_and(|d| d.contains(&format!("sent again to event bus {bus}"))));
    let bad = app.form("send_event_again", &[("key", "../../etc/passwd")]).await;
    assert_eq!(bad.status(), 400);
    let unknown = app.submit("send_event_again", &[("key", "2026-01-01T00:00:00Z#no-such-event")]).await;
    assert!(unknown.contains("error=not_found"), "{unknown}");
}

#[tokio::test]
async fn a_signed_webhook_subscribed_to_people_gets_their_events_signed_and_nothing_else() {
    use std::sync::{Arc, Mutex};
    // Each post: its timestamp and signature headers, and its body.
    type Posts = Arc<Mutex<Vec<(Option<String>, Option<String>, String)>>>;
    let got: Posts = Arc::default();
    let state = got.clone();
    let hook = axum::Router::new().route(
        "/hook/secret-path",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let state = state.clone();
            async move {
                let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).map(str::to_owned);
                state.lock().unwrap().push((h("x-console-timestamp"), h("x-console-signature"), body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook/secret-path", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hook).await.unwrap() });
    let local = end2end::bootstrap(&moto_endpoint(), "us-east-1", &unique_prefix(), PASSWORD).await.expect("bootstrap");
    let env = [
        ("CONSOLE_EVENT_BUS", "off"),
        ("CONSOLE_ALERT_WEBHOOK_URLS", url.as_str()),
        ("CONSOLE_ALERT_WEBHOOK_SECRET", "hook-secret"),
        ("CONSOLE_ALERT_WEBHOOK_EVENTS", "person.*"),
    ];
    let app = spawn_app_for(local, &env).await;
    installed(&app, INITRODE_ID).await;
    let (user, sub) = uma(&app).await;
    app.submit("link_user", &[("org_id", INITRODE_ID), ("linear_user_id", &user), ("platform_user_id", &sub)]).await;

    let posts = got.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "the link only, not the install: {posts:?}");
    let (at, signed, body) = &posts[0];
    let at: i64 = at.as_deref().unwrap().parse().unwrap();
    assert_eq!(signed.as_deref(), Some(server::adapters::alerting::signature("hook-secret", at, body).as_str()), "signed as alerts are");
    let e: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!((e["source"].as_str(), e["detail-type"].as_str()), (Some("linear-console"), Some("Person Linked")));
    assert_eq!(e["detail"]["workspace"]["org_id"], INITRODE_ID);

    // `/settings` says where events go (and where dropped requests are read from).
    let settings: serde_json::Value = app.call(&app.client, "/api/settings").await.json().await.unwrap();
    assert_eq!(settings["events"], "1 signed webhook");
    assert_eq!(settings["processor_log"].as_str(), Some(app.local.processor_log_group.as_str()));
}
