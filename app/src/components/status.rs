//! Loading and error states shared by every page.
use leptos::prelude::*;

use crate::errors::AppError;

#[component]
pub fn Loading(#[prop(into)] what: String) -> impl IntoView {
    view! {
        <p role="status" class="animate-pulse py-6 text-sm text-slate-500 dark:text-slate-400">
            {format!("Loading {what}…")}
        </p>
    }
}

#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let unauthorized = matches!(error, AppError::Unauthorized);
    view! {
        <div role="alert" class="my-4 rounded-md border border-red-300 bg-red-50 p-4 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
            <p>{error.to_string()}</p>
            {unauthorized.then(|| view! { <a class="font-medium underline" href="/login" rel="external">"Sign in"</a> })}
        </div>
    }
}

/// Page title block used by every page.
#[component]
pub fn PageHeader(#[prop(into)] title: String, #[prop(into, optional)] subtitle: Option<String>) -> impl IntoView {
    view! {
        <header class="mb-6">
            <h1 class="text-2xl font-semibold tracking-tight">{title}</h1>
            {subtitle.map(|s| view! { <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{s}</p> })}
        </header>
    }
}
