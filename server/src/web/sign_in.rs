//! The browser's sign-in and sign-out: plain form POSTs answered with redirects,
//! so they work before (and without) the wasm bundle.
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use app::guard::Member;
use app::identity::{Identity, MemberSession, SESSION_MEMBER_KEY};
use app::routes::login::safe_next;

use crate::adapters::cognito::id_token::TokenError;
use crate::adapters::cognito::sign_in::{PasswordOutcome, SignInError};
use crate::domain::audit::EMAIL_MAX;
use crate::domain::audit::{AuditEvent, Outcome};
use crate::web::admin::request_id;
use crate::web::client_address::ClientAddress;
use crate::web::security::encode_component;
use crate::web::state::AppState;

const PENDING_KEY: &str = "pending_challenge";
/// Cognito's challenge session lasts three minutes.
const CHALLENGE_SECONDS: i64 = 180;

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

/// Between the password and the new password: kept only in the server-side session.
#[derive(Serialize, Deserialize)]
struct PendingChallenge {
    email: String,
    cognito_session: String,
    next: String,
    expires_at: i64,
}

fn login_error(code: &str, next: &str) -> Response {
    Redirect::to(&format!("/login?error={code}&next={}", encode_component(next))).into_response()
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
    let now = app::guard::now_unix();
    // Too many recent failures for this account or address: the answer of a wrong password,
    // without asking Cognito (the refusal itself is not audited: the threshold was, once).
    if !state.throttle.verdict(&email, &address, now).await.allows() {
        return login_error("invalid", &next);
    }
    let outcome = state.cognito_auth.password_auth(&email, &form.password).await;
    match &outcome {
        Err(SignInError::InvalidCredentials) => state.throttle.failed(&email, &address, now).await,
        Ok(_) => state.throttle.succeeded(&email).await,
        Err(_) => {}
    }
    match outcome {
        Ok(PasswordOutcome::IdToken(token)) => finish(&state, &session, &token, &email, &next, rid).await,
        Ok(PasswordOutcome::NewPasswordRequired(cognito_session)) => {
            let pending = PendingChallenge {
                email,
                cognito_session: cognito_session.expose_secret().to_owned(),
                next,
                expires_at: app::guard::now_unix() + CHALLENGE_SECONDS,
            };
            if let Err(e) = session.insert(PENDING_KEY, pending).await {
                tracing::error!(error = %e, "could not store the sign-in challenge");
                return login_error("unavailable", "/workspaces");
            }
            Redirect::to("/login/new-password").into_response()
        }
        Err(e) => sign_in_failed(&state, e, &email, &next, rid).await,
    }
}

pub async fn new_password(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<NewPasswordForm>,
) -> Response {
    let pending: Option<PendingChallenge> = session.get(PENDING_KEY).await.ok().flatten();
    let Some(pending) = pending.filter(|p| p.expires_at > app::guard::now_unix()) else {
        return login_error("expired", "/workspaces");
    };
    if form.password.expose_secret() != form.confirm.expose_secret() {
        return Redirect::to("/login/new-password?error=mismatch").into_response();
    }
    let rid = request_id(&headers);
    let cognito_session = SecretString::from(pending.cognito_session.clone());
    match state.cognito_auth.answer_new_password(&pending.email, &form.password, &cognito_session).await {
        Ok(PasswordOutcome::IdToken(token)) => {
            let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
            finish(&state, &session, &token, &pending.email, &pending.next, rid).await
        }
        Ok(PasswordOutcome::NewPasswordRequired(_)) | Err(SignInError::PasswordPolicy) => {
            Redirect::to("/login/new-password?error=policy").into_response()
        }
        Err(e) => {
            let _ = session.remove::<PendingChallenge>(PENDING_KEY).await;
            sign_in_failed(&state, e, &pending.email, &pending.next, rid).await
        }
    }
}

async fn sign_in_failed(state: &AppState, e: SignInError, email: &str, next: &str, rid: Option<String>) -> Response {
    let code = match &e {
        SignInError::InvalidCredentials | SignInError::PasswordPolicy => "invalid",
        SignInError::ChallengeExpired => "expired",
        SignInError::Unavailable(cause) => {
            tracing::error!(error = %cause, "Cognito sign-in failed");
            "unavailable"
        }
    };
    audit(state, "sign_in", None, email, Outcome::Failure, Some(e.to_string()), rid).await;
    login_error(code, next)
}

/// Verifies the ID token, then either starts a session with the member's role or explains the 403.
async fn finish(state: &AppState, session: &Session, token: &SecretString, email: &str, next: &str, rid: Option<String>) -> Response {
    let identity = match state.verifier.verify(token.expose_secret()).await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "ID token refused");
            audit(state, "sign_in", None, email, Outcome::Failure, Some(format!("ID token refused: {e}")), rid).await;
            let code = if matches!(e, TokenError::KeysUnavailable(_)) { "unavailable" } else { "invalid" };
            return login_error(code, next);
        }
    };
    let groups = state.config.role_groups();
    let Some(role) = groups.role_of(&identity.groups) else {
        let _ = session.flush().await;
        let detail = format!("in none of the groups {}, {}, {}", groups.admin, groups.operator, groups.viewer);
        audit(state, "sign_in", Some(&identity.sub), &identity.email, Outcome::Refused, Some(detail), rid).await;
        return Redirect::to(&format!("/forbidden?group={}", encode_component(&groups.admin))).into_response();
    };
    let who = Identity { sub: identity.sub.clone(), email: identity.email.clone(), role };
    let (lifetime, idle) = (state.config.session_ttl.as_secs() as i64, state.config.access.idle.as_secs() as i64);
    let admin = MemberSession::new(who, app::guard::now_unix(), lifetime, idle);
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
    audit(state, "sign_in", Some(&admin.sub), &admin.email, Outcome::Success, Some(format!("as {}", role.label())), rid).await;
    Redirect::to(next).into_response()
}

pub async fn logout(State(state): State<AppState>, session: Session, headers: HeaderMap) -> Response {
    if let Ok(Some(admin)) = Member::of_session(&session).await {
        let who = admin.identity();
        audit(&state, "sign_out", Some(&who.sub), &who.email, Outcome::Success, None, request_id(&headers)).await;
    }
    if let Err(e) = session.flush().await {
        tracing::error!(error = %e, "could not delete the session");
    }
    Redirect::to("/login?error=signed-out").into_response()
}

async fn audit(
    state: &AppState,
    action: &'static str,
    sub: Option<&str>,
    email: &str,
    outcome: Outcome,
    detail: Option<String>,
    rid: Option<String>,
) {
    // A sign-in is not blocked by an audit outage; the failure is logged by `record`.
    let _ = state
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
