//! The DynamoDB session store and the session's life: round trip, hashed keys, expiry on load,
//! the idle and absolute ends, the re-check against Cognito, and sharing between instances.
use app::identity::{Identity, MemberSession, Role, SESSION_MEMBER_KEY};
use end2end::bootstrap::{ADMIN_EMAIL, OPERATOR_EMAIL, VIEWER_EMAIL};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::SessionStore;

use crate::helpers::*;

fn record(expiry_in: i64, admin_expires_in: i64) -> Record {
    record_of("sub-1", expiry_in, admin_expires_in)
}

/// A stored session of `sub` (signed in as admin), ending in `admin_expires_in` seconds.
fn record_of(sub: &str, expiry_in: i64, admin_expires_in: i64) -> Record {
    let now = time::OffsetDateTime::now_utc();
    let who = Identity { sub: sub.into(), email: ADMIN_EMAIL.into(), role: Role::Admin };
    let member = MemberSession::new(who, now.unix_timestamp(), admin_expires_in, 1800);
    Record {
        id: Id::default(),
        data: [(SESSION_MEMBER_KEY.to_owned(), serde_json::to_value(member).unwrap())].into(),
        expiry_date: now + time::Duration::seconds(expiry_in),
    }
}

/// The Cognito `sub` of a pool user.
async fn sub_of(app: &TestApp, email: &str) -> String {
    let user = app.idp().admin_get_user().user_pool_id(&app.local.user_pool_id).username(email).send().await.unwrap();
    user.user_attributes().iter().find(|a| a.name() == "sub").and_then(|a| a.value()).unwrap().to_owned()
}

#[tokio::test]
async fn round_trip_update_and_delete() {
    let app = spawn_app().await;
    let store = store_of(&app);
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
    let store = store_of(&app);
    let mut rec = record(-5, 600);
    store.create(&mut rec).await.unwrap();
    let raw = app.aws.dynamodb.scan().table_name(&app.local.sessions_table).send().await.unwrap();
    assert_eq!(raw.items().len(), 1, "the item is still in the table");
    assert!(store.load(&rec.id).await.unwrap().is_none());
}

#[tokio::test]
async fn an_admin_session_past_its_own_expiry_is_refused() {
    let app = spawn_app().await;
    let store = store_of(&app);
    let sub = sub_of(&app, ADMIN_EMAIL).await;
    let mut rec = record_of(&sub, 600, -1);
    store.create(&mut rec).await.unwrap();
    assert_eq!(whoami_with_session(&app, &rec.id).await, 401);

    // The same record with a live admin entry is accepted: the cookie format is right.
    let mut live = record_of(&sub, 600, 600);
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
    // A keeps a session it read for a few seconds (CONSOLE_SESSION_CACHE_SECONDS, 5): then it is gone.
    let ended = std::time::Instant::now();
    loop {
        let again = a.client.post(a.url("/api/whoami")).send().await.unwrap();
        if again.status() == 401 {
            break;
        }
        assert!(ended.elapsed() < std::time::Duration::from_secs(7), "signed out on B, still alive on A");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn the_table_holds_a_hash_of_the_session_id_not_the_id() {
    let app = spawn_app().await;
    let res = app.sign_in(ADMIN_EMAIL, PASSWORD).await;
    let cookie = set_cookie(&res).unwrap();
    let id = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
    let out = app.aws.dynamodb.scan().table_name(&app.local.sessions_table).send().await.unwrap();
    let keys: Vec<&str> = out.items().iter().map(|i| i["id"].as_s().unwrap().as_str()).collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].starts_with("s#") && keys[0].len() == 66, "{keys:?}");
    assert!(!keys[0].contains(&id), "the cookie's id is in the table: {keys:?}");
    // Replaying the stored key as a cookie gets nothing.
    let replay = reqwest::Client::new()
        .post(app.url("/api/whoami"))
        .header("origin", &app.base)
        .header("cookie", format!("{}={}", server::SESSION_COOKIE, &keys[0][2..]))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
}

