//! What the platform drops (issue 22 part 1): the webhook processor's lines in moto's CloudWatch
//! Logs become a workspace's *Dropped in the last 7 days*, with the buttons that fix each; a
//! workspace dropping more than the threshold in an hour opens one incident.
use app::drops_view::WorkspaceDrops;
use end2end::linear::seed::INITRODE_ID;
use end2end::processor::{now_ms, write, Dropped};

use crate::helpers::*;

/// Initrode's members and its project Billing, as the stand-in has them: (Pat, Ira, Uma, Billing).
async fn initrode(app: &TestApp) -> (String, String, String, String) {
    let world = app.linear.world.lock().await;
    let org = world.orgs.iter().find(|o| o.id == INITRODE_ID).expect("initrode");
    let user = |email: &str| org.users.iter().find(|u| u.email == email).expect("a member").id.clone();
    let billing = org.projects.iter().find(|p| p.name == "Billing").expect("Billing").id.clone();
    (user("pat@initrode.example"), user("ira@initrode.example"), user("user@example.com"), billing)
}

async fn drops(app: &TestApp, client: &reqwest::Client) -> WorkspaceDrops {
    call_json(app, client, "/api/workspace_drops", &format!("org_id={INITRODE_ID}&after_change=true")).await
}

async fn logs(app: &TestApp) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(&end2end::sdk_config(&app.local.endpoint, &app.local.region).await)
}

#[tokio::test]
async fn dropped_people_and_projects_show_on_the_workspace_page_with_their_fixes_and_linking_from_there_works() {
    let app = spawn_app().await;
    installed(&app, INITRODE_ID).await;
    let (pat, ira, uma, billing) = initrode(&app).await;
    let now = now_ms();
    let lines = [
        (now - 30 * 3_600_000, Dropped::UnlinkedActor { org: INITRODE_ID, user: &pat, issue: "i-1" }),
        (now - 60_000, Dropped::UnlinkedActor { org: INITRODE_ID, user: &pat, issue: "i-2" }),
        (now - 50_000, Dropped::UnlinkedCommenter { org: INITRODE_ID, user: &uma, issue: "i-3" }),
        (now - 40_000, Dropped::UnmappedProject { project: &billing, issue: "i-4" }),
        (now - 30_000, Dropped::NoProject { issue: "i-5" }),
        (now - 20_000, Dropped::UnlinkedActor { org: "another-org", user: &ira, issue: "i-6" }),
    ];
    let lines: Vec<(i64, String)> = lines.iter().map(|(at, d)| (*at, d.line())).collect();
    write(&logs(&app).await, &app.local.processor_log_group, &lines).await.expect("write the processor's lines");

    // The page an admin opens, as HTML (the forms work before any script).
    let page = app.client.get(app.url(&format!("/workspaces/{INITRODE_ID}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Dropped in the last 7 days"), "the section is on the page");
    for (what, needle) in [
        ("Pat, twice", "Pat Peer"),
        ("Pat's count", "2×"),
        ("Uma's suggested link", "Link to user@example.com"),
        ("create and link", "data-testid=\"drop-create\""),
        ("invite", "data-testid=\"drop-invite\""),
        ("the project", "Billing"),
        ("map it", &format!("/workspaces/{INITRODE_ID}/projects?q=Billing")),
        ("the form posts", "action=\"/api/link_user\""),
    ] {
        assert!(page.contains(needle), "{what}: {needle} is not on the page");
    }
    assert!(!page.contains("Ira Owner"), "another workspace's person is not listed here");

    let d = drops(&app, &app.client).await;
    assert_eq!(d.source.as_deref(), Some(app.local.processor_log_group.as_str()));
    let people: Vec<(&str, usize)> = d.people.iter().map(|p| (p.linear_user_id.as_str(), p.times)).collect();
    assert_eq!(people, vec![(pat.as_str(), 2), (uma.as_str(), 1)]);
    assert!(d.people[1].commented, "Uma's was a comment");
    assert_eq!((d.projects.len(), d.projects[0].name.as_str(), d.projects[0].mapped), (1, "Billing", false));
    assert_eq!((d.no_project, d.last_hour), (1, 2), "the line 30 hours ago is not in the last hour");

    // *Link* from the section: the users page's own form, landing on that person's row.
    let sub = d.people[1].row.as_ref().and_then(|r| r.platform_user.as_ref()).expect("Uma's suggestion").sub.clone();
    let to = app
        .submit("link_user", &[("org_id", INITRODE_ID), ("linear_user_id", &uma), ("platform_user_id", &sub), ("q", "user@example.com")])
        .await;
    assert!(to.starts_with(&format!("/workspaces/{INITRODE_ID}/users?q=user%40example.com")) && to.contains("notice=linked"), "{to}");
    let after = drops(&app, &app.client).await;
    let state = after.people.iter().find(|p| p.linear_user_id == uma).and_then(|p| p.row.as_ref()).map(|r| r.state);
    assert_eq!(state, Some(app::user_links_view::LinkState::Linked), "the section shows the link made");

    // A viewer sees counts, no names.
    let viewer = browser(&app.base);
    app.sign_in_with(&viewer, end2end::bootstrap::VIEWER_EMAIL, PASSWORD).await;
    let v = drops(&app, &viewer).await;
    assert!(v.counts_only && v.people.is_empty() && v.no_project_issues.is_empty(), "{v:?}");
    assert_eq!((v.people_count, v.people_times), (2, 3));
    let page = viewer.get(app.url(&format!("/workspaces/{INITRODE_ID}"))).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("Pat Peer") && page.contains("4 requests ignored"), "a viewer's page counts and names nobody");

    // The overview counts them.
    let summary: app::drops_view::DropsSummary = call_json(&app, &app.client, "/api/drops_summary", "").await;
    assert_eq!((summary.total, summary.people, summary.unmapped_projects, summary.no_project), (6, 4, 1, 1));
    assert_eq!(summary.per_workspace.first().map(|(org, _, n)| (org.as_str(), *n)), Some((INITRODE_ID, 3)));
}

