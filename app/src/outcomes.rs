//! The outcomes that travel in a redirect's query after a form POST (`?notice=`/`?error=` banners,
//! `?steps=` of a revoke or remove): typed here, written by the server and read by the page with
//! the same `code()` and `from_code()`, so neither side keeps its own copy of the strings.

use console_core::codes::Code;

/// Whether a page's URL carries the outcome of its viewer's change (a redirect's `notice`, `error`
/// or `steps`, or an island's reload with `changed`): the page's reads then wait for data read
/// since the change, where other pages may be answered from a read made just before it.
pub fn after_change(query: &leptos_router::params::ParamsMap) -> bool {
    ["notice", "error", "steps", "changed"].iter().any(|k| query.get(k).is_some())
}

/// A banner after a form's redirect: `?notice=<code>` when the action worked, `?error=<code>`
/// when it did not. Each page has its own set; the words live beside the codes.
pub trait Notice: Code {
    fn tone(self) -> Tone;
    fn text(self) -> &'static str;

    /// The action ran (`?notice=`), or it was refused or failed (`?error=`).
    fn ok(self) -> bool {
        !matches!(self.tone(), Tone::Bad)
    }

    /// Green, or red (an error, or an action that ran and found bad news).
    fn good(self) -> bool {
        matches!(self.tone(), Tone::Good)
    }

    /// `notice=<code>` or `error=<code>`, for the redirect.
    fn query(self) -> String {
        format!("{}={}", if self.ok() { "notice" } else { "error" }, self.code())
    }

    /// The banner a page shows for its query; an error wins over a notice, an unknown code says nothing.
    fn from_query(notice: Option<&str>, error: Option<&str>) -> Option<Self> {
        error
            .and_then(<Self as Code>::from_code)
            .filter(|n| !n.ok())
            .or_else(|| notice.and_then(<Self as Code>::from_code).filter(|n| n.ok()))
    }
}

/// How a banner reads: the action worked, it did not, or it ran and found something wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Bad,
    Warn,
}

/// Declares a page's notices: `Variant = "code", Good | Bad | Warn, "words";`. The codes are a
/// `codes!` table (one per enum, generated); the tone and the words sit beside each code.
macro_rules! notices {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal, $tone:ident, $text:literal;)* }) => {
        console_core::codes! {
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub enum $name { $($variant = $code),* }
        }

        impl Notice for $name {
            fn tone(self) -> Tone {
                match self { $($name::$variant => Tone::$tone),* }
            }
            fn text(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }
    };
}

notices! {
    /// `/workspaces/<org id>`: install, webhook secret, check, refresh, revoke and orphan outcomes.
    WorkspaceNotice {
        Installed = "installed", Good, "Workspace connected. Its tokens are in Secrets Manager and the platform can use it now.";
        Reconnected = "reconnected", Good, "Workspace reconnected. Its tokens were replaced in place and any revocation was cleared.";
        WebhookSaved = "webhook_saved", Good, "Webhook signing secret saved.";
        WebhookReplaced = "webhook_replaced", Good, "Webhook signing secret replaced. The platform verifies with the new one within 60 seconds (its bundle cache); webhooks signed with the old one are refused from now on.";
        WebhookInvalid = "webhook_invalid", Bad, "That is not a Linear webhook signing secret (it starts with lin_wh_ and has no spaces). Nothing was saved.";
        WebhookNotInstalled = "webhook_not_installed", Bad, "This workspace has no token bundle to hold a webhook secret. Connect it first.";
        WebhookRefreshDue = "webhook_refresh_due", Bad, "The platform is about to refresh this workspace's token; saving now could undo that. Try again in five minutes.";
        WebhookUnavailable = "webhook_unavailable", Bad, "Secrets Manager is unavailable; the webhook secret was not saved. Try again shortly.";
        ConfirmMismatch = "confirm_mismatch", Bad, "The name typed did not match the workspace's slug. Nothing was done.";
        NotFound = "not_found", Bad, "This workspace is not in the registry.";
        NotActive = "not_active", Bad, "The workspace is not active: there is nothing to check or refresh. Reconnect it first.";
        BundleUnusable = "bundle_unusable", Bad, "The token bundle is missing or lacks a field the platform needs. Reconnect the workspace.";
        RefreshUnsaved = "refresh_unsaved", Bad, "Linear issued new tokens but Secrets Manager refused them three times: the old refresh token is spent. Reconnect the workspace.";
        OrphanInUse = "orphan_in_use", Bad, "The recorded secret is the bundle this active workspace uses; it was not deleted.";
        OrphanRetryFailed = "orphan_retry_failed", Bad, "Secrets Manager still refused to delete the orphaned secret; the error is recorded below. Try again later.";
        OrphanDeleted = "orphan_deleted", Good, "The orphaned secret is deleted and the warning cleared.";
        OrphanNone = "orphan_none", Good, "No orphaned secret is recorded for this workspace.";
        ActionUnavailable = "action_unavailable", Bad, "DynamoDB or Secrets Manager is unavailable; nothing changed. Try again shortly.";
        CheckOk = "check_ok", Good, "Checked: Linear accepts the stored access token.";
        CheckRefused = "check_refused", Warn, "Checked: Linear refused the stored access token (see the health below).";
        CheckDegraded = "check_degraded", Warn, "Checked: Linear did not answer properly (server error, timeout or rate limit). Try again later.";
        Refreshed = "refreshed", Good, "Token refreshed: the new access and refresh tokens are saved in the bundle.";
        AlreadyRefreshed = "already_refreshed", Good, "Already refreshed: another actor (a platform Lambda) refreshed first; its tokens are in the bundle.";
        GrantDead = "grant_dead", Warn, "Linear rejected the refresh token (invalid_grant): the workspace needs reconnecting.";
        RefreshBusy = "refresh_busy", Warn, "Another console instance is refreshing this workspace right now. Try again in a minute.";
        RefreshFailed = "refresh_failed", Warn, "Linear could not refresh the token just now; nothing changed. Try again later.";
    }
}

