//! The platform's own registry records, as its CLI and Lambdas write them, shown with the
//! platform's parsing rules (contract fixture: ../shared/contract/platform-records.json).
use app::wire::{RegistryState, WorkspaceSummary};

use crate::helpers::*;

#[tokio::test]
async fn platform_written_registry_rows_are_listed_with_the_platforms_reading() {
    let app = spawn_app().await;
    let seeded = end2end::fixtures::seed_registry(&app.aws.dynamodb, &app.local.registry_table).await.expect("seed");
    app.sign_in_admin().await;
    let rows: Vec<WorkspaceSummary> = app.call(&app.client, "/api/workspaces").await.json().await.unwrap();
    assert_eq!(rows.len(), seeded);
    let by_id = |id: &str| rows.iter().find(|r| r.org_id == id).unwrap_or_else(|| panic!("{id} missing"));

    let active = by_id("4f6b3c1e-2a7d-4c8e-9b1f-0d2e3a4b5c6d");
    assert_eq!((active.state, active.slug.as_deref()), (RegistryState::Active, Some("acme-eng")));
    assert_eq!(active.team_keys, vec!["ENG", "OPS"]);
    assert_eq!(by_id("0b9e8d7c-6f5a-4e3d-8c2b-1a0f9e8d7c6b").state, RegistryState::Revoked);
    assert_eq!(by_id("7c6b5a49-3827-4165-9f8e-7d6c5b4a3928").state, RegistryState::Revoked);
    assert_eq!(by_id("2d3e4f50-6172-4839-a4b5-c6d7e8f90a1b").state, RegistryState::Active, "vault-managed rows are active");
    let incomplete = by_id("9f8e7d6c-5b4a-4392-8172-6f5e4d3c2b1a");
    assert_eq!((incomplete.state, incomplete.slug.as_deref()), (RegistryState::NotRegistered, None));
    let suspended = by_id("5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716");
    assert_eq!(suspended.state, RegistryState::Revoked, "an unknown status fails closed");
    assert_eq!(suspended.raw_status.as_deref(), Some("suspended"));
}

#[tokio::test]
async fn an_empty_registry_lists_nothing() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let rows: Vec<WorkspaceSummary> = app.call(&app.client, "/api/workspaces").await.json().await.unwrap();
    assert!(rows.is_empty());
}

#[tokio::test]
async fn a_failing_backend_gives_a_503_with_the_request_id_and_no_cause() {
    let base = spawn_app().await;
    let app = spawn_app_for(base.local.clone(), &[("LINEAR_REGISTRY_TABLE", "no-such-table")]).await;
    app.sign_in_admin().await;
    let res = app.call(&app.client, "/api/workspaces").await;
    assert_eq!(res.status(), 503);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = res.text().await.unwrap();
    assert!(!body.contains("ResourceNotFound") && !body.contains("no-such-table"), "the cause stays in the log: {body}");
    let err: app::errors::AppError = serde_json::from_str(&body).unwrap();
    assert_eq!(err, app::errors::AppError::Unavailable { service: "DynamoDB".into(), request_id });
    assert!(err.to_string().contains("Request id"), "{err}");
}

/// The overview's rows are reused briefly; a change made through the console shows at once,
/// one the platform makes shows when the cache runs out.
#[tokio::test]
async fn the_overview_is_cached_briefly_and_console_changes_show_at_once() {
    let base = spawn_app().await;
    let app = spawn_app_for(base.local.clone(), &[("CONSOLE_OVERVIEW_CACHE_SECONDS", "2")]).await;
    app.sign_in_admin().await;
    let count = || async { app.call(&app.client, "/api/workspaces").await.json::<Vec<WorkspaceSummary>>().await.unwrap().len() };
    assert_eq!(count().await, 0);

    // An install through the console: listed on the next load.
    let res = app.consent(None, end2end::linear::seed::INITRODE_ID, "authorize").await;
    assert!(location(&res).contains("notice=installed"));
    assert_eq!(count().await, 1);

    // A row the platform's CLI writes meanwhile: shown once the 2 s are over.
    end2end::fixtures::seed_registry(&app.aws.dynamodb, &app.local.registry_table).await.expect("seed");
    assert_eq!(count().await, 1, "served from the cache");
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert!(count().await > 1, "the cache ran out");
}

/// The pages' AWS budget on a warm console (issue 14): each page reads DynamoDB and Secrets Manager at
/// most three times once its reads are reused (Cognito's calls are counted by `make bench`).
#[tokio::test]
async fn warm_pages_stay_within_three_aws_calls() {
    let (app, faults) = spawn_app_with_faults().await;
    let org = end2end::linear::seed::ACME_ID;
    installed(&app, org).await;
    // Each page read whole, as a browser does (a page streams; its data is read while it does).
    let load = |page: String| {
        let (client, url) = (app.client.clone(), app.url(&page));
        async move {
            let res = client.get(url).send().await.unwrap();
            assert_eq!(res.status(), 200, "{page}");
            res.text().await.unwrap()
        }
    };
    let pages = [
        format!("/workspaces/{org}"),
        format!("/workspaces/{org}/projects"),
        "/incidents".to_owned(),
        "/workspaces".to_owned(),
        "/audit".to_owned(),
        "/users".to_owned(),
    ];
    for page in pages {
        load(page.clone()).await;
        faults.reset_calls();
        load(page.clone()).await;
        let calls = faults.calls();
        assert!(calls.len() <= 3, "{page}: {calls:?}");
    }
}

#[tokio::test]
async fn fifty_loads_of_one_page_at_once_read_its_data_once() {
    let (app, faults) = spawn_app_with_faults().await;
    let org = end2end::linear::seed::ACME_ID;
    installed(&app, org).await;
    for page in [format!("/workspaces/{org}"), "/audit".to_owned()] {
        // Whatever an earlier load kept is dropped, as by a change; then one load alone, cold.
        let check = || app.client.post(app.url("/api/check_workspace")).form(&[("org_id", org)]).send();
        check().await.unwrap();
        faults.reset_calls();
        let res = app.client.get(app.url(&page)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.text().await.unwrap();
        let alone = faults.calls().len();

        check().await.unwrap();
        faults.reset_calls();
        let loads = (0..50).map(|_| {
            let (client, url) = (app.client.clone(), app.url(&page));
            tokio::spawn(async move {
                let res = client.get(url).send().await.unwrap();
                (res.status(), res.text().await.unwrap().len())
            })
        });
        for l in loads.collect::<Vec<_>>() {
            assert_eq!(l.await.unwrap().0, 200, "{page}");
        }
        let calls = faults.calls();
        // Fifty at once read what one reads (the session's read aside), not fifty times as much.
        assert!(calls.len() <= alone + 1, "{page}: {} calls at once, {alone} alone: {calls:?}", calls.len());
    }
}
