//! The members table: each Linear member, its link state and the actions its state allows.
use leptos::prelude::*;

use super::invites::{InviteHandover, Invites};
use super::islands::{BulkCreate, BulkLink, ReloadForm};
use super::{state_class, view_fields, Forms, BUTTON, PRIMARY};
use crate::components::access::may;
use crate::components::export::ExportLinks;
use crate::components::table::{PageNav, Table};
use crate::identity::Role;
use crate::relative_time::When;
use crate::url::enc;
use crate::user_links_view::{LinkState, UsersQuery, WorkspaceUserRow, WorkspaceUsers};

#[component]
pub(super) fn Users(w: WorkspaceUsers, query: UsersQuery, just_invited: Option<String>) -> impl IntoView {
    let org = w.org_id.clone();
    let title = w.slug.clone().unwrap_or_else(|| w.org_id.clone());
    let writable = w.read_only.is_none();
    let suggested = w.counts.iter().find(|(s, _)| *s == LinkState::Suggested).map_or(0, |(_, n)| *n);
    let invite_for =
        just_invited.and_then(|who| w.invites.iter().find(|i| i.linear_user_id.as_deref() == Some(who.as_str()) && !i.expired).cloned());
    let base = format!("/workspaces/{org}/users");
    let pager = (w.pages > 1).then(|| {
        let link = |p: usize| format!("{base}?{}", query.to_query_at(p));
        (
            (w.page > 0).then(|| link(w.page - 1)),
            (w.page + 1 < w.pages).then(|| link(w.page + 1)),
            format!("Page {} of {} · {} users", w.page + 1, w.pages, w.matching),
        )
    });
    view! {
        <header class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <div>
                <h1 data-testid="users-title" class="text-2xl font-semibold tracking-tight">{format!("{title} · users and links")}</h1>
                <p class="text-sm text-slate-500 dark:text-slate-400">"Each Linear member and the platform user the platform attributes its requests to."</p>
            </div>
            {may(Role::Operator).then(|| view! {
                <ReloadForm org_id=org.clone() query=query.clone() fetched_at=w.fetched_at.clone()/>
            })}
        </header>
        {w.read_only.clone().map(|why| view! {
            <p data-testid="read-only" class="mb-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">{why}</p>
        })}
        {w.linear_error.clone().map(|e| view! {
            <p data-testid="linear-error" class="mb-4 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
                {format!("{e}. Only the links the table holds are listed.")}
            </p>
        })}
        {invite_for.map(|i| view! { <InviteHandover invite=i command=w.redeem_command.clone()/> })}
        <nav aria-label="Link states" data-testid="state-counts" class="mb-4 flex flex-wrap gap-2 text-sm">
            {w.counts.iter().map(|(s, n)| view! {
                <a href=format!("{base}?state={}", s.code()) data-testid="state-count" data-state=s.code()
                    class="rounded-md border border-slate-200 px-3 py-1 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
                    {format!("{}: {n}", s.label())}
                </a>
            }).collect_view()}
        </nav>
        <div class="mb-4 flex flex-wrap items-end justify-between gap-3">
            <form method="get" action=base.clone() data-testid="user-filters" class="flex flex-wrap items-end gap-3 text-sm">
                <label class="flex flex-col">"Search"
                    <input name="q" value=query.q.clone() placeholder="name or email" data-testid="user-filter-q"
                        class="rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900"/>
                </label>
                <label class="flex flex-col">"State"
                    <select name="state" data-testid="user-filter-state" class="rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900">
                        <option value="" selected=query.state.is_none()>"Any"</option>
                        {LinkState::ALL.iter().copied().map(|s| view! { <option value=s.code() selected=query.state == Some(s)>{s.label()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white dark:bg-slate-100 dark:text-slate-900">"Apply"</button>
                <a href=base.clone() class="py-1.5 text-slate-500 underline">"Clear"</a>
                <ExportLinks base=base.clone() query=query.to_query_at(0)/>
            </form>
            // Also with nothing left to link: the island shows the report of a run that just finished.
            <div class="flex flex-wrap items-start gap-3">
                {(writable && may(Role::Admin)).then(|| view! { <BulkCreate org_id=org.clone() query=query.clone() count=w.unmatched/> })}
                {(writable && may(Role::Operator)).then(|| view! { <BulkLink org_id=org.clone() query=query.clone() count=suggested/> })}
            </div>
        </div>
        {if w.rows.is_empty() {
            view! { <p data-testid="no-users" class="p-6 text-center text-sm text-slate-500">"No user matches this view."</p> }.into_any()
        } else {
            let body = w.rows.into_iter().map(|r| view! { <UserRow r org_id=org.clone() query=query.clone() writable/> }).collect_view();
            view! {
                <Table heads=vec!["Linear user", "State", "Platform user", "Actions"]>{body}</Table>
            }.into_any()
        }}
        {pager.map(|(prev, next, label)| view! { <PageNav prev next label/> })}
        <Invites org_id=org invites=w.invites query=query command=w.redeem_command/>
    }
}

#[component]
fn UserRow(r: WorkspaceUserRow, org_id: String, query: UsersQuery, writable: bool) -> impl IntoView {
    let forms = Forms::of_page();
    let u = r.user.clone();
    let base = format!("/workspaces/{org_id}/users");
    let pick_href = |replace: Option<&str>| {
        let mut href = format!("{base}?pick={}", enc(&u.id));
        if let Some(r) = replace {
            href.push_str(&format!("&replace={}", enc(r)));
        }
        let view = query.to_query();
        if !view.is_empty() {
            href.push('&');
            href.push_str(&view);
        }
        href + "#picker"
    };
    let marks: Vec<&'static str> = [(!u.active && u.in_workspace, "disabled"), (u.guest, "guest"), (u.app, "app"), (u.admin, "admin")]
        .into_iter()
        .filter_map(|(on, m)| on.then_some(m))
        .collect();
    let platform = r.platform_user.clone();
    let platform_text = match (&platform, &r.platform_sub) {
        (Some(p), _) => format!("{}{}", p.email.clone().unwrap_or_else(|| p.sub.clone()), if p.enabled { "" } else { " (disabled)" }),
        (None, Some(sub)) => format!("{sub} (not in the pool)"),
        (None, None) => "—".into(),
    };
    let linked_sub = r.platform_sub.clone();
    let actions = match r.state {
        // A viewer reads the links; changing them needs the operator role.
        _ if !may(Role::Operator) => ().into_any(),
        _ if !writable => match &linked_sub {
            Some(sub) => view! { <UnlinkForm org_id=org_id.clone() linear_user_id=u.id.clone() sub=sub.clone() label=u.name.clone() query=query.clone()/> }.into_any(),
            None => ().into_any(),
        },
        LinkState::Linked | LinkState::Stale => {
            let sub = linked_sub.clone().unwrap_or_default();
            view! {
                <div class="flex flex-wrap items-center gap-2">
                    {u.in_workspace.then(|| view! { <a href=pick_href(Some(&sub)) data-testid="change" class=BUTTON>"Change…"</a> })}
                    <UnlinkForm org_id=org_id.clone() linear_user_id=u.id.clone() sub=sub.clone() label=u.name.clone() query=query.clone()/>
                </div>
            }.into_any()
        }
        LinkState::Suggested => {
            let p = platform.clone().unwrap_or(crate::wire::PlatformUser { sub: String::new(), email: None, enabled: true, status: String::new() });
            let (org, id, fields) = (org_id.clone(), u.id.clone(), view_fields(&query));
            view! {
                <div class="flex flex-wrap items-center gap-2">
                    <ActionForm action=forms.link>
                        <input type="hidden" name="org_id" value=org/>
                        <input type="hidden" name="linear_user_id" value=id/>
                        <input type="hidden" name="platform_user_id" value=p.sub.clone()/>
                        {fields}
                        <button type="submit" data-testid="link-suggested" class=PRIMARY>{format!("Link to {}", p.email.clone().unwrap_or(p.sub.clone()))}</button>
                    </ActionForm>
                    <a href=pick_href(None) data-testid="pick" class=BUTTON>"Pick…"</a>
                </div>
            }.into_any()
        }
        LinkState::Unlinked | LinkState::InviteExpired if u.active => {
            let (org, id, fields) = (org_id.clone(), u.id.clone(), view_fields(&query));
            let create = (may(Role::Admin) && u.email.is_some()).then(|| {
                let (org, id, fields) = (org_id.clone(), u.id.clone(), view_fields(&query));
                view! {
                    <ActionForm action=forms.create>
                        <input type="hidden" name="org_id" value=org/>
                        <input type="hidden" name="linear_user_id" value=id/>
                        {fields}
                        <button type="submit" data-testid="create-user" class=BUTTON>"Create platform user and link"</button>
                    </ActionForm>
                }
            });
            view! {
                <div class="flex flex-wrap items-center gap-2">
                    {create}
                    <a href=pick_href(None) data-testid="pick" class=BUTTON>"Pick…"</a>
                    <ActionForm action=forms.invite>
                        <input type="hidden" name="org_id" value=org/>
                        <input type="hidden" name="linear_user_id" value=id/>
                        {fields}
                        <button type="submit" data-testid="invite" class=BUTTON>"Invite"</button>
                    </ActionForm>
                </div>
            }.into_any()
        }
        LinkState::Invited => {
            let code = r.invite.as_ref().map(|i| i.code.clone()).unwrap_or_default();
            view! {
                <div class="flex flex-wrap items-center gap-2">
                    <code data-testid="row-invite-code" class="rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800">{code.clone()}</code>
                    <a href=pick_href(None) data-testid="pick" class=BUTTON>"Pick…"</a>
                </div>
            }.into_any()
        }
        _ => ().into_any(),
    };
    view! {
        <tr data-testid="user-row" data-state=r.state.code() data-linear-id=u.id.clone()>
            <td class="px-4 py-2">
                <span class="font-medium">{u.name.clone()}</span>
                {marks.into_iter().map(|m| view! { <span data-testid="mark" class="ml-1 rounded bg-slate-100 px-1 text-xs text-slate-600 dark:bg-slate-800 dark:text-slate-300">{m}</span> }).collect_view()}
                <span class="block text-xs text-slate-500 dark:text-slate-400">{u.email.clone().unwrap_or_default()}</span>
            </td>
            <td class="px-4 py-2">
                <span data-testid="link-state" class=format!("inline-flex whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium {}", state_class(r.state))>{r.state.label()}</span>
                {r.note.clone().map(|n| view! { <span class="block text-xs text-slate-500 dark:text-slate-400">{n}</span> })}
            </td>
            <td class="px-4 py-2 text-xs" data-testid="platform-user">
                {platform_text}
                {r.linked_at.clone().map(|at| view! { <span class="block text-slate-500 dark:text-slate-400">"linked " <When at class="inline"/>{r.link_method.clone().map(|m| format!(" · {m}")).unwrap_or_default()}</span> })}
            </td>
            <td class="px-4 py-2">{actions}</td>
        </tr>
    }
}

/// *Unlink*, behind a disclosure that names who is unlinked from whom (works without the wasm).
#[component]
fn UnlinkForm(org_id: String, linear_user_id: String, sub: String, label: String, query: UsersQuery) -> impl IntoView {
    let forms = Forms::of_page();
    view! {
        <details class="inline-block">
            <summary data-testid="unlink" class=format!("{BUTTON} cursor-pointer list-none")>"Unlink…"</summary>
            <ActionForm action=forms.unlink attr:class="mt-2 flex items-center gap-2 text-xs">
                <input type="hidden" name="org_id" value=org_id/>
                <input type="hidden" name="linear_user_id" value=linear_user_id/>
                <input type="hidden" name="platform_user_id" value=sub/>
                {view_fields(&query)}
                <span>{format!("The platform will stop accepting {label}'s requests.")}</span>
                <button type="submit" data-testid="confirm-unlink" class="rounded-md bg-red-700 px-2 py-1 font-medium text-white hover:bg-red-600">"Unlink"</button>
            </ActionForm>
        </details>
    }
}
