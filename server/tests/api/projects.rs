//! Projects mapped to repositories, against moto and the Linear stand-in: acme-eng's 56 projects
//! over two GraphQL pages, mappings written as the CLI writes them plus `linear_workspace_id`,
//! the platform's repository table, conditional writes from two consoles, deactivation, and the
//! processor's own rule (restated in `contract.rs`) applied to what was written.
use std::collections::HashMap;

use app::projects_view::{Show, WorkspaceProjects};
use aws_sdk_dynamodb::types::AttributeValue;
use end2end::linear::seed::{ACME_ID, ENG_TEAM_ID, WEB_APP_PROJECT_ID};

use crate::contract::{processor_routes, CLI_PROJECT_ATTRIBUTES};
use crate::helpers::*;

type Item = HashMap<String, AttributeValue>;

async fn projects(app: &TestApp, org_id: &str, show: &str) -> WorkspaceProjects {
    searched(app, org_id, show, "").await
}

async fn searched(app: &TestApp, org_id: &str, show: &str, q: &str) -> WorkspaceProjects {
    let body = format!("org_id={org_id}&query[q]={}&query[show]={show}&query[page]=0&after_change=true", end2end::url_encode(q));
    call_json(app, &app.client, "/api/workspace_projects", &body).await
}

async fn project_row(app: &TestApp, id: &str) -> Option<Item> {
    let out = app
        .aws
        .dynamodb
        .get_item()
        .table_name(&app.local.project_mapping_table)
        .key("linear_project_id", AttributeValue::S(id.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.item
}

async fn project_count(app: &TestApp) -> usize {
    app.aws.dynamodb.scan().table_name(&app.local.project_mapping_table).send().await.unwrap().items().len()
}

fn s(item: &Item, k: &str) -> String {
    item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

/// The id of the project named `name` (found by the page's search: the list is paged).
async fn id_of(app: &TestApp, name: &str) -> String {
    let w = searched(app, ACME_ID, "", name).await;
    w.rows.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no project {name}")).id.clone()
}

fn version_of(w: &WorkspaceProjects, id: &str) -> String {
    w.rows.iter().find(|p| p.id == id).and_then(|p| p.mapping.as_ref()).map(|m| m.version.clone()).expect("a mapping")
}

#[tokio::test]
async fn an_operator_maps_two_projects_one_warned_and_the_platform_routes_only_the_active_one() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    let all = projects(&app, ACME_ID, "").await;
    assert_eq!(all.counts.iter().find(|(s, _)| *s == Show::Unmapped).unwrap().1, 56, "both of Linear's pages were read");
    assert!(all.repositories.as_ref().unwrap().contains(&"acme/web".to_owned()));
    assert!(!all.repositories.as_ref().unwrap().contains(&"acme/legacy".to_owned()), "a removed repository is not offered");
    assert_eq!((all.rows.len(), all.pages), (50, 2), "50 a page");
    let mobile = id_of(&app, "Mobile").await;

    let (web, eng) = (WEB_APP_PROJECT_ID, ENG_TEAM_ID);
    let fields = [("org_id", ACME_ID), ("project_id", web), ("repo", "acme/web"), ("label", ""), ("team_id", eng), ("version", "new")];
    let to = app.submit("map_project", &fields).await;
    assert!(to.starts_with(&format!("/workspaces/{ACME_ID}/projects?")) && to.contains("notice=mapped&"), "{to}");
    let fields = [("org_id", ACME_ID), ("project_id", mobile.as_str()), ("repo", "acme/mobile"), ("label", "Agent"), ("version", "new")];
    let to = app.submit("map_project", &fields).await;
    assert!(to.contains("notice=mapped_not_onboarded"), "warned, not silently allowed: {to}");

    // Exactly what the CLI writes, plus the workspace.
    let row = project_row(&app, web).await.expect("the web app's row");
    let mut keys: Vec<&str> = row.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected: Vec<&str> = CLI_PROJECT_ATTRIBUTES.iter().copied().chain(["linear_workspace_id"]).collect();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!((s(&row, "repo"), s(&row, "label_filter"), s(&row, "status")), ("acme/web".into(), "bgagent".into(), "active".into()));
    assert_eq!((s(&row, "team_id"), s(&row, "linear_workspace_id")), (eng.to_owned(), ACME_ID.to_owned()));
    assert_eq!(s(&row, "onboarded_at"), s(&row, "updated_at"));
    let mobile_row = project_row(&app, &mobile).await.unwrap();
    assert!(!mobile_row.contains_key("team_id"), "no team chosen: left out, as the CLI does");

    // The page shows who mapped each and warns about the repository the platform lacks.
    let mapped = projects(&app, ACME_ID, "mapped").await;
    assert_eq!(mapped.matching, 2);
    let m = mapped.rows.iter().find(|p| p.id == mobile).unwrap().mapping.clone().unwrap();
    assert!(m.warning.as_deref().unwrap().contains("422 REPO_NOT_ONBOARDED"), "{m:?}");
    assert_eq!(m.changed_by.as_deref(), Some("admin@example.com"));

    // Deactivate the mobile one (from the version shown): the platform ignores it, routes the other.
    let version = version_of(&mapped, &mobile);
    let fields = [("org_id", ACME_ID), ("project_id", mobile.as_str()), ("status", "removed"), ("version", version.as_str())];
    assert!(app.submit("set_project_status", &fields).await.contains("notice=deactivated"));
    let mobile_row = project_row(&app, &mobile).await.unwrap();
    assert_eq!((s(&mobile_row, "status"), s(&mobile_row, "repo")), ("removed".into(), "acme/mobile".into()));
    assert_eq!(processor_routes(Some(&mobile_row), &["agent"]), None);
    assert_eq!(processor_routes(project_row(&app, web).await.as_ref(), &["BGAgent"]).as_deref(), Some("acme/web"));
    assert_eq!(processor_routes(project_row(&app, web).await.as_ref(), &["bug"]), None);

    // Every change is in the audit log under the workspace.
    let page = audit_events(&app, ACME_ID, "project.").await;
    let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["project.deactivate", "project.map", "project.map"]);
}

#[tokio::test]
async fn two_consoles_cannot_overwrite_each_others_mapping_and_a_stale_change_is_refused() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    let other = spawn_app_sharing(&app).await;
    other.sign_in_admin().await;
    let web = WEB_APP_PROJECT_ID;
    let first = [("org_id", ACME_ID), ("project_id", web), ("repo", "acme/web"), ("version", "new")];
    assert!(app.submit("map_project", &first).await.contains("notice=mapped"));
    // The other console's page still showed the project unmapped.
    let second = [("org_id", ACME_ID), ("project_id", web), ("repo", "acme/api"), ("version", "new")];
    assert!(other.submit("map_project", &second).await.contains("error=conflict"));
    assert_eq!(s(&project_row(&app, web).await.unwrap(), "repo"), "acme/web");
    // A change from the version shown works once; the same version again is stale.
    let seen = version_of(&projects(&app, ACME_ID, "mapped").await, web);
    let change = [("org_id", ACME_ID), ("project_id", web), ("repo", "acme/api"), ("version", seen.as_str())];
    assert!(other.submit("map_project", &change).await.contains("notice=changed"));
    let again = [("org_id", ACME_ID), ("project_id", web), ("repo", "acme/web"), ("version", seen.as_str())];
    assert!(app.submit("map_project", &again).await.contains("error=conflict"));
    assert_eq!(s(&project_row(&app, web).await.unwrap(), "repo"), "acme/api");
}

