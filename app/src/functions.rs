//! Every server function of the console: the one front door for reads and changes alike. Each is
//! a shim: it demands a [`Member`] of the role the action needs (viewer to read, operator for
//! checks, refreshes and links, admin for installs, removals and secrets), calls a port, and returns a wire type. Rules and AWS calls
//! live in the server crate.
//!
//! A change answers with where the browser goes next (the page, with the typed outcome in its
//! query). Posted by a plain HTML form (every form outside an island), that is a 303 redirect;
//! called from an island, the client navigates there itself.
use leptos::prelude::*;

use crate::errors::AppError;
use crate::identity::Identity;
use crate::user_links_view::{LinkRequest, LinkResult, PlatformUserPage, UsersQuery, WorkspaceUsers};
use crate::wire::{AuditEntry, AuditPage, AuditQuery, ConnectInfo, SecretInput, WorkspaceDetail, WorkspaceSummary};
#[cfg(feature = "ssr")]
use crate::{
    guard::{failed, land, Member},
    identity::Role,
    ports::{PortFailure, Ports, UsersView},
    validate,
};

/// Runs a page's read, telling the caches whether the page shows a change its viewer just made
/// ([`crate::ports::AFTER_CHANGE`]): the redirect after a change carries its outcome in the query
/// (`notice=`, `error=`, `steps=`), and an island that changed something in place reloads its page
/// with `changed=1`.
#[cfg(feature = "ssr")]
async fn page_read<F: std::future::Future>(read: F) -> F::Output {
    let query = use_context::<http::request::Parts>().and_then(|p| p.uri.query().map(str::to_owned)).unwrap_or_default();
    let after_change = query.split('&').any(|kv| ["notice=", "error=", "steps=", "changed="].iter().any(|m| kv.starts_with(m)));
    crate::ports::AFTER_CHANGE.scope(after_change, read).await
}

/// A field refused at the edge: 400, with the message naming it.
#[cfg(feature = "ssr")]
fn checked<T>(r: validate::Checked<T>) -> Result<T, AppError> {
    r.map_err(|why| failed(PortFailure::Invalid(why)))
}

#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Identity, AppError> {
    let admin = Member::require(Role::Viewer).await?;
    Ok(admin.identity().clone())
}

#[server(prefix = "/api", endpoint = "workspaces")]
pub async fn list_workspaces() -> Result<Vec<WorkspaceSummary>, AppError> {
    let _admin = Member::require(Role::Viewer).await?;
    page_read(Ports::from_context()?.registry.list_workspaces()).await.map_err(failed)
}

/// One page of the registry overview for the view in the URL (only that page crosses the wire).
#[server(prefix = "/api", endpoint = "workspace_list")]
pub async fn workspace_list(query: crate::registry_view::RegistryQuery) -> Result<crate::registry_view::WorkspaceList, AppError> {
    let _admin = Member::require(Role::Viewer).await?;
    checked(validate::text("q", &query.q, 128))?;
    checked(validate::text("status", &query.status, 32))?;
    checked(validate::text("sort", &query.sort, 32))?;
    let rows = page_read(Ports::from_context()?.registry.list_workspaces()).await.map_err(failed)?;
    let mut list = crate::registry_view::page(rows, &query);
    list.as_of = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    Ok(list)
}

/// One workspace; `NotFound` when the registry has no row for it.
#[server(prefix = "/api", endpoint = "workspace")]
pub async fn get_workspace(org_id: String) -> Result<WorkspaceDetail, AppError> {
    let _admin = Member::require(Role::Viewer).await?;
    checked(validate::org_id("org_id", &org_id))?;
    let found = page_read(Ports::from_context()?.registry.workspace(&org_id)).await.map_err(failed)?;
    found.ok_or_else(|| failed(crate::ports::PortFailure::NotFound(format!("no workspace {org_id} in the registry"))))
}

#[server(prefix = "/api", endpoint = "connect_info")]
pub async fn get_connect_info() -> Result<ConnectInfo, AppError> {
    let _admin = Member::require(Role::Viewer).await?;
    Ports::from_context()?.install.connect_info().await.map_err(failed)
}

