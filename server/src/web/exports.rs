//! Downloads of what three pages show, with the view in their URL: the registry
//! (`/workspaces.csv|json?q=&status=&sort=`), a workspace's members and links
//! (`/workspaces/<org id>/users.csv|json?q=&state=`) and its projects and their mappings
//! (`/workspaces/<org id>/projects.csv|json?q=&show=`). Every matching row, not only a page's.
//! Operators and admins (they name people), limited per session like the audit CSV. Built from the
//! same wire types the pages get, which hold no token, secret or invite code: an invite is
//! exported as *pending until …* only.
use std::collections::HashMap;

use app::edge::Member;
use app::identity::Role;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use console_core::cache::Freshness;
use console_core::ids::OrgId;
use leptos_router::params::ParamsMap;
use serde::Serialize;

use crate::web::csv;
use crate::web::state::{AppState, ExportLimits};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

/// The URL's view as the pages read it.
fn params(q: &HashMap<String, String>) -> ParamsMap {
    let mut p = ParamsMap::new();
    for (k, v) in q {
        p.insert(k.clone(), v.clone());
    }
    p
}

/// Why the member may not export now (below operator, or too many exports this minute), if so.
fn refusal(member: Member, session: &tower_sessions::Session, limits: &ExportLimits) -> Option<Response> {
    let member = match member.at_least(Role::Operator) {
        Ok(member) => member,
        Err(refused) => return Some(refused.into_response()),
    };
    let who = session.id().map(|id| id.to_string()).unwrap_or_else(|| member.identity().sub.clone());
    (!limits.allow(&who, app::edge::now_unix())).then(|| {
        (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "60")], "Too many exports from this session; wait a minute.").into_response()
    })
}

fn refused(why: String) -> Response {
    (StatusCode::BAD_REQUEST, why).into_response()
}

fn unavailable(what: &str, e: &(dyn std::error::Error + 'static)) -> Response {
    tracing::error!(error = %console_core::error::chain(e), "{what} export failed");
    (StatusCode::SERVICE_UNAVAILABLE, format!("The {what} could not be read right now; try again shortly.")).into_response()
}

/// The download: `name.csv` from `header` and `rows`, or `name.json` from `items`.
fn download<T: Serialize>(format: Format, name: &str, header: &[&str], rows: Vec<Vec<String>>, items: &[T]) -> Response {
    match format {
        Format::Csv => {
            let mut out = csv::line(header);
            for r in &rows {
                out.push_str(&csv::line(&r.iter().map(String::as_str).collect::<Vec<_>>()));
            }
            let disposition = format!("attachment; filename=\"{name}.csv\"");
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], out)
                .into_response()
        }
        Format::Json => match serde_json::to_vec_pretty(items) {
            Ok(body) => {
                let disposition = format!("attachment; filename=\"{name}.json\"");
                ([(header::CONTENT_TYPE, "application/json".to_owned()), (header::CONTENT_DISPOSITION, disposition)], body).into_response()
            }
            Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "The export could not be written.").into_response(),
        },
    }
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// `/workspaces.csv` and `/workspaces.json`.
pub async fn registry(
    format: Format,
    state: AppState,
    limits: ExportLimits,
    member: Member,
    session: tower_sessions::Session,
    q: HashMap<String, String>,
) -> Response {
    let view = match app::registry_view::RegistryQuery::from_params(&params(&q)) {
        Ok(v) => v,
        Err(why) => return refused(why),
    };
    if let Some(r) = refusal(member, &session, &limits) {
        return r;
    }
    let rows = match state.services.workspaces.overview(Freshness::SinceChange).await {
        Ok(rows) => rows,
        Err(e) => return unavailable("registry", &e),
    };
    let mut items: Vec<app::wire::WorkspaceSummary> = rows.iter().map(app::edge::convert::summary).collect();
    items = app::registry_view::apply(items, &view);
    for w in &mut items {
        w.spark = None;
    }
    let header = [
        "org_id",
        "slug",
        "name",
        "health",
        "registry_status",
        "token_expires_at",
        "last_check_at",
        "last_check_result",
        "last_refresh_at",
        "last_refresh_error",
        "installed_at",
        "installed_by",
        "installed_by_email",
        "team_keys",
        "open_incident",
        "url_key_also_claimed_by",
    ];
    let rows = items
        .iter()
        .map(|w| {
            vec![
                w.org_id.clone(),
                opt(&w.slug),
                opt(&w.name),
                w.health.code().to_owned(),
                opt(&w.raw_status),
                opt(&w.token_expires_at),
                opt(&w.last_check_at),
                opt(&w.last_check_result),
                opt(&w.last_refresh_at),
                opt(&w.last_refresh_error),
                opt(&w.installed_at),
                opt(&w.installed_by),
                opt(&w.installed_by_email),
                w.team_keys.join(" "),
                w.open_incident.map(|k| k.code().to_owned()).unwrap_or_default(),
                w.slug_shared_with.join(" "),
            ]
        })
        .collect();
    download(format, "linear-workspaces", &header, rows, &items)
}

/// A workspace export's workspace and view, or the refusal (a 400 naming the field) or the
/// member's (403, 429).
fn workspace_view<Q>(
    raw_org: &str,
    q: &HashMap<String, String>,
    parse: fn(&ParamsMap) -> app::validate::Checked<Q>,
    member: Member,
    session: &tower_sessions::Session,
    limits: &ExportLimits,
) -> Result<(OrgId, Q), Box<Response>> {
    let org = OrgId::parse(raw_org).map_err(|e| Box::new(refused(e.about("org_id"))))?;
    let view = parse(&params(q)).map_err(|why| Box::new(refused(why)))?;
    if let Some(r) = refusal(member, session, limits) {
        return Err(Box::new(r));
    }
    Ok((org, view))
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "That workspace is not in the registry.").into_response()
}

