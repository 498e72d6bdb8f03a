//! `/workspaces/<org id>/users`: every Linear member of a workspace and its link to a platform
//! user: link a suggestion, pick someone, change, unlink, invite, link all suggested with a
//! progress display, reload from Linear. Every form posts to the server and works before the
//! wasm has loaded; once it has, bulk linking and reloading report progress in place.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::access::may;
use crate::components::status::{ErrorNotice, Loading, NoticeBanner};
use crate::identity::Role;
use server_fn::ServerFn;

use crate::functions::{
    get_workspace_users, search_platform_users, InviteUser, LinkSuggested, LinkUser, ReloadUsers, RevokeInvite, UnlinkUser,
};
use crate::outcomes::{LinkNotice, Notice};
use crate::url::enc;
use crate::user_links_view::{InviteView, LinkState, PlatformUserPage, UsersQuery, WorkspaceUserRow, WorkspaceUsers};

fn state_class(state: LinkState) -> &'static str {
    match state {
        LinkState::Linked => "bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-200",
        LinkState::Suggested => "bg-indigo-100 text-indigo-800 dark:bg-indigo-900 dark:text-indigo-200",
        LinkState::Invited => "bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-200",
        LinkState::Stale | LinkState::InviteExpired => "bg-amber-100 text-amber-800 dark:bg-amber-900 dark:text-amber-200",
        LinkState::Unlinked | LinkState::NotLinkable => "bg-slate-200 text-slate-700 dark:bg-slate-700 dark:text-slate-200",
    }
}

const BUTTON: &str =
    "rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";
const PRIMARY: &str = "rounded-md bg-indigo-600 px-2 py-1 text-xs font-medium text-white hover:bg-indigo-500";

#[component]
pub fn WorkspaceUsersPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let org_id = move || params.read().get("org_id").unwrap_or_default();
    let users_query = move || {
        let q = query.read();
        UsersQuery {
            q: q.get("q").unwrap_or_default(),
            state: q.get("state").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).saturating_sub(1),
        }
    };
    provide_context(Forms::new());
    let after = move || crate::outcomes::after_change(&query.read());
    let users = Resource::new(move || (org_id(), users_query(), after()), |(org, q, a)| get_workspace_users(org, q, a));
    let pick = move || query.read().get("pick").filter(|p| !p.is_empty());
    let picker_query = move || pick().map(|_| (query.read().get("email").unwrap_or_default(), query.read().get("after")));
    let picker = Resource::new(picker_query, |q| async move {
        match q {
            Some((prefix, after)) => search_platform_users(prefix, after, false).await.map(Some),
            None => Ok(None),
        }
    });
    let banner = move || {
        let q = query.read();
        LinkNotice::from_query(q.get("notice").as_deref(), q.get("error").as_deref())
    };
    let bulk_counts = move || {
        let q = query.read();
        (q.get("notice").as_deref() == Some(LinkNotice::Bulk.code())).then(|| {
            let n = |k: &str| q.get(k).and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
            format!(
                "{} linked · {} already linked by someone else · {} refused · {} failed",
                n("linked"),
                n("conflicts"),
                n("refused"),
                n("failed")
            )
        })
    };
    let who = move || query.read().get("who");
    let invited = move || query.read().get("notice").as_deref() == Some(LinkNotice::Invited.code());
    view! {
        <Title text="Users and links"/>
        <p class="mb-2 text-sm">
            <a class="text-indigo-700 hover:underline dark:text-indigo-300" href=move || format!("/workspaces/{}", org_id())>"← Workspace"</a>
        </p>
        {move || banner().map(|n| view! {
            <NoticeBanner good=n.good() text=n.text()>
                {bulk_counts().map(|c| view! { <span class="block font-medium" data-testid="bulk-counts">{c}</span> })}
            </NoticeBanner>
        })}
        <Transition fallback=|| view! { <Loading what="the workspace's users"/> }>
            {move || users.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(w) => {
                    let just_invited = if invited() { who() } else { None };
                    view! {
                        <Users w=w query=users_query() just_invited=just_invited/>
                    }.into_any()
                }
            })}
        </Transition>
        <Suspense fallback=|| ()>
            {move || match (pick(), picker.get()) {
                (Some(linear_user_id), Some(Ok(Some(page)))) => view! {
                    <Picker org_id=org_id() linear_user_id query=users_query() prefix=query.read().get("email").unwrap_or_default()
                        replace=query.read().get("replace").unwrap_or_default() page/>
                }.into_any(),
                (Some(_), Some(Err(e))) => view! { <ErrorNotice error=e/> }.into_any(),
                _ => ().into_any(),
            }}
        </Suspense>
    }
}

