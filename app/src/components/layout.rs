//! The signed-in frame: navigation, the admin's email, sign-out, and the page outlet.
use leptos::prelude::*;
use leptos_router::{
    components::{Outlet, A},
    hooks::{use_location, use_query_map},
};

use crate::components::access::Me;
use crate::components::theme::ThemeToggle;
use crate::functions::whoami;

#[component]
pub fn Layout() -> impl IntoView {
    let me = Resource::new_blocking(|| (), |_| whoami());
    provide_context(Me(me));
    let query = use_query_map();
    // A change that happened but whose audit event could not be stored says so on the next page.
    let unrecorded = move || query.read().get("unrecorded").is_some();
    view! {
        <div class="flex min-h-screen flex-col">
            <header class="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
                <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-4 px-4 py-3">
                    <a href="/workspaces" class="flex items-center gap-2 font-semibold">
                        <span class="inline-block h-6 w-6 rounded-md bg-indigo-600"></span>
                        "Linear console"
                    </a>
                    <nav class="flex gap-1 text-sm" aria-label="Main">
                        <NavLink href="/workspaces" label="Workspaces"/>
                        <NavLink href="/users" label="Users"/>
                        <NavLink href="/incidents" label="Incidents"/>
                        <NavLink href="/audit" label="Audit"/>
                        <NavLink href="/settings" label="Settings"/>
                    </nav>
                    <div class="ml-auto flex items-center gap-3 text-sm">
                        <Suspense fallback=|| view! { <span class="text-slate-400">"…"</span> }>
                            {move || me.get().map(|r| match r {
                                Ok(a) => view! {
                                    <a href="/profile" data-testid="admin-email" title="Your profile and second factor" class="text-slate-600 hover:underline dark:text-slate-300">{a.email}</a>
                                    <span data-testid="role" title="Your role in the console" class="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-600 dark:bg-slate-800 dark:text-slate-300">{a.role.label()}</span>
                                }.into_any(),
                                Err(_) => view! { <a href="/login" rel="external" class="underline">"Sign in"</a> }.into_any(),
                            })}
                        </Suspense>
                        <ThemeToggle/>
                        <form method="post" action="/logout">
                            <button type="submit" data-testid="sign-out" class="rounded-md bg-slate-900 px-3 py-1 text-white hover:bg-slate-700 dark:bg-slate-100 dark:text-slate-900 dark:hover:bg-slate-300">
                                "Sign out"
                            </button>
                        </form>
                    </div>
                </div>
            </header>
            <main class="mx-auto w-full max-w-6xl flex-1 px-4 py-8">
                {move || unrecorded().then(|| view! {
                    <div role="alert" data-testid="unrecorded" class="mb-4 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
                        "This change was made, but the audit log could not record it. The console's log has the details and the request id; tell whoever keeps the audit trail."
                    </div>
                })}
                <Outlet/>
            </main>
        </div>
    }
}

#[component]
fn NavLink(href: &'static str, label: &'static str) -> impl IntoView {
    let location = use_location();
    let active = move || location.pathname.get().starts_with(href);
    view! {
        <A
            href=href
            attr:class=move || if active() {
                "rounded-md bg-slate-100 px-3 py-1 font-medium text-slate-900 dark:bg-slate-800 dark:text-white"
            } else {
                "rounded-md px-3 py-1 text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
            }
        >
            {label}
        </A>
    }
}
