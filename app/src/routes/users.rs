//! `/users`: the platform's users (the Cognito pool) by email prefix, a page at a time, each
//! with its Linear identities across workspaces (the `PlatformUserIndex` GSI); unlink from here.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::access::may;
use crate::components::status::{ErrorNotice, Loading, NoticeBanner, PageHeader};
use crate::functions::{search_platform_users, UnlinkIdentity};
use crate::identity::Role;
use crate::outcomes::{Notice, UsersNotice};
use crate::relative_time::When;
use crate::url::enc;
use crate::user_links_view::PlatformUserLinks;

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let prefix = move || query.read().get("email").unwrap_or_default();
    let after = move || query.read().get("after").filter(|a| !a.is_empty());
    let unlink = ServerAction::<UnlinkIdentity>::new();
    let changed = move || crate::outcomes::after_change(&query.read());
    let users = Resource::new(move || (prefix(), after(), changed()), |(p, a, c)| search_platform_users(p, a, c));
    let banner = move || {
        let q = query.read();
        UsersNotice::from_query(q.get("notice").as_deref(), q.get("error").as_deref())
    };
    view! {
        <Title text="Users"/>
        <PageHeader title="Platform users" subtitle="Users of the platform's Cognito pool and the Linear users linked to them."/>
        {move || banner().map(|n| view! { <NoticeBanner good=n.good() text=n.text()/> })}
        <form method="get" action="/users" data-testid="user-search" class="mb-4 flex flex-wrap items-end gap-3 text-sm">
            <label class="flex flex-col">"Email starts with"
                <input name="email" value=prefix data-testid="user-search-email" autocomplete="off"
                    class="w-72 rounded-md border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-900"/>
            </label>
            <button type="submit" class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white dark:bg-slate-100 dark:text-slate-900">"Search"</button>
            <a href="/users" class="py-1.5 text-slate-500 underline">"Clear"</a>
        </form>
        <Suspense fallback=|| view! { <Loading what="users"/> }>
            {move || users.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(page) => {
                    let more = page.next.clone().map(|t| format!("/users?email={}&after={}", enc(&prefix()), enc(&t)));
                    view! {
                        {if page.users.is_empty() {
                            view! { <p data-testid="no-users" class="p-6 text-center text-sm text-slate-500">"No platform user matches."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
                                    {page.users.into_iter().map(|u| view! { <UserLinks u prefix=prefix() unlink/> }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {more.map(|h| view! { <a href=h data-testid="next-page" class="mt-3 inline-block text-sm underline">"Next page →"</a> })}
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
fn UserLinks(u: PlatformUserLinks, prefix: String, unlink: ServerAction<UnlinkIdentity>) -> impl IntoView {
    let user = u.user;
    let email = user.email.clone().unwrap_or_else(|| user.sub.clone());
    view! {
        <li data-testid="user-row" class="px-4 py-3 text-sm">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <span class="font-medium">{email.clone()}</span>
                <span class="flex items-center gap-3 text-xs text-slate-500">
                    {if user.enabled { user.status.clone() } else { format!("{} · disabled", user.status) }}
                    {may(Role::Admin).then(|| view! {
                        <a data-testid="user-sessions" href=format!("/users/{}/sessions", enc(&user.sub)) class="text-indigo-700 hover:underline dark:text-indigo-300">"Sessions"</a>
                    })}
                </span>
            </div>
            {if u.links.is_empty() {
                view! { <p class="mt-1 text-xs text-slate-500 dark:text-slate-400">"No Linear identity linked."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 space-y-1">
                        {u.links.into_iter().map(|l| {
                            let (sub, prefix, email) = (user.sub.clone(), prefix.clone(), email.clone());
                            let ws = l.workspace_slug.clone().unwrap_or_else(|| l.org_id.clone());
                            view! {
                                <li data-testid="identity" class="flex flex-wrap items-center gap-2 text-xs">
                                    <a class="text-indigo-700 hover:underline dark:text-indigo-300" href=format!("/workspaces/{}/users", l.org_id)>{ws}</a>
                                    <span class="font-mono">{l.linear_user_id.clone()}</span>
                                    <span class="text-slate-500">"linked " {l.linked_at.clone().map(|at| view! { <When at class="inline"/> })}{l.link_method.clone().map(|m| format!(" · {m}")).unwrap_or_default()}</span>
                                    {may(Role::Operator).then(|| view! {
                                    <details class="inline-block">
                                        <summary data-testid="unlink" class="cursor-pointer list-none rounded-md border border-slate-300 px-2 py-0.5 dark:border-slate-700">"Unlink…"</summary>
                                        <ActionForm action=unlink attr:class="mt-1 flex items-center gap-2">
                                            <input type="hidden" name="identity" value=l.identity.clone()/>
                                            <input type="hidden" name="platform_user_id" value=sub/>
                                            <input type="hidden" name="email" value=prefix/>
                                            <span>{format!("{email} will no longer act for this Linear user.")}</span>
                                            <button type="submit" data-testid="confirm-unlink" class="rounded-md bg-red-700 px-2 py-1 font-medium text-white">"Unlink"</button>
                                        </ActionForm>
                                    </details>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </li>
    }
}