#[tokio::test]
async fn a_workspace_dropping_more_than_the_threshold_in_an_hour_opens_one_incident_and_alerts() {
    let endpoint = moto_endpoint();
    let local = end2end::bootstrap(&endpoint, "us-east-1", &unique_prefix(), PASSWORD).await.expect("bootstrap");
    let topic = local.alert_topic_arn.clone();
    let app = spawn_app_for(local, &[("CONSOLE_DROPS_ALERT_PER_HOUR", "3"), ("CONSOLE_ALERT_SNS_TOPIC_ARNS", &topic)]).await;
    installed(&app, INITRODE_ID).await;
    let (pat, ..) = initrode(&app).await;
    let now = now_ms();
    let lines: Vec<(i64, String)> = (0..5)
        .map(|i| (now - 60_000 + i, Dropped::UnlinkedActor { org: INITRODE_ID, user: &pat, issue: &format!("i-{i}") }.line()))
        .collect();
    write(&logs(&app).await, &app.local.processor_log_group, &lines).await.unwrap();
    let sweeper = app.services.sweeper.clone();
    assert_eq!(sweeper.sweep_once().await.dropping, 1);
    assert_eq!(sweeper.sweep_once().await.dropping, 1, "still over: the same incident");
    let filter = console_core::services::incidents::IncidentFilter {
        kind: Some(console_core::incidents::IncidentKind::DroppedEvents),
        ..Default::default()
    };
    let listed = app.services.watch.list(&filter, console_core::cache::Freshness::SinceChange).await.unwrap();
    assert_eq!(listed.len(), 1, "one incident");
    assert_eq!(listed[0].incident.org_id, INITRODE_ID);
    assert!(listed[0].incident.evidence.starts_with("5 requests"), "{}", listed[0].incident.evidence);
    let opened: Vec<_> = listed[0].deliveries.iter().filter(|d| d.event == "opened").collect();
    assert_eq!(opened.len(), 1, "announced once: {:?}", listed[0].deliveries);
    assert!(opened[0].delivered, "the SNS topic took it: {:?}", opened[0]);
    // The workspace's page says so.
    let d = drops(&app, &app.client).await;
    assert_eq!((d.last_hour, d.threshold), (5, 3));
}

#[tokio::test]
async fn the_processor_log_group_is_found_among_the_platform_stacks_resources() {
    let endpoint = moto_endpoint();
    let local = end2end::bootstrap(&endpoint, "us-east-1", &unique_prefix(), PASSWORD).await.expect("bootstrap");
    let (stack, group) = (local.stack_name.clone(), local.processor_log_group.clone());
    assert!(group.starts_with(&format!("/aws/lambda/{stack}-")), "{group}");
    let app = spawn_app_for(local, &[("PLATFORM_STACK_NAME", &stack), ("PLATFORM_PROCESSOR_LOG_GROUP", "")]).await;
    assert_eq!(app.services.drops.source(), Some(group.as_str()));
}
