//! `/forbidden`: a Cognito user who signed in correctly but is not an admin (HTTP 403).
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::login::AuthCard;

#[component]
pub fn ForbiddenPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::edge::set_status(403);
    let query = use_query_map();
    // The group name is configuration, passed by the sign-in route; it is only displayed.
    let group = move || query.read().get("group").unwrap_or_else(|| "the console's admin group".into());
    view! {
        <Title text="Not an administrator"/>
        <AuthCard title="Not an administrator">
            <p data-testid="forbidden" class="text-sm text-slate-700 dark:text-slate-300">
                "Your sign-in worked, but this console is only for members of the Cognito group "
                <code class="rounded bg-slate-100 px-1 font-mono dark:bg-slate-800">{group}</code>
                ". Ask a platform administrator to add you to it, then sign in again."
            </p>
            <a href="/login" rel="external" class="mt-6 inline-block text-sm font-medium text-indigo-600 hover:underline dark:text-indigo-400">
                "Sign in with another account"
            </a>
        </AuthCard>
    }
}
