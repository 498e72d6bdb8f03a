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
    assert!(
        sessions_opened(&app).await.iter().all(|(_, data)| data.get("mfa_enrolment").is_none()),
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

/// Every console table's items as text (strings as they are, binaries as far as they read as
/// UTF-8): what whoever can read the tables sees.
async fn console_tables_as_text(app: &TestApp) -> String {
    use aws_sdk_dynamodb::types::AttributeValue;
    fn text(v: &AttributeValue, out: &mut String) {
        match v {
            AttributeValue::S(s) | AttributeValue::N(s) => out.push_str(s),
            AttributeValue::B(b) => out.push_str(&String::from_utf8_lossy(b.as_ref())),
            AttributeValue::M(m) => m.values().for_each(|v| text(v, out)),
            AttributeValue::L(l) => l.iter().for_each(|v| text(v, out)),
            AttributeValue::Ss(l) => l.iter().for_each(|s| out.push_str(s)),
            _ => {}
        }
        out.push('\n');
    }
    let mut out = String::new();
    for table in [&app.local.sessions_table, &app.local.audit_table, &app.local.incidents_table] {
        let items = app.aws.dynamodb.scan().table_name(table).send().await.unwrap().items.unwrap_or_default();
        for item in items {
            for (k, v) in item {
                out.push_str(&k);
                out.push('=');
                text(&v, &mut out);
            }
        }
    }
    out
}

#[tokio::test]
async fn during_an_enrolment_and_a_second_factor_sign_in_no_table_holds_a_cognito_token_or_the_secret_in_clear() {
    let base = spawn_app().await;
    let app = spawn_app_for(base.local.clone(), &[("CONSOLE_REQUIRE_MFA_FOR_ADMINS", "1")]).await;
    let c = &app.client;
    // An admin signs in and is made to enrol: the session holds the sign-in's access token and the
    // pending secret until the code is verified.
    assert_eq!(location(&app.sign_in(ADMIN_EMAIL, PASSWORD).await), "/profile?enrol=required");
    assert_eq!(profile(&app, c).await["enrolment"]["secret"], MOTO_SECRET);
    let opened = sessions_opened(&app).await;
    assert!(opened.iter().any(|(_, d)| d["mfa_enrolment"]["access_token"].as_str().is_some_and(|t| t.starts_with("eyJ"))));
    let tables = console_tables_as_text(&app).await;
    for clear in ["eyJ", MOTO_SECRET, "access_token", "mfa_enrolment"] {
        assert!(!tables.contains(clear), "{clear} is in a table in clear");
    }
    assert_eq!(post(c, app.url("/profile/mfa/verify"), &[("code", &code_now(MOTO_SECRET))]).await, "/profile?notice=mfa-on");

    // Signing in again waits for the code: the session holds Cognito's challenge session meanwhile.
    let again = browser(&app.base);
    assert_eq!(location(&app.sign_in_with(&again, ADMIN_EMAIL, PASSWORD).await), "/login/mfa");
    let challenge =
        sessions_opened(&app).await.into_iter().find_map(|(_, d)| d["pending_challenge"]["cognito_session"].as_str().map(str::to_owned));
    let challenge = challenge.expect("the challenge waits in a session");
    let tables = console_tables_as_text(&app).await;
    assert!(!tables.contains(&challenge) && !tables.contains("cognito_session"), "the challenge's session is in a table in clear");
}
