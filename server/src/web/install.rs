//! The browser side of an install: `POST /linear/connect` (to Linear's consent page; a POST
//! because it changes the session, and a GET never changes state),
//! `GET /linear/callback` (back from it), and the server function behind *Finish install*. Plain axum routes answering with redirects, so
//! they work without the wasm bundle. Every outcome of a consent is audited.
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use app::outcomes::{Notice, WorkspaceNotice};
use app::wire::InstallFailure;

use crate::domain::audit::Actor;
use crate::domain::audit::Outcome;
use crate::services::install::{self as install, Completed, InstallError, PendingConsent, Timings, Unfinished};
use app::guard::Member;
use app::identity::Identity;
use app::identity::Role;

use crate::web::admin::{actor, request_id};
use crate::web::security::encode_component;
use crate::web::state::AppState;

const CONSENTS_KEY: &str = "linear_consents";
const UNFINISHED_KEY: &str = "linear_unfinished";
/// Consents kept at once (one per open tab, say); the oldest goes first.
const MAX_CONSENTS: usize = 3;

fn now() -> i64 {
    app::guard::now_unix()
}

/// The connect page's URL, showing what went wrong.
fn connect_page(f: InstallFailure, rid: Option<&str>, extra: &[(&str, &str)]) -> String {
    let mut url = format!("/workspaces/connect?error={}", f.code());
    for (k, v) in extra.iter().chain(rid.map(|r| ("rid", r)).iter()) {
        url.push_str(&format!("&{k}={}", encode_component(v)));
    }
    url
}

fn to_connect(f: InstallFailure, rid: Option<&str>, extra: &[(&str, &str)]) -> Response {
    Redirect::to(&connect_page(f, rid, extra)).into_response()
}

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
    if let Err(refused) = member.at_least(Role::Admin) {
        return refused.into_response();
    }
    let rid = request_id(&headers);
    let workspace = p.workspace.filter(|w| !w.is_empty());
    if let Some(w) = &workspace {
        if let Err(why) = app::validate::org_id("workspace", w) {
            return (axum::http::StatusCode::BAD_REQUEST, why).into_response();
        }
    }
    let (url, pending) = match state.installer.begin(workspace.as_deref(), now()).await {
        Ok(started) => started,
        Err(e) => {
            tracing::warn!(error = %e, "could not start a Linear consent");
            return to_connect(e.failure(), rid.as_deref(), &[]);
        }
    };
    let mut consents: Vec<PendingConsent> = session.get(CONSENTS_KEY).await.ok().flatten().unwrap_or_default();
    consents.retain(|c| c.expires_at > now());
    consents.push(pending);
    let excess = consents.len().saturating_sub(MAX_CONSENTS);
    consents.drain(..excess);
    if let Err(e) = session.insert(CONSENTS_KEY, consents).await {
        tracing::error!(error = %e, "could not keep the consent state in the session");
        return to_connect(InstallFailure::SessionUnavailable, rid.as_deref(), &[]);
    }
    Redirect::to(&url).into_response()
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
async fn take_consent(session: &Session, state: &str) -> Result<PendingConsent, InstallFailure> {
    let mut consents: Vec<PendingConsent> = match session.get(CONSENTS_KEY).await {
        Ok(c) => c.unwrap_or_default(),
        Err(_) => return Err(InstallFailure::SessionUnavailable),
    };
    if consents.is_empty() {
        return Err(InstallFailure::StateMissing);
    }
    let found = consents.iter().position(|c| !state.is_empty() && bool::from(c.state.as_bytes().ct_eq(state.as_bytes())));
    let Some(i) = found else { return Err(InstallFailure::StateMismatch) };
    let consent = consents.remove(i);
    if session.insert(CONSENTS_KEY, consents).await.is_err() {
        return Err(InstallFailure::SessionUnavailable);
    }
    Ok(consent)
}

/// A GET of the consent's start (an old bookmark, a typed URL) starts nothing: it shows the
/// connect page, whose button posts.
pub async fn connect_page_instead() -> Response {
    Redirect::to("/workspaces/connect").into_response()
}

