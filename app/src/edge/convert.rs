//! The services' answers as the pages' wire types: the one place a core type becomes what crosses
//! to the browser. Nothing here holds a token: the services never hand one out.
use console_core::link_states::MemberRow;
use console_core::ports::Delivery;
use console_core::records::user_mapping::Invite;
use console_core::services::incidents::{IncidentRules, Listed};
use console_core::services::install::CredentialSource as Source;
use console_core::services::user_links::{self as links, Members, PlatformUsers};
use console_core::services::workspaces::{WorkspaceRow, WorkspaceView};
use console_core::time::iso_of_unix;

use super::charts::strip;
use crate::errors::AppError;
use crate::user_links_view::{
    counts, page, IdentityLink, InviteView, LinearUserView, LinkRequest, LinkResult, PlatformUserLinks, PlatformUserPage, UsersQuery,
    WorkspaceUserRow, WorkspaceUsers,
};
use crate::wire::{
    ChannelView, ConnectInfo, CredentialSource, DeliveryView, IncidentView, SettingsView, WorkspaceDetail, WorkspaceSummary,
};

/// A registry row as the overview lists it (its 7-day sparkline drawn here).
pub fn summary(w: &WorkspaceRow) -> WorkspaceSummary {
    let r = &w.record;
    let c = &r.console;
    WorkspaceSummary {
        org_id: r.org_id.to_string(),
        slug: r.slug.clone(),
        name: c.name.clone(),
        state: r.state(),
        raw_status: r.status.as_ref().map(|s| s.as_str().to_owned()),
        installed_at: r.installed_at.clone(),
        team_keys: r.team_keys.clone(),
        health: w.health,
        token_expires_at: w.token_expires_at.clone(),
        last_check_at: c.last_check_at.clone(),
        last_check_result: c.last_check_result.clone(),
        last_refresh_at: c.last_refresh_at.clone(),
        last_refresh_error: c.last_refresh_error.clone(),
        installed_by: r.installed_by.clone(),
        installed_by_email: w.installer_email.clone(),
        open_incident: w.open_incident,
        spark: (!w.days.is_empty()).then(|| strip(&w.days, &[], 10, 12)),
        slug_shared_with: w.slug_shared_with.clone(),
    }
}

/// One workspace's page (its 90-day timeline drawn here).
pub fn detail(v: WorkspaceView, now: i64) -> WorkspaceDetail {
    let r = &v.row.record;
    WorkspaceDetail {
        summary: summary(&v.row),
        installed_by: r.installed_by.clone(),
        updated_at: r.updated_at.clone(),
        secret_arn: r.secret_arn.clone(),
        revoked_at: r.revocation.at.clone(),
        revoked_reason: r.revocation.reason.clone(),
        vault_managed: r.vault_managed(),
        orphaned_secret_arn: r.orphan.as_ref().map(|o| o.arn.clone()),
        orphan_error: r.orphan.as_ref().and_then(|o| o.error.clone()),
        bundle: v.bundle,
        incidents: v.incidents.iter().map(|l| incident(l, now)).collect(),
        timeline: v.timeline.map(|(days, marks)| strip(&days, &marks, 4, 20)),
    }
}

/// An incident as the pages show it, with its deliveries.
pub fn incident(l: &Listed, now: i64) -> IncidentView {
    let i = &l.incident;
    IncidentView {
        id: i.id.clone(),
        org_id: i.org_id.clone(),
        slug: i.slug.clone(),
        name: i.name.clone(),
        kind: i.kind,
        state: l.state,
        first_seen: iso_of_unix(i.first_seen),
        last_seen: iso_of_unix(i.last_seen),
        resolved_at: i.resolved_at.map(iso_of_unix),
        evidence: i.evidence.clone(),
        acknowledged_by: i.acknowledged_by.clone(),
        note: i.note.clone(),
        snoozed_until: i.snoozed_until.filter(|t| *t > now).map(iso_of_unix),
        snoozed_until_resolved: i.snoozed_until_resolved,
        deliveries: l.deliveries.iter().map(delivery).collect(),
    }
}

fn delivery(d: &Delivery) -> DeliveryView {
    DeliveryView {
        event: d.event.clone(),
        channel: d.channel_label.clone(),
        delivered: d.delivered,
        attempts: d.attempts,
        error: d.error.clone(),
        at: iso_of_unix(d.at),
    }
}

