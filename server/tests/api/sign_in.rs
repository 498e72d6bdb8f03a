//! Sign-in against the Cognito pool in moto: success, wrong password, challenge,
//! non-admin, disabled user, sign-out, and the audit trail they leave.
use end2end::bootstrap::{ADMIN_EMAIL, FIRST_SIGN_IN_EMAIL, USER_EMAIL};

use crate::helpers::*;

#[tokio::test]
async fn an_admin_signs_in_and_gets_an_http_only_lax_session() {
    let app = spawn_app().await;
    let res = app.sign_in(ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/audit");
    let cookie = set_cookie(&res).expect("session cookie");
    assert!(cookie.starts_with("lc_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http must not set Secure: {cookie}");

    let me = app.call(&app.client, "/api/whoami").await;
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert!(me["sub"].as_str().is_some_and(|s| !s.is_empty()));

    let page = app.client.get(app.url("/workspaces")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(ADMIN_EMAIL));
}

#[tokio::test]
async fn the_session_holds_no_cognito_token() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let opened = sessions_opened(&app).await;
    assert_eq!(opened.len(), 1);
    let v = &opened[0].1;
    assert_eq!(v["member"]["email"], ADMIN_EMAIL);
    assert_eq!(v.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["member"]);
    assert!(!v.to_string().contains("eyJ"), "a JWT was stored in the session: {v}");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer_and_no_session() {
    let app = spawn_app().await;
    for (email, password) in [(ADMIN_EMAIL, "Wrong-password-1"), ("nobody@example.com", PASSWORD)] {
        let res = app.sign_in(email, password).await;
        assert_eq!(location(&res), "/login?error=invalid&next=/audit", "{email}");
        assert!(set_cookie(&res).is_none());
    }
    assert_eq!(app.call(&app.client, "/api/whoami").await.status(), 401);
}

#[tokio::test]
async fn a_non_admin_is_sent_to_the_403_page_without_a_session() {
    let app = spawn_app().await;
    let res = app.sign_in_user().await;
    assert_eq!(location(&res), "/forbidden?group=linear-console-admins");
    assert_eq!(app.call(&app.client, "/api/whoami").await.status(), 401);
    let page = app.client.get(app.url("/forbidden?group=linear-console-admins")).send().await.unwrap();
    assert_eq!(page.status(), 403);
    assert!(page.text().await.unwrap().contains("linear-console-admins"));
}

#[tokio::test]
async fn a_disabled_admin_is_refused() {
    let app = spawn_app().await;
    app.idp().admin_disable_user().user_pool_id(&app.local.user_pool_id).username(ADMIN_EMAIL).send().await.unwrap();
    let res = app.sign_in(ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(location(&res), "/login?error=invalid&next=/audit");
    assert_eq!(app.call(&app.client, "/api/whoami").await.status(), 401);
}

#[tokio::test]
async fn a_temporary_password_leads_through_the_new_password_challenge() {
    let app = spawn_app().await;
    // The bootstrap creates this admin with PASSWORD as a temporary password.
    let email = FIRST_SIGN_IN_EMAIL;
    let res = app.sign_in(email, PASSWORD).await;
    assert_eq!(location(&res), "/login/new-password");
    let before = set_cookie(&res).expect("a pre-sign-in session holds the challenge");
    assert_eq!(app.call(&app.client, "/api/whoami").await.status(), 401, "a challenge is not a sign-in");

    let mismatch = app
        .client
        .post(app.url("/login/new-password"))
        .form(&[("password", "New-password-1"), ("confirm", "Other-password-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&mismatch), "/login/new-password?error=mismatch");

    let done = app
        .client
        .post(app.url("/login/new-password"))
        .form(&[("password", "New-password-1"), ("confirm", "New-password-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&done), "/audit");
    let after = set_cookie(&done).expect("a new session id at sign-in");
    assert_ne!(cookie_value(&before), cookie_value(&after), "the session id must change at sign-in");
    assert_eq!(app.call(&app.client, "/api/whoami").await.status(), 200);

    // The new password is now the password.
    let other = browser(&app.base);
    assert_eq!(location(&app.sign_in_with(&other, email, "New-password-1").await), "/audit");
}

#[tokio::test]
async fn the_challenge_page_without_a_challenge_starts_over() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/login/new-password"))
        .form(&[("password", "New-password-1"), ("confirm", "New-password-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login?error=expired&next=/workspaces");
}

#[tokio::test]
async fn sign_out_ends_the_session_and_both_are_audited() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let other = browser(&app.base);
    let _ = app.sign_in_with(&other, USER_EMAIL, PASSWORD).await;
    let _ = app.sign_in_with(&other, ADMIN_EMAIL, "Wrong-password-1").await;

    let events: Vec<serde_json::Value> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    let seen: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            (e["action"].as_str().unwrap().into(), e["outcome"].as_str().unwrap().into(), e["actor_email"].as_str().unwrap_or("").into())
        })
        .collect();
    assert!(seen.contains(&("sign_in".into(), "success".into(), ADMIN_EMAIL.into())), "{seen:?}");
    assert!(seen.contains(&("sign_in".into(), "refused".into(), USER_EMAIL.into())), "{seen:?}");
    assert!(seen.contains(&("sign_in".into(), "failure".into(), ADMIN_EMAIL.into())), "{seen:?}");
    assert!(events.iter().all(|e| e["request_id"].as_str().is_some_and(|r| r.len() == 36)), "{events:?}");

    let out = app.client.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(location(&out), "/login?error=signed-out");
    assert_eq!(app.call(&app.client, "/api/whoami").await.status(), 401);

    app.sign_in_admin().await;
    let events: Vec<serde_json::Value> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    assert!(events.iter().any(|e| e["action"] == "sign_out"));
    assert_eq!(events[0]["action"], "sign_in", "newest first");
}

fn cookie_value(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[tokio::test]
async fn a_next_target_a_browser_would_turn_into_another_site_lands_on_the_registry() {
    let app = spawn_app().await;
    for next in ["/\t/evil.example", "/\n/evil.example", "/\r\nLocation: https://evil.example", "//evil.example", "/%09/evil.example"] {
        let client = browser(&app.base);
        let res =
            client.post(app.url("/login")).form(&[("email", ADMIN_EMAIL), ("password", PASSWORD), ("next", next)]).send().await.unwrap();
        assert_eq!(res.status(), 303, "{next:?}");
        assert_eq!(location(&res), "/workspaces", "{next:?}");
    }
    // A wrong password keeps the (cleaned) target in the form, not the attacker's.
    let res = app.sign_in_with(&browser(&app.base), ADMIN_EMAIL, "Wrong-password-1").await;
    assert_eq!(location(&res), "/login?error=invalid&next=/audit");
}

#[tokio::test]
async fn a_stranger_cannot_make_the_audit_log_store_what_they_like() {
    let app = spawn_app().await;
    let email = format!("{}@example.com", "a".repeat(20_000));
    let res = browser(&app.base)
        .post(app.url("/login"))
        .header("x-request-id", "<img src=x onerror=alert(1)>")
        .form(&[("email", email.as_str()), ("password", "Wrong-password-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let rid = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(rid.len(), 36, "the console gave the request its own id: {rid}");

    let out = app.aws.dynamodb.scan().table_name(&app.local.audit_table).send().await.unwrap();
    let failed = out.items().iter().find(|i| i["action"].as_s().unwrap() == "sign_in").expect("the failed sign-in is audited");
    assert!(failed["actor_email"].as_s().unwrap().chars().count() <= 254);
    assert_eq!(failed["request_id"].as_s().unwrap(), &rid);
    let size: usize = failed.iter().map(|(k, v)| k.len() + v.as_s().map(String::len).unwrap_or(8)).sum();
    assert!(size < 4_000, "one failed sign-in stored {size} bytes");
}
