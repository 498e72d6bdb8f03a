//! Loading and error states shared by every page.
use leptos::prelude::*;

use crate::errors::AppError;
use crate::outcomes::StepReport;
use crate::wire::{Health, RegistryState};

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

/// The registry status as the platform reads it.
#[component]
pub fn StateBadge(state: RegistryState, raw: Option<String>) -> impl IntoView {
    let class = match state {
        RegistryState::Active => "bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-200",
        RegistryState::Revoked => "bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-200",
        RegistryState::NotRegistered => "bg-amber-100 text-amber-800 dark:bg-amber-900 dark:text-amber-200",
    };
    // An unknown status counts as revoked (the platform fails closed); say what was stored.
    let title = raw.map(|r| format!("stored status: {r}")).unwrap_or_default();
    view! {
        <span data-testid="registry-status" title=title class=format!("inline-flex rounded-full px-2 py-0.5 text-xs font-medium {class}")>{state.label()}</span>
    }
}

/// The token health badge; its title says why.
#[component]
pub fn HealthBadge(health: Health) -> impl IntoView {
    let class = match health {
        Health::Healthy => "bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-200",
        Health::ExpiringSoon | Health::ExpiredRefreshable => "bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-200",
        Health::Degraded => "bg-amber-100 text-amber-800 dark:bg-amber-900 dark:text-amber-200",
        Health::NeedsReconnect | Health::NotRegistered | Health::VaultManaged => {
            "bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-200"
        }
        Health::Revoked => "bg-slate-200 text-slate-700 dark:bg-slate-700 dark:text-slate-200",
    };
    view! {
        <span data-testid="health" data-health=health.code() title=health.explanation()
            class=format!("inline-flex whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium {class}")>
            {health.label()}
        </span>
    }
}

/// The banner after a form's redirect: green when the action worked, red when it did not (or
/// found bad news). `role=status` or `role=alert`, so a screen reader says it.
#[component]
pub fn NoticeBanner(good: bool, text: &'static str, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    let class = if good {
        "mb-4 rounded-lg border border-emerald-300 bg-emerald-50 p-4 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100"
    } else {
        "mb-4 rounded-lg border border-red-300 bg-red-50 p-4 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
    };
    view! {
        <div role=if good { "status" } else { "alert" } data-testid="notice" class=class>
            {text}
            {children.map(|c| c())}
        </div>
    }
}

/// The outcome of each step of a revoke or remove.
#[component]
pub fn StepsReport(steps: String) -> impl IntoView {
    let steps = StepReport::from_code(&steps);
    let all_ok = steps.complete();
    let class = if all_ok {
        "mb-6 rounded-lg border border-emerald-300 bg-emerald-50 p-4 text-sm dark:border-emerald-800 dark:bg-emerald-950"
    } else {
        "mb-6 rounded-lg border border-red-300 bg-red-50 p-4 text-sm dark:border-red-800 dark:bg-red-950"
    };
    view! {
        <section data-testid="steps-report" role=if all_ok { "status" } else { "alert" } class=class>
            <h2 class="font-semibold">{if all_ok { "Every step completed" } else { "Not finished: a step failed" }}</h2>
            <ol class="mt-2 list-decimal space-y-1 pl-5">
                {steps.0.into_iter().map(|(step, status)| view! {
                    <li data-testid="step" data-ok=status.ok().to_string()>{format!("{}: {}", step.words(), status.words())}</li>
                }).collect_view()}
            </ol>
        </section>
    }
}