/// The settings page: the channels (never a webhook's secret path) and the rules.
pub fn settings(channels: &[console_core::ports::Channel], rules: IncidentRules, console: &super::Console) -> SettingsView {
    SettingsView {
        channels: channels
            .iter()
            .enumerate()
            .map(|(index, c)| ChannelView { index, kind: c.kind().to_owned(), target: c.label() })
            .collect(),
        degraded_after_minutes: (rules.degraded_after / 60) as u64,
        reminder_after_minutes: (rules.remind_after / 60) as u64,
        sweep_interval_seconds: console.sweep_interval.map(|d| d.as_secs()),
        webhook_signed: console.webhook_signed,
        proxy_without_hops: console.proxy_without_hops.load(std::sync::atomic::Ordering::Relaxed),
        audit_log: console.audit_log.clone(),
        events: {
            let l = &console.services.lifecycle;
            let hooks = match l.subscribers() {
                0 => String::new(),
                1 => "1 signed webhook".to_owned(),
                n => format!("{n} signed webhooks"),
            };
            match (l.bus(), hooks.is_empty()) {
                (Some(bus), true) => Some(format!("EventBridge bus {bus}")),
                (Some(bus), false) => Some(format!("EventBridge bus {bus}; {hooks}")),
                (None, false) => Some(hooks),
                (None, true) => None,
            }
        },
        processor_log: console.services.drops.source().map(str::to_owned),
    }
}

/// The connect page: the redirect URI to register and where the app's credentials come from.
pub fn connect_info(source: Option<Source>, redirect_uri: &str) -> ConnectInfo {
    ConnectInfo {
        redirect_uri: redirect_uri.to_owned(),
        scopes: console_core::ports::SCOPES.to_owned(),
        credentials: match source {
            Some(Source::Configured { client_id }) => CredentialSource::Configured { client_id },
            Some(Source::Reused { client_id, slug }) => CredentialSource::Reused { client_id, slug },
            None => CredentialSource::Missing,
        },
    }
}

pub fn invite(i: &Invite, now: i64) -> InviteView {
    InviteView {
        code: i.code.to_string(),
        linear_user_id: i.user_id.clone(),
        linear_user_name: i.user_name.clone(),
        linear_user_email: i.user_email.clone(),
        invited_at: i.invited_at.clone(),
        expires_at: i.ttl.map(iso_of_unix),
        expired: i.expired(now),
    }
}

fn row(r: MemberRow, now: i64) -> WorkspaceUserRow {
    let u = r.user;
    WorkspaceUserRow {
        user: LinearUserView {
            id: u.id,
            name: u.name,
            email: u.email,
            display_name: u.display_name,
            active: u.active,
            admin: u.admin,
            guest: u.guest,
            app: u.app,
            in_workspace: r.in_workspace,
        },
        state: r.state,
        platform_user: r.platform_user,
        platform_sub: r.platform_sub,
        linked_at: r.linked_at,
        link_method: r.link_method,
        note: r.note,
        invite: r.invite.as_ref().map(|i| invite(i, now)),
    }
}

/// A workspace's users page: the members with their states, filtered and paged as the URL asks.
/// Every member's row (an export's), before any view.
pub fn member_rows(m: Members) -> Vec<WorkspaceUserRow> {
    let now = m.now;
    m.rows.into_iter().map(|r| row(r, now)).collect()
}

pub fn members(m: Members, query: &UsersQuery, redeem_command: &str) -> WorkspaceUsers {
    let now = m.now;
    let all: Vec<WorkspaceUserRow> = m.rows.into_iter().map(|r| row(r, now)).collect();
    let counts = counts(&all);
    let (rows, matching, page_no, pages) = page(all, query);
    WorkspaceUsers {
        org_id: m.org_id.to_string(),
        slug: m.slug,
        read_only: m.read_only.then(|| "This workspace is revoked: links can be viewed and removed, not created.".to_owned()),
        fetched_at: m.fetched_at,
        linear_error: m.linear_error,
        rows,
        matching,
        page: page_no,
        pages,
        counts,
        unmatched: m.unmatched,
        invites: m.invites.iter().map(|i| invite(i, now)).collect(),
        redeem_command: redeem_command.to_owned(),
    }
}

/// A link the browser asked for, its ids parsed (a refusal names the field).
pub fn link_request(l: &LinkRequest) -> Result<links::LinkRequest, AppError> {
    use super::{arg, checked, optional_arg};
    checked(crate::validate::text("label", l.label.as_deref().unwrap_or(""), 300))?;
    Ok(links::LinkRequest {
        linear_user_id: arg("linear_user_id", &l.linear_user_id)?,
        platform_user_id: arg("platform_user_id", &l.platform_user_id)?,
        replace: optional_arg("replace", l.replace.as_deref())?,
        label: l.label.clone(),
    })
}

