//! Every server function of the console: the one front door for reads and changes alike. Each is
//! a shim: it states the role the action needs (viewer to read, operator for checks, refreshes and
//! links, admin for installs, removals and secrets) of the member the server's gate established,
//! parses its arguments into typed values (a refusal is a 400 naming the field), calls one service,
//! and returns a wire type (`edge::convert`) or, for a change, where the browser goes next
//! (`edge::landing`). Rules and AWS calls live in `console-core` and the server.
//!
//! A change posted by a plain HTML form (every form outside an island) gets a 303 redirect; called
//! from an island, the client navigates there itself. A page's read says whether the page shows a
//! change its viewer just made (`after_change`): then it waits for data read since the change.
use leptos::prelude::*;

use crate::drops_view::{DropsSummary, WorkspaceDrops};
use crate::errors::AppError;
use crate::identity::Identity;
use crate::user_links_view::{LinkRequest, LinkResult, PlatformUserPage, UsersQuery, WorkspaceUsers};
use crate::wire::{
    AuditEntry, AuditPage, AuditQuery, ConnectInfo, IncidentQuery, IncidentView, Profile, SecretInput, SettingsView, WorkspaceDetail,
    WorkspaceSummary,
};
use console_core::incidents::{IncidentKind, Snooze};
#[cfg(feature = "ssr")]
use {
    crate::edge::{arg, checked, convert, failed, invalid, land, landing, not_found, unavailable, Console, Member},
    crate::identity::Role,
    crate::validate,
    console_core::cache::Freshness,
    console_core::ids::{LinearUserId, OrgId, PlatformUserId},
    std::sync::Arc,
};

/// How fresh a page's read must be: the page a change lands on, what was read since the latest
/// change; a session's pages within the pages' time after a change of its own, what was read since
/// that change (one read serves every such session); the others, the shared read.
#[cfg(feature = "ssr")]
fn freshness(after_change: bool) -> Freshness {
    // Asked quietly: where the request's parts or services are not in context, only `after_change`
    // decides.
    let since = match (use_context::<Console>(), crate::edge::CurrentSession::get()) {
        (Some(console), Some(session)) => console.recent_changes.since(&session.0, crate::edge::now_unix_ms(), console.page_cache_seconds),
        _ => None,
    };
    match (after_change, since) {
        (true, _) => Freshness::SinceChange,
        (false, Some(at)) => Freshness::Since(at),
        (false, None) => Freshness::Shared,
    }
}

#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Identity, AppError> {
    Ok(Member::require(Role::Viewer)?.identity().clone())
}

/// The registry overview, every row.
#[server(prefix = "/api", endpoint = "workspaces")]
pub async fn list_workspaces(#[server(default)] after_change: bool) -> Result<Vec<WorkspaceSummary>, AppError> {
    Member::require(Role::Viewer)?;
    let rows = Console::get()?.services.workspaces.overview(freshness(after_change)).await.map_err(|e| failed(&e))?;
    Ok(rows.iter().map(convert::summary).collect())
}

/// One page of the registry overview for the view in the URL (only that page crosses the wire).
#[server(prefix = "/api", endpoint = "workspace_list")]
pub async fn workspace_list(
    query: crate::registry_view::RegistryQuery,
    #[server(default)] after_change: bool,
) -> Result<crate::registry_view::WorkspaceList, AppError> {
    Member::require(Role::Viewer)?;
    checked(validate::text("q", &query.q, 128))?;
    let console = Console::get()?;
    let rows = console.services.workspaces.overview(freshness(after_change)).await.map_err(|e| failed(&e))?;
    let mut list = crate::registry_view::page(rows.iter().map(convert::summary).collect(), &query);
    list.as_of = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    match console.services.projects.orphans(freshness(after_change)).await {
        Ok(o) => list.orphan_mappings = (o.revoked, o.gone),
        Err(e) => tracing::warn!(error = %console_core::error::chain(&e), "project mappings unavailable for the overview"),
    }
    Ok(list)
}

/// One workspace; `NotFound` when the registry has no row for it.
#[server(prefix = "/api", endpoint = "workspace")]
pub async fn get_workspace(org_id: String, #[server(default)] after_change: bool) -> Result<WorkspaceDetail, AppError> {
    Member::require(Role::Viewer)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let found = Console::get()?.services.workspaces.workspace(&org, freshness(after_change)).await.map_err(|e| failed(&e))?;
    let view = found.ok_or_else(|| not_found(format!("no workspace {org} in the registry")))?;
    Ok(convert::detail(view, crate::edge::now_unix()))
}

/// A workspace's *Dropped in the last N days*, from the platform's log: each person with their
/// member row (operators and admins), or only the counts (a viewer).
#[server(prefix = "/api", endpoint = "workspace_drops")]
pub async fn get_workspace_drops(org_id: String, #[server(default)] after_change: bool) -> Result<WorkspaceDrops, AppError> {
    use console_core::services::drops::DropsError;
    let member = Member::require(Role::Viewer)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let console = Console::get()?;
    let drops = &console.services.drops;
    let counts_only = member.identity().role == Role::Viewer;
    match drops.of_workspace(&org, freshness(after_change)).await {
        Ok(Some(d)) => Ok(convert::workspace_drops(d, drops.settings().per_hour, counts_only)),
        Ok(None) => Ok(WorkspaceDrops { unknown_because: console.drops_unknown.clone(), ..WorkspaceDrops::default() }),
        Err(DropsError::UnknownWorkspace) => Err(not_found(format!("no workspace {org} in the registry"))),
        Err(DropsError::Unavailable(e)) => Err(failed(&e)),
    }
}

