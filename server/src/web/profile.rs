//! The member's own page and their second factor: enrolling an authenticator app (the secret
//! shown as a QR code drawn here, and as text), then verifying its first code. Plain form POSTs
//! answered with redirects. Which second factor: Cognito's software token when the pool lets it
//! take (`Mfa::pool_takes_tokens`; the enrolment then holds the sign-in's access token in the
//! sealed session for ten minutes at most), the console's own otherwise (`SecondFactors`: the
//! secret kept sealed in the console's table, ten recovery codes shown once).
use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use app::edge::{Member, ProfilePort};
use app::identity::{Identity, MemberSession, SESSION_MEMBER_KEY};
use app::wire::{Enrolment, Profile};

use crate::adapters::cognito::mfa::{Mfa, MfaError};
use crate::adapters::cognito::sign_in::{PasswordOutcome, SignInError};
use crate::web::client_address::ClientAddress;
use crate::web::state::AppState;
use console_core::audit::{Action, AuditEvent, Outcome};
use console_core::services::second_factor::{FactorError, FactorState};

const ENROLMENT_KEY: &str = "mfa_enrolment";
/// The recovery codes of a console enrolment just finished, shown until the member says they saved
/// them (or for [`ENROLMENT_SECONDS`]), in the sealed session only.
const RECOVERY_KEY: &str = "mfa_recovery_codes";

#[derive(Serialize, Deserialize)]
struct FreshCodes {
    codes: Vec<String>,
    until: i64,
}
/// An enrolment must be finished within this time (the access token lives an hour).
const ENROLMENT_SECONDS: i64 = 600;
const ISSUER: &str = "Linear console";

#[derive(Serialize, Deserialize)]
struct PendingEnrolment {
    access_token: String,
    secret: String,
    expires_at: i64,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    password: SecretString,
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

fn to_profile(query: &str) -> Response {
    Redirect::to(&format!("/profile?{query}")).into_response()
}

/// Whether this pool gets the console's own second factor (Cognito's software tokens do not take).
pub async fn console_factor(state: &AppState) -> Result<bool, MfaError> {
    Ok(!state.mfa.pool_takes_tokens().await?)
}

/// Starts an enrolment: the console's own (its secret kept sealed in the console's table), or
/// Cognito's with a sign-in's access token (the new secret kept in the session).
pub async fn start_enrolment(state: &AppState, session: &Session, sub: &str, access: &SecretString) -> Result<(), MfaError> {
    if console_factor(state).await? {
        return match state.services.second_factors.start(sub).await {
            Ok(_) | Err(FactorError::AlreadyActive) => Ok(()),
            Err(e) => Err(MfaError::Unavailable(console_core::error::chain(&e))),
        };
    }
    let secret = state.mfa.associate(access).await?;
    let pending = PendingEnrolment {
        access_token: access.expose_secret().to_owned(),
        secret: secret.expose_secret().to_owned(),
        expires_at: app::edge::now_unix() + ENROLMENT_SECONDS,
    };
    session.insert(ENROLMENT_KEY, pending).await.map_err(|e| MfaError::Unavailable(format!("session: {e}")))
}

/// `POST /profile/mfa/start`: the member's password again (it yields the access token Cognito
/// wants for an enrolment; the console does not keep one from the sign-in).
pub async fn start(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Form(form): Form<PasswordForm>,
) -> Response {
    let email = member.identity().email.clone();
    if !state.services.throttle.verdict(&email, &address).await.allows() {
        return to_profile("error=password");
    }
    match state.cognito_auth.password_auth(&email, &form.password).await {
        Ok(PasswordOutcome::Tokens(tokens)) => match start_enrolment(&state, &session, &member.identity().sub, &tokens.access).await {
            Ok(()) => to_profile("enrol=started"),
            Err(e) => {
                tracing::error!(error = %e, "could not start an authenticator enrolment");
                to_profile("error=unavailable")
            }
        },
        Ok(PasswordOutcome::MfaRequired(_)) => to_profile("notice=mfa-already"),
        Ok(PasswordOutcome::NewPasswordRequired(_)) | Err(SignInError::InvalidCredentials) => {
            state.services.throttle.failed(&email, &address).await;
            to_profile("error=password")
        }
        Err(e) => {
            tracing::error!(error = %e, "Cognito unavailable for an enrolment");
            to_profile("error=unavailable")
        }
    }
}

/// `POST /profile/mfa/verify`: the app's first code. On success the authenticator is the
/// account's second factor, this session counts as signed in with it, and it is audited.
pub async fn verify(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let code = form.code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return to_profile("error=shape");
    }
    match console_factor(&state).await {
        Ok(true) => return verify_console(&state, &session, &member, &headers, code).await,
        Ok(false) => {}
        Err(e) => {
            tracing::error!(error = %e, "could not read the pool's MFA configuration");
            return to_profile("error=unavailable");
        }
    }
    let pending: Option<PendingEnrolment> = session.get(ENROLMENT_KEY).await.ok().flatten();
    let Some(pending) = pending.filter(|p| p.expires_at > app::edge::now_unix()) else {
        let _ = session.remove::<PendingEnrolment>(ENROLMENT_KEY).await;
        return to_profile("error=expired");
    };
    let access = SecretString::from(pending.access_token);
    match state.mfa.verify_and_enable(&access, code).await {
        Ok(()) => {
            let _ = session.remove::<PendingEnrolment>(ENROLMENT_KEY).await;
            let stored: Option<MemberSession> = session.get(SESSION_MEMBER_KEY).await.ok().flatten();
            if let Some(mut m) = stored {
                (m.mfa, m.must_enrol) = (true, false);
                let _ = session.insert(SESSION_MEMBER_KEY, &m).await;
            }
            let who = member.identity();
            let event = AuditEvent {
                action: Action::MfaEnrolled,
                actor_sub: Some(who.sub.clone()),
                actor_email: Some(who.email.clone()),
                target: None,
                outcome: Outcome::Success,
                detail: Some("an authenticator app is now this account's second factor".to_owned()),
                request_id: headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned),
            };
            let _recorded = state.services.audit.record(event).await;
            to_profile("notice=mfa-on")
        }
        Err(MfaError::WrongCode) => to_profile("error=code"),
        Err(MfaError::Expired) => {
            let _ = session.remove::<PendingEnrolment>(ENROLMENT_KEY).await;
            to_profile("error=expired")
        }
        Err(e) => {
            tracing::error!(error = %e, "could not finish an authenticator enrolment");
            to_profile("error=unavailable")
        }
    }
}

