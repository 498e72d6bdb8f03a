//! `/users`: the platform's users (the Cognito pool), with their sign-in state.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::status::{ErrorNotice, Loading, PageHeader};
use crate::functions::list_platform_users;

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| list_platform_users());
    view! {
        <Title text="Users"/>
        <PageHeader title="Platform users" subtitle="Users of the platform's Cognito pool."/>
        <Suspense fallback=|| view! { <Loading what="users"/> }>
            {move || users.get().map(|r| match r {
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                Ok(list) => view! {
                    <ul class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
                        {list.into_iter().map(|u| view! {
                            <li data-testid="user-row" class="flex items-center justify-between px-4 py-2 text-sm">
                                <span>{u.email.unwrap_or_else(|| u.sub.clone())}</span>
                                <span class="text-xs text-slate-500">
                                    {if u.enabled { u.status } else { format!("{} · disabled", u.status) }}
                                </span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Suspense>
    }
}
