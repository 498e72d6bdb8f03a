//! `/workspaces`: the Linear workspaces in the platform's registry.
use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_query_map;

use crate::components::access::Can;
use crate::components::copy::CopyButton;
use crate::components::export::ExportLinks;
use crate::components::status::{ErrorNotice, HealthBadge, Loading, PageHeader, StateBadge, StepsReport};
use crate::drops_view::DropsSummary;
use crate::errors::AppError;
use crate::functions::{get_drops_summary, workspace_list};
use crate::identity::Role;
use crate::registry_view::{RegistryQuery, Sort, Summary};
use crate::relative_time::When;
use crate::wire::{Health, WorkspaceSummary};

#[component]
pub fn WorkspacesPage() -> impl IntoView {
    let query = use_query_map();
    let registry_query = move || RegistryQuery::from_params(&query.read());
    let after = move || crate::outcomes::after_change(&query.read());
    let rows = Resource::new(
        move || (registry_query(), after()),
        |(q, a)| {
            let q = q.map_err(AppError::bad_view);
            async move { workspace_list(q?, a).await }
        },
    );
    let drops = Resource::new(after, get_drops_summary);
    let removed = move || query.read().get("steps").map(|steps| (query.read().get("removed").unwrap_or_default(), steps));
    view! {
        <Title text="Workspaces"/>
        <div class="flex flex-wrap items-start justify-between gap-4">
            <PageHeader title="Workspaces" subtitle="Linear workspaces in the platform's registry, as its Lambdas read them."/>
            <Can role=Role::Admin>
                <a href="/workspaces/connect" data-testid="connect-workspace"
                    class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500">
                    "Connect Linear workspace"
                </a>
            </Can>
        </div>
        {move || removed().map(|(slug, steps)| view! {
            <p data-testid="removed" class="mb-2 text-sm font-medium">{format!("Removed {slug}.")}</p>
            <StepsReport steps/>
        })}
        <Suspense fallback=|| ()>
            {move || drops.get().map(|r| match r {
                Ok(d) => view! { <DropsStrip d/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </Suspense>
        <Suspense fallback=|| view! { <Loading what="workspaces"/> }>
            {move || rows.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(list) if list.summary.counts.is_empty() => view! {
                    <p data-testid="empty" class="rounded-lg border border-dashed border-slate-300 p-8 text-center text-sm text-slate-500 dark:border-slate-700">
                        "No workspace is registered yet."
                    </p>
                }.into_any(),
                Ok(list) => {
                    let v = registry_query().unwrap_or_default();
                    let pager = Pager::new(&v, list.page, list.pages, list.matching);
                    let (revoked, gone) = list.orphan_mappings;
                    let orphans = (revoked + gone > 0).then(|| view! {
                        <p data-testid="orphan-mappings" class="mb-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
                            {format!(
                                "Active project mappings that do nothing: {revoked} name a revoked workspace (the platform answers its webhooks 401), {gone} a workspace no longer in the registry. Deactivate them from the workspace's Projects page, or when removing a workspace."
                            )}
                        </p>
                    });
                    view! {
                        {orphans}
                        <SummaryStrip summary=list.summary/>
                        <Filters view=v/>
                        {if list.rows.is_empty() {
                            view! { <p data-testid="no-match" class="p-6 text-center text-sm text-slate-500">"No workspace matches this view."</p> }.into_any()
                        } else {
                            view! { <WorkspaceTable rows=list.rows as_of=list.as_of/> {pager.view()} }.into_any()
                        }}
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// Links to the previous and next page, keeping the rest of the view.
struct Pager {
    prev: Option<String>,
    next: Option<String>,
    label: String,
}

impl Pager {
    fn new(q: &RegistryQuery, page: usize, pages: usize, matching: usize) -> Pager {
        let link = |p: usize| format!("/workspaces?{}", q.to_query_at(p));
        Pager {
            prev: (page > 0).then(|| link(page - 1)),
            next: (page + 1 < pages).then(|| link(page + 1)),
            label: format!("Page {} of {pages} · {matching} workspaces", page + 1),
        }
    }

    fn view(self) -> impl IntoView {
        view! {
            <nav aria-label="Pages" class="mt-3 flex items-center gap-4 text-sm">
                <span data-testid="page-label" class="text-slate-500">{self.label}</span>
                {self.prev.map(|h| view! { <a href=h class="underline">"← Previous"</a> })}
                {self.next.map(|h| view! { <a href=h data-testid="next-page" class="underline">"Next →"</a> })}
            </nav>
        }
    }
}

/// What the platform does with a url key two active rows claim.
pub const SHARED_SLUG_WORDS: &str = "The platform's CLI and its remove-workspace API find a workspace by url key with one filtered Scan of the registry: with two active rows claiming the key they may act on either. Revoke or remove the stale one.";

#[component]
fn SummaryStrip(summary: Summary) -> impl IntoView {
    let shared = (!summary.shared_slugs.is_empty()).then(|| view! {
        <p data-testid="shared-slugs" role="alert" class="mb-3 w-full rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
            {format!("Url key claimed by more than one active row: {}. {SHARED_SLUG_WORDS}", summary.shared_slugs.join(", "))}
        </p>
    });
    view! {
        {shared}
        <nav data-testid="summary" aria-label="Health summary" class="mb-4 flex flex-wrap gap-2 text-sm">
            <span data-testid="attention" class="rounded-md bg-red-50 px-3 py-1 font-medium text-red-800 dark:bg-red-950 dark:text-red-200">
                {format!("{} need attention", summary.attention)}
            </span>
            {summary.counts.into_iter().map(|(h, n)| view! {
                <a href=format!("/workspaces?status={}", h.code()) data-testid="summary-count" data-health=h.code()
                    class="rounded-md border border-slate-200 px-3 py-1 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
                    {format!("{}: {n}", h.label())}
                </a>
            }).collect_view()}
        </nav>
    }
}

/// A plain GET form: the view lives in the URL, so it survives reload and can be shared.
#[component]
fn Filters(view: RegistryQuery) -> impl IntoView {
    let field = "rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900";
    view! {
        <form method="get" action="/workspaces" data-testid="filters" class="mb-4 flex flex-wrap items-end gap-3 text-sm">
            <label class="flex flex-col">"Search"
                <input name="q" value=view.q.clone() placeholder="slug or name" data-testid="filter-q" class=field/>
            </label>
            <label class="flex flex-col">"Health"
                <select name="status" data-testid="filter-status" class=field>
                    <option value="" selected=view.status.is_none()>"Any"</option>
                    {Health::ALL.iter().copied().map(|h| view! {
                        <option value=h.code() selected=view.status == Some(h)>{h.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col">"Sort"
                <select name="sort" data-testid="filter-sort" class=field>
                    {Sort::ALL.iter().copied().map(|s| view! {
                        <option value=s.code() selected=view.sort == s>{s.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" data-testid="apply" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white dark:bg-slate-100 dark:text-slate-900">"Apply"</button>
            <a href="/workspaces" class="py-1.5 text-slate-500 underline">"Clear"</a>
            <span class="ml-auto"><ExportLinks base="/workspaces" query=view.to_query_at(0)/></span>
        </form>
    }
}

/// An organization id as the table shows it: its first 8 characters (the whole on hover, and copied).
fn short_id(id: &str) -> String {
    match id.char_indices().nth(8) {
        Some((i, _)) => format!("{}…", &id[..i]),
        None => id.to_owned(),
    }
}

#[component]
fn WorkspaceTable(rows: Vec<WorkspaceSummary>, as_of: String) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
            <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                <thead class="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500 dark:bg-slate-900 dark:text-slate-400">
                    <tr>
                        <th class="px-3 py-2">"Workspace"</th>
                        <th class="px-3 py-2">"Organization id"</th>
                        <th class="px-3 py-2">"Health"</th>
                        <th class="px-3 py-2">"Registry status"</th>
                        <th class="px-3 py-2">"Token expires"</th>
                        <th class="px-3 py-2">"Last check"</th>
                        <th class="px-3 py-2">"Last refresh"</th>
                        <th class="px-3 py-2">"Installed"</th>
                        <th class="px-3 py-2">"Teams"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
                    {rows.into_iter().map(|w| view! {
                        <tr data-testid="workspace-row">
                            <td class="px-3 py-2">
                                <a class="font-medium text-indigo-700 hover:underline dark:text-indigo-300" href=format!("/workspaces/{}", w.org_id)>
                                    {w.slug.clone().unwrap_or_else(|| "—".into())}
                                </a>
                                {w.name.clone().map(|n| view! { <span class="block text-xs text-slate-500 dark:text-slate-400">{n}</span> })}
                                {(!w.slug_shared_with.is_empty()).then(|| view! {
                                    <span data-testid="slug-shared" title=format!("Also claimed by {}. {SHARED_SLUG_WORDS}", w.slug_shared_with.join(", "))
                                        class="mt-1 inline-block rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-900 dark:text-amber-100">"url key claimed twice"</span>
                                })}
                            </td>
                            <td class="whitespace-nowrap px-3 py-2 font-mono text-xs">
                                <span data-testid="org-id" title=w.org_id.clone()>{short_id(&w.org_id)}</span>
                                <CopyButton text=w.org_id.clone() what="organization id".to_string()/>
                            </td>
                            <td class="px-3 py-2">
                                <div class="flex flex-wrap items-center gap-1">
                                    <HealthBadge health=w.health/>
                                    {w.open_incident.map(|k| view! {
                                        <a href=format!("/incidents?workspace={}", w.org_id) data-testid="open-incident" title="An open incident: see Incidents"
                                            class="rounded-full bg-red-600 px-2 py-0.5 text-xs font-medium text-white">{format!("incident: {}", k.label())}</a>
                                    })}
                                </div>
                                {w.spark.clone().map(|src| view! { <img data-testid="spark" src=src alt="The last 7 days' health" width="70" height="16" class="mt-1"/> })}
                            </td>
                            <td class="px-3 py-2"><StateBadge state=w.state raw=w.raw_status.clone()/></td>
                            <td class="whitespace-nowrap px-3 py-2 text-xs" data-testid="expires">{match w.token_expires_at.clone() {
                                Some(at) => view! { <When at now=as_of.clone() class="inline"/> }.into_any(),
                                None => "—".into_any(),
                            }}</td>
                            <td class="px-3 py-2 text-xs">{w.last_check_at.clone().map(|a| view! {
                                <When at=a now=as_of.clone() class="whitespace-nowrap"/>
                                <span class="text-slate-500 dark:text-slate-400">{w.last_check_result.clone().unwrap_or_default()}</span>
                            }.into_any()).unwrap_or_else(|| "—".into_any())}</td>
                            <td class="px-3 py-2 text-xs">{w.last_refresh_at.clone().map(|a| view! {
                                <When at=a now=as_of.clone() class="whitespace-nowrap"/>
                                <span class="text-slate-500 dark:text-slate-400">{w.last_refresh_error.clone().unwrap_or_else(|| "ok".into())}</span>
                            }.into_any()).unwrap_or_else(|| "—".into_any())}</td>
                            <td class="px-3 py-2 text-xs text-slate-600 dark:text-slate-400">
                                {w.installed_at.clone().map(|at| view! { <When at now=as_of.clone() class="whitespace-nowrap"/> })}
                                <span class="block break-all" data-testid="installed-by">{w.installed_by_email.clone().or(w.installed_by.clone()).unwrap_or_else(|| "—".into())}</span>
                            </td>
                            <td class="px-3 py-2">{w.team_keys.join(", ")}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// *Dropped in the last 7 days* across workspaces: how many requests the platform ignored, and
/// the workspaces whose people it ignored (each a link to its page, where the buttons are).
#[component]
fn DropsStrip(d: DropsSummary) -> impl IntoView {
    if d.source.is_none() || d.total == 0 {
        return ().into_any();
    }
    let text = format!(
        "Dropped in the last {} days: {} requests the platform ignored — {} by people not linked, {} in projects not mapped, {} in no project{}.",
        d.days,
        d.total,
        d.people,
        d.unmapped_projects,
        d.no_project,
        if d.unattributable > 0 { format!(", {} without organization or actor", d.unattributable) } else { String::new() }
    );
    view! {
        <div data-testid="drops-overview" class="mb-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
            <p data-testid="drops-overview-total">{text}</p>
            {(!d.per_workspace.is_empty()).then(|| view! {
                <p class="mt-1 flex flex-wrap gap-x-3">
                    "People not linked, by workspace:"
                    {d.per_workspace.into_iter().map(|(org, name, n)| view! {
                        <a data-testid="drops-workspace" data-org=org.clone() class="font-medium underline" href=format!("/workspaces/{org}#drops")>
                            {format!("{name} {n}")}
                        </a>
                    }).collect_view()}
                </p>
            })}
        </div>
    }
    .into_any()
}