/// Finishes a console enrolment with the app's first code: the factor is active, this session
/// counts as signed in with it, and the recovery codes wait in the (sealed) session to be shown once.
async fn verify_console(state: &AppState, session: &Session, member: &Member, headers: &HeaderMap, code: &str) -> Response {
    let mut actor = member.actor();
    actor.request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).and_then(|v| console_core::ids::RequestId::parse(v).ok());
    match state.services.second_factors.confirm(&actor, code).await.value {
        Ok(codes) => {
            let stored: Option<MemberSession> = session.get(SESSION_MEMBER_KEY).await.ok().flatten();
            if let Some(mut m) = stored {
                (m.mfa, m.must_enrol) = (true, false);
                let _ = session.insert(SESSION_MEMBER_KEY, &m).await;
            }
            let fresh = FreshCodes { codes, until: app::edge::now_unix() + ENROLMENT_SECONDS };
            if let Err(e) = session.insert(RECOVERY_KEY, fresh).await {
                tracing::error!(error = %e, "could not keep the recovery codes to show them");
            }
            to_profile("notice=mfa-on")
        }
        Err(FactorError::WrongCode | FactorError::Replayed) => to_profile("error=code"),
        Err(FactorError::NoEnrolment | FactorError::NoFactor) => to_profile("error=expired"),
        Err(FactorError::AlreadyActive) => to_profile("notice=mfa-already"),
        Err(e @ FactorError::Unavailable(_)) => {
            tracing::error!(error = %console_core::error::chain(&e), "could not finish an authenticator enrolment");
            to_profile("error=unavailable")
        }
    }
}

/// `POST /profile/mfa/saved`: the member saved their recovery codes; they are not shown again.
pub async fn codes_saved(session: Session, _member: Member) -> Response {
    match session.remove::<FreshCodes>(RECOVERY_KEY).await {
        Ok(_) => to_profile("notice=codes-saved"),
        Err(e) => {
            tracing::error!(error = %e, "could not drop the recovery codes from the session");
            to_profile("error=unavailable")
        }
    }
}

