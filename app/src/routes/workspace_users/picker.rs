//! The user picker: the pool's users by email prefix, to link a member to (or change its link to).
use leptos::prelude::*;

use super::{view_fields, Forms, BUTTON, PRIMARY};
use crate::components::access::may;
use crate::identity::Role;
use crate::url::enc;
use crate::user_links_view::{PlatformUserPage, UsersQuery};

/// The user picker: pool users by email prefix, a page at a time, each with *Link* (or *Change to*).
#[component]
pub(super) fn Picker(
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
                <input type="hidden" name="state" value=query.state.map_or("", |s| s.code())/>
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
