//! Any path the router does not know (HTTP 404).
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::edge::set_status(404);
    view! {
        <Title text="Not found"/>
        <main class="flex min-h-screen items-center justify-center px-4">
            <div class="text-center">
                <p class="text-sm font-semibold text-indigo-600 dark:text-indigo-400">"404"</p>
                <h1 class="mt-2 text-2xl font-semibold">"There is no page here"</h1>
                <a href="/workspaces" class="mt-6 inline-block text-sm font-medium underline">"Go to workspaces"</a>
            </div>
        </main>
    }
}
