//! The browser's sign-in and sign-out: plain form POSTs answered with redirects,
//! so they work before (and without) the wasm bundle.
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use app::identity::{Identity, MemberSession, Role, SESSION_MEMBER_KEY};
use app::routes::login::safe_next;

use crate::adapters::cognito::id_token::TokenError;
use crate::adapters::cognito::sign_in::{PasswordOutcome, SignInError, Tokens};
use crate::web::client_address::ClientAddress;
use crate::web::state::AppState;
use console_core::audit::{Action, AuditEvent, Outcome, EMAIL_MAX};

/// Where a sign-in comes from, for the member's list of sessions.
struct Origin {
    address: String,
    browser: String,
}

impl Origin {
    fn of(headers: &HeaderMap, address: String) -> Origin {
        let ua = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
        Origin { address, browser: crate::web::user_agent::describe(ua) }
    }
}

/// The request id the edge gave this request (`x-request-id`).
fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

const PENDING_KEY: &str = "pending_challenge";
/// Cognito's challenge session lasts three minutes.
const CHALLENGE_SECONDS: i64 = 180;
/// Wrong authenticator codes allowed on one challenge before sign-in starts over.
const CODE_TRIES: u8 = 3;

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: SecretString,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    password: SecretString,
    confirm: SecretString,
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

/// Which answer sign-in waits for.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq)]
enum Challenge {
    NewPassword,
    /// Cognito's software-token challenge.
    Mfa,
    /// The console's own second factor (a pool whose MFA is off): the password was right, the code
    /// or a recovery code is asked here.
    ConsoleCode,
}

/// Between the password and the challenge's answer: kept only in the server-side session,
/// short-lived, and removed when answered.
#[derive(Serialize, Deserialize)]
struct PendingChallenge {
    kind: Challenge,
    email: String,
    /// Cognito's challenge session, or (the console's own code) the sign-in's ID token; sealed at
    /// rest with the rest of the session.
    cognito_session: String,
    next: String,
    expires_at: i64,
    #[serde(default)]
    tries: u8,
}

fn login_error(code: &str, next: &str) -> Response {
    Redirect::to(&format!("/login?error={code}&next={}", app::url::enc_path(next))).into_response()
}

/// The challenge this session waits an answer to, if it is of `kind` and still fresh.
async fn pending(session: &Session, kind: Challenge) -> Option<PendingChallenge> {
    pending_of(session, &[kind]).await
}

/// As [`pending`], for any of `kinds`.
async fn pending_of(session: &Session, kinds: &[Challenge]) -> Option<PendingChallenge> {
    let p: Option<PendingChallenge> = session.get(PENDING_KEY).await.ok().flatten();
    p.filter(|p| kinds.contains(&p.kind) && p.expires_at > app::edge::now_unix())
}

/// A recovery code as the console makes them (`k3m9x-q2w7p`), give or take case and the dash.
fn recovery_shaped(code: &str) -> bool {
    let letters = code.chars().filter(|c| *c != '-').count();
    letters == 10 && code.len() <= 11 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Keeps a challenge for its answer and sends the browser to the page that asks for it.
async fn ask(session: &Session, kind: Challenge, email: String, cognito_session: SecretString, next: String) -> Response {
    let pending = PendingChallenge {
        kind,
        email,
        cognito_session: cognito_session.expose_secret().to_owned(),
        next,
        expires_at: app::edge::now_unix() + CHALLENGE_SECONDS,
        tries: 0,
    };
    if let Err(e) = session.insert(PENDING_KEY, pending).await {
        tracing::error!(error = %e, "could not store the sign-in challenge");
        return login_error("unavailable", "/workspaces");
    }
    let page = match kind {
        Challenge::NewPassword => "/login/new-password",
        Challenge::Mfa | Challenge::ConsoleCode => "/login/mfa",
    };
    Redirect::to(page).into_response()
}

pub async fn login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next);
    let email: String = form.email.trim().to_lowercase().chars().take(EMAIL_MAX).collect();
    let rid = request_id(&headers);
    // Too many recent failures for this account or address: the answer of a wrong password,
    // without asking Cognito (the refusal itself is not audited: the threshold was, once).
    if !state.services.throttle.verdict(&email, &address).await.allows() {
        return login_error("invalid", &next);
    }
    match state.cognito_auth.password_auth(&email, &form.password).await {
        Ok(PasswordOutcome::Tokens(tokens)) => {
            state.services.throttle.succeeded(&email).await;
            finish(&state, &session, &tokens, &email, &next, rid, None, Origin::of(&headers, address)).await
        }
        Ok(PasswordOutcome::NewPasswordRequired(s)) => ask(&session, Challenge::NewPassword, email, s, next).await,
        Ok(PasswordOutcome::MfaRequired(s)) => ask(&session, Challenge::Mfa, email, s, next).await,
        Err(e) => {
            if matches!(e, SignInError::InvalidCredentials) {
                state.services.throttle.failed(&email, &address).await;
            }
            sign_in_failed(&state, e, &email, &next, rid).await
        }
    }
}

