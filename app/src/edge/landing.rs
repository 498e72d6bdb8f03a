//! Where the browser goes after a change: the one place a service's typed outcome becomes the URL
//! of the page that shows it (`?notice=`, `?error=`, `?steps=`, and `unrecorded=1` when the change
//! happened but its audit event could not be stored). A service failure is logged here, once, with
//! its cause's chain and the request id.
use console_core::error::chain;
use console_core::health::CheckResult;
use console_core::ids::OrgId;
use console_core::services::audit::{Audited, Recorded};
use console_core::services::incidents::TestAlert;
use console_core::services::install::{Completed, Failed, GrantFate, InstallError, WebhookError, WebhookSaved, WebhookSource};
use console_core::services::projects::{MapOutcome, ProjectsError};
use console_core::services::removal::{OrphanRetry, RemovalError, Report};
use console_core::services::upkeep::{RefreshOutcome, UpkeepError};
use console_core::services::user_links::{Created, CreatedTally, LinkOutcome, LinkResult, LinkingError};

use crate::outcomes::{AuditNotice, LinkNotice, Notice, ProjectNotice, StepReport, UsersNotice, WorkspaceNotice};
use crate::projects_view::{Onboarding, ProjectsQuery};
use crate::url::enc;
use crate::user_links_view::UsersQuery;
use crate::wire::InstallFailure;

/// `url` with `unrecorded=1` when the change's audit event was not stored.
fn noting(url: String, recorded: Recorded) -> String {
    match recorded {
        Recorded::Yes => url,
        Recorded::No => format!("{url}&unrecorded=1"),
    }
}