/// A suggestion, as the bulk link's island works through them.
pub fn suggestion(l: links::LinkRequest) -> LinkRequest {
    LinkRequest {
        linear_user_id: l.linear_user_id.to_string(),
        platform_user_id: l.platform_user_id.to_string(),
        replace: l.replace.map(|r| r.to_string()),
        label: l.label,
    }
}

pub fn link_result(r: links::LinkResult) -> LinkResult {
    LinkResult { linear_user_id: r.linear_user_id.to_string(), outcome: r.outcome }
}

/// `/users`: a page of the pool's users with their links.
pub fn platform_users(p: PlatformUsers) -> PlatformUserPage {
    PlatformUserPage {
        users: p
            .users
            .into_iter()
            .map(|(user, links)| PlatformUserLinks {
                user,
                links: links
                    .into_iter()
                    .map(|l| IdentityLink {
                        identity: l.key.as_key(),
                        org_id: l.key.org_id.to_string(),
                        workspace_slug: l.workspace_slug,
                        linear_user_id: l.key.user_id.to_string(),
                        linked_at: l.linked_at,
                        link_method: l.link_method,
                    })
                    .collect(),
            })
            .collect(),
        next: p.next,
    }
}

// ---- projects ----------------------------------------------------------------------------------

/// The version a form sends back for a mapping: `new` (no row yet), or `at:<updated_at>`.
pub fn version_code(v: &console_core::records::projects::Version) -> String {
    use console_core::records::projects::Version;
    match v {
        Version::Absent => "new".to_owned(),
        Version::Exists(at) => format!("at:{}", at.as_deref().unwrap_or("")),
    }
}

/// A form's `version`, as [`version_code`] wrote it (a refusal names the field).
pub fn version(field: &str, raw: &str) -> Result<console_core::records::projects::Version, AppError> {
    use console_core::records::projects::Version;
    super::checked(crate::validate::text(field, raw, 64))?;
    match raw {
        "new" => Ok(Version::Absent),
        _ => match raw.strip_prefix("at:") {
            Some("") => Ok(Version::Exists(None)),
            Some(at) => Ok(Version::Exists(Some(at.to_owned()))),
            None => Err(super::invalid(format!("{field} must be the version the page showed (new, or at:<time>)."))),
        },
    }
}

fn problem_words(p: &console_core::services::projects::Problem) -> String {
    use console_core::services::projects::Problem;
    match p {
        Problem::OtherWorkspace { workspace_id, slug, active } => format!(
            "The mapping row names another registry row ({}{}). The platform reads one row per project, so this is the mapping it uses; change it here to claim it for this workspace.",
            slug.clone().unwrap_or_else(|| workspace_id.clone()),
            if *active { "" } else { ", revoked" }
        ),
        Problem::WorkspaceGone { workspace_id } => format!(
            "The mapping row names a workspace the registry no longer has ({workspace_id}): it was made through an earlier install. The platform still uses it; change it here to claim it."
        ),
        Problem::ProjectGone => {
            "Linear no longer lists this project: the mapping can never route an issue. Deactivate it.".to_owned()
        }
        Problem::WorkspaceRevoked => {
            "The workspace is revoked: the platform answers its webhooks 401, so this mapping does nothing until it is reconnected.".to_owned()
        }
    }
}

fn mapping_view(
    m: &console_core::records::projects::ProjectMapping,
    onboarding: Option<console_core::records::projects::Onboarding>,
    last: Option<&console_core::services::projects::LastChange>,
) -> crate::projects_view::MappingView {
    let warning = match (&onboarding, m.repo.as_deref()) {
        (Some(o), Some(repo)) if m.is_active() => o.warning(repo),
        _ => None,
    };
    crate::projects_view::MappingView {
        repo: m.repo.clone(),
        label: m.label().to_owned(),
        team_id: m.team_id.clone(),
        status: m.status.clone(),
        active: m.is_active(),
        onboarded_at: m.onboarded_at.clone(),
        updated_at: m.updated_at.clone(),
        version: version_code(&m.version()),
        workspace_id: m.workspace_id.clone(),
        onboarding,
        warning,
        changed_by: last.map(|l| l.by.clone()),
        changed_at: last.map(|l| l.at.clone()),
    }
}