pub async fn new_password(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    Form(form): Form<NewPasswordForm>,
) -> Response {
    let Some(pending) = pending(&session, Challenge::NewPassword).await else {
        return login_error("expired", "/workspaces");
    };
    if form.password.expose_secret() != form.confirm.expose_secret() {
        return Redirect::to("/login/new-password?error=mismatch").into_response();
    }
    let rid = request_id(&headers);
    let cognito_session = SecretString::from(pending.cognito_session.clone());
    match state.cognito_auth.answer_new_password(&pending.email, &form.password, &cognito_session).await {
        Ok(PasswordOutcome::Tokens(tokens)) => {
            let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
            finish(&state, &session, &tokens, &pending.email, &pending.next, rid, None, Origin::of(&headers, address)).await
        }
        Ok(PasswordOutcome::MfaRequired(s)) => ask(&session, Challenge::Mfa, pending.email, s, pending.next).await,
        Ok(PasswordOutcome::NewPasswordRequired(_)) | Err(SignInError::PasswordPolicy) => {
            Redirect::to("/login/new-password?error=policy").into_response()
        }
        Err(e) => {
            let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
            sign_in_failed(&state, e, &pending.email, &pending.next, rid).await
        }
    }
}

/// The authenticator code of an account with a second factor. A wrong code counts as a failed
/// sign-in (the throttle); after a few, sign-in starts over.
pub async fn mfa_code(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some(pending) = pending_of(&session, &[Challenge::Mfa, Challenge::ConsoleCode]).await else {
        return login_error("expired", "/workspaces");
    };
    let code = form.code.trim();
    let console = pending.kind == Challenge::ConsoleCode;
    let six_digits = code.len() == 6 && code.chars().all(|c| c.is_ascii_digit());
    if !(six_digits || (console && recovery_shaped(code))) {
        return Redirect::to("/login/mfa?error=shape").into_response();
    }
    let rid = request_id(&headers);
    if !state.services.throttle.verdict(&pending.email, &address).await.allows() {
        let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
        return login_error("invalid", &pending.next);
    }
    if console {
        return console_code(&state, &session, pending, code, &headers, address).await;
    }
    let cognito_session = SecretString::from(pending.cognito_session.clone());
    match state.cognito_auth.answer_mfa(&pending.email, code, &cognito_session).await {
        Ok(PasswordOutcome::Tokens(tokens)) => {
            let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
            state.services.throttle.succeeded(&pending.email).await;
            let how = Some("an authenticator code".to_owned());
            finish(&state, &session, &tokens, &pending.email, &pending.next, rid, how, Origin::of(&headers, address)).await
        }
        Err(SignInError::WrongCode) => wrong_code(&state, &session, pending, None, &address, "wrong authenticator code", rid).await,
        Ok(_) => {
            let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
            sign_in_failed(
                &state,
                SignInError::Unavailable("an unexpected challenge after the code".into()),
                &pending.email,
                &pending.next,
                rid,
            )
            .await
        }
        Err(e) => {
            let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
            sign_in_failed(&state, e, &pending.email, &pending.next, rid).await
        }
    }
}

