//! `/workspaces/<org id>`: one workspace, everything known about it except its tokens,
//! the outcome of an install or reconnect, and the webhook signing secret form.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::status::{ErrorNotice, HealthBadge, Loading, StateBadge, StepsReport};
use crate::components::copy::CopyButton;
use crate::functions::{get_workspace, search_audit};
use crate::wire::{AuditEntry, AuditQuery, BundleView, RegistryState, WorkspaceDetail};

/// The banner for `?notice=` and `?error=` after a redirect back to this page.
pub fn notice_text(notice: Option<&str>, error: Option<&str>) -> Option<(bool, &'static str)> {
    let ok = |m| Some((true, m));
    let bad = |m| Some((false, m));
    match (notice, error) {
        (_, Some("webhook_invalid")) => bad("That is not a Linear webhook signing secret (it starts with lin_wh_ and has no spaces). Nothing was saved."),
        (_, Some("webhook_not_installed")) => bad("This workspace has no token bundle to hold a webhook secret. Connect it first."),
        (_, Some("webhook_refresh_due")) => bad("The platform is about to refresh this workspace's token; saving now could undo that. Try again in five minutes."),
        (_, Some("webhook_unavailable")) => bad("Secrets Manager is unavailable; the webhook secret was not saved. Try again shortly."),
        (Some("installed"), _) => ok("Workspace connected. Its tokens are in Secrets Manager and the platform can use it now."),
        (Some("reconnected"), _) => ok("Workspace reconnected. Its tokens were replaced in place and any revocation was cleared."),
        (Some("webhook_saved"), _) => ok("Webhook signing secret saved."),
        (_, Some("confirm_mismatch")) => bad("The name typed did not match the workspace's slug. Nothing was done."),
        (_, Some("not_found")) => bad("This workspace is not in the registry."),
        (_, Some("not_active")) => bad("The workspace is not active: there is nothing to check or refresh. Reconnect it first."),
        (_, Some("bundle_unusable")) => bad("The token bundle is missing or lacks a field the platform needs. Reconnect the workspace."),
        (_, Some("refresh_unsaved")) => bad("Linear issued new tokens but Secrets Manager refused them three times: the old refresh token is spent. Reconnect the workspace."),
        (_, Some("orphan_in_use")) => bad("The recorded secret is the bundle this active workspace uses; it was not deleted."),
        (_, Some("orphan_retry_failed")) => bad("Secrets Manager still refused to delete the orphaned secret; the error is recorded below. Try again later."),
        (Some("orphan_deleted"), _) => ok("The orphaned secret is deleted and the warning cleared."),
        (Some("orphan_none"), _) => ok("No orphaned secret is recorded for this workspace."),
        (_, Some("action_unavailable")) => bad("DynamoDB or Secrets Manager is unavailable; nothing changed. Try again shortly."),
        (Some("check_ok"), _) => ok("Checked: Linear accepts the stored access token."),
        (Some("check_refused"), _) => bad("Checked: Linear refused the stored access token (see the health below)."),
        (Some("check_degraded"), _) => bad("Checked: Linear did not answer properly (server error, timeout or rate limit). Try again later."),
        (Some("refreshed"), _) => ok("Token refreshed: the new access and refresh tokens are saved in the bundle."),
        (Some("already_refreshed"), _) => ok("Already refreshed: another actor (a platform Lambda) refreshed first; its tokens are in the bundle."),
        (Some("grant_dead"), _) => bad("Linear rejected the refresh token (invalid_grant): the workspace needs reconnecting."),
        (Some("refresh_busy"), _) => bad("Another console instance is refreshing this workspace right now. Try again in a minute."),
        (Some("refresh_failed"), _) => bad("Linear could not refresh the token just now; nothing changed. Try again later."),
        _ => None,
    }
}

