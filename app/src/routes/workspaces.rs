//! `/workspaces`: the Linear workspaces in the platform's registry.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::status::{ErrorNotice, HealthBadge, Loading, PageHeader, StateBadge, StepsReport};
use leptos_router::hooks::use_query_map;
use crate::functions::list_workspaces;
use crate::wire::WorkspaceSummary;

#[component]
pub fn WorkspacesPage() -> impl IntoView {
    let rows = Resource::new(|| (), |_| list_workspaces());
    let query = use_query_map();
    let removed = move || query.read().get("steps").map(|steps| (query.read().get("removed").unwrap_or_default(), steps));
    view! {
        <Title text="Workspaces"/>
        <div class="flex flex-wrap items-start justify-between gap-4">
            <PageHeader title="Workspaces" subtitle="Linear workspaces in the platform's registry, as its Lambdas read them."/>
            <a href="/workspaces/connect" data-testid="connect-workspace"
                class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500">
                "Connect Linear workspace"
            </a>
        </div>
        {move || removed().map(|(slug, steps)| view! {
            <p data-testid="removed" class="mb-2 text-sm font-medium">{format!("Removed {slug}.")}</p>
            <StepsReport steps/>
        })}
        <Suspense fallback=|| view! { <Loading what="workspaces"/> }>
            {move || rows.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <p data-testid="empty" class="rounded-lg border border-dashed border-slate-300 p-8 text-center text-sm text-slate-500 dark:border-slate-700">
                        "No workspace is registered yet."
                    </p>
                }.into_any(),
                Ok(list) => view! { <WorkspaceTable rows=list/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn WorkspaceTable(rows: Vec<WorkspaceSummary>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
            <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                <thead class="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500 dark:bg-slate-900 dark:text-slate-400">
                    <tr>
                        <th class="px-4 py-2">"Workspace"</th>
                        <th class="px-4 py-2">"Organization id"</th>
                        <th class="px-4 py-2">"Health"</th>
                        <th class="px-4 py-2">"Registry status"</th>
                        <th class="px-4 py-2">"Token expires"</th>
                        <th class="px-4 py-2">"Last check"</th>
                        <th class="px-4 py-2">"Last refresh"</th>
                        <th class="px-4 py-2">"Installed"</th>
                        <th class="px-4 py-2">"Teams"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
                    {rows.into_iter().map(|w| view! {
                        <tr data-testid="workspace-row">
                            <td class="px-4 py-2">
                                <a class="font-medium text-indigo-700 hover:underline dark:text-indigo-300" href=format!("/workspaces/{}", w.org_id)>
                                    {w.slug.clone().unwrap_or_else(|| "—".into())}
                                </a>
                                {w.name.clone().map(|n| view! { <span class="block text-xs text-slate-500 dark:text-slate-400">{n}</span> })}
                            </td>
                            <td class="px-4 py-2 font-mono text-xs">{w.org_id.clone()}</td>
                            <td class="px-4 py-2"><HealthBadge health=w.health/></td>
                            <td class="px-4 py-2"><StateBadge state=w.state raw=w.raw_status.clone()/></td>
                            <td class="px-4 py-2 font-mono text-xs">{w.token_expires_at.clone().unwrap_or_else(|| "—".into())}</td>
                            <td class="px-4 py-2 text-xs">{w.last_check_at.clone().map(|a| format!("{a} · {}", w.last_check_result.clone().unwrap_or_default())).unwrap_or_else(|| "—".into())}</td>
                            <td class="px-4 py-2 text-xs">{w.last_refresh_at.clone().map(|a| match &w.last_refresh_error { Some(e) => format!("{a} · {e}"), None => format!("{a} · ok") }).unwrap_or_else(|| "—".into())}</td>
                            <td class="px-4 py-2 text-slate-600 dark:text-slate-400">{w.installed_at.clone().unwrap_or_default()}</td>
                            <td class="px-4 py-2">{w.team_keys.join(", ")}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