#[server(prefix = "/api", endpoint = "audit")]
pub async fn recent_audit() -> Result<Vec<AuditEntry>, AppError> {
    let _admin = Member::require(Role::Viewer).await?;
    page_read(Ports::from_context()?.audit.recent(200)).await.map_err(failed)
}

/// A page of the audit log (100 events) for the view in `/audit`'s URL.
#[server(prefix = "/api", endpoint = "audit_search")]
pub async fn search_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    let _admin = Member::require(Role::Viewer).await?;
    checked(query.validate())?;
    page_read(Ports::from_context()?.audit.search(&query, 100)).await.map_err(failed)
}

/// A workspace's members with their link states, as the URL's view asks.
#[server(prefix = "/api", endpoint = "workspace_users")]
pub async fn get_workspace_users(org_id: String, query: UsersQuery) -> Result<WorkspaceUsers, AppError> {
    let _admin = Member::require(Role::Viewer).await?;
    checked(validate::org_id("org_id", &org_id))?;
    checked(validate::text("q", &query.q, 128))?;
    checked(validate::link_state("state", &query.state))?;
    page_read(Ports::from_context()?.user_links.workspace_users(&org_id, &query)).await.map_err(failed)
}

/// What *Link all suggested* would link, for the progress display to work through.
#[server(prefix = "/api", endpoint = "suggested_links")]
pub async fn get_suggested_links(org_id: String) -> Result<Vec<LinkRequest>, AppError> {
    let _admin = Member::require(Role::Viewer).await?;
    checked(validate::org_id("org_id", &org_id))?;
    Ports::from_context()?.user_links.suggested(&org_id).await.map_err(failed)
}

/// Links a batch of members; each row gets its own outcome and audit event.
#[server(prefix = "/api", endpoint = "link_users")]
pub async fn link_users(org_id: String, links: Vec<LinkRequest>) -> Result<Vec<LinkResult>, AppError> {
    let admin = Member::require(Role::Operator).await?;
    checked(validate::org_id("org_id", &org_id))?;
    for l in &links {
        checked(validate::user_id("linear_user_id", &l.linear_user_id))?;
        checked(validate::user_id("platform_user_id", &l.platform_user_id))?;
        if let Some(r) = &l.replace {
            checked(validate::user_id("replace", r))?;
        }
        checked(validate::text("label", l.label.as_deref().unwrap_or(""), 300))?;
    }
    if links.len() > 100 {
        return Err(failed(crate::ports::PortFailure::Invalid("at most 100 links per request".into())));
    }
    Ports::from_context()?.user_links.link_users(&admin.actor(), &org_id, &links).await.map_err(failed)
}

/// *Reload from Linear*: fetches the members again; returns how many.
#[server(prefix = "/api", endpoint = "reload_linear_users")]
pub async fn reload_linear_users(org_id: String) -> Result<usize, AppError> {
    let _admin = Member::require(Role::Operator).await?;
    checked(validate::org_id("org_id", &org_id))?;
    Ports::from_context()?.user_links.reload(&org_id).await.map_err(failed)
}

/// (pages, users) fetched so far by a reload under way, for its progress line.
#[server(prefix = "/api", endpoint = "reload_progress")]
pub async fn get_reload_progress(org_id: String) -> Result<Option<(usize, usize)>, AppError> {
    let _admin = Member::require(Role::Viewer).await?;
    checked(validate::org_id("org_id", &org_id))?;
    Ok(Ports::from_context()?.user_links.reload_progress(&org_id))
}

/// Pool users by email prefix, a page at a time, with their Linear links (`/users`, the picker).
#[server(prefix = "/api", endpoint = "platform_users")]
pub async fn search_platform_users(prefix: String, next: Option<String>) -> Result<PlatformUserPage, AppError> {
    let _admin = Member::require(Role::Viewer).await?;
    checked(validate::email_prefix("prefix", &prefix))?;
    checked(validate::text("next", next.as_deref().unwrap_or(""), 2048))?;
    Ports::from_context()?.user_links.platform_users(&prefix, next).await.map_err(failed)
}

// ---- changes: the workspace page ----------------------------------------------------------