#[component]
pub fn WorkspacePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let org_id = move || params.read().get("org_id").unwrap_or_default();
    let detail = Resource::new(org_id, get_workspace);
    let history = Resource::new(org_id, |org| search_audit(AuditQuery { workspace: org, ..AuditQuery::default() }));
    let banner = move || {
        let q = query.read();
        notice_text(q.get("notice").as_deref(), q.get("error").as_deref())
    };
    let webhook_missing = move || query.read().get("webhook").as_deref() == Some("missing");
    let steps = move || query.read().get("steps");
    view! {
        <Title text="Workspace"/>
        <p class="mb-2 text-sm"><a class="text-indigo-700 hover:underline dark:text-indigo-300" href="/workspaces">"← Workspaces"</a></p>
        {move || banner().map(|(ok, text)| {
            let class = if ok {
                "mb-6 rounded-lg border border-emerald-300 bg-emerald-50 p-4 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100"
            } else {
                "mb-6 rounded-lg border border-red-300 bg-red-50 p-4 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
            };
            view! { <div role=if ok { "status" } else { "alert" } data-testid="notice" class=class>{text}</div> }
        })}
        {move || steps().map(|steps| view! { <StepsReport steps/> })}
        <Suspense fallback=|| view! { <Loading what="the workspace"/> }>
            {move || detail.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(d) => view! { <Detail d webhook_missing=webhook_missing()/> }.into_any(),
            })}
        </Suspense>
        <Suspense fallback=|| view! { <Loading what="the workspace's history"/> }>
            {move || history.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(page) => view! { <History org_id=org_id() entries=page.entries/> }.into_any(),
            })}
        </Suspense>
    }
}