/// `/workspaces/<org id>/users.csv` and `.json`.
pub async fn users(
    format: Format,
    state: AppState,
    limits: ExportLimits,
    member: Member,
    session: tower_sessions::Session,
    raw_org: String,
    q: HashMap<String, String>,
) -> Response {
    let (org, view) = match workspace_view(&raw_org, &q, app::user_links_view::UsersQuery::from_params, member, &session, &limits) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    use console_core::services::user_links::LinkingError;
    let members = match state.services.user_links.members_of(&org, Freshness::SinceChange).await {
        Ok(m) => m,
        Err(LinkingError::UnknownWorkspace) => return not_found(),
        Err(e) => return unavailable("links", &e),
    };
    let slug = members.slug.clone().unwrap_or_else(|| org.to_string());
    let mut items = app::user_links_view::matching(app::edge::convert::member_rows(members), &view);
    for r in &mut items {
        // An invite code is a credential: the export says an invite is pending, not what it is.
        if let Some(i) = r.invite.as_mut() {
            i.code = String::new();
        }
    }
    let header = [
        "linear_user_id",
        "name",
        "email",
        "active",
        "admin",
        "guest",
        "app",
        "state",
        "platform_user_sub",
        "platform_user_email",
        "linked_at",
        "link_method",
        "invite_expires_at",
        "note",
    ];
    let rows = items
        .iter()
        .map(|r| {
            vec![
                r.user.id.clone(),
                r.user.name.clone(),
                opt(&r.user.email),
                r.user.active.to_string(),
                r.user.admin.to_string(),
                r.user.guest.to_string(),
                r.user.app.to_string(),
                r.state.code().to_owned(),
                r.platform_sub.clone().or(r.platform_user.as_ref().map(|p| p.sub.clone())).unwrap_or_default(),
                r.platform_user.as_ref().and_then(|p| p.email.clone()).unwrap_or_default(),
                opt(&r.linked_at),
                opt(&r.link_method),
                r.invite.as_ref().and_then(|i| i.expires_at.clone()).unwrap_or_default(),
                opt(&r.note),
            ]
        })
        .collect();
    download(format, &format!("linear-{slug}-users"), &header, rows, &items)
}

/// `/workspaces/<org id>/projects.csv` and `.json`.
pub async fn projects(
    format: Format,
    state: AppState,
    limits: ExportLimits,
    member: Member,
    session: tower_sessions::Session,
    raw_org: String,
    q: HashMap<String, String>,
) -> Response {
    let (org, view) = match workspace_view(&raw_org, &q, app::projects_view::ProjectsQuery::from_params, member, &session, &limits) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    use console_core::services::projects::ProjectsError;
    let read = match state.services.projects.view(&org, Freshness::SinceChange).await {
        Ok(v) => v,
        Err(ProjectsError::UnknownWorkspace) => return not_found(),
        Err(e) => return unavailable("project mappings", &e),
    };
    let slug = read.slug.clone().unwrap_or_else(|| org.to_string());
    let items = app::projects_view::matching(app::edge::convert::project_rows(&read), &view);
    let header = [
        "linear_project_id",
        "name",
        "state",
        "teams",
        "repo",
        "label_filter",
        "team_id",
        "status",
        "onboarded_at",
        "updated_at",
        "linear_workspace_id",
        "repo_warning",
        "last_changed_by",
        "last_changed_at",
        "problem",
    ];
    let rows = items
        .iter()
        .map(|p| {
            let m = p.mapping.as_ref();
            let get = |f: fn(&app::projects_view::MappingView) -> Option<String>| m.and_then(f).unwrap_or_default();
            vec![
                p.id.clone(),
                p.name.clone(),
                opt(&p.state),
                p.teams.iter().map(|t| t.key.clone()).collect::<Vec<_>>().join(" "),
                get(|m| m.repo.clone()),
                get(|m| Some(m.label.clone())),
                get(|m| m.team_id.clone()),
                get(|m| m.status.clone()),
                get(|m| m.onboarded_at.clone()),
                get(|m| m.updated_at.clone()),
                get(|m| m.workspace_id.clone()),
                get(|m| m.warning.clone()),
                get(|m| m.changed_by.clone()),
                get(|m| m.changed_at.clone()),
                opt(&p.problem),
            ]
        })
        .collect();
    download(format, &format!("linear-{slug}-projects"), &header, rows, &items)
}

/// The six routes' handlers, each with its format.
macro_rules! export_route {
    ($name:ident, $inner:ident, $format:expr) => {
        pub async fn $name(
            State(state): State<AppState>,
            State(limits): State<ExportLimits>,
            member: Member,
            session: tower_sessions::Session,
            Query(q): Query<HashMap<String, String>>,
        ) -> Response {
            $inner($format, state, limits, member, session, q).await
        }
    };
    ($name:ident, $inner:ident, $format:expr, org) => {
        pub async fn $name(
            State(state): State<AppState>,
            State(limits): State<ExportLimits>,
            member: Member,
            session: tower_sessions::Session,
            Path(org): Path<String>,
            Query(q): Query<HashMap<String, String>>,
        ) -> Response {
            $inner($format, state, limits, member, session, org, q).await
        }
    };
}

export_route!(registry_csv, registry, Format::Csv);
export_route!(registry_json, registry, Format::Json);
export_route!(users_csv, users, Format::Csv, org);
export_route!(users_json, users, Format::Json, org);
export_route!(projects_csv, projects, Format::Csv, org);
export_route!(projects_json, projects, Format::Json, org);
