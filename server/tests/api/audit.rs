//! The audit log: filters, newest first, paging without gaps or repeats, and the CSV export.
use app::wire::{AuditPage, AuditQuery};
use console_core::audit::{Action, AuditEvent, Outcome};
use console_core::error::Unavailable;
use console_core::ports::AuditStore;
use server::adapters::dynamodb::audit::DynamoAudit;

use crate::helpers::*;

/// The audit table as the console writes and reads it, through the views the pages ask for.
struct Log(DynamoAudit);

impl Log {
    async fn record(&self, e: AuditEvent) -> Result<(), Unavailable> {
        self.0.append(&e.bounded(), time::OffsetDateTime::now_utc(), &uuid::Uuid::new_v4().to_string()).await
    }

    async fn search(&self, q: &AuditQuery, limit: usize) -> Result<AuditPage, Unavailable> {
        self.0.search(&q.filter().expect("a well-formed view"), limit, time::OffsetDateTime::now_utc().date()).await
    }

    async fn migrate(&self) -> Result<usize, Unavailable> {
        self.0.migrate().await
    }
}

async fn seed(app: &TestApp) -> Log {
    let log = Log(DynamoAudit::new(app.aws.dynamodb.clone(), app.local.audit_table.clone()));
    for i in 0..230 {
        let (action, target) = if i % 3 == 0 { (Action::WorkspaceRevoke, "org-a") } else { (Action::WorkspaceCheck, "org-b") };
        log.record(AuditEvent {
            action,
            actor_sub: Some(format!("sub-{}", i % 2)),
            actor_email: Some(if i % 2 == 0 { "alice@example.com".into() } else { "bob@example.com".into() }),
            target: Some(target.into()),
            outcome: Outcome::Success,
            detail: Some(format!("event {i}")),
            request_id: None,
        })
        .await
        .unwrap();
    }
    log
}

#[tokio::test]
async fn filters_and_pages_walk_the_whole_view_once() {
    let app = spawn_app().await;
    let log = seed(&app).await;
    let q = AuditQuery { action: "workspace.check".into(), ..AuditQuery::default() };
    let mut seen = Vec::new();
    let mut query = q.clone();
    loop {
        let page: AuditPage = log.search(&query, 50).await.unwrap();
        assert!(page.entries.len() <= 50);
        assert!(page.entries.iter().all(|e| e.action == "workspace.check" && e.target.as_deref() == Some("org-b")));
        seen.extend(page.entries.iter().map(|e| e.detail.clone().unwrap()));
        match page.next {
            Some(next) => query.before = next,
            None => break,
        }
    }
    assert_eq!(seen.len(), 153, "every matching event once");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no repeats across pages");
    assert_eq!(seen.first().map(String::as_str), Some("event 229"), "newest first");

    let by_actor =
        log.search(&AuditQuery { actor: "ALICE".into(), workspace: "org-a".into(), ..AuditQuery::default() }, 500).await.unwrap();
    assert_eq!(by_actor.entries.len(), 39);
    assert!(by_actor.entries.iter().all(|e| e.actor_email.as_deref() == Some("alice@example.com")));
    let yesterday = (time::OffsetDateTime::now_utc() - time::Duration::days(1)).date();
    let old = log.search(&AuditQuery { to: yesterday.to_string(), ..AuditQuery::default() }, 500).await.unwrap();
    assert!(old.entries.is_empty(), "a range that ends yesterday holds none of today's events");
}

#[tokio::test]
async fn the_filtered_view_downloads_as_csv_for_admins_only() {
    let app = spawn_app().await;
    seed(&app).await;
    let anon = browser(&app.base).get(app.url("/audit.csv")).send().await.unwrap();
    assert_eq!(anon.status(), 303, "sign in first");
    app.sign_in_admin().await;
    let res = app.client.get(app.url("/audit.csv?action=workspace.revoke&actor=bob")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let body = res.text().await.unwrap();
    let mut lines = body.lines();
    assert_eq!(lines.next(), Some("time,actor_email,actor_sub,action,workspace,outcome,detail,request_id"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 38);
    assert!(rows.iter().all(|r| r.contains(",bob@example.com,sub-1,workspace.revoke,org-a,success,")), "{:?}", &rows[..2]);
}

/// A page of the log, or of one workspace's history, is one Query whatever the days it spans, and
/// events written before the indexes existed are indexed once by the start-up migration.
#[tokio::test]
async fn a_page_is_one_query_and_older_events_are_indexed_once() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let app = spawn_app().await;
    let log = seed(&app).await;
    // An event as the console wrote them before the indexes: no `feed`, 20 days ago.
    let old_day = time::OffsetDateTime::now_utc() - time::Duration::days(20);
    let day = format!("{:04}-{:02}-{:02}", old_day.year(), u8::from(old_day.month()), old_day.day());
    let at = format!("{day}T10:00:00Z");
    app.aws
        .dynamodb
        .put_item()
        .table_name(&app.local.audit_table)
        .item("day", AttributeValue::S(day.clone()))
        .item("sk", AttributeValue::S(format!("{at}#old")))
        .item("at", AttributeValue::S(at.clone()))
        .item("action", AttributeValue::S("workspace.install".into()))
        .item("outcome", AttributeValue::S("success".into()))
        .item("target", AttributeValue::S("org-old".into()))
        .send()
        .await
        .unwrap();
    let all = AuditQuery { action: "workspace.install".into(), ..AuditQuery::default() };
    assert!(log.search(&all, 100).await.unwrap().entries.is_empty(), "not in the feed before the migration");
    assert_eq!(log.migrate().await.unwrap(), 1);
    assert_eq!(log.migrate().await.unwrap(), 0, "done once");
    let found = log.search(&all, 100).await.unwrap().entries;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].at, at);
    let history = log.search(&AuditQuery { workspace: "org-old".into(), ..AuditQuery::default() }, 20).await.unwrap();
    assert_eq!(history.entries.len(), 1, "the workspace's history finds it through its own index");
}