notices! {
    /// `/workspaces/<org id>/users`: link, change, unlink, invite and reload outcomes.
    LinkNotice {
        Conflict = "conflict", Bad, "Someone else linked or unlinked this user meanwhile. Nothing was overwritten; the row shows the link as it is now.";
        ReadOnly = "read_only", Bad, "This workspace is revoked: links can be removed here, not created.";
        UnknownWorkspace = "unknown_workspace", Bad, "That workspace is not in the registry.";
        UnknownLinearUser = "unknown_linear_user", Bad, "That Linear user is not a member of this workspace (even after asking Linear again). Nothing was written.";
        NotLinkable = "not_linkable", Bad, "Guests, app bots and disabled Linear users cannot be linked. Nothing was written.";
        UnknownPlatformUser = "unknown_platform_user", Bad, "That is not a user of the platform's user pool. Nothing was written.";
        PlatformUserDisabled = "platform_user_disabled", Bad, "That platform user is disabled. Nothing was written.";
        BadIdentity = "bad_identity", Bad, "That is not a valid Linear user id or invite code. Nothing was written.";
        LinearUnavailable = "linear_unavailable", Bad, "Linear's users could not be fetched (see the workspace's health). Nothing was written.";
        Unavailable = "unavailable", Bad, "DynamoDB or Cognito is unavailable; nothing was written. Try again shortly.";
        Linked = "linked", Good, "Linked. The platform accepts this Linear user's requests as the platform user's from now on.";
        Changed = "changed", Good, "Link changed to the new platform user.";
        Unlinked = "unlinked", Good, "Unlinked. The platform no longer accepts this Linear user's requests.";
        Invited = "invited", Good, "Invite created. Hand the code below to the person; it works for 24 hours.";
        InviteRevoked = "invite_revoked", Good, "Invite revoked.";
        Reloaded = "reloaded", Good, "Users reloaded from Linear.";
        Bulk = "bulk", Good, "Linked all suggested users; the counts are below.";
        Created = "created", Good, "Platform user created and linked. Cognito emails them a temporary password; their first sign-in asks for a new one.";
        LinkedExisting = "linked_existing", Good, "A platform user with this email already existed: linked to it, nothing was created.";
        CreatedAll = "created_all", Good, "Platform users created and linked for the unmatched members; the counts are below.";
        NoEmail = "no_email", Bad, "That Linear user has no email address, so no platform user can be made for them. Nothing was written.";
        AmbiguousEmail = "ambiguous_email", Bad, "Several platform users have this email address: pick the right one to link instead. Nothing was written.";
    }
}

notices! {
    /// `/workspaces/<org id>/projects`: map, change, deactivate, reactivate and reload outcomes.
    ProjectNotice {
        Mapped = "mapped", Good, "Mapped. The platform creates a task for an issue of this project that carries the trigger label.";
        MappedNotOnboarded = "mapped_not_onboarded", Warn, "Mapped, but the repository is not onboarded on the platform: every task for this project will fail with 422 REPO_NOT_ONBOARDED until it is onboarded (see the row).";
        MappedUnchecked = "mapped_unchecked", Warn, "Mapped. Whether the repository is onboarded on the platform could not be checked (its repository table is not configured or not readable).";
        Changed = "changed", Good, "Mapping changed. The platform reads the new repository and label within a minute.";
        Unchanged = "unchanged", Good, "Nothing to change: the mapping already says that.";
        Deactivated = "deactivated", Good, "Deactivated (status removed). The platform now answers this project's issues as not onboarded.";
        Reactivated = "reactivated", Good, "Reactivated. The platform routes this project's issues to its repository again.";
        Reloaded = "reloaded", Good, "Projects reloaded from Linear.";
        Bulk = "bulk", Good, "Mapped the selected projects; the counts are below.";
        NoneSelected = "none_selected", Bad, "No project was selected. Tick the projects to map first.";
        Conflict = "conflict", Bad, "Someone else mapped or changed this project meanwhile. Nothing was overwritten; the row shows the mapping as it is now.";
        ReadOnly = "read_only", Bad, "This workspace is revoked: its mappings can be deactivated here, not created or reactivated.";
        UnknownWorkspace = "unknown_workspace", Bad, "That workspace is not in the registry.";
        UnknownProject = "unknown_project", Bad, "That project is not one of this workspace's Linear projects (reload from Linear if it is new). Nothing was written.";
        UnknownTeam = "unknown_team", Bad, "That team is not one of the project's teams. Nothing was written.";
        NotMapped = "not_mapped", Bad, "That project is not mapped. Nothing was written.";
        LinearUnavailable = "linear_unavailable", Bad, "Linear's projects could not be fetched (see the workspace's health). Nothing was written.";
        Unavailable = "unavailable", Bad, "DynamoDB is unavailable; nothing was written. Try again shortly.";
    }
}

