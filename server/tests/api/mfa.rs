//! A second factor on either kind of pool. Where the pool lets Cognito's software tokens take (MFA
//! optional, tokens enabled): Cognito's, as far as moto implements it (moto checks codes against
//! one fixed secret, the one it hands out). Where the pool's MFA is off (the platform's, and the
//! local pool's by default): the console's own, and no call to Cognito's TOTP APIs. Enrolment with
//! the member's password and an authenticator code, sign-in asking for the code, recovery codes,
//! an admin's reset, and the setting that makes admins enrol before anything else.
use end2end::bootstrap::{ADMIN_EMAIL, OPERATOR_EMAIL};
use end2end::totp::{code_now, MOTO_SECRET};

use crate::helpers::*;

/// Lets Cognito's software-token MFA take in the app's pool (MFA optional, tokens enabled): before
/// the first sign-in, since the console reads the pool's configuration once.
async fn cognito_tokens_take(app: &TestApp) {
    use aws_sdk_cognitoidentityprovider::types::{SoftwareTokenMfaConfigType, UserPoolMfaType};
    app.idp()
        .set_user_pool_mfa_config()
        .user_pool_id(&app.local.user_pool_id)
        .mfa_configuration(UserPoolMfaType::Optional)
        .software_token_mfa_configuration(SoftwareTokenMfaConfigType::builder().enabled(true).build())
        .send()
        .await
        .unwrap();
}

