//! The browser side of an install: `POST /linear/connect` (to Linear's consent page; a POST
//! because it changes the session, and a GET never changes state) and `GET /linear/callback` (back
//! from it). Plain axum routes answering with redirects, so they work without the wasm bundle.
//! The consents under way live in the session; what to do with them is the installer's, and
//! where the browser lands is `app::edge::landing`'s.
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use app::edge::{landing, now_unix, Member, UNFINISHED_KEY};
use app::identity::Role;
use console_core::audit::Actor;
use console_core::ids::{OrgId, RequestId};
use console_core::services::install::{ConsentAnswer, InstallError, PendingConsent, Timings, Unfinished, ViaLink};

use crate::web::state::AppState;

const CONSENTS_KEY: &str = "linear_consents";

/// The request id the edge gave this request (`x-request-id`), for the page to quote.
fn request_id(headers: &HeaderMap) -> String {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("unknown").to_owned()
}
/// Consents kept at once (one per open tab, say); the oldest goes first.
const MAX_CONSENTS: usize = 3;

#[derive(Deserialize)]
pub struct ConnectParams {
    #[serde(default)]
    workspace: Option<String>,
}

/// Starts a consent (an install, or a reconnect of the form's `workspace` org id). Admins only.
pub async fn connect(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    headers: HeaderMap,
    Form(p): Form<ConnectParams>,
) -> Response {
    let rid = request_id(&headers);
    if let Err(refused) = member.at_least(Role::Admin) {
        return refused.into_response();
    }
    let workspace = match p.workspace.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        None => None,
        Some(w) => match OrgId::parse(w) {
            Ok(org) => Some(org),
            Err(e) => return (axum::http::StatusCode::BAD_REQUEST, e.about("workspace")).into_response(),
        },
    };
    let (url, pending) = match state.services.installer.begin(workspace.as_ref()).await {
        Ok(started) => started,
        Err(e) => {
            tracing::warn!(error = %console_core::error::chain(&e), "could not start a Linear consent");
            return Redirect::to(&landing::connect_page(landing::install_failure(&e), &[], &rid)).into_response();
        }
    };
    if keep_consent(&session, pending).await.is_err() {
        return Redirect::to(&landing::connect_page(landing::install_failure(&InstallError::SessionUnavailable), &[], &rid))
            .into_response();
    }
    Redirect::to(&url).into_response()
}

/// Keeps a consent under way in the session (the newest few, unexpired ones).
pub async fn keep_consent(session: &Session, pending: PendingConsent) -> Result<(), ()> {
    let mut consents: Vec<PendingConsent> = session.get(CONSENTS_KEY).await.ok().flatten().unwrap_or_default();
    consents.retain(|c| c.expires_at > now_unix());
    consents.push(pending);
    let excess = consents.len().saturating_sub(MAX_CONSENTS);
    consents.drain(..excess);
    session.insert(CONSENTS_KEY, consents).await.map_err(|e| {
        tracing::error!(error = %e, "could not keep the consent state in the session");
    })
}

