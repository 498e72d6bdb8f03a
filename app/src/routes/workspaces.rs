//! `/workspaces`: the Linear workspaces in the platform's registry.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::status::{ErrorNotice, HealthBadge, Loading, PageHeader, StateBadge, StepsReport};
use leptos_router::hooks::use_query_map;
use crate::functions::list_workspaces;
use crate::wire::{Health, WorkspaceSummary};

/// The view asked for in the URL: `?q=` (slug or name), `?status=` (a health code), `?sort=`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    pub q: String,
    pub status: Option<Health>,
    pub sort: Sort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Name,
    /// Worst health first.
    Health,
    /// Soonest token expiry first.
    Expiry,
    /// Newest install first.
    Installed,
}

impl Sort {
    pub const ALL: [(Sort, &'static str, &'static str); 4] = [
        (Sort::Name, "name", "Name"),
        (Sort::Health, "health", "Health (worst first)"),
        (Sort::Expiry, "expiry", "Token expiry (soonest first)"),
        (Sort::Installed, "installed", "Installed (newest first)"),
    ];

    pub fn code(self) -> &'static str {
        Sort::ALL.iter().find(|s| s.0 == self).map_or("name", |s| s.1)
    }

    pub fn from_code(code: &str) -> Sort {
        Sort::ALL.iter().find(|s| s.1 == code).map_or(Sort::Name, |s| s.0)
    }
}

fn severity(h: Health) -> u8 {
    match h {
        Health::NeedsReconnect => 0,
        Health::NotRegistered => 1,
        Health::Degraded => 2,
        Health::ExpiredRefreshable => 3,
        Health::ExpiringSoon => 4,
        Health::Revoked => 5,
        Health::Healthy => 6,
        Health::VaultManaged => 7,
    }
}

/// Applies the view to the rows: pure, so the URL's meaning is unit-tested.
pub fn apply(rows: Vec<WorkspaceSummary>, view: &View) -> Vec<WorkspaceSummary> {
    let q = view.q.trim().to_lowercase();
    let mut out: Vec<WorkspaceSummary> = rows
        .into_iter()
        .filter(|w| view.status.is_none_or(|s| w.health == s))
        .filter(|w| {
            q.is_empty()
                || w.slug.as_deref().is_some_and(|s| s.to_lowercase().contains(&q))
                || w.name.as_deref().is_some_and(|n| n.to_lowercase().contains(&q))
                || w.org_id.starts_with(&q)
        })
        .collect();
    let name = |w: &WorkspaceSummary| (w.slug.clone().unwrap_or_default(), w.org_id.clone());
    match view.sort {
        Sort::Name => out.sort_by_key(name),
        Sort::Health => out.sort_by_key(|w| (severity(w.health), name(w))),
        // ISO-8601 UTC sorts as time; unknown expiry last.
        Sort::Expiry => out.sort_by_key(|w| (w.token_expires_at.is_none(), w.token_expires_at.clone(), name(w))),
        Sort::Installed => out.sort_by(|a, b| b.installed_at.cmp(&a.installed_at).then_with(|| name(a).cmp(&name(b)))),
    }
    out
}