#[tokio::test]
async fn the_audit_page_and_a_workspace_history_cost_one_query_each() {
    let (app, faults) = spawn_app_with_faults().await;
    seed(&app).await;
    app.sign_in_admin().await;
    // (230 events: all are `workspace.`, 77 are org-a's.)
    for (body, expected) in [("query[action]=workspace.", 100), ("query[workspace]=org-a", 77)] {
        faults.reset_calls();
        let res = app
            .client
            .post(app.url("/api/audit_search"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let page: AuditPage = res.json().await.unwrap();
        assert_eq!(page.entries.len(), expected, "{body}");
        let calls = faults.calls();
        let queries = calls.iter().filter(|c| c.as_str() == "QueryInput").count();
        assert_eq!(queries, 1, "{body}: {calls:?}");
    }
}

#[tokio::test]
async fn a_change_whose_event_cannot_be_written_still_happens_and_its_page_says_so() {
    let (app, faults) = spawn_app_with_faults().await;
    installed(&app, end2end::linear::seed::ACME_ID).await;
    let org = end2end::linear::seed::ACME_ID;
    faults.fail("PutItem", &app.local.audit_table, 1);
    let loc = app.submit("check_workspace", &[("org_id", org)]).await;
    assert_eq!(faults.remaining("PutItem"), 0, "the event's write was tried and refused");
    assert_eq!(loc, format!("/workspaces/{org}?notice=check_ok&unrecorded=1"), "the check ran; the page is told its event is missing");
    assert!(row(&app, org).await.unwrap().contains_key("last_check_at"), "the check's result is on the row");
    let html = app.client.get(app.url(&loc)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-testid=\"unrecorded\""), "the warning is shown");
    assert!(html.contains("the audit log could not record it"), "in words");
    let plain = app.client.get(app.url(&format!("/workspaces/{org}?notice=check_ok"))).send().await.unwrap().text().await.unwrap();
    assert!(!plain.contains("data-testid=\"unrecorded\""), "and only when it happened");
}

/// Every event of the app's audit table: its id (the sort key's end) and its item.
async fn table_events(app: &TestApp) -> Vec<(String, std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>)> {
    let items = app.aws.dynamodb.scan().table_name(&app.local.audit_table).send().await.unwrap().items.unwrap_or_default();
    items
        .into_iter()
        .filter_map(|item| {
            let sk = item.get("sk").and_then(|v| v.as_s().ok())?.clone();
            let id = sk.rsplit_once('#')?.1.to_owned();
            (!sk.starts_with("feed-index")).then_some((id, item))
        })
        .collect()
}

/// The lines of the app's audit log stream, parsed.
async fn stream_lines(app: &TestApp) -> Vec<serde_json::Value> {
    let out = app.aws.logs.get_log_events().log_group_name(&app.local.audit_log_group).log_stream_name("audit").send().await.unwrap();
    out.events().iter().map(|e| serde_json::from_str(e.message().unwrap_or("")).expect("one JSON object per line")).collect()
}

#[tokio::test]
async fn every_audit_event_is_in_the_consoles_log_group_once_with_the_tables_fields() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let page = app.client.get(app.url("/audit")).send().await.unwrap().text().await.unwrap();
    let said = format!("also written to CloudWatch Logs, group {}, stream audit", app.local.audit_log_group);
    assert!(page.contains(&said), "the page says where the stream goes");
    let wrong = browser(&app.base);
    app.sign_in_with(&wrong, end2end::bootstrap::ADMIN_EMAIL, "Not-the-password-1").await;
    app.client.post(app.url("/logout")).send().await.unwrap();
    let events = table_events(&app).await;
    assert!(events.len() >= 3, "a sign-in, a refused one and a sign-out: {}", events.len());
    let lines = stream_lines(&app).await;
    assert_eq!(lines.len(), events.len(), "one line per event");
    for (id, item) in &events {
        let found: Vec<&serde_json::Value> = lines.iter().filter(|l| l["id"] == id.as_str()).collect();
        assert_eq!(found.len(), 1, "event {id} once");
        let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).map(|v| v.as_str());
        for field in ["at", "action", "outcome", "actor_sub", "actor_email", "target", "detail", "request_id"] {
            assert_eq!(found[0][field].as_str(), s(field), "{field} of {id}");
        }
    }
    let all = lines.iter().map(|l| l.to_string()).collect::<String>();
    assert!(!all.contains("eyJ") && !all.contains("Not-the-password-1"), "no token and no password in the stream");
}

#[tokio::test]
async fn a_log_stream_that_cannot_be_written_keeps_the_change_and_its_record() {
    let base = spawn_app().await;
    let app = spawn_app_for(base.local.clone(), &[("CONSOLE_AUDIT_LOG_GROUP", "/no-such/group")]).await;
    app.sign_in_admin().await;
    assert_eq!(app.client.get(app.url("/workspaces")).send().await.unwrap().status(), 200, "signed in");
    let events = table_events(&app).await;
    assert!(
        events.iter().any(|(_, item)| item.get("action").and_then(|v| v.as_s().ok()).is_some_and(|a| a == "sign_in")),
        "the table has it"
    );
    assert!(stream_lines(&base).await.is_empty(), "and the configured group (missing) nothing, the app's own group nothing either");
}