/// The latest audit events about this workspace, with a link to all of them.
#[component]
fn History(org_id: String, entries: Vec<AuditEntry>) -> impl IntoView {
    let total = entries.len();
    let all = format!("/audit?workspace={org_id}");
    view! {
        <section data-testid="workspace-history" class="mt-8">
            <h2 class="mb-2 text-lg font-semibold">"History"</h2>
            {if entries.is_empty() {
                view! { <p class="text-sm text-slate-500 dark:text-slate-400">"No audited changes to this workspace yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
                        {entries.into_iter().take(10).map(|e| view! {
                            <li data-testid="history-entry" class="flex flex-wrap gap-x-3 px-4 py-2">
                                <span class="font-mono text-xs text-slate-500 dark:text-slate-400">{e.at}</span>
                                <span class="font-medium">{e.action}</span>
                                <span>{e.outcome}</span>
                                <span class="text-slate-500 dark:text-slate-400">{e.actor_email.or(e.actor_sub).unwrap_or_default()}</span>
                                <span class="w-full text-xs text-slate-600 dark:text-slate-400">{e.detail.unwrap_or_default()}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <p class="mt-2 text-sm"><a class="text-indigo-700 hover:underline dark:text-indigo-300" href=all>
                {if total > 10 { "All events about this workspace →" } else { "Open in the audit log →" }}
            </a></p>
        </section>
    }
}

#[component]
fn Detail(d: WorkspaceDetail, webhook_missing: bool) -> impl IntoView {
    let w = d.summary.clone();
    let title = w.slug.clone().unwrap_or_else(|| w.org_id.clone());
    let (scope, expires, has_tokens, has_webhook) = match &d.bundle {
        BundleView::Present { scope, expires_at, has_tokens, has_webhook_secret } => {
            (scope.clone(), expires_at.clone(), *has_tokens, Some(*has_webhook_secret))
        }
        _ => (None, None, false, None),
    };
    let bundle_state = match &d.bundle {
        BundleView::Present { has_tokens: true, .. } => "present",
        BundleView::Present { .. } => "present, without tokens (vault-managed)",
        BundleView::Missing => "missing",
        BundleView::Unreadable => "unreadable (not the platform's JSON)",
    };
    let ask_webhook = webhook_missing || (has_tokens && has_webhook == Some(false));
    let reconnect = format!("/linear/connect?workspace={}", w.org_id);
    let webhook_action = format!("/workspaces/{}/webhook-secret", w.org_id);
    let check_action = format!("/workspaces/{}/check", w.org_id);
    let refresh_action = format!("/workspaces/{}/refresh", w.org_id);
    let can_act = w.state == RegistryState::Active && !d.vault_managed;
    let remove_action = format!("/workspaces/{}/remove", w.org_id);
    let orphan_action = format!("/workspaces/{}/orphan/retry", w.org_id);
    let confirm_word = w.slug.clone().unwrap_or_else(|| w.org_id.clone());
    let button = "rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";
    let row = |label: &'static str, value: Option<String>| {
        view! {
            <div class="grid grid-cols-3 gap-4 px-4 py-2">
                <dt class="text-slate-500 dark:text-slate-400">{label}</dt>
                <dd class="col-span-2 break-all">{value.unwrap_or_else(|| "—".into())}</dd>
            </div>
        }
    };
    view! {
        <Title text=title.clone()/>
        <header class="mb-6 flex flex-wrap items-center gap-3">
            <h1 data-testid="workspace-title" class="text-2xl font-semibold tracking-tight">{title}</h1>
            <StateBadge state=w.state raw=w.raw_status.clone()/>
            {w.name.clone().map(|n| view! { <span class="text-slate-500 dark:text-slate-400">{n}</span> })}
            <div class="ml-auto flex flex-wrap gap-2">
                {can_act.then(|| view! {
                    <form method="post" action=check_action><button type="submit" data-testid="check-now" class=button>"Check now"</button></form>
                    <form method="post" action=refresh_action><button type="submit" data-testid="refresh-token" class=button>"Refresh token"</button></form>
                })}
                <a href=format!("/workspaces/{}/users", w.org_id) data-testid="users-link" class=button>"Users and links"</a>
                <a href=reconnect rel="external" data-testid="reconnect" class=button>"Reconnect"</a>
            </div>
        </header>
        <section data-testid="health-panel" class="mb-6 flex flex-wrap items-start gap-3 rounded-lg border border-slate-200 bg-white p-4 text-sm dark:border-slate-800 dark:bg-slate-900">
            <HealthBadge health=w.health/>
            <div>
                <p>{w.health.explanation()}</p>
                <p class="mt-1 text-slate-500 dark:text-slate-400">{format!("What to do: {}", w.health.action())}</p>
            </div>
        </section>
        {(w.state == RegistryState::Revoked).then(|| view! {
            <p class="mb-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
                {format!("Revoked{}{}. Reconnect to install it again.",
                    d.revoked_reason.clone().map(|r| format!(" ({r})")).unwrap_or_default(),
                    d.revoked_at.clone().map(|a| format!(" at {a}")).unwrap_or_default())}
            </p>
        })}
        {d.orphaned_secret_arn.clone().map(|arn| view! {
            <div data-testid="orphan-warning" class="mb-4 flex flex-wrap items-center gap-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
                <p class="flex-1">
                    {format!("A token bundle could not be deleted and is still in Secrets Manager: {arn}")}
                    {d.orphan_error.clone().map(|e| view! { <span class="block text-xs">{format!("Last error: {e}")}</span> })}
                </p>
                <form method="post" action=orphan_action.clone()>
                    <button type="submit" data-testid="orphan-retry" class=button>"Retry deletion"</button>
                </form>
            </div>
        })}
        {ask_webhook.then(|| view! {
            <section data-testid="webhook-form" class="mb-6 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm dark:border-amber-800 dark:bg-amber-950">
                <h2 class="font-semibold">"Webhook signing secret needed"</h2>
                <p class="mt-1">"The bundle has no webhook signing secret and the stack has none to copy, so the platform cannot verify this workspace's webhooks. Paste it from the Linear app's webhook settings (it starts with lin_wh_). It is stored in the token bundle and never shown again."</p>
                <form method="post" action=webhook_action class="mt-3 flex flex-wrap gap-2">
                    <label class="sr-only" for="webhook_secret">"Webhook signing secret"</label>
                    <input id="webhook_secret" name="webhook_secret" type="password" autocomplete="off" required
                        class="w-80 rounded-md border border-slate-300 px-3 py-1.5 font-mono dark:border-slate-700 dark:bg-slate-900"/>
                    <button type="submit" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white hover:bg-slate-700 dark:bg-slate-100 dark:text-slate-900">"Save secret"</button>
                </form>
            </section>
        })}
        <dl data-testid="workspace-facts" class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
            <div class="grid grid-cols-3 gap-4 px-4 py-2">
                <dt class="text-slate-500 dark:text-slate-400">"Organization id"</dt>
                <dd class="col-span-2 break-all font-mono"><span data-testid="org-id">{w.org_id.clone()}</span><CopyButton text=w.org_id.clone() what="organization id"/></dd>
            </div>
            {row("Slug", w.slug.clone())}
            {row("Registry status", w.raw_status.clone())}
            {row("Installed at", w.installed_at.clone())}
            {row("Installed by", w.installed_by_email.clone().map(|e| format!("{e} ({})", d.installed_by.clone().unwrap_or_default())).or(d.installed_by.clone()))}
            {row("Updated at", d.updated_at.clone())}
            {row("Teams", Some(w.team_keys.join(", ")).filter(|t| !t.is_empty()))}
            {row("Token bundle", Some(bundle_state.to_owned()))}
            {row("Scopes", scope)}
            {row("Access token expires at", expires)}
            {row("Last check", w.last_check_at.clone().map(|at| format!("{at} ({})", w.last_check_result.clone().unwrap_or_default())))}
            {row("Last refresh", w.last_refresh_at.clone().map(|at| match &w.last_refresh_error {
                Some(e) => format!("{at} (failed: {e})"),
                None => format!("{at} (ok)"),
            }))}
            {row("Webhook signing secret", has_webhook.map(|h| if h { "present".to_owned() } else { "missing".to_owned() }))}
            {row("Secret ARN", d.secret_arn.clone())}
            {row("Token vault", Some(if d.vault_managed { "vault-managed (AgentCore)".to_owned() } else { "no".to_owned() }))}
        </dl>
        <details data-testid="remove-panel" class="mt-8 rounded-lg border border-red-300 bg-white p-4 text-sm dark:border-red-800 dark:bg-slate-900">
            <summary class="cursor-pointer font-semibold text-red-800 dark:text-red-300">"Revoke or remove this workspace…"</summary>
            <p class="mt-3">"In order, each step reported and audited:"</p>
            <ol class="mt-1 list-decimal pl-5">
                <li>"revoke the refresh and access tokens at Linear (the app loses access to the workspace);"</li>
                <li>"mark the registry row revoked (reason admin_removed): the platform stops accepting the workspace;"</li>
                <li>"delete the token bundle from Secrets Manager, without recovery;"</li>
                <li>"optionally, delete this workspace's user links and pending invites;"</li>
                <li>"Remove only: delete the registry row."</li>
            </ol>
            <p class="mt-2">"Running it again after a failure finishes the job; nothing is done twice."</p>
            <form method="post" action=remove_action class="mt-4 space-y-3">
                <label class="block">
                    {format!("Type {confirm_word} to confirm")}
                    <input name="confirm" autocomplete="off" required data-testid="confirm-slug"
                        class="mt-1 block w-80 rounded-md border border-slate-300 px-3 py-1.5 font-mono dark:border-slate-700 dark:bg-slate-900"/>
                </label>
                <label class="flex items-center gap-2">
                    <input type="checkbox" name="delete_links" checked/>
                    "Also delete its user links and pending invites"
                </label>
                <div class="flex gap-2">
                    <button type="submit" name="mode" value="revoke" data-testid="revoke"
                        class="rounded-md bg-red-700 px-3 py-1.5 font-medium text-white hover:bg-red-600">"Revoke"</button>
                    <button type="submit" name="mode" value="remove" data-testid="remove"
                        class="rounded-md border border-red-700 px-3 py-1.5 font-medium text-red-800 hover:bg-red-50 dark:text-red-300 dark:hover:bg-red-950">"Remove"</button>
                </div>
            </form>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_win_over_notices_and_unknown_codes_say_nothing() {
        assert_eq!(notice_text(Some("installed"), None).map(|n| n.0), Some(true));
        assert_eq!(notice_text(Some("installed"), Some("webhook_invalid")).map(|n| n.0), Some(false));
        assert_eq!(notice_text(Some("<script>"), None), None);
        assert_eq!(notice_text(None, Some("whatever")), None);
    }
}
