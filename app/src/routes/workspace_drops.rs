//! *Dropped in the last N days* on a workspace's page: what the platform ignored (its webhook
//! processor's log), each with the button that fixes it. A person not linked gets **Link** (to the
//! platform user with their email), **Create platform user and link** (admins), **Invite**, or
//! **Pick…**; a project not mapped gets **Map**. The forms are the users page's own (plain posts):
//! each lands on the users page showing that person, with the outcome.
use leptos::prelude::*;

use crate::components::access::may;
use crate::components::table::Table;
use crate::drops_view::{DroppedPerson, DroppedProject, WorkspaceDrops};
use crate::functions::{CreatePlatformUser, InviteUser, LinkUser};
use crate::identity::Role;
use crate::relative_time::When;
use crate::url::enc;
use crate::user_links_view::LinkState;

const BUTTON: &str =
    "rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";
const PRIMARY: &str = "rounded-md bg-indigo-600 px-2 py-1 text-xs font-medium text-white hover:bg-indigo-500";
const NOTE: &str = "text-sm text-slate-500 dark:text-slate-400";

/// The section's change forms' actions, one per kind (not per row).
#[derive(Clone, Copy)]
struct Forms {
    link: ServerAction<LinkUser>,
    create: ServerAction<CreatePlatformUser>,
    invite: ServerAction<InviteUser>,
}

#[component]
pub fn Dropped(org_id: String, d: WorkspaceDrops) -> impl IntoView {
    let heading = format!("Dropped in the last {} days", if d.days > 0 { d.days } else { 7 });
    let Some(source) = d.source.clone() else {
        let why = d.unknown_because.clone().unwrap_or_else(|| {
            "The platform's webhook processor log is not known: set PLATFORM_PROCESSOR_LOG_GROUP (or PLATFORM_STACK_NAME) to see what it drops."
                .to_owned()
        });
        return view! {
            <section data-testid="drops" id="drops" class="mt-8">
                <h2 class="mb-2 text-lg font-semibold">{heading}</h2>
                <p data-testid="drops-unknown" class=NOTE>{why}</p>
            </section>
        }
        .into_any();
    };
    let total = d.people_times + d.projects.iter().map(|p| p.times).sum::<usize>();
    let summary = if total == 0 {
        "Nothing of this workspace was dropped: every labelled issue and comment the platform saw had a linked person and a mapped project."
            .to_owned()
    } else {
        format!(
            "{total} requests ignored: {} by {} people not linked, {} in projects not mapped. Each got a ❌ comment on its Linear issue.",
            d.people_times,
            d.people_count,
            d.projects.iter().map(|p| p.times).sum::<usize>()
        )
    };
    let alarm = (d.threshold > 0 && d.last_hour > d.threshold)
        .then(|| format!("{} in the last hour: more than {}, an incident is open for it.", d.last_hour, d.threshold));
    let read = format!(
        "From {source}{}.",
        if d.complete { "" } else { " (the first pages only: more lines than one read takes; the rest come with the next reads)" }
    );
    let writable = d.writable;
    let forms = Forms { link: ServerAction::new(), create: ServerAction::new(), invite: ServerAction::new() };
    let people = if d.counts_only || d.people.is_empty() {
        ().into_any()
    } else {
        let rows = d.people.into_iter().map(|p| view! { <PersonRow p org_id=org_id.clone() writable forms/> }).collect_view();
        view! {
            <h3 class="mb-2 mt-4 font-medium">"People not linked"</h3>
            <Table heads=vec!["Linear user", "Ignored", "State now", "Fix"]>{rows}</Table>
        }
        .into_any()
    };
    let projects = if d.projects.is_empty() {
        ().into_any()
    } else {
        let rows = d.projects.into_iter().map(|p| view! { <ProjectRow p org_id=org_id.clone()/> }).collect_view();
        view! {
            <h3 class="mb-2 mt-4 font-medium">"Projects not mapped"</h3>
            <Table heads=vec!["Project", "Ignored", "Mapping now", "Fix"]>{rows}</Table>
        }
        .into_any()
    };
    let elsewhere = [
        (d.no_project > 0).then(|| {
            let ids = if d.no_project_issues.is_empty() { String::new() } else { format!(" (issues {})", d.no_project_issues.join(", ")) };
            format!("{} labelled issues were in no project, in some workspace: the platform's line names none{ids}.", d.no_project)
        }),
        (d.other_projects > 0).then(|| format!("{} issues were in projects not mapped that are not this workspace's.", d.other_projects)),
        (d.unattributable > 0).then(|| format!("{} webhooks named no organization or actor.", d.unattributable)),
    ];
    view! {
        <section data-testid="drops" id="drops" class="mt-8">
            <h2 class="mb-2 text-lg font-semibold">{heading}</h2>
            <p data-testid="drops-summary" class="text-sm">{summary}</p>
            {alarm.map(|a| view! { <p data-testid="drops-alarm" class="mt-1 text-sm font-medium text-red-700 dark:text-red-300">{a}</p> })}
            {d.counts_only.then(|| view! { <p data-testid="drops-counts-only" class=NOTE>"Operators and admins see who they are and can link them."</p> })}
            {d.members_error.map(|e| view! { <p data-testid="drops-members-error" class=NOTE>{format!("Names unknown: {e}.")}</p> })}
            {d.projects_error.map(|e| view! { <p class=NOTE>{format!("Projects unknown: {e}.")}</p> })}
            {people}
            {projects}
            {elsewhere.into_iter().flatten().map(|t| view! { <p data-testid="drops-elsewhere" class=format!("mt-2 {NOTE}")>{t}</p> }).collect_view()}
            <p class=format!("mt-2 text-xs {NOTE}")>{read}</p>
        </section>
    }
    .into_any()
}

