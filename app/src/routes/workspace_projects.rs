//! `/workspaces/<org id>/projects`: every Linear project of a workspace with the repository the
//! platform routes its issues to. Map one project or several, change, deactivate, reactivate;
//! the repositories the platform has onboarded are offered, and a mapping to one it has not is
//! warned about in the platform's own words. Every form posts to the server and works before the
//! wasm has loaded.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::access::may;
use crate::components::export::ExportLinks;
use crate::components::status::{ErrorNotice, Loading, NoticeBanner};
use crate::components::table::{PageNav, Table};
use crate::errors::AppError;
use crate::functions::{get_workspace_projects, MapProject, MapProjects, ReloadProjects, SetProjectStatus};
use crate::identity::Role;
use crate::outcomes::{Notice, ProjectNotice};
use crate::projects_view::{MappingView, ProjectView, ProjectsQuery, Show, StrayView, WorkspaceProjects};

const BUTTON: &str =
    "rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";
const PRIMARY: &str = "rounded-md bg-indigo-600 px-2 py-1 text-xs font-medium text-white hover:bg-indigo-500";
const INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 text-xs dark:border-slate-700 dark:bg-slate-900";
const DATALIST: &str = "onboarded-repos";

/// The page's change forms' actions, shared by every row.
#[derive(Clone, Copy)]
struct Forms {
    map: ServerAction<MapProject>,
    status: ServerAction<SetProjectStatus>,
}

impl Forms {
    fn of_page() -> Forms {
        use_context::<Forms>().unwrap_or_else(|| Forms { map: ServerAction::new(), status: ServerAction::new() })
    }
}

#[component]
pub fn WorkspaceProjectsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let org_id = move || params.read().get("org_id").unwrap_or_default();
    let view_query = move || ProjectsQuery::from_params(&query.read());
    provide_context(Forms { map: ServerAction::new(), status: ServerAction::new() });
    let after = move || crate::outcomes::after_change(&query.read());
    let projects = Resource::new(
        move || (org_id(), view_query(), after()),
        |(org, q, a)| {
            let q = q.map_err(AppError::bad_view);
            async move { get_workspace_projects(org, q?, a).await }
        },
    );
    let banner = move || {
        let q = query.read();
        ProjectNotice::from_query(q.get("notice").as_deref(), q.get("error").as_deref())
    };
    let bulk_counts = move || {
        let q = query.read();
        (q.get("notice").as_deref() == Some(ProjectNotice::Bulk.code())).then(|| {
            let n = |k: &str| q.get(k).and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
            format!(
                "{} mapped ({} to a repository not onboarded) · {} mapped by someone else meanwhile · {} refused · {} failed",
                n("mapped"),
                n("warned"),
                n("conflicts"),
                n("refused"),
                n("failed")
            )
        })
    };
    view! {
        <Title text="Projects"/>
        <p class="mb-2 text-sm">
            <a class="text-indigo-700 hover:underline dark:text-indigo-300" href=move || format!("/workspaces/{}", org_id())>"← Workspace"</a>
        </p>
        {move || banner().map(|n| view! {
            <NoticeBanner good=n.good() text=n.text()>
                {bulk_counts().map(|c| view! { <span class="block font-medium" data-testid="bulk-counts">{c}</span> })}
            </NoticeBanner>
        })}
        <Transition fallback=|| view! { <Loading what="the workspace's projects"/> }>
            {move || projects.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(w) => view! { <Projects w query=view_query().unwrap_or_default()/> }.into_any(),
            })}
        </Transition>
    }
}

/// The hidden fields that bring a form's redirect back to this view.
fn view_fields(q: &ProjectsQuery) -> impl IntoView {
    view! {
        <input type="hidden" name="q" value=q.q.clone()/>
        {q.show.map(|s| view! { <input type="hidden" name="show" value=s.code()/> })}
        <input type="hidden" name="page" value=(q.page + 1).to_string()/>
    }
}