/// The overview's counts of what the platform dropped.
#[server(prefix = "/api", endpoint = "drops_summary")]
pub async fn get_drops_summary(#[server(default)] after_change: bool) -> Result<DropsSummary, AppError> {
    Member::require(Role::Viewer)?;
    let console = Console::get()?;
    let fresh = freshness(after_change);
    match console.services.drops.overview(fresh).await.map_err(|e| failed(&e))? {
        Some(o) => {
            // Names for the org ids, from the overview's own read.
            let rows = console.services.workspaces.overview(fresh).await.map_err(|e| failed(&e))?;
            Ok(convert::drops_summary(o, &rows))
        }
        None => Ok(DropsSummary { unknown_because: console.drops_unknown.clone(), ..DropsSummary::default() }),
    }
}

#[server(prefix = "/api", endpoint = "connect_info")]
pub async fn get_connect_info() -> Result<ConnectInfo, AppError> {
    Member::require(Role::Viewer)?;
    let console = Console::get()?;
    let source = console.services.installer.credentials().await.map_err(|e| failed(&e))?;
    Ok(convert::connect_info(source.map(|(_, s)| s), &console.redirect_uri))
}

#[server(prefix = "/api", endpoint = "audit")]
pub async fn recent_audit() -> Result<Vec<AuditEntry>, AppError> {
    Member::require(Role::Viewer)?;
    Console::get()?.services.audit.recent(200, freshness(false)).await.map_err(|e| failed(&e))
}

/// A page of the audit log (100 events) for the view in `/audit`'s URL.
#[server(prefix = "/api", endpoint = "audit_search")]
pub async fn search_audit(query: AuditQuery, #[server(default)] after_change: bool) -> Result<AuditPage, AppError> {
    Member::require(Role::Viewer)?;
    let filter = query.filter().map_err(invalid)?;
    Console::get()?.services.audit.search(&filter, 100, freshness(after_change)).await.map_err(|e| failed(&e))
}

/// *Send again* on an undelivered lifecycle event (`/audit`, operators): to where it was refused,
/// once; lands on the audit log's event rows.
#[server(prefix = "/api", endpoint = "send_event_again")]
pub async fn send_event_again(key: String) -> Result<String, AppError> {
    let member = Member::require(Role::Operator)?;
    let key = checked(validate::audit_key("key", key.trim()))?;
    let done = Console::get()?.services.resend.send_again(&member.actor(), key).await;
    Ok(land(landing::event_resent(done)))
}

/// A workspace's members with their link states, as the URL's view asks.
#[server(prefix = "/api", endpoint = "workspace_users")]
pub async fn get_workspace_users(
    org_id: String,
    query: UsersQuery,
    #[server(default)] after_change: bool,
) -> Result<WorkspaceUsers, AppError> {
    Member::require(Role::Viewer)?;
    let org: OrgId = arg("org_id", &org_id)?;
    checked(validate::text("q", &query.q, 128))?;
    let links = Console::get()?.services.user_links.clone();
    let members = links.members_of(&org, freshness(after_change)).await.map_err(linking_failed)?;
    Ok(convert::members(members, &query, links.redeem_command()))
}

/// A read of the users pages that failed: the client's mistake (a 4xx naming it) or a service's.
#[cfg(feature = "ssr")]
fn linking_failed(e: console_core::services::user_links::LinkingError) -> AppError {
    use console_core::services::user_links::LinkingError;
    match e {
        LinkingError::UnknownWorkspace => not_found("that workspace is not in the registry"),
        LinkingError::Unavailable(u) => failed(&u),
        other => invalid(other.to_string()),
    }
}

/// What *Link all suggested* would link, for the progress display to work through.
#[server(prefix = "/api", endpoint = "suggested_links")]
pub async fn get_suggested_links(org_id: String) -> Result<Vec<LinkRequest>, AppError> {
    Member::require(Role::Viewer)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let suggested = Console::get()?.services.user_links.suggested(&org).await.map_err(linking_failed)?;
    Ok(suggested.into_iter().map(convert::suggestion).collect())
}

/// Links a batch of members; each row gets its own outcome and audit event.
#[server(prefix = "/api", endpoint = "link_users")]
pub async fn link_users(org_id: String, links: Vec<LinkRequest>) -> Result<Vec<LinkResult>, AppError> {
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    if links.len() > 100 {
        return Err(invalid("at most 100 links per request"));
    }
    let reqs = links.iter().map(convert::link_request).collect::<Result<Vec<_>, _>>()?;
    let done = Console::get()?.services.user_links.link_many(&member.actor(), &org, &reqs).await;
    if !done.recorded.is_recorded() {
        tracing::warn!(request_id = %crate::edge::request_id(), "links made, some not recorded in the audit log");
    }
    Ok(done.value.into_iter().map(convert::link_result).collect())
}