/// *Check now*: a `viewer` query with the stored token, recorded on the row.
#[server(prefix = "/api", endpoint = "check_workspace")]
pub async fn check_workspace(org_id: String) -> Result<String, AppError> {
    let admin = Member::require(Role::Operator).await?;
    checked(validate::org_id("org_id", &org_id))?;
    Ok(land(Ports::from_context()?.workspace_actions.check(&admin.actor(), &org_id).await))
}

/// *Refresh token*: single-flight, rotation-safe.
#[server(prefix = "/api", endpoint = "refresh_workspace")]
pub async fn refresh_workspace(org_id: String) -> Result<String, AppError> {
    let admin = Member::require(Role::Operator).await?;
    checked(validate::org_id("org_id", &org_id))?;
    Ok(land(Ports::from_context()?.workspace_actions.refresh(&admin.actor(), &org_id).await))
}

/// *Revoke* or *Remove* (the form's two buttons), confirmed by typing the slug.
#[server(prefix = "/api", endpoint = "remove_workspace")]
pub async fn remove_workspace(
    org_id: String,
    confirm: String,
    delete_links: Option<String>,
    mode: crate::wire::RemoveMode,
) -> Result<String, AppError> {
    let admin = Member::require(Role::Admin).await?;
    checked(validate::org_id("org_id", &org_id))?;
    checked(validate::text("confirm", &confirm, 128))?;
    let actions = Ports::from_context()?.workspace_actions;
    let (actor, links) = (admin.actor(), delete_links.is_some());
    Ok(land(match mode {
        crate::wire::RemoveMode::Revoke => actions.revoke(&actor, &org_id, &confirm, links).await,
        crate::wire::RemoveMode::Remove => actions.remove(&actor, &org_id, &confirm, links).await,
    }))
}

/// *Retry deletion* of an orphaned token bundle.
#[server(prefix = "/api", endpoint = "retry_orphan")]
pub async fn retry_orphan(org_id: String) -> Result<String, AppError> {
    let admin = Member::require(Role::Admin).await?;
    checked(validate::org_id("org_id", &org_id))?;
    Ok(land(Ports::from_context()?.workspace_actions.retry_orphan(&admin.actor(), &org_id).await))
}

/// Stores the workspace's webhook signing secret in its bundle; it is never shown again.
#[server(prefix = "/api", endpoint = "webhook_secret")]
pub async fn save_webhook_secret(org_id: String, webhook_secret: SecretInput) -> Result<String, AppError> {
    let admin = Member::require(Role::Admin).await?;
    checked(validate::org_id("org_id", &org_id))?;
    Ok(land(Ports::from_context()?.workspace_actions.save_webhook_secret(&admin.actor(), &org_id, webhook_secret.expose()).await))
}

/// *Finish install*: writes the registry row of an install whose bundle was saved (no new consent).
#[server(prefix = "/api", endpoint = "finish_install")]
pub async fn finish_install() -> Result<String, AppError> {
    let admin = Member::require(Role::Admin).await?;
    let session: tower_sessions::Session =
        leptos_axum::extract().await.map_err(|e| failed(crate::ports::PortError { service: "sessions", cause: e.to_string() }))?;
    Ok(land(Ports::from_context()?.workspace_actions.finish_install(&admin.actor(), &session).await))
}

// ---- changes: the users pages -------------------------------------------------------------

/// The view a users-page form came from (carried back in the redirect): bounded and checked,
/// since it is echoed into the `Location` header.
#[cfg(feature = "ssr")]
fn users_view(q: Option<String>, state: Option<String>, page: Option<String>) -> Result<UsersView, AppError> {
    let view = UsersView { q: q.unwrap_or_default(), state: state.unwrap_or_default(), page: page.unwrap_or_default() };
    checked(validate::text("q", &view.q, 128))?;
    checked(validate::link_state("state", &view.state))?;
    checked(validate::page("page", &view.page))?;
    Ok(view)
}