async fn profile(app: &TestApp, client: &reqwest::Client) -> serde_json::Value {
    let res = app.call(client, "/api/profile").await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn post(client: &reqwest::Client, url: String, fields: &[(&str, &str)]) -> String {
    location(&client.post(url).form(fields).send().await.unwrap())
}

/// The code now for moto's software token, not in the last two seconds of its 30-second step: moto
/// accepts the current step only (no drift), so a code made at 29.9 s and checked at 30.1 s would fail.
async fn moto_code() -> String {
    let into_step = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() % 30_000;
    if into_step > 28_000 {
        tokio::time::sleep(std::time::Duration::from_millis((30_000 - into_step) as u64 + 50)).await;
    }
    code_now(MOTO_SECRET)
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
    cognito_tokens_take(&app).await;
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
    assert_eq!(post(c, app.url("/profile/mfa/verify"), &[("code", &moto_code().await)]).await, "/profile?notice=mfa-on");
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
    assert_eq!(post(&browser, app.url("/login/mfa"), &[("code", &moto_code().await)]).await, "/audit");
    let p = profile(&app, &browser).await;
    assert_eq!(p["signed_in_with_code"], true);
}

#[tokio::test]
async fn where_admins_must_have_a_second_factor_an_admin_without_one_enrols_first() {
    let base = spawn_app().await;
    cognito_tokens_take(&base).await;
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
    assert_eq!(post(c, app.url("/profile/mfa/verify"), &[("code", &moto_code().await)]).await, "/profile?notice=mfa-on");
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
    cognito_tokens_take(&base).await;
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
    assert_eq!(post(c, app.url("/profile/mfa/verify"), &[("code", &moto_code().await)]).await, "/profile?notice=mfa-on");

    // Signing in again waits for the code: the session holds Cognito's challenge session meanwhile.
    let again = browser(&app.base);
    assert_eq!(location(&app.sign_in_with(&again, ADMIN_EMAIL, PASSWORD).await), "/login/mfa");
    let challenge =
        sessions_opened(&app).await.into_iter().find_map(|(_, d)| d["pending_challenge"]["cognito_session"].as_str().map(str::to_owned));
    let challenge = challenge.expect("the challenge waits in a session");
    let tables = console_tables_as_text(&app).await;
    assert!(!tables.contains(&challenge) && !tables.contains("cognito_session"), "the challenge's session is in a table in clear");
}

/// Cognito calls a console made, by operation (`AssociateSoftwareToken`, …).
#[derive(Clone, Default, Debug)]
struct CognitoCalls(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl aws_sdk_cognitoidentityprovider::config::Intercept for CognitoCalls {
    fn name(&self) -> &'static str {
        "cognito-calls"
    }

    fn read_before_execution(
        &self,
        context: &aws_sdk_cognitoidentityprovider::config::interceptors::BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut aws_sdk_cognitoidentityprovider::config::ConfigBag,
    ) -> Result<(), aws_sdk_cognitoidentityprovider::error::BoxError> {
        let input = format!("{:?}", context.input());
        let name = input.split(" {").next().unwrap_or("").rsplit(':').next().unwrap_or("").trim_end_matches("Input").to_owned();
        self.0.lock().unwrap().push(name);
        Ok(())
    }
}

/// A console on a fresh local stack (its pool's MFA off, as the platform's), its Cognito calls counted.
async fn console_counting_cognito(extra: &[(&str, &str)]) -> (TestApp, CognitoCalls) {
    let local = end2end::bootstrap(&moto_endpoint(), "us-east-1", &unique_prefix(), PASSWORD).await.expect("bootstrap");
    let calls = CognitoCalls::default();
    let sdk = end2end::sdk_config(&local.endpoint, &local.region).await;
    let mut aws = server::adapters::AwsClients::from_sdk(&sdk);
    aws.cognito = aws_sdk_cognitoidentityprovider::Client::from_conf(
        aws_sdk_cognitoidentityprovider::config::Builder::from(&sdk).interceptor(calls.clone()).build(),
    );
    (spawn_app_with(local, extra, aws).await, calls)
}

/// The code of `secret` `steps` steps from now.
fn code_in(secret: &str, steps: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    end2end::totp::code(secret, (now + 30 * steps) as u64)
}

#[tokio::test]
async fn on_a_pool_with_mfa_off_the_console_keeps_its_own_factor_and_never_calls_cognitos_totp() {
    let (app, calls) = console_counting_cognito(&[]).await;
    app.sign_in_admin().await;
    let c = &app.client;
    let p = profile(&app, c).await;
    assert_eq!((p["factor_kind"].as_str(), p["mfa_enabled"].as_bool()), (Some("console"), Some(false)));

    // Enrol: the password again, then the console's own secret (not moto's), then the app's code.
    assert_eq!(post(c, app.url("/profile/mfa/start"), &[("password", "Wrong-password-1")]).await, "/profile?error=password");
    assert_eq!(post(c, app.url("/profile/mfa/start"), &[("password", PASSWORD)]).await, "/profile?enrol=started");
    let secret = profile(&app, c).await["enrolment"]["secret"].as_str().unwrap().to_owned();
    assert_ne!(secret, MOTO_SECRET);
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let tables = console_tables_as_text(&app).await;
    assert!(!tables.contains(&secret), "the pending secret is sealed at rest");
    assert_eq!(post(c, app.url("/profile/mfa/verify"), &[("code", &wrong_code())]).await, "/profile?error=code");
    let first = code_in(&secret, 0);
    assert_eq!(post(c, app.url("/profile/mfa/verify"), &[("code", &first)]).await, "/profile?notice=mfa-on");
    let p = profile(&app, c).await;
    let codes: Vec<String> = p["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!((codes.len(), p["mfa_enabled"].as_bool(), p["enrolment"].is_null()), (10, Some(true), true));
    assert_eq!(profile(&app, c).await["recovery_codes"].as_array().unwrap().len(), 10, "shown until saved");
    assert_eq!(post(c, app.url("/profile/mfa/saved"), &[]).await, "/profile?notice=codes-saved");
    let again = profile(&app, c).await;
    assert!(again["recovery_codes"].as_array().unwrap().is_empty(), "and never again");
    assert_eq!(again["recovery_left"], 10);
    let tables = console_tables_as_text(&app).await;
    assert!(!tables.contains(&secret) && codes.iter().all(|code| !tables.contains(code.as_str())), "secret and codes: not in clear");

    // Sign-in asks for the code: the enrolment's code is not taken twice, the next one once.
    let b = browser(&app.base);
    assert_eq!(location(&app.sign_in_with(&b, ADMIN_EMAIL, PASSWORD).await), "/login/mfa");
    assert_eq!(app.call(&b, "/api/whoami").await.status(), 401, "no session before the code");
    assert_eq!(post(&b, app.url("/login/mfa"), &[("code", &first)]).await, "/login/mfa?error=code", "a replayed code");
    let next = code_in(&secret, 1);
    assert_eq!(post(&b, app.url("/login/mfa"), &[("code", &next)]).await, "/audit");
    let replay = browser(&app.base);
    assert_eq!(location(&app.sign_in_with(&replay, ADMIN_EMAIL, PASSWORD).await), "/login/mfa");
    assert_eq!(post(&replay, app.url("/login/mfa"), &[("code", &next)]).await, "/login/mfa?error=code", "used once");

    // A recovery code signs in once.
    let lost = browser(&app.base);
    assert_eq!(location(&app.sign_in_with(&lost, ADMIN_EMAIL, PASSWORD).await), "/login/mfa");
    assert_eq!(post(&lost, app.url("/login/mfa"), &[("code", &codes[0].to_uppercase())]).await, "/audit");
    let twice = browser(&app.base);
    assert_eq!(location(&app.sign_in_with(&twice, ADMIN_EMAIL, PASSWORD).await), "/login/mfa");
    assert_eq!(post(&twice, app.url("/login/mfa"), &[("code", &codes[0])]).await, "/login/mfa?error=code");
    let events: Vec<serde_json::Value> = app.call(c, "/api/audit").await.json().await.unwrap();
    assert!(events.iter().any(|e| e["detail"].as_str().is_some_and(|d| d.contains("with a recovery code (9 left)"))));

    // Not one of Cognito's TOTP calls was made.
    let made = calls.0.lock().unwrap().clone();
    for totp in
        ["AssociateSoftwareToken", "VerifySoftwareToken", "SetUserMFAPreference", "RespondToAuthChallenge", "AdminSetUserMFAPreference"]
    {
        assert!(!made.iter().any(|m| m == totp), "{totp} was called: {made:?}");
    }
    assert!(made.iter().any(|m| m == "GetUserPoolMfaConfig"), "the pool was asked: {made:?}");
}

#[tokio::test]
async fn an_admin_resets_a_members_console_factor_and_they_sign_in_without_it_until_they_enrol_again() {
    let (app, _) = console_counting_cognito(&[]).await;
    let operator = browser(&app.base);
    app.sign_in_with(&operator, OPERATOR_EMAIL, PASSWORD).await;
    assert_eq!(post(&operator, app.url("/profile/mfa/start"), &[("password", PASSWORD)]).await, "/profile?enrol=started");
    let secret = profile(&app, &operator).await["enrolment"]["secret"].as_str().unwrap().to_owned();
    assert_eq!(post(&operator, app.url("/profile/mfa/verify"), &[("code", &code_in(&secret, 0))]).await, "/profile?notice=mfa-on");

    app.sign_in_admin().await;
    let sub = app.idp().admin_get_user().user_pool_id(&app.local.user_pool_id).username(OPERATOR_EMAIL).send().await.unwrap();
    let sub = sub.user_attributes().iter().find(|a| a.name() == "sub").and_then(|a| a.value()).unwrap().to_owned();
    let to = post(&app.client, app.url("/api/reset_second_factor"), &[("sub", &sub)]).await;
    assert_eq!(to, format!("/users/{sub}/sessions?factor=reset#factor"));
    let events: Vec<serde_json::Value> = app.call(&app.client, "/api/audit").await.json().await.unwrap();
    assert!(events.iter().any(|e| e["action"] == "mfa.reset" && e["actor_email"] == ADMIN_EMAIL));
    let later = browser(&app.base);
    assert_eq!(location(&app.sign_in_with(&later, OPERATOR_EMAIL, PASSWORD).await), "/audit", "no code asked any more");
    // An operator may not reset anyone's.
    assert_eq!(operator.post(app.url("/api/reset_second_factor")).form(&[("sub", &sub)]).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn on_a_pool_with_mfa_off_an_admin_without_a_factor_enrols_the_consoles_first() {
    let (app, calls) = console_counting_cognito(&[("CONSOLE_REQUIRE_MFA_FOR_ADMINS", "1")]).await;
    let c = &app.client;
    assert_eq!(location(&app.sign_in(ADMIN_EMAIL, PASSWORD).await), "/profile?enrol=required");
    assert_eq!(location(&c.get(app.url("/workspaces")).send().await.unwrap()), "/profile?enrol=required");
    let p = profile(&app, c).await;
    assert_eq!((p["must_enrol"].as_bool(), p["factor_kind"].as_str()), (Some(true), Some("console")));
    let secret = p["enrolment"]["secret"].as_str().expect("the enrolment was started at sign-in").to_owned();
    assert_eq!(post(c, app.url("/profile/mfa/verify"), &[("code", &code_in(&secret, 0))]).await, "/profile?notice=mfa-on");
    assert_eq!(c.get(app.url("/workspaces")).send().await.unwrap().status(), 200);
    // Next time the code is asked, and then nothing else is.
    let b = browser(&app.base);
    assert_eq!(location(&app.sign_in_with(&b, ADMIN_EMAIL, PASSWORD).await), "/login/mfa");
    assert_eq!(post(&b, app.url("/login/mfa"), &[("code", &code_in(&secret, 1))]).await, "/audit");
    assert!(!calls.0.lock().unwrap().iter().any(|m| m == "AssociateSoftwareToken"));
}