/// *Reload from Linear*: fetches the members again; returns how many.
#[server(prefix = "/api", endpoint = "reload_linear_users")]
pub async fn reload_linear_users(org_id: String) -> Result<usize, AppError> {
    Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    Console::get()?.services.user_links.reload(&org).await.map_err(linking_failed)
}

/// (pages, users) fetched so far by a reload under way, for its progress line.
#[server(prefix = "/api", endpoint = "reload_progress")]
pub async fn get_reload_progress(org_id: String) -> Result<Option<(usize, usize)>, AppError> {
    Member::require(Role::Viewer)?;
    let org: OrgId = arg("org_id", &org_id)?;
    Ok(Console::get()?.services.user_links.reload_progress(&org))
}

/// Pool users by email prefix, a page at a time, with their Linear links (`/users`, the picker).
#[server(prefix = "/api", endpoint = "platform_users")]
pub async fn search_platform_users(
    prefix: String,
    next: Option<String>,
    #[server(default)] after_change: bool,
) -> Result<PlatformUserPage, AppError> {
    Member::require(Role::Viewer)?;
    checked(validate::email_prefix("prefix", &prefix))?;
    checked(validate::page_token("next", next.as_deref().unwrap_or("")))?;
    let links = Console::get()?.services.user_links.clone();
    let page = links.platform_users(&prefix, next, 60, freshness(after_change)).await.map_err(linking_failed)?;
    Ok(convert::platform_users(page))
}

// ---- changes: the workspace page ----------------------------------------------------------

/// *Check now*: a `viewer` query with the stored token, recorded on the row.
#[server(prefix = "/api", endpoint = "check_workspace")]
pub async fn check_workspace(org_id: String) -> Result<String, AppError> {
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let done = Console::get()?.services.upkeep.check(&member.actor(), &org).await;
    Ok(land(landing::checked(&org, done)))
}

/// *Refresh token*: single-flight, rotation-safe.
#[server(prefix = "/api", endpoint = "refresh_workspace")]
pub async fn refresh_workspace(org_id: String) -> Result<String, AppError> {
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let done = Console::get()?.services.upkeep.refresh(&member.actor(), &org).await;
    Ok(land(landing::refreshed(&org, done)))
}

/// *Revoke* or *Remove* (the form's two buttons), confirmed by typing the slug.
#[server(prefix = "/api", endpoint = "remove_workspace")]
pub async fn remove_workspace(
    org_id: String,
    confirm: String,
    delete_links: Option<String>,
    deactivate_projects: Option<String>,
    mode: crate::wire::RemoveMode,
) -> Result<String, AppError> {
    use console_core::services::removal::{Cleanup, Removal};
    let member = Member::require(Role::Admin)?;
    let org: OrgId = arg("org_id", &org_id)?;
    checked(validate::text("confirm", &confirm, 128))?;
    let mode = match mode {
        crate::wire::RemoveMode::Revoke => Removal::Revoke,
        crate::wire::RemoveMode::Remove => Removal::Remove,
    };
    let cleanup = Cleanup { links: delete_links.is_some(), projects: deactivate_projects.is_some() };
    let done = Console::get()?.services.removals.run(&member.actor(), mode, &org, &confirm, cleanup).await;
    Ok(land(landing::removed(&org, done)))
}

/// *Retry deletion* of an orphaned token bundle.
#[server(prefix = "/api", endpoint = "retry_orphan")]
pub async fn retry_orphan(org_id: String) -> Result<String, AppError> {
    let member = Member::require(Role::Admin)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let done = Console::get()?.services.removals.retry_orphan(&member.actor(), &org).await;
    Ok(land(landing::orphan_retried(&org, done)))
}

/// Stores the workspace's webhook signing secret in its bundle; it is never shown again.
#[server(prefix = "/api", endpoint = "webhook_secret")]
pub async fn save_webhook_secret(org_id: String, webhook_secret: SecretInput) -> Result<String, AppError> {
    let member = Member::require(Role::Admin)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let typed = secrecy::SecretString::from(webhook_secret.expose().to_owned());
    let done = Console::get()?.services.installer.save_webhook_secret(&member.actor(), &org, &typed).await;
    Ok(land(landing::webhook_saved(&org, done)))
}

/// *Finish install*: writes the registry row of an install whose bundle was saved (no new consent);
/// what to finish is kept in the session by the install's callback.
#[server(prefix = "/api", endpoint = "finish_install")]
pub async fn finish_install() -> Result<String, AppError> {
    use console_core::services::install::{InstallError, Unfinished};
    let member = Member::require(Role::Admin)?;
    let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|e| unavailable("sessions", &e))?;
    let unfinished: Option<Unfinished> = session.get(crate::edge::UNFINISHED_KEY).await.ok().flatten();
    let Some(u) = unfinished else {
        return Ok(land(landing::connect_page(crate::wire::InstallFailure::NothingToFinish, &[], &crate::edge::request_id())));
    };
    let done = Console::get()?.services.installer.finish(&member.actor(), u).await;
    match &done.value {
        Err(failed) if matches!(failed.error, InstallError::Unfinished { .. }) => {}
        _ => {
            let _ = session.remove::<Unfinished>(crate::edge::UNFINISHED_KEY).await;
        }
    }
    Ok(land(landing::installed(&done.value, done.recorded, &crate::edge::request_id())))
}

