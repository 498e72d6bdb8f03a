//! The DynamoDB session store: round trip, expiry on load, and sharing between instances.
use app::identity::{AdminSession, SESSION_ADMIN_KEY};
use server::adapters::dynamodb::sessions::DynamoSessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::SessionStore;

use crate::helpers::*;

fn record(expiry_in: i64, admin_expires_in: i64) -> Record {
    let now = time::OffsetDateTime::now_utc();
    let admin =
        AdminSession { sub: "sub-1".into(), email: "admin@example.com".into(), expires_at: now.unix_timestamp() + admin_expires_in };
    Record {
        id: Id::default(),
        data: [(SESSION_ADMIN_KEY.to_owned(), serde_json::to_value(admin).unwrap())].into(),
        expiry_date: now + time::Duration::seconds(expiry_in),
    }
}

#[tokio::test]
async fn round_trip_update_and_delete() {
    let app = spawn_app().await;
    let store = DynamoSessionStore::new(app.aws.dynamodb.clone(), app.local.sessions_table.clone());
    let mut rec = record(600, 600);
    store.create(&mut rec).await.unwrap();
    let loaded = store.load(&rec.id).await.unwrap().expect("stored");
    assert_eq!(loaded.data, rec.data);
    assert_eq!(loaded.expiry_date.unix_timestamp(), rec.expiry_date.unix_timestamp());

    rec.data.insert("other".into(), serde_json::json!(1));
    store.save(&rec).await.unwrap();
    assert_eq!(store.load(&rec.id).await.unwrap().unwrap().data["other"], 1);

    store.delete(&rec.id).await.unwrap();
    assert!(store.load(&rec.id).await.unwrap().is_none());
    assert!(store.load(&Id::default()).await.unwrap().is_none());
}

#[tokio::test]
async fn an_expired_record_is_not_loaded_even_if_ttl_has_not_deleted_it() {
    let app = spawn_app().await;
    let store = DynamoSessionStore::new(app.aws.dynamodb.clone(), app.local.sessions_table.clone());
    let mut rec = record(-5, 600);
    store.create(&mut rec).await.unwrap();
    let raw = app.aws.dynamodb.scan().table_name(&app.local.sessions_table).send().await.unwrap();
    assert_eq!(raw.items().len(), 1, "the item is still in the table");
    assert!(store.load(&rec.id).await.unwrap().is_none());
}

#[tokio::test]
async fn an_admin_session_past_its_own_expiry_is_refused() {
    let app = spawn_app().await;
    let store = DynamoSessionStore::new(app.aws.dynamodb.clone(), app.local.sessions_table.clone());
    let mut rec = record(600, -1);
    store.create(&mut rec).await.unwrap();
    assert_eq!(whoami_with_session(&app, &rec.id).await, 401);

    // The same record with a live admin entry is accepted: the cookie format is right.
    let mut live = record(600, 600);
    store.create(&mut live).await.unwrap();
    assert_eq!(whoami_with_session(&app, &live.id).await, 200);
}

/// Calls a server function with a session cookie naming `id`, as a browser would send it.
async fn whoami_with_session(app: &TestApp, id: &Id) -> u16 {
    let res = reqwest::Client::new()
        .post(app.url("/api/whoami"))
        .header("origin", &app.base)
        .header("cookie", format!("{}={id}", server::SESSION_COOKIE))
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

#[tokio::test]
async fn two_instances_share_sessions() {
    let a = spawn_app().await;
    let b = spawn_app_for(a.local.clone(), &[]).await;
    // Sign in on A and carry that browser's cookie to B.
    let res = a.sign_in(end2end::bootstrap::ADMIN_EMAIL, PASSWORD).await;
    let jar_cookie = set_cookie(&res).unwrap().split(';').next().unwrap().to_owned();
    let to_b = |path: &str| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(b.url(path))
            .header("origin", &b.base)
            .header("cookie", jar_cookie.clone())
    };
    assert_eq!(to_b("/api/whoami").send().await.unwrap().status(), 200, "signed in on A, recognised by B");
    let out = to_b("/logout").send().await.unwrap();
    assert_eq!(out.status(), 303);
    let again = a.client.post(a.url("/api/whoami")).send().await.unwrap();
    assert_eq!(again.status(), 401, "signed out on B, gone on A");
}