/// A refused code: a failed sign-in for the throttle, audited; after a few, sign-in starts over.
async fn wrong_code(
    state: &AppState,
    session: &Session,
    mut pending: PendingChallenge,
    sub: Option<&str>,
    address: &str,
    why: &str,
    rid: Option<String>,
) -> Response {
    state.services.throttle.failed(&pending.email, address).await;
    audit(state, Action::SignIn, sub, &pending.email, Outcome::Failure, Some(why.into()), rid).await;
    pending.tries += 1;
    if pending.tries >= CODE_TRIES {
        let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
        return login_error("invalid", &pending.next);
    }
    if session.insert(PENDING_KEY, &pending).await.is_err() {
        return login_error("unavailable", &pending.next);
    }
    Redirect::to("/login/mfa?error=code").into_response()
}

/// The console's own second factor at sign-in: an authenticator code not used before, or a
/// recovery code (used up). A wrong or replayed code counts as a failed sign-in, as Cognito's do.
async fn console_code(
    state: &AppState,
    session: &Session,
    pending: PendingChallenge,
    code: &str,
    headers: &HeaderMap,
    address: String,
) -> Response {
    use console_core::services::second_factor::{FactorError, Proof};
    let rid = request_id(headers);
    let id = SecretString::from(pending.cognito_session.clone());
    let identity = match state.verifier.verify(id.expose_secret()).await {
        Ok(identity) => identity,
        Err(e) => {
            let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
            tracing::warn!(error = %e, "the ID token kept for the code was refused");
            return login_error("expired", &pending.next);
        }
    };
    match state.services.second_factors.verify(&identity.sub, code).await {
        Ok(proof) => {
            let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
            state.services.throttle.succeeded(&pending.email).await;
            let how = match proof {
                Proof::Code => "an authenticator code".to_owned(),
                Proof::Recovery { left } => format!("a recovery code ({left} left)"),
            };
            let tokens = Tokens { id, access: SecretString::from(String::new()) };
            finish(state, session, &tokens, &pending.email, &pending.next, rid, Some(how), Origin::of(headers, address)).await
        }
        Err(e @ (FactorError::WrongCode | FactorError::Replayed)) => {
            let why = if matches!(e, FactorError::Replayed) { "an authenticator code used before" } else { "wrong authenticator code" };
            wrong_code(state, session, pending, Some(identity.sub.as_str()), &address, why, rid).await
        }
        Err(FactorError::Unavailable(e)) => {
            let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
            sign_in_failed(state, SignInError::Unavailable(console_core::error::chain(&e)), &pending.email, &pending.next, rid).await
        }
        // Reset (or never active) meanwhile: sign in again from the start.
        Err(_) => {
            let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
            login_error("expired", &pending.next)
        }
    }
}

async fn sign_in_failed(state: &AppState, e: SignInError, email: &str, next: &str, rid: Option<String>) -> Response {
    let code = match &e {
        SignInError::InvalidCredentials | SignInError::PasswordPolicy | SignInError::WrongCode => "invalid",
        SignInError::ChallengeExpired => "expired",
        SignInError::Unavailable(cause) => {
            tracing::error!(error = %cause, "Cognito sign-in failed");
            "unavailable"
        }
    };
    audit(state, Action::SignIn, None, email, Outcome::Failure, Some(e.to_string()), rid).await;
    login_error(code, next)
}