// ---- changes: the users pages -------------------------------------------------------------

/// The view a users-page form came from (carried back in the redirect), parsed as the page parses
/// its URL: a plain form posts text, and a refusal names the field; the search is bounded, since it
/// is echoed into the `Location` header.
#[cfg(feature = "ssr")]
fn users_view(q: Option<String>, state: Option<String>, page: Option<String>) -> Result<UsersQuery, AppError> {
    let field = |v: &Option<String>| v.clone().unwrap_or_default();
    checked(UsersQuery::from_fields(&field(&q), &field(&state), &field(&page)))
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
    use console_core::services::user_links::LinkRequest as Request;
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let req = Request {
        linear_user_id: arg("linear_user_id", &linear_user_id)?,
        platform_user_id: arg("platform_user_id", &platform_user_id)?,
        replace: crate::edge::optional_arg("replace", replace.as_deref())?,
        label: None,
    };
    let view = users_view(q, state, page)?;
    let done = Console::get()?.services.user_links.link(&member.actor(), &org, &req).await;
    Ok(land(landing::linked(&org, &view, req.linear_user_id.as_str(), req.replace.is_some(), done)))
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
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let user: LinearUserId = arg("linear_user_id", &linear_user_id)?;
    let expected: PlatformUserId = arg("platform_user_id", &platform_user_id)?;
    let view = users_view(q, state, page)?;
    let done = Console::get()?.services.user_links.unlink(&member.actor(), &org, &user, &expected).await;
    Ok(land(landing::unlinked(&org, &view, user.as_str(), done)))
}

/// *Link all suggested* without the wasm: every suggestion, then a count of each outcome.
#[server(prefix = "/api", endpoint = "link_suggested")]
pub async fn link_suggested(org_id: String, q: Option<String>, state: Option<String>, page: Option<String>) -> Result<String, AppError> {
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let view = users_view(q, state, page)?;
    let links: Arc<_> = Console::get()?.services.user_links.clone();
    let done = match links.suggested(&org).await {
        Ok(reqs) => Ok(links.link_many(&member.actor(), &org, &reqs).await),
        Err(e) => Err(e),
    };
    Ok(land(landing::linked_all(&org, &view, done)))
}

/// *Create platform user and link*: a pool user made from the member's email (or the one that has
/// it already), linked in the same action.
#[server(prefix = "/api", endpoint = "create_platform_user")]
pub async fn create_platform_user(
    org_id: String,
    linear_user_id: String,
    q: Option<String>,
    state: Option<String>,
    page: Option<String>,
) -> Result<String, AppError> {
    let member = Member::require(Role::Admin)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let user: LinearUserId = arg("linear_user_id", &linear_user_id)?;
    let view = users_view(q, state, page)?;
    let done = Console::get()?.services.user_links.create_and_link(&member.actor(), &org, &user).await;
    Ok(land(landing::created_linked(&org, &view, user.as_str(), done)))
}

/// The members *Create platform users and link all* works through (for its progress display).
#[server(prefix = "/api", endpoint = "unmatched_members")]
pub async fn get_unmatched_members(org_id: String) -> Result<Vec<String>, AppError> {
    Member::require(Role::Admin)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let ids = Console::get()?.services.user_links.unmatched(&org).await.map_err(linking_failed)?;
    Ok(ids.into_iter().map(String::from).collect())
}

/// Platform users made and linked for a batch of members (the island's steps); the tally.
#[server(prefix = "/api", endpoint = "create_platform_users")]
pub async fn create_platform_users(org_id: String, linear_user_ids: Vec<String>) -> Result<(usize, usize, usize, usize), AppError> {
    let member = Member::require(Role::Admin)?;
    let org: OrgId = arg("org_id", &org_id)?;
    if linear_user_ids.len() > 25 {
        return Err(invalid("at most 25 members per request"));
    }
    let users = linear_user_ids.iter().map(|u| arg("linear_user_ids", u)).collect::<Result<Vec<LinearUserId>, _>>()?;
    let done = Console::get()?.services.user_links.create_and_link_many(&member.actor(), &org, &users).await;
    if !done.recorded.is_recorded() {
        tracing::warn!(request_id = %crate::edge::request_id(), "platform users made, some not recorded in the audit log");
    }
    let t = done.value;
    Ok((t.created, t.linked_existing, t.refused, t.failed))
}

