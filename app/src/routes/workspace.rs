//! `/workspaces/<org id>`: one workspace, everything known about it except its tokens,
//! the outcome of an install or reconnect, and the webhook signing secret form.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::access::may;
use crate::components::copy::CopyButton;
use crate::components::status::{ErrorNotice, HealthBadge, Loading, NoticeBanner, StateBadge, StepsReport};
use crate::functions::{
    get_workspace, get_workspace_drops, search_audit, CheckWorkspace, RefreshWorkspace, RemoveWorkspace, RetryOrphan, SaveWebhookSecret,
};
use crate::identity::Role;
use crate::outcomes::{Notice, WorkspaceNotice};
use crate::relative_time::When;
use crate::routes::incidents::IncidentCard;
use crate::wire::{AuditEntry, AuditQuery, BundleState, RegistryState, WorkspaceDetail};

#[component]
pub fn WorkspacePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let org_id = move || params.read().get("org_id").unwrap_or_default();
    let after = move || crate::outcomes::after_change(&query.read());
    let detail = Resource::new(move || (org_id(), after()), |(org, a)| get_workspace(org, a));
    let history =
        Resource::new(move || (org_id(), after()), |(org, a)| search_audit(AuditQuery { workspace: org, ..AuditQuery::default() }, a));
    let drops = Resource::new(move || (org_id(), after()), |(org, a)| get_workspace_drops(org, a));
    let banner = move || {
        let q = query.read();
        WorkspaceNotice::from_query(q.get("notice").as_deref(), q.get("error").as_deref())
    };
    let webhook_missing = move || query.read().get("webhook").as_deref() == Some("missing");
    let steps = move || query.read().get("steps");
    view! {
        <Title text="Workspace"/>
        <p class="mb-2 text-sm"><a class="text-indigo-700 hover:underline dark:text-indigo-300" href="/workspaces">"← Workspaces"</a></p>
        {move || banner().map(|n| view! { <NoticeBanner good=n.good() text=n.text()/> })}
        {move || steps().map(|steps| view! { <StepsReport steps/> })}
        <Suspense fallback=|| view! { <Loading what="the workspace"/> }>
            {move || detail.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(d) => view! { <Detail d webhook_missing=webhook_missing() retype=banner() == Some(WorkspaceNotice::ConfirmMismatch)/> }.into_any(),
            })}
        </Suspense>
        <Suspense fallback=|| view! { <Loading what="what the platform dropped"/> }>
            {move || drops.get().map(|r| match r {
                // A workspace that is not there is said once, above.
                Err(crate::errors::AppError::NotFound(_)) => ().into_any(),
                Err(e) => view! { <section class="mt-8"><ErrorNotice error=e/></section> }.into_any(),
                Ok(d) => view! { <crate::routes::workspace_drops::Dropped org_id=org_id() d/> }.into_any(),
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
                                <When at=e.at class="text-xs text-slate-500 dark:text-slate-400"/>
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
/// `retype`: the confirmation did not match, so the panel stays open to type it again.
fn Detail(d: WorkspaceDetail, webhook_missing: bool, retype: bool) -> impl IntoView {
    let w = d.summary.clone();
    let title = w.slug.clone().unwrap_or_else(|| w.org_id.clone());
    let (scope, expires, has_tokens, has_webhook) = match &d.bundle {
        BundleState::Present { scope, expires_at, has_tokens, has_webhook_secret } => {
            (scope.clone(), expires_at.clone(), *has_tokens, Some(*has_webhook_secret))
        }
        _ => (None, None, false, None),
    };
    let bundle_state = match &d.bundle {
        BundleState::Present { has_tokens: true, .. } => "present",
        BundleState::Present { .. } => "present, without tokens (vault-managed)",
        BundleState::Missing => "missing",
        BundleState::Unreadable => "unreadable (not the platform's JSON)",
    };
    let ask_webhook = webhook_missing || (has_tokens && has_webhook == Some(false));
    let reconnect = w.org_id.clone();
    // Outside an island each `ActionForm` is a plain form posting to its server function, whose
    // redirect brings the page back rendered afresh with the outcome.
    let check = ServerAction::<CheckWorkspace>::new();
    let refresh = ServerAction::<RefreshWorkspace>::new();
    let remove = ServerAction::<RemoveWorkspace>::new();
    let orphan = ServerAction::<RetryOrphan>::new();
    let webhook = ServerAction::<SaveWebhookSecret>::new();
    let webhook_replace = ServerAction::<SaveWebhookSecret>::new();
    // One copy per form: each form's children own what they show.
    let (org_check, org_refresh, org_orphan, org_webhook, org_remove) =
        (w.org_id.clone(), w.org_id.clone(), w.org_id.clone(), w.org_id.clone(), w.org_id.clone());
    let org_replace = w.org_id.clone();
    let org_link = w.org_id.clone();
    let reconnect_link = ServerAction::<crate::functions::CreateInstallLink>::new();
    let can_act = w.state == RegistryState::Active && !d.vault_managed && may(Role::Operator);
    let admin = may(Role::Admin);
    let confirm_word = w.slug.clone().unwrap_or_else(|| w.org_id.clone());
    let button = "rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";
    let time_row = |label: &'static str, at: Option<String>, note: Option<String>| {
        view! {
            <div class="grid grid-cols-3 gap-4 px-4 py-2">
                <dt class="text-slate-500 dark:text-slate-400">{label}</dt>
                <dd class="col-span-2" data-testid="time-fact">{match at {
                    Some(at) => view! {
                        <When at class="inline"/>
                        {note.map(|n| view! { <span class="text-slate-500 dark:text-slate-400">{format!(" · {n}")}</span> })}
                    }.into_any(),
                    None => "—".into_any(),
                }}</dd>
            </div>
        }
    };
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
                    <ActionForm action=check>
                        <input type="hidden" name="org_id" value=org_check/>
                        <button type="submit" data-testid="check-now" class=button>"Check now"</button>
                    </ActionForm>
                    <ActionForm action=refresh>
                        <input type="hidden" name="org_id" value=org_refresh/>
                        <button type="submit" data-testid="refresh-token" class=button>"Refresh token"</button>
                    </ActionForm>
                })}
                <a href=format!("/workspaces/{}/users", w.org_id) data-testid="users-link" class=button>"Users and links"</a>
                <a href=format!("/workspaces/{}/projects", w.org_id) data-testid="projects-link" class=button>"Projects"</a>
                {admin.then(|| view! {
                    <form method="post" action="/linear/connect">
                        <input type="hidden" name="workspace" value=reconnect/>
                        <button type="submit" data-testid="reconnect" class=button>"Reconnect"</button>
                    </form>
                })}
            </div>
        </header>
        <section data-testid="health-panel" class="mb-6 flex flex-wrap items-start gap-3 rounded-lg border border-slate-200 bg-white p-4 text-sm dark:border-slate-800 dark:bg-slate-900">
            <HealthBadge health=w.health/>
            {w.open_incident.map(|k| view! {
                <a href="#incidents" data-testid="open-incident" class="rounded-full bg-red-600 px-2 py-0.5 text-xs font-medium text-white">{format!("incident: {}", k.label())}</a>
            })}
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
                {admin.then(|| view! {
                    <ActionForm action=orphan>
                        <input type="hidden" name="org_id" value=org_orphan/>
                        <button type="submit" data-testid="orphan-retry" class=button>"Retry deletion"</button>
                    </ActionForm>
                })}
            </div>
        })}
        {(ask_webhook && admin).then(|| view! {
            <section data-testid="webhook-form" class="mb-6 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm dark:border-amber-800 dark:bg-amber-950">
                <h2 class="font-semibold">"Webhook signing secret needed"</h2>
                <p class="mt-1">"The bundle has no webhook signing secret and the stack has none to copy, so the platform cannot verify this workspace's webhooks. Paste it from the Linear app's webhook settings (it starts with lin_wh_). It is stored in the token bundle and never shown again."</p>
                <ActionForm action=webhook attr:class="mt-3 flex flex-wrap gap-2">
                    <input type="hidden" name="org_id" value=org_webhook/>
                    <label class="sr-only" for="webhook_secret">"Webhook signing secret"</label>
                    <input id="webhook_secret" name="webhook_secret" type="password" autocomplete="off" required
                        class="w-80 rounded-md border border-slate-300 px-3 py-1.5 font-mono dark:border-slate-700 dark:bg-slate-900"/>
                    <button type="submit" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white hover:bg-slate-700 dark:bg-slate-100 dark:text-slate-900">"Save secret"</button>
                </ActionForm>
            </section>
        })}
        {(!w.slug_shared_with.is_empty()).then(|| view! {
            <p data-testid="slug-shared" role="alert" class="mb-6 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
                {format!("Another active registry row claims the url key {}: {}. {}", w.slug.clone().unwrap_or_default(), w.slug_shared_with.join(", "), crate::routes::workspaces::SHARED_SLUG_WORDS)}
            </p>
        })}
        {(has_webhook == Some(true) && admin).then(|| view! {
            <details data-testid="replace-webhook" class="mb-6 rounded-lg border border-slate-200 bg-white p-4 text-sm dark:border-slate-800 dark:bg-slate-900">
                <summary class="cursor-pointer font-medium">"Replace webhook signing secret…"</summary>
                <p class="mt-2">"Linear invalidates the old secret the moment it is rotated in the Linear app's webhook settings. Until the platform reads the new one, it answers this workspace's webhooks 401 and drops them: up to 60 seconds after you save here (its bundle cache)."</p>
                <ol class="mt-2 list-decimal pl-5">
                    <li>"Have this form open, then rotate the secret in Linear's webhook settings and copy the new one."</li>
                    <li>"Paste it here and save at once: each second between the two is a second of dropped issues."</li>
                    <li>"A workspace whose bundle has no secret uses the stack-wide one instead, which the platform caches for 5 minutes: replacing it here gives the workspace a secret of its own."</li>
                </ol>
                <ActionForm action=webhook_replace attr:class="mt-3 flex flex-wrap gap-2">
                    <input type="hidden" name="org_id" value=org_replace/>
                    <label class="sr-only" for="new_webhook_secret">"New webhook signing secret"</label>
                    <input id="new_webhook_secret" name="webhook_secret" type="password" autocomplete="off" required data-testid="new-webhook-secret"
                        class="w-80 rounded-md border border-slate-300 px-3 py-1.5 font-mono dark:border-slate-700 dark:bg-slate-900"/>
                    <button type="submit" data-testid="replace-webhook-submit" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white hover:bg-slate-700 dark:bg-slate-100 dark:text-slate-900">"Replace secret"</button>
                </ActionForm>
            </details>
        })}
        <dl data-testid="workspace-facts" class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
            <div class="grid grid-cols-3 gap-4 px-4 py-2">
                <dt class="text-slate-500 dark:text-slate-400">"Organization id"</dt>
                <dd class="col-span-2 break-all font-mono"><span data-testid="org-id">{w.org_id.clone()}</span><CopyButton text=w.org_id.clone() what="organization id".to_string()/></dd>
            </div>
            {row("Slug", w.slug.clone())}
            {row("Registry status", w.raw_status.clone())}
            {time_row("Installed", w.installed_at.clone(), None)}
            {row("Installed by", w.installed_by_email.clone().map(|e| format!("{e} ({})", d.installed_by.clone().unwrap_or_default())).or(d.installed_by.clone()))}
            {time_row("Updated", d.updated_at.clone(), None)}
            {row("Teams", Some(w.team_keys.join(", ")).filter(|t| !t.is_empty()))}
            {row("Token bundle", Some(bundle_state.to_owned()))}
            {row("Scopes", scope)}
            {time_row("Access token expires", expires, None)}
            {time_row("Last check", w.last_check_at.clone(), w.last_check_result.clone())}
            {time_row("Last refresh", w.last_refresh_at.clone(), Some(w.last_refresh_error.clone().map(|e| format!("failed: {e}")).unwrap_or_else(|| "ok".into())))}
            {row("Webhook signing secret", has_webhook.map(|h| if h { "present".to_owned() } else { "missing".to_owned() }))}
            {row("Secret ARN", d.secret_arn.clone())}
            {row("Token vault", Some(if d.vault_managed { "vault-managed (AgentCore)".to_owned() } else { "no".to_owned() }))}
        </dl>
        <section id="incidents" data-testid="health-history" class="mt-8">
            <h2 class="mb-2 text-lg font-semibold">"Health, last 90 days"</h2>
            {d.timeline.clone().map(|src| view! {
                <img data-testid="timeline" src=src alt="Each day's worst health over the last 90 days; marks where incidents opened" width="360" height="24"/>
                <p class="mt-1 text-xs text-slate-500">"One band per day, oldest left: green healthy, blue expiring, amber degraded, red needs reconnect or revoked, grey unchecked; a mark where an incident opened."</p>
            })}
            {if d.incidents.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-500" data-testid="no-incidents">"No incident in the last 90 days."</p> }.into_any()
            } else {
                let act = may(Role::Operator);
                view! { <ul class="mt-3 space-y-3">{d.incidents.clone().into_iter().map(|i| view! { <IncidentCard i act/> }).collect_view()}</ul> }.into_any()
            }}
        </section>
        {admin.then(|| view! {
            <details data-testid="reconnect-link" class="mt-8 rounded-lg border border-slate-200 bg-white p-4 text-sm dark:border-slate-800 dark:bg-slate-900">
                <summary class="cursor-pointer font-medium">"Make a reconnect link for a Linear admin…"</summary>
                <p class="mt-2">"Only a Linear workspace admin can consent again. The link lets one reconnect this workspace without a console account; it works once, for this workspace only, and you are told when it is used."</p>
                <ActionForm action=reconnect_link attr:class="mt-3 flex flex-wrap items-end gap-2">
                    <input type="hidden" name="org_id" value=org_link/>
                    <label class="flex flex-col">"Valid for (hours)"
                        <input name="hours" type="number" min="1" max="168" value="24" class="w-24 rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900"/>
                    </label>
                    <label class="flex flex-col">"A note (optional)"
                        <input name="note" maxlength="500" class="w-80 rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900"/>
                    </label>
                    <button type="submit" data-testid="make-reconnect-link" class=button>"Make reconnect link"</button>
                </ActionForm>
            </details>
        })}
        {admin.then(|| view! {
        <details data-testid="remove-panel" open=retype class="mt-8 rounded-lg border border-red-300 bg-white p-4 text-sm dark:border-red-800 dark:bg-slate-900">
            <summary class="cursor-pointer font-semibold text-red-800 dark:text-red-300">"Revoke or remove this workspace…"</summary>
            <p class="mt-3">"In order, each step reported and audited:"</p>
            <ol class="mt-1 list-decimal pl-5">
                <li>"mark the registry row revoked (reason admin_removed): the platform stops using the workspace first;"</li>
                <li>"revoke the refresh and access tokens at Linear (the app loses access to the workspace);"</li>
                <li>"delete the token bundle from Secrets Manager, without recovery;"</li>
                <li>"optionally, delete this workspace's user links and pending invites;"</li>
                <li>"optionally, deactivate the project mappings that name this workspace (the platform would still route their issues);"</li>
                <li>"Remove only: delete the registry row."</li>
            </ol>
            <p class="mt-2">"Running it again after a failure finishes the job; nothing is done twice."</p>
            <ActionForm action=remove attr:class="mt-4 space-y-3">
                <input type="hidden" name="org_id" value=org_remove/>
                <label class="block">
                    {format!("Type {confirm_word} to confirm")}
                    <input name="confirm" autocomplete="off" required data-testid="confirm-slug"
                        class="mt-1 block w-80 rounded-md border border-slate-300 px-3 py-1.5 font-mono dark:border-slate-700 dark:bg-slate-900"/>
                </label>
                <label class="flex items-center gap-2">
                    <input type="checkbox" name="delete_links" checked/>
                    "Also delete its user links and pending invites"
                </label>
                <label class="flex items-center gap-2">
                    <input type="checkbox" name="deactivate_projects" checked data-testid="deactivate-projects"/>
                    "Also deactivate its project mappings (the platform's own removal leaves them active)"
                </label>
                <div class="flex gap-2">
                    <button type="submit" name="mode" value="revoke" data-testid="revoke"
                        class="rounded-md bg-red-700 px-3 py-1.5 font-medium text-white hover:bg-red-600">"Revoke"</button>
                    <button type="submit" name="mode" value="remove" data-testid="remove"
                        class="rounded-md border border-red-700 px-3 py-1.5 font-medium text-red-800 hover:bg-red-50 dark:text-red-300 dark:hover:bg-red-950">"Remove"</button>
                </div>
            </ActionForm>
        </details>
        })}
    }
}