/// Linear sends the admin back here with `code` + `state`, or with `error`.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    headers: HeaderMap,
    Query(p): Query<CallbackParams>,
) -> Response {
    let admin = match member.at_least(Role::Admin) {
        Ok(admin) => admin,
        Err(refused) => return refused.into_response(),
    };
    let rid = request_id(&headers);
    let actor = actor(&admin, &headers);
    let installer = &state.installer;
    let mut timings = Timings::default();
    let (consent, took) = install::clock(take_consent(&session, p.state.as_deref().unwrap_or(""))).await;
    timings.0.push(("session", took));
    let consent = match consent {
        Ok(c) => c,
        Err(f) => {
            let detail = format!("consent refused: {} (nothing written)", f.code());
            installer.record(&actor, "workspace.install", None, Outcome::Refused, detail).await;
            return to_connect(f, rid.as_deref(), &[]);
        }
    };
    let action = if consent.reconnect.is_some() { "workspace.reconnect" } else { "workspace.install" };
    let target = consent.reconnect.as_ref().map(|r| r.org_id.clone());
    let early = if consent.expires_at <= now() {
        Some((InstallFailure::StateExpired, "consent took longer than 10 minutes (nothing written)".to_owned()))
    } else if let Some(error) = &p.error {
        let f = if error == "access_denied" { InstallFailure::AccessDenied } else { InstallFailure::LinearRefused };
        let error: String = error.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect();
        Some((f, format!("Linear answered {error} (nothing written)")))
    } else if p.code.as_deref().unwrap_or("").is_empty() {
        Some((InstallFailure::LinearRefused, "Linear sent neither a code nor an error (nothing written)".to_owned()))
    } else {
        None
    };
    if let Some((f, detail)) = early {
        installer.record(&actor, action, target.as_deref(), Outcome::Failure, detail).await;
        return to_connect(f, rid.as_deref(), &[]);
    }
    let code = p.code.unwrap_or_default();

    let started = std::time::Instant::now();
    let result = installer.complete(admin.identity(), &consent, &code, &mut timings).await;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, timings = %timings.header(), "install callback handled");
    match result {
        Ok(done) => {
            let _ = session.remove::<Unfinished>(UNFINISHED_KEY).await;
            let (to, took) = install::clock(succeeded(installer, &actor, done)).await;
            let mut res = Redirect::to(&to).into_response();
            timings.0.push(("audit", took));
            if let Ok(v) = HeaderValue::from_str(&timings.header()) {
                res.headers_mut().insert(header::HeaderName::from_static("server-timing"), v);
            }
            res
        }
        Err(install::Failed { error, grant }) => {
            let expected = consent.reconnect.and_then(|r| r.slug);
            let to = install_failed(&session, installer, &actor, action, target, error, grant, expected).await;
            Redirect::to(&to).into_response()
        }
    }
}

/// Where a finished install lands: the workspace's page, saying so.
async fn succeeded(installer: &install::Installer, actor: &Actor, done: Completed) -> String {
    let action = if done.reconnected { "workspace.reconnect" } else { "workspace.install" };
    installer.record(actor, action, Some(&done.org_id), Outcome::Success, done.detail()).await;
    let mut query = if done.reconnected { WorkspaceNotice::Reconnected } else { WorkspaceNotice::Installed }.query();
    if done.webhook == install::WebhookSource::Missing {
        query.push_str("&webhook=missing");
    }
    format!("/workspaces/{}?{query}", encode_component(&done.org_id))
}

#[allow(clippy::too_many_arguments)]
async fn install_failed(
    session: &Session,
    installer: &install::Installer,
    actor: &Actor,
    action: &'static str,
    target: Option<String>,
    e: InstallError,
    grant: Option<install::GrantFate>,
    expected_slug: Option<String>,
) -> String {
    let f = e.failure();
    tracing::warn!(failure = f.code(), error = %e, "Linear install failed");
    let (detail, extra): (String, Vec<(&str, String)>) = match &e {
        InstallError::WrongWorkspace { authorized_name, authorized_slug, authorized_org } => (
            format!("Linear authorized {authorized_slug} ({authorized_name}, {authorized_org}) instead; nothing written"),
            vec![("authorized", authorized_slug.clone()), ("expected", expected_slug.unwrap_or_default())],
        ),
        InstallError::SlugInUse { slug, .. } => (format!("{e}; nothing written"), vec![("workspace", slug.clone())]),
        InstallError::InvalidSlug { url_key } => {
            let shown: String = url_key.chars().filter(|c| !c.is_control()).take(60).collect();
            (format!("Linear urlKey {shown:?} does not match the platform's slug rule; nothing written"), vec![])
        }
        InstallError::Unfinished { unfinished, .. } => {
            if session.insert(UNFINISHED_KEY, unfinished.clone()).await.is_err() {
                tracing::error!("could not keep the unfinished install in the session");
            }
            (
                format!("tokens saved in {} but the registry row was not written; finish from the connect page", unfinished.secret_arn),
                vec![("workspace", unfinished.slug.clone())],
            )
        }
        other => (format!("{other}; nothing written"), vec![]),
    };
    let target = match &e {
        InstallError::Unfinished { unfinished, .. } => Some(unfinished.org_id.clone()),
        _ => target,
    };
    let (detail, mut extra) = (detail, extra);
    let detail = match &grant {
        Some(g) => {
            extra.push(("grant", g.code().to_owned()));
            format!("{detail}; {}", g.describe())
        }
        None => detail,
    };
    installer.record(actor, action, target.as_deref(), Outcome::Failure, detail).await;
    let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    connect_page(f, actor.request_id.as_deref(), &extra)
}

/// *Finish install*: retries the registry write of an install whose bundle is saved (kept in the
/// session, without tokens). Answers where the browser goes next.
pub async fn finish(session: &Session, installer: &install::Installer, actor: &Actor, admin: &Identity) -> String {
    let unfinished: Option<Unfinished> = session.get(UNFINISHED_KEY).await.ok().flatten();
    let Some(u) = unfinished else {
        return connect_page(InstallFailure::NothingToFinish, actor.request_id.as_deref(), &[]);
    };
    match installer.finish(admin, u).await {
        Ok(done) => {
            let _ = session.remove::<Unfinished>(UNFINISHED_KEY).await;
            succeeded(installer, actor, done).await
        }
        Err(e) => {
            if !matches!(e, InstallError::Unfinished { .. }) {
                let _ = session.remove::<Unfinished>(UNFINISHED_KEY).await;
            }
            install_failed(session, installer, actor, "workspace.install", None, e, None, None).await
        }
    }
}