/// *Create platform users and link all* without the wasm: every unmatched member, then the counts.
#[server(prefix = "/api", endpoint = "create_unmatched")]
pub async fn create_unmatched(org_id: String, q: Option<String>, state: Option<String>, page: Option<String>) -> Result<String, AppError> {
    let member = Member::require(Role::Admin)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let view = users_view(q, state, page)?;
    let links: Arc<_> = Console::get()?.services.user_links.clone();
    let done = match links.unmatched(&org).await {
        Ok(users) => Ok(links.create_and_link_many(&member.actor(), &org, &users).await),
        Err(e) => Err(e),
    };
    Ok(land(landing::created_all(&org, &view, done)))
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
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let user: LinearUserId = arg("linear_user_id", &linear_user_id)?;
    let view = users_view(q, state, page)?;
    let done = Console::get()?.services.user_links.invite(&member.actor(), &org, &user).await;
    Ok(land(landing::invited(&org, &view, user.as_str(), done)))
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
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let code = checked(validate::code("code", code.trim()))?;
    let view = users_view(q, state, page)?;
    let done = Console::get()?.services.user_links.revoke_invite(&member.actor(), &org, code).await;
    Ok(land(landing::invite_revoked(&org, &view, done)))
}

/// *Reload from Linear* without the wasm (with it, `reload_linear_users` reports progress).
#[server(prefix = "/api", endpoint = "reload_users")]
pub async fn reload_users(org_id: String, q: Option<String>, state: Option<String>, page: Option<String>) -> Result<String, AppError> {
    Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let view = users_view(q, state, page)?;
    let done = Console::get()?.services.user_links.reload(&org).await;
    Ok(land(landing::reloaded(&org, &view, done)))
}

/// *Unlink* on `/users`: by the row's key, guarded by the platform user it names.
#[server(prefix = "/api", endpoint = "unlink_identity")]
pub async fn unlink_identity(identity: String, platform_user_id: String, email: Option<String>) -> Result<String, AppError> {
    let member = Member::require(Role::Operator)?;
    let key = checked(validate::key("identity", identity.trim()))?;
    let expected: PlatformUserId = arg("platform_user_id", &platform_user_id)?;
    let email = email.unwrap_or_default();
    checked(validate::text("email", &email, 254))?;
    let done = Console::get()?.services.user_links.unlink_identity(&member.actor(), key, &expected).await;
    Ok(land(landing::identity_unlinked(&email, done)))
}

// ---- projects ----------------------------------------------------------------------------------

/// The view a projects-page form came from (carried back in the redirect).
#[cfg(feature = "ssr")]
fn projects_view(q: Option<String>, show: Option<String>, page: Option<String>) -> Result<crate::projects_view::ProjectsQuery, AppError> {
    let field = |v: &Option<String>| v.clone().unwrap_or_default();
    checked(crate::projects_view::ProjectsQuery::from_fields(&field(&q), &field(&show), &field(&page)))
}

/// A read of the projects page that failed: the client's mistake (a 4xx naming it) or a service's.
#[cfg(feature = "ssr")]
fn projects_failed(e: console_core::services::projects::ProjectsError) -> AppError {
    use console_core::services::projects::ProjectsError;
    match e {
        ProjectsError::UnknownWorkspace => not_found("that workspace is not in the registry"),
        ProjectsError::Unavailable(u) => failed(&u),
        other => invalid(other.to_string()),
    }
}

/// What a project is mapped to, as a form typed it: the repository, the trigger label (empty: the
/// platform's default), the team (empty: none).
#[cfg(feature = "ssr")]
fn mapping_of(repo: &str, label: Option<&str>, team_id: Option<&str>) -> Result<console_core::records::projects::Mapping, AppError> {
    use console_core::records::projects::{Mapping, RepoName, TriggerLabel};
    checked(validate::text("repo", repo, 200))?;
    let label = checked(validate::text("label", label.unwrap_or(""), 200))?;
    let team = team_id.map(str::trim).filter(|t| !t.is_empty());
    if let Some(t) = team {
        checked(validate::id("team_id", t))?;
    }
    Ok(Mapping {
        repo: RepoName::parse(repo).map_err(|e| invalid(e.to_string()))?,
        label: TriggerLabel::parse(label).map_err(|e| invalid(e.to_string()))?,
        team_id: team.map(str::to_owned),
    })
}

/// A workspace's Linear projects with their mappings, as the URL's view asks.
#[server(prefix = "/api", endpoint = "workspace_projects")]
pub async fn get_workspace_projects(
    org_id: String,
    query: crate::projects_view::ProjectsQuery,
    #[server(default)] after_change: bool,
) -> Result<crate::projects_view::WorkspaceProjects, AppError> {
    Member::require(Role::Viewer)?;
    let org: OrgId = arg("org_id", &org_id)?;
    checked(validate::text("q", &query.q, 128))?;
    let view = Console::get()?.services.projects.view(&org, freshness(after_change)).await.map_err(projects_failed)?;
    Ok(convert::projects(view, &query))
}

/// *Map* a project (or *Change* its mapping, from the version the page showed).
#[server(prefix = "/api", endpoint = "map_project")]
#[allow(clippy::too_many_arguments)]
pub async fn map_project(
    org_id: String,
    project_id: String,
    repo: String,
    label: Option<String>,
    team_id: Option<String>,
    version: String,
    q: Option<String>,
    show: Option<String>,
    page: Option<String>,
) -> Result<String, AppError> {
    use console_core::services::projects::MapRequest;
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let request = MapRequest {
        project_id: arg("project_id", &project_id)?,
        mapping: mapping_of(&repo, label.as_deref(), team_id.as_deref())?,
        expected: convert::version("version", &version)?,
    };
    let view = projects_view(q, show, page)?;
    let done = Console::get()?.services.projects.map(&member.actor(), &org, &[request]).await;
    Ok(land(landing::project_mapped(&org, &view, done)))
}

