//! A second factor through Cognito (software token MFA), as far as moto implements it: enrolment
//! with the member's password and an authenticator code, sign-in asking for the code, and the
//! setting that makes admins enrol before anything else. moto checks codes against one fixed
//! secret (the one it hands out), which is what an authenticator app would hold.
use end2end::bootstrap::{ADMIN_EMAIL, OPERATOR_EMAIL};
use end2end::totp::{code_now, MOTO_SECRET};

use crate::helpers::*;

async fn profile(app: &TestApp, client: &reqwest::Client) -> serde_json::Value {
    let res = app.call(client, "/api/profile").await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn post(client: &reqwest::Client, url: String, fields: &[(&str, &str)]) -> String {
    location(&client.post(url).form(fields).send().await.unwrap())
}

/// A code that is not the current one (nor the neighbours Cognito might accept).
fn wrong_code() -> String {
    let now = code_now(MOTO_SECRET);
    if now == "000000" {
        "111111".into()
    } else {
        "000000".into()
    }
}

#[tokio::test]
async fn an_admin_enrols_an_authenticator_then_signs_in_with_its_code() {
    let app = spawn_app().await;
    app.sign_in_admin().await;
    let c = &app.client;
    let p = profile(&app, c).await;
    assert_eq!((p["mfa_enabled"].as_bool(), p["enrolment"].is_null()), (Some(false), true));

    // The password again, then the secret: as a QR code and as text.
    assert_eq!(post(c, app.url("/profile/mfa/start"), &[("password", "Wrong-password-1")]).await, "/profile?error=password");
    assert_eq!(post(c, app.url("/profile/mfa/start"), &[("password", PASSWORD)]).await, "/profile?enrol=started");
    let p = profile(&app, c).await;
    assert_eq!(p["enrolment"]["secret"], MOTO_SECRET);
    assert!(p["enrolment"]["qr"].as_str().unwrap().starts_with("data:image/svg+xml;base64,"));
    let page = c.get(app.url("/profile")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"mfa-qr\""), "the page draws the QR code");

    // A wrong code is refused; the app's code enables the factor, audited.
    assert_eq!(post(c, app.url("/profile/mfa/verify"), &[("code", &wrong_code())]).await, "/profile?error=code");
    assert_eq!(post(c, app.url("/profile/mfa/verify"), &[("code", &code_now(MOTO_SECRET))]).await, "/profile?notice=mfa-on");
    let p = profile(&app, c).await;
    assert_eq!((p["mfa_enabled"].as_bool(), p["enrolment"].is_null()), (Some(true), true), "{p}");
    let events: Vec<serde_json::Value> = app.call(c, "/api/audit").await.json().await.unwrap();
    assert!(events.iter().any(|e| e["action"] == "mfa.enrolled" && e["actor_email"] == ADMIN_EMAIL));
    let sessions = app.aws.dynamodb.scan().table_name(&app.local.sessions_table).send().await.unwrap();
    assert!(
        sessions.items().iter().all(|i| !i.get("data").and_then(|d| d.as_s().ok()).is_some_and(|d| d.contains("mfa_enrolment"))),
        "the enrolment (and its access token) left the session when used"
    );

    // Signing in now asks for the code.
    let browser = browser(&app.base);
    let res = app.sign_in_with(&browser, ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(location(&res), "/login/mfa");
    assert_eq!(app.call(&browser, "/api/whoami").await.status(), 401, "no session before the code");
    assert_eq!(post(&browser, app.url("/login/mfa"), &[("code", "12ab")]).await, "/login/mfa?error=shape");
    assert_eq!(post(&browser, app.url("/login/mfa"), &[("code", &wrong_code())]).await, "/login/mfa?error=code");
    assert_eq!(post(&browser, app.url("/login/mfa"), &[("code", &code_now(MOTO_SECRET))]).await, "/audit");
    let p = profile(&app, &browser).await;
    assert_eq!(p["signed_in_with_code"], true);
}

#[tokio::test]
async fn where_admins_must_have_a_second_factor_an_admin_without_one_enrols_first() {
    let base = spawn_app().await;
    let app = spawn_app_for(base.local.clone(), &[("CONSOLE_REQUIRE_MFA_FOR_ADMINS", "1")]).await;
    let c = &app.client;
    let res = app.sign_in(ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(location(&res), "/profile?enrol=required");
    // Nothing else is open until the enrolment is done.
    assert_eq!(location(&c.get(app.url("/workspaces")).send().await.unwrap()), "/profile?enrol=required");
    assert_eq!(app.call(c, "/api/workspaces").await.status(), 403);
    // The enrolment was started at sign-in: the page shows the secret at once.
    let p = profile(&app, c).await;
    assert_eq!(p["must_enrol"], true);
    assert_eq!(p["enrolment"]["secret"], MOTO_SECRET);
    assert_eq!(post(c, app.url("/profile/mfa/verify"), &[("code", &code_now(MOTO_SECRET))]).await, "/profile?notice=mfa-on");
    assert_eq!(c.get(app.url("/workspaces")).send().await.unwrap().status(), 200);

    // Other roles are not asked.
    let operator = browser(&app.base);
    assert_eq!(location(&app.sign_in_with(&operator, OPERATOR_EMAIL, PASSWORD).await), "/audit");
}