/// Every project's row (an export's), before any view.
pub fn project_rows(v: &console_core::services::projects::ProjectsView) -> Vec<crate::projects_view::ProjectView> {
    use crate::projects_view::{ProjectView, TeamView};
    v.projects
        .iter()
        .map(|r| ProjectView {
            id: r.project.id.to_string(),
            name: r.project.name.clone(),
            state: r.project.state.clone(),
            teams: r.project.teams.iter().map(|t| TeamView { id: t.id.clone(), key: t.key.clone() }).collect(),
            mapping: r.mapping.as_ref().map(|m| mapping_view(m, r.onboarding.clone(), r.last_change.as_ref())),
            problem: r.problem.as_ref().map(problem_words),
        })
        .collect()
}

/// A workspace's Projects page for the URL's view (only that page crosses the wire).
pub fn projects(
    v: console_core::services::projects::ProjectsView,
    query: &crate::projects_view::ProjectsQuery,
) -> crate::projects_view::WorkspaceProjects {
    use crate::projects_view::{counts, page, ProjectView, StrayView, WorkspaceProjects};
    let all: Vec<ProjectView> = project_rows(&v);
    let counts = counts(&all);
    let (rows, matching, page_no, pages) = page(all, query);
    WorkspaceProjects {
        org_id: v.org_id.to_string(),
        slug: v.slug,
        writable: v.writable,
        fetched_at: v.fetched_at,
        linear_error: v.linear_error,
        rows,
        matching,
        page: page_no,
        pages,
        counts,
        strays: v
            .strays
            .iter()
            .map(|s| StrayView {
                project_id: s.mapping.project_id.to_string(),
                mapping: mapping_view(&s.mapping, s.onboarding.clone(), s.last_change.as_ref()),
                problem: problem_words(&s.problem),
            })
            .collect(),
        repositories: v.repositories,
    }
}

// ---- install links ----------------------------------------------------------------------------

/// A link as the admins' list shows it (never its token).
pub fn link_row(l: &console_core::records::install_links::InstallLink, now: i64) -> crate::install_links_view::LinkRow {
    use console_core::records::install_links::{LinkUse, Purpose};
    crate::install_links_view::LinkRow {
        id: l.id.clone(),
        tail: l.tail.clone(),
        created_by: l.created_by_email.clone(),
        created_at: iso_of_unix(l.created_at),
        expires_at: iso_of_unix(l.expires_at),
        purpose: match &l.purpose {
            Purpose::Install => "Install a workspace".to_owned(),
            Purpose::Reconnect(org) => format!("Reconnect {}", l.slug.clone().unwrap_or_else(|| org.to_string())),
        },
        bound: l.bound.as_ref().map(|b| b.describe()),
        note: l.note.clone(),
        status: l.status(now),
        used: match &l.state {
            LinkUse::Used { at, org_id, slug, stated_by } => Some(format!(
                "used {} for {}{}",
                iso_of_unix(*at),
                slug.clone().unwrap_or_else(|| org_id.clone()),
                stated_by.as_ref().map(|s| format!(" by a Linear admin who gave their name as {s:?}")).unwrap_or_default()
            )),
            _ => None,
        },
        revoked: match &l.state {
            LinkUse::Revoked { at, by } => Some(format!("revoked {} by {by}", iso_of_unix(*at))),
            _ => None,
        },
    }
}

/// What a Linear admin opening a waiting link sees.
pub fn link_landing(l: &console_core::records::install_links::InstallLink) -> crate::install_links_view::LinkLanding {
    use console_core::records::install_links::Purpose;
    crate::install_links_view::LinkLanding {
        asked_by: l.created_by_email.clone(),
        reconnect: match &l.purpose {
            Purpose::Reconnect(_) => {
                Some(l.slug.clone().map(|s| format!("linear.app/{s}")).unwrap_or_else(|| "a workspace already connected".to_owned()))
            }
            Purpose::Install => None,
        },
        only_for: l.bound.as_ref().map(|b| b.public_words()),
        note: l.note.clone(),
        expires_at: iso_of_unix(l.expires_at),
    }
}

/// A live session as a list shows it; `current` names the one the request came in.
pub fn session(s: &console_core::ports::SessionSummary, current: Option<&super::CurrentSession>) -> crate::wire::SessionView {
    crate::wire::SessionView {
        handle: s.handle.clone(),
        started_at: iso_of_unix(s.started_at),
        seen_at: iso_of_unix(s.seen_at),
        ends_at: iso_of_unix(s.ends_at),
        address: s.address.clone(),
        browser: s.browser.clone(),
        current: current.is_some_and(|c| c.0 == s.handle),
    }
}