/// *Map selected*: the ticked unmapped projects, each to the same repository and label.
#[server(prefix = "/api", endpoint = "map_projects")]
pub async fn map_projects(
    org_id: String,
    #[server(default)] projects: Vec<String>,
    repo: String,
    label: Option<String>,
    q: Option<String>,
    show: Option<String>,
    page: Option<String>,
) -> Result<String, AppError> {
    use console_core::records::projects::Version;
    use console_core::services::projects::{MapRequest, MAX_BATCH};
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    if projects.len() > MAX_BATCH {
        return Err(invalid(format!("at most {MAX_BATCH} projects per request")));
    }
    let mapping = mapping_of(&repo, label.as_deref(), None)?;
    let requests = projects
        .iter()
        .map(|p| Ok(MapRequest { project_id: arg("projects", p)?, mapping: mapping.clone(), expected: Version::Absent }))
        .collect::<Result<Vec<_>, AppError>>()?;
    let view = projects_view(q, show, page)?;
    if requests.is_empty() {
        return Ok(land(landing::project_mapped(
            &org,
            &view,
            console_core::services::audit::Audited::new(Ok(Vec::new()), console_core::services::audit::Recorded::Yes),
        )));
    }
    let done = Console::get()?.services.projects.map(&member.actor(), &org, &requests).await;
    Ok(land(landing::projects_mapped(&org, &view, done)))
}

/// *Deactivate* (`status = removed`) or *Reactivate* a mapping, from the version the page showed.
#[server(prefix = "/api", endpoint = "set_project_status")]
#[allow(clippy::too_many_arguments)]
pub async fn set_project_status(
    org_id: String,
    project_id: String,
    status: String,
    version: String,
    q: Option<String>,
    show: Option<String>,
    page: Option<String>,
) -> Result<String, AppError> {
    use console_core::ids::ProjectId;
    use console_core::records::projects::{ACTIVE, REMOVED};
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let project: ProjectId = arg("project_id", &project_id)?;
    let active = match status.as_str() {
        ACTIVE => true,
        REMOVED => false,
        _ => return Err(invalid(format!("status must be {ACTIVE} or {REMOVED}."))),
    };
    let expected = convert::version("version", &version)?;
    let view = projects_view(q, show, page)?;
    let done = Console::get()?.services.projects.set_active(&member.actor(), &org, &project, active, &expected).await;
    Ok(land(landing::project_status_set(&org, &view, project.as_str(), active, done)))
}

/// *Reload from Linear* on the projects page.
#[server(prefix = "/api", endpoint = "reload_projects")]
pub async fn reload_projects(org_id: String, q: Option<String>, show: Option<String>, page: Option<String>) -> Result<String, AppError> {
    Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let view = projects_view(q, show, page)?;
    let done = Console::get()?.services.projects.reload(&org).await;
    Ok(land(landing::projects_reloaded(&org, &view, done)))
}

// ---- install links --------------------------------------------------------------------------

/// Where the session keeps a link just made, until the connect page shows it (once).
#[cfg(feature = "ssr")]
const NEW_LINK_KEY: &str = "new_install_link";

/// The admins' list of install links, newest first (never a token).
#[server(prefix = "/api", endpoint = "install_links")]
pub async fn list_install_links() -> Result<Vec<crate::install_links_view::LinkRow>, AppError> {
    Member::require(Role::Admin)?;
    let links = Console::get()?.services.install_links.list().await.map_err(|e| failed(&e))?;
    let now = crate::edge::now_unix();
    Ok(links.iter().map(|l| convert::link_row(l, now)).collect())
}

/// *Make link*: for a new workspace, or to reconnect `org_id`; optionally only for one Linear
/// workspace (url key or org id), with a note, for 1 hour to 7 days. The URL is kept in the
/// session and shown once by the connect page.
#[server(prefix = "/api", endpoint = "create_install_link")]
pub async fn create_install_link(
    org_id: Option<String>,
    only_for: Option<String>,
    note: Option<String>,
    hours: Option<String>,
) -> Result<String, AppError> {
    use console_core::records::install_links::{note as parse_note, Bound, Purpose, DEFAULT_HOURS};
    use console_core::services::install_links::NewLink;
    let member = Member::require(Role::Admin)?;
    let purpose = match crate::edge::optional_arg::<OrgId>("org_id", org_id.as_deref().filter(|o| !o.trim().is_empty()))? {
        Some(org) => Purpose::Reconnect(org),
        None => Purpose::Install,
    };
    let only_for = only_for.unwrap_or_default();
    checked(validate::text("only_for", &only_for, 64))?;
    let only_for = only_for.trim();
    let bound = if only_for.is_empty() {
        None
    } else if let Ok(key) = console_core::ids::UrlKey::parse(only_for) {
        // A url key and an org id share their characters: an org id is 36 characters with dashes.
        if only_for.len() == 36 && only_for.matches('-').count() == 4 {
            Some(Bound::Org(arg("only_for", only_for)?))
        } else {
            Some(Bound::UrlKey(key))
        }
    } else {
        Some(Bound::Org(arg("only_for", only_for)?))
    };
    let note = parse_note(note.as_deref().unwrap_or("")).map_err(invalid)?;
    let hours = match hours.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        None => DEFAULT_HOURS,
        Some(h) => h.parse::<u32>().map_err(|_| invalid("hours must be a whole number of hours (1 to 168)."))?,
    };
    let console = Console::get()?;
    let done = console.services.install_links.create(&member.actor(), NewLink { purpose, bound, note, hours }).await;
    if let Ok((token, _)) = &done.value {
        let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|e| unavailable("sessions", &e))?;
        let url = format!("{}/install/{}", console.public_url.trim_end_matches('/'), token.expose());
        if let Err(e) = session.insert(NEW_LINK_KEY, url).await {
            tracing::error!(error = %e, "the new install link could not be kept to show");
        }
    }
    Ok(land(landing::link_made(done.map(|r| r.map(|_| ())))))
}