#[component]
fn Projects(w: WorkspaceProjects, query: ProjectsQuery) -> impl IntoView {
    let org = w.org_id.clone();
    let title = w.slug.clone().unwrap_or_else(|| w.org_id.clone());
    let can_map = w.writable && may(Role::Operator);
    let base = format!("/workspaces/{org}/projects");
    let reload = ServerAction::<ReloadProjects>::new();
    let bulk = ServerAction::<MapProjects>::new();
    let pager = (w.pages > 1).then(|| {
        let link = |p: usize| format!("{base}?{}", query.to_query_at(p));
        (
            (w.page > 0).then(|| link(w.page - 1)),
            (w.page + 1 < w.pages).then(|| link(w.page + 1)),
            format!("Page {} of {} · {} projects", w.page + 1, w.pages, w.matching),
        )
    });
    let unmapped_here = w.rows.iter().any(|r| r.mapping.is_none());
    let repos = w.repositories.clone();
    let reload_form = (w.writable && may(Role::Operator)).then(|| {
        let (org, fields, fetched) = (org.clone(), view_fields(&query), w.fetched_at.clone());
        view! {
            <ActionForm action=reload attr:class="flex items-center gap-2 text-xs">
                <input type="hidden" name="org_id" value=org/>
                {fields}
                {fetched.map(|at| view! { <span class="text-slate-500">{format!("Read from Linear {}", crate::relative_time::ago_text(&at))}</span> })}
                <button type="submit" data-testid="reload-projects" class=BUTTON>"Reload from Linear"</button>
            </ActionForm>
        }
    });
    let bulk_form = (can_map && unmapped_here).then(|| {
        let (org, fields) = (org.clone(), view_fields(&query));
        view! {
            // The row checkboxes belong to this form through their `form` attribute.
            <ActionForm action=bulk attr:id="map-selected" attr:data-testid="map-selected" attr:class="flex flex-wrap items-end gap-2 text-xs">
                <input type="hidden" name="org_id" value=org/>
                {fields}
                <label class="flex flex-col">"Repository for the ticked projects"
                    <input name="repo" required list=DATALIST placeholder="owner/repo" data-testid="bulk-repo" class=INPUT/>
                </label>
                <label class="flex flex-col">"Trigger label"
                    <input name="label" placeholder="bgagent" class=INPUT/>
                </label>
                <button type="submit" data-testid="map-selected-submit" class=PRIMARY>"Map selected"</button>
            </ActionForm>
        }
    });
    view! {
        <header class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <div>
                <h1 data-testid="projects-title" class="text-2xl font-semibold tracking-tight">{format!("{title} · projects")}</h1>
                <p class="text-sm text-slate-500 dark:text-slate-400">
                    "The platform creates a task only for an issue of a mapped project that carries the trigger label, and only for a repository it has onboarded."
                </p>
            </div>
            {reload_form}
        </header>
        {(!w.writable).then(|| view! {
            <p data-testid="read-only" class="mb-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
                "This workspace is revoked: the platform answers its webhooks 401, so none of its mappings does anything. They can be deactivated here; reconnect the workspace to map projects."
            </p>
        })}
        {w.linear_error.clone().filter(|_| w.writable).map(|e| view! {
            <p data-testid="linear-error" class="mb-4 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
                {format!("{e}. Only the mappings stored for this workspace are listed.")}
            </p>
        })}
        {repos.is_none().then(|| view! {
            <p data-testid="repos-unknown" class="mb-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
                "The platform's repository table is not configured (PLATFORM_REPO_TABLE, or the stack output RepoTableName) or not readable: whether a repository is onboarded cannot be checked."
            </p>
        })}
        <datalist id=DATALIST>
            {repos.clone().unwrap_or_default().into_iter().map(|r| view! { <option value=r/> }).collect_view()}
        </datalist>
        <nav aria-label="Project views" data-testid="show-counts" class="mb-4 flex flex-wrap gap-2 text-sm">
            {w.counts.iter().map(|(s, n)| view! {
                <a href=format!("{base}?show={}", s.code()) data-testid="show-count" data-show=s.code()
                    class="rounded-md border border-slate-200 px-3 py-1 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
                    {format!("{}: {n}", s.label())}
                </a>
            }).collect_view()}
        </nav>
        <div class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <form method="get" action=base.clone() data-testid="project-filters" class="flex flex-wrap items-end gap-3 text-sm">
                <label class="flex flex-col">"Search"
                    <input name="q" value=query.q.clone() placeholder="project or repository" data-testid="project-filter-q" class="rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900"/>
                </label>
                <label class="flex flex-col">"Show"
                    <select name="show" data-testid="project-filter-show" class="rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900">
                        <option value="" selected=query.show.is_none()>"All"</option>
                        {Show::ALL.iter().copied().map(|s| view! { <option value=s.code() selected=query.show == Some(s)>{s.label()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white dark:bg-slate-100 dark:text-slate-900">"Apply"</button>
                <a href=base.clone() class="py-1.5 text-slate-500 underline">"Clear"</a>
                <ExportLinks base=base.clone() query=query.to_query_at(0)/>
            </form>
            {bulk_form}
        </div>
        {if w.rows.is_empty() {
            view! { <p data-testid="no-projects" class="p-6 text-center text-sm text-slate-500">"No project matches this view."</p> }.into_any()
        } else {
            let body = w.rows.into_iter().map(|p| view! { <ProjectRow p org_id=org.clone() query=query.clone() can_map/> }).collect_view();
            view! {
                <Table heads=vec!["", "Project", "Repository", "Mapped", "Actions"]>{body}</Table>
            }.into_any()
        }}
        {pager.map(|(prev, next, label)| view! { <PageNav prev next label/> })}
        {(!w.strays.is_empty()).then(|| view! { <Strays strays=w.strays org_id=org query/> })}
    }
}

/// Where a mapping points, whether the platform acts on it, and what it warns of.
fn mapping_cell(m: &MappingView) -> impl IntoView {
    let status = if m.active { "active" } else { m.status.as_deref().unwrap_or("no status") }.to_owned();
    let badge = if m.active {
        "bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-200"
    } else {
        "bg-slate-200 text-slate-700 dark:bg-slate-700 dark:text-slate-200"
    };
    view! {
        <span data-testid="mapped-repo" class="font-mono text-xs">{m.repo.clone().unwrap_or_else(|| "—".into())}</span>
        <span data-testid="mapping-status" class=format!("ml-2 inline-flex rounded-full px-2 py-0.5 text-xs font-medium {badge}")>{status}</span>
        <span class="block text-xs text-slate-500 dark:text-slate-400">{format!("label “{}”", m.label)}</span>
        {m.warning.clone().map(|w| view! {
            <span data-testid="repo-warning" class="mt-1 block rounded bg-amber-50 px-2 py-1 text-xs text-amber-900 dark:bg-amber-950 dark:text-amber-100">{w}</span>
        })}
    }
}

fn mapped_cell(m: &MappingView) -> impl IntoView {
    let when = m.changed_at.clone().or(m.updated_at.clone()).or(m.onboarded_at.clone());
    let who = m.changed_by.clone().unwrap_or_else(|| if m.workspace_id.is_none() { "the CLI".into() } else { "—".into() });
    view! {
        <span class="text-xs" data-testid="mapped-by">{who}</span>
        {when.map(|at| view! { <crate::relative_time::When at/> })}
    }
}

#[component]
fn ProjectRow(p: ProjectView, org_id: String, query: ProjectsQuery, can_map: bool) -> impl IntoView {
    let teams = p.teams.iter().map(|t| t.key.clone()).collect::<Vec<_>>().join(", ");
    let operator = may(Role::Operator);
    let actions = match &p.mapping {
        None if can_map => view! { <MapForm org_id=org_id.clone() project=p.clone() query=query.clone() mapping=None/> }.into_any(),
        Some(m) if operator => view! {
            <div class="flex flex-wrap items-start gap-2">
                {can_map.then(|| view! { <MapForm org_id=org_id.clone() project=p.clone() query=query.clone() mapping=Some(m.clone())/> })}
                <StatusForm org_id=org_id.clone() project_id=p.id.clone() name=p.name.clone() m=m.clone() query=query.clone() can_reactivate=can_map/>
            </div>
        }.into_any(),
        _ => ().into_any(),
    };
    view! {
        <tr data-testid="project-row" data-project-id=p.id.clone() data-mapped=p.mapping.as_ref().map(|m| if m.active { "active" } else { "removed" }).unwrap_or("no")>
            <td class="px-3 py-2 align-top">
                {(can_map && p.mapping.is_none()).then(|| view! {
                    <input type="checkbox" name="projects[]" value=p.id.clone() form="map-selected" data-testid="select-project" aria-label=format!("Select {}", p.name)/>
                })}
            </td>
            <td class="px-3 py-2 align-top">
                <span class="font-medium" data-testid="project-name">{p.name.clone()}</span>
                <span class="block text-xs text-slate-500 dark:text-slate-400">{format!("{}{}", p.state.clone().unwrap_or_default(), if teams.is_empty() { String::new() } else { format!(" · {teams}") })}</span>
                {p.problem.clone().map(|why| view! {
                    <span data-testid="project-problem" class="mt-1 block rounded bg-red-50 px-2 py-1 text-xs text-red-900 dark:bg-red-950 dark:text-red-100">{why}</span>
                })}
            </td>
            <td class="px-3 py-2 align-top">
                {match &p.mapping {
                    Some(m) => mapping_cell(m).into_any(),
                    None => view! { <span class="text-xs text-slate-500" data-testid="mapped-repo">"Not mapped: the platform answers its issues “not onboarded”."</span> }.into_any(),
                }}
            </td>
            <td class="px-3 py-2 align-top">{p.mapping.as_ref().map(mapped_cell)}</td>
            <td class="px-3 py-2 align-top">{actions}</td>
        </tr>
    }
}

/// *Map…* (no row yet) or *Change…* (from the version shown), behind a disclosure.
#[component]
fn MapForm(org_id: String, project: ProjectView, query: ProjectsQuery, mapping: Option<MappingView>) -> impl IntoView {
    let forms = Forms::of_page();
    let (summary, submit, testid) = match mapping {
        None => ("Map…", "Map", "map"),
        Some(_) => ("Change…", "Save", "change"),
    };
    let version = mapping.as_ref().map_or_else(|| "new".to_owned(), |m| m.version.clone());
    let repo = mapping.as_ref().and_then(|m| m.repo.clone()).unwrap_or_default();
    let label = mapping.as_ref().map(|m| m.label.clone()).unwrap_or_default();
    let team = mapping.as_ref().and_then(|m| m.team_id.clone());
    view! {
        <details class="inline-block">
            <summary data-testid=testid class=format!("{BUTTON} cursor-pointer list-none")>{summary}</summary>
            <ActionForm action=forms.map attr:class="mt-2 flex flex-col gap-2 text-xs">
                <input type="hidden" name="org_id" value=org_id/>
                <input type="hidden" name="project_id" value=project.id.clone()/>
                <input type="hidden" name="version" value=version/>
                {view_fields(&query)}
                <label class="flex flex-col">"Repository (owner/repo)"
                    <input name="repo" required value=repo list=DATALIST placeholder="owner/repo" data-testid="map-repo" class=INPUT/>
                </label>
                <label class="flex flex-col">"Trigger label"
                    <input name="label" value=label placeholder="bgagent" data-testid="map-label" class=INPUT/>
                </label>
                <label class="flex flex-col">"Team (stored, not read by the platform)"
                    <select name="team_id" class=INPUT>
                        <option value="" selected=team.is_none()>"None"</option>
                        {project.teams.iter().map(|t| view! { <option value=t.id.clone() selected=team.as_deref() == Some(t.id.as_str())>{t.key.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" data-testid=format!("{testid}-submit") class=PRIMARY>{submit}</button>
            </ActionForm>
        </details>
    }
}

/// *Deactivate…* (confirmed) or *Reactivate*.
#[component]
fn StatusForm(
    org_id: String,
    project_id: String,
    name: String,
    m: MappingView,
    query: ProjectsQuery,
    can_reactivate: bool,
) -> impl IntoView {
    let forms = Forms::of_page();
    let fields = move |status: &'static str| {
        view! {
            <input type="hidden" name="org_id" value=org_id.clone()/>
            <input type="hidden" name="project_id" value=project_id.clone()/>
            <input type="hidden" name="status" value=status/>
            <input type="hidden" name="version" value=m.version.clone()/>
            {view_fields(&query)}
        }
    };
    if m.active {
        view! {
            <details class="inline-block">
                <summary data-testid="deactivate" class=format!("{BUTTON} cursor-pointer list-none")>"Deactivate…"</summary>
                <ActionForm action=forms.status attr:class="mt-2 flex items-center gap-2 text-xs">
                    {fields("removed")}
                    <span>{format!("The platform will answer {name}'s issues as not onboarded.")}</span>
                    <button type="submit" data-testid="confirm-deactivate" class="rounded-md bg-red-700 px-2 py-1 font-medium text-white hover:bg-red-600">"Deactivate"</button>
                </ActionForm>
            </details>
        }
        .into_any()
    } else if can_reactivate {
        view! {
            <ActionForm action=forms.status>
                {fields("active")}
                <button type="submit" data-testid="reactivate" class=BUTTON>"Reactivate"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        ().into_any()
    }
}

/// This workspace's mappings that no listed project shows: gone at Linear, or the workspace revoked.
#[component]
fn Strays(strays: Vec<StrayView>, org_id: String, query: ProjectsQuery) -> impl IntoView {
    let operator = may(Role::Operator);
    view! {
        <section data-testid="strays" class="mt-6">
            <h2 class="mb-2 text-lg font-semibold">"Mappings that do nothing"</h2>
            <ul class="space-y-2 text-sm">
                {strays.into_iter().map(|s| {
                    let actions = (operator && s.mapping.active).then(|| view! {
                        <StatusForm org_id=org_id.clone() project_id=s.project_id.clone() name=s.project_id.clone() m=s.mapping.clone() query=query.clone() can_reactivate=false/>
                    });
                    view! {
                        <li data-testid="stray" data-project-id=s.project_id.clone() class="rounded-md border border-slate-200 p-3 dark:border-slate-800">
                            <span class="font-mono text-xs">{s.project_id.clone()}</span>
                            <div class="my-1">{mapping_cell(&s.mapping)}</div>
                            <p class="text-xs text-red-800 dark:text-red-200">{s.problem}</p>
                            {actions}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