fn iso_ms(ms: i64) -> String {
    console_core::time::iso_millis(
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
    )
}

/// A workspace's dropped requests; `counts_only` (a viewer) leaves every name out.
pub fn workspace_drops(
    d: console_core::services::drops::WorkspaceDrops,
    threshold: usize,
    counts_only: bool,
) -> crate::drops_view::WorkspaceDrops {
    use console_core::drops::DropKind;
    use console_core::records::projects::ACTIVE;
    let now = crate::edge::now_unix();
    let people_times = d.people.iter().map(|p| p.tally.times).sum();
    let people_count = d.people.len();
    let people = if counts_only {
        Vec::new()
    } else {
        d.people
            .into_iter()
            .map(|p| crate::drops_view::DroppedPerson {
                linear_user_id: p.tally.key.clone(),
                row: p.member.map(|m| row(m, now)),
                times: p.tally.times,
                last_at: iso_ms(p.tally.last),
                commented: p.tally.kinds.contains(&DropKind::UnlinkedCommenter),
            })
            .collect()
    };
    let projects = d
        .projects
        .into_iter()
        .map(|p| {
            let active = p.mapping.as_ref().is_some_and(|m| m.status.as_deref() == Some(ACTIVE));
            let mapping = match &p.mapping {
                None => "not mapped".to_owned(),
                Some(m) if active => format!("mapped to {} since", m.repo.as_deref().unwrap_or("?")),
                Some(m) => format!("{} (to {})", m.status.as_deref().unwrap_or("no status"), m.repo.as_deref().unwrap_or("?")),
            };
            crate::drops_view::DroppedProject {
                project_id: p.project.id.to_string(),
                name: p.project.name,
                times: p.tally.times,
                last_at: iso_ms(p.tally.last),
                mapping,
                mapped: active,
            }
        })
        .collect();
    crate::drops_view::WorkspaceDrops {
        source: Some(d.source),
        unknown_because: None,
        days: d.days,
        read_at: Some(iso_ms(d.read_at)),
        complete: d.complete,
        writable: d.writable,
        counts_only,
        people_count,
        people_times,
        people,
        projects,
        no_project: d.no_project.iter().map(|t| t.times).sum(),
        no_project_issues: if counts_only { Vec::new() } else { d.no_project.iter().take(10).map(|t| t.key.clone()).collect() },
        other_projects: d.other_projects,
        unattributable: d.unattributable,
        last_hour: d.last_hour,
        threshold,
        members_error: d.members_error,
        projects_error: d.projects_error,
    }
}

/// The overview's counts of dropped requests.
pub fn drops_summary(o: console_core::services::drops::DropsOverview, rows: &[WorkspaceRow]) -> crate::drops_view::DropsSummary {
    use console_core::drops::DropKind;
    let kind = |k: DropKind| o.by_kind.get(&k).copied().unwrap_or(0);
    let label = |org: &str| {
        let row = rows.iter().find(|w| w.record.org_id.as_str() == org);
        row.and_then(|w| w.record.slug.clone().or(w.record.console.name.clone())).unwrap_or_else(|| org.to_owned())
    };
    let mut per_workspace: Vec<(String, String, usize)> =
        o.per_workspace.into_iter().map(|(org, n)| (label(&org), org, n)).map(|(name, org, n)| (org, name, n)).collect();
    per_workspace.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
    crate::drops_view::DropsSummary {
        source: Some(o.source),
        unknown_because: None,
        days: o.days,
        complete: o.complete,
        total: o.total,
        per_workspace,
        people: kind(DropKind::UnlinkedActor) + kind(DropKind::UnlinkedCommenter),
        unmapped_projects: kind(DropKind::UnmappedProject),
        no_project: kind(DropKind::NoProject),
        unattributable: kind(DropKind::Unattributable),
    }
}

#[cfg(test)]
mod project_tests {
    use super::*;
    use console_core::records::projects::Version;

    #[test]
    fn a_version_round_trips_through_its_form_field() {
        for v in [Version::Absent, Version::Exists(None), Version::Exists(Some("2026-12-01T00:00:00.000Z".into()))] {
            assert_eq!(version("version", &version_code(&v)).unwrap(), v);
        }
        assert!(version("version", "yesterday").is_err());
    }
}
