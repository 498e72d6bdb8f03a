//! The users pages' form POSTs, which work before the wasm has loaded: link (or change),
//! unlink, link all suggested, invite, revoke an invite, reload from Linear, and unlink from
//! `/users`. Each is audited and answered with a redirect back to the page's view.
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use app::outcomes::{LinkNotice, Notice, UsersNotice};
use app::user_links_view::{LinkOutcome, LinkRequest};

use crate::domain::audit::Outcome;
use crate::services::user_links::LinkingError;
use crate::services::user_links_port::link_event;
use crate::web::admin::{record_change, request_id, SignedInAdmin};
use crate::web::security::encode_component;
use crate::web::state::AppState;

/// The page's view, carried through a form so the redirect lands on the same view.
#[derive(Deserialize, Default)]
pub struct ViewFields {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: String,
}

fn back(org_id: &str, view: &ViewFields, outcome: &str) -> Response {
    let mut query: Vec<String> = Vec::new();
    if !view.q.is_empty() {
        query.push(format!("q={}", encode_component(&view.q)));
    }
    if !view.state.is_empty() {
        query.push(format!("state={}", encode_component(&view.state)));
    }
    if let Ok(p) = view.page.parse::<usize>() {
        query.push(format!("page={p}"));
    }
    query.push(outcome.to_owned());
    Redirect::to(&format!("/workspaces/{}/users?{}", encode_component(org_id), query.join("&"))).into_response()
}