notices! {
    /// `/users`: unlinking an identity.
    UsersNotice {
        Conflict = "conflict", Bad, "That link changed meanwhile (someone else changed or removed it). Nothing was deleted.";
        BadIdentity = "bad_identity", Bad, "That is not a Linear identity (<workspace id>#<user id>). Nothing was deleted.";
        Unavailable = "unavailable", Bad, "DynamoDB is unavailable; nothing was deleted. Try again shortly.";
        Unlinked = "unlinked", Good, "Unlinked. The platform no longer accepts that Linear user's requests.";
    }
}

notices! {
    /// `/audit`: *Send again* on an undelivered lifecycle event.
    AuditNotice {
        Resent = "resent", Good, "Sent again, with the event's own id (a receiver that had it already can tell). Its row says who sent it.";
        AlreadySent = "already_sent", Bad, "That event was already sent again (its row says by whom). Nothing was sent.";
        NotUndelivered = "not_undelivered", Bad, "Only an undelivered lifecycle event can be sent again. Nothing was sent.";
        NotFound = "not_found", Bad, "There is no such audit event. Nothing was sent.";
        Gone = "destination_gone", Bad, "Where the event was refused no longer takes it (the console's event bus or webhooks changed). Nothing was sent.";
        RefusedAgain = "refused_again", Bad, "Refused again; the attempt is recorded below. The event stays ready to send later.";
        Unavailable = "unavailable", Bad, "DynamoDB is unavailable; nothing was sent. Try again shortly.";
    }
}

pub use console_core::services::removal::{RemovalStep, StepStatus};

/// Each step with its outcome, as `mark.done,revoke.failed,…` in a URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepReport(pub Vec<(RemovalStep, StepStatus)>);

impl StepReport {
    pub fn code(&self) -> String {
        self.0.iter().map(|(s, o)| format!("{}.{}", s.code(), o.code())).collect::<Vec<_>>().join(",")
    }

    /// Reads a `steps` query; parts it does not know are left out (a URL is anyone's to edit).
    pub fn from_code(q: &str) -> StepReport {
        StepReport(
            q.split(',')
                .filter_map(|part| {
                    let (step, status) = part.split_once('.')?;
                    Some((RemovalStep::from_code(step)?, StepStatus::from_code(status)?))
                })
                .collect(),
        )
    }

    pub fn complete(&self) -> bool {
        self.0.iter().all(|(_, o)| o.ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_win_over_notices_and_unknown_codes_say_nothing() {
        assert_eq!(WorkspaceNotice::from_query(Some("installed"), None), Some(WorkspaceNotice::Installed));
        assert_eq!(WorkspaceNotice::from_query(Some("installed"), Some("webhook_invalid")), Some(WorkspaceNotice::WebhookInvalid));
        assert_eq!(WorkspaceNotice::from_query(Some("<script>"), None), None);
        assert_eq!(WorkspaceNotice::from_query(None, Some("whatever")), None);
        assert_eq!(WorkspaceNotice::from_query(None, Some("installed")), None, "a success code is not an error");
        assert_eq!(LinkNotice::from_query(Some("linked"), Some("conflict")), Some(LinkNotice::Conflict));
    }

    #[test]
    fn every_code_is_unique_and_reads_back() {
        fn check<N: Notice + std::fmt::Debug + PartialEq>() {
            for n in N::ALL {
                assert_eq!(N::from_code(n.code()), Some(*n), "{n:?}");
                let (param, code) = n.query().split_once('=').map(|(a, b)| (a.to_owned(), b.to_owned())).unwrap();
                assert_eq!(param == "notice", n.ok());
                assert_eq!(code, n.code());
            }
        }
        check::<WorkspaceNotice>();
        check::<LinkNotice>();
        check::<UsersNotice>();
        check::<ProjectNotice>();
    }

    #[test]
    fn a_report_round_trips_its_url_form_and_ignores_what_it_does_not_know() {
        let report = StepReport(vec![
            (RemovalStep::MarkRevoked, StepStatus::Done),
            (RemovalStep::RevokeAtLinear, StepStatus::Failed),
            (RemovalStep::DeleteSecret, StepStatus::NotRun),
        ]);
        assert_eq!(report.code(), "mark.done,revoke.failed,secret.notrun");
        assert_eq!(StepReport::from_code(&report.code()), report);
        assert!(!report.complete());
        assert_eq!(StepReport::from_code("mark.done,<script>.done,row.bogus").0, vec![(RemovalStep::MarkRevoked, StepStatus::Done)]);
    }
}