/// The link just made, shown once (taken out of the session).
#[server(prefix = "/api", endpoint = "new_install_link")]
pub async fn take_new_install_link() -> Result<Option<String>, AppError> {
    Member::require(Role::Admin)?;
    let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|e| unavailable("sessions", &e))?;
    Ok(session.remove::<String>(NEW_LINK_KEY).await.ok().flatten())
}

/// *Revoke* a waiting install link.
#[server(prefix = "/api", endpoint = "revoke_install_link")]
pub async fn revoke_install_link(id: String) -> Result<String, AppError> {
    let member = Member::require(Role::Admin)?;
    let id = checked(validate::id("id", id.trim()))?;
    let done = Console::get()?.services.install_links.revoke(&member.actor(), id).await;
    let url = match &done.value {
        Ok(()) => "/workspaces/connect?link=revoked#install-links".to_owned(),
        Err(_) => "/workspaces/connect?link=not_waiting#install-links".to_owned(),
    };
    Ok(land(if done.recorded.is_recorded() { url } else { format!("{url}&unrecorded=1") }))
}

// ---- the member's own page ----------------------------------------------------------------

/// The signed-in member's profile: role and second factor (and an enrolment under way).
#[server(prefix = "/api", endpoint = "profile")]
pub async fn my_profile() -> Result<Profile, AppError> {
    let member = Member::require(Role::Viewer)?;
    let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|e| unavailable("sessions", &e))?;
    Ok(Console::get()?.profile.profile(member.identity(), &session).await)
}

// ---- incidents and settings ------------------------------------------------------------------

/// `/incidents`: open first, then the last 30 days' resolved, as the URL filters them.
#[server(prefix = "/api", endpoint = "incidents")]
pub async fn list_incidents(query: IncidentQuery, #[server(default)] after_change: bool) -> Result<Vec<IncidentView>, AppError> {
    Member::require(Role::Viewer)?;
    let filter = query.filter().map_err(invalid)?;
    let watch = Console::get()?.services.watch.clone();
    let listed = watch.list(&filter, freshness(after_change)).await.map_err(|e| failed(&e))?;
    let now = crate::edge::now_unix();
    Ok(listed.iter().map(|l| convert::incident(l, now)).collect())
}

/// *Acknowledge* an open incident with a note: no reminder from now on.
#[server(prefix = "/api", endpoint = "acknowledge_incident")]
pub async fn acknowledge_incident(org_id: String, kind: IncidentKind, note: String) -> Result<String, AppError> {
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    checked(validate::text("note", &note, 500))?;
    let done = Console::get()?.services.watch.acknowledge(&member.actor(), org.as_str(), kind, note.trim()).await;
    Ok(land(landing::incident_quieted("acknowledged", done)))
}

/// *Snooze* an open incident: for an hour, a day, or until it resolves.
#[server(prefix = "/api", endpoint = "snooze_incident")]
pub async fn snooze_incident(org_id: String, kind: IncidentKind, span: Snooze) -> Result<String, AppError> {
    let member = Member::require(Role::Operator)?;
    let org: OrgId = arg("org_id", &org_id)?;
    let done = Console::get()?.services.watch.snooze(&member.actor(), org.as_str(), kind, span).await;
    Ok(land(landing::incident_quieted("snoozed", done)))
}

/// `/settings`: the alert channels (never a webhook's secret path) and the incident rules.
#[server(prefix = "/api", endpoint = "settings")]
pub async fn get_settings() -> Result<SettingsView, AppError> {
    Member::require(Role::Viewer)?;
    let console = Console::get()?;
    let watch = &console.services.watch;
    Ok(convert::settings(watch.channels(), watch.rules(), &console))
}

/// *Send test alert* to one channel.
#[server(prefix = "/api", endpoint = "test_alert")]
pub async fn test_alert(channel: usize) -> Result<String, AppError> {
    let member = Member::require(Role::Admin)?;
    let done = Console::get()?.services.watch.test_alert(&member.actor(), channel).await;
    Ok(land(landing::test_alert_sent(channel, done)))
}

// ---- sessions ----------------------------------------------------------------------------------