/// *Link* (a suggestion or a picked user), or *Change* when `replace` names the current one.
#[server(prefix = "/api", endpoint = "link_user")]
pub async fn link_user(
    org_id: String,
    linear_user_id: String,
    platform_user_id: String,
    replace: Option<String>,
    q: Option<String>,
    state: Option<String>,
    page: Option<String>,
) -> Result<String, AppError> {
    let admin = Member::require(Role::Operator).await?;
    checked(validate::org_id("org_id", &org_id))?;
    checked(validate::user_id("linear_user_id", linear_user_id.trim()))?;
    checked(validate::user_id("platform_user_id", platform_user_id.trim()))?;
    if let Some(r) = replace.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        checked(validate::user_id("replace", r))?;
    }
    let req = LinkRequest {
        linear_user_id: linear_user_id.trim().to_owned(),
        platform_user_id: platform_user_id.trim().to_owned(),
        replace: replace.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()),
        label: None,
    };
    let view = users_view(q, state, page)?;
    Ok(land(Ports::from_context()?.link_actions.link(&admin.actor(), &org_id, req, &view).await))
}

/// *Unlink*: only while the link still names the platform user the page showed.
#[server(prefix = "/api", endpoint = "unlink_user")]
pub async fn unlink_user(
    org_id: String,
    linear_user_id: String,
    platform_user_id: String,
    q: Option<String>,
    state: Option<String>,
    page: Option<String>,
) -> Result<String, AppError> {
    let admin = Member::require(Role::Operator).await?;
    checked(validate::org_id("org_id", &org_id))?;
    checked(validate::user_id("linear_user_id", &linear_user_id))?;
    checked(validate::user_id("platform_user_id", &platform_user_id))?;
    let view = users_view(q, state, page)?;
    Ok(land(Ports::from_context()?.link_actions.unlink(&admin.actor(), &org_id, &linear_user_id, &platform_user_id, &view).await))
}

/// *Link all suggested* without the wasm: every suggestion, then a count of each outcome.
#[server(prefix = "/api", endpoint = "link_suggested")]
pub async fn link_suggested(org_id: String, q: Option<String>, state: Option<String>, page: Option<String>) -> Result<String, AppError> {
    let admin = Member::require(Role::Operator).await?;
    checked(validate::org_id("org_id", &org_id))?;
    let view = users_view(q, state, page)?;
    Ok(land(Ports::from_context()?.link_actions.link_suggested(&admin.actor(), &org_id, &view).await))
}

/// *Invite*: a pending row with a fresh code, shown on the page to hand over.
#[server(prefix = "/api", endpoint = "invite_user")]
pub async fn invite_user(
    org_id: String,
    linear_user_id: String,
    q: Option<String>,
    state: Option<String>,
    page: Option<String>,
) -> Result<String, AppError> {
    let admin = Member::require(Role::Operator).await?;
    checked(validate::org_id("org_id", &org_id))?;
    checked(validate::user_id("linear_user_id", &linear_user_id))?;
    let view = users_view(q, state, page)?;
    Ok(land(Ports::from_context()?.link_actions.invite(&admin.actor(), &org_id, &linear_user_id, &view).await))
}

/// *Revoke* a pending invite.
#[server(prefix = "/api", endpoint = "revoke_invite")]
pub async fn revoke_invite(
    org_id: String,
    code: String,
    q: Option<String>,
    state: Option<String>,
    page: Option<String>,
) -> Result<String, AppError> {
    let admin = Member::require(Role::Operator).await?;
    checked(validate::org_id("org_id", &org_id))?;
    checked(validate::invite_code("code", &code))?;
    let view = users_view(q, state, page)?;
    Ok(land(Ports::from_context()?.link_actions.revoke_invite(&admin.actor(), &org_id, &code, &view).await))
}

/// *Reload from Linear* without the wasm (with it, `reload_linear_users` reports progress).
#[server(prefix = "/api", endpoint = "reload_users")]
pub async fn reload_users(org_id: String, q: Option<String>, state: Option<String>, page: Option<String>) -> Result<String, AppError> {
    let _admin = Member::require(Role::Operator).await?;
    checked(validate::org_id("org_id", &org_id))?;
    let view = users_view(q, state, page)?;
    Ok(land(Ports::from_context()?.link_actions.reload(&org_id, &view).await))
}