#[tokio::test]
async fn an_idle_session_ends_and_activity_moves_its_idle_end_at_most_once_a_minute() {
    let app = spawn_app().await;
    let store = store_of(&app);
    let sub = sub_of(&app, ADMIN_EMAIL).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    // Idle past its idle end, though hours remain of its lifetime: refused.
    let mut idle = record_of(&sub, 600, 4 * 3600);
    let mut m: MemberSession = serde_json::from_value(idle.data[SESSION_MEMBER_KEY].clone()).unwrap();
    (m.touched_at, m.idle_until) = (now - 1900, now - 100);
    idle.data.insert(SESSION_MEMBER_KEY.into(), serde_json::to_value(&m).unwrap());
    store.create(&mut idle).await.unwrap();
    assert_eq!(whoami_with_session(&app, &idle.id).await, 401);

    // Used two minutes after its last recorded activity: the idle end moves to now + 30 min.
    let mut used = record_of(&sub, 600, 4 * 3600);
    (m.touched_at, m.idle_until) = (now - 120, now + 60);
    used.data.insert(SESSION_MEMBER_KEY.into(), serde_json::to_value(&m).unwrap());
    store.create(&mut used).await.unwrap();
    assert_eq!(whoami_with_session(&app, &used.id).await, 200);
    let stored = store.load(&used.id).await.unwrap().unwrap();
    let after: MemberSession = serde_json::from_value(stored.data[SESSION_MEMBER_KEY].clone()).unwrap();
    assert!(after.idle_until >= now + 1790, "idle end moved: {after:?}");

    // Used again at once: nothing is written (the stored record is the same).
    assert_eq!(whoami_with_session(&app, &used.id).await, 200);
    let again = store.load(&used.id).await.unwrap().unwrap();
    assert_eq!(again.data, stored.data);
}

#[tokio::test]
async fn a_member_removed_from_the_group_or_disabled_loses_the_session_within_the_recheck() {
    let app = spawn_app().await;
    let app = spawn_app_for(app.local.clone(), &[("CONSOLE_ACCESS_RECHECK_SECONDS", "1")]).await;
    let pool = app.local.user_pool_id.clone();
    app.sign_in_admin().await;
    assert_eq!(app.call(&app.client, "/api/whoami").await.status(), 200);
    app.idp()
        .admin_remove_user_from_group()
        .user_pool_id(&pool)
        .username(ADMIN_EMAIL)
        .group_name("linear-console-admins")
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.call(&app.client, "/api/whoami").await.status(), 401, "removed from the group: session ended");
    let page = app.client.get(app.url("/workspaces")).send().await.unwrap();
    assert!(location(&page).starts_with("/login"), "{}", location(&page));

    // Back in the group and signed in again; then disabled.
    app.idp().admin_add_user_to_group().user_pool_id(&pool).username(ADMIN_EMAIL).group_name("linear-console-admins").send().await.unwrap();
    app.sign_in_admin().await;
    app.idp().admin_disable_user().user_pool_id(&pool).username(ADMIN_EMAIL).send().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.call(&app.client, "/api/whoami").await.status(), 401, "disabled: session ended");

    let out = app.aws.dynamodb.scan().table_name(&app.local.audit_table).send().await.unwrap();
    let ended = out.items().iter().filter(|i| i["action"].as_s().unwrap() == "session.ended").count();
    assert_eq!(ended, 2, "both ends are in the audit log");
}

#[tokio::test]
async fn a_role_changed_in_cognito_applies_to_a_live_session() {
    let app = spawn_app().await;
    let app = spawn_app_for(app.local.clone(), &[("CONSOLE_ACCESS_RECHECK_SECONDS", "1")]).await;
    let pool = app.local.user_pool_id.clone();
    app.sign_in_admin().await;
    let me: serde_json::Value = app.call(&app.client, "/api/whoami").await.json().await.unwrap();
    assert_eq!(me["role"], "admin");
    let idp = app.idp();
    idp.create_group().user_pool_id(&pool).group_name("linear-console-viewers").send().await.ok();
    idp.admin_add_user_to_group().user_pool_id(&pool).username(ADMIN_EMAIL).group_name("linear-console-viewers").send().await.unwrap();
    idp.admin_remove_user_from_group().user_pool_id(&pool).username(ADMIN_EMAIL).group_name("linear-console-admins").send().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let me: serde_json::Value = app.call(&app.client, "/api/whoami").await.json().await.unwrap();
    assert_eq!(me["role"], "viewer");
    let res = app.form("check_workspace", &[("org_id", "9cfb4d1e-5b7a-4d25-9a3b-2f0c8e6d1a01")]).await;
    assert_eq!(res.status(), 403, "a viewer may not check");
}