/// An invite code is a credential of sorts: the audit log keeps its last 4 characters only.
fn code_tail(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

async fn audit(
    state: &AppState,
    admin: &SignedInAdmin,
    headers: &HeaderMap,
    action: &'static str,
    org_id: &str,
    outcome: Outcome,
    detail: String,
) {
    record_change(&state.audit, admin, headers, action, org_id, outcome, detail).await;
}

/// The banner of a refusal or failure.
fn refusal(e: &LinkingError) -> LinkNotice {
    match e {
        LinkingError::UnknownWorkspace => LinkNotice::UnknownWorkspace,
        LinkingError::ReadOnly => LinkNotice::ReadOnly,
        LinkingError::UnknownLinearUser => LinkNotice::UnknownLinearUser,
        LinkingError::NotLinkable(_) => LinkNotice::NotLinkable,
        LinkingError::UnknownPlatformUser => LinkNotice::UnknownPlatformUser,
        LinkingError::PlatformUserDisabled => LinkNotice::PlatformUserDisabled,
        LinkingError::BadIdentity => LinkNotice::BadIdentity,
        LinkingError::Conflict => LinkNotice::Conflict,
        LinkingError::Linear(_) => LinkNotice::LinearUnavailable,
        LinkingError::Unavailable(_) => LinkNotice::Unavailable,
    }
}

/// The banner on `/users` (an unlink by identity).
fn users_refusal(e: &LinkingError) -> UsersNotice {
    match e {
        LinkingError::Conflict => UsersNotice::Conflict,
        LinkingError::BadIdentity => UsersNotice::BadIdentity,
        _ => UsersNotice::Unavailable,
    }
}

fn outcome_of(e: &LinkingError) -> Outcome {
    match e {
        LinkingError::Unavailable(_) | LinkingError::Linear(_) => Outcome::Failure,
        _ => Outcome::Refused,
    }
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    linear_user_id: String,
    #[serde(default)]
    platform_user_id: String,
    /// Set when changing a link: the platform user it must still name.
    #[serde(default)]
    replace: String,
    #[serde(flatten)]
    view: ViewFields,
}

/// *Link* (a suggestion or a picked user), or *Change* with `replace`.
pub async fn link(
    State(state): State<AppState>,
    admin: SignedInAdmin,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    axum::Form(form): axum::Form<LinkForm>,
) -> Response {
    let req = LinkRequest {
        linear_user_id: form.linear_user_id.trim().to_owned(),
        platform_user_id: form.platform_user_id.trim().to_owned(),
        replace: Some(form.replace.trim().to_owned()).filter(|r| !r.is_empty()),
        label: None,
    };
    let result = state.user_links.link(&admin.0.sub, &org_id, &req).await;
    let outcome = state.user_links.outcome(&org_id, &req, &result).await;
    let ev = link_event(&admin.0.sub, &admin.0.email, request_id(&headers), &org_id, &req, &outcome);
    let _ = state.audit.record(ev).await;
    let who = encode_component(&req.linear_user_id);
    let code = match &result {
        Ok(()) if req.replace.is_some() => format!("{}&who={who}", LinkNotice::Changed.query()),
        Ok(()) => format!("{}&who={who}", LinkNotice::Linked.query()),
        Err(e) => format!("{}&who={who}", refusal(e).query()),
    };
    back(&org_id, &form.view, &code)
}

#[derive(Deserialize)]
pub struct UnlinkForm {
    #[serde(default)]
    linear_user_id: String,
    #[serde(default)]
    platform_user_id: String,
    #[serde(flatten)]
    view: ViewFields,
}

/// *Unlink*: deletes the row only while it still names the platform user the page showed.
pub async fn unlink(
    State(state): State<AppState>,
    admin: SignedInAdmin,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    axum::Form(form): axum::Form<UnlinkForm>,
) -> Response {
    let detail = format!("Linear user {} from platform user {}", form.linear_user_id, form.platform_user_id);
    let who = encode_component(&form.linear_user_id);
    match state.user_links.unlink(&org_id, &form.linear_user_id, &form.platform_user_id).await {
        Ok(()) => {
            audit(&state, &admin, &headers, "user.unlink", &org_id, Outcome::Success, detail).await;
            back(&org_id, &form.view, &format!("{}&who={who}", LinkNotice::Unlinked.query()))
        }
        Err(e) => {
            audit(&state, &admin, &headers, "user.unlink", &org_id, outcome_of(&e), format!("{detail}: {e}")).await;
            back(&org_id, &form.view, &format!("{}&who={who}", refusal(&e).query()))
        }
    }
}

/// *Link all suggested* without the wasm: every suggestion, then a count of each outcome.
pub async fn link_suggested(
    State(state): State<AppState>,
    admin: SignedInAdmin,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    axum::Form(view): axum::Form<ViewFields>,
) -> Response {
    let reqs = match state.user_links.suggested(&org_id).await {
        Ok(r) => r,
        Err(e) => return back(&org_id, &view, &refusal(&e).query()),
    };
    let results = state.user_links.link_many(&admin.0.sub, &org_id, &reqs).await;
    let mut tally = [0usize; 4];
    for (req, r) in reqs.iter().zip(&results) {
        tally[match r.outcome {
            LinkOutcome::Linked => 0,
            LinkOutcome::Conflict { .. } => 1,
            LinkOutcome::Refused(_) => 2,
            LinkOutcome::Failed => 3,
        }] += 1;
        let _ = state.audit.record(link_event(&admin.0.sub, &admin.0.email, request_id(&headers), &org_id, req, &r.outcome)).await;
    }
    back(
        &org_id,
        &view,
        &format!("{}&linked={}&conflicts={}&refused={}&failed={}", LinkNotice::Bulk.query(), tally[0], tally[1], tally[2], tally[3]),
    )
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    linear_user_id: String,
    #[serde(flatten)]
    view: ViewFields,
}

/// *Invite*: a pending row with a fresh code, shown on the page to hand over.
pub async fn invite(
    State(state): State<AppState>,
    admin: SignedInAdmin,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    axum::Form(form): axum::Form<InviteForm>,
) -> Response {
    let who = encode_component(&form.linear_user_id);
    match state.user_links.invite(&admin.0.sub, &org_id, &form.linear_user_id).await {
        Ok(invite) => {
            let detail = format!(
                "Linear user {} invited (code …{}, until {})",
                form.linear_user_id,
                code_tail(&invite.code),
                invite.expires_at.unwrap_or_default()
            );
            audit(&state, &admin, &headers, "user.invite", &org_id, Outcome::Success, detail).await;
            back(&org_id, &form.view, &format!("{}&who={who}", LinkNotice::Invited.query()))
        }
        Err(e) => {
            audit(&state, &admin, &headers, "user.invite", &org_id, outcome_of(&e), format!("Linear user {}: {e}", form.linear_user_id))
                .await;
            back(&org_id, &form.view, &format!("{}&who={who}", refusal(&e).query()))
        }
    }
}

#[derive(Deserialize)]
pub struct RevokeInviteForm {
    #[serde(default)]
    code: String,
    #[serde(flatten)]
    view: ViewFields,
}

pub async fn revoke_invite(
    State(state): State<AppState>,
    admin: SignedInAdmin,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    axum::Form(form): axum::Form<RevokeInviteForm>,
) -> Response {
    let tail = code_tail(&form.code);
    match state.user_links.revoke_invite(&org_id, &form.code).await {
        Ok(()) => {
            audit(&state, &admin, &headers, "user.invite_revoke", &org_id, Outcome::Success, format!("invite …{tail} deleted")).await;
            back(&org_id, &form.view, &LinkNotice::InviteRevoked.query())
        }
        Err(e) => {
            audit(&state, &admin, &headers, "user.invite_revoke", &org_id, outcome_of(&e), format!("invite …{tail}: {e}")).await;
            back(&org_id, &form.view, &refusal(&e).query())
        }
    }
}

/// *Reload from Linear* without the wasm.
pub async fn reload(
    State(state): State<AppState>,
    _admin: SignedInAdmin,
    Path(org_id): Path<String>,
    axum::Form(view): axum::Form<ViewFields>,
) -> Response {
    match state.user_links.reload(&org_id).await {
        Ok(n) => back(&org_id, &view, &format!("{}&count={n}", LinkNotice::Reloaded.query())),
        Err(e) => back(&org_id, &view, &refusal(&e).query()),
    }
}

#[derive(Deserialize)]
pub struct UnlinkIdentityForm {
    #[serde(default)]
    identity: String,
    #[serde(default)]
    platform_user_id: String,
    #[serde(default)]
    email: String,
}

/// *Unlink* on `/users`: by the row's key, guarded by the platform user it names.
pub async fn unlink_identity(
    State(state): State<AppState>,
    admin: SignedInAdmin,
    headers: HeaderMap,
    axum::Form(form): axum::Form<UnlinkIdentityForm>,
) -> Response {
    let result = state.user_links.unlink_identity(&form.identity, &form.platform_user_id).await;
    let org = form.identity.split('#').next().unwrap_or_default().to_owned();
    let detail = format!("{} from platform user {}", form.identity, form.platform_user_id);
    let (outcome, code) = match &result {
        Ok(_) => (Outcome::Success, UsersNotice::Unlinked.query()),
        Err(e) => (outcome_of(e), users_refusal(e).query()),
    };
    let detail = match &result {
        Ok(_) => detail,
        Err(e) => format!("{detail}: {e}"),
    };
    audit(&state, &admin, &headers, "user.unlink", &org, outcome, detail).await;
    let email = if form.email.is_empty() { String::new() } else { format!("email={}&", encode_component(&form.email)) };
    Redirect::to(&format!("/users?{email}{code}")).into_response()
}