/// The page's change forms' actions, shared by every row (one action per kind, not per row).
#[derive(Clone, Copy)]
struct Forms {
    link: ServerAction<LinkUser>,
    unlink: ServerAction<UnlinkUser>,
    invite: ServerAction<InviteUser>,
    revoke: ServerAction<RevokeInvite>,
}

impl Forms {
    fn new() -> Forms {
        Forms { link: ServerAction::new(), unlink: ServerAction::new(), invite: ServerAction::new(), revoke: ServerAction::new() }
    }

    fn of_page() -> Forms {
        use_context::<Forms>().unwrap_or_else(Forms::new)
    }
}

/// The hidden fields that bring a form's redirect back to this view.
fn view_fields(q: &UsersQuery) -> impl IntoView {
    view! {
        <input type="hidden" name="q" value=q.q.clone()/>
        <input type="hidden" name="state" value=q.state.clone()/>
        <input type="hidden" name="page" value=(q.page + 1).to_string()/>
    }
}

#[component]
fn Users(w: WorkspaceUsers, query: UsersQuery, just_invited: Option<String>) -> impl IntoView {
    let org = w.org_id.clone();
    let title = w.slug.clone().unwrap_or_else(|| w.org_id.clone());
    let writable = w.read_only.is_none();
    let suggested = w.counts.iter().find(|(s, _)| *s == LinkState::Suggested).map_or(0, |(_, n)| *n);
    let invite_for =
        just_invited.and_then(|who| w.invites.iter().find(|i| i.linear_user_id.as_deref() == Some(who.as_str()) && !i.expired).cloned());
    let base = format!("/workspaces/{org}/users");
    let pager = (w.pages > 1).then(|| {
        let link = |p: usize| format!("{base}?{}", UsersQuery { page: p, ..query.clone() }.to_query());
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
                        <option value="" selected=query.state.is_empty()>"Any"</option>
                        {LinkState::ALL.iter().copied().map(|s| view! { <option value=s.code() selected=query.state == s.code()>{s.label()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white dark:bg-slate-100 dark:text-slate-900">"Apply"</button>
                <a href=base.clone() class="py-1.5 text-slate-500 underline">"Clear"</a>
            </form>
            // Also with nothing left to link: the island shows the report of a run that just finished.
            {(writable && may(Role::Operator)).then(|| view! { <BulkLink org_id=org.clone() query=query.clone() count=suggested/> })}
        </div>
        {if w.rows.is_empty() {
            view! { <p data-testid="no-users" class="p-6 text-center text-sm text-slate-500">"No user matches this view."</p> }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
                    <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                        <thead class="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500 dark:bg-slate-900 dark:text-slate-400">
                            <tr>
                                <th class="px-4 py-2">"Linear user"</th>
                                <th class="px-4 py-2">"State"</th>
                                <th class="px-4 py-2">"Platform user"</th>
                                <th class="px-4 py-2">"Actions"</th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-100 dark:divide-slate-800">
                            {w.rows.into_iter().map(|r| view! { <UserRow r org_id=org.clone() query=query.clone() writable/> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        {pager.map(|(prev, next, label)| view! {
            <nav aria-label="Pages" class="mt-3 flex items-center gap-4 text-sm">
                <span data-testid="page-label" class="text-slate-500">{label}</span>
                {prev.map(|h| view! { <a href=h class="underline">"← Previous"</a> })}
                {next.map(|h| view! { <a href=h data-testid="next-page" class="underline">"Next →"</a> })}
            </nav>
        })}
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
            view! {
                <div class="flex flex-wrap items-center gap-2">
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
                {r.linked_at.clone().map(|at| view! { <span class="block text-slate-500 dark:text-slate-400">{format!("since {at}{}", r.link_method.clone().map(|m| format!(" · {m}")).unwrap_or_default())}</span> })}
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

/// The code to hand over, with the platform command that redeems it.
#[component]
fn InviteHandover(invite: InviteView, command: String) -> impl IntoView {
    let cmd = command.replace("{code}", &invite.code);
    view! {
        <section data-testid="invite-handover" class="mb-4 rounded-lg border border-sky-300 bg-sky-50 p-4 text-sm text-sky-950 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-100">
            <p>{format!("Invite for {}: give them this code. It works until {}.",
                invite.linear_user_name.clone().unwrap_or_default(), invite.expires_at.clone().unwrap_or_default())}</p>
            <p class="mt-2"><code data-testid="invite-code" class="rounded bg-white px-2 py-1 font-mono text-base dark:bg-slate-900">{invite.code.clone()}</code></p>
            <p class="mt-2">"They redeem it, signed in to the platform, with:"</p>
            <pre data-testid="invite-command" class="mt-1 overflow-x-auto rounded bg-white p-2 font-mono text-xs dark:bg-slate-900">{cmd}</pre>
        </section>
    }
}

#[component]
fn Invites(org_id: String, invites: Vec<InviteView>, query: UsersQuery, command: String) -> impl IntoView {
    let forms = Forms::of_page();
    view! {
        <section data-testid="invites" class="mt-8">
            <h2 class="mb-2 text-lg font-semibold">"Invites"</h2>
            <p class="mb-2 text-sm text-slate-500 dark:text-slate-400">{format!("A person redeems a code with: {}", command)}</p>
            {if invites.is_empty() {
                view! { <p class="text-sm text-slate-500 dark:text-slate-400">"No invite is pending."</p> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
                        {invites.into_iter().map(|i| { let (org, fields) = (org_id.clone(), view_fields(&query)); view! {
                            <li data-testid="invite-row" data-expired=i.expired.to_string() class="flex flex-wrap items-center gap-3 px-4 py-2">
                                <code class="font-mono">{i.code.clone()}</code>
                                <span>{i.linear_user_name.clone().or(i.linear_user_id.clone()).unwrap_or_default()}</span>
                                <span class="text-xs text-slate-500 dark:text-slate-400">{i.linear_user_email.clone().unwrap_or_default()}</span>
                                <span class=if i.expired { "text-xs font-medium text-amber-700 dark:text-amber-300" } else { "text-xs text-slate-500 dark:text-slate-400" }>
                                    {if i.expired { format!("expired {}", i.expires_at.clone().unwrap_or_default()) } else { format!("until {}", i.expires_at.clone().unwrap_or_default()) }}
                                </span>
                                {may(Role::Operator).then(|| view! {
                                    <ActionForm action=forms.revoke attr:class="ml-auto">
                                        <input type="hidden" name="org_id" value=org/>
                                        <input type="hidden" name="code" value=i.code.clone()/>
                                        {fields}
                                        <button type="submit" data-testid="revoke-invite" class=BUTTON>{if i.expired { "Delete" } else { "Revoke" }}</button>
                                    </ActionForm>
                                })}
                            </li>
                        }}).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// The user picker: pool users by email prefix, a page at a time, each with *Link* (or *Change to*).
#[component]
fn Picker(
    org_id: String,
    linear_user_id: String,
    query: UsersQuery,
    prefix: String,
    replace: String,
    page: PlatformUserPage,
) -> impl IntoView {
    let forms = Forms::of_page();
    let base = format!("/workspaces/{org_id}/users");
    let more = page.next.clone().map(|token| {
        format!(
            "{base}?pick={}&replace={}&email={}&after={}&{}#picker",
            enc(&linear_user_id),
            enc(&replace),
            enc(&prefix),
            enc(&token),
            query.to_query()
        )
    });
    let verb = if replace.is_empty() { "Link" } else { "Change to" };
    view! {
        <section id="picker" data-testid="picker" class="mt-8 rounded-lg border border-indigo-300 bg-white p-4 text-sm dark:border-indigo-800 dark:bg-slate-900">
            <h2 class="font-semibold">{format!("Pick the platform user for Linear user {linear_user_id}")}</h2>
            <form method="get" action=base.clone() class="mt-3 flex flex-wrap items-end gap-2">
                <input type="hidden" name="pick" value=linear_user_id.clone()/>
                <input type="hidden" name="replace" value=replace.clone()/>
                <input type="hidden" name="q" value=query.q.clone()/>
                <input type="hidden" name="state" value=query.state.clone()/>
                <label class="flex flex-col">"Email starts with"
                    <input name="email" value=prefix.clone() data-testid="picker-email" autocomplete="off"
                        class="w-72 rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900"/>
                </label>
                <button type="submit" data-testid="picker-search" class=BUTTON>"Search"</button>
                <a href=format!("{base}?{}", query.to_query()) class="py-1 text-slate-500 underline">"Cancel"</a>
            </form>
            <ul class="mt-3 divide-y divide-slate-100 dark:divide-slate-800">
                {page.users.into_iter().map(|p| {
                    let u = p.user;
                    let (org, who, replacing, fields) = (org_id.clone(), linear_user_id.clone(), replace.clone(), view_fields(&query));
                    view! {
                        <li data-testid="picker-row" class="flex flex-wrap items-center gap-3 py-2">
                            <span class="font-medium">{u.email.clone().unwrap_or_else(|| u.sub.clone())}</span>
                            <span class="text-xs text-slate-500">{if u.enabled { u.status.clone() } else { format!("{} · disabled", u.status) }}</span>
                            <span class="text-xs text-slate-500">{format!("{} Linear link(s)", p.links.len())}</span>
                            {(u.enabled && may(Role::Operator)).then(|| view! {
                                <ActionForm action=forms.link attr:class="ml-auto">
                                    <input type="hidden" name="org_id" value=org/>
                                    <input type="hidden" name="linear_user_id" value=who/>
                                    <input type="hidden" name="platform_user_id" value=u.sub.clone()/>
                                    <input type="hidden" name="replace" value=replacing/>
                                    {fields}
                                    <button type="submit" data-testid="picker-link" class=PRIMARY>{verb}</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {more.map(|h| view! { <a href=h data-testid="picker-more" class="mt-2 inline-block underline">"More users →"</a> })}
        </section>
    }
}

/// What an in-place run leaves for the page it reloads (the list is rendered on the server, so a
/// finished run reloads the page to show the new links, and the report must survive that).
mod handover {
    /// The report of `kind` for workspace `org`, saved for the next page load of this tab, which
    /// then loads: the same view, marked `changed=1` so the server reads the list afresh rather than
    /// from before the change (see `app::ports::AFTER_CHANGE`).
    #[cfg(feature = "hydrate")]
    pub fn keep_and_reload<T: serde::Serialize>(kind: &str, org: &str, report: &T) {
        let Some(window) = web_sys::window() else { return };
        if let (Ok(Some(storage)), Ok(json)) = (window.session_storage(), serde_json::to_string(report)) {
            let _ = storage.set_item(&format!("console.{kind}.{org}"), &json);
        }
        let location = window.location();
        let (path, search) = (location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
        let _ = location.set_href(&super::changed_view(&path, &search));
    }

    /// The report a run of `kind` left for this page, taken (shown once).
    #[cfg(feature = "hydrate")]
    pub fn take<T: serde::de::DeserializeOwned>(kind: &str, org: &str) -> Option<T> {
        let storage = web_sys::window()?.session_storage().ok()??;
        let key = format!("console.{kind}.{org}");
        let json = storage.get_item(&key).ok()??;
        let _ = storage.remove_item(&key);
        serde_json::from_str(&json).ok()
    }
}

/// `path` with the view of `search` (a leading `?` or none) and `changed=1`: the URL a page
/// reloads to after changing something in place.
#[cfg(any(feature = "hydrate", test))]
fn changed_view(path: &str, search: &str) -> String {
    let kept: Vec<&str> = search.trim_start_matches('?').split('&').filter(|kv| !kv.is_empty() && !kv.starts_with("changed=")).collect();
    let mut query = kept.join("&");
    if !query.is_empty() {
        query.push('&');
    }
    format!("{path}?{query}changed=1")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_change_in_place_reloads_the_same_view_marked_changed() {
        assert_eq!(super::changed_view("/workspaces/o/users", ""), "/workspaces/o/users?changed=1");
        assert_eq!(super::changed_view("/workspaces/o/users", "?q=ada&page=2"), "/workspaces/o/users?q=ada&page=2&changed=1");
        assert_eq!(super::changed_view("/w", "?changed=1&state=linked"), "/w?state=linked&changed=1", "marked once");
    }
}

/// The state of an in-place *Link all suggested*.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Bulk {
    progress: Option<(usize, usize)>,
    /// (who, what happened, linked?)
    results: Vec<(String, String, bool)>,
    error: Option<String>,
}

/// *Link all suggested*: a plain form POST before the wasm; after it (an island), batches of 10
/// through `link_users`, reported as they complete; then the page reloads with the new links and
/// the report kept.
#[island]
fn BulkLink(org_id: String, query: UsersQuery, count: usize) -> impl IntoView {
    let bulk = RwSignal::new(Bulk::default());
    #[cfg(feature = "hydrate")]
    {
        let org = org_id.clone();
        Effect::new(move |_| {
            if let Some(kept) = handover::take::<Bulk>("bulk", &org) {
                bulk.set(kept);
            }
        });
    }
    let org = org_id.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let org = org.clone();
        bulk.set(Bulk::default());
        leptos::task::spawn_local(async move {
            let todo = match crate::functions::get_suggested_links(org.clone()).await {
                Ok(t) => t,
                Err(e) => return bulk.update(|b| b.error = Some(e.to_string())),
            };
            let total = todo.len();
            bulk.update(|b| b.progress = Some((0, total)));
            let mut done = 0;
            for chunk in todo.chunks(10) {
                match crate::functions::link_users(org.clone(), chunk.to_vec()).await {
                    Ok(results) => bulk.update(|b| {
                        for (req, r) in chunk.iter().zip(results) {
                            let ok = r.outcome == crate::user_links_view::LinkOutcome::Linked;
                            b.results.push((req.label.clone().unwrap_or(r.linear_user_id.clone()), r.outcome.words(), ok));
                        }
                    }),
                    Err(e) => return bulk.update(|b| b.error = Some(e.to_string())),
                }
                done += chunk.len();
                bulk.update(|b| b.progress = Some((done, total)));
            }
            #[cfg(feature = "hydrate")]
            handover::keep_and_reload("bulk", &org, &bulk.get_untracked());
        });
    };
    view! {
        <div class="flex flex-col items-end gap-2">
            {(count > 0).then(|| view! {
                <form method="post" action=LinkSuggested::url() on:submit=on_submit>
                    <input type="hidden" name="org_id" value=org_id/>
                    {view_fields(&query)}
                    <button type="submit" data-testid="link-all-suggested" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">
                        {format!("Link all suggested ({count})")}
                    </button>
                </form>
            })}
            <BulkReport bulk/>
        </div>
    }
}

/// The progress bar and each row's outcome of an in-place *Link all suggested*.
#[component]
fn BulkReport(bulk: RwSignal<Bulk>) -> impl IntoView {
    move || {
        let b = bulk.get();
        (b.progress.is_some() || b.error.is_some()).then(|| view! {
            <section data-testid="bulk-progress" class="w-96 max-w-full rounded-lg border border-indigo-200 bg-white p-3 text-sm dark:border-indigo-900 dark:bg-slate-900">
                {b.progress.map(|(done, total)| view! {
                    <progress class="w-full" max=total.to_string() value=done.to_string()></progress>
                    <span data-testid="bulk-progress-text">{format!("{done} of {total} done")}</span>
                })}
                {b.error.map(|e| view! { <p role="alert" class="text-red-700 dark:text-red-300">{e}</p> })}
                <ul data-testid="bulk-results" class="mt-2 max-h-48 overflow-y-auto text-xs">
                    {b.results.into_iter().map(|(who, words, ok)| view! {
                        <li data-testid="bulk-result" data-ok=ok.to_string() class="py-0.5">{format!("{who}: {words}")}</li>
                    }).collect_view()}
                </ul>
            </section>
        })
    }
}

/// *Reload from Linear*: a plain POST before the wasm; after it (an island), the fetch runs in
/// place while its pages and users are counted as they arrive; then the page reloads with the
/// new list and the count kept.
#[island]
fn ReloadForm(org_id: String, query: UsersQuery, fetched_at: Option<String>) -> impl IntoView {
    let status = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    {
        let org = org_id.clone();
        Effect::new(move |_| {
            if let Some(kept) = handover::take::<String>("reload", &org) {
                status.set(Some(kept));
            }
        });
    }
    let org = org_id.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let org = org.clone();
        status.set(Some("Asking Linear for the workspace's users…".into()));
        let poll_org = org.clone();
        let handle = set_interval_with_handle(
            move || {
                let org = poll_org.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(Some((pages, users))) = crate::functions::get_reload_progress(org).await {
                        status.set(Some(format!("Fetched {users} users ({pages} pages) so far…")));
                    }
                });
            },
            std::time::Duration::from_millis(250),
        )
        .ok();
        leptos::task::spawn_local(async move {
            let result = crate::functions::reload_linear_users(org.clone()).await;
            if let Some(h) = handle {
                h.clear();
            }
            match result {
                Ok(n) => {
                    let done = format!("Fetched {n} users from Linear.");
                    status.set(Some(done.clone()));
                    #[cfg(feature = "hydrate")]
                    handover::keep_and_reload("reload", &org, &done);
                }
                Err(e) => status.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <div class="flex flex-col items-end gap-1 text-sm">
            {move || status.get().map(|m| view! { <p role="status" data-testid="reload-progress" class="text-right text-xs">{m}</p> })}
            <form method="post" action=ReloadUsers::url() on:submit=on_submit class="flex items-center gap-2">
                <input type="hidden" name="org_id" value=org_id/>
                {view_fields(&query)}
                <span class="text-xs text-slate-500 dark:text-slate-400" data-testid="fetched-at">
                    {fetched_at.map(|at| format!("Linear users as of {at}")).unwrap_or_else(|| "Linear users not fetched".into())}
                </span>
                <button type="submit" data-testid="reload" class="rounded-md border border-slate-300 px-3 py-1.5 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">"Reload from Linear"</button>
            </form>
        </div>
    }
}