/// A member's live sessions, as `/profile` lists them.
async fn my_sessions(app: &TestApp, client: &reqwest::Client) -> Vec<app::wire::SessionView> {
    call_json(app, client, "/api/my_sessions", "").await
}

/// A plain form post (before the wasm loads) with `client`: the 303's target.
async fn post_form(app: &TestApp, client: &reqwest::Client, endpoint: &str, fields: &[(&str, &str)]) -> String {
    let res = client.post(app.url(&format!("/api/{endpoint}"))).header("accept", "text/html").form(fields).send().await.unwrap();
    assert_eq!(res.status(), 303, "{endpoint}: {}", res.status());
    location(&res)
}

#[tokio::test]
async fn a_member_sees_their_two_sessions_ends_the_other_and_keeps_this_one() {
    let app = spawn_app().await;
    let (laptop, phone) = (browser(&app.base), browser(&app.base));
    let ua = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    let signed = laptop
        .post(app.url("/login"))
        .header("user-agent", ua)
        .form(&[("email", OPERATOR_EMAIL), ("password", PASSWORD), ("next", "/profile")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&signed), "/profile");
    app.sign_in_with(&phone, OPERATOR_EMAIL, PASSWORD).await;

    let listed = my_sessions(&app, &laptop).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    let this = listed.iter().find(|s| s.current).expect("the session in use is marked");
    assert_eq!(this.browser, "Firefox on Linux");
    assert_eq!(this.address, "127.0.0.1");
    assert!(this.started_at.ends_with('Z') && this.ends_at > this.started_at, "{this:?}");
    let other = listed.iter().find(|s| !s.current).unwrap().clone();
    // What a page shows names neither session's cookie.
    let cookie = laptop.post(app.url("/api/my_sessions")).send().await.unwrap();
    assert!(cookie.headers().get("set-cookie").is_none());

    let to = post_form(&app, &laptop, "end_my_session", &[("handle", &other.handle)]).await;
    assert_eq!(to, "/profile?sessions=ended#sessions");
    assert_eq!(app.call(&phone, "/api/whoami").await.status(), 401, "the phone's session ended");
    assert_eq!(app.call(&laptop, "/api/whoami").await.status(), 200, "the laptop's session goes on");
    let left = my_sessions(&app, &laptop).await;
    assert_eq!(left.iter().map(|s| s.current).collect::<Vec<_>>(), [true]);

    // Again: already ended, said so; a handle of another shape is the client's mistake.
    assert_eq!(post_form(&app, &laptop, "end_my_session", &[("handle", &other.handle)]).await, "/profile?sessions=gone#sessions");
    let bad = laptop.post(app.url("/api/end_my_session")).form(&[("handle", "../s#1")]).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("handle"));

    let page: app::wire::AuditPage = call_json(&app, &laptop, "/api/audit_search", "query[action]=session.ended&after_change=true").await;
    let ended: Vec<_> = page.entries.iter().filter(|e| e.outcome == "success").collect();
    assert_eq!(ended.len(), 1, "{:?}", page.entries);
    let detail = ended[0].detail.clone().unwrap();
    assert!(detail.starts_with("own sessions: ended the session signed in"), "{detail}");
    assert!(!detail.contains(&other.handle));
}

#[tokio::test]
async fn sign_out_everywhere_else_keeps_only_the_session_in_use() {
    let app = spawn_app().await;
    let clients: Vec<_> = (0..3).map(|_| browser(&app.base)).collect();
    for c in &clients {
        app.sign_in_with(c, VIEWER_EMAIL, PASSWORD).await;
    }
    assert_eq!(my_sessions(&app, &clients[0]).await.len(), 3);
    let to = post_form(&app, &clients[0], "end_my_other_sessions", &[]).await;
    assert_eq!(to, "/profile?sessions=ended&count=2#sessions");
    assert_eq!(app.call(&clients[0], "/api/whoami").await.status(), 200);
    for c in &clients[1..] {
        assert_eq!(app.call(c, "/api/whoami").await.status(), 401);
    }
}