#[tokio::test]
async fn several_projects_are_mapped_at_once_and_bad_input_writes_nothing() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    let (a, b) = (id_of(&app, "Public API").await, id_of(&app, "Ops tooling").await);
    let fields = [("org_id", ACME_ID), ("projects[]", a.as_str()), ("projects[]", b.as_str()), ("repo", "acme/api"), ("label", "")];
    let to = app.submit("map_projects", &fields).await;
    assert!(to.contains("notice=bulk") && to.contains("mapped=2&warned=0&conflicts=0&refused=0&failed=0"), "{to}");
    assert_eq!(project_count(&app).await, 2);
    for bad in ["acme", "acme/web.git", "../x", "acme/web extra"] {
        let res = app.form("map_project", &[("org_id", ACME_ID), ("project_id", "p-x"), ("repo", bad), ("version", "new")]).await;
        assert_eq!(res.status(), 400, "{bad}");
        assert!(res.text().await.unwrap().contains("repository"), "the refusal names the field");
    }
    let long = "x".repeat(81);
    let res = app
        .form("map_project", &[("org_id", ACME_ID), ("project_id", &a), ("repo", "acme/web"), ("label", &long), ("version", "new")])
        .await;
    assert_eq!(res.status(), 400);
    // A project of no workspace of ours: refused (and audited), nothing written.
    let to =
        app.submit("map_project", &[("org_id", ACME_ID), ("project_id", "not-a-project"), ("repo", "acme/web"), ("version", "new")]).await;
    assert!(to.contains("error=unknown_project"), "{to}");
    assert_eq!(project_count(&app).await, 2);
    // A viewer reads, and may not map.
    let viewer = browser(&app.url(""));
    app.sign_in_with(&viewer, end2end::bootstrap::VIEWER_EMAIL, PASSWORD).await;
    let res = viewer
        .post(app.url("/api/map_project"))
        .form(&[("org_id", ACME_ID), ("project_id", &a), ("repo", "acme/web"), ("version", "new")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn removing_a_workspace_deactivates_the_mappings_that_name_it() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    let web = WEB_APP_PROJECT_ID;
    assert!(app
        .submit("map_project", &[("org_id", ACME_ID), ("project_id", web), ("repo", "acme/web"), ("version", "new")])
        .await
        .contains("notice=mapped"));
    let slug = app.linear.slug(ACME_ID).await;
    // Revoked without deactivating: the overview counts the mapping as doing nothing.
    let revoke = [("org_id", ACME_ID), ("confirm", slug.as_str()), ("mode", "revoke")];
    assert!(app.submit("remove_workspace", &revoke).await.contains("projects.skipped"));
    let list: app::registry_view::WorkspaceList = call_json(&app, &app.client, "/api/workspace_list", "query[q]=&after_change=true").await;
    assert_eq!(list.orphan_mappings, (1, 0));
    let fields =
        [("org_id", ACME_ID), ("confirm", slug.as_str()), ("delete_links", "on"), ("deactivate_projects", "on"), ("mode", "remove")];
    let to = app.submit("remove_workspace", &fields).await;
    assert!(to.contains("projects.done,row.done"), "{to}");
    let list: app::registry_view::WorkspaceList = call_json(&app, &app.client, "/api/workspace_list", "query[q]=&after_change=true").await;
    assert_eq!(list.orphan_mappings, (0, 0), "deactivated with the removal");
    let row = project_row(&app, web).await.unwrap();
    assert_eq!((s(&row, "status"), s(&row, "repo")), ("removed".into(), "acme/web".into()));
    assert_eq!(processor_routes(Some(&row), &["bgagent"]), None);
}

#[tokio::test]
async fn a_mapping_the_cli_wrote_is_shown_and_the_platforms_removal_leaves_it_for_the_console_to_deactivate() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    installed(&app, ACME_ID).await;
    // The contract fixture's row, as the CLI wrote it (no workspace).
    let records = end2end::fixtures::platform_records().unwrap();
    for (_, item) in end2end::fixtures::section(&records, "project_mapping").unwrap() {
        app.aws.dynamodb.put_item().table_name(&app.local.project_mapping_table).set_item(Some(item)).send().await.unwrap();
    }
    let w = projects(&app, ACME_ID, "mapped").await;
    let web = w.rows.iter().find(|p| p.id == WEB_APP_PROJECT_ID).expect("the CLI's mapping is listed");
    let m = web.mapping.as_ref().unwrap();
    assert!(m.active && m.workspace_id.is_none() && m.warning.is_none(), "acme/web is onboarded: {m:?}");
    // Deactivating a row the CLI wrote stamps it with this workspace.
    let fields = [("org_id", ACME_ID), ("project_id", WEB_APP_PROJECT_ID), ("status", "removed"), ("version", m.version.as_str())];
    assert!(app.submit("set_project_status", &fields).await.contains("notice=deactivated"));
    let row = project_row(&app, WEB_APP_PROJECT_ID).await.unwrap();
    assert_eq!(
        (s(&row, "status"), s(&row, "linear_workspace_id"), s(&row, "onboarded_at")),
        ("removed".into(), ACME_ID.into(), "2026-07-30T11:00:00Z".into())
    );
}