/// A session's handle as the list gave it: 400 naming `handle` for anything else.
#[cfg(feature = "ssr")]
fn session_handle(raw: &str) -> Result<&str, AppError> {
    let raw = raw.trim();
    if console_core::services::sessions::is_handle(raw) {
        Ok(raw)
    } else {
        Err(invalid("handle: not a session of this list"))
    }
}

/// The signed-in member's live sessions, the one in use marked.
#[server(prefix = "/api", endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<crate::wire::SessionView>, AppError> {
    let member = Member::require(Role::Viewer)?;
    let current = crate::edge::CurrentSession::get();
    let live = Console::get()?.services.sessions.live(&member.identity().sub).await.map_err(|e| failed(&e))?;
    Ok(live.iter().map(|s| convert::session(s, current.as_ref())).collect())
}

/// *Sign out* one of the member's own sessions (the one in use signs out, as the header's button).
#[server(prefix = "/api", endpoint = "end_my_session")]
pub async fn end_my_session(handle: String) -> Result<String, AppError> {
    let member = Member::require(Role::Viewer)?;
    let handle = session_handle(&handle)?;
    let whose = console_core::services::sessions::Whose { sub: member.identity().sub.clone(), email: member.identity().email.clone() };
    let done = Console::get()?.services.sessions.end(&member.actor(), &whose, handle).await;
    if done.value.is_ok() && crate::edge::CurrentSession::get().is_some_and(|c| c.0 == handle) {
        return Ok(land("/login?error=signed-out".to_owned()));
    }
    Ok(land(landing::session_ended("/profile", done)))
}

/// *Sign out everywhere else*: every session of the member but the one in use.
#[server(prefix = "/api", endpoint = "end_my_other_sessions")]
pub async fn end_my_other_sessions() -> Result<String, AppError> {
    let member = Member::require(Role::Viewer)?;
    let current = crate::edge::CurrentSession::get().ok_or_else(|| invalid("this request has no session"))?;
    let whose = console_core::services::sessions::Whose { sub: member.identity().sub.clone(), email: member.identity().email.clone() };
    let done = Console::get()?.services.sessions.end_all(&member.actor(), &whose, Some(&current.0)).await;
    Ok(land(landing::sessions_ended("/profile", done)))
}

/// The member `sub` of the pool (404 when there is none), for an admin.
#[cfg(feature = "ssr")]
async fn session_owner(console: &Console, sub: &str) -> Result<console_core::services::sessions::Whose, AppError> {
    let sub: PlatformUserId = arg("sub", sub)?;
    match console.services.sessions.whose(sub.as_str()).await {
        Ok(Some(whose)) => Ok(whose),
        Ok(None) => Err(not_found("no such user in the pool")),
        Err(e) => Err(failed(&e)),
    }
}

/// An admin's view of a member's live sessions (`/users/<sub>/sessions`).
#[server(prefix = "/api", endpoint = "member_sessions")]
pub async fn member_sessions(sub: String) -> Result<crate::wire::MemberSessionsView, AppError> {
    Member::require(Role::Admin)?;
    let console = Console::get()?;
    let whose = session_owner(&console, &sub).await?;
    let current = crate::edge::CurrentSession::get();
    let live = console.services.sessions.live(&whose.sub).await.map_err(|e| failed(&e))?;
    let sessions = live.iter().map(|s| convert::session(s, current.as_ref())).collect();
    Ok(crate::wire::MemberSessionsView { sub: whose.sub, email: whose.email, sessions })
}

/// An admin's *Sign out* of one session of a member.
#[server(prefix = "/api", endpoint = "end_member_session")]
pub async fn end_member_session(sub: String, handle: String) -> Result<String, AppError> {
    let member = Member::require(Role::Admin)?;
    let handle = session_handle(&handle)?;
    let console = Console::get()?;
    let whose = session_owner(&console, &sub).await?;
    let page = format!("/users/{}/sessions", crate::url::enc(&whose.sub));
    let done = console.services.sessions.end(&member.actor(), &whose, handle).await;
    Ok(land(landing::session_ended(&page, done)))
}

/// An admin's *Sign out everywhere* for a member: every session of theirs.
#[server(prefix = "/api", endpoint = "end_member_sessions")]
pub async fn end_member_sessions(sub: String) -> Result<String, AppError> {
    let member = Member::require(Role::Admin)?;
    let console = Console::get()?;
    let whose = session_owner(&console, &sub).await?;
    let page = format!("/users/{}/sessions", crate::url::enc(&whose.sub));
    let done = console.services.sessions.end_all(&member.actor(), &whose, None).await;
    Ok(land(landing::sessions_ended(&page, done)))
}

/// An admin's *Reset second factor* of a member: the console's own authenticator is removed (the
/// member enrols again; an admin at their next sign-in when one is required). Audited.
#[server(prefix = "/api", endpoint = "reset_second_factor")]
pub async fn reset_second_factor(sub: String) -> Result<String, AppError> {
    let member = Member::require(Role::Admin)?;
    let console = Console::get()?;
    let whose = session_owner(&console, &sub).await?;
    let page = format!("/users/{}/sessions", crate::url::enc(&whose.sub));
    let done = console.services.second_factors.reset(&member.actor(), &whose).await;
    Ok(land(landing::factor_reset(&page, done)))
}