#[tokio::test]
async fn an_admin_ends_a_members_sessions_and_another_instance_sends_the_member_to_sign_in_within_its_cache() {
    let a = spawn_app().await;
    let b = spawn_app_sharing(&a).await;
    a.sign_in_admin().await;
    let member = browser(&b.base);
    b.sign_in_with(&member, OPERATOR_EMAIL, PASSWORD).await;
    assert_eq!(b.call(&member, "/api/whoami").await.status(), 200, "B now holds the session in its cache");
    let sub = sub_of(&a, OPERATOR_EMAIL).await;

    let view: app::wire::MemberSessionsView = call_json(&a, &a.client, "/api/member_sessions", &format!("sub={sub}")).await;
    assert_eq!((view.email.as_str(), view.sessions.len()), (OPERATOR_EMAIL, 1));
    assert!(!view.sessions[0].current);
    // Only admins: an operator may not list or end another member's sessions.
    let op = browser(&a.base);
    a.sign_in_with(&op, OPERATOR_EMAIL, PASSWORD).await;
    assert_eq!(op.post(a.url("/api/member_sessions")).form(&[("sub", &sub)]).send().await.unwrap().status(), 403);

    let to = post_form(&a, &a.client, "end_member_sessions", &[("sub", &sub)]).await;
    assert_eq!(to, format!("/users/{sub}/sessions?sessions=ended&count=2#sessions"));
    let ended = std::time::Instant::now();
    loop {
        let page = member.get(b.url("/workspaces")).send().await.unwrap();
        if page.status() == 303 || page.status() == 307 {
            assert!(location(&page).starts_with("/login"), "{}", location(&page));
            break;
        }
        assert!(ended.elapsed() < std::time::Duration::from_secs(7), "ended on A, still signed in on B");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(a.call(&op, "/api/whoami").await.status(), 401, "both of the operator's sessions ended");
    let page: app::wire::AuditPage = call_json(&a, &a.client, "/api/audit_search", "query[action]=session.ended&after_change=true").await;
    assert!(page.entries.iter().any(|e| e.actor_email.as_deref() == Some(ADMIN_EMAIL)
        && e.detail.as_deref() == Some(&format!("sessions of {OPERATOR_EMAIL}: 2 session(s) ended") as &str)));
    // An unknown member is a 404, a malformed one a 400.
    let unknown =
        a.client.post(a.url("/api/member_sessions")).form(&[("sub", "00000000-0000-0000-0000-000000000000")]).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_session_ended_elsewhere_is_not_saved_back_by_an_instance_that_still_holds_it() {
    let app = spawn_app().await;
    let store = store_of(&app);
    let sub = sub_of(&app, ADMIN_EMAIL).await;
    let mut rec = record_of(&sub, 600, 600);
    store.create(&mut rec).await.unwrap();
    let handle = server::adapters::dynamodb::sessions::handle(&rec.id);
    let other = store_of(&app);
    use console_core::ports::MemberSessions;
    assert_eq!(other.of_member(&sub).await.unwrap().len(), 1);
    assert!(other.end(&sub, &handle).await.unwrap());
    // The first instance records activity on the session it still holds: the session stays ended.
    store.save(&rec).await.unwrap();
    let raw = app.aws.dynamodb.scan().table_name(&app.local.sessions_table).send().await.unwrap();
    assert!(raw.items().iter().all(|i| i.get("member").is_none()), "no session was written back");
    // Another member cannot end it by naming the handle.
    let mut again = record_of(&sub, 600, 600);
    store.create(&mut again).await.unwrap();
    assert!(!other.end("someone-else", &server::adapters::dynamodb::sessions::handle(&again.id)).await.unwrap());
    assert!(store.load(&again.id).await.unwrap().is_some());
}