/// *Unlink* on `/users`: by the row's key, guarded by the platform user it names.
#[server(prefix = "/api", endpoint = "unlink_identity")]
pub async fn unlink_identity(identity: String, platform_user_id: String, email: Option<String>) -> Result<String, AppError> {
    let admin = Member::require(Role::Operator).await?;
    checked(validate::mapping_key("identity", &identity))?;
    checked(validate::user_id("platform_user_id", &platform_user_id))?;
    checked(validate::text("email", email.as_deref().unwrap_or(""), 254))?;
    let to =
        Ports::from_context()?.link_actions.unlink_identity(&admin.actor(), &identity, &platform_user_id, &email.unwrap_or_default()).await;
    Ok(land(to))
}

// ---- the member's own page ----------------------------------------------------------------

/// The signed-in member's profile: role and second factor (and an enrolment under way).
#[server(prefix = "/api", endpoint = "profile")]
pub async fn my_profile() -> Result<crate::wire::Profile, AppError> {
    let member = Member::require(Role::Viewer).await?;
    let session: tower_sessions::Session =
        leptos_axum::extract().await.map_err(|e| failed(crate::ports::PortError { service: "sessions", cause: e.to_string() }))?;
    Ok(Ports::from_context()?.profile.profile(member.identity(), &session).await)
}

// ---- incidents and settings ------------------------------------------------------------------

/// `/incidents`: open first, then the last 30 days' resolved, as the URL filters them.
#[server(prefix = "/api", endpoint = "incidents")]
pub async fn list_incidents(query: crate::wire::IncidentQuery) -> Result<Vec<crate::wire::IncidentView>, AppError> {
    let _member = Member::require(Role::Viewer).await?;
    checked(validate::text("workspace", &query.workspace, 64))?;
    checked(validate::text("kind", &query.kind, 32))?;
    checked(validate::text("state", &query.state, 16))?;
    Ports::from_context()?.incidents.list(&query).await.map_err(failed)
}

/// The incident a form names: its workspace's id and its kind, both checked.
#[cfg(feature = "ssr")]
fn incident_of(org_id: &str, kind: &str) -> Result<crate::wire::IncidentKind, AppError> {
    checked(validate::org_id("org_id", org_id))?;
    checked(crate::wire::IncidentKind::from_code(kind).ok_or_else(|| "kind is not an incident kind.".to_owned()))
}

/// *Acknowledge* an open incident with a note: no reminder from now on.
#[server(prefix = "/api", endpoint = "acknowledge_incident")]
pub async fn acknowledge_incident(org_id: String, kind: String, note: String) -> Result<String, AppError> {
    let member = Member::require(Role::Operator).await?;
    let kind = incident_of(&org_id, &kind)?;
    checked(validate::text("note", &note, 500))?;
    Ok(land(Ports::from_context()?.incidents.acknowledge(&member.actor(), &org_id, kind, note.trim()).await))
}

/// *Snooze* an open incident: `span` is `1h`, `1d` or `resolved` (until it resolves).
#[server(prefix = "/api", endpoint = "snooze_incident")]
pub async fn snooze_incident(org_id: String, kind: String, span: String) -> Result<String, AppError> {
    let member = Member::require(Role::Operator).await?;
    let kind = incident_of(&org_id, &kind)?;
    let seconds = match span.as_str() {
        "1h" => Some(3600),
        "1d" => Some(86_400),
        "resolved" => None,
        _ => return Err(failed(PortFailure::Invalid("span must be 1h, 1d or resolved.".into()))),
    };
    Ok(land(Ports::from_context()?.incidents.snooze(&member.actor(), &org_id, kind, seconds).await))
}

/// `/settings`: the alert channels (never a webhook's secret path) and the incident rules.
#[server(prefix = "/api", endpoint = "settings")]
pub async fn get_settings() -> Result<crate::wire::SettingsView, AppError> {
    let _member = Member::require(Role::Viewer).await?;
    Ok(Ports::from_context()?.incidents.settings())
}

/// *Send test alert* to one channel.
#[server(prefix = "/api", endpoint = "test_alert")]
pub async fn test_alert(channel: String) -> Result<String, AppError> {
    let member = Member::require(Role::Admin).await?;
    let index = checked(channel.parse::<usize>().map_err(|_| "channel must be a channel's number.".to_owned()))?;
    Ok(land(Ports::from_context()?.incidents.test_alert(&member.actor(), index).await))
}