/// The fields every fix of a person posts: the workspace, the person, and the users page's search
/// that shows them after the change.
fn who(org_id: &str, id: &str, q: &str) -> impl IntoView {
    view! {
        <input type="hidden" name="org_id" value=org_id.to_owned()/>
        <input type="hidden" name="linear_user_id" value=id.to_owned()/>
        <input type="hidden" name="q" value=q.to_owned()/>
    }
}

#[component]
fn PersonRow(p: DroppedPerson, org_id: String, writable: bool, forms: Forms) -> impl IntoView {
    let times = format!("{}×{}", p.times, if p.commented { " (comments too)" } else { "" });
    let (name, email, state) = match &p.row {
        Some(r) => (r.user.name.clone(), r.user.email.clone().unwrap_or_default(), Some(r.state)),
        None => (p.linear_user_id.clone(), "not a member Linear lists now".to_owned(), None),
    };
    // The users page shows this person after the change: its search is their email (or id).
    let q = p.row.as_ref().and_then(|r| r.user.email.clone()).unwrap_or_else(|| p.linear_user_id.clone());
    let pick = format!("/workspaces/{org_id}/users?pick={}&q={}#picker", enc(&p.linear_user_id), enc(&q));
    let id = p.linear_user_id.clone();
    let fix = match (&p.row, state) {
        _ if !may(Role::Operator) || !writable => ().into_any(),
        (Some(r), Some(LinkState::Suggested)) => {
            let to = r.platform_user.clone().map(|u| (u.email.clone().unwrap_or(u.sub.clone()), u.sub)).unwrap_or_default();
            view! {
                <div class="flex flex-wrap items-center gap-2">
                    <ActionForm action=forms.link>
                        {who(&org_id, &id, &q)}
                        <input type="hidden" name="platform_user_id" value=to.1/>
                        <button type="submit" data-testid="drop-link" class=PRIMARY>{format!("Link to {}", to.0)}</button>
                    </ActionForm>
                    <a href=pick.clone() data-testid="drop-pick" class=BUTTON>"Pick…"</a>
                </div>
            }
            .into_any()
        }
        (Some(r), Some(LinkState::Unlinked | LinkState::InviteExpired)) if r.user.active => {
            let create = (may(Role::Admin) && r.user.email.is_some()).then(|| {
                let (org_id, id, q) = (org_id.clone(), id.clone(), q.clone());
                view! {
                    <ActionForm action=forms.create>
                        {who(&org_id, &id, &q)}
                        <button type="submit" data-testid="drop-create" class=BUTTON>"Create platform user and link"</button>
                    </ActionForm>
                }
            });
            view! {
                <div class="flex flex-wrap items-center gap-2">
                    {create}
                    <a href=pick.clone() data-testid="drop-pick" class=BUTTON>"Pick…"</a>
                    <ActionForm action=forms.invite>
                        {who(&org_id, &id, &q)}
                        <button type="submit" data-testid="drop-invite" class=BUTTON>"Invite"</button>
                    </ActionForm>
                </div>
            }
            .into_any()
        }
        (Some(_), Some(LinkState::Linked)) => view! { <span class=NOTE>"Linked since: their next request works."</span> }.into_any(),
        (Some(_), _) => view! { <a href=pick.clone() class=BUTTON>"Open in users"</a> }.into_any(),
        (None, _) => ().into_any(),
    };
    view! {
        <tr data-testid="drop-person" data-linear-id=p.linear_user_id.clone()>
            <td class="px-4 py-2">
                <span class="font-medium">{name}</span>
                <span class="block text-xs text-slate-500 dark:text-slate-400">{email}</span>
            </td>
            <td class="px-4 py-2">
                <span data-testid="drop-times">{times}</span>
                <When at=p.last_at.clone()/>
            </td>
            <td class="px-4 py-2" data-testid="drop-state">{state.map(|s| s.label()).unwrap_or("unknown")}</td>
            <td class="px-4 py-2">{fix}</td>
        </tr>
    }
}

#[component]
fn ProjectRow(p: DroppedProject, org_id: String) -> impl IntoView {
    let href = format!("/workspaces/{org_id}/projects?q={}", enc(&p.name));
    view! {
        <tr data-testid="drop-project" data-project-id=p.project_id.clone()>
            <td class="px-4 py-2 font-medium">{p.name.clone()}</td>
            <td class="px-4 py-2">
                <span data-testid="drop-times">{format!("{}×", p.times)}</span>
                <When at=p.last_at.clone()/>
            </td>
            <td class="px-4 py-2">{p.mapping.clone()}</td>
            <td class="px-4 py-2">
                {(!p.mapped && may(Role::Operator)).then(|| view! { <a href=href data-testid="drop-map" class=BUTTON>"Map"</a> })}
            </td>
        </tr>
    }
}