#[component]
pub fn WorkspacesPage() -> impl IntoView {
    let rows = Resource::new(|| (), |_| list_workspaces());
    let query = use_query_map();
    let removed = move || query.read().get("steps").map(|steps| (query.read().get("removed").unwrap_or_default(), steps));
    let view = move || {
        let q = query.read();
        View {
            q: q.get("q").unwrap_or_default(),
            status: q.get("status").and_then(|s| Health::from_code(&s)),
            sort: Sort::from_code(&q.get("sort").unwrap_or_default()),
        }
    };
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
                Ok(list) => {
                    let v = view();
                    let summary = Summary::of(&list);
                    let shown = apply(list, &v);
                    view! {
                        <SummaryStrip summary/>
                        <Filters view=v/>
                        {if shown.is_empty() {
                            view! { <p data-testid="no-match" class="p-6 text-center text-sm text-slate-500">"No workspace matches this view."</p> }.into_any()
                        } else {
                            view! { <WorkspaceTable rows=shown/> }.into_any()
                        }}
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// Count per health state, and how many need attention.
pub struct Summary {
    pub counts: Vec<(Health, usize)>,
    pub attention: usize,
}

impl Summary {
    pub fn of(rows: &[WorkspaceSummary]) -> Summary {
        let counts = Health::ALL.iter().map(|h| (*h, rows.iter().filter(|w| w.health == *h).count())).filter(|(_, n)| *n > 0).collect();
        Summary { counts, attention: rows.iter().filter(|w| w.health.needs_attention()).count() }
    }
}

#[component]
fn SummaryStrip(summary: Summary) -> impl IntoView {
    view! {
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
fn Filters(view: View) -> impl IntoView {
    let field = "rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900";
    view! {
        <form method="get" action="/workspaces" data-testid="filters" class="mb-4 flex flex-wrap items-end gap-3 text-sm">
            <label class="flex flex-col">"Search"
                <input name="q" value=view.q.clone() placeholder="slug or name" data-testid="filter-q" class=field/>
            </label>
            <label class="flex flex-col">"Health"
                <select name="status" data-testid="filter-status" class=field>
                    <option value="" selected=view.status.is_none()>"Any"</option>
                    {Health::ALL.into_iter().map(|h| view! {
                        <option value=h.code() selected=view.status == Some(h)>{h.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col">"Sort"
                <select name="sort" data-testid="filter-sort" class=field>
                    {Sort::ALL.into_iter().map(|(s, code, label)| view! {
                        <option value=code selected=view.sort == s>{label}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" data-testid="apply" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white dark:bg-slate-100 dark:text-slate-900">"Apply"</button>
            <a href="/workspaces" class="py-1.5 text-slate-500 underline">"Clear"</a>
        </form>
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::RegistryState;

    fn ws(slug: &str, health: Health, expires: Option<&str>, installed: &str) -> WorkspaceSummary {
        WorkspaceSummary {
            org_id: format!("id-{slug}"),
            slug: Some(slug.into()),
            name: Some(format!("{slug} Inc")),
            state: RegistryState::Active,
            raw_status: Some("active".into()),
            installed_at: Some(installed.into()),
            team_keys: vec![],
            health,
            token_expires_at: expires.map(str::to_owned),
            last_check_at: None,
            last_check_result: None,
            last_refresh_at: None,
            last_refresh_error: None,
            installed_by: None,
        }
    }

    fn slugs(rows: &[WorkspaceSummary]) -> Vec<&str> {
        rows.iter().map(|w| w.slug.as_deref().unwrap()).collect()
    }

    #[test]
    fn search_filter_and_sort_follow_the_url() {
        let rows = vec![
            ws("globex", Health::Healthy, Some("2026-11-24T10:00:00Z"), "2026-01-01"),
            ws("acme", Health::NeedsReconnect, Some("2026-11-23T10:00:00Z"), "2026-03-01"),
            ws("initech", Health::Degraded, None, "2026-02-01"),
        ];
        let v = |q: &str, status: Option<Health>, sort: Sort| View { q: q.into(), status, sort };
        assert_eq!(slugs(&apply(rows.clone(), &View::default())), ["acme", "globex", "initech"]);
        assert_eq!(slugs(&apply(rows.clone(), &v("GLOB", None, Sort::Name))), ["globex"], "case-insensitive slug search");
        assert_eq!(slugs(&apply(rows.clone(), &v("initech inc", None, Sort::Name))), ["initech"], "name search");
        assert_eq!(slugs(&apply(rows.clone(), &v("", Some(Health::Degraded), Sort::Name))), ["initech"]);
        assert_eq!(slugs(&apply(rows.clone(), &v("", None, Sort::Health))), ["acme", "initech", "globex"]);
        assert_eq!(slugs(&apply(rows.clone(), &v("", None, Sort::Expiry))), ["acme", "globex", "initech"]);
        assert_eq!(slugs(&apply(rows.clone(), &v("", None, Sort::Installed))), ["acme", "initech", "globex"]);
        assert_eq!(Sort::from_code("nonsense"), Sort::Name);
        let s = Summary::of(&rows);
        assert_eq!(s.attention, 2);
        assert_eq!(s.counts.len(), 3);
    }
}