#[derive(Deserialize, Default)]
pub struct CallbackParams {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// Takes the consent whose `state` matches out of the session (single use), comparing in
/// constant time. `Err` says whether there was any consent to match at all.
async fn take_consent(session: &Session, state: &str) -> Result<PendingConsent, InstallError> {
    let mut consents: Vec<PendingConsent> = match session.get(CONSENTS_KEY).await {
        Ok(c) => c.unwrap_or_default(),
        Err(_) => return Err(InstallError::SessionUnavailable),
    };
    if consents.is_empty() {
        return Err(InstallError::StateMissing);
    }
    let found = consents.iter().position(|c| !state.is_empty() && bool::from(c.state.as_bytes().ct_eq(state.as_bytes())));
    let Some(i) = found else { return Err(InstallError::StateMismatch) };
    let consent = consents.remove(i);
    if session.insert(CONSENTS_KEY, consents).await.is_err() {
        return Err(InstallError::SessionUnavailable);
    }
    Ok(consent)
}

/// A GET of the consent's start (an old bookmark, a typed URL) starts nothing: it shows the
/// connect page, whose button posts.
pub async fn connect_page_instead() -> Response {
    Redirect::to("/workspaces/connect").into_response()
}

fn answer_of(p: CallbackParams) -> ConsentAnswer {
    match (p.error, p.code) {
        (Some(error), _) => ConsentAnswer::Error(error),
        (None, Some(code)) if !code.is_empty() => ConsentAnswer::Code(code),
        _ => ConsentAnswer::Nothing,
    }
}

/// The callback of a consent made through an install link: written as the link's maker would
/// have (installer: the maker), the link used once; the person lands on the public done page.
async fn via_link(state: &AppState, consent: &PendingConsent, via: &ViaLink, p: CallbackParams, rid: &str) -> Response {
    let installer = &state.services.installer;
    let link = installer.link_of(via).await.ok().flatten();
    let actor = match &link {
        Some(l) => Actor { sub: l.created_by_sub.clone(), email: l.created_by_email.clone(), request_id: RequestId::parse(rid).ok() },
        // Gone meanwhile: the claim refuses it and the grant is revoked.
        None => Actor { sub: "install-link".into(), email: "an install link".into(), request_id: RequestId::parse(rid).ok() },
    };
    let done = installer.callback(&actor, consent, answer_of(p), &mut Timings::default()).await;
    if let (Ok(completed), Some(link)) = (&done.value, &link) {
        state.services.watch.announce_link_used(link, completed).await;
    }
    Redirect::to(&landing::installed_via_link(&done.value, rid)).into_response()
}

/// Linear sends the admin (or, through an install link, a Linear admin with no console
/// account) back here with `code` + `state`, or with `error`.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    member: Option<Member>,
    headers: HeaderMap,
    Query(p): Query<CallbackParams>,
) -> Response {
    let rid = request_id(&headers);
    // Whatever comes of it, this session's next pages read since (an install is a change of its own).
    if let Some(id) = session.id() {
        state.console.recent_changes.note(&crate::adapters::dynamodb::sessions::handle(&id), app::edge::now_unix_ms());
    }
    let installer = &state.services.installer;
    let started = std::time::Instant::now();
    let taken = take_consent(&session, p.state.as_deref().unwrap_or("")).await;
    // Through an install link: whoever holds the consent's session, made as the link's maker.
    if let Ok(consent) = &taken {
        if let Some(via) = &consent.via_link {
            return via_link(&state, consent, via, p, &rid).await;
        }
    }
    let admin = match member.map(|m| m.at_least(Role::Admin)) {
        Some(Ok(admin)) => admin,
        Some(Err(refused)) => return refused.into_response(),
        None => return Redirect::to("/login?next=%2Fworkspaces%2Fconnect").into_response(),
    };
    let actor = admin.actor();
    let consent = match taken {
        Ok(c) => c,
        Err(e) => {
            let recorded = installer.refused(&actor, &e).await;
            let url = landing::connect_page(landing::install_failure(&e), &[], &rid);
            let url = if recorded.is_recorded() { url } else { format!("{url}&unrecorded=1") };
            return Redirect::to(&url).into_response();
        }
    };
    let answer = answer_of(p);
    let mut timings = Timings::default();
    timings.0.push(("session", started.elapsed()));
    let done = installer.callback(&actor, &consent, answer, &mut timings).await;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, timings = %timings.header(), "install callback handled");
    match &done.value {
        Ok(_) => {
            let _ = session.remove::<Unfinished>(UNFINISHED_KEY).await;
        }
        Err(failed) => {
            if let InstallError::Unfinished { unfinished, .. } = &failed.error {
                if session.insert(UNFINISHED_KEY, unfinished.as_ref().clone()).await.is_err() {
                    tracing::error!("could not keep the unfinished install in the session");
                }
            }
        }
    }
    let mut res = Redirect::to(&landing::installed(&done.value, done.recorded, &rid)).into_response();
    if done.value.is_ok() {
        if let Ok(v) = HeaderValue::from_str(&timings.header()) {
            res.headers_mut().insert(header::HeaderName::from_static("server-timing"), v);
        }
    }
    res
}