fn logged(what: &str, e: &(dyn std::error::Error + 'static)) {
    tracing::error!(request_id = %super::request_id(), error = %chain(e), "{what}");
}

// ---- the workspace page ------------------------------------------------------------------------

fn workspace_page(org: &OrgId, query: &str) -> String {
    format!("/workspaces/{}?{query}", enc(org.as_str()))
}

fn back(org: &OrgId, notice: WorkspaceNotice) -> String {
    workspace_page(org, &notice.query())
}

fn upkeep_refusal(e: &UpkeepError) -> WorkspaceNotice {
    match e {
        UpkeepError::NotFound => WorkspaceNotice::NotFound,
        UpkeepError::NotActive => WorkspaceNotice::NotActive,
        UpkeepError::BundleUnusable => WorkspaceNotice::BundleUnusable,
        UpkeepError::Unsaved(_) => WorkspaceNotice::RefreshUnsaved,
        UpkeepError::Registry(_) | UpkeepError::Secrets(_) => WorkspaceNotice::ActionUnavailable,
    }
}

fn upkeep_failed(what: &str, e: &UpkeepError) {
    match e {
        UpkeepError::NotFound | UpkeepError::NotActive | UpkeepError::BundleUnusable => {
            tracing::warn!(request_id = %super::request_id(), error = %chain(e), "{what} refused")
        }
        _ => logged(what, e),
    }
}

/// *Check now*.
pub fn checked(org: &OrgId, done: Audited<Result<CheckResult, UpkeepError>>) -> String {
    let notice = match &done.value {
        Ok(CheckResult::Ok) => WorkspaceNotice::CheckOk,
        Ok(CheckResult::Unauthenticated) => WorkspaceNotice::CheckRefused,
        Ok(_) => WorkspaceNotice::CheckDegraded,
        Err(e) => {
            upkeep_failed("check", e);
            upkeep_refusal(e)
        }
    };
    noting(back(org, notice), done.recorded)
}

/// *Refresh token*.
pub fn refreshed(org: &OrgId, done: Audited<Result<RefreshOutcome, UpkeepError>>) -> String {
    let notice = match &done.value {
        Ok(RefreshOutcome::Refreshed { .. }) => WorkspaceNotice::Refreshed,
        Ok(RefreshOutcome::AlreadyRefreshed) => WorkspaceNotice::AlreadyRefreshed,
        Ok(RefreshOutcome::GrantDead) => WorkspaceNotice::GrantDead,
        Ok(RefreshOutcome::Busy) => WorkspaceNotice::RefreshBusy,
        Ok(RefreshOutcome::Failed { .. }) => WorkspaceNotice::RefreshFailed,
        Err(e) => {
            upkeep_failed("refresh", e);
            upkeep_refusal(e)
        }
    };
    noting(back(org, notice), done.recorded)
}

/// The steps of a revoke or remove, as the page reads them.
pub fn steps(report: &Report) -> StepReport {
    StepReport(report.statuses())
}

/// *Revoke* / *Remove*: the page with each step, or (a finished Remove) the registry.
pub fn removed(org: &OrgId, done: Audited<Result<Report, RemovalError>>) -> String {
    let url = match &done.value {
        Ok(report) if report.removed() => format!("/workspaces?removed={}&steps={}", enc(&report.name), steps(report).code()),
        Ok(report) => {
            for (step, outcome) in &report.steps {
                if let console_core::services::removal::StepOutcome::Failed(e) = outcome {
                    logged(&format!("removal step {} failed", step.code()), e.as_ref());
                }
            }
            workspace_page(org, &format!("steps={}", steps(report).code()))
        }
        Err(RemovalError::ConfirmMismatch) => back(org, WorkspaceNotice::ConfirmMismatch),
        Err(RemovalError::NotFound) => back(org, WorkspaceNotice::NotFound),
        Err(e) => {
            logged("revoke failed before its first step", e);
            back(org, WorkspaceNotice::ActionUnavailable)
        }
    };
    noting(url, done.recorded)
}

/// *Retry deletion* of an orphaned secret.
pub fn orphan_retried(org: &OrgId, done: Audited<Result<OrphanRetry, RemovalError>>) -> String {
    let notice = match &done.value {
        Ok(OrphanRetry::Deleted(_)) => WorkspaceNotice::OrphanDeleted,
        Ok(OrphanRetry::NothingToDo) => WorkspaceNotice::OrphanNone,
        Ok(OrphanRetry::InUse) => WorkspaceNotice::OrphanInUse,
        Ok(OrphanRetry::Failed(e)) => {
            logged("orphan retry failed", e.as_ref());
            WorkspaceNotice::OrphanRetryFailed
        }
        Err(RemovalError::NotFound) => WorkspaceNotice::NotFound,
        Err(e) => {
            logged("orphan retry failed", e);
            WorkspaceNotice::ActionUnavailable
        }
    };
    noting(back(org, notice), done.recorded)
}

/// The webhook signing secret an admin typed.
pub fn webhook_saved(org: &OrgId, done: Audited<Result<WebhookSaved, WebhookError>>) -> String {
    let url = match &done.value {
        Ok(WebhookSaved::Stored) => back(org, WorkspaceNotice::WebhookSaved),
        Ok(WebhookSaved::Replaced) => back(org, WorkspaceNotice::WebhookReplaced),
        Err(WebhookError::Invalid) => back(org, WorkspaceNotice::WebhookInvalid),
        Err(WebhookError::NotInstalled) => back(org, WorkspaceNotice::WebhookNotInstalled),
        Err(WebhookError::RefreshDue) => back(org, WorkspaceNotice::WebhookRefreshDue),
        Err(e) => {
            logged("could not store the webhook signing secret", e);
            workspace_page(org, &format!("{}&rid={}", WorkspaceNotice::WebhookUnavailable.query(), enc(&super::request_id())))
        }
    };
    noting(url, done.recorded)
}

// ---- installs ----------------------------------------------------------------------------------

/// The connect page, showing what went wrong (and the request id `rid` to quote).
pub fn connect_page(f: InstallFailure, extra: &[(&str, String)], rid: &str) -> String {
    let mut url = format!("/workspaces/connect?error={}", f.code());
    for (k, v) in extra.iter().chain(std::iter::once(&("rid", rid.to_owned()))) {
        url.push_str(&format!("&{k}={}", enc(v)));
    }
    url
}

/// The page's code of an install that stopped.
pub fn install_failure(e: &InstallError) -> InstallFailure {
    use console_core::ports::{ApiError, TokenError};
    match e {
        InstallError::StateMissing => InstallFailure::StateMissing,
        InstallError::StateMismatch => InstallFailure::StateMismatch,
        InstallError::SessionUnavailable => InstallFailure::SessionUnavailable,
        InstallError::StateExpired => InstallFailure::StateExpired,
        InstallError::AccessDenied => InstallFailure::AccessDenied,
        InstallError::LinearRefused(_) => InstallFailure::LinearRefused,
        InstallError::NoCredentials => InstallFailure::NoCredentials,
        InstallError::UnknownWorkspace => InstallFailure::UnknownWorkspace,
        InstallError::Exchange(TokenError::Rejected { .. } | TokenError::Malformed(_)) => InstallFailure::ExchangeRejected,
        InstallError::Exchange(TokenError::Timeout) => InstallFailure::ExchangeTimeout,
        InstallError::Exchange(TokenError::Unavailable { .. } | TokenError::Unreachable) => InstallFailure::ExchangeUnavailable,
        InstallError::Api(ApiError::RateLimited { .. }) => InstallFailure::LinearRateLimited,
        InstallError::Api(_) => InstallFailure::LinearApi,
        InstallError::InvalidSlug { .. } => InstallFailure::InvalidSlug,
        InstallError::WrongWorkspace { .. } => InstallFailure::WrongWorkspace,
        InstallError::SlugInUse { .. } => InstallFailure::SlugInUse,
        InstallError::Secrets(_) | InstallError::BundleGone | InstallError::RegistryRead(_) => InstallFailure::SecretsUnavailable,
        InstallError::Unfinished { .. } => InstallFailure::RegistryUnfinished,
        InstallError::LinkUnusable => InstallFailure::LinkUnusable,
        InstallError::LinkWrongWorkspace { .. } => InstallFailure::LinkWrongWorkspace,
        InstallError::LinkStore(_) => InstallFailure::LinkUnavailable,
    }
}

/// Where a Linear admin's consent through an install link lands: the public page saying how it
/// went (no workspace page: they have no console account).
pub fn installed_via_link(result: &Result<Completed, Failed>, rid: &str) -> String {
    match result {
        Ok(c) => format!("/install/done?result={}&workspace={}", if c.reconnected { "reconnected" } else { "installed" }, enc(&c.slug)),
        Err(failed) => {
            let f = install_failure(&failed.error);
            tracing::warn!(request_id = rid, failure = f.code(), error = %chain(&failed.error), "install through a link failed");
            let grant = match &failed.grant {
                Some(g) if g.dead() => "&grant=revoked",
                Some(_) => "&grant=revoke_failed",
                None => "",
            };
            format!("/install/done?error={}{grant}&rid={}", f.code(), enc(rid))
        }
    }
}

/// *Make an install link*: back to the connect page, which shows the new link once.
pub fn link_made(done: Audited<Result<(), console_core::services::install_links::LinkError>>) -> String {
    use console_core::services::install_links::LinkError;
    let url = match &done.value {
        Ok(()) => "/workspaces/connect?link=made#install-links".to_owned(),
        Err(LinkError::BadExpiry) => "/workspaces/connect?link=bad_expiry#install-links".to_owned(),
        Err(LinkError::UnknownWorkspace) => "/workspaces/connect?link=unknown_workspace#install-links".to_owned(),
        Err(LinkError::NotWaiting) => "/workspaces/connect?link=not_waiting#install-links".to_owned(),
        Err(e @ LinkError::Unavailable(_)) => {
            logged("install link", e);
            "/workspaces/connect?link=unavailable#install-links".to_owned()
        }
    };
    noting(url, done.recorded)
}

/// Where a finished or stopped install lands: the workspace's page, or the connect page saying
/// what went wrong and what became of the grant.
pub fn installed(result: &Result<Completed, Failed>, recorded: Recorded, rid: &str) -> String {
    let url = match result {
        Ok(c) => {
            let mut query = if c.reconnected { WorkspaceNotice::Reconnected } else { WorkspaceNotice::Installed }.query();
            if c.webhook == WebhookSource::Missing {
                query.push_str("&webhook=missing");
            }
            workspace_page(&c.org_id, &query)
        }
        Err(failed) => install_stopped(failed, rid),
    };
    noting(url, recorded)
}

fn install_stopped(failed: &Failed, rid: &str) -> String {
    let e = &failed.error;
    let f = install_failure(e);
    tracing::warn!(request_id = rid, failure = f.code(), error = %chain(e), "Linear install failed");
    let mut extra: Vec<(&str, String)> = match e {
        InstallError::WrongWorkspace { authorized_slug, .. } => {
            vec![("authorized", authorized_slug.clone()), ("expected", failed.expected_slug.clone().unwrap_or_default())]
        }
        InstallError::SlugInUse { slug, .. } => vec![("workspace", slug.clone())],
        InstallError::Unfinished { unfinished, .. } => vec![("workspace", unfinished.slug.clone())],
        _ => vec![],
    };
    if let Some(g) = &failed.grant {
        extra.push(("grant", if g.dead() { "revoked" } else { "revoke_failed" }.to_owned()));
        if let GrantFate::RevokeFailed(_) = g {
            tracing::error!(request_id = rid, "the grant of a stopped install may still be live at Linear");
        }
    }
    connect_page(f, &extra, rid)
}

// ---- the users pages ---------------------------------------------------------------------------

/// The workspace's users page, on the view the form came from, with `outcome` appended.
fn users_page(org: &OrgId, view: &UsersQuery, outcome: &str) -> String {
    let query = view.to_query();
    let and = if query.is_empty() { "" } else { "&" };
    format!("/workspaces/{}/users?{query}{and}{outcome}", enc(org.as_str()))
}

/// The banner of a refusal or failure.
fn link_refusal(e: &LinkingError) -> LinkNotice {
    match e {
        LinkingError::UnknownWorkspace => LinkNotice::UnknownWorkspace,
        LinkingError::ReadOnly => LinkNotice::ReadOnly,
        LinkingError::UnknownLinearUser => LinkNotice::UnknownLinearUser,
        LinkingError::NotLinkable(_) => LinkNotice::NotLinkable,
        LinkingError::UnknownPlatformUser => LinkNotice::UnknownPlatformUser,
        LinkingError::PlatformUserDisabled => LinkNotice::PlatformUserDisabled,
        LinkingError::BadIdentity => LinkNotice::BadIdentity,
        LinkingError::NoEmail => LinkNotice::NoEmail,
        LinkingError::BadPageToken => LinkNotice::BadIdentity,
        LinkingError::AmbiguousEmail => LinkNotice::AmbiguousEmail,
        LinkingError::Conflict => LinkNotice::Conflict,
        LinkingError::Linear(_) => LinkNotice::LinearUnavailable,
        LinkingError::Unavailable(u) => {
            logged("user links", u);
            LinkNotice::Unavailable
        }
    }
}

/// `notice=…&who=<linear user>` (the page marks that row), or the refusal.
fn about(result: Result<(), &LinkingError>, done: LinkNotice, who: &str) -> String {
    let notice = match result {
        Ok(()) => done,
        Err(e) => link_refusal(e),
    };
    format!("{}&who={}", notice.query(), enc(who))
}

/// *Link* or *Change*.
pub fn linked(org: &OrgId, view: &UsersQuery, who: &str, change: bool, done: Audited<Result<(), LinkingError>>) -> String {
    let notice = if change { LinkNotice::Changed } else { LinkNotice::Linked };
    noting(users_page(org, view, &about(done.value.as_ref().map(|_| ()), notice, who)), done.recorded)
}

/// *Unlink* on a workspace's users page.
pub fn unlinked(org: &OrgId, view: &UsersQuery, who: &str, done: Audited<Result<(), LinkingError>>) -> String {
    noting(users_page(org, view, &about(done.value.as_ref().map(|_| ()), LinkNotice::Unlinked, who)), done.recorded)
}

/// *Invite*.
pub fn invited<T>(org: &OrgId, view: &UsersQuery, who: &str, done: Audited<Result<T, LinkingError>>) -> String {
    noting(users_page(org, view, &about(done.value.as_ref().map(|_| ()), LinkNotice::Invited, who)), done.recorded)
}

/// *Revoke* an invite.
pub fn invite_revoked(org: &OrgId, view: &UsersQuery, done: Audited<Result<(), LinkingError>>) -> String {
    let notice = match &done.value {
        Ok(()) => LinkNotice::InviteRevoked,
        Err(e) => link_refusal(e),
    };
    noting(users_page(org, view, &notice.query()), done.recorded)
}

/// *Reload from Linear*: how many members there are now.
pub fn reloaded(org: &OrgId, view: &UsersQuery, done: Result<usize, LinkingError>) -> String {
    match done {
        Ok(n) => users_page(org, view, &format!("{}&count={n}", LinkNotice::Reloaded.query())),
        Err(e) => users_page(org, view, &link_refusal(&e).query()),
    }
}

/// *Link all suggested* without the wasm: a count of each outcome.
pub fn linked_all(org: &OrgId, view: &UsersQuery, done: Result<Audited<Vec<LinkResult>>, LinkingError>) -> String {
    let done = match done {
        Ok(done) => done,
        Err(e) => return users_page(org, view, &link_refusal(&e).query()),
    };
    let mut tally = [0usize; 4];
    for r in &done.value {
        tally[match r.outcome {
            LinkOutcome::Linked => 0,
            LinkOutcome::Conflict { .. } => 1,
            LinkOutcome::Refused(_) => 2,
            LinkOutcome::Failed => 3,
        }] += 1;
    }
    let counts = format!("linked={}&conflicts={}&refused={}&failed={}", tally[0], tally[1], tally[2], tally[3]);
    noting(users_page(org, view, &format!("{}&{counts}", LinkNotice::Bulk.query())), done.recorded)
}

/// *Create platform user and link*.
pub fn created_linked(org: &OrgId, view: &UsersQuery, who: &str, done: Audited<Result<Created, LinkingError>>) -> String {
    let notice = match &done.value {
        Ok(Created::New(_)) => LinkNotice::Created,
        Ok(Created::Existing(_)) => LinkNotice::LinkedExisting,
        Err(e) => link_refusal(e),
    };
    noting(users_page(org, view, &format!("{}&who={}", notice.query(), enc(who))), done.recorded)
}

/// *Create platform users and link all*: a count of each outcome.
pub fn created_all(org: &OrgId, view: &UsersQuery, done: Result<Audited<CreatedTally>, LinkingError>) -> String {
    match done {
        Err(e) => users_page(org, view, &link_refusal(&e).query()),
        Ok(done) => {
            let t = &done.value;
            let counts = format!("created={}&existing={}&refused={}&failed={}", t.created, t.linked_existing, t.refused, t.failed);
            noting(users_page(org, view, &format!("{}&{counts}", LinkNotice::CreatedAll.query())), done.recorded)
        }
    }
}

/// *Unlink* on `/users` (`email` is the view to return to).
pub fn identity_unlinked<T>(email: &str, done: Audited<Result<T, LinkingError>>) -> String {
    let notice = match &done.value {
        Ok(_) => UsersNotice::Unlinked,
        Err(LinkingError::Conflict) => UsersNotice::Conflict,
        Err(LinkingError::BadIdentity) => UsersNotice::BadIdentity,
        Err(e) => {
            logged("unlink", e);
            UsersNotice::Unavailable
        }
    };
    let email = if email.is_empty() { String::new() } else { format!("email={}&", enc(email)) };
    noting(format!("/users?{email}{}", notice.query()), done.recorded)
}

// ---- the projects page ---------------------------------------------------------------------------

fn projects_page(org: &OrgId, view: &ProjectsQuery, outcome: &str) -> String {
    let query = view.to_query();
    let and = if query.is_empty() { "" } else { "&" };
    format!("/workspaces/{}/projects?{query}{and}{outcome}", enc(org.as_str()))
}

fn project_refusal(e: &ProjectsError) -> ProjectNotice {
    match e {
        ProjectsError::UnknownWorkspace => ProjectNotice::UnknownWorkspace,
        ProjectsError::ReadOnly => ProjectNotice::ReadOnly,
        ProjectsError::UnknownProject => ProjectNotice::UnknownProject,
        ProjectsError::UnknownTeam => ProjectNotice::UnknownTeam,
        ProjectsError::NotMapped => ProjectNotice::NotMapped,
        ProjectsError::Conflict => ProjectNotice::Conflict,
        ProjectsError::Linear(_) => ProjectNotice::LinearUnavailable,
        ProjectsError::Unavailable(u) => {
            logged("projects", u);
            ProjectNotice::Unavailable
        }
    }
}

fn with_project(notice: ProjectNotice, project: &str) -> String {
    format!("{}&project={}", notice.query(), enc(project))
}

/// *Map* or *Change* one project.
pub fn project_mapped(
    org: &OrgId,
    view: &ProjectsQuery,
    done: Audited<Result<Vec<(console_core::ids::ProjectId, MapOutcome)>, ProjectsError>>,
) -> String {
    let (notice, project) = match &done.value {
        Err(e) => (project_refusal(e), String::new()),
        Ok(results) => match results.first() {
            None => (ProjectNotice::NoneSelected, String::new()),
            Some((id, outcome)) => (
                match outcome {
                    MapOutcome::Mapped(Onboarding::Onboarded) => ProjectNotice::Mapped,
                    MapOutcome::Mapped(Onboarding::NotOnboarded { .. }) | MapOutcome::Changed(Onboarding::NotOnboarded { .. }) => {
                        ProjectNotice::MappedNotOnboarded
                    }
                    MapOutcome::Mapped(Onboarding::Unknown) | MapOutcome::Changed(Onboarding::Unknown) => ProjectNotice::MappedUnchecked,
                    MapOutcome::Changed(Onboarding::Onboarded) => ProjectNotice::Changed,
                    MapOutcome::Unchanged => ProjectNotice::Unchanged,
                    MapOutcome::Conflict => ProjectNotice::Conflict,
                    MapOutcome::Refused(why) if why.contains("team") => ProjectNotice::UnknownTeam,
                    MapOutcome::Refused(_) => ProjectNotice::UnknownProject,
                    MapOutcome::Failed => ProjectNotice::Unavailable,
                },
                id.to_string(),
            ),
        },
    };
    noting(projects_page(org, view, &with_project(notice, &project)), done.recorded)
}

/// *Map selected*: a count of each outcome.
pub fn projects_mapped(
    org: &OrgId,
    view: &ProjectsQuery,
    done: Audited<Result<Vec<(console_core::ids::ProjectId, MapOutcome)>, ProjectsError>>,
) -> String {
    let results = match &done.value {
        Ok(r) => r,
        Err(e) => return noting(projects_page(org, view, &project_refusal(e).query()), done.recorded),
    };
    let mut tally = [0usize; 5];
    for (_, r) in results {
        tally[match r {
            MapOutcome::Mapped(Onboarding::Onboarded) | MapOutcome::Changed(Onboarding::Onboarded) | MapOutcome::Unchanged => 0,
            MapOutcome::Mapped(_) | MapOutcome::Changed(_) => 1,
            MapOutcome::Conflict => 2,
            MapOutcome::Refused(_) => 3,
            MapOutcome::Failed => 4,
        }] += 1;
    }
    let counts =
        format!("mapped={}&warned={}&conflicts={}&refused={}&failed={}", tally[0] + tally[1], tally[1], tally[2], tally[3], tally[4]);
    noting(projects_page(org, view, &format!("{}&{counts}", ProjectNotice::Bulk.query())), done.recorded)
}

/// *Deactivate* or *Reactivate*.
pub fn project_status_set(
    org: &OrgId,
    view: &ProjectsQuery,
    project: &str,
    active: bool,
    done: Audited<Result<(), ProjectsError>>,
) -> String {
    let notice = match &done.value {
        Ok(()) if active => ProjectNotice::Reactivated,
        Ok(()) => ProjectNotice::Deactivated,
        Err(e) => project_refusal(e),
    };
    noting(projects_page(org, view, &with_project(notice, project)), done.recorded)
}

/// *Reload from Linear* on the projects page.
pub fn projects_reloaded(org: &OrgId, view: &ProjectsQuery, done: Result<usize, ProjectsError>) -> String {
    match done {
        Ok(n) => projects_page(org, view, &format!("{}&count={n}", ProjectNotice::Reloaded.query())),
        Err(e) => projects_page(org, view, &project_refusal(&e).query()),
    }
}

// ---- incidents and settings --------------------------------------------------------------------

/// *Acknowledge* or *Snooze*: `notice` on success.
pub fn incident_quieted(notice: &str, done: Audited<Result<bool, console_core::error::Unavailable>>) -> String {
    let url = match &done.value {
        Ok(true) => format!("/incidents?notice={notice}"),
        Ok(false) => "/incidents?error=not_open".to_owned(),
        Err(e) => {
            logged("incident change failed", e);
            "/incidents?error=unavailable".to_owned()
        }
    };
    noting(url, done.recorded)
}

/// *Send test alert*.
pub fn test_alert_sent(index: usize, done: Audited<TestAlert>) -> String {
    let url = match &done.value {
        TestAlert::NoChannel => "/settings?error=no_channel".to_owned(),
        TestAlert::Sent => format!("/settings?notice=test_sent&channel={index}"),
        TestAlert::Failed(why) => {
            tracing::warn!(request_id = %super::request_id(), channel = index, error = %why, "test alert failed");
            format!("/settings?error=test_failed&channel={index}")
        }
    };
    noting(url, done.recorded)
}

// ---- sessions ------------------------------------------------------------------------------------

/// Back to a list of sessions (`page`: `/profile` or an admin's `/users/<sub>/sessions`) after one
/// was ended: `sessions=ended`, `sessions=gone` (already ended) or `error=unavailable`.
pub fn session_ended(page: &str, done: Audited<Result<(), console_core::services::sessions::EndError>>) -> String {
    use console_core::services::sessions::EndError;
    let query = match &done.value {
        Ok(()) => "sessions=ended".to_owned(),
        Err(EndError::Gone) => "sessions=gone".to_owned(),
        Err(e @ EndError::Unavailable(_)) => {
            logged("ending a session failed", e);
            "error=sessions-unavailable".to_owned()
        }
    };
    format!("{}#sessions", noting(format!("{page}?{query}"), done.recorded))
}

/// Back to a list of sessions after ending all of them (or all but the one in use): how many.
pub fn sessions_ended(page: &str, done: Audited<Result<usize, console_core::error::Unavailable>>) -> String {
    let query = match &done.value {
        Ok(n) => format!("sessions=ended&count={n}"),
        Err(e) => {
            logged("ending sessions failed", e);
            "error=sessions-unavailable".to_owned()
        }
    };
    format!("{}#sessions", noting(format!("{page}?{query}"), done.recorded))
}

/// Back to a member's page after *Reset second factor*: `factor=reset`, `factor=none` (there was
/// none of the console's) or `error=factor-unavailable`.
pub fn factor_reset(page: &str, done: Audited<Result<bool, console_core::error::Unavailable>>) -> String {
    let query = match &done.value {
        Ok(true) => "factor=reset",
        Ok(false) => "factor=none",
        Err(e) => {
            logged("resetting a second factor failed", e);
            "error=factor-unavailable"
        }
    };
    format!("{}#factor", noting(format!("{page}?{query}"), done.recorded))
}

// ---- the audit log -----------------------------------------------------------------------------

/// *Send again*: back to the audit log's lifecycle-event rows, saying what became of it.
pub fn event_resent(done: Audited<Result<String, console_core::services::resend::ResendError>>) -> String {
    use console_core::services::resend::ResendError;
    let notice = match &done.value {
        Ok(_) => AuditNotice::Resent,
        Err(ResendError::AlreadySent(_)) => AuditNotice::AlreadySent,
        Err(ResendError::NotUndelivered) => AuditNotice::NotUndelivered,
        Err(ResendError::NotFound) => AuditNotice::NotFound,
        Err(ResendError::Gone(_)) => AuditNotice::Gone,
        Err(ResendError::Refused { .. }) => AuditNotice::RefusedAgain,
        Err(e @ ResendError::Unavailable(_)) => {
            logged("send an event again", e);
            AuditNotice::Unavailable
        }
    };
    noting(format!("/audit?action=event.&{}", notice.query()), done.recorded)
}