/// Verifies the ID token, then either starts a session with the member's role or explains the
/// 403. An admin without a second factor, where one is required, is sent to enrol first (with
/// the enrolment already started from this sign-in's access token).
#[allow(clippy::too_many_arguments)]
async fn finish(
    state: &AppState,
    session: &Session,
    tokens: &Tokens,
    email: &str,
    next: &str,
    rid: Option<String>,
    with_code: Option<String>,
    origin: Origin,
) -> Response {
    let identity = match state.verifier.verify(tokens.id.expose_secret()).await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "ID token refused");
            audit(state, Action::SignIn, None, email, Outcome::Failure, Some(format!("ID token refused: {e}")), rid).await;
            let code = if matches!(e, TokenError::KeysUnavailable(_)) { "unavailable" } else { "invalid" };
            return login_error(code, next);
        }
    };
    let groups = state.config.role_groups();
    let Some(role) = groups.role_of(&identity.groups) else {
        let _ = session.flush().await;
        let detail = format!("in none of the groups {}, {}, {}", groups.admin, groups.operator, groups.viewer);
        audit(state, Action::SignIn, Some(&identity.sub), &identity.email, Outcome::Refused, Some(detail), rid).await;
        return Redirect::to(&format!("/forbidden?group={}", app::url::enc(&groups.admin))).into_response();
    };
    // The console's own second factor: the password was right; its code is asked next.
    if with_code.is_none() {
        let needed = async {
            Ok::<_, String>(
                crate::web::profile::console_factor(state).await.map_err(|e| e.to_string())?
                    && state.services.second_factors.active(&identity.sub).await.map_err(|e| console_core::error::chain(&e))?,
            )
        };
        match needed.await {
            Ok(true) => return ask(session, Challenge::ConsoleCode, email.to_owned(), tokens.id.clone(), next.to_owned()).await,
            Ok(false) => {}
            Err(e) => return sign_in_failed(state, SignInError::Unavailable(e), email, next, rid).await,
        }
    }
    let who = Identity { sub: identity.sub.clone(), email: identity.email.clone(), role };
    let (lifetime, idle) = (state.config.session_ttl.as_secs() as i64, state.config.access.idle.as_secs() as i64);
    let mut admin = MemberSession::new(who, app::edge::now_unix(), lifetime, idle);
    admin.mfa = with_code.is_some();
    (admin.address, admin.browser) = (origin.address, origin.browser);
    admin.must_enrol = role == Role::Admin && state.config.access.require_mfa_for_admins && with_code.is_none();
    // A new id at sign-in: a session id planted before sign-in is worthless after it.
    let stored = async {
        session.cycle_id().await?;
        session.insert(SESSION_MEMBER_KEY, &admin).await?;
        session.save().await
    };
    if let Err(e) = stored.await {
        tracing::error!(error = %e, "could not store the session");
        return login_error("unavailable", next);
    }
    // A sign-in is this session's first change (its event is in the log it may open next).
    if let Some(id) = session.id() {
        state.console.recent_changes.note(&crate::adapters::dynamodb::sessions::handle(&id), app::edge::now_unix_ms());
    }
    let how = with_code.map(|w| format!(" with {w}")).unwrap_or_default();
    audit(state, Action::SignIn, Some(&admin.sub), &admin.email, Outcome::Success, Some(format!("as {}{how}", role.label())), rid).await;
    if admin.must_enrol {
        // Started here from this sign-in's access token; if that fails, the profile page starts it.
        if let Err(e) = crate::web::profile::start_enrolment(state, session, &admin.sub, &tokens.access).await {
            tracing::warn!(error = %e, "could not start the required enrolment at sign-in");
        }
        return Redirect::to("/profile?enrol=required").into_response();
    }
    Redirect::to(next).into_response()
}

pub async fn logout(State(state): State<AppState>, session: Session, headers: HeaderMap) -> Response {
    let signed_in: Option<MemberSession> = session.get(SESSION_MEMBER_KEY).await.ok().flatten();
    if let Some(who) = signed_in.filter(|m| m.is_live(app::edge::now_unix())).map(|m| m.identity()) {
        audit(&state, Action::SignOut, Some(&who.sub), &who.email, Outcome::Success, None, request_id(&headers)).await;
    }
    if let Err(e) = session.flush().await {
        tracing::error!(error = %e, "could not delete the session");
    }
    Redirect::to("/login?error=signed-out").into_response()
}

async fn audit(
    state: &AppState,
    action: Action,
    sub: Option<&str>,
    email: &str,
    outcome: Outcome,
    detail: Option<String>,
    rid: Option<String>,
) {
    // A sign-in is not blocked by an audit outage; the failure is logged and counted by `record`.
    let _recorded = state
        .services
        .audit
        .record(AuditEvent {
            action,
            actor_sub: sub.map(str::to_owned),
            actor_email: Some(email.to_owned()),
            target: None,
            outcome,
            detail,
            request_id: rid,
        })
        .await;
}