/// The `otpauth://` URI an authenticator app reads (RFC 6238 defaults: SHA-1, 6 digits, 30 s).
pub fn otpauth_uri(email: &str, secret: &str) -> String {
    let enc = app::url::enc;
    format!("otpauth://totp/{}:{}?secret={secret}&issuer={}", enc(ISSUER), enc(email), enc(ISSUER))
}

/// The URI as a QR code: an SVG, as a `data:` URI for an `<img>` (the page's CSP allows `data:`
/// images, and nothing of it runs).
pub fn qr_data_uri(uri: &str) -> Option<String> {
    use base64::Engine;
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build();
    Some(format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg)))
}

/// The profile page's port.
pub struct Profiles {
    pub mfa: Mfa,
    pub services: Arc<console_core::services::Services>,
}

impl Profiles {
    /// The console's own factor as the profile shows it (the recovery codes of an enrolment just
    /// finished are shown this once, then dropped from the session).
    async fn console_profile(&self, member: &Identity, session: &Session, mut profile: Profile) -> Profile {
        profile.factor_kind = "console".to_owned();
        match self.services.second_factors.state(&member.sub).await {
            Ok(FactorState::None) => profile.mfa_enabled = Some(false),
            Ok(FactorState::Pending(secret)) => {
                profile.mfa_enabled = Some(false);
                let uri = otpauth_uri(&member.email, secret.expose_secret());
                profile.enrolment =
                    Some(Enrolment { qr: qr_data_uri(&uri).unwrap_or_default(), secret: secret.expose_secret().to_owned() });
            }
            Ok(FactorState::Active { recovery_left, .. }) => {
                profile.mfa_enabled = Some(true);
                profile.recovery_left = Some(recovery_left);
            }
            Err(e) => tracing::warn!(error = %e, "could not read the member's authenticator"),
        }
        let fresh: Option<FreshCodes> = session.get(RECOVERY_KEY).await.ok().flatten();
        profile.recovery_codes = fresh.filter(|f| f.until > app::edge::now_unix()).map(|f| f.codes).unwrap_or_default();
        profile
    }
}

#[async_trait]
impl ProfilePort for Profiles {
    async fn profile(&self, member: &Identity, session: &Session) -> Profile {
        let stored: Option<MemberSession> = session.get(SESSION_MEMBER_KEY).await.ok().flatten();
        let base = Profile {
            email: member.email.clone(),
            role: member.role,
            mfa_enabled: None,
            signed_in_with_code: stored.as_ref().is_some_and(|m| m.mfa),
            must_enrol: stored.as_ref().is_some_and(|m| m.must_enrol),
            enrolment: None,
            factor_kind: "cognito".to_owned(),
            recovery_codes: Vec::new(),
            recovery_left: None,
        };
        match self.mfa.pool_takes_tokens().await {
            Ok(false) => return self.console_profile(member, session, base).await,
            Ok(true) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not read the pool's MFA configuration");
                return Profile { factor_kind: String::new(), ..base };
            }
        }
        let pending: Option<PendingEnrolment> = session.get(ENROLMENT_KEY).await.ok().flatten();
        let enrolment = pending.filter(|p| p.expires_at > app::edge::now_unix()).map(|p| {
            let uri = otpauth_uri(&member.email, &p.secret);
            Enrolment { qr: qr_data_uri(&uri).unwrap_or_default(), secret: p.secret }
        });
        let mfa_enabled = match self.mfa.enabled(&member.email).await {
            Ok(on) => Some(on),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the account's second factor");
                None
            }
        };
        Profile { mfa_enabled, enrolment, ..base }
    }
}

/// For the composition root.
pub fn port(mfa: Mfa, services: Arc<console_core::services::Services>) -> Arc<dyn ProfilePort> {
    Arc::new(Profiles { mfa, services })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_otpauth_uri_names_the_console_and_the_member() {
        let uri = otpauth_uri("ada@example.com", "JBSWY3DPEHPK3PXP");
        assert_eq!(uri, "otpauth://totp/Linear%20console:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Linear%20console");
        let qr = qr_data_uri(&uri).unwrap();
        assert!(qr.starts_with("data:image/svg+xml;base64,"));
    }
}
